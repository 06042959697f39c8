/* The report's statistics against values computed outside dunnd, with
 * SciPy 1.10 (Debian 12's python3-scipy): the intervals by
 * scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson"), the
 * tests by scipy.stats.chi2_contingency(..., correction=False), whose
 * statistic is z squared and whose p-value is the two-sided z-test's. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "report_variant.h"
#include "stats.h"

static const struct {
	long k, n;
	double lo, hi;
} wilson[] = {
	{30, 100, 0.218948852949, 0.395848546333},
	{0, 20, 0.0, 0.161125158053},
	{20, 20, 0.838874841947, 1.0},
	{1, 3, 0.061491944720, 0.792340399198},
	{412, 1000, 0.381887311280, 0.442786198213},
};

START_TEST(wilson_matches_scipy)
{
	double lo, hi;

	stats_wilson(wilson[_i].k, wilson[_i].n, STATS_Z95, &lo, &hi);
	ck_assert_double_eq_tol(lo, wilson[_i].lo, 1e-9);
	ck_assert_double_eq_tol(hi, wilson[_i].hi, 1e-9);
}
END_TEST

static const struct {
	long k1, n1, k2, n2;
	double absz, p;
} tests[] = {
	{30, 100, 45, 100, 2.190890230021, 2.845973691631e-02},
	{200, 1000, 210, 1000, 0.553891253574, 5.796532713054e-01},
	{50, 500, 80, 500, 2.820914688837, 4.788693590032e-03},
	{12, 40, 11, 38, 0.101906110804, 9.188311994973e-01},
};

START_TEST(two_proportion_matches_scipy)
{
	double z, p;

	ck_assert_int_eq(
		stats_two_prop(tests[_i].k1, tests[_i].n1, tests[_i].k2, tests[_i].n2, &z, &p), 0);
	ck_assert_double_eq_tol(fabs(z), tests[_i].absz, 1e-9);
	ck_assert_double_eq_tol(p, tests[_i].p, 1e-11);
	/* The sign says which is higher: the second rate in all but the last. */
	ck_assert(_i == 3 ? z < 0 : z > 0);
}
END_TEST

START_TEST(degenerate_inputs_say_nothing)
{
	double lo, hi, z, p;

	stats_wilson(0, 0, STATS_Z95, &lo, &hi);
	ck_assert(lo == 0.0 && hi == 1.0);
	ck_assert_int_eq(stats_two_prop(0, 0, 3, 10, &z, &p), -1);
	ck_assert(z == 0.0 && p == 1.0);
	ck_assert_int_eq(stats_two_prop(0, 10, 0, 10, &z, &p), -1); /* pooled rate 0 */
	ck_assert_int_eq(stats_two_prop(10, 10, 7, 7, &z, &p), -1); /* pooled rate 1 */
	ck_assert_int_eq(stats_two_prop(11, 10, 1, 7, &z, &p), -1);
}
END_TEST

/* The variants report from rows: the figures above, rounded to four
 * decimals, the baseline the first variant by name without a policy, and
 * the wording of a significant difference, of none and of no test. */
START_TEST(variant_report_from_rows)
{
	/* cases, reminders, sent, delivered, opt-outs, disputes, paid 7d, 30d */
	const struct report_variant_row rows[] = {
		{"t/1", "A", {100, 100, 100, 90, 12, 0, 20, 30}, "USD:60000"},
		{"t/1", "B", {100, 100, 100, 95, 11, 0, 21, 45}, "KRW:9000,USD:90000"},
	};
	json_t *doc = report_variant_json(NULL, rows, 2, "2026-11-01", "2026-11-30");
	json_t *e = json_array_get(json_object_get(doc, "experiments"), 0);
	json_t *a = json_array_get(json_object_get(e, "variants"), 0);
	json_t *b = json_array_get(json_object_get(e, "variants"), 1);
	json_t *r = json_object_get(json_object_get(a, "rates"), "paid_30d"), *c;
	size_t i;
	int seen = 0;

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "baseline")), "A");
	ck_assert_double_eq(json_real_value(json_object_get(r, "rate")), 0.3);
	ck_assert_double_eq(json_real_value(json_object_get(r, "low")), 0.2189);
	ck_assert_double_eq(json_real_value(json_object_get(r, "high")), 0.3958);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "recovered"), "USD")),
			 "900.00");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "recovered"), "KRW")),
			 "9000");
	ck_assert_int_eq(json_array_size(json_object_get(e, "comparisons")), 4);
	json_array_foreach(json_object_get(e, "comparisons"), i, c)
	{
		const char *m = json_string_value(json_object_get(c, "metric"));
		const char *v = json_string_value(json_object_get(c, "verdict"));
		if (!strcmp(m, "paid_30d")) {
			ck_assert(json_is_true(json_object_get(c, "significant")));
			ck_assert_double_eq(json_real_value(json_object_get(c, "z")), 2.1909);
			ck_assert_double_eq(json_real_value(json_object_get(c, "p")), 0.0285);
			ck_assert_str_eq(v,
					 "B vs A on paid_30d: 45.0% vs 30.0% (+15.0 points), "
					 "significant at 95% (z = 2.19, p = 0.0285)");
			seen++;
		} else if (!strcmp(m, "paid_7d")) {
			ck_assert(json_is_false(json_object_get(c, "significant")));
			ck_assert_msg(strstr(v, "not significant") && strstr(v, "may be chance"),
				      "%s", v);
			seen++;
		} else if (!strcmp(m, "disputes")) {
			ck_assert(json_is_false(json_object_get(c, "significant")));
			ck_assert_str_eq(v,
					 "B vs A on disputes: no test possible (a side has no "
					 "cases, or both rates are 0% or 100%)");
			seen++;
		}
	}
	ck_assert_int_eq(seen, 3);
	json_decref(doc);
	doc = report_variant_json(NULL, NULL, 0, "2026-11-01", "2026-11-30");
	ck_assert_int_eq(json_array_size(json_object_get(doc, "experiments")), 0);
	json_decref(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, wilson_matches_scipy, 0, (int)(sizeof wilson / sizeof wilson[0]));
	tcase_add_loop_test(tc, two_proportion_matches_scipy, 0,
			    (int)(sizeof tests / sizeof tests[0]));
	tcase_add_test(tc, degenerate_inputs_say_nothing);
	tcase_add_test(tc, variant_report_from_rows);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
