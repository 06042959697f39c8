/* Champion/challenger variants through the real dunnd --once, the real
 * SMTP sink and dunnctl report --by variant: each account's variant is
 * the one computed from the policy (and stays so), it is recorded on the
 * case, each reminder and in events, the variant's own template and day
 * reach the customer, and the report finds a real difference and says
 * plainly when there is none. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

#define N 120

static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\"},\n"
	"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n"
	"     \"variants\": [{\"name\": \"A\", \"weight\": 50},\n"
	"                  {\"name\": \"B\", \"weight\": 50, \"template\": \"firm\", \"after_days\": 4}]},\n"
	"    {\"after_days\": 20, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
	"}\n";

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct policy *pol;

static void setup(void)
{
	char *accounts = calloc(1, N * 96 + 128), *invoices = calloc(1, N * 96 + 128);
	struct diag d = {0};
	char *ppath;
	size_t a = 0, i = 0;

	dir = tu_tmpdir();
	conninfo = tu_newdb("variants");
	cfg = tu_config(dir, conninfo, POLICY, NULL);
	a += (size_t)sprintf(accounts, "account_ref,name,email,phone,locale,timezone,segment\n");
	i += (size_t)sprintf(invoices,
			     "invoice_ref,account_ref,amount,currency,due_date,description\n");
	for (int k = 0; k < N; k++) {
		a += (size_t)sprintf(accounts + a,
				     "V-%03d,Customer %d,v%03d@customer.test,,en,UTC,\n", k, k, k);
		i += (size_t)sprintf(invoices + i, "INV-%03d,V-%03d,20.00,USD,2026-11-01,October\n",
				     k, k);
	}
	db = tu_book_db(cfg, dir, conninfo, accounts, invoices);
	free(accounts);
	free(invoices);
	ppath = tu_file(dir, "same-policy.json", POLICY);
	pol = policy_load(ppath, &d);
	ck_assert_msg(pol != NULL, "%s", d.n ? d.msgs[0] : "?");
	diag_free(&d);
	free(ppath);
	tu_mail_clear();
}

static void teardown(void)
{
	policy_free(pol);
	tu_teardown(db, dir, cfg, conninfo);
}

/* How many accounts the policy puts in variant name (computed here). */
static int arm_size(const char *name)
{
	const struct policy_step *st = &pol->tracks[0].steps[0];
	char key[16];
	int n = 0;

	for (int k = 0; k < N; k++) {
		snprintf(key, sizeof key, "V-%03d", k);
		n += !strcmp(st->variants[policy_variant_index(st, key)].name, name);
	}
	return n;
}

/* The first account (by ref) in variant name. */
static void first_of(const char *name, char *ref, size_t len)
{
	const struct policy_step *st = &pol->tracks[0].steps[0];

	for (int k = 0; k < N; k++) {
		snprintf(ref, len, "V-%03d", k);
		if (!strcmp(st->variants[policy_variant_index(st, ref)].name, name))
			return;
	}
	ck_abort_msg("no account in variant %s", name);
}

static const char *subject_for(const char *ref)
{
	static char subject[256];
	char addr[64];
	int i;
	json_t *m;

	snprintf(addr, sizeof addr, "v%s@customer.test", ref + 2);
	i = tu_mail_for(addr);
	ck_assert_msg(i > 0, "no mail for %s", addr);
	m = tu_mail(i);
	snprintf(subject, sizeof subject, "%s", json_string_value(json_object_get(m, "subject")));
	json_decref(m);
	return subject;
}

/* Day 3: A's reminders; day 4: B's, with B's template. */
static void send_step_one(void)
{
	int na = arm_size("A"), nb = arm_size("B");

	ck_assert_msg(na > N / 3 && nb > N / 3, "arms %d and %d", na, nb);
	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), na);
	tu_run_once(cfg, "2026-11-05T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), N);
}

