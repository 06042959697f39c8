/* Unit tests for lib/apikey.c: the API's key file and bearer matching. */
#include <check.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "apikey.h"

static struct apikeys ks;

static int parse(const char *text, char *err, size_t errlen)
{
	char buf[4096];

	snprintf(buf, sizeof buf, "%s", text);
	return apikey_parse(buf, &ks, err, errlen);
}

START_TEST(test_clear_and_hashed)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char text[512], hex[65], err[128];

	SHA256((const unsigned char *)"second-key-000000000", 20, h);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02X", h[i]); /* upper case is fine */
	snprintf(text, sizeof text,
		 "# comment\n\n  billing:first-key-0000000000  \r\nops.2:sha256:%s\n", hex);
	ck_assert_int_eq(parse(text, err, sizeof err), 0);
	ck_assert_uint_eq(ks.n, 2);
	ck_assert_str_eq(apikey_match(&ks, "first-key-0000000000", 20), "billing");
	ck_assert_str_eq(apikey_match(&ks, "second-key-000000000", 20), "ops.2");
	/* a prefix, a longer token, the hash itself, nothing: no key */
	ck_assert_ptr_null(apikey_match(&ks, "first-key-000000000", 19));
	ck_assert_ptr_null(apikey_match(&ks, "first-key-00000000000", 21));
	ck_assert_ptr_null(apikey_match(&ks, hex, 64));
	ck_assert_ptr_null(apikey_match(&ks, "", 0));
	ck_assert_ptr_null(apikey_match(&ks, NULL, 0));
}
END_TEST

static const struct bad {
	const char *text, *why;
} bads[] = {
	{"billing\n", "line 1: expected name:key"},
	{"bill ing:0123456789abcdef0\n", "line 1: a key's name"},
	{":0123456789abcdef0\n", "line 1: a key's name"},
	{"# c\nshort:0123456789\n", "line 2: key 'short' is shorter than 16 bytes"},
	{"h:sha256:abcd\n", "line 1: sha256: wants 64 hex digits"},
	{"h:sha256:zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	 "line 1: sha256: wants 64 hex digits"},
	{"a:0123456789abcdef0\na:0123456789abcdef1\n", "line 2: the name 'a' twice"},
	{"# nothing\n\n", "no key in the file"},
};

START_TEST(test_refused)
{
	char err[128] = "";

	ck_assert_int_eq(parse(bads[_i].text, err, sizeof err), -1);
	ck_assert_msg(strstr(err, bads[_i].why), "'%s': got '%s'", bads[_i].text, err);
	ck_assert_uint_eq(ks.n, 0);
}
END_TEST

START_TEST(test_text_wiped)
{
	char buf[] = "billing:first-key-0000000000\nops:second-key-000000000\n", err[64];

	ck_assert_int_eq(apikey_parse(buf, &ks, err, sizeof err), 0);
	for (size_t i = 0; i < sizeof buf - 1; i++)
		ck_assert_int_eq(buf[i], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apikey");
	TCase *tc = tcase_create("apikey");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_clear_and_hashed);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof bads / sizeof bads[0]));
	tcase_add_test(tc, test_text_wiped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
