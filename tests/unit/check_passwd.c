/* Unit tests for lib/passwd.c: a hash verifies with its password and with
 * no other, two hashes of one password differ (fresh salt), a too-small
 * buffer is refused, and a stored value that is no crypt string never
 * matches. Each hash costs libxcrypt's default (tens of ms): few are made. */
#include <check.h>
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"

START_TEST(test_hash_verify)
{
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];

	ck_assert_int_eq(passwd_hash("correct horse battery", h1, sizeof h1), 0);
	ck_assert_msg(strncmp(h1, "$y$", 3) == 0, "not yescrypt: %s", h1);
	ck_assert_int_lt(strlen(h1), PASSWD_HASH_MAX);
	ck_assert_int_eq(passwd_verify("correct horse battery", h1), 1);
	ck_assert_int_eq(passwd_verify("correct horse batterY", h1), 0);
	ck_assert_int_eq(passwd_verify("correct horse batter", h1), 0);
	ck_assert_int_eq(passwd_verify("", h1), 0);
	ck_assert_int_eq(passwd_hash("correct horse battery", h2, sizeof h2), 0);
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(passwd_verify("correct horse battery", h2), 1);
}
END_TEST

START_TEST(test_odd_passwords)
{
	char h[PASSWD_HASH_MAX];

	/* UTF-8 and punctuation that is special to crypt strings. */
	ck_assert_int_eq(passwd_hash("p\xc3\xa4ss$w:rd/.\"", h, sizeof h), 0);
	ck_assert_int_eq(passwd_verify("p\xc3\xa4ss$w:rd/.\"", h), 1);
	ck_assert_int_eq(passwd_verify("pass$w:rd/.\"", h), 0);
}
END_TEST

START_TEST(test_longest_password)
{
	char h[PASSWD_HASH_MAX];
	char *pw = malloc(PASSWD_MAX_LEN + 2);

	/* The longest password dunnctl and the console accept can be hashed:
	 * libxcrypt refuses a phrase of CRYPT_MAX_PASSPHRASE_SIZE bytes. */
	ck_assert_int_lt(PASSWD_MAX_LEN, CRYPT_MAX_PASSPHRASE_SIZE);
	ck_assert_ptr_nonnull(pw);
	memset(pw, 'x', PASSWD_MAX_LEN);
	pw[PASSWD_MAX_LEN] = '\0';
	ck_assert_int_eq(passwd_hash(pw, h, sizeof h), 0);
	ck_assert_int_eq(passwd_verify(pw, h), 1);
	pw[PASSWD_MAX_LEN - 1] = 'y'; /* the last byte counts */
	ck_assert_int_eq(passwd_verify(pw, h), 0);
	free(pw);
}
END_TEST

START_TEST(test_small_buffer)
{
	char big[PASSWD_HASH_MAX];
	char small[16];
	size_t n;

	memset(small, 'Z', sizeof small);
	ck_assert_int_eq(passwd_hash("a password here", small, sizeof small), -1);
	for (size_t i = 0; i < sizeof small; i++)
		ck_assert_int_eq(small[i], 'Z'); /* nothing written */
	ck_assert_int_eq(passwd_hash("a password here", big, sizeof big), 0);
	n = strlen(big);
	/* Exactly the hash and its NUL fits; one byte less does not. */
	char *exact = malloc(n + 1);
	ck_assert_ptr_nonnull(exact);
	ck_assert_int_eq(passwd_hash("a password here", exact, n + 1), 0);
	ck_assert_int_eq(strlen(exact), n);
	ck_assert_int_eq(passwd_verify("a password here", exact), 1);
	ck_assert_int_eq(passwd_hash("a password here", exact, n), -1);
	free(exact);
}
END_TEST

START_TEST(test_stored_not_crypt)
{
	char h[PASSWD_HASH_MAX];
	static const char *const bad[] = {
		"",
		"*",
		"*0",
		"*1",
		"!",
		"!$y$j9T$abc",
		"x",
		"plain-text-password",
		"$",
		"$y$",
		"$y$j9T$",
		"$y$j9T$spUmUgFP6I6IeHeY60EOW.$",
		"$y$j9T$spUmUgFP6I6IeHeY60EOW.$EPYGAUaQ1nEX0E6usMkhF1KGxgbAUoCiEcVld7j/QfD",
		"$unknown$salt$hash",
	};

	ck_assert_int_eq(passwd_verify("anything", NULL), 0);
	ck_assert_int_eq(passwd_verify(NULL, "$y$j9T$spUmUgFP6I6IeHeY60EOW.$x"), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(passwd_verify("anything", bad[i]) == 0, "'%s' matched", bad[i]);
		ck_assert_msg(passwd_verify("", bad[i]) == 0, "'%s' matched ''", bad[i]);
		ck_assert_msg(passwd_verify(bad[i], bad[i]) == 0, "'%s' matched itself", bad[i]);
	}
	/* A stored value that is the password in clear never matches it. */
	ck_assert_int_eq(passwd_verify("$y$j9T$", "$y$j9T$"), 0);
	/* A hash with a trailing or a missing byte does not match. */
	ck_assert_int_eq(passwd_hash("trailing bytes", h, sizeof h - 1), 0);
	size_t n = strlen(h);
	h[n] = 'A';
	h[n + 1] = '\0';
	ck_assert_int_eq(passwd_verify("trailing bytes", h), 0);
	h[n - 1] = '\0';
	ck_assert_int_eq(passwd_verify("trailing bytes", h), 0);
}
END_TEST

START_TEST(test_burn)
{
	/* Returns, whatever the password; nothing to observe but that. */
	passwd_burn("");
	passwd_burn("someone's password");
	passwd_burn(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("passwd");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120); /* a loaded, sanitized run */
	tcase_add_test(tc, test_hash_verify);
	tcase_add_test(tc, test_odd_passwords);
	tcase_add_test(tc, test_longest_password);
	tcase_add_test(tc, test_small_buffer);
	tcase_add_test(tc, test_stored_not_crypt);
	tcase_add_test(tc, test_burn);
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
