/* dunnctl status, report and purge against a real database, read back
 * through --json with jansson: a small book walked through November by the
 * real dunnd --once, with payments, a failure and an opt-out in it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] = "account_ref,name,email,phone,locale,timezone,segment\n"
			       "A-1,Alice Example,alice@customer.test,+12025550101,en,UTC,retail\n"
			       "A-2,Kim Minji,kim@customer.test,+821012345678,ko,UTC,retail\n"
			       "A-3,Sato Yui,sato@customer.test,+81312345678,ja,UTC,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,120000,KRW,2026-11-01,Mobile plan October\n"
			       "INV-3,A-3,5000,JPY,2026-11-01,Mobile plan October\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("report");
	cfg = tu_config(dir, conninfo, NULL, "\"retention_days\": 400");
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static void ctl_ok(const char *args)
{
	ck_assert_msg(tu_sh("dunnctl -c %s %s", cfg, args) == 0, "dunnctl %s:\n%s", args,
		      tu_output());
}

/* dunnctl ... --json: exit 0 and exactly one JSON document on stdout. */
static json_t *ctl_json(const char *args)
{
	json_error_t err;
	json_t *j;

	ctl_ok(args);
	j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "dunnctl %s: not one JSON document (%s):\n%s", args, err.text,
		      tu_output());
	return j;
}

static long long jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
	return (long long)json_integer_value(v);
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "no string '%s'", key);
	return json_string_value(v);
}

/* Row of the funnel for track/step/channel, or NULL. */
static json_t *funnel_row(const json_t *doc, const char *track, int step, const char *channel)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "rows"), i,
			   r) if (!strcmp(jstr(r, "track"), track) && jint(r, "step") == step &&
				  !strcmp(jstr(r, "channel"), channel)) return r;
	return NULL;
}

/* November: step 1 (day 3) to everyone, A-3's fails; A-1 pays within a
 * week; A-2 pays part (20000 KRW) before step 2; step 2 (day 10) to A-2
 * and A-3; A-3 opts out the day after and pays part (2000 JPY) the day
 * after that; A-2 pays the rest nine days after its second reminder; step
 * 3 (day 21) to A-3 is suppressed. */
static void walk_november(void)
{
	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	PQclear(tu_q(db,
		     "UPDATE dunning.deliveries d SET status = 'failed', "
		     "last_error = 'smtp 550 no such user' FROM dunning.accounts a "
		     "WHERE a.id = d.account_id AND a.external_ref = 'A-3'"));
	ctl_ok("pay INV-1 --at 2026-11-06T09:00:00Z");
	ctl_ok("pay INV-2 --amount 20000 --at 2026-11-08T09:00:00Z");
	tu_run_once(cfg, "2026-11-11T10:00:00Z");
	PQclear(tu_q(db,
		     "INSERT INTO dunning.suppressions (channel, address, reason, source, "
		     "created_at) VALUES ('email', 'sato@customer.test', 'opt-out', 'test', "
		     "'2026-11-12T08:00:00Z')"));
	ctl_ok("pay INV-3 --amount 2000 --at 2026-11-13T09:00:00Z");
	ctl_ok("pay INV-2 --at 2026-11-20T09:00:00Z");
	tu_run_once(cfg, "2026-11-22T10:00:00Z");
}

