/* Unit tests for lib/jsonpos. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

/* Expected positions below were computed independently (Python, counting
 * code points) from this exact text. */
static const char doc[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"default\", \"steps\": [\n"
	"      {\"after_days\": 3, \"channel\": \"email\"},\n"
	"      {\"after_days\": 10,\n"
	"       \"channel\": \"sms\"}\n"
	"    ]},\n"
	"    {\"name\": \"vip\", \"steps\": []}\n"
	"  ],\n"
	"  \"channels\": {\n"
	"    \"email\": {\"module\": \"smtp\", \"opts\": {\"a.b\": true, \"x[1]\": null, \"\": -2.5e3}},\n"
	"    \"sms\": {\"module\": \"twilio\"}\n"
	"  },\n"
	"  \"names\": {\"caf\\u00e9\": 1, \"日本\": \"ja\", \"emoji\\ud83d\\ude00\": [1, 2], \"q\\\"uote\": \"x\", \"back\\\\slash\": 0, \"tab\\t\": 1, \"slash\\/\": 2, \"cafe\": 3},\n"
	"  \"dup\": 1, \"dup\": {\"k\": \"first\"}, \"dup\": {\"k\": \"last\"},\n"
	"  \"ñ\": \"ü値\", \"after_multibyte\": false,\n"
	"  \"nested\": [[0, [10, 11, {\"deep\": [\"x\", \"y\"]}]], \"s]}{[\", {\"}\": \"{\"}]\n"
	"}\n";

static const struct {
	const char *path;
	int want_key;
	int rc, line, col;
} str_cases[] = {
	{"", 0, 0, 1, 1},
	{"version", 0, 0, 2, 14},
	{"version", 1, 0, 2, 3},
	{"tracks", 0, 0, 3, 13},
	{"tracks[0].steps[0]", 0, 0, 5, 7},
	{"tracks[0].steps[0].after_days", 0, 0, 5, 22},
	{"tracks[0].steps[0].channel", 0, 0, 5, 36},
	{"tracks[0].steps[1].after_days", 0, 0, 6, 22},
	{"tracks[0].steps[1].channel", 0, 0, 7, 19},
	{"tracks[0].steps[1].channel", 1, 0, 7, 8},
	{"tracks[1].name", 0, 0, 9, 14},
	{"tracks[1].steps", 0, 0, 9, 30},
	{"channels.email.module", 0, 0, 12, 25},
	{"channels.email.opts[\"a.b\"]", 0, 0, 12, 49},
	{"channels.email.opts[\"a.b\"]", 1, 0, 12, 42},
	{"channels.email.opts[\"x[1]\"]", 0, 0, 12, 63},
	{"channels.email.opts[\"\"]", 0, 0, 12, 73},
	{"channels.email.opts[\"\"]", 1, 0, 12, 69},
	{"channels.email.opts.[\"a.b\"]", 0, 0, 12, 49},
	{"channels.sms.module", 0, 0, 13, 23},
	{"[\"channels\"][\"sms\"][\"module\"]", 0, 0, 13, 23},
	/* keys compared after unescaping; columns count code points */
	{"names.café", 0, 0, 15, 26},
	{"names.日本", 0, 0, 15, 35},
	{"names.日本", 1, 0, 15, 29},
	{"names.emoji😀", 0, 0, 15, 62},
	{"names.emoji😀[1]", 0, 0, 15, 66},
	{"names[\"q\\\"uote\"]", 0, 0, 15, 81},
	{"names[\"q\\\"uote\"]", 1, 0, 15, 70},
	{"names[\"back\\\\slash\"]", 0, 0, 15, 101},
	{"names.tab\t", 0, 0, 15, 113},
	{"names.slash/", 0, 0, 15, 127},
	{"names.cafe", 0, 0, 15, 138},
	/* duplicates: the last wins */
	{"dup", 0, 0, 16, 43},
	{"dup", 1, 0, 16, 36},
	{"dup.k", 0, 0, 16, 49},
	{"ñ", 0, 0, 17, 8},
	{"ñ", 1, 0, 17, 3},
	{"after_multibyte", 0, 0, 17, 33},
	{"after_multibyte", 1, 0, 17, 14},
	/* brackets and braces inside strings don't confuse skipping */
	{"nested", 0, 0, 18, 13},
	{"nested[0]", 0, 0, 18, 14},
	{"nested[0][0]", 0, 0, 18, 15},
	{"nested[0][1][1]", 0, 0, 18, 23},
	{"nested[0][1][2].deep[1]", 0, 0, 18, 42},
	{"nested[0][1][2].deep", 1, 0, 18, 28},
	{"nested[1]", 0, 0, 18, 51},
	{"nested[2][\"}\"]", 0, 0, 18, 66},
	/* missing */
	{"nope", 0, -1, 0, 0},
	{"Version", 0, -1, 0, 0},
	{"names.caf", 0, -1, 0, 0},
	{"names.cafée", 0, -1, 0, 0},
	{"names.emoji", 0, -1, 0, 0},
	{"version.x", 0, -1, 0, 0},
	{"version[0]", 0, -1, 0, 0},
	{"tracks.name", 0, -1, 0, 0},
	{"tracks[2]", 0, -1, 0, 0},
	{"tracks[1].steps[0]", 0, -1, 0, 0},
	{"tracks[0].steps[5]", 0, -1, 0, 0},
	{"channels.email.module.x", 0, -1, 0, 0},
	{"channels[0]", 0, -1, 0, 0},
	{"nested[3]", 0, -1, 0, 0},
	{"nested[9223372036854775807]", 0, -1, 0, 0},
	/* want_key needs a final key step */
	{"", 1, -1, 0, 0},
	{"tracks[0]", 1, -1, 0, 0},
	/* malformed paths */
	{".version", 0, -1, 0, 0},
	{"version.", 0, -1, 0, 0},
	{"channels..email", 0, -1, 0, 0},
	{"tracks[", 0, -1, 0, 0},
	{"tracks[]", 0, -1, 0, 0},
	{"tracks[-1]", 0, -1, 0, 0},
	{"tracks[a]", 0, -1, 0, 0},
	{"tracks[0", 0, -1, 0, 0},
	{"tracks]", 0, -1, 0, 0},
	{"tracks[0]x", 0, -1, 0, 0},
	{"tracks[99999999999999999999999]", 0, -1, 0, 0},
	{"[\"version", 0, -1, 0, 0},
	{"[\"version\"", 0, -1, 0, 0},
	{"[\"version\\", 0, -1, 0, 0},
	{"[\"version\"]x", 0, -1, 0, 0},
};

START_TEST(test_find_str_table)
{
	int line = 0, col = 0;
	int rc = jsonpos_find_str(doc, sizeof doc - 1, str_cases[_i].path, str_cases[_i].want_key,
				  &line, &col);
	ck_assert_msg(rc == str_cases[_i].rc, "case %d \"%s\" key=%d: rc %d", _i,
		      str_cases[_i].path, str_cases[_i].want_key, rc);
	if (rc == 0)
		ck_assert_msg(line == str_cases[_i].line && col == str_cases[_i].col,
			      "case %d \"%s\" key=%d: got %d:%d want %d:%d", _i, str_cases[_i].path,
			      str_cases[_i].want_key, line, col, str_cases[_i].line,
			      str_cases[_i].col);
}
END_TEST

START_TEST(test_find_steps)
{
	int line, col;
	const struct jsonpos_step p1[] = {{"channels", 0}, {"email", 0}, {"opts", 0}, {"a.b", 0}};
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p1, 4, 0, &line, &col), 0);
	ck_assert_int_eq(line, 12);
	ck_assert_int_eq(col, 49);
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p1, 4, 1, &line, &col), 0);
	ck_assert_int_eq(col, 42);

	const struct jsonpos_step p2[] = {
		{"tracks", 0}, {NULL, 0}, {"steps", 0}, {NULL, 1}, {"channel", 0}};
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p2, 5, 1, &line, &col), 0);
	ck_assert_int_eq(line, 7);
	ck_assert_int_eq(col, 8);
	/* a prefix of the path; want_key on an index step is refused */
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p2, 4, 0, &line, &col), 0);
	ck_assert_int_eq(line, 6);
	ck_assert_int_eq(col, 7);
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p2, 4, 1, &line, &col), -1);

	/* unicode keys given as UTF-8 match \u escapes, incl. surrogate pairs */
	const struct jsonpos_step p3[] = {{"names", 0}, {"emoji\xF0\x9F\x98\x80", 0}, {NULL, 0}};
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p3, 3, 0, &line, &col), 0);
	ck_assert_int_eq(line, 15);
	ck_assert_int_eq(col, 63);
	const struct jsonpos_step p4[] = {{"names", 0}, {"caf\xC3\xA9", 0}};
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p4, 2, 1, &line, &col), 0);
	ck_assert_int_eq(col, 13);

	/* root, negative index, bad arguments; NULL outputs are allowed */
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, NULL, 0, 0, &line, &col), 0);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(col, 1);
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, NULL, 0, 1, &line, &col), -1);
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, NULL, 1, 0, &line, &col), -1);
	const struct jsonpos_step p5[] = {{"tracks", 0}, {NULL, -1}};
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p5, 2, 0, &line, &col), -1);
	ck_assert_int_eq(jsonpos_find(doc, sizeof doc - 1, p1, 4, 0, NULL, NULL), 0);
	ck_assert_int_eq(jsonpos_find_str(doc, sizeof doc - 1, "version", 0, NULL, NULL), 0);
	ck_assert_int_eq(jsonpos_find_str(doc, sizeof doc - 1, NULL, 0, &line, &col), -1);
	ck_assert_int_eq(jsonpos_find(NULL, 0, NULL, 0, 0, &line, &col), -1);
	ck_assert_int_eq(jsonpos_find_str(NULL, 0, "", 0, &line, &col), -1);
}
END_TEST

