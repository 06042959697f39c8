/* Unit tests for lib/csp.c: the policy names the style sheet by the
 * base64 of its SHA-256 (vectors from Python's hashlib), allows nothing
 * else, and a short buffer gets a terminated prefix, never an overrun. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "csp.h"

#define POLICY(h)                                                            \
	"default-src 'none'; style-src 'sha256-" h "'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"

START_TEST(test_vectors)
{
	static const struct {
		const char *css, *want;
	} v[] = {
		{"", POLICY("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")},
		{"abc", POLICY("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")},
		{"body{color:red}", POLICY("FcQqt3aNlV7AZnGV4zkQRVeCeJOxbMPnQSx258L803E=")},
	};
	char out[512];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		csp_for_style(v[i].css, out, sizeof out);
		ck_assert_str_eq(out, v[i].want);
	}
}
END_TEST

/* The hash follows every byte: one changed character changes it. */
START_TEST(test_hash_follows_css)
{
	char a[512], b[512];

	csp_for_style("p{margin:0}", a, sizeof a);
	csp_for_style("p{margin:1}", b, sizeof b);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), strlen(b));
}
END_TEST

/* Every length from 1 up to the whole policy: a terminated prefix of
 * it, and not a byte written past len (the canary after it). */
START_TEST(test_short_buffer)
{
	const char *want = POLICY("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	size_t full = strlen(want);

	for (size_t len = 1; len <= full + 1; len++) {
		char *out = malloc(len + 1);

		ck_assert_ptr_nonnull(out);
		out[len] = 'X';
		csp_for_style("abc", out, len);
		ck_assert_uint_eq(strlen(out), len - 1 < full ? len - 1 : full);
		ck_assert(strncmp(out, want, strlen(out)) == 0);
		ck_assert_int_eq(out[len], 'X');
		free(out);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("csp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_hash_follows_css);
	tcase_add_test(tc, test_short_buffer);
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