START_TEST(funnel_per_track_step_channel)
{
	json_t *doc, *r;

	walk_november();
	doc = ctl_json("report --from 2026-11-01 --to 2026-11-30 --json");
	ck_assert_str_eq(jstr(doc, "from"), "2026-11-01");
	ck_assert_str_eq(jstr(doc, "to"), "2026-11-30");
	ck_assert_int_eq(json_array_size(json_object_get(doc, "rows")), 3);
	r = funnel_row(doc, "first_time", 1, "email");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(jint(r, "reminders"), 3);
	ck_assert_int_eq(jint(r, "sent"), 2);
	ck_assert_int_eq(jint(r, "failed"), 1);
	ck_assert(json_real_value(json_object_get(r, "error_rate")) > 0.3333 - 1e-9 &&
		  json_real_value(json_object_get(r, "error_rate")) < 0.3334);
	ck_assert_int_eq(jint(r, "opt_outs"), 0);
	ck_assert_int_eq(jint(r, "paid_7d"), 1);
	ck_assert_int_eq(jint(r, "paid_30d"), 1);
	ck_assert_str_eq(jstr(json_object_get(r, "recovered"), "USD"), "49.90");
	/* Recovered is the ledger: A-2's part payment before step 2 is step 1's. */
	ck_assert_str_eq(jstr(json_object_get(r, "recovered"), "KRW"), "20000");
	ck_assert_int_eq(json_object_size(json_object_get(r, "recovered")), 2);
	/* A-2 paid the rest after its second reminder: the last touch gets it,
	 * and A-3's part payment, though nothing of A-3's is settled. */
	r = funnel_row(doc, "first_time", 2, "email");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(jint(r, "reminders"), 2);
	ck_assert_int_eq(jint(r, "sent"), 2);
	ck_assert_int_eq(jint(r, "failed"), 0);
	ck_assert_int_eq(jint(r, "opt_outs"), 1);
	ck_assert_int_eq(jint(r, "paid_7d"), 0);
	ck_assert_int_eq(jint(r, "paid_30d"), 1);
	ck_assert_str_eq(jstr(json_object_get(r, "recovered"), "KRW"), "100000");
	ck_assert_str_eq(jstr(json_object_get(r, "recovered"), "JPY"), "2000");
	ck_assert_int_eq(json_object_size(json_object_get(r, "recovered")), 2);
	r = funnel_row(doc, "first_time", 3, "email");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(jint(r, "reminders"), 1);
	ck_assert_int_eq(jint(r, "sent"), 0);
	ck_assert_int_eq(jint(r, "opt_outs"), 0);
	r = json_object_get(doc, "totals");
	ck_assert_int_eq(jint(r, "reminders"), 6);
	ck_assert_int_eq(jint(r, "sent"), 4);
	ck_assert_int_eq(jint(r, "failed"), 1);
	ck_assert_int_eq(jint(r, "opt_outs"), 1);
	ck_assert_int_eq(jint(r, "paid_30d"), 2);
	ck_assert_str_eq(jstr(json_object_get(r, "recovered"), "KRW"), "120000");
	ck_assert_int_eq(json_object_size(json_object_get(r, "recovered")), 3);
	json_decref(doc);
	/* A period before anything was sent is empty, not an error. */
	doc = ctl_json("report --from 2026-10-01 --to 2026-10-31 --json");
	ck_assert_int_eq(json_array_size(json_object_get(doc, "rows")), 0);
	ck_assert_int_eq(jint(json_object_get(doc, "totals"), "reminders"), 0);
	json_decref(doc);
	/* Text form and arguments. */
	ctl_ok("report --from 2026-11-01 --to 2026-11-30");
	ck_assert_ptr_nonnull(strstr(tu_output(), "first_time/2/email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "120000 KRW"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s report --from 2026-11-30 --to 2026-11-01", cfg), 2);
	ck_assert_int_eq(tu_sh("dunnctl -c %s report --from 2026-02-30", cfg), 2);
	doc = ctl_json("report --json");
	ck_assert_int_eq(strlen(jstr(doc, "from")), 10);
	json_decref(doc);
	ctl_ok("report --help");
	ck_assert_ptr_nonnull(strstr(tu_output(), "last touch"));
}
END_TEST