START_TEST(variant_assigned_recorded_and_sent)
{
	char ref[16], sql[512];
	int na = arm_size("A");

	tu_run_once(cfg, "2026-11-04T10:00:00Z");
	/* Every case joined on its first decision, each in its computed arm. */
	for (int k = 0; k < N; k++) {
		const struct policy_step *st = &pol->tracks[0].steps[0];
		char *got;
		snprintf(ref, sizeof ref, "V-%03d", k);
		snprintf(sql, sizeof sql,
			 "SELECT c.variants->>'first_time/1' FROM dunning.cases c JOIN "
			 "dunning.accounts a ON a.id = c.account_id WHERE a.external_ref = '%s'",
			 ref);
		got = tu_qstr(db, sql);
		ck_assert_str_eq(got, st->variants[policy_variant_index(st, ref)].name);
		free(got);
	}
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.events "
			"WHERE kind = 'variant_assigned' AND detail->>'experiment' = 'first_time/1'"),
		N);
	/* Only A's day has come. */
	ck_assert_int_eq(tu_mail_count(), na);
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.deliveries WHERE kind = 'reminder' "
			"AND experiment = 'first_time/1' AND variant = 'A' AND status = 'sent'"),
		na);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE variant IS DISTINCT FROM 'A'"),
			 0);
	first_of("A", ref, sizeof ref);
	ck_assert_str_eq(subject_for(ref), "A friendly reminder: $20.00 is due");
	/* Day 4: B's reminders, in B's template; nobody changed arm. */
	tu_run_once(cfg, "2026-11-05T10:00:00Z");
	ck_assert_int_eq(tu_mail_count(), N);
	first_of("B", ref, sizeof ref);
	ck_assert_str_eq(subject_for(ref), "Your payment of $20.00 is overdue");
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.deliveries d JOIN dunning.cases c "
			"ON c.id = d.case_id WHERE d.variant <> c.variants->>d.experiment"),
		0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE template = "
				 "CASE variant WHEN 'A' THEN 'gentle' ELSE 'firm' END"),
			 N);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.deliveries d "
				 "ON d.id = e.delivery_id WHERE e.kind = 'reminder_queued' "
				 "AND e.detail->>'variant' = d.variant "
				 "AND e.detail->>'experiment' = 'first_time/1'"),
			 N);
	/* Later cycles assign nothing again. */
	tu_run_once(cfg, "2026-11-06T10:00:00Z");
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'variant_assigned'"),
		N);
}
END_TEST

/* Pay the first share_a of variant A's accounts (by ref) and the first
 * share_b of B's, on day 7, through the ledger. */
static void pay_shares(double share_a, double share_b)
{
	char sql[1200];

	snprintf(
		sql, sizeof sql,
		"WITH arm AS (\n"
		"  SELECT i.id AS invoice_id, i.account_id, i.amount_due, i.currency,\n"
		"         c.variants->>'first_time/1' AS v,\n"
		"         row_number() OVER (PARTITION BY c.variants->>'first_time/1'\n"
		"                            ORDER BY a.external_ref) AS rn,\n"
		"         count(*) OVER (PARTITION BY c.variants->>'first_time/1') AS n\n"
		"  FROM dunning.cases c JOIN dunning.accounts a ON a.id = c.account_id\n"
		"  JOIN dunning.invoices i ON i.account_id = a.id)\n"
		"INSERT INTO dunning.payments (invoice_id, account_id, amount, currency, at, source,\n"
		"                              source_id)\n"
		"SELECT invoice_id, account_id, amount_due, currency, '2026-11-08T09:00:00Z', 'test',\n"
		"       invoice_id::text\n"
		"FROM arm WHERE (v = 'A' AND rn <= floor(n * %.2f)) OR (v = 'B' AND rn <= floor(n * %.2f))",
		share_a, share_b);
	PQclear(tu_q(db, sql));
	tu_run_once(cfg, "2026-11-09T10:00:00Z");
}

static json_t *report(void)
{
	json_error_t err;
	json_t *j;

	ck_assert_msg(tu_sh("dunnctl -c %s report --by variant --json", cfg) == 0, "%s",
		      tu_output());
	j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, tu_output());
	return j;
}

static json_t *variant_row(json_t *exp, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(exp, "variants"), i,
			   v) if (!strcmp(tu_jstr(v, "variant"), name)) return v;
	ck_abort_msg("no variant %s", name);
	return NULL;
}

static json_t *comparison(json_t *exp, const char *metric)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(exp, "comparisons"), i,
			   c) if (!strcmp(tu_jstr(c, "metric"), metric)) return c;
	ck_abort_msg("no comparison on %s", metric);
	return NULL;
}

static long long jint(json_t *o, const char *k)
{
	ck_assert_msg(json_is_integer(json_object_get(o, k)), "no integer %s", k);
	return (long long)json_integer_value(json_object_get(o, k));
}

