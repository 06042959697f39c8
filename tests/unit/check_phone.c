/* Unit tests for lib/phone.c: E.164 normalisation of imported numbers. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct phone_case {
	const char *in;
	int rc;
	const char *out; /* when rc == 0 */
} cases[] = {
	{"", 0, ""},
	{"+821012345678", 0, "+821012345678"},
	{"+82 10-1234-5678", 0, "+821012345678"},
	{"+1 (415) 555.0100", 0, "+14155550100"},
	{"+12345678", 0, "+12345678"},               /* 8 digits: shortest */
	{"+123456789012345", 0, "+123456789012345"}, /* 15 digits: longest */
	{" +44 20 7946 0958 ", 0, "+442079460958"},
	{"+1234567", -1, NULL},          /* 7 digits */
	{"+1234567890123456", -1, NULL}, /* 16 digits */
	{"821012345678", -1, NULL},      /* no '+' */
	{"+0821012345678", -1, NULL},    /* country code cannot start with 0 */
	{"+8210+12345678", -1, NULL},    /* a second '+' */
	{"+82 10 1234 567x", -1, NULL},
	{"+", -1, NULL},
	{"  ", -1, NULL},
	{"()-. ", -1, NULL},
	{"+82\t1012345678", -1, NULL},
	{"+８２１０１２３４５６７８", -1, NULL}, /* full-width digits */
	{"+82\xd9\xa1"
	 "012345678",
	 -1, NULL}, /* Arabic-Indic one */
};

START_TEST(test_normalise)
{
	const struct phone_case *c = &cases[_i];
	char buf[64];

	snprintf(buf, sizeof buf, "%s", c->in);
	ck_assert_msg(phone_normalise(buf) == c->rc, "'%s': expected %d", c->in, c->rc);
	if (c->rc == 0)
		ck_assert_str_eq(buf, c->out);
}
END_TEST

/* The result never grows and stays NUL-terminated within the input. */
START_TEST(test_in_place)
{
	char buf[32];

	memset(buf, 'X', sizeof buf);
	memcpy(buf, "+1 234 567 890", 15);
	ck_assert_int_eq(phone_normalise(buf), 0);
	ck_assert_str_eq(buf, "+1234567890");
	ck_assert_int_eq(buf[15], 'X');
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("phone");

	tcase_add_loop_test(tc, test_normalise, 0, N(cases));
	tcase_add_test(tc, test_in_place);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
