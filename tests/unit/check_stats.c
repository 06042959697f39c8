/* The report's statistics against values computed outside dunnd, with
 * SciPy 1.10 (Debian 12's python3-scipy): the intervals by
 * scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson"), the
 * tests by scipy.stats.chi2_contingency(..., correction=False), whose
 * statistic is z squared and whose p-value is the two-sided z-test's. */
#include <check.h>
#include <math.h>

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