START_TEST(report_finds_that_b_recovers_more)
{
	int na = arm_size("A"), nb = arm_size("B");
	json_t *doc, *exp, *a, *b, *c;
	char amount[32];

	send_step_one();
	/* One opt-out in A, after joining; one complaint (dispute) in B. */
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.suppressions (channel, address, reason, source, "
		"created_at) SELECT 'email', a.email, 'opt-out', 'test', '2026-11-06T08:00:00Z' "
		"FROM dunning.accounts a JOIN dunning.cases c ON c.account_id = a.id "
		"WHERE c.variants->>'first_time/1' = 'A' ORDER BY a.external_ref DESC LIMIT 1"));
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.disputes (invoice_id, account_id, reason, opened_at) "
		"SELECT i.id, i.account_id, 'not mine', '2026-11-06T08:00:00Z' "
		"FROM dunning.invoices i JOIN dunning.cases c ON c.account_id = i.account_id "
		"WHERE c.variants->>'first_time/1' = 'B' ORDER BY i.external_ref DESC LIMIT 1"));
	pay_shares(0.2, 0.6);
	doc = report();
	ck_assert_int_eq(json_array_size(json_object_get(doc, "experiments")), 1);
	exp = json_array_get(json_object_get(doc, "experiments"), 0);
	ck_assert_str_eq(tu_jstr(exp, "experiment"), "first_time/1");
	ck_assert_str_eq(tu_jstr(exp, "baseline"), "A");
	a = variant_row(exp, "A");
	b = variant_row(exp, "B");
	ck_assert_int_eq(jint(a, "cases"), na);
	ck_assert_int_eq(jint(b, "cases"), nb);
	ck_assert_int_eq(jint(a, "reminders"), na);
	ck_assert_int_eq(jint(b, "sent"), nb);
	ck_assert_int_eq(jint(a, "paid_30d"), na / 5);
	ck_assert_int_eq(jint(b, "paid_30d"), nb * 6 / 10);
	ck_assert_int_eq(jint(b, "paid_7d"), nb * 6 / 10); /* day 7 from joining on day 3 */
	ck_assert_int_eq(jint(a, "opt_outs"), 1);
	ck_assert_int_eq(jint(b, "opt_outs"), 0);
	ck_assert_int_eq(jint(b, "disputes"), 1);
	snprintf(amount, sizeof amount, "%d.00", nb * 6 / 10 * 20);
	ck_assert_str_eq(tu_jstr(json_object_get(b, "recovered"), "USD"), amount);
	/* The interval holds the rate. */
	{
		json_t *r = json_object_get(json_object_get(b, "rates"), "paid_30d");
		double rate = json_real_value(json_object_get(r, "rate"));
		ck_assert(json_real_value(json_object_get(r, "low")) < rate &&
			  rate < json_real_value(json_object_get(r, "high")));
	}
	c = comparison(exp, "paid_30d");
	ck_assert_str_eq(tu_jstr(c, "variant"), "B");
	ck_assert_str_eq(tu_jstr(c, "against"), "A");
	ck_assert(json_is_true(json_object_get(c, "significant")));
	ck_assert(json_real_value(json_object_get(c, "z")) > 3.0);
	ck_assert(json_real_value(json_object_get(c, "p")) < 0.001);
	ck_assert_msg(strstr(tu_jstr(c, "verdict"), "significant at 95%") != NULL, "%s",
		      tu_jstr(c, "verdict"));
	/* One opt-out against none is no evidence. */
	c = comparison(exp, "opt_outs");
	ck_assert(json_is_false(json_object_get(c, "significant")));
	json_decref(doc);
	/* The text form says the same. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s report --by variant", cfg), 0);
	ck_assert_msg(strstr(tu_output(), "experiment first_time/1 (baseline A)") != NULL, "%s",
		      tu_output());
	ck_assert_msg(strstr(tu_output(), "B vs A on paid_30d") != NULL &&
			      strstr(tu_output(), "significant at 95%") != NULL,
		      "%s", tu_output());
}
END_TEST

START_TEST(report_says_when_there_is_no_difference)
{
	json_t *doc, *exp, *c;

	send_step_one();
	pay_shares(0.3, 0.3);
	doc = report();
	exp = json_array_get(json_object_get(doc, "experiments"), 0);
	ck_assert_ptr_nonnull(exp);
	c = comparison(exp, "paid_30d");
	ck_assert(json_is_false(json_object_get(c, "significant")));
	ck_assert(json_real_value(json_object_get(c, "p")) > 0.5);
	ck_assert_msg(strstr(tu_jstr(c, "verdict"), "not significant") != NULL &&
			      strstr(tu_jstr(c, "verdict"), "may be chance") != NULL,
		      "%s", tu_jstr(c, "verdict"));
	json_decref(doc);
	ck_assert_int_eq(tu_sh("dunnctl -c %s report --by variant", cfg), 0);
	ck_assert_msg(strstr(tu_output(), "not significant") != NULL, "%s", tu_output());
}
END_TEST

/* A variant's template and channels are checked like the step's, and the
 * error is placed at the variant. */