/* Small documents exercising one feature each. */
static const struct {
	const char *text;
	const char *path;
	int want_key;
	int rc, line, col;
} small_cases[] = {
	{"42", "", 0, 0, 1, 1},
	{"  \n\t \"s\" ", "", 0, 0, 2, 3},
	{"null", "", 0, 0, 1, 1},
	{"", "", 0, -1, 0, 0},
	{" \n ", "", 0, -1, 0, 0},
	{"{}", "a", 0, -1, 0, 0},
	{"[]", "[0]", 0, -1, 0, 0},
	{"[ 1 , 2 ,3 ]", "[2]", 0, 0, 1, 10},
	{"{\"a\":{\"b\":[true,false,null]}}", "a.b[1]", 0, 0, 1, 17},
	{"{\"a\" : 1 , \"b\"\n:\n2}", "b", 0, 0, 3, 1},
	{"{\"a\" : 1 , \"b\"\n:\n2}", "b", 1, 0, 1, 12},
	/* CRLF line ends */
	{"{\r\n  \"a\": 1,\r\n  \"b\": 2\r\n}", "b", 0, 0, 3, 8},
	/* a BOM is skipped and not counted */
	{"\xEF\xBB\xBF{\"a\": 1}", "a", 0, 0, 1, 7},
	{"\xEF\xBB\xBF{\"a\": 1}", "", 0, 0, 1, 1},
	/* escaped quotes in values and keys */
	{"{\"a\": \"x\\\"}, \\\"b\\\": 1\", \"b\": 2}", "b", 0, 0, 1, 30},
	{"{\"a\\\\\": 1, \"a\": 2}", "a", 0, 0, 1, 17},
	{"{\"a\\\\\": 1, \"a\": 2}", "[\"a\\\\\"]", 0, 0, 1, 9},
	/* \u escapes: case-insensitive hex, surrogates, control chars */
	{"{\"\\u00E9\": 1}", "é", 0, 0, 1, 12},
	{"{\"\\uD83D\\uDE00\": 1}", "😀", 0, 0, 1, 18},
	{"{\"\\u0041\\u0062\": 1}", "Ab", 0, 0, 1, 18},
	{"{\"\\n\": 1}", "\n", 0, 0, 1, 8},
	{"{\"\\b\\f\\r\": 1}", "\b\f\r", 0, 0, 1, 12},
	/* lone surrogates never match */
	{"{\"\\ud83d\": 1}", "\xED\xA0\xBD", 0, -1, 0, 0},
	{"{\"\\ude00x\": 1}", "x", 0, -1, 0, 0},
	/* multi-byte columns */
	{"{\"ключ\": \"значение\", \"k\": 1}", "k", 0, 0, 1, 27},
	{"[\"😀😀\", 5]", "[1]", 0, 0, 1, 8},
	/* duplicate keys with different types: last wins */
	{"{\"a\": [1], \"a\": {\"b\": 2}}", "a.b", 0, 0, 1, 23},
	{"{\"a\": {\"b\": 2}, \"a\": [1]}", "a.b", 0, -1, 0, 0},
	/* numbers of all shapes */
	{"[-0.5e+10, 1E-3, 0]", "[2]", 0, 0, 1, 18},
};

