/* dunnctl simulate: the same engine over the real book, no sends; and the
 * difference a candidate policy would make. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char ACCOUNTS[] = "account_ref,name,email,phone,locale,timezone,segment\n"
			       "A-1,Alice,alice@customer.test,,en-US,America/New_York,retail\n"
			       "A-2,민수,minsu@customer.test,,ko-KR,Asia/Seoul,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Plan\n"
			       "INV-2,A-2,120000,KRW,2026-11-01,Plan\n";
static const char TWO_STEPS[] =
	"{\"grace_days\": 3, \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	" {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	" {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"final\",\n"
	"  \"deadline_days\": 7, \"consequence\": \"Service may be suspended after {{ deadline }}.\"}]}]}\n";

START_TEST(simulate_and_compare)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("sim"), *cfg, *alt;
	PGconn *db;

	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
	tu_import(cfg, dir, ACCOUNTS, INVOICES);
	tu_mail_clear();

	ck_assert_int_eq(
		tu_sh("dunnctl -c %s simulate --days 30 --at 2026-11-02T00:00:00Z 2>/dev/null",
		      cfg),
		0);
	/* Three steps of the first-time track for each account: day 3 (Nov 4),
	 * day 10 (Nov 11) and day 21 (Nov 22), in the customer's morning. */
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-04  first_time          1  email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "2026-11-11  first_time          2  email"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "simulate: 6 messages would go out"));
	/* Nothing was written. */
	db = tu_connect(conninfo);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.cases"), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), 0);
	ck_assert_int_eq(tu_mail_count(), 0);

	alt = tu_file(dir, "two-steps.json", TWO_STEPS);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 30 --policy %s "
			       "--at 2026-11-02T00:00:00Z 2>/dev/null",
			       cfg, alt),
			 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "current policy 6 messages, new policy 4 (-2)"));
	ck_assert_ptr_null(strstr(tu_output(), "2026-11-04")); /* step 1 unchanged */

	/* The simulation agrees with the daemon walking the same days. */
	for (int d = 2; d <= 31; d++)
		for (int h = 0; h < 24; h += 3)
			ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-%s-%02dT%02d:00:00Z",
					       cfg, d <= 30 ? "11" : "12", d <= 30 ? d : 1, h),
					 0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), 6);
	PQfinish(db);
	free(alt);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

#define SIM_POLICY(start, tmpl2)                                                           \
	"{\"grace_days\": 3,\n"                                                            \
	" \"contact_window\": {\"start\": \"" start                                        \
	"\", \"end\": \"21:00\", \"weekdays_only\": false},\n"                             \
	" \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"                          \
	"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"    \
	"  {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"" tmpl2 "\",\n" \
	"   \"deadline_days\": 7, \"consequence\": \"Service may be suspended after {{ deadline }}.\"}]}]}\n"

/* dunnctl simulate ... --json [--policy alt]: exit 0 and one JSON document. */
static json_t *sim_json(const char *cfg, const char *alt)
{
	json_error_t err;
	json_t *j;

	ck_assert_msg(tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z --json "
			    "%s%s 2>/dev/null",
			    cfg, alt ? "--policy " : "", alt ? alt : "") == 0,
		      "simulate:\n%s", tu_output());
	j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "simulate: not JSON (%s):\n%s", err.text, tu_output());
	return j;
}

/* The messages of the row for day/step/template, 0 when there is none. */
static long long sim_cell(const json_t *doc, const char *day, int step, const char *tmpl,
			  const char *key)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(doc, "rows"), i,
			   r) if (!strcmp(tu_jstr(r, "day"), day) &&
				  json_integer_value(json_object_get(r, "step")) == step &&
				  !strcmp(tu_jstr(r, "template"), tmpl)) return (long long)
		json_integer_value(json_object_get(r, key));
	return 0;
}

/* What the customer gets: a template-only change and a change of hours are
 * differences; days are the customer's local dates, and say so. */
START_TEST(simulate_sees_templates_hours_and_local_days)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("sim2"), *cfg, *same, *tmpl, *hours;
	json_t *doc;

	cfg = tu_config(dir, conninfo, SIM_POLICY("08:00", "firm"), NULL);
	tu_migrate(cfg);
	tu_import(cfg, dir, ACCOUNTS, INVOICES);
	same = tu_file(dir, "same.json", SIM_POLICY("08:00", "firm"));
	tmpl = tu_file(dir, "tmpl.json", SIM_POLICY("08:00", "final"));
	hours = tu_file(dir, "hours.json", SIM_POLICY("10:00", "firm"));

	/* Both customers get step 1 on their own 4 November (New York's
	 * morning is 13:00 UTC; Seoul's is 23:00 UTC on the 3rd). */
	doc = sim_json(cfg, NULL);
	ck_assert_str_eq(tu_jstr(doc, "day_basis"), "customer_local_date");
	ck_assert_str_eq(tu_jstr(doc, "from"), "2026-11-02T00:00:00Z");
	ck_assert_int_eq(sim_cell(doc, "2026-11-04", 1, "gentle", "messages"), 2);
	ck_assert_int_eq(sim_cell(doc, "2026-11-03", 1, "gentle", "messages"), 0);
	ck_assert_int_eq(sim_cell(doc, "2026-11-11", 2, "firm", "messages"), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "messages")), 4);
	json_decref(doc);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z "
			       "2>/dev/null",
			       cfg),
			 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "local date"));
	ck_assert_ptr_nonnull(
		strstr(tu_output(), "2026-11-04  first_time          1  email        gentle"));

	/* The same policy: no difference. */
	doc = sim_json(cfg, same);
	ck_assert(json_is_false(json_object_get(doc, "different")));
	ck_assert_int_eq(json_array_size(json_object_get(doc, "rows")), 0);
	json_decref(doc);

	/* Only step 2's template changes: the same number of messages, but a
	 * difference, row by row. */
	doc = sim_json(cfg, tmpl);
	ck_assert(json_is_true(json_object_get(doc, "different")));
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "current_messages")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "new_messages")), 4);
	ck_assert_int_eq(sim_cell(doc, "2026-11-11", 2, "firm", "change"), -2);
	ck_assert_int_eq(sim_cell(doc, "2026-11-11", 2, "final", "change"), 2);
	ck_assert_int_eq(sim_cell(doc, "2026-11-04", 1, "gentle", "change"), 0);
	json_decref(doc);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 20 --at 2026-11-02T00:00:00Z "
			       "--policy %s 2>/dev/null",
			       cfg, tmpl),
			 0);
	ck_assert_ptr_null(strstr(tu_output(), "(no difference)"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "final"));

	/* Later hours on the same days: a difference the day counts alone miss. */
	doc = sim_json(cfg, hours);
	ck_assert(json_is_true(json_object_get(doc, "different")));
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "moved_within_day")), 4);
	json_decref(doc);

	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 2x", cfg), 2);
	free(same);
	free(tmpl);
	free(hours);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("simulate");
	TCase *tc = tcase_create("simulate");

	tcase_set_timeout(tc, getenv("DUNN_WRAP") ? 1800 : 300);
	tcase_add_test(tc, simulate_and_compare);
	tcase_add_test(tc, simulate_sees_templates_hours_and_local_days);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
