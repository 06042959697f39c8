/* Unit tests for lib/form.c: decoding, repeated names, malformed escapes,
 * limits, and encode/parse round trips. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct parse_case {
	const char *in;
	size_t n;
	const char *kv[8]; /* name, value, ... */
} ok_cases[] = {
	{"", 0, {NULL}},
	{"&", 0, {NULL}},
	{"&&&", 0, {NULL}},
	{"a=1", 1, {"a", "1"}},
	{"a=1&b=2", 2, {"a", "1", "b", "2"}},
	{"a=1&a=2&b=3", 3, {"a", "1", "a", "2", "b", "3"}},
	{"b=2&a=1&b=1", 3, {"b", "2", "a", "1", "b", "1"}},
	{"a", 1, {"a", ""}},
	{"a=", 1, {"a", ""}},
	{"=x", 1, {"", "x"}},
	{"=", 1, {"", ""}},
	{"a=1&&b=2", 2, {"a", "1", "b", "2"}},
	{"&a=1&", 1, {"a", "1"}},
	{"a=b=c", 1, {"a", "b=c"}},
	{"a+b=c+d", 1, {"a b", "c d"}},
	{"a%20b=%2B1", 1, {"a b", "+1"}},
	{"To=%2B15005550006", 1, {"To", "+15005550006"}},
	{"x=%e2%82%ac", 1, {"x", "\xe2\x82\xac"}},
	{"x=%E2%82%AC", 1, {"x", "\xe2\x82\xac"}},
	{"x=%25", 1, {"x", "%"}},
	{"x=%2525", 1, {"x", "%25"}},
	{"x=%26y", 1, {"x", "&y"}},
	{"x=%3D", 1, {"x", "="}},
	{"x=%2b", 1, {"x", "+"}},
	{"x=1;y=2", 1, {"x", "1;y=2"}},
	{"x=\xea\xb0\x80", 1, {"x", "\xea\xb0\x80"}},
	{"x=a%0D%0Ab", 1, {"x", "a\r\nb"}},
	{"x=++", 1, {"x", "  "}},
	{"%41%42=%43", 1, {"AB", "C"}},
	{"MessageSid=SM123&MessageStatus=delivered&ErrorCode=&To=%2B12025550101",
	 4,
	 {"MessageSid", "SM123", "MessageStatus", "delivered", "ErrorCode", "", "To",
	  "+12025550101"}},
};

START_TEST(test_parse_ok)
{
	const struct parse_case *c = &ok_cases[_i];
	struct form f;

	ck_assert_msg(form_parse(c->in, strlen(c->in), &f) == FORM_OK, "\"%s\" rejected", c->in);
	ck_assert_msg(f.n == c->n, "\"%s\": %zu pairs, want %zu", c->in, f.n, c->n);
	for (size_t i = 0; i < c->n; i++) {
		ck_assert_str_eq(f.pairs[i].name, c->kv[2 * i]);
		ck_assert_str_eq(f.pairs[i].value, c->kv[2 * i + 1]);
	}
	form_free(&f);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_ptr_null(f.pairs);
}
END_TEST

static const char *const bad_escapes[] = {
	"x=%",     "x=%4",   "x=%zz", "x=%4g",    "x=%g4", "%=1",   "x=a%2", "x=%00", "%00=x",
	"a=1&x=%", "x=%%41", "x=% 1", "x=1&y=%E", "x=%-1", "x=%+1", "%",     "a%",    "x=%0",
};

START_TEST(test_parse_bad)
{
	struct form f = {(struct form_pair *)1, 99};

	ck_assert_msg(form_parse(bad_escapes[_i], strlen(bad_escapes[_i]), &f) == FORM_EESCAPE,
		      "\"%s\" accepted", bad_escapes[_i]);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_ptr_null(f.pairs);
	form_free(&f); /* harmless on an emptied form */
}
END_TEST

/* Not NUL-terminated input: only len bytes count. */
START_TEST(test_parse_len)
{
	struct form f;

	ck_assert_int_eq(form_parse("a=1&b=2", 3, &f), FORM_OK);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_str_eq(f.pairs[0].value, "1");
	form_free(&f);
	ck_assert_int_eq(form_parse("a=%41XX", 5, &f), FORM_OK);
	ck_assert_str_eq(f.pairs[0].value, "A");
	form_free(&f);
	ck_assert_int_eq(form_parse("a=%41XX", 4, &f), FORM_EESCAPE);
	ck_assert_int_eq(form_parse("a=%41XX", 3, &f), FORM_EESCAPE);
	ck_assert_int_eq(form_parse(NULL, 0, &f), FORM_OK);
	ck_assert_uint_eq(f.n, 0);
	/* a raw NUL would cut a value short silently: rejected like %00 */
	ck_assert_int_eq(form_parse("a=1\0&b=2", 8, &f), FORM_EESCAPE);
	ck_assert_int_eq(form_parse("a\0=1", 5, &f), FORM_EESCAPE);
	ck_assert_uint_eq(f.n, 0);
}
END_TEST