START_TEST(test_small_table)
{
	int line = 0, col = 0;
	const char *t = small_cases[_i].text;
	/* exact-size heap copy so ASan catches any read past len */
	size_t len = strlen(t);
	char *copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, t, len);
	int rc = jsonpos_find_str(copy, len, small_cases[_i].path, small_cases[_i].want_key, &line,
				  &col);
	free(copy);
	ck_assert_msg(rc == small_cases[_i].rc, "case %d: rc %d", _i, rc);
	if (rc == 0)
		ck_assert_msg(line == small_cases[_i].line && col == small_cases[_i].col,
			      "case %d: got %d:%d want %d:%d", _i, line, col, small_cases[_i].line,
			      small_cases[_i].col);
}
END_TEST

START_TEST(test_len_bounds)
{
	/* only len bytes count: text past it is invisible */
	const char *t = "{\"a\": 1}{\"b\": 2}";
	int line, col;
	ck_assert_int_eq(jsonpos_find_str(t, 8, "a", 0, &line, &col), 0);
	ck_assert_int_eq(col, 7);
	ck_assert_int_eq(jsonpos_find_str(t, 8, "b", 0, &line, &col), -1);
	/* a root cut short is not a value at all */
	ck_assert_int_eq(jsonpos_find_str(t, 7, "a", 0, &line, &col), -1);
	/* an embedded NUL is just a byte: it can't end the text early */
	static const char nul[] = "{\"a\0\": 1, \"b\": 2}";
	ck_assert_int_eq(jsonpos_find_str(nul, sizeof nul - 1, "b", 0, &line, &col), 0);
	ck_assert_int_eq(col, 16);
	ck_assert_int_eq(jsonpos_find_str(nul, sizeof nul - 1, "a", 0, &line, &col), -1);
}
END_TEST

