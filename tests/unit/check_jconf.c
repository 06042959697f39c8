/* Unit tests for lib/jconf.c: child paths, opening a file (missing, a
 * syntax error, duplicates, not an object, larger than the first buffer),
 * and the typed member reads with their diagnostics at file:line:column.
 * jconf_hhmm is checked over every "DD:DD". */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jconf.h"

static char tmpl[64];

static const char *write_file(const char *text, size_t len)
{
	int fd;

	snprintf(tmpl, sizeof tmpl, "/tmp/check_jconf.XXXXXX");
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return tmpl;
}

START_TEST(test_path)
{
	static const struct {
		const char *parent, *key, *want;
	} t[] = {
		{"", "a", "a"},
		{"a.b", "c", "a.b.c"},
		{"tracks[1]", "steps", "tracks[1].steps"},
		{"", "odd.key", "[\"odd.key\"]"},
		{"a", "x[0]", "a[\"x[0]\"]"},
		{"a", "", "a[\"\"]"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *p = jconf_path(t[i].parent, t[i].key);
		ck_assert_str_eq(p, t[i].want);
		free(p);
	}
	char *p = jconf_path_index("tracks", 2);
	ck_assert_str_eq(p, "tracks[2]");
	free(p);
	p = jconf_path_index("", 0);
	ck_assert_str_eq(p, "[0]");
	free(p);
}
END_TEST

static void open_fails(const char *text, const char *want_suffix)
{
	struct diag d = {0};
	struct jconf c;
	const char *f = write_file(text, strlen(text));

	ck_assert_int_eq(jconf_open(&c, f, &d), -1);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(strncmp(d.msgs[0], f, strlen(f)), 0);
	ck_assert_msg(strstr(d.msgs[0] + strlen(f), want_suffix), "%s", d.msgs[0]);
	jconf_close(&c);
	diag_free(&d);
	unlink(f);
}

START_TEST(test_open_errors)
{
	struct diag d = {0};
	struct jconf c;

	ck_assert_int_eq(jconf_open(&c, "/nonexistent/dunnd.json", &d), -1);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.msgs[0],
			 "/nonexistent/dunnd.json:0:0: cannot open: No such file or directory");
	jconf_close(&c);
	diag_free(&d);

	open_fails("[1, 2]", ":1:1: top level must be an object");
	open_fails("\"s\"", ":1:3: '[' or '{' expected");
	open_fails("{\n  \"a\": 1,\n  \"a\": 2\n}\n", ":3:");
	open_fails("{\n  \"a\": ,\n}\n", ":2:");
	open_fails("", ":");
}
END_TEST

START_TEST(test_open_sizes)
{
	/* Around the first buffer's 8191 bytes and well past it. */
	static const size_t sizes[] = {2, 8190, 8191, 8192, 8193, 16383, 16384, 100000};

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		char *text = malloc(n);
		struct diag d = {0};
		struct jconf c;

		ck_assert_ptr_nonnull(text);
		memset(text, ' ', n);
		text[0] = '{';
		text[n - 1] = '}';
		const char *f = write_file(text, n);
		ck_assert_msg(jconf_open(&c, f, &d) == 0, "size %zu", n);
		ck_assert_uint_eq(d.n, 0);
		ck_assert_uint_eq(strlen(c.text), n);
		ck_assert(json_is_object(c.root));
		jconf_close(&c);
		unlink(f);
		free(text);
	}
}
END_TEST

static const char conf[] = "{\n"
			   "  \"s\": \"text\",\n"
			   "  \"n\": 42,\n"
			   "  \"b\": false,\n"
			   "  \"o\": {\"x\": 1, \"typo\": 2},\n"
			   "  \"arr\": [1],\n"
			   "  \"t\": \"07:30\",\n"
			   "  \"bad\": \"7:30\"\n"
			   "}\n";

