/* Unit tests for engine/tmpl and engine/tmplset (locale fallback, formats). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "money.h"
#include "tmpl.h"
#include "tmplset.h"
#include "tz.h"

/* Fixed variable set used by the render tests. */
static const char *lookup_vars(void *ctx, const char *name)
{
	static const struct {
		const char *k, *v;
	} vars[] = {
		{"name", "Ada"},
		{"amount", "12.50"},
		{"currency", "EUR"},
		{"_x1", "X"},
		{"html", "<b>\"Tom\" & 'Jerry'</b>"},
		{"empty", ""},
		{"braces", "{{ name }}"},
		{"multi", "ñ日本"},
	};
	int *calls = ctx;
	if (calls)
		(*calls)++;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (strcmp(vars[i].k, name) == 0)
			return vars[i].v;
	return NULL;
}

static char *render_str(const char *src, enum tmpl_escape esc)
{
	char err[128];
	int line = -1, col = -1;
	struct tmpl *t = tmpl_parse(src, strlen(src), err, sizeof err, &line, &col);
	ck_assert_msg(t != NULL, "parse of \"%s\" failed: %s at %d:%d", src, err, line, col);
	char *out = tmpl_render(t, lookup_vars, NULL, esc);
	ck_assert_ptr_nonnull(out);
	tmpl_free(t);
	return out;
}

static const struct {
	const char *src;
	enum tmpl_escape esc;
	const char *want;
} render_cases[] = {
	{"", TMPL_RAW, ""},
	{"plain text", TMPL_RAW, "plain text"},
	{"Hello {{name}}!", TMPL_RAW, "Hello Ada!"},
	{"Hello {{ name }}!", TMPL_RAW, "Hello Ada!"},
	{"Hello {{   name\t}}!", TMPL_RAW, "Hello Ada!"},
	{"{{name}}", TMPL_RAW, "Ada"},
	{"{{name}}{{name}}", TMPL_RAW, "AdaAda"},
	{"{{amount}} {{currency}}", TMPL_RAW, "12.50 EUR"},
	{"a{{_x1}}b", TMPL_RAW, "aXb"},
	{"[{{unknown}}]", TMPL_RAW, "[]"},
	{"[{{empty}}]", TMPL_RAW, "[]"},
	/* values are not re-expanded */
	{"{{braces}}", TMPL_RAW, "{{ name }}"},
	/* escapes */
	{"\\{{ name }}", TMPL_RAW, "{{ name }}"},
	{"a\\{{b", TMPL_RAW, "a{{b"},
	{"\\{{{{name}}", TMPL_RAW, "{{Ada"},
	{"back\\slash \\{ \\", TMPL_RAW, "back\\slash \\{ \\"},
	{"\\{", TMPL_RAW, "\\{"},
	{"lone { and } and }} are literal", TMPL_RAW, "lone { and } and }} are literal"},
	{"{ {name} }", TMPL_RAW, "{ {name} }"},
	{"trailing {", TMPL_RAW, "trailing {"},
	/* HTML escaping applies to values only */
	{"<p>{{html}}</p>", TMPL_HTML,
	 "<p>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</p>"},
	{"<p>{{html}}</p>", TMPL_RAW, "<p><b>\"Tom\" & 'Jerry'</b></p>"},
	{"{{name}} & co", TMPL_HTML, "Ada & co"},
	{"{{unknown}}", TMPL_HTML, ""},
	{"{{multi}}", TMPL_HTML, "ñ日本"},
	/* multi-line */
	{"Dear {{name}},\n\nYou owe {{amount}} {{currency}}.\n", TMPL_RAW,
	 "Dear Ada,\n\nYou owe 12.50 EUR.\n"},
	{"line1\r\n{{ name }}\r\n", TMPL_RAW, "line1\r\nAda\r\n"},
	{"日本語 {{name}} ñ", TMPL_RAW, "日本語 Ada ñ"},
};

START_TEST(test_render_table)
{
	char *out = render_str(render_cases[_i].src, render_cases[_i].esc);
	ck_assert_msg(strcmp(out, render_cases[_i].want) == 0,
		      "case %d \"%s\": got \"%s\" want \"%s\"", _i, render_cases[_i].src, out,
		      render_cases[_i].want);
	free(out);
}
END_TEST