static const char *const malformed[] = {
	"{",
	"[",
	"{\"a\"",
	"{\"a\":",
	"{\"a\": ",
	"{\"a\": 1",
	"{\"a\": 1,",
	"{\"a\": \"",
	"{\"a\": \"\\",
	"{\"a\": \"\\u12",
	"{\"\\ud83d\\u",
	"{\"a\" 1}",
	"{\"a\": 1 \"b\": 2}",
	"{a: 1}",
	"[1 2]",
	"[,]",
	"{,}",
	"]]]]",
	"}}}",
	"{\"a\": ]}",
	"{\"a\": [}",
	"{\"a\": {\"b\": [1, 2}, \"c\": 3]}",
	"\"unterminated",
	"\\",
	":",
	"\xEF\xBB",
	"\xEF\xBB\xBF",
	"\xFF\xFE{\"a\":1}",
};

START_TEST(test_malformed_no_crash)
{
	static const char *const paths[] = {"", "a", "a[0]", "a.b", "b", "[0]", "[1]", "a.b[0].c"};
	const char *t = malformed[_i];
	size_t len = strlen(t);
	for (size_t cut = 0; cut <= len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, t, cut);
		for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++)
			for (int k = 0; k < 2; k++) {
				int line = -7, col = -7;
				int rc = jsonpos_find_str(copy, cut, paths[p], k, &line, &col);
				ck_assert(rc == 0 || rc == -1);
				if (rc == 0)
					ck_assert(line >= 1 && col >= 1);
			}
		free(copy);
	}
}
END_TEST

