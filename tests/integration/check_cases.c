/* Pauses, promises and disputes, driven through dunnctl against a real
 * database, with the daemon walking the days and a real mail sink. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,,en-US,America/New_York,retail\n"
	"A-2,Bob Example,bob@customer.test,,en-US,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,30.00,USD,2026-11-01,Mobile plan October\n"
			       "INV-3,A-2,20.00,USD,2026-11-02,Roaming\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("cases");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static long long reminders(const char *ref)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.kind = 'reminder' "
		 "AND d.status = 'sent'",
		 ref);
	return tu_qint(db, sql);
}

/* The sink's message whose subject contains text: its index, or 0. */
static int find_subject(const char *text)
{
	for (int i = tu_mail_count(); i >= 1; i--) {
		json_t *m = tu_mail(i);
		int hit = strstr(json_string_value(json_object_get(m, "subject")), text) != NULL;
		json_decref(m);
		if (hit)
			return i;
	}
	return 0;
}

START_TEST(promise_pauses_then_resumes)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(reminders("A-1"), 1);
	ck_assert_msg(
		tu_sh("dunnctl -c %s promise A-1 --until 2026-11-20 --at 2026-11-11T12:00:00Z",
		      cfg) == 0,
		"%s", tu_output());
	tu_run_once(cfg, "2026-11-11T15:00:00Z");
	int i = find_subject("Thank you: we have noted your payment date");
	ck_assert_int_gt(i, 0);
	json_t *m = tu_mail(i);
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(m, "text")), "by November 20, 2026"));
	json_decref(m);
	/* Day 10 would be the second reminder: paused until the 20th ends. */
	tu_run_once(cfg, "2026-11-15T15:00:00Z");
	tu_run_once(cfg, "2026-11-20T15:00:00Z");
	ck_assert_int_eq(reminders("A-1"), 1);
	/* Still unpaid after the promised day: resumes by itself. */
	tu_run_once(cfg, "2026-11-21T15:00:00Z");
	ck_assert_int_eq(reminders("A-1"), 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events "
				 "WHERE kind = 'case_paused'"),
			 1);
}
END_TEST

START_TEST(promise_beyond_horizon_refused)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s promise A-1 --until 2027-06-01 --at 2026-11-11T12:00:00Z",
		      cfg),
		1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "max_promise_days"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s promise A-1 --until 2026-02-30", cfg), 2);
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s promise NOPE --until 2026-11-20 --at 2026-11-11T12:00:00Z",
		      cfg),
		1);
}
END_TEST

START_TEST(manual_pause_and_resume)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(tu_sh("dunnctl -c %s pause A-1 --reason hardship --note plan "
			       "--at 2026-11-10T16:00:00Z",
			       cfg),
			 0);
	tu_run_once(cfg, "2026-11-12T15:00:00Z");
	tu_run_once(cfg, "2026-11-14T15:00:00Z");
	ck_assert_int_eq(reminders("A-1"), 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s resume A-1 --at 2026-11-15T14:00:00Z", cfg), 0);
	tu_run_once(cfg, "2026-11-15T15:00:00Z");
	ck_assert_int_eq(reminders("A-1"), 2);
	ck_assert_int_eq(tu_sh("dunnctl -c %s resume A-1", cfg), 1);
}
END_TEST

START_TEST(dispute_pauses_one_invoice_then_rejected)
{
	char *ref;

	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 1);
	ck_assert_msg(tu_sh("dunnctl -c %s dispute INV-2 --reason 'not my call' "
			    "--at 2026-11-10T16:00:00Z",
			    cfg) == 0,
		      "%s", tu_output());
	ref = tu_qstr(db, "SELECT reference FROM dunning.disputes");
	ck_assert_ptr_nonnull(strstr(tu_output(), ref));
	/* A repeat intake is refused and names the open dispute. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute INV-2 --reason again", cfg), 1);
	tu_run_once(cfg, "2026-11-10T17:00:00Z");
	ck_assert_int_gt(find_subject(ref), 0);
	/* INV-3 is still owed: the case goes on for it. */
	tu_run_once(cfg, "2026-11-12T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 2);
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute reject %s --note 'the call was made from "
			       "your line on October 3' --at 2026-11-13T12:00:00Z",
			       cfg, ref),
			 0);
	tu_run_once(cfg, "2026-11-13T15:00:00Z");
	{
		/* The notice quotes the handler's resolution. */
		int i = find_subject("Your dispute D-1001: our findings");
		json_t *m;
		ck_assert_int_gt(i, 0);
		m = tu_mail(i);
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "text")),
					     "Our findings: the call was made from your line on "
					     "October 3"));
		json_decref(m);
	}
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute show %s", cfg, ref), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "rejected"));
	free(ref);
}
END_TEST

START_TEST(dispute_upheld_clears_the_charge)
{
	char *state;

	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s dispute INV-1 --reason wrong --at 2026-11-10T16:00:00Z", cfg),
		0);
	tu_run_once(cfg, "2026-11-11T15:00:00Z");
	state = tu_qstr(db,
			"SELECT state FROM dunning.cases c JOIN dunning.accounts a "
			"ON a.id = c.account_id WHERE a.external_ref = 'A-1'");
	ck_assert_str_eq(state, "disputed");
	free(state);
	ck_assert_int_eq(reminders("A-1"), 1);
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s dispute uphold D-1001 --at 2026-11-12T12:00:00Z", cfg), 0);
	tu_run_once(cfg, "2026-11-12T15:00:00Z");
	state = tu_qstr(db,
			"SELECT state FROM dunning.cases c JOIN dunning.accounts a "
			"ON a.id = c.account_id WHERE a.external_ref = 'A-1'");
	ck_assert_str_eq(state, "resolved");
	free(state);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT amount_due FROM dunning.invoices "
				 "WHERE external_ref = 'INV-1'"),
			 0);
	ck_assert_int_eq(tu_qint(db, "SELECT original_amount FROM dunning.disputes"), 4990);
	ck_assert_int_gt(find_subject("Your dispute D-1001: resolved in your favour"), 0);
}
END_TEST