static const struct {
	const char *src;
	int line, col;
	const char *msg;
} error_cases[] = {
	{"{{", 1, 1, "unterminated"},
	{"{{ name", 1, 1, "unterminated"},
	{"abc {{ name }", 1, 5, "unterminated"},
	{"abc {{ name }\n}}", 1, 5, "unterminated"},
	{"{{ name\n}}", 1, 1, "unterminated"},
	{"x\n\n  {{ a {{ b }}", 3, 3, "unterminated"},
	{"{{ a }} {{", 1, 9, "unterminated"},
	{"{{{{", 1, 1, "unterminated"},
	{"{{}}", 1, 1, "empty variable name"},
	{"ok\n{{   }}", 2, 1, "empty variable name"},
	{"{{\t}}", 1, 1, "empty variable name"},
	{"{{ Name }}", 1, 1, "invalid variable name"},
	{"{{ 1abc }}", 1, 1, "invalid variable name"},
	{"{{ a-b }}", 1, 1, "invalid variable name"},
	{"{{ a b }}", 1, 1, "invalid variable name"},
	{"{{ a.b }}", 1, 1, "invalid variable name"},
	{"{{ \"{{\" }}", 1, 1, "unterminated"},
	{"{{{ a }}}", 1, 1, "invalid variable name"},
	{"{{ a} }}", 1, 1, "invalid variable name"},
	{"{{ ñ }}", 1, 1, "invalid variable name"},
	/* columns count code points, not bytes */
	{"日本語 {{ x", 1, 5, "unterminated"},
	{"ñ\nñññ{{}}", 2, 4, "empty variable name"},
	{"€ 😀 {{ X }}", 1, 5, "invalid variable name"},
	{"{{ ok }} 日本 {{ ok }}\nü{{ B }}", 2, 2, "invalid variable name"},
	/* CRLF lines: CR is an ordinary column */
	{"a\r\nb\r\n{{", 3, 1, "unterminated"},
	/* the first error wins */
	{"{{ a }}\n{{ }} {{", 2, 1, "empty variable name"},
};

START_TEST(test_parse_errors)
{
	char err[128] = "";
	int line = -1, col = -1;
	const char *src = error_cases[_i].src;
	struct tmpl *t = tmpl_parse(src, strlen(src), err, sizeof err, &line, &col);
	ck_assert_msg(t == NULL, "case %d \"%s\" parsed", _i, src);
	ck_assert_msg(line == error_cases[_i].line && col == error_cases[_i].col,
		      "case %d \"%s\": got %d:%d want %d:%d", _i, src, line, col,
		      error_cases[_i].line, error_cases[_i].col);
	ck_assert_msg(strstr(err, error_cases[_i].msg) != NULL, "case %d: message \"%s\"", _i, err);
}
END_TEST