START_TEST(test_truncations_and_mutations)
{
	/* every prefix of the big document, then random byte mutations */
	size_t n = sizeof str_cases / sizeof str_cases[0];
	size_t dlen = sizeof doc - 1;
	for (size_t cut = 0; cut <= dlen; cut++) {
		char *copy = malloc(cut ? cut : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, doc, cut);
		for (size_t i = 0; i < n; i += 3) {
			int line, col;
			int rc = jsonpos_find_str(copy, cut, str_cases[i].path,
						  str_cases[i].want_key, &line, &col);
			ck_assert(rc == 0 || rc == -1);
		}
		free(copy);
	}
	uint32_t seed = 12345;
	static const char alphabet[] = "{}[]\",:\\u 0aé\n";
	char *copy = malloc(dlen);
	ck_assert_ptr_nonnull(copy);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(copy, doc, dlen);
		for (int m = 0; m < 4; m++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % dlen;
			seed = seed * 1103515245u + 12345u;
			copy[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
		}
		for (size_t i = 0; i < n; i += 7) {
			int line, col;
			int rc = jsonpos_find_str(copy, dlen, str_cases[i].path, 0, &line, &col);
			ck_assert(rc == 0 || rc == -1);
		}
	}
	free(copy);
}
END_TEST

START_TEST(test_deep_nesting)
{
	/* deep nesting must not recurse: 200k levels */
	enum { D = 200000 };
	char *t = malloc(2 * D + 1);
	ck_assert_ptr_nonnull(t);
	memset(t, '[', D);
	t[D] = '7';
	memset(t + D + 1, ']', D);
	int line, col;
	char path[3 * 50 + 1] = "";
	for (int i = 0; i < 50; i++)
		strcat(path, "[0]");
	ck_assert_int_eq(jsonpos_find_str(t, 2 * D + 1, path, 0, &line, &col), 0);
	ck_assert_int_eq(col, 51);
	struct jsonpos_step steps[60];
	for (int i = 0; i < 60; i++)
		steps[i] = (struct jsonpos_step){NULL, 0};
	ck_assert_int_eq(jsonpos_find(t, 2 * D + 1, steps, 60, 0, &line, &col), 0);
	ck_assert_int_eq(col, 61);
	/* unclosed: the root itself is not a complete value */
	ck_assert_int_eq(jsonpos_find_str(t, D + 1, "[0]", 0, &line, &col), -1);
	free(t);
}
END_TEST

static Suite *jsonpos_suite(void)
{
	Suite *s = suite_create("jsonpos");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_find_str_table, 0,
			    (int)(sizeof str_cases / sizeof str_cases[0]));
	tcase_add_test(tc, test_find_steps);
	tcase_add_loop_test(tc, test_small_table, 0,
			    (int)(sizeof small_cases / sizeof small_cases[0]));
	tcase_add_test(tc, test_len_bounds);
	tcase_add_loop_test(tc, test_malformed_no_crash, 0,
			    (int)(sizeof malformed / sizeof malformed[0]));
	tcase_add_test(tc, test_truncations_and_mutations);
	tcase_add_test(tc, test_deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jsonpos_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