START_TEST(test_members)
{
	static const char *const allowed[] = {"x", NULL};
	struct diag d = {0};
	struct jconf c;
	const char *f = write_file(conf, strlen(conf));
	size_t fl = strlen(f);

	ck_assert_int_eq(jconf_open(&c, f, &d), 0);
	/* Right types: the values, no diagnostics. */
	ck_assert_str_eq(jconf_str(&c, c.root, "", "s", "def", 1), "text");
	ck_assert_int_eq(jconf_int(&c, c.root, "", "n", 7, 0, 100), 42);
	ck_assert_int_eq(jconf_bool(&c, c.root, "", "b", 1), 0);
	ck_assert_ptr_nonnull(jconf_obj(&c, c.root, "", "o", 1));
	ck_assert_ptr_nonnull(jconf_arr(&c, c.root, "", "arr", 1));
	ck_assert_int_eq(jconf_hhmm(&c, c.root, "", "t", 5), 7 * 60 + 30);
	/* Absent, not required: the default, silently. */
	ck_assert_str_eq(jconf_str(&c, c.root, "", "none", "def", 0), "def");
	ck_assert_ptr_null(jconf_str(&c, c.root, "", "none", NULL, 0));
	ck_assert_int_eq(jconf_int(&c, c.root, "", "none", 7, 0, 100), 7);
	ck_assert_int_eq(jconf_bool(&c, c.root, "", "none", 1), 1);
	ck_assert_int_eq(jconf_hhmm(&c, c.root, "", "none", 5), 5);
	ck_assert_ptr_null(jconf_obj(&c, c.root, "", "none", 0));
	ck_assert_uint_eq(d.n, 0);

	/* Each problem once, where it is. */
	ck_assert_ptr_null(jconf_obj(&c, c.root, "", "none", 1));
	ck_assert_str_eq(jconf_str(&c, c.root, "", "n", "def", 0), "def");
	ck_assert_int_eq(jconf_int(&c, c.root, "", "s", 7, 0, 100), 7);
	ck_assert_int_eq(jconf_int(&c, c.root, "", "n", 7, 0, 41), 7);
	ck_assert_int_eq(jconf_int(&c, c.root, "", "n", 7, 43, 100), 7);
	ck_assert_int_eq(jconf_bool(&c, c.root, "", "n", 1), 1);
	ck_assert_ptr_null(jconf_arr(&c, c.root, "", "o", 0));
	ck_assert_int_eq(jconf_hhmm(&c, c.root, "", "bad", 5), -1);
	jconf_keys(&c, jconf_obj(&c, c.root, "", "o", 1), "o", allowed);
	jconf_keys(&c, c.root, "",
		   (const char *const[]){"s", "n", "b", "o", "arr", "t", "bad", NULL});
	jconf_keys(&c, NULL, "", allowed); /* not an object: nothing */
	jconf_error(&c, "o.x", 0, "custom %d", 9);
	ck_assert_uint_eq(d.n, 10);
	static const char *const want[] = {
		":1:1: missing required key 'none'",
		":3:8: 'n' must be a string",
		":2:8: 's' must be an integer",
		":3:8: 'n' must be between 0 and 41",
		":3:8: 'n' must be between 43 and 100",
		":3:8: 'n' must be true or false",
		":5:8: 'o' must be an array",
		":8:10: 'bad' must be a time of day \"HH:MM\"",
		":5:17: unknown key 'typo'",
		":5:14: custom 9",
	};
	for (size_t i = 0; i < d.n; i++) {
		ck_assert_int_eq(strncmp(d.msgs[i], f, fl), 0);
		ck_assert_msg(!strcmp(d.msgs[i] + fl, want[i]), "%zu: %s", i, d.msgs[i]);
	}
	jconf_close(&c);
	diag_free(&d);
	unlink(f);
}
END_TEST

START_TEST(test_hhmm_every_digit_pair)
{
	struct diag d = {0};
	struct jconf c = {.file = "mem.json", .diag = &d};
	json_t *o = json_object();
	size_t bad = 0;

	for (int h = 0; h < 100; h++)
		for (int m = 0; m < 100; m++) {
			char s[8];
			snprintf(s, sizeof s, "%02d:%02d", h, m);
			json_object_set_new(o, "t", json_string(s));
			int got = jconf_hhmm(&c, o, "", "t", 5);
			int ok = m < 60 && (h < 24 || (h == 24 && m == 0));
			if (ok)
				ck_assert_msg(got == h * 60 + m, "%s -> %d", s, got);
			else {
				ck_assert_msg(got == -1, "%s -> %d", s, got);
				bad++;
			}
		}
	ck_assert_uint_eq(d.n, bad);
	diag_free(&d);
	static const char *const malformed[] = {"",       "7:30",  "07:3",   "0730",
						"07:300", "07-30", "07:30 ", "a7:30",
						"07:3a",  "-1:00", "24:01"};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		json_object_set_new(o, "t", json_string(malformed[i]));
		ck_assert_msg(jconf_hhmm(&c, o, "", "t", 5) == -1, "'%s' accepted", malformed[i]);
	}
	ck_assert_uint_eq(d.n, sizeof malformed / sizeof malformed[0]);
	diag_free(&d);
	json_decref(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jconf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_sizes);
	tcase_add_test(tc, test_members);
	tcase_add_test(tc, test_hhmm_every_digit_pair);
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