START_TEST(test_limits)
{
	size_t cap = FORM_MAX_BODY + 16;
	char *big = malloc(cap);
	struct form f;
	size_t n = 0;

	/* exactly the maximum size is fine */
	memset(big, 'x', FORM_MAX_BODY);
	big[0] = 'a';
	big[1] = '=';
	ck_assert_int_eq(form_parse(big, FORM_MAX_BODY, &f), FORM_OK);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_uint_eq(strlen(f.pairs[0].value), FORM_MAX_BODY - 2);
	form_free(&f);
	ck_assert_int_eq(form_parse(big, FORM_MAX_BODY + 1, &f), FORM_ETOOBIG);
	ck_assert_uint_eq(f.n, 0);
	/* FORM_MAX_PAIRS fields pass, one more does not */
	for (int i = 0; i < FORM_MAX_PAIRS; i++)
		n += (size_t)sprintf(big + n, "%sk%d=v", i ? "&" : "", i);
	ck_assert_int_eq(form_parse(big, n, &f), FORM_OK);
	ck_assert_uint_eq(f.n, FORM_MAX_PAIRS);
	ck_assert_str_eq(f.pairs[FORM_MAX_PAIRS - 1].name, "k255");
	form_free(&f);
	n += (size_t)sprintf(big + n, "&one=more");
	ck_assert_int_eq(form_parse(big, n, &f), FORM_ETOOMANY);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_ptr_null(f.pairs);
	free(big);
}
END_TEST

START_TEST(test_get)
{
	struct form f;
	const char *in = "a=1&b=&a=2&c";

	ck_assert_int_eq(form_parse(in, strlen(in), &f), FORM_OK);
	ck_assert_str_eq(form_get(&f, "a"), "1");
	ck_assert_str_eq(form_get(&f, "b"), "");
	ck_assert_str_eq(form_get(&f, "c"), "");
	ck_assert_ptr_null(form_get(&f, "d"));
	ck_assert_ptr_null(form_get(&f, "A"));
	form_free(&f);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(form_strerror(FORM_OK), "ok");
	ck_assert_str_eq(form_strerror(FORM_EESCAPE), "malformed percent escape");
	ck_assert_str_eq(form_strerror(FORM_ETOOBIG), "form body too large");
	ck_assert_str_eq(form_strerror(FORM_ETOOMANY), "too many form fields");
	ck_assert_str_eq(form_strerror(FORM_ENOMEM), "out of memory");
	ck_assert_str_eq(form_strerror((enum form_error)42), "unknown error");
}
END_TEST

static const struct {
	const char *name, *value, *encoded;
} enc_cases[] = {
	{"To", "+12025550101", "To=%2B12025550101"},
	{"Body", "Hi there", "Body=Hi+there"},
	{"Body", "a&b=c", "Body=a%26b%3Dc"},
	{"Body", "100%", "Body=100%25"},
	{"Body", "-._~", "Body=-._~"},
	{"Body", "\xe2\x82\xac", "Body=%E2%82%AC"},
	{"Body", "\xea\xb0\x80", "Body=%EA%B0%80"},
	{"Body", "line\nbreak\r", "Body=line%0Abreak%0D"},
	{"Body", "", "Body="},
	{"", "", "="},
	{"a b", "+", "a+b=%2B"},
	{"StatusCallback", "https://pay.test/webhooks/twilio/status?x=1",
	 "StatusCallback=https%3A%2F%2Fpay.test%2Fwebhooks%2Ftwilio%2Fstatus%3Fx%3D1"},
	{"k", "ABCXYZabcxyz0189", "k=ABCXYZabcxyz0189"},
	{"k", "!*'();:@$,/?#[]", "k=%21%2A%27%28%29%3B%3A%40%24%2C%2F%3F%23%5B%5D"},
};

START_TEST(test_encode)
{
	const char *kv[2] = {enc_cases[_i].name, enc_cases[_i].value};
	char *s = form_encode(kv, 1);
	struct form f;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, enc_cases[_i].encoded);
	/* and back */
	ck_assert_int_eq(form_parse(s, strlen(s), &f), FORM_OK);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_str_eq(f.pairs[0].name, enc_cases[_i].name);
	ck_assert_str_eq(f.pairs[0].value, enc_cases[_i].value);
	form_free(&f);
	free(s);
}
END_TEST

START_TEST(test_encode_many)
{
	const char *kv[] = {"To", "+1 2", "From", "+15005550006", "Body", "x&y", "To", "again"};
	char *s = form_encode(kv, 4);
	struct form f;

	ck_assert_str_eq(s, "To=%2B1+2&From=%2B15005550006&Body=x%26y&To=again");
	ck_assert_int_eq(form_parse(s, strlen(s), &f), FORM_OK);
	ck_assert_uint_eq(f.n, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(f.pairs[i].name, kv[2 * i]);
		ck_assert_str_eq(f.pairs[i].value, kv[2 * i + 1]);
	}
	form_free(&f);
	free(s);
	s = form_encode(kv, 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* Every byte 1..255 survives encode then parse. */
START_TEST(test_roundtrip_bytes)
{
	char all[256];
	const char *kv[2] = {"all", all};
	char *s;
	struct form f;

	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	s = form_encode(kv, 1);
	ck_assert_int_eq(form_parse(s, strlen(s), &f), FORM_OK);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_mem_eq(f.pairs[0].value, all, 256);
	form_free(&f);
	free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");

	tcase_add_loop_test(tc, test_parse_ok, 0, N(ok_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, N(bad_escapes));
	tcase_add_test(tc, test_parse_len);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_strerror);
	tcase_add_loop_test(tc, test_encode, 0, N(enc_cases));
	tcase_add_test(tc, test_encode_many);
	tcase_add_test(tc, test_roundtrip_bytes);
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
