/* Nothing at night, notices included: with the real daemon (--once at
 * chosen instants), the real SMS gateway simulator and customers in New
 * York, Seoul, Tokyo and Shanghai. Acknowledgements of the customer's own
 * act (a payment, a promise, a dispute) go at once, at any hour; every
 * other notice (a dispute's outcome) waits for the channel's window like
 * a reminder. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tuhttp.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-NY,Alice Example,alice@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"A-KR,김민수,minsu@customer.test,+821012345678,ko-KR,Asia/Seoul,retail\n"
	"A-JP,佐藤花子,hanako@customer.test,+819012345678,ja-JP,Asia/Tokyo,retail\n"
	"A-CN,王伟,wei@customer.test,+8613812345678,zh-CN,Asia/Shanghai,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-NY,A-NY,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-NY2,A-NY,10.00,USD,2026-11-01,Roaming\n"
			       "INV-KR,A-KR,120000,KRW,2026-11-01,인터넷 요금 10월\n"
			       "INV-JP,A-JP,5000,JPY,2026-11-01,携帯電話料金 10月分\n"
			       "INV-CN,A-CN,88.00,CNY,2026-11-01,10月话费\n";

/* Every message on SMS; the only reminder step is far off, so what goes
 * out in these weeks is notices alone. */
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\", \"KRW\": \"1000\", \"JPY\": \"100\", \"CNY\": \"5.00\"},\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"sms\"]},\n"
	"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	"    {\"after_days\": 90, \"channels\": [\"sms\"], \"template\": \"gentle\"}]}]\n"
	"}\n";

static void setup(void)
{
	char *ch = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("night");
	free(tu_file(dir, "sms_token", "sms-test-token-0123456789\n"));
	ck_assert(
		asprintf(&ch,
			 "{\"sms\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": "
			 "\"%s\", \"account_sid\": \"ACtest0123456789\", \"auth_token_file\": "
			 "\"sms_token\", \"from\": \"+15005550006\", \"timeout_ms\": 2000}}",
			 tu_env("DUNN_GATEWAY")) > 0);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	free(tu_sim_call("POST", "/_reset", "{}"));
	/* Open the cases (no reminder is due yet). */
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.cases"), 4);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

/* Deliveries of kind to account ref with status (a literal). */
static long long count(const char *ref, const char *kind, const char *status)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.kind = '%s' "
		 "AND d.status = '%s'",
		 ref, kind, status);
	return tu_qint(db, sql);
}

/* When kind's delivery to ref is next tried, as UTC ISO 8601 (caller frees). */
static char *next_attempt(const char *ref, const char *kind)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT to_char(d.next_attempt_at AT TIME ZONE 'UTC', "
		 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM dunning.deliveries d "
		 "JOIN dunning.accounts a ON a.id = d.account_id "
		 "WHERE a.external_ref = '%s' AND d.kind = '%s'",
		 ref, kind);
	return tu_qstr(db, sql);
}

static void assert_next_attempt(const char *ref, const char *kind, const char *want)
{
	char *at = next_attempt(ref, kind);

	ck_assert_msg(!strcmp(at, want), "%s %s: next attempt %s, want %s", ref, kind, at, want);
	free(at);
}

static void ctl(const char *args)
{
	ck_assert_msg(tu_sh("dunnctl -c %s %s", cfg, args) == 0, "dunnctl %s: %s", args,
		      tu_output());
}

static const char *const ASIA[] = {"A-KR", "A-JP", "A-CN"};

/* The finding: a dispute rejected at 20:37 UTC went out at 05:37 in Seoul
 * and Tokyo. Now each waits for 08:00 in its own zone. */
