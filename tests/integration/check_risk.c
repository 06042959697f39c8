/* Risk from history, end to end: dunning.risk_inputs and risk_score
 * (migrations/0026_risk.sql) against an oracle computed here over
 * generated histories; two accounts with different histories taken by
 * the real dunnd --once to different tracks and timings, with real mail;
 * the score stored with its time, recomputed at the claim once stale,
 * and shown by dunnctl risk. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] = "account_ref,name,email,phone,locale,timezone,segment\n"
			       "R-1,Risky Customer,risky@customer.test,,en,UTC,\n"
			       "G-1,Good Customer,good@customer.test,,en,UTC,\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-R,R-1,50.00,USD,2026-11-01,October\n"
			       "INV-G,G-1,50.00,USD,2026-11-01,October\n";

/* Both bands' cadence on the policy; risky from 0.3, low below 0.1. */
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\"},\n"
	"  \"risk\": {\"high_from\": 0.3, \"low_below\": 0.1, \"max_age_hours\": 24},\n"
	"  \"cadence\": {\"high\": 0.5, \"low\": 1.5},\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"risky\", \"when\": {\"min_risk\": 0.3}, \"steps\": [\n"
	"      {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"firm\"},\n"
	"      {\"after_days\": 13, \"channels\": [\"email\"], \"template\": \"firm\"}]},\n"
	"    {\"name\": \"steady\", \"steps\": [\n"
	"      {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"      {\"after_days\": 13, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
	"}\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("risk");
	cfg = tu_config(dir, conninfo, POLICY, NULL);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static void exec(const char *sql)
{
	PQclear(tu_q(db, sql));
}

static long long account_id(const char *ref)
{
	return tu_qintf(db, "SELECT id FROM dunning.accounts WHERE external_ref = '%s'", ref);
}

/* The formula, written again from its documentation (README, dunnd.json(5)). */
static double oracle_score(int cycles, double late, int pk, int pb, int lk, int lb, int bounces,
			   int upheld)
{
	double s = 0.25 * (cycles > 4 ? 4 : cycles) / 4.0 + 0.30 * (late > 60 ? 60 : late) / 60.0 +
		0.15 * pb / (double)(pk + pb + 1) + 0.15 * lb / (double)(lk + lb + 1) +
		0.15 * (bounces > 3 ? 3 : bounces) / 3.0 - 0.10 * (upheld > 2 ? 2 : upheld) / 2.0;
	return s < 0 ? 0 : s > 1 ? 1 : s;
}

struct hist {
	int cycles, paid, pk, pb, lk, lb, bounces, upheld;
	double late_sum;
};

static unsigned rng = 12345;

static int rnd(int n)
{
	rng = rng * 1103515245u + 12345u;
	return (int)((rng >> 16) % (unsigned)n);
}

/* One generated history for account acct as of 2026-11-15 12:00 UTC,
 * written row by row; what the oracle should count comes back in h.
 * Every offset stays clear of the 12-month edge (days 10 to 330 inside,
 * 400 and more outside). */
static void generate(long long acct, struct hist *h)
{
	char sql[1024];
	long long open_case;
	int ncase = rnd(6), ninv = rnd(6), nprom = rnd(4), nplan = rnd(4), nbounce = rnd(5);
	int cycle = 1;

	memset(h, 0, sizeof *h);
	for (int k = 0; k < ncase; k++) {
		int old = rnd(4) == 0;
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.cases (account_id, cycle, state, opened_at, closed_at) "
			"VALUES (%lld, %d, 'resolved', timestamptz '2026-11-15 12:00Z' - "
			"interval '%d days', timestamptz '2026-11-15 12:00Z' - interval '%d days')",
			acct, cycle++, old ? 400 + rnd(50) : 40 + rnd(290), old ? 390 : 30);
		exec(sql);
		h->cycles += !old;
	}
	snprintf(sql, sizeof sql,
		 "INSERT INTO dunning.cases (account_id, cycle, state, opened_at, next_action_at) "
		 "VALUES (%lld, %d, 'active', '2026-11-10 12:00Z', '2027-06-01Z')",
		 acct, cycle);
	exec(sql);
	open_case = tu_qintf(db,
			     "SELECT id FROM dunning.cases WHERE account_id = %lld "
			     "AND state = 'active'",
			     acct);
	for (int k = 0; k < ninv; k++) {
		int old = rnd(5) == 0, due = 100 + rnd(200), late = rnd(80) - 10;
		int upheld = !old && rnd(5) == 0;
		if (old)
			due = 420 + rnd(50);
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, "
			"amount_paid, currency, due_date, paid_at) VALUES (%lld, 'H-%lld-%d', 1000, "
			"1000, 'USD', date '2026-11-15' - %d, "
			"(date '2026-11-15' - %d + %d) + time '12:00' AT TIME ZONE 'UTC')",
			acct, acct, k, due, due, late);
		exec(sql);
		if (upheld) {
			snprintf(sql, sizeof sql,
				 "INSERT INTO dunning.disputes (invoice_id, account_id, status, "
				 "opened_at, resolved_at) SELECT id, %lld, 'upheld', "
				 "timestamptz '2026-11-15 12:00Z' - interval '%d days', "
				 "timestamptz '2026-11-15 12:00Z' - interval '%d days' "
				 "FROM dunning.invoices WHERE external_ref = 'H-%lld-%d'",
				 acct, due, due - 5, acct, k);
			exec(sql);
			h->upheld++;
		} else if (!old) {
			h->paid++;
			h->late_sum += late > 0 ? late : 0;
		}
	}
	/* Promises one after another on the open case: made, due a week
	 * later, broken (an event an hour past the day) or not; the last may
	 * still be running. */
	for (int k = 0; k < nprom; k++) {
		int made = 300 - 60 * k, running = k == nprom - 1 && rnd(3) == 0;
		int broken = !running && rnd(2);
		if (running)
			made = 3;
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.events (at, kind, account_id, case_id, detail) "
			"SELECT timestamptz '2026-11-15 12:00Z' - interval '%d days', 'case_paused', "
			"%lld, %lld, jsonb_build_object('reason', 'promise', 'until', "
			"timestamptz '2026-11-15 12:00Z' - interval '%d days' + interval '7 days')",
			made, acct, open_case, made);
		exec(sql);
		if (broken) {
			snprintf(
				sql, sizeof sql,
				"INSERT INTO dunning.events (at, kind, account_id, case_id, detail) "
				"VALUES (timestamptz '2026-11-15 12:00Z' - interval '%d days' + "
				"interval '7 days 1 hour', 'promise_broken', %lld, %lld, '{}')",
				made, acct, open_case);
			exec(sql);
		}
		if (broken)
			h->pb++;
		else if (!running)
			h->pk++;
	}
	for (int k = 0; k < nplan; k++) {
		int old = rnd(4) == 0, kept = rnd(2);
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.payment_plans (account_id, case_id, status, created_at, "
			"closed_at) VALUES (%lld, %lld, '%s', '2025-01-01Z', "
			"timestamptz '2026-11-15 12:00Z' - interval '%d days')",
			acct, open_case, kept ? "completed" : "broken", old ? 420 : 20 + rnd(300));
		exec(sql);
		if (!old && kept)
			h->lk++;
		else if (!old)
			h->lb++;
	}
	for (int k = 0; k < nbounce; k++) {
		int bounced = rnd(3) > 0, old = rnd(4) == 0;
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, "
			"template, status, next_attempt_at, created_at) VALUES (%lld, %lld, %d, %d, "
			"'email', 'gentle', '%s', now(), timestamptz '2026-11-15 12:00Z' - "
			"interval '%d days')",
			open_case, acct, cycle, k + 1, bounced ? "bounced" : "delivered",
			old ? 410 : 5 + rnd(300));
		exec(sql);
		h->bounces += bounced && !old;
	}
}

