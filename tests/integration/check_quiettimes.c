/* Customer-chosen quiet times, end to end: set by dunnctl (and refused
 * past the weekly bound), honoured by the real daemon (--once at chosen
 * instants) for a reminder at the SMTP sink and a notice at the SMS
 * gateway simulator, shown by dunnctl simulate, every change an event. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tuhttp.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

/* Reminders by email, notices by SMS; 08:00-21:00 every day. Invoices
 * are due Sunday 2026-11-01: the gentle step falls on Wednesday 4th. */
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\", \"KRW\": \"1000\"},\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"sms\"]},\n"
	"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"    {\"after_days\": 30, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
	"}\n";

static void setup(void)
{
	char *ch = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("quiettimes");
	free(tu_file(dir, "sms_token", "sms-test-token-0123456789\n"));
	ck_assert(
		asprintf(&ch,
			 "{\"sms\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": "
			 "\"%s\", \"account_sid\": \"ACtest0123456789\", \"auth_token_file\": "
			 "\"sms_token\", \"from\": \"+15005550006\", \"timeout_ms\": 2000}}",
			 tu_env("DUNN_GATEWAY")) > 0);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
	db = tu_book_db(cfg, dir, conninfo, tu_ny_seoul_accounts, tu_ny_seoul_invoices);
	free(tu_sim_call("POST", "/_reset", "{}"));
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

static void ctl(const char *args)
{
	ck_assert_msg(tu_sh("dunnctl -c %s %s", cfg, args) == 0, "dunnctl %s: %s", args,
		      tu_output());
}

static long long events(const char *kind)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM dunning.events WHERE kind = '%s'", kind);
	return tu_qint(db, sql);
}

START_TEST(dunnctl_sets_shows_refuses_and_audits)
{
	json_t *doc;
	const char *out;

	ctl("quiet A-2 --set 'Mon-Fri 12:00 - 13:00, sun 00:00-12:00' --at 2026-11-02T00:00:00Z");
	ck_assert_ptr_nonnull(strstr(tu_output(), "A-2: quiet times set"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "mon-fri 12:00-13:00,sun 00:00-12:00"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "17 h 00 min a week"));
	ck_assert_int_eq(events("quiet_times_set"), 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind = "
				 "'quiet_times_set' AND detail->>'source' = 'operator' AND "
				 "detail->>'minutes' = '1020'"),
			 1);
	/* The same times again change nothing and write nothing. */
	ctl("quiet A-2 --set 'weekdays 12:00-13:00,sun 00:00-12:00'");
	ck_assert_ptr_nonnull(strstr(tu_output(), "A-2: quiet times unchanged"));
	ck_assert_int_eq(events("quiet_times_set"), 1);
	ctl("quiet A-2 --show --json");
	out = strchr(tu_output(), '{');
	ck_assert_ptr_nonnull(out);
	doc = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(tu_jstr(doc, "quiet"), "mon-fri 12:00-13:00,sun 00:00-12:00");
	ck_assert_str_eq(tu_jstr(doc, "timezone"), "Asia/Seoul");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "minutes")), 1020);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "max_hours_per_week")), 28);
	json_decref(doc);
	/* Past the weekly bound, malformed, or no such account: refused,
	 * and nothing held changes. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s quiet A-2 --set 'daily 00:00-04:01'", cfg), 2);
	ck_assert_ptr_nonnull(strstr(tu_output(), "28 h 07 min a week blocked; at most 28 h"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s quiet A-2 --set 'mon 9-10'", cfg), 2);
	ck_assert_ptr_nonnull(strstr(tu_output(), "item 1: expected a time HH:MM"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s quiet A-9 --set 'mon'", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "no account with reference 'A-9'"));
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.quiet_times "
				 "WHERE spec = 'mon-fri 12:00-13:00,sun 00:00-12:00'"),
			 1);
	ck_assert_int_eq(events("quiet_times_set"), 1);
	ctl("quiet A-2 --clear");
	ck_assert_ptr_nonnull(strstr(tu_output(), "A-2: no quiet times"));
	ck_assert_int_eq(events("quiet_times_cleared"), 1);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.quiet_times"), 0);
}
END_TEST

/* The Seoul customer blocks weekday mornings 08:00-10:00: the gentle
 * reminder due Wednesday 08:00 KST waits for 10:00, with the reason in
 * the case's events; the New York customer, with none, is not held. */
