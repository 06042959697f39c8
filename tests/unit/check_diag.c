/* Unit tests for lib/diag.c: messages as "file:line:column: message", in
 * the order added, located by JSON path through jsonpos, a long message
 * cut rather than overflowing, and diag_free leaving a reusable empty
 * diag. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

START_TEST(test_add_format_and_order)
{
	struct diag d = {0};

	diag_add(&d, "dunnd.json", 3, 7, "unknown key '%s'", "lisen");
	diag_add(&d, "p.json", 0, 0, "cannot open: %s", "No such file");
	diag_add(&d, "", -1, 123456, "%d%%", 50);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.msgs[0], "dunnd.json:3:7: unknown key 'lisen'");
	ck_assert_str_eq(d.msgs[1], "p.json:0:0: cannot open: No such file");
	ck_assert_str_eq(d.msgs[2], ":-1:123456: 50%");
	diag_free(&d);
	ck_assert_ptr_null(d.msgs);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(d.cap, 0);
}
END_TEST

START_TEST(test_growth)
{
	struct diag d = {0};

	for (int i = 0; i < 1000; i++)
		diag_add(&d, "f", i, i + 1, "m%d", i);
	ck_assert_uint_eq(d.n, 1000);
	ck_assert_uint_ge(d.cap, 1000);
	for (int i = 0; i < 1000; i++) {
		char want[64];
		snprintf(want, sizeof want, "f:%d:%d: m%d", i, i + 1, i);
		ck_assert_str_eq(d.msgs[i], want);
	}
	diag_free(&d);
	/* Reusable after free. */
	diag_add(&d, "g", 1, 1, "again");
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.msgs[0], "g:1:1: again");
	diag_free(&d);
	diag_free(&d); /* twice is harmless */
}
END_TEST

START_TEST(test_long_message_cut)
{
	struct diag d = {0};
	char *big = malloc(5000);

	ck_assert_ptr_nonnull(big);
	memset(big, 'q', 4999);
	big[4999] = '\0';
	diag_add(&d, "f.json", 1, 2, "%s", big);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(strncmp(d.msgs[0], "f.json:1:2: qqq", 15), 0);
	/* The body is cut to 511 bytes; the file name is not. */
	ck_assert_uint_eq(strlen(d.msgs[0]), strlen("f.json:1:2: ") + 511);
	free(big);
	diag_free(&d);
}
END_TEST

static const char text[] = "{\n"
			   "  \"a\": 1,\n"
			   "  \"tracks\": [\n"
			   "    {\"steps\": [{\"after_days\": 3}]},\n"
			   "    {\"odd.key\": true}\n"
			   "  ]\n"
			   "}\n";

START_TEST(test_at_located)
{
	struct diag d = {0};

	diag_at(&d, "p.json", text, "a", 0, "value");
	diag_at(&d, "p.json", text, "a", 1, "key");
	diag_at(&d, "p.json", text, "tracks[0].steps[0].after_days", 0, "deep %d", 3);
	diag_at(&d, "p.json", text, "tracks[0].steps[0].after_days", 1, "deep key");
	diag_at(&d, "p.json", text, "tracks[1][\"odd.key\"]", 1, "quoted key");
	diag_at(&d, "p.json", text, "", 0, "root");
	ck_assert_uint_eq(d.n, 6);
	ck_assert_str_eq(d.msgs[0], "p.json:2:8: value");
	ck_assert_str_eq(d.msgs[1], "p.json:2:3: key");
	ck_assert_str_eq(d.msgs[2], "p.json:4:31: deep 3");
	ck_assert_str_eq(d.msgs[3], "p.json:4:17: deep key");
	ck_assert_str_eq(d.msgs[4], "p.json:5:6: quoted key");
	ck_assert_str_eq(d.msgs[5], "p.json:1:1: root");
	diag_free(&d);
}
END_TEST

START_TEST(test_at_not_found)
{
	struct diag d = {0};

	/* A path that is absent, malformed, or no text at all: 1:1. */
	diag_at(&d, "p.json", text, "nope", 0, "absent");
	diag_at(&d, "p.json", text, "tracks[9]", 0, "index");
	diag_at(&d, "p.json", text, "tracks[", 0, "malformed");
	diag_at(&d, "p.json", NULL, "a", 0, "no text");
	diag_at(&d, "p.json", "", "a", 0, "empty text");
	ck_assert_uint_eq(d.n, 5);
	ck_assert_str_eq(d.msgs[0], "p.json:1:1: absent");
	ck_assert_str_eq(d.msgs[1], "p.json:1:1: index");
	ck_assert_str_eq(d.msgs[2], "p.json:1:1: malformed");
	ck_assert_str_eq(d.msgs[3], "p.json:1:1: no text");
	ck_assert_str_eq(d.msgs[4], "p.json:1:1: empty text");
	diag_free(&d);
}
END_TEST

START_TEST(test_print)
{
	struct diag d = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	diag_print(&d, f); /* empty: nothing */
	fflush(f);
	ck_assert_uint_eq(len, 0);
	diag_add(&d, "a", 1, 2, "one");
	diag_add(&d, "b", 3, 4, "two");
	diag_print(&d, f);
	fclose(f);
	ck_assert_str_eq(buf, "a:1:2: one\nb:3:4: two\n");
	free(buf);
	diag_free(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_add_format_and_order);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_long_message_cut);
	tcase_add_test(tc, test_at_located);
	tcase_add_test(tc, test_at_not_found);
	tcase_add_test(tc, test_print);
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