START_TEST(formula_matches_the_oracle)
{
	int nonzero = 0, top = 0;

	for (int n = 0; n < 80; n++) {
		char sql[512], *got;
		struct hist h;
		long long acct;
		double want, score;
		PGresult *r;
		snprintf(sql, sizeof sql,
			 "INSERT INTO dunning.accounts (external_ref, name) VALUES ('O-%d', 'x') "
			 "RETURNING id",
			 n);
		got = tu_qstr(db, sql);
		acct = atoll(got);
		free(got);
		generate(acct, &h);
		want = oracle_score(h.cycles, h.paid ? h.late_sum / h.paid : 0, h.pk, h.pb, h.lk,
				    h.lb, h.bounces, h.upheld);
		snprintf(sql, sizeof sql,
			 "SELECT dunning.account_risk_refresh(%lld, '2026-11-15 12:00Z')", acct);
		got = tu_qstr(db, sql);
		score = strtod(got, NULL);
		free(got);
		snprintf(
			sql, sizeof sql,
			"SELECT cycles, days_late, paid_invoices, promises_kept, promises_broken, "
			"plans_kept, plans_broken, bounces, disputes_upheld, "
			"(computed_at = '2026-11-15 12:00Z')::int, score FROM dunning.account_risk "
			"WHERE account_id = %lld",
			acct);
		r = tu_q(db, sql);
		ck_assert_int_eq(PQntuples(r), 1);
		ck_assert_msg(atoi(PQgetvalue(r, 0, 0)) == h.cycles, "%d: cycles %s, want %d", n,
			      PQgetvalue(r, 0, 0), h.cycles);
		ck_assert_msg(fabs(strtod(PQgetvalue(r, 0, 1), NULL) -
				   (h.paid ? h.late_sum / h.paid : 0)) < 1e-9,
			      "%d: days_late %s, want %g", n, PQgetvalue(r, 0, 1),
			      h.paid ? h.late_sum / h.paid : 0);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 2)), h.paid);
		ck_assert_msg(atoi(PQgetvalue(r, 0, 3)) == h.pk &&
				      atoi(PQgetvalue(r, 0, 4)) == h.pb,
			      "%d: promises %s/%s, want %d/%d", n, PQgetvalue(r, 0, 3),
			      PQgetvalue(r, 0, 4), h.pk, h.pb);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 5)), h.lk);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 6)), h.lb);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 7)), h.bounces);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 8)), h.upheld);
		ck_assert_int_eq(atoi(PQgetvalue(r, 0, 9)), 1);
		ck_assert_msg(fabs(score - want) < 1e-9, "%d: score %.12f, want %.12f", n, score,
			      want);
		ck_assert(score >= 0 && score <= 1);
		PQclear(r);
		nonzero += score > 0;
		top += score >= 0.3;
	}
	/* The generator reached both ends of the scale. */
	ck_assert_int_gt(nonzero, 40);
	ck_assert_int_gt(top, 5);
	/* No history at all: 0, pays on time. */
	ck_assert_int_eq(
		tu_qintf(db, "SELECT (dunning.account_risk_refresh(%lld, '2026-11-15Z') = 0)::int",
			 account_id("G-1")),
		1);
	/* The formula's clamps and caps, by itself. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT (abs(dunning.risk_score(9, 500, 0, 9, 0, 9, 9, 0) - "
				 "(0.25 + 0.30 + 0.15 * 0.9 + 0.15 * 0.9 + 0.15)) < 1e-12)::int"),
			 1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT (dunning.risk_score(0, 0, 5, 0, 5, 0, 0, 5) = 0)::int"), 1);
}
END_TEST

/* three earlier cycles, each invoice paid 40 days late: 0.25 * 3/4 +
 * 0.30 * 40/60 = 0.3875, the high band. G-1: no history, 0, the low band. */