START_TEST(check_config_places_variant_errors)
{
	static const char bad[] =
		"{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
		"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n"
		"   \"variants\": [{\"name\": \"A\", \"weight\": 1},\n"
		"                {\"name\": \"B\", \"weight\": 1, \"template\": \"nosuch\"},\n"
		"                {\"name\": \"C\", \"weight\": 1, \"channels\": [\"fax\"]}]}]}]}\n";
	char *bdir = tu_tmpdir();
	char *bcfg = tu_config(bdir, conninfo, bad, NULL);

	ck_assert_int_ne(tu_sh("dunnd -c %s --check-config", bcfg), 0);
	ck_assert_msg(strstr(tu_output(),
			     "policy.json:4:56: unknown template 'nosuch' for channel "
			     "'email'") != NULL,
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "policy.json:5:57: unknown channel 'fax'") != NULL, "%s",
		      tu_output());
	free(bcfg);
	free(bdir);
}
END_TEST

/* The diff row of simulate --json for day and variant, or NULL. */
static json_t *sim_row(json_t *doc, const char *day, const char *variant)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "rows"), i, r)
	{
		json_t *v = json_object_get(r, "variant");
		if (!strcmp(tu_jstr(r, "day"), day) && v && !strcmp(json_string_value(v), variant))
			return r;
	}
	return NULL;
}

/* Reweighting and adding a variant are previewed as a difference per
 * variant, with each account's variant computed as dunnd would. */
START_TEST(simulate_previews_variant_changes)
{
	static const char reweighted[] =
		"{\n"
		"  \"grace_days\": 3,\n"
		"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
		"  \"min_balance\": {\"USD\": \"1.00\"},\n"
		"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
		"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n"
		"     \"variants\": [{\"name\": \"A\", \"weight\": 60},\n"
		"                  {\"name\": \"B\", \"weight\": 20, \"template\": \"firm\", \"after_days\": 4},\n"
		"                  {\"name\": \"C\", \"weight\": 20, \"template\": \"final\"}]},\n"
		"    {\"after_days\": 20, \"channels\": [\"email\"], \"template\": \"firm\"}]}]\n"
		"}\n";
	char *npath = tu_file(dir, "new-policy.json", reweighted);
	struct diag d = {0};
	struct policy *np = policy_load(npath, &d);
	const struct policy_step *st = &np->tracks[0].steps[0];
	int na = arm_size("A"), nb = arm_size("B"), n2[3] = {0};
	json_error_t err;
	json_t *doc, *r;
	char key[16];

	ck_assert_ptr_nonnull(np);
	for (int k = 0; k < N; k++) {
		snprintf(key, sizeof key, "V-%03d", k);
		n2[policy_variant_index(st, key)]++;
	}
	/* The current policy alone: A on day 3, B on day 4. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 10 --at 2026-11-02T00:00:00Z --json "
			       "2>/dev/null",
			       cfg),
			 0);
	doc = json_loads(tu_output(), 0, &err);
	ck_assert_ptr_nonnull(doc);
	r = json_array_get(json_object_get(doc, "rows"), 0);
	ck_assert_str_eq(tu_jstr(r, "day"), "2026-11-04");
	ck_assert_str_eq(tu_jstr(r, "variant"), "A");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "messages")), na);
	json_decref(doc);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 10 --at 2026-11-02T00:00:00Z "
			       "--policy %s --json 2>/dev/null",
			       cfg, npath),
			 0);
	doc = json_loads(tu_output(), 0, &err);
	ck_assert_msg(doc != NULL, "%s", tu_output());
	ck_assert(json_is_true(json_object_get(doc, "different")));
	r = sim_row(doc, "2026-11-04", "A");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "current")), na);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "new")), n2[0]);
	r = sim_row(doc, "2026-11-05", "B");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "current")), nb);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "new")), n2[1]);
	r = sim_row(doc, "2026-11-04", "C");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "current")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "new")), n2[2]);
	ck_assert_str_eq(tu_jstr(r, "template"), "final");
	json_decref(doc);
	/* Nothing was sent or recorded. */
	ck_assert_int_eq(tu_mail_count(), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), 0);
	policy_free(np);
	diag_free(&d);
	free(npath);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("variants");
	TCase *tc = tcase_create("variants");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, check_config_places_variant_errors);
	tcase_add_test(tc, simulate_previews_variant_changes);
	tcase_add_test(tc, variant_assigned_recorded_and_sent);
	tcase_add_test(tc, report_finds_that_b_recovers_more);
	tcase_add_test(tc, report_says_when_there_is_no_difference);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
