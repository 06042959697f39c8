/* Logging never carries an email address or phone number in clear. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const struct {
	const char *in, *out;
} scrub[] = {
	{"to=alice@example.com ok", "to=al***@ex*****.com ok"},
	{"error=\"550 <bob.smith@mail.customer.co.kr> unknown\"",
	 "error=\"550 <bo*******@ma**************.kr> unknown\""},
	{"twilio 21211: The 'To' number +821012345678 is not valid",
	 "twilio 21211: The 'To' number +82******5678 is not valid"},
	{"+12025550101", "+12*****0101"},
	{"already masked al***@cu***.test and +82****5678",
	 "already masked al***@cu***.test and +82****5678"},
	{"amount +1234 and 5+3 stay", "amount +1234 and 5+3 stay"},
	{"no @ here @ all", "no @ here @ all"},
	{"a@b", "a@b"},
	{"x@y.z", "x@y.z"},
	{"user@host.io,other@host.io", "us**@ho**.io,ot***@ho**.io"},
	{"", ""},
};

START_TEST(scrub_masks)
{
	char buf[256];

	strcpy(buf, scrub[_i].in);
	log_scrub(buf);
	ck_assert_str_eq(buf, scrub[_i].out);
}
END_TEST

START_TEST(mask_helpers)
{
	char b[64];

	ck_assert_str_eq(log_mask_email("alice@example.com", b, sizeof b), "al***@ex***.com");
	ck_assert_str_eq(log_mask_email(NULL, b, sizeof b), "-");
	ck_assert_str_eq(log_mask_phone("+821012345678", b, sizeof b), "+82****5678");
	ck_assert_str_eq(log_mask_phone("+1", b, sizeof b), "***");
	ck_assert_int_eq(log_level_parse("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("loud"), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("unit");

	tcase_add_loop_test(tc, scrub_masks, 0, (int)(sizeof scrub / sizeof scrub[0]));
	tcase_add_test(tc, mask_helpers);
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