static void seed_risky_history(void)
{
	long long r = account_id("R-1");
	char sql[768];

	for (int k = 1; k <= 3; k++) {
		snprintf(
			sql, sizeof sql,
			"INSERT INTO dunning.cases (account_id, cycle, state, opened_at, closed_at) "
			"VALUES (%lld, %d, 'resolved', date '2026-0%d-05', date '2026-0%d-12')",
			r, k, 2 * k, 2 * k + 1);
		exec(sql);
		snprintf(sql, sizeof sql,
			 "INSERT INTO dunning.invoices (account_id, external_ref, amount_due, "
			 "amount_paid, currency, due_date, paid_at) VALUES (%lld, 'OLD-%d', 5000, "
			 "5000, 'USD', date '2026-0%d-01', date '2026-0%d-01' + 40 + time '12:00' "
			 "AT TIME ZONE 'UTC')",
			 r, k, 2 * k, 2 * k);
		exec(sql);
	}
}

static char *subject_of(const char *addr)
{
	int i = tu_mail_for(addr);
	json_t *m;
	char *s;

	ck_assert_msg(i > 0, "no mail for %s", addr);
	m = tu_mail(i);
	s = strdup(json_string_value(json_object_get(m, "subject")));
	json_decref(m);
	return s;
}

static char *track_of(const char *ref)
{
	char sql[256];

	snprintf(sql, sizeof sql,
		 "SELECT c.track FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
		 "c.account_id WHERE a.external_ref = '%s' AND c.state <> 'resolved'",
		 ref);
	return tu_qstr(db, sql);
}

