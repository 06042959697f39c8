/* The call team's queue end to end: the phone_task module writes tasks
 * inside the phone window, dunnctl tasks lists, claims and completes them,
 * and each outcome changes what the engine does next. Real PostgreSQL,
 * the real dunnd --once walking simulated days. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

/* America/New_York; 2026-11-01 is a Sunday, so day 3 is Wednesday the 4th.
 * Calls only 09:00-18:00 local on weekdays; the rest is the default
 * (a week after the customer was reached). */
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 0,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\"},\n"
	"  \"channel_windows\": {\"phone\": {\"start\": \"09:00\", \"end\": \"18:00\",\n"
	"                                    \"weekdays_only\": true}},\n"
	"  \"step_gap_hours\": 24,\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"email\"]},\n"
	"  \"tracks\": [{\"name\": \"calls\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"phone\"], \"template\": \"gentle\"},\n"
	"    {\"after_days\": 5, \"channels\": [\"phone\"], \"template\": \"firm\"},\n"
	"    {\"after_days\": 20, \"channels\": [\"phone\"], \"template\": \"final\"}]}]\n"
	"}\n";

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"A-2,Bob Example,bob@customer.test,+12025550102,ko-KR,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,30.00,USD,2026-11-01,Mobile plan October\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("tasks");
	cfg = tu_config_channels(dir, conninfo, POLICY,
				 "{\"phone\": {\"module\": \"phone_task\"}}");
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static long long q(const char *sql)
{
	return tu_qint(db, sql);
}

/* Phone deliveries of an account with the given status. */
static long long calls(const char *ref, const char *status)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.channel = 'phone' "
		 "AND d.status = '%s'",
		 ref, status);
	return tu_qint(db, sql);
}

static long long task_of(const char *ref)
{
	char sql[512];

	snprintf(
		sql, sizeof sql,
		"SELECT max(t.id) FROM dunning.phone_tasks t JOIN dunning.cases c ON c.id = t.case_id "
		"JOIN dunning.accounts a ON a.id = c.account_id WHERE a.external_ref = '%s'",
		ref);
	return tu_qint(db, sql);
}

static json_t *json_out(void)
{
	json_error_t err;
	json_t *j = json_loads(tu_output(), 0, &err);

	ck_assert_msg(j != NULL, "not one JSON document (%s):\n%s", err.text, tu_output());
	return j;
}

/* Day 3 of both accounts: their first call, on Wednesday 09:30 New York. */
static void first_calls(void)
{
	tu_run_once(cfg, "2026-11-04T14:30:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
	ck_assert_int_eq(calls("A-2", "sent"), 1);
}

START_TEST(task_created_inside_phone_window)
{
	char *due;

	/* 07:00 in New York: email could go, a call may not. */
	tu_run_once(cfg, "2026-11-04T12:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries"), 0);
	first_calls();
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 2);
	/* Due when the engine placed it (now), linked to delivery and case. */
	due = tu_qstr(db,
		      "SELECT to_char(min(due_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
		      "FROM dunning.phone_tasks");
	ck_assert_str_eq(due, "2026-11-04 14:30");
	free(due);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks t JOIN dunning.deliveries d "
			   "ON d.id = t.delivery_id AND d.case_id = t.case_id "
			   "WHERE d.provider_message_id = 'task:' || t.id"),
			 2);
	/* The call script, rendered in the customer's language. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE note LIKE "
			   "'%Alice Example%$49.90%' AND note LIKE '%pay.test/p/%'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE note LIKE '%통화%'"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'phone_task_created'"),
			 2);
	/* Idempotent: the same run again creates nothing new. */
	tu_run_once(cfg, "2026-11-04T14:40:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 2);
}
END_TEST