START_TEST(reminder_skips_blocked_time_at_the_sink)
{
	int n;

	ctl("quiet A-2 --set 'mon-fri 08:00-10:00'");
	tu_run_once(cfg, "2026-11-03T12:00:00Z"); /* opens the cases, nothing due */
	ck_assert_int_eq(tu_mail_count(), 0);
	tu_run_once(cfg, "2026-11-03T23:00:00Z"); /* Wed 08:00 KST */
	ck_assert_int_eq(tu_mail_count(), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind = 'case_waits' "
				 "AND detail->>'reason' = 'customer quiet time'"),
			 1);
	tu_run_once(cfg, "2026-11-04T00:59:00Z"); /* 09:59 KST */
	ck_assert_int_eq(tu_mail_count(), 0);
	tu_run_once(cfg, "2026-11-04T01:00:00Z"); /* 10:00 KST */
	ck_assert_int_eq(tu_mail_count(), 1);
	ck_assert_int_ne(tu_mail_for("minsu@customer.test"), 0);
	n = tu_mail_count();
	tu_run_once(cfg, "2026-11-04T13:00:00Z"); /* 08:00 EST */
	ck_assert_int_eq(tu_mail_count(), n + 1);
	ck_assert_int_ne(tu_mail_for("alice@customer.test"), 0);
}
END_TEST

/* A notice of ours (a rejected dispute) is contact too: it waits for the
 * end of the blocked time at the gateway; the acknowledgement of the
 * customer's own dispute goes at once. */
START_TEST(notice_waits_at_the_gateway)
{
	ctl("quiet A-2 --set 'daily 09:00-12:00'");
	tu_run_once(cfg, "2026-11-10T12:00:00Z");                           /* opens the cases */
	ctl("dispute INV-2 --reason 'not mine' --at 2026-11-11T00:05:00Z"); /* 09:05 KST */
	tu_run_once(cfg, "2026-11-11T00:05:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	ctl("dispute reject D-1001 --note checked --at 2026-11-11T00:10:00Z");
	tu_run_once(cfg, "2026-11-11T00:10:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.events WHERE kind = "
			"'delivery_deferred' AND detail->>'reason' = 'customer quiet time'"),
		1);
	tu_run_once(cfg, "2026-11-11T02:59:00Z"); /* 11:59 KST */
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	tu_run_once(cfg, "2026-11-11T03:00:00Z"); /* 12:00 KST */
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.deliveries "
			"WHERE kind = 'dispute_outcome' AND status = 'sent' AND attempts = 1"),
		1);
}
END_TEST

START_TEST(simulate_shows_the_deferral)
{
	ctl("quiet A-2 --set 'wed'");
	ctl("simulate --days 5 --at 2026-11-02T00:00:00Z");
	/* Seoul's Wednesday is blocked whole: the step goes on Thursday, and
	 * the deferral is listed on the day it would have gone. */
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-05  first_time          1  email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-04  first_time          1  email"));
	ck_assert_ptr_nonnull(
		strstr(tu_output(), "2026-11-04  first_time          1  customer quiet time"));
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s simulate --days 5 --at 2026-11-02T00:00:00Z --json", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"reason\": \"customer quiet time\""));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("quiettimes");
	TCase *tc = tcase_create("quiet");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, dunnctl_sets_shows_refuses_and_audits);
	tcase_add_test(tc, reminder_skips_blocked_time_at_the_sink);
	tcase_add_test(tc, notice_waits_at_the_gateway);
	tcase_add_test(tc, simulate_shows_the_deferral);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
