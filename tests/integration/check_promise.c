/* A broken promise through the real dunnd --once and the mail sink: the
 * promised day passes with the balance owed, the case leaves its pause
 * (reason cleared), moves to the track its on_broken_promise names, gets
 * that track's next step, and the event says from where to where. A
 * track without on_broken_promise keeps the case; a kept promise breaks
 * nothing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\"},\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"email\"]},\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"vip\", \"when\": {\"segment\": \"vip\"},\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 20, \"channels\": [\"email\"], \"template\": \"firm\"}]},\n"
	"    {\"name\": \"first_time\", \"on_broken_promise\": \"strict\",\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 20, \"channels\": [\"email\"], \"template\": \"firm\"}]},\n"
	"    {\"name\": \"strict\", \"when\": {\"segment\": \"never\"},\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 5, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
	"}\n";

static const char ACCOUNTS[] = "account_ref,name,email,phone,locale,timezone,segment\n"
			       "P-1,Pat Broken,pat@customer.test,,en,UTC,retail\n"
			       "P-2,Val Vip,val@customer.test,,en,UTC,vip\n"
			       "P-3,Kay Kept,kay@customer.test,,en,UTC,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,P-1,49.90,USD,2026-11-01,October\n"
			       "INV-2,P-2,30.00,USD,2026-11-01,October\n"
			       "INV-3,P-3,20.00,USD,2026-11-01,October\n";

static char *dir, *cfg, *conninfo;
static PGconn *db;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("promise");
	cfg = tu_config(dir, conninfo, POLICY, NULL);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static char *case_col(const char *ref, const char *col)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT coalesce(c.%s::text, '') FROM dunning.cases c JOIN dunning.accounts a "
		 "ON a.id = c.account_id WHERE a.external_ref = '%s'",
		 col, ref);
	return tu_qstr(db, sql);
}

static void assert_case(const char *ref, const char *col, const char *want)
{
	char *got = case_col(ref, col);

	ck_assert_msg(!strcmp(got, want), "%s %s: '%s', want '%s'", ref, col, got, want);
	free(got);
}

static const char *subject_for(const char *addr, int nth)
{
	static char subject[256];
	int seen = 0;

	for (int i = 1; i <= tu_mail_count(); i++) {
		char *r = tu_mail_rcpt(i);
		int hit = !strcmp(r, addr) && ++seen == nth;
		free(r);
		if (hit) {
			json_t *m = tu_mail(i);
			snprintf(subject, sizeof subject, "%s",
				 json_string_value(json_object_get(m, "subject")));
			json_decref(m);
			return subject;
		}
	}
	ck_abort_msg("no mail %d for %s", nth, addr);
	return NULL;
}

START_TEST(broken_promise_moves_to_its_track)
{
	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	for (int k = 1; k <= 3; k++) {
		char ref[8];
		snprintf(ref, sizeof ref, "P-%d", k);
		ck_assert_msg(tu_sh("dunnctl -c %s promise %s --until 2026-11-08 "
				    "--at 2026-11-05T12:00:00Z",
				    cfg, ref) == 0,
			      "%s", tu_output());
	}
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-3 --at 2026-11-07T12:00:00Z", cfg) == 0, "%s",
		      tu_output());
	tu_run_once(cfg, "2026-11-07T15:00:00Z");
	assert_case("P-1", "state", "paused");
	assert_case("P-1", "pause_reason", "promise");
	/* The 8th has ended unpaid. */
	tu_run_once(cfg, "2026-11-09T10:00:00Z");
	assert_case("P-1", "state", "active");
	assert_case("P-1", "pause_reason", "");
	assert_case("P-1", "paused_until", "");
	assert_case("P-1", "track", "strict");
	assert_case("P-1", "stage", "2");
	/* strict's step 2 (day 5) is overdue: it goes at once. */
	ck_assert_str_eq(subject_for("pat@customer.test", 3), "Your payment of $49.90 is overdue");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.accounts a "
				 "ON a.id = e.account_id WHERE a.external_ref = 'P-1' "
				 "AND e.kind = 'promise_broken' "
				 "AND e.detail->>'from_track' = 'first_time' "
				 "AND e.detail->>'to_track' = 'strict'"),
			 1);
	/* vip names no track: the case stays, the break is still an event. */
	assert_case("P-2", "state", "active");
	assert_case("P-2", "track", "vip");
	assert_case("P-2", "pause_reason", "");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.accounts a "
				 "ON a.id = e.account_id WHERE a.external_ref = 'P-2' "
				 "AND e.kind = 'promise_broken' AND e.detail->>'to_track' = 'vip'"),
			 1);
	/* Kept: resolved, no break. */
	assert_case("P-3", "state", "resolved");
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'promise_broken'"),
		2);
	/* Later cycles break nothing again. */
	tu_run_once(cfg, "2026-11-10T10:00:00Z");
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'promise_broken'"),
		2);
}
END_TEST

START_TEST(unknown_track_refused_with_position)
{
	static const char bad[] =
		"{\"tracks\": [{\"name\": \"t\", \"on_broken_promise\": \"nope\", \"steps\": [\n"
		"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"}]}],\n"
		" \"on_broken_promise\": \"gone\"}\n";
	char *bdir = tu_tmpdir();
	char *bcfg = tu_config(bdir, conninfo, bad, NULL);

	ck_assert_int_ne(tu_sh("dunnd -c %s --check-config", bcfg), 0);
	ck_assert_msg(strstr(tu_output(), "policy.json:1:48: no track named 'nope'") != NULL, "%s",
		      tu_output());
	ck_assert_msg(strstr(tu_output(), "policy.json:3:23: no track named 'gone'") != NULL, "%s",
		      tu_output());
	free(bcfg);
	free(bdir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("promise");
	TCase *tc = tcase_create("promise");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, broken_promise_moves_to_its_track);
	tcase_add_test(tc, unknown_track_refused_with_position);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