START_TEST(list_and_claim)
{
	json_t *j, *t;
	long long id;

	first_calls();
	id = task_of("A-1");
	ck_assert_msg(tu_sh("dunnctl -c %s tasks list --json", cfg) == 0, "%s", tu_output());
	j = json_out();
	ck_assert_int_eq(json_array_size(json_object_get(j, "tasks")), 2);
	t = json_array_get(json_object_get(j, "tasks"), 0);
	ck_assert(json_is_null(json_object_get(t, "assignee")));
	ck_assert(json_is_null(json_object_get(t, "outcome")));
	ck_assert_str_eq(json_string_value(json_object_get(t, "channel")), "phone");
	json_decref(j);
	ck_assert_msg(tu_sh("dunnctl -c %s tasks claim %lld --as alice --json", cfg, id) == 0, "%s",
		      tu_output());
	j = json_out();
	ck_assert_str_eq(json_string_value(json_object_get(j, "assignee")), "alice");
	json_decref(j);
	/* Someone else's task is not taken over; claiming twice is fine. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks claim %lld --as bob", cfg, id), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "claimed by alice"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks claim %lld --as alice", cfg, id), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks claim 999999 --as alice", cfg), 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "alice"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "49.90 USD"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'phone_task_claimed'"),
			 2);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks --help", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "promise_to_pay"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome shrug", cfg, id), 2);
}
END_TEST

START_TEST(reached_rests_the_phone_for_a_week)
{
	json_t *j;

	first_calls();
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome reached --as alice "
			    "--at 2026-11-04T15:00:00Z --json",
			    cfg, task_of("A-1")) == 0,
		      "%s", tu_output());
	j = json_out();
	ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")), "reached");
	json_decref(j);
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome no_answer "
			    "--at 2026-11-04T15:00:00Z",
			    cfg, task_of("A-2")) == 0,
		      "%s", tu_output());
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list --json", cfg), 0);
	j = json_out();
	ck_assert_int_eq(json_array_size(json_object_get(j, "tasks")), 0);
	json_decref(j);
	/* Day 5, Friday: the second call step. A-1 was reached on Wednesday. */
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
	ck_assert_int_eq(calls("A-2", "sent"), 2);
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
	/* A week after the call it may ring again. */
	tu_run_once(cfg, "2026-11-11T16:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 2);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.events WHERE kind = "
		  "'phone_task_completed' AND detail->>'outcome' IN ('reached', 'no_answer')"),
		2);
}
END_TEST

START_TEST(promise_to_pay_pauses_the_case)
{
	char *s;
	json_t *j;

	first_calls();
	/* Beyond the policy's horizon: refused, the task stays open. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome promise_to_pay "
			       "--until 2027-06-01 --at 2026-11-04T15:00:00Z",
			       cfg, task_of("A-1")),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE completed_at IS NULL"),
			 2);
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome promise_to_pay "
			    "--until 2026-11-20 --at 2026-11-04T15:00:00Z --json",
			    cfg, task_of("A-1")) == 0,
		      "%s", tu_output());
	j = json_out();
	ck_assert_str_eq(json_string_value(json_object_get(j, "paused_until")),
			 "2026-11-21T05:00:00Z");
	json_decref(j);
	s = tu_qstr(db,
		    "SELECT state || ':' || pause_reason FROM dunning.cases c "
		    "JOIN dunning.accounts a ON a.id = c.account_id WHERE a.external_ref = 'A-1'");
	ck_assert_str_eq(s, "paused:promise");
	free(s);
	/* Like dunnctl promise: the acknowledgement is queued and audited. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'promise_ack'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'case_paused' "
			   "AND detail->>'source' = 'call'"),
			 1);
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	tu_run_once(cfg, "2026-11-12T15:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
	ck_assert_int_eq(calls("A-2", "sent"), 2);
}
END_TEST

START_TEST(dispute_opened_from_a_call)
{
	char *s;

	first_calls();
	/* Only an invoice of the task's own account. */
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s tasks complete %lld --outcome dispute --invoice INV-2 "
		      "--reason 'never ordered'",
		      cfg, task_of("A-1")),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.disputes"), 0);
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s tasks complete %lld --outcome dispute --invoice INV-1", cfg,
		      task_of("A-1")),
		2);
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome dispute --invoice INV-1 "
			    "--reason 'never ordered' --at 2026-11-04T15:00:00Z",
			    cfg, task_of("A-1")) == 0,
		      "%s", tu_output());
	ck_assert_ptr_nonnull(strstr(tu_output(), "dispute D-"));
	s = tu_qstr(db,
		    "SELECT d.channel || ':' || d.status || ':' || i.disputed "
		    "FROM dunning.disputes d JOIN dunning.invoices i ON i.id = d.invoice_id");
	ck_assert_str_eq(s, "phone:open:true");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'dispute_ack'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE outcome = 'dispute' "
			   "AND completed_at IS NOT NULL"),
			 1);
	/* The only invoice is disputed: no more calls. */
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
}
END_TEST