START_TEST(test_embedded_nul)
{
	static const char src[] = "ab\ncd\0ef";
	char err[64];
	int line, col;
	ck_assert_ptr_null(tmpl_parse(src, sizeof src - 1, err, sizeof err, &line, &col));
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(col, 3);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

START_TEST(test_error_optional_outputs)
{
	/* err, line and col are all optional; a tiny buffer truncates safely */
	ck_assert_ptr_null(tmpl_parse("{{", 2, NULL, 0, NULL, NULL));
	char err[4];
	ck_assert_ptr_null(tmpl_parse("{{", 2, err, sizeof err, NULL, NULL));
	ck_assert_int_eq(strlen(err), 3);
	ck_assert_ptr_null(tmpl_parse(NULL, 3, err, sizeof err, NULL, NULL));
}
END_TEST

START_TEST(test_len_not_nul_terminated)
{
	/* only len bytes are read: a tag cut off by len is unterminated */
	const char buf[] = {'h', 'i', ' ', '{', '{', 'a', '}', '}'};
	int line, col;
	ck_assert_ptr_null(tmpl_parse(buf, 7, NULL, 0, &line, &col));
	ck_assert_int_eq(col, 4);
	struct tmpl *t = tmpl_parse(buf, sizeof buf, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tmpl_var_count(t), 1);
	tmpl_free(t);
	t = tmpl_parse(buf, 4, NULL, 0, NULL, NULL); /* "hi {" */
	ck_assert_ptr_nonnull(t);
	char *out = tmpl_render(t, NULL, NULL, TMPL_RAW);
	ck_assert_str_eq(out, "hi {");
	free(out);
	tmpl_free(t);
	/* "\{" then the end: not an escape */
	t = tmpl_parse("\\{{", 2, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	out = tmpl_render(t, NULL, NULL, TMPL_RAW);
	ck_assert_str_eq(out, "\\{");
	free(out);
	tmpl_free(t);
}
END_TEST

START_TEST(test_var_listing)
{
	const char *src = "Dear {{ name }},\n"
			  "ñ {{amount}} {{ currency }} / {{amount}}\n"
			  "\\{{ escaped }} {{ name }}\n"
			  "日本{{due_date}}";
	static const struct {
		const char *name;
		int line, col;
	} want[] = {
		{"name", 1, 6},
		{"amount", 2, 3},
		{"currency", 2, 14},
		{"due_date", 4, 3},
	};
	struct tmpl *t = tmpl_parse(src, strlen(src), NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tmpl_var_count(t), 4);
	for (size_t i = 0; i < 4; i++) {
		int line = -1, col = -1;
		const char *n = tmpl_var_name(t, i, &line, &col);
		ck_assert_ptr_nonnull(n);
		ck_assert_str_eq(n, want[i].name);
		ck_assert_int_eq(line, want[i].line);
		ck_assert_int_eq(col, want[i].col);
		ck_assert_str_eq(tmpl_var_name(t, i, NULL, NULL), want[i].name);
	}
	ck_assert_ptr_null(tmpl_var_name(t, 4, NULL, NULL));
	ck_assert_ptr_null(tmpl_var_name(t, (size_t)-1, NULL, NULL));
	tmpl_free(t);
}
END_TEST

START_TEST(test_empty_template)
{
	struct tmpl *t = tmpl_parse("", 0, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tmpl_var_count(t), 0);
	ck_assert_ptr_null(tmpl_var_name(t, 0, NULL, NULL));
	char *out = tmpl_render(t, lookup_vars, NULL, TMPL_HTML);
	ck_assert_str_eq(out, "");
	free(out);
	tmpl_free(t);
	t = tmpl_parse(NULL, 0, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	tmpl_free(t);
	tmpl_free(NULL);
	ck_assert_uint_eq(tmpl_var_count(NULL), 0);
}
END_TEST

START_TEST(test_lookup_ctx_and_calls)
{
	struct tmpl *t = tmpl_parse("{{name}} {{x}} {{name}}", 23, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	int calls = 0;
	char *out = tmpl_render(t, lookup_vars, &calls, TMPL_RAW);
	ck_assert_str_eq(out, "Ada  Ada");
	ck_assert_int_eq(calls, 3);
	free(out);
	out = tmpl_render(t, NULL, NULL, TMPL_RAW); /* no lookup: all empty */
	ck_assert_str_eq(out, "  ");
	free(out);
	tmpl_free(t);
}
END_TEST

START_TEST(test_many_vars)
{
	/* many distinct names: exercises the name hash growth */
	enum { N = 5000 };
	size_t cap = N * 24 + 1, len = 0;
	char *src = malloc(cap);
	ck_assert_ptr_nonnull(src);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(src + len, cap - len, "{{v%d}}%s", i,
					i % 100 == 99 ? "\n" : "");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(src + len, cap - len, "{{v%d}}", i);
	struct tmpl *t = tmpl_parse(src, len, NULL, 0, NULL, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(tmpl_var_count(t), N);
	for (size_t i = 0; i < N; i += 499) {
		char want[16];
		int line, col;
		snprintf(want, sizeof want, "v%zu", i);
		ck_assert_str_eq(tmpl_var_name(t, i, &line, &col), want);
		ck_assert_int_eq(line, (int)(i / 100) + 1);
	}
	tmpl_free(t);
	free(src);
}
END_TEST

/* A template tree with gentle.sms in each of locales (NULL-ended). */
static struct tmplset *tree(const char *const *locales, char *dir, size_t len)
{
	struct diag d = {0};
	struct tmplset *ts;
	char path[512];

	snprintf(dir, len, "/tmp/check_tmplset.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; locales[i]; i++) {
		FILE *f;
		snprintf(path, sizeof path, "%s/%s", dir, locales[i]);
		ck_assert_int_eq(mkdir(path, 0755), 0);
		snprintf(path, sizeof path, "%s/%s/gentle.sms", dir, locales[i]);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s {{ amount }}\n", locales[i]);
		fclose(f);
	}
	ts = tmplset_load(dir, &d);
	ck_assert_msg(ts != NULL, "tmplset_load failed");
	diag_free(&d);
	return ts;
}

static void rmtree(const char *dir, const char *const *locales)
{
	char path[512];

	for (size_t i = 0; locales[i]; i++) {
		snprintf(path, sizeof path, "%s/%s/gentle.sms", dir, locales[i]);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", dir, locales[i]);
		rmdir(path);
	}
	rmdir(dir);
}

static const char *found(const struct tmplset *ts, const char *locale)
{
	const struct tmplset_entry *e = tmplset_find(ts, locale, "gentle", "sms");

	return e ? e->locale : "(none)";
}

START_TEST(test_fallback_chain)
{
	static const char *const locales[] = {"en", "ko", "zh", "zh-Hant", NULL};
	char dir[64];
	struct tmplset *ts = tree(locales, dir, sizeof dir);

	ck_assert_str_eq(found(ts, "ko-KR"), "ko");
	ck_assert_str_eq(found(ts, "fr-FR"), "en");
	ck_assert_str_eq(found(ts, "zh-CN"), "zh");
	/* Traditional Chinese never falls to the Simplified templates. */
	ck_assert_str_eq(found(ts, "zh-TW"), "zh-Hant");
	ck_assert_str_eq(found(ts, "zh-HK"), "zh-Hant");
	ck_assert_str_eq(found(ts, "zh-MO"), "zh-Hant");
	ck_assert_str_eq(found(ts, "zh-Hant-TW"), "zh-Hant");
	ck_assert_str_eq(found(ts, "zh_TW"), "zh-Hant");
	ck_assert_str_eq(found(ts, ""), "en");
	tmplset_free(ts);
	rmtree(dir, locales);
}
END_TEST

START_TEST(test_fallback_configured)
{
	static const char *const locales[] = {"en", "de", "ko", NULL};
	static const struct tmplset_chain chain[] = {
		{"fr", {"de"}, 1},
		{"*", {"ko", "en"}, 2},
	};
	char dir[64];
	struct tmplset *ts = tree(locales, dir, sizeof dir);

	tmplset_set_fallback(ts, chain, 2);
	ck_assert_str_eq(found(ts, "fr-FR"), "de");
	ck_assert_str_eq(found(ts, "FR"), "de");
	ck_assert_str_eq(found(ts, "ja-JP"), "ko");
	ck_assert_str_eq(found(ts, "en-GB"), "en");
	/* Without a "*" link the last resort is en. */
	tmplset_set_fallback(ts, chain, 1);
	ck_assert_str_eq(found(ts, "ja-JP"), "en");
	tmplset_free(ts);
	rmtree(dir, locales);
}
END_TEST

/* Money and dates follow the template's language: fr-FR reading the
 * English template gets English formats; ko-KR reading ko gets ko-KR's. */
START_TEST(test_format_locale_follows_template)
{
	static const char *const locales[] = {"en", "ko", "zh-Hant", NULL};
	char dir[64], buf[64];
	struct tmplset *ts = tree(locales, dir, sizeof dir);
	const struct tmplset_entry *e;
	const char *loc;

	e = tmplset_find(ts, "fr-FR", "gentle", "sms");
	loc = tmplset_format_locale(e, "fr-FR");
	ck_assert_str_eq(loc, "en");
	ck_assert_int_gt(money_format(123450, "USD", loc, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "$1,234.50");
	ck_assert_int_gt(tz_format_date(2026, 11, 25, loc, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "November 25, 2026");
	e = tmplset_find(ts, "ko-KR", "gentle", "sms");
	ck_assert_str_eq(tmplset_format_locale(e, "ko-KR"), "ko-KR");
	e = tmplset_find(ts, "en-GB", "gentle", "sms");
	ck_assert_str_eq(tmplset_format_locale(e, "en-GB"), "en-GB");
	e = tmplset_find(ts, "zh-TW", "gentle", "sms");
	loc = tmplset_format_locale(e, "zh-TW");
	ck_assert_str_eq(loc, "zh-TW");
	ck_assert_int_gt(tz_format_date(2026, 11, 25, loc, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "2026年11月25日");
	tmplset_free(ts);
	rmtree(dir, locales);
}
END_TEST

static Suite *tmpl_suite(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_render_table, 0,
			    (int)(sizeof render_cases / sizeof render_cases[0]));
	tcase_add_loop_test(tc, test_parse_errors, 0,
			    (int)(sizeof error_cases / sizeof error_cases[0]));
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_error_optional_outputs);
	tcase_add_test(tc, test_len_not_nul_terminated);
	tcase_add_test(tc, test_var_listing);
	tcase_add_test(tc, test_empty_template);
	tcase_add_test(tc, test_lookup_ctx_and_calls);
	tcase_add_test(tc, test_many_vars);
	tcase_add_test(tc, test_fallback_chain);
	tcase_add_test(tc, test_fallback_configured);
	tcase_add_test(tc, test_format_locale_follows_template);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tmpl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
