/* The API's bearer keys (api.keys_file): one key a line, "name:key" or
 * "name:sha256:<64 hex digits>" (the SHA-256 of the key, so the file need
 * not hold the key itself); blank lines and lines starting with '#' are
 * skipped. Only the SHA-256 of each key is kept in memory, and a token is
 * compared with every key in constant time. The name is what the audit
 * trail records. Pure, no I/O. */
#ifndef DUNN_APIKEY_H
#define DUNN_APIKEY_H

#include <stddef.h>

#define APIKEY_NAME_MAX 64 /* with the NUL */
#define APIKEY_MIN_LEN 16  /* a key in the clear: at least this many bytes */
#define APIKEY_MAX 64      /* keys in one file */

struct apikey {
	char name[APIKEY_NAME_MAX];
	unsigned char hash[32];
};

struct apikeys {
	struct apikey k[APIKEY_MAX];
	size_t n;
};

/* Parse text (overwritten: the keys in it are wiped) into ks. 0, or -1
 * with "line N: why" in err (a name not of [A-Za-z0-9._-], a key shorter
 * than APIKEY_MIN_LEN, a hash that is not 64 hex digits, a name twice,
 * no key at all). */
int apikey_parse(char *text, struct apikeys *ks, char *err, size_t errlen);
/* The name of the key token is, or NULL. */
const char *apikey_match(const struct apikeys *ks, const char *token, size_t len);

#endif
