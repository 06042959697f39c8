#include "sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sortkey {
	const struct form_pair *p;
	size_t idx;
};

/* Byte order by name; equal names keep their arrival order. */
static int key_cmp(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;
	int c = strcmp(x->p->name, y->p->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int sig_twilio_compute(const char *token, const char *url, const struct form *params,
		       char out[SIG_TWILIO_LEN])
{
	size_t n = params ? params->n : 0, len = strlen(url), off;
	struct sortkey *keys = n ? calloc(n, sizeof *keys) : NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *data;

	if (n && !keys)
		return -1;
	for (size_t i = 0; i < n; i++) {
		keys[i].p = &params->pairs[i];
		keys[i].idx = i;
		len += strlen(params->pairs[i].name) + strlen(params->pairs[i].value);
	}
	if (n)
		qsort(keys, n, sizeof *keys, key_cmp);
	data = malloc(len + 1);
	if (!data) {
		free(keys);
		return -1;
	}
	off = strlen(url);
	memcpy(data, url, off);
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(keys[i].p->name), b = strlen(keys[i].p->value);
		memcpy(data + off, keys[i].p->name, a);
		memcpy(data + off + a, keys[i].p->value, b);
		off += a + b;
	}
	free(keys);
	if (!HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)data, off, mac,
		  &maclen) ||
	    maclen != 20) {
		free(data);
		return -1;
	}
	free(data);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	return 0;
}

/* url with its default port removed or added: the other spelling Twilio
 * may have signed. NULL when there is none. Caller frees. */
static char *other_port_spelling(const char *url)
{
	const char *dport, *hs, *he, *colon;
	size_t schemelen;
	char *out = NULL;

	if (strncmp(url, "https://", 8) == 0)
		dport = "443", schemelen = 8;
	else if (strncmp(url, "http://", 7) == 0)
		dport = "80", schemelen = 7;
	else
		return NULL;
	hs = url + schemelen;
	he = hs + strcspn(hs, "/?#");
	colon = memchr(hs, ':', (size_t)(he - hs));
	if (memchr(hs, '@', (size_t)(he - hs)) || memchr(hs, '[', (size_t)(he - hs)))
		return NULL; /* userinfo or IPv6 literal: leave it alone */
	if (colon) {
		if ((size_t)(he - colon - 1) != strlen(dport) ||
		    strncmp(colon + 1, dport, strlen(dport)) != 0)
			return NULL;
		if (asprintf(&out, "%.*s%s", (int)(colon - url), url, he) < 0)
			return NULL;
	} else if (asprintf(&out, "%.*s:%s%s", (int)(he - url), url, dport, he) < 0) {
		return NULL;
	}
	return out;
}

static int twilio_match(const char *token, const char *url, const struct form *params,
			const char *header)
{
	char want[SIG_TWILIO_LEN];

	if (sig_twilio_compute(token, url, params, want) != 0)
		return -1;
	return CRYPTO_memcmp(want, header, SIG_TWILIO_LEN - 1) == 0;
}

enum sig_result sig_twilio_verify(const char *token, const char *url, const struct form *params,
				  const char *header)
{
	char *alt;
	int m;

	if (!header || !*header)
		return SIG_EMISSING;
	if (strlen(header) != SIG_TWILIO_LEN - 1)
		return SIG_EMALFORMED;
	if (!token || !*token || !url)
		return SIG_EINTERNAL;
	m = twilio_match(token, url, params, header);
	if (m < 0)
		return SIG_EINTERNAL;
	if (m)
		return SIG_OK;
	alt = other_port_spelling(url);
	if (alt) {
		m = twilio_match(token, alt, params, header);
		free(alt);
		if (m < 0)
			return SIG_EINTERNAL;
		if (m)
			return SIG_OK;
	}
	return SIG_EMISMATCH;
}

static int dunn_mac(const char *secret, const char *timestamp, const char *body, size_t len,
		    unsigned char mac[32])
{
	size_t tl = strlen(timestamp);
	unsigned int maclen = 0;
	unsigned char *data = malloc(tl + 1 + len + 1);
	int ok;

	if (!data)
		return -1;
	memcpy(data, timestamp, tl);
	data[tl] = '.';
	if (len)
		memcpy(data + tl + 1, body, len);
	ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), data, tl + 1 + len, mac, &maclen) &&
		maclen == 32;
	free(data);
	return ok ? 0 : -1;
}