START_TEST(wrong_number_suppresses_the_phone)
{
	json_t *j;

	first_calls();
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome wrong_number --json", cfg,
			    task_of("A-1")) == 0,
		      "%s", tu_output());
	j = json_out();
	ck_assert_int_eq(json_integer_value(json_object_get(j, "suppressed")), 2);
	json_decref(j);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.suppressions WHERE address = '+12025550101' "
		  "AND reason = 'manual' AND source = 'call' AND channel IN ('sms', 'phone')"),
		2);
	/* The next call step is suppressed, not turned into a task. */
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(calls("A-1", "sent"), 1);
	ck_assert_int_eq(calls("A-1", "suppressed"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks t JOIN dunning.cases c "
			   "ON c.id = t.case_id JOIN dunning.accounts a ON a.id = c.account_id "
			   "WHERE a.external_ref = 'A-1'"),
			 1);
	/* A completed task cannot be completed again. */
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s tasks complete %lld --outcome reached", cfg, task_of("A-1")),
		1);
}
END_TEST

START_TEST(callback_reschedules)
{
	char *s, sql[512];
	long long id;

	first_calls();
	id = task_of("A-1");
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome callback "
			    "--at 2026-11-05T19:30:00Z --as alice",
			    cfg, id) == 0,
		      "%s", tu_output());
	snprintf(
		sql, sizeof sql,
		"SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ':' || "
		"(completed_at IS NULL) || ':' || assignee FROM dunning.phone_tasks WHERE id = %lld",
		id);
	s = tu_qstr(db, sql);
	ck_assert_str_eq(s, "2026-11-05 19:30:true:alice");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = "
			   "'phone_task_rescheduled'"),
			 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome callback", cfg, id), 2);
	/* Still open: it can be completed later. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome reached", cfg, id), 0);
}
END_TEST

/* A reply the review queue decided is no call: with at most 2 calls in 7
 * days, A-1's decided review leaves its second call step due as A-2's. */
START_TEST(decided_review_is_no_call)
{
	static const char CAPPED[] =
		"{\n"
		"  \"grace_days\": 0,\n"
		"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\"},\n"
		"  \"channel_windows\": {\"phone\": {\"start\": \"09:00\", \"end\": \"18:00\",\n"
		"                                    \"weekdays_only\": true}},\n"
		"  \"caps\": [{\"channel\": \"phone\", \"max\": 2, \"days\": 7}, {\"max\": 2, \"days\": 7}],\n"
		"  \"step_gap_hours\": 24,\n"
		"  \"tracks\": [{\"name\": \"calls\", \"steps\": [\n"
		"    {\"after_days\": 3, \"channels\": [\"phone\"], \"template\": \"gentle\"},\n"
		"    {\"after_days\": 5, \"channels\": [\"phone\"], \"template\": \"firm\"}]}]\n"
		"}\n";
	long long id;

	free(cfg);
	cfg = tu_config_channels(dir, conninfo, CAPPED,
				 "{\"phone\": {\"module\": \"phone_task\"}}");
	first_calls();
	/* An unclear SMS reply of A-1's, queued for review and decided. */
	id = q("INSERT INTO dunning.phone_tasks (case_id, due_at, note, kind, created_at)\n"
	       "SELECT c.id, '2026-11-04T16:00:00Z', 'SMS reply: STOP please', 'review',\n"
	       "       '2026-11-04T16:00:00Z'\n"
	       "FROM dunning.cases c JOIN dunning.accounts a ON a.id = c.account_id\n"
	       "WHERE a.external_ref = 'A-1' RETURNING id");
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome opt_out "
			    "--at 2026-11-04T16:30:00Z",
			    cfg, id) == 0,
		      "%s", tu_output());
	/* Day 5, Friday: both second calls, within either cap. */
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(calls("A-2", "sent"), 2);
	ck_assert_int_eq(calls("A-1", "sent"), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tasks");
	TCase *tc = tcase_create("phone tasks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, task_created_inside_phone_window);
	tcase_add_test(tc, list_and_claim);
	tcase_add_test(tc, reached_rests_the_phone_for_a_week);
	tcase_add_test(tc, promise_to_pay_pauses_the_case);
	tcase_add_test(tc, dispute_opened_from_a_call);
	tcase_add_test(tc, wrong_number_suppresses_the_phone);
	tcase_add_test(tc, callback_reschedules);
	tcase_add_test(tc, decided_review_is_no_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