START_TEST(dispute_outcome_waits_for_morning_in_each_zone)
{
	char args[256];
	int n = 0;

	/* 20:30 UTC: 15:30 in New York, 05:30 in Seoul and Tokyo, 04:30 in
	 * Shanghai. The acknowledgements answer the customer: at once. */
	static const char *const inv[] = {"INV-NY", "INV-KR", "INV-JP", "INV-CN"};
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof args,
			 "dispute %s --reason 'not mine' --at 2026-11-20T20:30:00Z", inv[i]);
		ctl(args);
	}
	tu_run_once(cfg, "2026-11-20T20:30:00Z");
	ck_assert_int_eq(count("A-NY", "dispute_ack", "sent"), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(count(ASIA[i], "dispute_ack", "sent") == 1, "%s ack", ASIA[i]);
	n = (int)tu_sim_stat("requests");
	ck_assert_int_eq(n, 4);

	/* 20:37 UTC: all four rejected; only New York is awake. */
	for (int i = 1001; i <= 1004; i++) {
		snprintf(args, sizeof args,
			 "dispute reject D-%d --note checked --at 2026-11-20T20:37:00Z", i);
		ctl(args);
	}
	tu_run_once(cfg, "2026-11-20T20:37:00Z");
	ck_assert_int_eq(count("A-NY", "dispute_outcome", "sent"), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(count(ASIA[i], "dispute_outcome", "queued") == 1,
			      "%s: the outcome went out at night", ASIA[i]);
	ck_assert_int_eq(tu_sim_stat("requests"), n + 1);
	assert_next_attempt("A-KR", "dispute_outcome", "2026-11-20T23:00:00Z");
	assert_next_attempt("A-JP", "dispute_outcome", "2026-11-20T23:00:00Z");
	assert_next_attempt("A-CN", "dispute_outcome", "2026-11-21T00:00:00Z");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events "
				 "WHERE kind = 'delivery_deferred'"),
			 3);

	/* A minute before 08:00 in Seoul and Tokyo: still nothing. */
	tu_run_once(cfg, "2026-11-20T22:59:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), n + 1);
	/* 08:00 in Seoul and Tokyo, 07:00 in Shanghai. */
	tu_run_once(cfg, "2026-11-20T23:00:00Z");
	ck_assert_int_eq(count("A-KR", "dispute_outcome", "sent"), 1);
	ck_assert_int_eq(count("A-JP", "dispute_outcome", "sent"), 1);
	ck_assert_int_eq(count("A-CN", "dispute_outcome", "queued"), 1);
	/* 08:00 in Shanghai. */
	tu_run_once(cfg, "2026-11-21T00:00:00Z");
	ck_assert_int_eq(count("A-CN", "dispute_outcome", "sent"), 1);
	ck_assert_int_eq(tu_sim_stat("requests"), n + 4);
	/* Each went out once: the deferrals did not count as attempts. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE kind = 'dispute_outcome' AND attempts = 1"),
			 4);
}
END_TEST

/* New York at night (22:00 EST): an upheld dispute's news waits for
 * 08:00; a payment made at 23:00 is confirmed at once. */
START_TEST(new_york_night)
{
	ctl("dispute INV-NY --reason wrong --at 2026-11-21T03:00:00Z");
	tu_run_once(cfg, "2026-11-21T03:00:00Z");
	ck_assert_int_eq(count("A-NY", "dispute_ack", "sent"), 1);
	ctl("dispute uphold D-1001 --at 2026-11-21T03:05:00Z");
	tu_run_once(cfg, "2026-11-21T03:05:00Z");
	ck_assert_int_eq(count("A-NY", "dispute_outcome", "queued"), 1);
	assert_next_attempt("A-NY", "dispute_outcome", "2026-11-21T13:00:00Z");
	ctl("pay INV-NY2 --at 2026-11-21T04:00:00Z");
	tu_run_once(cfg, "2026-11-21T04:00:00Z");
	ck_assert_int_eq(count("A-NY", "confirmation", "sent"), 1);
	ck_assert_int_eq(count("A-NY", "dispute_outcome", "queued"), 1);
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
	tu_run_once(cfg, "2026-11-21T13:00:00Z"); /* 08:00 EST */
	ck_assert_int_eq(count("A-NY", "dispute_outcome", "sent"), 1);
	ck_assert_int_eq(tu_sim_stat("requests"), 3);
}
END_TEST

/* A promise made at night in Seoul is acknowledged at once. */
START_TEST(promise_ack_goes_at_once)
{
	ctl("promise A-KR --until 2026-11-30 --at 2026-11-20T17:00:00Z"); /* 02:00 in Seoul */
	tu_run_once(cfg, "2026-11-20T17:00:00Z");
	ck_assert_int_eq(count("A-KR", "promise_ack", "sent"), 1);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("night");
	TCase *tc = tcase_create("notices");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, dispute_outcome_waits_for_morning_in_each_zone);
	tcase_add_test(tc, new_york_night);
	tcase_add_test(tc, promise_ack_goes_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
