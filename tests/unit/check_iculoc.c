/* Unit tests for lib/iculoc.c: BCP 47 tags and ICU ids to ICU ids,
 * strict on syntax and on the buffer; and which ICU answers count as a
 * fallback to root or the process default. */
#include <check.h>
#include <string.h>
#include <unicode/uloc.h>

#include "iculoc.h"

static void ok(const char *tag, const char *want)
{
	char out[ULOC_FULLNAME_CAPACITY];

	ck_assert_msg(iculoc_from_tag(tag, out, (int32_t)sizeof out) == 0, "%s refused", tag);
	ck_assert_msg(!strcmp(out, want), "%s -> %s, want %s", tag, out, want);
}

static void bad(const char *tag)
{
	char out[ULOC_FULLNAME_CAPACITY];

	ck_assert_msg(iculoc_from_tag(tag, out, (int32_t)sizeof out) == -1, "%s accepted as %s",
		      tag, out);
}

START_TEST(test_tags)
{
	ok("en", "en");
	ok("en-US", "en_US");
	ok("EN-us", "en_US");
	ok("ko-KR", "ko_KR");
	ok("zh-Hant-TW", "zh_Hant_TW");
	ok("sr-Latn", "sr_Latn");
	/* ICU ids go through uloc_canonicalize. */
	ok("en_US", "en_US");
	ok("de_DE@currency=EUR", "de_DE@currency=EUR");
}
END_TEST

START_TEST(test_not_tags)
{
	char out[ULOC_FULLNAME_CAPACITY];
	char longtag[80];

	ck_assert_int_eq(iculoc_from_tag(NULL, out, (int32_t)sizeof out), -1);
	bad("");
	bad("en-");
	bad("-en");
	bad("en US");
	bad("en--US");
	bad("e!");
	bad("en-US!");
	/* 63 characters is the most; 64 is refused before ICU sees it. */
	memset(longtag, 'a', sizeof longtag);
	longtag[64] = '\0';
	bad(longtag);
}
END_TEST

/* The buffer: too small or exactly the id without its NUL is refused;
 * one more byte is enough. */
START_TEST(test_capacity)
{
	char out[16];

	ck_assert_int_eq(iculoc_from_tag("en-US", out, 3), -1);
	ck_assert_int_eq(iculoc_from_tag("en-US", out, 5), -1);
	ck_assert_int_eq(iculoc_from_tag("en-US", out, 6), 0);
	ck_assert_str_eq(out, "en_US");
	ck_assert_int_eq(iculoc_from_tag("en_US", out, 5), -1);
	ck_assert_int_eq(iculoc_from_tag("en_US", out, 6), 0);
	ck_assert_str_eq(out, "en_US");
}
END_TEST

START_TEST(test_fell_back)
{
	UErrorCode st = U_ZERO_ERROR;

	uloc_setDefault("fr_FR", &st);
	ck_assert(U_SUCCESS(st));
	/* Served its own language, with or without the region. */
	ck_assert_int_eq(iculoc_fell_back("de", "de"), 0);
	ck_assert_int_eq(iculoc_fell_back("de_AT", "de"), 0);
	ck_assert_int_eq(iculoc_fell_back("de_AT", "de_AT"), 0);
	/* The default's own language asked for is no fallback. */
	ck_assert_int_eq(iculoc_fell_back("fr_CA", "fr"), 0);
	/* Root, empty or the default's language for another language. */
	ck_assert_int_eq(iculoc_fell_back("xx", "root"), 1);
	ck_assert_int_eq(iculoc_fell_back("xx", ""), 1);
	ck_assert_int_eq(iculoc_fell_back("xx", "fr_FR"), 1);
	ck_assert_int_eq(iculoc_fell_back("de", "fr"), 1);
	/* An alias ICU resolved ("iw" -> "he") is another language, not
	 * the default's: served. */
	ck_assert_int_eq(iculoc_fell_back("iw", "he"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("iculoc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tags);
	tcase_add_test(tc, test_not_tags);
	tcase_add_test(tc, test_capacity);
	tcase_add_test(tc, test_fell_back);
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