START_TEST(status_shows_the_state_of_things)
{
	json_t *doc, *e;
	size_t i;
	int found = 0;

	walk_november();
	doc = ctl_json("dispute INV-3 --reason 'not mine' --json");
	ck_assert_str_eq(jstr(doc, "dispute"), "D-1001");
	json_decref(doc);
	PQclear(tu_q(db,
		     "INSERT INTO dunning.phone_tasks (case_id, due_at, note) "
		     "SELECT id, now() - interval '1 hour', 'call back' FROM dunning.cases "
		     "WHERE state <> 'resolved'"));
	doc = ctl_json("status --json");
	ck_assert_int_eq(jint(json_object_get(doc, "cases"), "resolved"), 2);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(doc, "cases"), "active")) +
			json_integer_value(
				json_object_get(json_object_get(doc, "cases"), "disputed")),
		1);
	/* The dispute's acknowledgement waits in the outbox, due now. */
	ck_assert_int_ge(json_array_size(json_object_get(doc, "outbox")), 1);
	ck_assert_int_ge(jint(doc, "outbox_due"), 1);
	ck_assert_int_ge(jint(doc, "oldest_due_seconds"), 0);
	json_array_foreach(json_object_get(doc, "errors"), i,
			   e) if (!strcmp(jstr(e, "error"), "smtp 550 no such user") &&
				  !strcmp(jstr(e, "channel"), "email")) found = 1;
	ck_assert(found);
	ck_assert_int_le(json_array_size(json_object_get(doc, "errors")), 10);
	ck_assert_msg(jint(json_object_get(doc, "last_hour"), "sent") >= 5, "last hour: %s",
		      json_dumps(json_object_get(doc, "last_hour"), JSON_COMPACT));
	ck_assert_int_eq(jint(json_object_get(doc, "phone_tasks"), "open"), 1);
	ck_assert_int_eq(jint(json_object_get(doc, "phone_tasks"), "due"), 1);
	ck_assert_int_eq(jint(json_object_get(doc, "disputes"), "open"), 1);
	json_decref(doc);
	ctl_ok("status");
	ck_assert_ptr_nonnull(strstr(tu_output(), "phone tasks: 1 open"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "smtp 550 no such user"));
	ctl_ok("status --help");
}
END_TEST

START_TEST(case_commands_speak_json)
{
	json_t *doc;

	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	doc = ctl_json("pause A-3 --reason hardship --until 2026-11-30 --json "
		       "--at 2026-11-05T10:00:00Z");
	ck_assert_str_eq(jstr(doc, "reason"), "hardship");
	ck_assert_str_eq(jstr(doc, "paused_until"), "2026-12-01T00:00:00Z");
	json_decref(doc);
	doc = ctl_json("resume A-3 --json --at 2026-11-06T10:00:00Z");
	ck_assert_str_eq(jstr(doc, "state"), "active");
	json_decref(doc);
	doc = ctl_json("promise A-3 --until 2026-11-20 --at 2026-11-06T10:00:00Z --json");
	ck_assert_str_eq(jstr(doc, "reason"), "promise");
	json_decref(doc);
	doc = ctl_json("dispute INV-2 --reason 'double charge' --json");
	ck_assert_str_eq(jstr(doc, "status"), "open");
	json_decref(doc);
	doc = ctl_json("dispute show D-1001 --json");
	ck_assert_str_eq(jstr(doc, "invoice_ref"), "INV-2");
	json_decref(doc);
	doc = ctl_json("dispute reject D-1001 --note checked --json");
	ck_assert_str_eq(jstr(doc, "status"), "rejected");
	json_decref(doc);
}
END_TEST

/* Every figure of every row and of the totals, as one string. */
static char *figures(const json_t *doc)
{
	json_t *all = json_pack("{s:O, s:O}", "rows", json_object_get(doc, "rows"), "totals",
				json_object_get(doc, "totals"));
	char *s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(all);
	return s;
}

/* The open cases' deliveries, every column purge could touch. */
#define OPEN_ROWS                                                                                \
	"SELECT string_agg(concat_ws('|', d.id, d.status, d.address, d.created_at, d.sent_at), " \
	"',' ORDER BY d.id) FROM dunning.deliveries d JOIN dunning.cases c ON c.id = d.case_id " \
	"WHERE c.state <> 'resolved'"

