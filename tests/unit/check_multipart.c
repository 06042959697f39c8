/* Unit tests for lib/multipart.c: the boundary from Content-Type, parts
 * as a browser writes them (fields and a file), and every malformed body
 * refused whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_boundary)
{
	char b[80];

	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=abc", b, sizeof b), 0);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(
		multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\"", b,
				   sizeof b),
		0);
	ck_assert_str_eq(b, "a b;c");
	ck_assert_int_eq(multipart_boundary("multipart/form-data;boundary=x; y=z", b, sizeof b), 0);
	ck_assert_str_eq(b, "x");
	ck_assert_int_eq(multipart_boundary("multipart/form-data", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"x", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/mixed; boundary=x", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-dataX; boundary=x", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("application/x-www-form-urlencoded", b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary(NULL, b, sizeof b), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary="
					    "12345678901234567890123456789012345678901234567890"
					    "123456789012345678901",
					    b, sizeof b),
			 -1); /* 71 characters */
}
END_TEST

/* What Chromium sends for a form with a text field, a textarea and a file. */
static const char BROWSER[] =
	"------WebKitFormBoundaryQ\r\n"
	"Content-Disposition: form-data; name=\"csrf\"\r\n"
	"\r\n"
	"abc123\r\n"
	"------WebKitFormBoundaryQ\r\n"
	"Content-Disposition: form-data; name=\"text\"\r\n"
	"\r\n"
	"\r\n"
	"------WebKitFormBoundaryQ\r\n"
	"Content-Disposition: form-data; name=\"file\"; filename=\"p\\\"o.json\"\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"a\": 1}\r\n--not-the-boundary\r\n"
	"------WebKitFormBoundaryQ--\r\n";

START_TEST(test_browser)
{
	struct form f;

	ck_assert_int_eq(
		multipart_parse("----WebKitFormBoundaryQ", BROWSER, strlen(BROWSER), 4096, &f),
		FORM_OK);
	ck_assert_int_eq(f.n, 3);
	ck_assert_str_eq(form_get(&f, "csrf"), "abc123");
	ck_assert_str_eq(form_get(&f, "text"), "");
	ck_assert_str_eq(form_get(&f, "file"), "{\"a\": 1}\r\n--not-the-boundary");
	form_free(&f);
	/* Over the limit: refused before anything is read. */
	ck_assert_int_eq(
		multipart_parse("----WebKitFormBoundaryQ", BROWSER, strlen(BROWSER), 100, &f),
		FORM_ETOOBIG);
	ck_assert_int_eq(f.n, 0);
}
END_TEST

START_TEST(test_preamble_and_unquoted)
{
	static const char body[] = "ignored preamble\r\n--b\r\n"
				   "content-disposition: form-data; name=x\r\n\r\n1\r\n--b--";
	struct form f;

	ck_assert_int_eq(multipart_parse("b", body, strlen(body), 4096, &f), FORM_OK);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(form_get(&f, "x"), "1");
	form_free(&f);
}
END_TEST

static const char *const bad[] = {
	"",
	"--b",                                                             /* no end */
	"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1",      /* no close */
	"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n1\r\n--b--", /* no blank line */
	"--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\n1\r\n--b--",
	"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--",            /* no name */
	"--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n1\r\n--b--", /* empty name */
	"--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n1\r\n--b--",  /* open quote */
	"--b\r\n\r\n1\r\n--b--",                                              /* no headers */
	"--bx\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--",
	"no delimiter at all",
};

START_TEST(test_bad)
{
	struct form f;

	ck_assert_msg(multipart_parse("b", bad[_i], strlen(bad[_i]), 4096, &f) != FORM_OK,
		      "accepted: %s", bad[_i]);
	ck_assert_int_eq(f.n, 0);
	ck_assert_ptr_null(f.pairs);
}
END_TEST

START_TEST(test_nul_and_many)
{
	static const char nul[] = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\0"
				  "2\r\n--b--";
	char *big = malloc(64 * (FORM_MAX_PAIRS + 2));
	size_t n = 0;
	struct form f;

	ck_assert_int_eq(multipart_parse("b", nul, sizeof nul - 1, 4096, &f), FORM_EESCAPE);
	for (int i = 0; i <= FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(big + n,
				     "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
				     "%d\r\n",
				     i);
	n += (size_t)sprintf(big + n, "--b--");
	ck_assert_int_eq(multipart_parse("b", big, n, n, &f), FORM_ETOOMANY);
	ck_assert_int_eq(f.n, 0);
	free(big);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("multipart");

	tcase_add_test(tc, test_boundary);
	tcase_add_test(tc, test_browser);
	tcase_add_test(tc, test_preamble_and_unquoted);
	tcase_add_loop_test(tc, test_bad, 0, N(bad));
	tcase_add_test(tc, test_nul_and_many);
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
