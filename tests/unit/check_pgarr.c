/* Unit tests for lib/pgarr.c: PostgreSQL array literals for the batched
 * statements. The oracle is a parser written here from the array input
 * rules of the PostgreSQL manual (section 8.15.2): random element lists go
 * in through pgarr, come out through the parser, and must be the same. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgarr.h"

#define MAXEL 64

struct parsed {
	int n;
	char *el[MAXEL]; /* NULL = SQL NULL */
};

static void parsed_free(struct parsed *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->el[i]);
	p->n = 0;
}

/* Parse a one-dimensional literal; 0 on success. Unquoted elements end at
 * ',' or '}', and the unquoted word NULL (any case) is SQL NULL. */
static int parse(const char *s, struct parsed *p)
{
	size_t len = strlen(s);
	const char *q = s + 1;

	p->n = 0;
	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		return -1;
	if (len == 2)
		return 0;
	for (;;) {
		char *buf = malloc(len + 1);
		size_t o = 0;
		int quoted = 0;

		ck_assert_ptr_nonnull(buf);
		if (*q == '"') {
			quoted = 1;
			for (q++; *q && *q != '"'; q++) {
				if (*q == '\\')
					q++;
				if (!*q) {
					free(buf);
					return -1;
				}
				buf[o++] = *q;
			}
			if (*q != '"') {
				free(buf);
				return -1;
			}
			q++;
		} else {
			while (*q && *q != ',' && *q != '}')
				buf[o++] = *q++;
		}
		buf[o] = '\0';
		if (p->n == MAXEL) {
			free(buf);
			return -1;
		}
		if (!quoted && strcasecmp(buf, "NULL") == 0) {
			free(buf);
			p->el[p->n++] = NULL;
		} else {
			p->el[p->n++] = buf;
		}
		if (*q == ',') {
			q++;
			continue;
		}
		return *q == '}' && q[1] == '\0' ? 0 : -1;
	}
}

START_TEST(test_empty)
{
	struct pgarr a;

	pgarr_init(&a);
	ck_assert_str_eq(pgarr_str(&a), "{}");
	pgarr_free(&a);
}
END_TEST

START_TEST(test_ints)
{
	struct pgarr a;

	pgarr_init(&a);
	pgarr_int(&a, 1);
	pgarr_int(&a, -42);
	pgarr_int(&a, INT64_MAX);
	pgarr_int(&a, INT64_MIN);
	ck_assert_str_eq(pgarr_str(&a), "{1,-42,9223372036854775807,-9223372036854775808}");
	pgarr_free(&a);
}
END_TEST

START_TEST(test_text_quoting)
{
	struct pgarr a;

	pgarr_init(&a);
	pgarr_text(&a, "a b");
	pgarr_text(&a, NULL);
	pgarr_text(&a, "NULL");
	pgarr_text(&a, "");
	pgarr_text(&a, "say \"hi\"\\");
	pgarr_text(&a, "{,}");
	ck_assert_str_eq(pgarr_str(&a),
			 "{\"a b\",NULL,\"NULL\",\"\",\"say \\\"hi\\\"\\\\\",\"{,}\"}");
	pgarr_free(&a);
}
END_TEST

/* The literal may be read, then extended, then read again: the batch
 * writer reads it for a statement and keeps adding to a later one. */
START_TEST(test_read_then_extend)
{
	struct pgarr a;

	pgarr_init(&a);
	pgarr_int(&a, 7);
	ck_assert_str_eq(pgarr_str(&a), "{7}");
	pgarr_int(&a, 8);
	ck_assert_str_eq(pgarr_str(&a), "{7,8}");
	pgarr_free(&a);
	ck_assert_ptr_null(a.buf);
	ck_assert_uint_eq(a.n, 0);
}
END_TEST

START_TEST(test_time)
{
	struct pgarr a;

	pgarr_init(&a);
	pgarr_time(&a, 0);
	pgarr_time(&a, 1764547200); /* 2025-12-01T00:00:00Z */
	ck_assert_str_eq(pgarr_str(&a), "{\"1970-01-01T00:00:00Z\",\"2025-12-01T00:00:00Z\"}");
	pgarr_free(&a);
}
END_TEST

/* Random texts (every byte but NUL, heavy on the characters that need
 * quoting, plus UTF-8) and NULLs: the parsed literal gives them back. */
START_TEST(test_property_roundtrip)
{
	static const char alphabet[] = "\"\\{}, \tNnUuLl\xea\xb0\x80"
				       "ab1";
	unsigned seed = 12345u + (unsigned)_i;

	for (int round = 0; round < 200; round++) {
		struct pgarr a;
		struct parsed p;
		char *want[MAXEL];
		int n = (int)(rand_r(&seed) % MAXEL);

		pgarr_init(&a);
		for (int i = 0; i < n; i++) {
			int len = (int)(rand_r(&seed) % 12);
			if (rand_r(&seed) % 10 == 0) {
				want[i] = NULL;
			} else {
				want[i] = malloc((size_t)len + 1);
				ck_assert_ptr_nonnull(want[i]);
				for (int k = 0; k < len; k++) {
					if (rand_r(&seed) % 4 == 0)
						want[i][k] = (char)(1 + rand_r(&seed) % 255);
					else
						want[i][k] = alphabet[rand_r(&seed) %
								      (sizeof alphabet - 1)];
				}
				want[i][len] = '\0';
			}
			pgarr_text(&a, want[i]);
		}
		ck_assert_ptr_nonnull(pgarr_str(&a));
		ck_assert_int_eq(parse(pgarr_str(&a), &p), 0);
		ck_assert_int_eq(p.n, n);
		for (int i = 0; i < n; i++) {
			if (!want[i])
				ck_assert_ptr_null(p.el[i]);
			else
				ck_assert_str_eq(p.el[i], want[i]);
			free(want[i]);
		}
		parsed_free(&p);
		pgarr_free(&a);
	}
}
END_TEST

/* A batch of thousands of rows grows the buffer many times over. */
START_TEST(test_large)
{
	struct pgarr a;
	struct parsed p;
	char want[32];

	pgarr_init(&a);
	for (int i = 0; i < 50000; i++)
		pgarr_int(&a, i);
	const char *s = pgarr_str(&a);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(a.n, 50000);
	ck_assert(strncmp(s, "{0,1,2,", 7) == 0);
	snprintf(want, sizeof want, ",49999}");
	ck_assert_str_eq(s + strlen(s) - strlen(want), want);
	pgarr_free(&a);

	/* and the parser agrees on a smaller one */
	pgarr_init(&a);
	for (int i = 0; i < MAXEL; i++)
		pgarr_int(&a, i * 3);
	ck_assert_int_eq(parse(pgarr_str(&a), &p), 0);
	ck_assert_int_eq(p.n, MAXEL);
	ck_assert_str_eq(p.el[MAXEL - 1], "189");
	parsed_free(&p);
	pgarr_free(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pgarr");
	TCase *tc = tcase_create("pgarr");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_ints);
	tcase_add_test(tc, test_text_quoting);
	tcase_add_test(tc, test_read_then_extend);
	tcase_add_test(tc, test_time);
	tcase_add_loop_test(tc, test_property_roundtrip, 0, 20);
	tcase_add_test(tc, test_large);
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