START_TEST(purge_erases_pii_and_keeps_the_figures)
{
	json_t *before, *doc, *after;
	long long n, open_deliveries, fees_closed;
	char *fb, *fa, *open_rows;

	walk_november();
	PQclear(tu_q(db,
		     "INSERT INTO dunning.inbound_messages (address, body, account_id, case_id, "
		     "source) SELECT a.phone, 'I paid already', a.id, c.id, 'sms' "
		     "FROM dunning.accounts a JOIN dunning.cases c ON c.account_id = a.id "
		     "WHERE a.external_ref IN ('A-1', 'A-3')"));
	PQclear(tu_q(db,
		     "INSERT INTO dunning.phone_tasks (case_id, due_at, note) "
		     "SELECT id, '2026-11-12T10:00:00Z', 'SMS reply: I paid already' "
		     "FROM dunning.cases"));
	/* A waived fee on every invoice, its reason in the agent's words. */
	PQclear(tu_q(db,
		     "INSERT INTO dunning.fees (case_id, account_id, invoice_id, cycle, step, "
		     "currency, amount, base, created_at, waived_at, waived_by, waive_reason) "
		     "SELECT c.id, c.account_id, i.id, c.cycle, 99, i.currency, 100, 0, "
		     "'2026-11-10T10:00:00Z', '2026-11-11T10:00:00Z', 'sue', "
		     "'customer was in hospital' FROM dunning.cases c "
		     "JOIN dunning.invoices i ON i.account_id = c.account_id"));
	fees_closed = tu_qint(db,
			      "SELECT count(*) FROM dunning.fees f JOIN dunning.cases c "
			      "ON c.id = f.case_id WHERE c.state = 'resolved'");
	ck_assert_int_gt(fees_closed, 0);
	before = ctl_json("report --from 2026-11-01 --to 2026-11-30 --json");
	open_deliveries = tu_qint(
		db,
		"SELECT count(*) FROM dunning.deliveries d "
		"JOIN dunning.cases c ON c.id = d.case_id WHERE c.state <> 'resolved'");
	ck_assert_int_gt(open_deliveries, 0);
	open_rows = tu_qstr(db, OPEN_ROWS);

	/* Default from the config (retention_days), and a dry run changes nothing. */
	doc = ctl_json("purge --dry-run --json");
	ck_assert_int_eq(jint(doc, "older_than_days"), 400);
	json_decref(doc);
	doc = ctl_json("purge --older-than 10 --at 2026-12-15T00:00:00Z --dry-run --json");
	ck_assert(json_is_true(json_object_get(doc, "dry_run")));
	ck_assert_int_eq(jint(doc, "accounts_anonymised"), 2);
	n = jint(doc, "deliveries_deleted");
	ck_assert_int_gt(n, 0);
	json_decref(doc);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.accounts WHERE name = 'purged'"),
			 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"),
			 n + open_deliveries);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.report_daily"), 0);

	doc = ctl_json("purge --older-than 10 --at 2026-12-15T00:00:00Z --json");
	ck_assert(json_is_false(json_object_get(doc, "dry_run")));
	ck_assert_str_eq(jstr(doc, "cutoff"), "2026-12-05T00:00:00Z");
	ck_assert_int_eq(jint(doc, "accounts_anonymised"), 2);
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), n);
	ck_assert_int_eq(jint(doc, "inbound_messages_erased"), 1);
	ck_assert_int_eq(jint(doc, "phone_task_notes_cleared"), 2);
	ck_assert_int_eq(jint(doc, "fee_waive_reasons_cleared"), fees_closed);
	ck_assert_int_gt(jint(doc, "events_stripped"), 0);
	ck_assert_int_gt(jint(doc, "report_daily_rows"), 0);
	json_decref(doc);
	/* paid and their cases are closed; A-3 still owes. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.accounts WHERE name = 'purged' "
				 "AND email IS NULL AND phone IS NULL "
				 "AND external_ref IN ('A-1', 'A-2')"),
			 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.accounts WHERE external_ref = "
				 "'A-3' AND name = 'Sato Yui' AND phone IS NOT NULL"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.inbound_messages "
				 "WHERE body IS NOT NULL"),
			 1);
	/* The closed cases' fee lines keep amount, time and who, not why;
	 * A-3's keep their reason. */
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.fees f JOIN dunning.cases c "
			"ON c.id = f.case_id WHERE c.state = 'resolved' AND "
			"f.waive_reason IS NULL AND f.waived_by = 'sue' AND f.amount = 100"),
		fees_closed);
	ck_assert_int_gt(tu_qint(db,
				 "SELECT count(*) FROM dunning.fees f JOIN dunning.cases c "
				 "ON c.id = f.case_id WHERE c.state <> 'resolved' AND "
				 "f.waive_reason = 'customer was in hospital'"),
			 0);
	/* A-3's case is open: its deliveries and events stay as they were. */
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), open_deliveries);
	fa = tu_qstr(db, OPEN_ROWS);
	ck_assert_str_eq(fa, open_rows);
	free(fa);
	free(open_rows);
	ck_assert_int_gt(
		tu_qint(db,
			"SELECT count(*) FROM dunning.events e JOIN dunning.cases c "
			"ON c.id = e.case_id WHERE c.state <> 'resolved' AND e.detail ? 'step'"),
		0);
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.events e "
			"WHERE e.at < '2026-12-05T00:00:00Z' "
			"AND NOT EXISTS (SELECT 1 FROM dunning.cases c WHERE c.id = e.case_id "
			"AND c.state <> 'resolved') AND EXISTS ("
			"SELECT 1 FROM jsonb_each(e.detail) x(k, v) "
			"WHERE k NOT LIKE '%\\_id' AND k <> 'id' AND k <> 'stage')"),
		0);
	ck_assert_int_gt(tu_qint(db,
				 "SELECT count(*) FROM dunning.events "
				 "WHERE detail ? 'case_id' OR detail ? 'invoice_id' "
				 "OR detail ? 'phone_task_id'"),
			 0);

	/* The counts survive in report_daily. */
	after = ctl_json("report --from 2026-11-01 --to 2026-11-30 --json");
	ck_assert_int_eq(jint(json_object_get(after, "totals"), "reminders"),
			 jint(json_object_get(before, "totals"), "reminders"));
	ck_assert_int_eq(jint(json_object_get(after, "totals"), "sent"),
			 jint(json_object_get(before, "totals"), "sent"));
	ck_assert_int_eq(jint(json_object_get(after, "totals"), "failed"),
			 jint(json_object_get(before, "totals"), "failed"));
	ck_assert_int_eq(jint(funnel_row(after, "first_time", 1, "email"), "failed"), 1);
	/* Every figure, paid within 7 and 30 days and recovered included. */
	ck_assert_int_eq(jint(json_object_get(before, "totals"), "paid_30d"), 2);
	fb = figures(before);
	fa = figures(after);
	ck_assert_str_eq(fa, fb);
	free(fb);
	free(fa);
	json_decref(before);
	json_decref(after);

	/* Again: nothing left to do. */
	doc = ctl_json("purge --older-than 10 --at 2026-12-15T00:00:00Z --json");
	ck_assert_int_eq(jint(doc, "accounts_anonymised"), 0);
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), 0);
	ck_assert_int_eq(jint(doc, "events_stripped"), 0);
	ck_assert_int_eq(jint(doc, "fee_waive_reasons_cleared"), 0);
	json_decref(doc);
	ctl_ok("purge --older-than 10 --at 2026-12-15T00:00:00Z");
	ck_assert_ptr_nonnull(strstr(tu_output(), "deliveries deleted"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s purge --older-than 0", cfg), 2);
	ctl_ok("purge --help");
}
END_TEST

/* More old deliveries than one purge batch (10,000): every one of the
 * closed cases is deleted and counted, batch after batch (whole accounts
 * each), and the open case's stay. */
START_TEST(purge_goes_batch_by_batch)
{
	json_t *doc;
	long long before, open;

	walk_november();
	PQclear(tu_q(db,
		     "INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, "
		     "template, status, next_attempt_at, created_at, sent_at) "
		     "SELECT c.id, c.account_id, c.cycle, 100 + g, 'email', 'gentle', 'sent', "
		     "'2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z' "
		     "FROM (SELECT * FROM dunning.cases WHERE state = 'resolved') c, "
		     "generate_series(1, 12500) g"));
	before = tu_qint(db, "SELECT count(*) FROM dunning.deliveries");
	open = tu_qint(db,
		       "SELECT count(*) FROM dunning.deliveries d JOIN dunning.cases c "
		       "ON c.id = d.case_id WHERE c.state <> 'resolved'");
	ck_assert_int_gt(before, 25000);
	ck_assert_int_gt(open, 0);
	doc = ctl_json("purge --older-than 10 --at 2026-12-15T00:00:00Z --json");
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), before - open);
	json_decref(doc);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), open);
	ck_assert_int_eq(tu_qint(db, "SELECT sum(n) FROM dunning.report_daily"), before - open);
	ck_assert_int_eq(tu_qint(db, "SELECT sum(n) FROM dunning.report_daily WHERE step > 100"),
			 25000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("status, report, purge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, funnel_per_track_step_channel);
	tcase_add_test(tc, status_shows_the_state_of_things);
	tcase_add_test(tc, case_commands_speak_json);
	tcase_add_test(tc, purge_erases_pii_and_keeps_the_figures);
	tcase_add_test(tc, purge_goes_batch_by_batch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