START_TEST(two_histories_two_tracks_two_timings)
{
	char *s;

	seed_risky_history();
	/* Day 3: the first step on each track, the risky one in firm words. */
	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 2);
	s = track_of("R-1");
	ck_assert_str_eq(s, "risky");
	free(s);
	s = track_of("G-1");
	ck_assert_str_eq(s, "steady");
	free(s);
	s = subject_of("risky@customer.test");
	ck_assert_str_eq(s, "Your payment of $50.00 is overdue");
	free(s);
	s = subject_of("good@customer.test");
	ck_assert_str_eq(s, "A friendly reminder: $50.00 is due");
	free(s);
	/* Stored with the time the claim computed it. */
	ck_assert_int_eq(
		tu_qintf(db,
			 "SELECT count(*) FROM dunning.account_risk WHERE account_id = %lld "
			 "AND abs(score - 0.3875) < 1e-9 AND cycles = 3 AND days_late = 40 "
			 "AND computed_at = '2026-11-04T10:00:00Z'",
			 account_id("R-1")),
		1);
	ck_assert_int_eq(
		tu_qintf(db,
			 "SELECT count(*) FROM dunning.account_risk WHERE account_id = %lld "
			 "AND score = 0",
			 account_id("G-1")),
		1);
	/* Next step: high risk, gap 10 x 0.5 = day 8; low risk, 10 x 1.5 =
	 * day 18. Day 7 sends nothing; day 8 the risky account's second. */
	tu_run_once(cfg, "2026-11-08T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 2);
	tu_run_once(cfg, "2026-11-09T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 3);
	ck_assert_int_eq(tu_qintf(db,
				  "SELECT count(*) FROM dunning.deliveries WHERE account_id = %lld "
				  "AND step = 2",
				  account_id("G-1")),
			 0);
	/* Older than max_age_hours (24): computed again at that claim. */
	ck_assert_int_eq(
		tu_qintf(db,
			 "SELECT count(*) FROM dunning.account_risk WHERE account_id = %lld "
			 "AND computed_at = '2026-11-09T10:00:00Z'",
			 account_id("R-1")),
		1);
	/* Day 13 is the step as written: the low-risk account still waits. */
	tu_run_once(cfg, "2026-11-14T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 3);
	tu_run_once(cfg, "2026-11-19T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 4);
	ck_assert_int_eq(tu_qintf(db,
				  "SELECT count(*) FROM dunning.deliveries WHERE account_id = %lld "
				  "AND step = 2 AND created_at = '2026-11-19T10:00:00Z'",
				  account_id("G-1")),
			 1);
}
END_TEST

START_TEST(dunnctl_shows_the_score)
{
	json_t *doc;

	seed_risky_history();
	ck_assert_msg(tu_sh("dunnctl -c %s risk R-1 --at 2026-11-04T10:00:00Z", cfg) == 0, "%s",
		      tu_output());
	ck_assert_msg(strstr(tu_output(),
			     "R-1: risk 0.388 (high; high from 0.30, low below 0.10), "
			     "computed 2026-11-04T10:00:00Z") != NULL,
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "3 prior cycles; 3 invoices paid, 40.0 days late") !=
			      NULL,
		      "%s", tu_output());
	/* Fresh (an hour later): the stored one; --refresh: computed again. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s risk R-1 --at 2026-11-04T11:00:00Z --json", cfg), 0);
	doc = json_loads(tu_output(), 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(tu_jstr(doc, "computed_at"), "2026-11-04T10:00:00Z");
	ck_assert_str_eq(tu_jstr(doc, "band"), "high");
	ck_assert(fabs(json_real_value(json_object_get(doc, "score")) - 0.3875) < 1e-9);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(doc, "inputs"), "cycles")), 3);
	json_decref(doc);
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s risk R-1 --at 2026-11-04T11:00:00Z --refresh --json", cfg), 0);
	ck_assert_msg(strstr(tu_output(), "\"computed_at\": \"2026-11-04T11:00:00Z\"") != NULL,
		      "%s", tu_output());
	ck_assert_int_eq(tu_sh("dunnctl -c %s risk NOPE", cfg), 1);
	ck_assert_msg(strstr(tu_output(), "no account with reference 'NOPE'") != NULL, "%s",
		      tu_output());
}
END_TEST

/* Does the simulation's row list hold {day, track, step, band}? */
static int has_row(json_t *rows, const char *day, const char *track, int step, const char *band,
		   const char *count_key, int count)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		const json_t *b = json_object_get(row, "band");
		if (!strcmp(json_string_value(json_object_get(row, "day")), day) &&
		    !strcmp(json_string_value(json_object_get(row, "track")), track) &&
		    json_integer_value(json_object_get(row, "step")) == step &&
		    (band ? b && !strcmp(json_string_value(b), band) : !b) &&
		    json_integer_value(json_object_get(row, count_key)) == count)
			return 1;
	}
	return 0;
}

/* simulate shows each account's band and its scaled days, and the diff
 * against a policy without risk rules shows what they change. */
START_TEST(simulate_shows_bands_and_timing)
{
	static const char PLAIN[] =
		"{\n"
		"  \"grace_days\": 3,\n"
		"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": "
		"false},\n"
		"  \"min_balance\": {\"USD\": \"1.00\"},\n"
		"  \"tracks\": [{\"name\": \"steady\", \"steps\": [\n"
		"      {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
		"      {\"after_days\": 13, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
		"}\n";
	char *plain = tu_file(dir, "plain.json", PLAIN);
	json_t *doc, *rows;

	seed_risky_history();
	ck_assert_msg(
		tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z --json 2>/dev/null",
		      cfg) == 0,
		"%s", tu_output());
	doc = json_loads(tu_output(), 0, NULL);
	ck_assert_ptr_nonnull(doc);
	rows = json_object_get(doc, "rows");
	ck_assert_msg(has_row(rows, "2026-11-04", "risky", 1, "high", "messages", 1) &&
			      has_row(rows, "2026-11-09", "risky", 2, "high", "messages", 1) &&
			      has_row(rows, "2026-11-04", "steady", 1, "low", "messages", 1) &&
			      has_row(rows, "2026-11-19", "steady", 2, "low", "messages", 1),
		      "%s", tu_output());
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "messages")), 4);
	json_decref(doc);
	/* Nothing written: the score shown came from the inputs, not stored. */
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.account_risk"), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z", cfg),
			 0);
	ck_assert_msg(strstr(tu_output(), " risk ") && strstr(tu_output(), " high "), "%s",
		      tu_output());
	/* Against the plain policy: both on steady, no bands, R-1's second
	 * step back on day 13, G-1's too. */
	ck_assert_msg(tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z "
			    "--policy %s --json 2>/dev/null",
			    cfg, plain) == 0,
		      "%s", tu_output());
	doc = json_loads(tu_output(), 0, NULL);
	ck_assert_msg(doc != NULL, "%s", tu_output());
	rows = json_object_get(doc, "rows");
	ck_assert(json_is_true(json_object_get(doc, "different")));
	ck_assert_msg(has_row(rows, "2026-11-09", "risky", 2, "high", "current", 1) &&
			      has_row(rows, "2026-11-19", "steady", 2, "low", "current", 1) &&
			      has_row(rows, "2026-11-04", "steady", 1, NULL, "new", 2) &&
			      has_row(rows, "2026-11-14", "steady", 2, NULL, "new", 2),
		      "%s", tu_output());
	json_decref(doc);
	free(plain);
}
END_TEST

/* A policy that reads no risk leaves the claim as it was: nothing computed. */
START_TEST(no_risk_rule_no_score)
{
	char *plain = tu_config(dir, conninfo, TU_NY_SEOUL_POLICY("email"), NULL);

	tu_run_once(plain, "2026-11-04T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 2);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.account_risk"), 0);
	free(plain);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("risk");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, formula_matches_the_oracle);
	tcase_add_test(tc, two_histories_two_tracks_two_timings);
	tcase_add_test(tc, dunnctl_shows_the_score);
	tcase_add_test(tc, no_risk_rule_no_score);
	tcase_add_test(tc, simulate_shows_bands_and_timing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
