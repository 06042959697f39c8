/* Staff passwords through crypt_r(3) and crypt_gensalt_rn(3) (libxcrypt):
 * nothing of the KDF is ours. */
#include <crypt.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"

int passwd_hash(const char *pw, char *out, size_t len)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	/* count 0: libxcrypt's default cost; NULL rbytes: it reads the
	 * system's random source itself. */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting))
		return -1;
	cd = calloc(1, sizeof *cd);
	if (!cd)
		return -1;
	h = crypt_r(pw, setting, cd);
	if (h && h[0] == '$' && strlen(h) < len) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	OPENSSL_cleanse(cd, sizeof *cd);
	free(cd);
	return rc;
}

int passwd_verify(const char *pw, const char *stored)
{
	struct crypt_data *cd;
	const char *h;
	size_t n;
	int ok = 0;

	if (!stored || stored[0] != '$' || !pw)
		return 0;
	cd = calloc(1, sizeof *cd);
	if (!cd)
		return 0;
	h = crypt_r(pw, stored, cd);
	n = strlen(stored);
	/* A failed crypt_r returns "*0"/"*1" (never the stored value). */
	if (h && h[0] == '$' && strlen(h) == n && CRYPTO_memcmp(h, stored, n) == 0)
		ok = 1;
	OPENSSL_cleanse(cd, sizeof *cd);
	free(cd);
	return ok;
}

void passwd_burn(const char *pw)
{
	/* A valid yescrypt setting at the default cost, fixed salt. */
	static const char dummy[] =
		"$y$j9T$spUmUgFP6I6IeHeY60EOW.$EPYGAUaQ1nEX0E6usMkhF1KGxgbAUoCiEcVld7j/QfD";
	(void)passwd_verify(pw, dummy);
}
