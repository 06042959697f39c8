/* Per-currency amounts as the database reports them: parsing with the
 * bound, formatting each in its own currency, checked addition. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "owed.h"

START_TEST(parse_lists)
{
	struct owed v[OWED_MAX_CURRENCIES];

	ck_assert_int_eq(owed_parse("", v, OWED_MAX_CURRENCIES), 0);
	ck_assert_int_eq(owed_parse(NULL, v, OWED_MAX_CURRENCIES), 0);
	ck_assert_int_eq(owed_parse("KRW:5000,USD:1000", v, OWED_MAX_CURRENCIES), 2);
	ck_assert_str_eq(v[0].currency, "KRW");
	ck_assert_int_eq(v[0].minor, 5000);
	ck_assert_str_eq(v[1].currency, "USD");
	ck_assert_int_eq(v[1].minor, 1000);
	/* Zero entries are dropped. */
	ck_assert_int_eq(owed_parse("EUR:0,USD:7", v, OWED_MAX_CURRENCIES), 1);
	ck_assert_str_eq(v[0].currency, "USD");
	/* Malformed. */
	ck_assert_int_eq(owed_parse("USD", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("USD:", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("usd:1", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("USD:-1", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("USD:1.5", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("USD:1,", v, OWED_MAX_CURRENCIES), -1);
	ck_assert_int_eq(owed_parse("USD:1,KRW:2", v, 1), -1);
}
END_TEST

START_TEST(parse_bound)
{
	struct owed v[2];

	ck_assert_int_eq(owed_parse("USD:1000000000000000000", v, 2), 1);
	ck_assert_int_eq(v[0].minor, OWED_MAX_TOTAL);
	ck_assert_int_eq(owed_parse("USD:1000000000000000001", v, 2), -1);
	/* Two invoices of 50,000,000,000,000,000.00: past int64, never wrapped. */
	ck_assert_int_eq(owed_parse("USD:10000000000000000000", v, 2), -1);
	ck_assert_int_eq(owed_parse("USD:99999999999999999999999999", v, 2), -1);
}
END_TEST

START_TEST(format_each_in_its_own)
{
	struct owed v[2] = {{"KRW", 5000}, {"USD", 1000}};
	char buf[64];

	ck_assert_int_gt(owed_format(v, 2, "en-US", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "₩5,000 + $10.00");
	ck_assert_int_eq(owed_format(v, 0, "en-US", buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(owed_format(v, 2, "en-US", buf, 8), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(add_checked)
{
	int64_t s = OWED_MAX_TOTAL - 1;

	ck_assert_int_eq(owed_add(&s, 1), 0);
	ck_assert_int_eq(s, OWED_MAX_TOTAL);
	ck_assert_int_eq(owed_add(&s, 1), -1);
	ck_assert_int_eq(s, OWED_MAX_TOTAL);
	s = INT64_MAX;
	ck_assert_int_eq(owed_add(&s, INT64_MAX), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("owed");
	TCase *tc = tcase_create("owed");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_lists);
	tcase_add_test(tc, parse_bound);
	tcase_add_test(tc, format_each_in_its_own);
	tcase_add_test(tc, add_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