int sig_dunn_sign(const char *secret, const char *timestamp, const char *body, size_t len,
		  char out[SIG_DUNN_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];

	if (!secret || !timestamp || dunn_mac(secret, timestamp, body, len, mac) != 0)
		return -1;
	memcpy(out, "sha256=", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[SIG_DUNN_LEN - 1] = '\0';
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum sig_result sig_dunn_verify(const char *secret, const char *timestamp, const char *body,
				size_t len, const char *header, int64_t now)
{
	unsigned char got[32], want[32];
	int64_t ts = 0;
	size_t tl;

	if (!header || !*header || !timestamp || !*timestamp)
		return SIG_EMISSING;
	tl = strlen(timestamp);
	if (tl > 12 || strspn(timestamp, "0123456789") != tl)
		return SIG_EMALFORMED;
	if (strlen(header) != SIG_DUNN_LEN - 1 || strncmp(header, "sha256=", 7) != 0)
		return SIG_EMALFORMED;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(header[7 + 2 * i]), lo = hexval(header[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return SIG_EMALFORMED;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!secret || !*secret || dunn_mac(secret, timestamp, body, len, want) != 0)
		return SIG_EINTERNAL;
	if (CRYPTO_memcmp(got, want, sizeof want) != 0)
		return SIG_EMISMATCH;
	for (size_t i = 0; i < tl; i++)
		ts = ts * 10 + (timestamp[i] - '0');
	if (ts > now + SIG_DUNN_WINDOW || ts < now - SIG_DUNN_WINDOW)
		return SIG_ESTALE;
	return SIG_OK;
}

const char *sig_strerror(enum sig_result r)
{
	switch (r) {
	case SIG_OK:
		return "valid";
	case SIG_EMISSING:
		return "missing signature";
	case SIG_EMALFORMED:
		return "malformed signature";
	case SIG_ESTALE:
		return "timestamp outside the replay window";
	case SIG_EMISMATCH:
		return "signature mismatch";
	case SIG_EINTERNAL:
		return "internal error";
	}
	return "unknown";
}

/* A v1 value: 64 hex digits into mac. */
static int stripe_v1(const char *v, size_t n, unsigned char mac[32])
{
	if (n != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

#define STRIPE_MAX_V1 8

enum sig_result sig_stripe_verify(const char *const *secrets, size_t nsecrets, const char *header,
				  const char *body, size_t len, int64_t now)
{
	unsigned char got[STRIPE_MAX_V1][32], want[32];
	char ts[16] = "";
	size_t nv1 = 0;
	int64_t t = 0;
	int match = 0;

	if (!header || !*header)
		return SIG_EMISSING;
	for (const char *p = header; *p;) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=");
		const char *v = p + k + 1;
		size_t vn = k < n ? n - k - 1 : 0;

		if (k >= n)
			return SIG_EMALFORMED;
		if (k == 1 && p[0] == 't') {
			if (ts[0] || vn == 0 || vn > 12 || strspn(v, "0123456789") < vn)
				return SIG_EMALFORMED;
			memcpy(ts, v, vn);
			ts[vn] = '\0';
		} else if (k == 2 && p[0] == 'v' && p[1] == '1') {
			/* More than a rotation needs is not a header Stripe sent. */
			if (nv1 == STRIPE_MAX_V1 || stripe_v1(v, vn, got[nv1]) != 0)
				return SIG_EMALFORMED;
			nv1++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!ts[0] || nv1 == 0)
		return SIG_EMALFORMED;
	for (size_t s = 0; s < nsecrets; s++) {
		if (!secrets[s] || !*secrets[s] || dunn_mac(secrets[s], ts, body, len, want) != 0)
			return SIG_EINTERNAL;
		/* Every pair compared, so the time taken says nothing of which. */
		for (size_t i = 0; i < nv1; i++)
			match |= CRYPTO_memcmp(got[i], want, sizeof want) == 0;
	}
	if (!match)
		return SIG_EMISMATCH;
	for (size_t i = 0; ts[i]; i++)
		t = t * 10 + (ts[i] - '0');
	if (t > now + SIG_STRIPE_TOLERANCE || t < now - SIG_STRIPE_TOLERANCE)
		return SIG_ESTALE;
	return SIG_OK;
}

int sig_stripe_sign(const char *secret, int64_t ts, const char *body, size_t len, char *out,
		    size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[32];
	char t[24];
	int n;

	snprintf(t, sizeof t, "%lld", (long long)ts);
	if (!secret || dunn_mac(secret, t, body, len, mac) != 0)
		return -1;
	n = snprintf(out, outlen, "t=%s,v1=", t);
	if (n < 0 || (size_t)n + 65 > outlen)
		return -1;
	for (int i = 0; i < 32; i++) {
		out[n + 2 * i] = hex[mac[i] >> 4];
		out[n + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[n + 64] = '\0';
	return 0;
}

int sig_adyen_key(const char *hex, unsigned char key[SIG_ADYEN_KEY_MAX])
{
	size_t n = hex ? strlen(hex) : 0;

	if (n % 2 || n < 64 || n > 2 * SIG_ADYEN_KEY_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int sig_adyen_sign(const unsigned char *key, size_t keylen, const char *data, size_t len,
		   char out[SIG_ADYEN_LEN])
{
	unsigned char mac[32];
	unsigned int maclen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len, mac, &maclen) ||
	    maclen != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, mac, 32);
	return 0;
}

enum sig_result sig_adyen_verify(const unsigned char *key, size_t keylen, const char *data,
				 size_t len, const char *signature)
{
	char want[SIG_ADYEN_LEN];

	if (!signature || !*signature)
		return SIG_EMISSING;
	if (strlen(signature) != SIG_ADYEN_LEN - 1)
		return SIG_EMALFORMED;
	if (sig_adyen_sign(key, keylen, data, len, want) != 0)
		return SIG_EINTERNAL;
	return CRYPTO_memcmp(want, signature, SIG_ADYEN_LEN - 1) == 0 ? SIG_OK : SIG_EMISMATCH;
}
