/* Unit tests for lib/token.c: the signed, expiring link tokens behind the
 * customer's page. The signature is checked against one computed here with
 * OpenSSL's HMAC and EVP base64 (an independent encoder), and every single
 * changed character of a token must be refused. */
#include <check.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

#define SECRET "correct horse battery staple"

/* base64url without padding via OpenSSL's standard base64. */
static void b64url(const unsigned char *in, int n, char *out)
{
	char std[256];
	int len = EVP_EncodeBlock((unsigned char *)std, in, n);

	while (len > 0 && std[len - 1] == '=')
		len--;
	for (int i = 0; i < len; i++)
		out[i] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : std[i];
	out[len] = '\0';
}

static void expected(int64_t id, int64_t exp, char *out, size_t len)
{
	char payload[64], enc[128], sig[64];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int n = snprintf(payload, sizeof payload, "%" PRId64 ".%" PRId64, id, exp);

	b64url((const unsigned char *)payload, n, enc);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)enc, strlen(enc),
	     mac, &maclen);
	b64url(mac, 16, sig);
	snprintf(out, len, "%s.%s", enc, sig);
}

START_TEST(test_matches_independent_encoding)
{
	static const int64_t ids[] = {1, 42, 999999, INT64_MAX};
	static const int64_t exps[] = {0, 1764547200, 4102444800, INT64_MAX};
	char got[TOKEN_MAX], want[256];

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		for (size_t k = 0; k < sizeof exps / sizeof exps[0]; k++) {
			ck_assert_int_eq(token_make(SECRET, ids[i], exps[k], got, sizeof got), 0);
			expected(ids[i], exps[k], want, sizeof want);
			ck_assert_str_eq(got, want);
		}
	}
}
END_TEST

START_TEST(test_roundtrip_and_expiry)
{
	char t[TOKEN_MAX];
	int64_t id = 0;

	ck_assert_int_eq(token_make(SECRET, 1234, 2000000000, t, sizeof t), 0);
	ck_assert_int_eq(token_check(SECRET, t, 1999999999, &id), 0);
	ck_assert_int_eq(id, 1234);
	id = 0;
	ck_assert_int_eq(token_check(SECRET, t, 2000000000, &id), 0); /* the last second */
	ck_assert_int_eq(id, 1234);
	id = 77;
	ck_assert_int_eq(token_check(SECRET, t, 2000000001, &id), -2);
	ck_assert_int_eq(id, 77); /* untouched when refused */
}
END_TEST

START_TEST(test_wrong_secret)
{
	char t[TOKEN_MAX];
	int64_t id = 0;

	ck_assert_int_eq(token_make(SECRET, 5, 2000000000, t, sizeof t), 0);
	ck_assert_int_eq(token_check("another secret", t, 0, &id), -1);
	ck_assert_int_eq(token_check("", t, 0, &id), -1);
}
END_TEST

/* Every position, every other character of the alphabet and a few
 * hostile bytes: nothing but the original is accepted. */
START_TEST(test_every_tamper_refused)
{
	static const char subst[] = "ABZaz09-_.=+/ \x01\xff";
	char t[TOKEN_MAX], x[TOKEN_MAX];
	int64_t id;

	ck_assert_int_eq(token_make(SECRET, 31337, 2000000000, t, sizeof t), 0);
	for (size_t i = 0; t[i]; i++) {
		for (size_t k = 0; k < sizeof subst - 1; k++) {
			if (subst[k] == t[i])
				continue;
			memcpy(x, t, sizeof x);
			x[i] = subst[k];
			id = -1;
			ck_assert_int_eq(token_check(SECRET, x, 0, &id), -1);
			ck_assert_int_eq(id, -1);
		}
	}
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = {
		"",
		".",
		"nodot",
		"abc.",
		".abcdefghijklmnopqrstuv",
		"MS4y.abcdefghijklmnopqrstu",   /* signature one short */
		"MS4y.abcdefghijklmnopqrstuvw", /* one long */
		"a.b.c",
	};
	char t[TOKEN_MAX], longer[256];
	int64_t id;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(token_check(SECRET, bad[i], 0, &id), -1);
	/* trailing bytes after a valid token */
	ck_assert_int_eq(token_make(SECRET, 9, 2000000000, t, sizeof t), 0);
	snprintf(longer, sizeof longer, "%sA", t);
	ck_assert_int_eq(token_check(SECRET, longer, 0, &id), -1);
	/* a payload that is too long is refused before any work */
	memset(longer, 'A', 120);
	strcpy(longer + 120, ".abcdefghijklmnopqrstuv");
	ck_assert_int_eq(token_check(SECRET, longer, 0, &id), -1);
}
END_TEST

/* A correctly signed payload that is not "<id>.<expires>" is refused. */
START_TEST(test_signed_garbage_payload)
{
	static const char *payloads[] = {"12",     "12.",    "12.34x", "x.34",  "12.34.56",
					 " 12.34", "+12.34", "-12.34", "12. 34"};
	char enc[128], sig[64], tok[256];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen;
	int64_t id;

	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		b64url((const unsigned char *)payloads[i], (int)strlen(payloads[i]), enc);
		HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)enc,
		     strlen(enc), mac, &maclen);
		b64url(mac, 16, sig);
		snprintf(tok, sizeof tok, "%s.%s", enc, sig);
		ck_assert_msg(token_check(SECRET, tok, 0, &id) == -1, "payload \"%s\" accepted",
			      payloads[i]);
	}
}
END_TEST

START_TEST(test_small_buffer)
{
	char t[TOKEN_MAX], x[TOKEN_MAX], small[16];

	ck_assert_int_eq(token_make(SECRET, 1, 2000000000, t, sizeof t), 0);
	ck_assert_int_eq(token_make(SECRET, 1, 2000000000, small, sizeof small), -1);
	ck_assert_int_eq(token_make(SECRET, 1, 2000000000, x, strlen(t)), -1);
	ck_assert_int_eq(token_make(SECRET, 1, 2000000000, x, strlen(t) + 1), 0);
	ck_assert_str_eq(x, t);
	/* the largest ids and times fit TOKEN_MAX */
	ck_assert_int_eq(token_make(SECRET, INT64_MAX, INT64_MAX, t, sizeof t), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");

	tcase_add_test(tc, test_matches_independent_encoding);
	tcase_add_test(tc, test_roundtrip_and_expiry);
	tcase_add_test(tc, test_wrong_secret);
	tcase_add_test(tc, test_every_tamper_refused);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_signed_garbage_payload);
	tcase_add_test(tc, test_small_buffer);
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
