/* lib/opts: one validator for every option table, at file:line:column;
 * reads that take a row's default; the restart-only comparison. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"

static const struct channel_opt rows[] = {
	{"n", CHANNEL_OPT_INT, "6", 1, 10, NULL, 0, "a number"},
	{"tls", CHANNEL_OPT_ENUM, "if-available", 0, 0, "required|if-available|off", 0, "tls"},
	{"url", CHANNEL_OPT_URL, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED, "where"},
	{"on", CHANNEL_OPT_BOOL, "true", 0, 0, NULL, CHANNEL_OPT_RELOADABLE, "switch"},
	{"name", CHANNEL_OPT_STRING, "x", 1, 4, NULL, 0, "short"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

/* The diagnostics of checking text's "c" object, joined by newlines. */
static char *check_text(const char *text)
{
	char path[] = "/tmp/check_opts.XXXXXX";
	int fd = mkstemp(path);
	struct diag d = {0};
	struct jconf j;
	char *out = calloc(1, 4096);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	ck_assert_int_eq(jconf_open(&j, path, &d), 0);
	opts_check(&j, json_object_get(j.root, "c"), "c", rows,
		   (const char *const[]){"module", NULL});
	for (size_t i = 0; i < d.n; i++) {
		const char *m = strchr(d.msgs[i], ':'); /* past the file name */
		strncat(out, m ? m + 1 : d.msgs[i], 4096 - strlen(out) - 2);
		strcat(out, "\n");
	}
	jconf_close(&j);
	diag_free(&d);
	unlink(path);
	return out;
}

START_TEST(good_object_passes)
{
	char *out = check_text("{\"c\": {\"module\": \"m\", \"url\": \"https://a\", \"n\": 10}}");
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(each_problem_at_its_place)
{
	static const char *const cases[][2] = {
		{"{\"c\": {\"url\": \"https://a\", \"retries\": 3}}",
		 "1:28: unknown key 'retries'"},
		{"{\"c\": {\"url\": \"https://a\", \"n\": 0}}",
		 "1:33: 'n' must be an integer from 1 to 10"},
		{"{\"c\": {\"url\": \"https://a\", \"n\": \"6\"}}",
		 "1:33: 'n' must be an integer from 1 to 10"},
		{"{\"c\": {\"url\": \"https://a\", \"tls\": \"on\"}}",
		 "1:35: 'tls' must be required, if-available or off"},
		{"{\"c\": {\"url\": \"ftp://a\"}}", "1:15: 'url' must be an http(s) URL"},
		{"{\"c\": {\"n\": 2}}", "1:7: missing required key 'url'"},
		{"{\"c\": {\"url\": \"https://a\", \"on\": 1}}",
		 "1:34: 'on' must be true or false"},
		{"{\"c\": {\"url\": \"https://a\", \"name\": \"toolong\"}}",
		 "1:36: 'name' must be a string of 1 to 4 bytes"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = check_text(cases[i][0]);
		ck_assert_msg(strstr(out, cases[i][1]), "%s: want '%s', got '%s'", cases[i][0],
			      cases[i][1], out);
		free(out);
	}
}
END_TEST

START_TEST(reads_take_defaults)
{
	json_t *o = json_loads("{\"n\": 3, \"tls\": \"off\"}", 0, NULL);

	ck_assert_int_eq(opts_int(rows, o, "n"), 3);
	ck_assert_int_eq(opts_enum(rows, o, "tls"), 2);
	ck_assert_int_eq(opts_bool(rows, o, "on"), 1);
	ck_assert_str_eq(opts_str(rows, o, "name"), "x");
	ck_assert_ptr_null(opts_str(rows, o, "url"));
	json_object_set_new(o, "n", json_integer(99)); /* never clamped: the default */
	ck_assert_int_eq(opts_int(rows, o, "n"), 6);
	json_decref(o);
}
END_TEST

START_TEST(restart_only_rows_compared)
{
	json_t *a = json_loads("{\"n\": 6, \"on\": false}", 0, NULL);
	json_t *b = json_loads("{\"on\": true}", 0, NULL);

	/* n written as its default is no change; on is reloadable. */
	ck_assert_ptr_null(opts_restart_diff(rows, a, b, 0));
	json_object_set_new(b, "tls", json_string("off"));
	ck_assert_str_eq(opts_restart_diff(rows, a, b, 0)->name, "tls");
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(dump_lists_every_row)
{
	json_t *d = opts_dump_json("x", rows);

	ck_assert_int_eq(json_array_size(d), 5);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "range")),
			 "1 to 10");
	ck_assert(json_is_true(json_object_get(json_array_get(d, 3), "reloadable")));
	json_decref(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("opts");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, good_object_passes);
	tcase_add_test(tc, each_problem_at_its_place);
	tcase_add_test(tc, reads_take_defaults);
	tcase_add_test(tc, restart_only_rows_compared);
	tcase_add_test(tc, dump_lists_every_row);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