START_TEST(payment_plan_kept_then_missed)
{
	char *status;

	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 1);
	/* $50.00 owed in two instalments, the first due Nov 15, then Nov 22. */
	ck_assert_msg(tu_sh("dunnctl -c %s plan A-2 --instalments 2 --every 7 --first 2026-11-15 "
			    "--at 2026-11-10T16:00:00Z",
			    cfg) == 0,
		      "%s", tu_output());
	ck_assert_int_eq(tu_qint(db, "SELECT sum(amount) FROM dunning.plan_instalments"), 5000);
	tu_run_once(cfg, "2026-11-12T15:00:00Z");
	tu_run_once(cfg, "2026-11-15T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 1);
	/* First instalment kept: the pause moves to the second one. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s plan pay 1 --at 2026-11-15T18:00:00Z", cfg), 0);
	tu_run_once(cfg, "2026-11-17T15:00:00Z");
	tu_run_once(cfg, "2026-11-22T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 1);
	/* Second one missed: the pause lapses, dunning resumes, plan broken. */
	tu_run_once(cfg, "2026-11-23T15:00:00Z");
	ck_assert_int_eq(reminders("A-2"), 2);
	status = tu_qstr(db, "SELECT status FROM dunning.payment_plans");
	ck_assert_str_eq(status, "broken");
	free(status);
	ck_assert_int_eq(tu_sh("dunnctl -c %s plan show 1", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "25.00 USD"));
}
END_TEST

START_TEST(payment_plan_completed_settles)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s plan A-2 --instalments 2 --every 7 --first 2026-11-15 "
		      "--at 2026-11-10T16:00:00Z",
		      cfg),
		0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s plan pay 1 --at 2026-11-14T18:00:00Z", cfg), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s plan pay 1 --at 2026-11-21T18:00:00Z", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "plan completed"));
	tu_run_once(cfg, "2026-11-22T15:00:00Z");
	char *state = tu_qstr(db,
			      "SELECT c.state FROM dunning.cases c JOIN dunning.accounts a "
			      "ON a.id = c.account_id WHERE a.external_ref = 'A-2'");
	ck_assert_str_eq(state, "resolved");
	free(state);
	ck_assert_int_eq(tu_sh("dunnctl -c %s plan pay 1", cfg), 1);
}
END_TEST

/* A total cap of 3 contacts in 7 days, and every step on two channels:
 * the daemon walking the days must never put a 4th contact in a window. */
START_TEST(total_cap_counts_both_channels_of_a_step)
{
	static const char POLICY[] =
		"{\"grace_days\": 3,\n"
		" \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
		" \"caps\": [{\"max\": 3, \"days\": 7}],\n"
		" \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
		"   {\"after_days\": 3, \"channels\": [\"email\", \"email2\"], \"template\": \"gentle\"},\n"
		"   {\"after_days\": 4, \"channels\": [\"email\", \"email2\"], \"template\": \"firm\"},\n"
		"   {\"after_days\": 5, \"channels\": [\"email\", \"email2\"], \"template\": \"firm\"}]}]}\n";
	char chans[512], at[32];
	long long worst;

	snprintf(chans, sizeof chans,
		 "{\"email2\": {\"module\": \"email\", \"server\": \"%s\","
		 " \"from\": \"Test Billing <billing@test.example>\", \"starttls\": \"off\"}}",
		 tu_env("DUNN_SMTP"));
	free(cfg);
	cfg = tu_config_channels(dir, conninfo, POLICY, chans);
	for (int day = 4; day <= 12; day++) {
		snprintf(at, sizeof at, "2026-11-%02dT15:00:00Z", day);
		tu_run_once(cfg, at);
	}
	/* The most contacts of one account in any 7-day window ending at a contact. */
	worst = tu_qint(
		db,
		"SELECT coalesce(max(n), 0) FROM (\n"
		"  SELECT (SELECT count(*) FROM dunning.deliveries e\n"
		"          WHERE e.account_id = d.account_id AND e.kind = 'reminder'\n"
		"            AND e.status = 'sent' AND e.created_at <= d.created_at\n"
		"            AND e.created_at > d.created_at - interval '7 days') AS n\n"
		"  FROM dunning.deliveries d WHERE d.kind = 'reminder' AND d.status = 'sent') w");
	ck_assert_int_eq(worst, 3);
	/* 2 on day 4, 1 on day 5 (the cap), none until the day-4 pair leaves
	 * the window, then the last step's 2 on day 11. */
	ck_assert_int_eq(reminders("A-1"), 5);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cases");
	TCase *tc = tcase_create("pauses and disputes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, promise_pauses_then_resumes);
	tcase_add_test(tc, promise_beyond_horizon_refused);
	tcase_add_test(tc, manual_pause_and_resume);
	tcase_add_test(tc, dispute_pauses_one_invoice_then_rejected);
	tcase_add_test(tc, dispute_upheld_clears_the_charge);
	tcase_add_test(tc, payment_plan_kept_then_missed);
	tcase_add_test(tc, payment_plan_completed_settles);
	tcase_add_test(tc, total_cap_counts_both_channels_of_a_step);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
