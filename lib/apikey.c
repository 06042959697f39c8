/* API bearer keys (see apikey.h). */
#include "apikey.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n >= APIKEY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static int parse_line(char *l, size_t lineno, struct apikeys *ks, char *err, size_t errlen)
{
	char *colon = strchr(l, ':'), *key;
	size_t nlen, klen;
	struct apikey *k;

	if (!colon) {
		snprintf(err, errlen, "line %zu: expected name:key or name:sha256:HEX", lineno);
		return -1;
	}
	nlen = (size_t)(colon - l);
	if (!valid_name(l, nlen)) {
		snprintf(err, errlen, "line %zu: a key's name is 1 to %d of A-Z a-z 0-9 . _ -",
			 lineno, APIKEY_NAME_MAX - 1);
		return -1;
	}
	if (ks->n == APIKEY_MAX) {
		snprintf(err, errlen, "line %zu: more than %d keys", lineno, APIKEY_MAX);
		return -1;
	}
	for (size_t i = 0; i < ks->n; i++)
		if (strlen(ks->k[i].name) == nlen && !memcmp(ks->k[i].name, l, nlen)) {
			snprintf(err, errlen, "line %zu: the name '%.*s' twice", lineno, (int)nlen,
				 l);
			return -1;
		}
	k = &ks->k[ks->n];
	memcpy(k->name, l, nlen);
	k->name[nlen] = '\0';
	key = colon + 1;
	klen = strlen(key);
	if (klen == 7 + 64 && !strncmp(key, "sha256:", 7)) {
		for (size_t i = 0; i < 32; i++) {
			int hi = hexval((unsigned char)key[7 + 2 * i]);
			int lo = hexval((unsigned char)key[8 + 2 * i]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "line %zu: sha256: wants 64 hex digits",
					 lineno);
				return -1;
			}
			k->hash[i] = (unsigned char)(hi << 4 | lo);
		}
	} else if (!strncmp(key, "sha256:", 7)) {
		snprintf(err, errlen, "line %zu: sha256: wants 64 hex digits", lineno);
		return -1;
	} else if (klen < APIKEY_MIN_LEN) {
		snprintf(err, errlen, "line %zu: key '%s' is shorter than %d bytes", lineno,
			 k->name, APIKEY_MIN_LEN);
		return -1;
	} else {
		SHA256((const unsigned char *)key, klen, k->hash);
	}
	ks->n++;
	return 0;
}

int apikey_parse(char *text, struct apikeys *ks, char *err, size_t errlen)
{
	size_t lineno = 0, total = strlen(text);
	int rc = 0;

	ks->n = 0;
	for (char *l = text; l && rc == 0;) {
		char *end = strchr(l, '\n'), *next = end ? end + 1 : NULL;
		size_t n;

		lineno++;
		if (end)
			*end = '\0';
		n = strlen(l);
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			l[--n] = '\0';
		l += strspn(l, " \t");
		if (*l && *l != '#')
			rc = parse_line(l, lineno, ks, err, errlen);
		l = next;
	}
	if (rc == 0 && ks->n == 0) {
		snprintf(err, errlen, "no key in the file");
		rc = -1;
	}
	OPENSSL_cleanse(text, total);
	if (rc != 0)
		OPENSSL_cleanse(ks, sizeof *ks);
	return rc;
}

const char *apikey_match(const struct apikeys *ks, const char *token, size_t len)
{
	unsigned char h[32];
	const char *found = NULL;

	if (!token || len == 0)
		return NULL;
	SHA256((const unsigned char *)token, len, h);
	/* Every key is compared, whichever matches: the time says nothing of
	 * which key, or how much of one, a guess got right. */
	for (size_t i = 0; i < ks->n; i++) {
		int eq = CRYPTO_memcmp(h, ks->k[i].hash, sizeof h) == 0;
		if (eq && !found)
			found = ks->k[i].name;
	}
	OPENSSL_cleanse(h, sizeof h);
	return found;
}
