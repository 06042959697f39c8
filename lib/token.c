#include "token.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

static int b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = memchr(b64url, in[i], 64);
		if (!p || !in[i])
			return -1;
		acc = (acc << 6) | (uint32_t)(p - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)o;
}

#define SIG_B64 22 /* 16 bytes of the MAC are plenty for a link */

/* HMAC() fetches the algorithm, makes a context and sets the key on every
 * call (a link per reminder). Each thread keeps one keyed context for the
 * last secret instead, and re-initialises it with that key. */
static _Thread_local struct {
	EVP_MAC_CTX *ctx;
	char *secret;
} mac_cache;

static EVP_MAC_CTX *mac_for(const char *secret)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	if (mac_cache.ctx && strcmp(mac_cache.secret, secret) == 0)
		return EVP_MAC_init(mac_cache.ctx, NULL, 0, NULL) == 1 ? mac_cache.ctx : NULL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	EVP_MAC_CTX_free(mac_cache.ctx);
	if (mac_cache.secret)
		OPENSSL_clear_free(mac_cache.secret, strlen(mac_cache.secret));
	mac_cache.ctx = ctx;
	mac_cache.secret = OPENSSL_strdup(secret);
	if (!mac_cache.secret) {
		EVP_MAC_CTX_free(ctx);
		mac_cache.ctx = NULL;
		return NULL;
	}
	return ctx;
}

static void sign(const char *secret, const char *payload, size_t n, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	EVP_MAC_CTX *ctx = mac_for(secret);
	size_t len = 0;

	if (ctx && EVP_MAC_update(ctx, (const unsigned char *)payload, n) == 1 &&
	    EVP_MAC_final(ctx, mac, &len, sizeof mac) == 1 && len >= 16) {
		b64_encode(mac, 16, out);
		return;
	}
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)payload, n, mac,
	     &maclen);
	b64_encode(mac, 16, out);
}

int token_make(const char *secret, int64_t account_id, int64_t expires, char *out, size_t len)
{
	char payload[48], enc[80], sig[SIG_B64 + 2];
	int n = snprintf(payload, sizeof payload, "%" PRId64 ".%" PRId64, account_id, expires);

	b64_encode((const unsigned char *)payload, (size_t)n, enc);
	sign(secret, enc, strlen(enc), sig);
	n = snprintf(out, len, "%s.%s", enc, sig);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int token_check(const char *secret, const char *token, int64_t now, int64_t *account_id)
{
	const char *dot = strchr(token, '.');
	char sig[SIG_B64 + 2];
	unsigned char payload[64];
	int64_t id, exp;
	int n, used = 0;

	if (!dot || dot - token > 80 || strlen(dot + 1) != SIG_B64)
		return -1;
	sign(secret, token, (size_t)(dot - token), sig);
	if (CRYPTO_memcmp(sig, dot + 1, SIG_B64) != 0)
		return -1;
	n = b64_decode(token, (size_t)(dot - token), payload, sizeof payload - 1);
	if (n <= 0)
		return -1;
	payload[n] = '\0';
	/* sscanf would skip leading blanks and take a sign: the payload is
	 * ours, so anything but "<digits>.<digits>" is not. */
	if (strspn((char *)payload, "0123456789.") != (size_t)n)
		return -1;
	if (sscanf((char *)payload, "%" SCNd64 ".%" SCNd64 "%n", &id, &exp, &used) != 2 ||
	    used != n)
		return -1;
	if (now > exp)
		return -2;
	*account_id = id;
	return 0;
}
