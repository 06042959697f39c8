/* Webhook signatures (OpenSSL HMAC; comparisons in constant time).
 *
 * Twilio: X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + for
 * each POST parameter sorted by name (bytewise, case-sensitive; repeated
 * names stay in the order they came) name + value)). URL is the full URL
 * Twilio requested, query string included, exactly as configured there.
 *
 * Dunn (generic providers, our own webhooks): X-Dunn-Timestamp = unix
 * seconds, X-Dunn-Signature = "sha256=" + hex(HMAC-SHA256(secret,
 * timestamp + "." + body)); rejected when the timestamp is more than
 * SIG_DUNN_WINDOW seconds away from now, either way.
 *
 * Stripe: Stripe-Signature = "t=<unix seconds>,v1=<hex>[,v1=<hex>...]"
 * (other schemes such as v0 ignored), each v1 = hex(HMAC-SHA256(signing
 * secret, t + "." + raw body)): the same MAC as Dunn's. Valid when any v1
 * matches any of the configured secrets (rotation: Stripe signs with the
 * old and the new secret for a while, an operator may hold both) and t is
 * within SIG_STRIPE_TOLERANCE seconds of now.
 *
 * Adyen: each NotificationRequestItem carries additionalData.hmacSignature
 * = base64(HMAC-SHA256(hex-decoded key, pspReference ":" originalReference
 * ":" merchantAccountCode ":" merchantReference ":" amount.value ":"
 * amount.currency ":" eventCode ":" success)), absent fields empty. */
#ifndef DUNN_SIG_H
#define DUNN_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "form.h"

#define SIG_TWILIO_LEN 29         /* base64 of 20 bytes, NUL included */
#define SIG_DUNN_LEN (7 + 64 + 1) /* "sha256=" + 64 hex, NUL included */
#define SIG_DUNN_WINDOW 300

enum sig_result {
	SIG_OK = 0,
	SIG_EMISSING = -1,   /* no signature (or timestamp) header */
	SIG_EMALFORMED = -2, /* header or timestamp not in the expected form */
	SIG_ESTALE = -3,     /* timestamp outside the replay window */
	SIG_EMISMATCH = -4,  /* well-formed but wrong */
	SIG_EINTERNAL = -5,  /* out of memory, crypto failure */
};

/* Signature of a Twilio request into out (SIG_TWILIO_LEN bytes). 0 or -1. */
int sig_twilio_compute(const char *token, const char *url, const struct form *params,
		       char out[SIG_TWILIO_LEN]);
/* Verify header against url and params. Like Twilio's own libraries, a
 * URL with an explicit default port (":443" for https, ":80" for http)
 * also matches without it, and the other way round. */
enum sig_result sig_twilio_verify(const char *token, const char *url, const struct form *params,
				  const char *header);

/* "sha256=<hex>" for timestamp and body into out (SIG_DUNN_LEN). 0 or -1. */
int sig_dunn_sign(const char *secret, const char *timestamp, const char *body, size_t len,
		  char out[SIG_DUNN_LEN]);
/* Verify header (and the timestamp's age against now, unix seconds).
 * timestamp is decimal unix seconds, digits only. */
enum sig_result sig_dunn_verify(const char *secret, const char *timestamp, const char *body,
				size_t len, const char *header, int64_t now);

#define SIG_STRIPE_TOLERANCE 300
#define SIG_ADYEN_LEN 45 /* base64 of 32 bytes, NUL included */

/* Verify a Stripe-Signature header against body with any of nsecrets
 * secrets, at now (unix seconds). */
enum sig_result sig_stripe_verify(const char *const *secrets, size_t nsecrets, const char *header,
				  const char *body, size_t len, int64_t now);
/* "t=<ts>,v1=<hex>" for body under secret into out (at least 96 bytes):
 * what Stripe sends, for tests and the fuzz harness. 0 or -1. */
int sig_stripe_sign(const char *secret, int64_t ts, const char *body, size_t len, char *out,
		    size_t outlen);
/* An Adyen HMAC key as written in its Customer Area (hex, 32 to 64 bytes
 * once decoded) into key; its length, or -1 when it is not hex of an
 * even length in that range. */
#define SIG_ADYEN_KEY_MAX 64
int sig_adyen_key(const char *hex, unsigned char key[SIG_ADYEN_KEY_MAX]);
/* The signature of one item's signed fields (joined by ':' here) into
 * out. 0 or -1. */
int sig_adyen_sign(const unsigned char *key, size_t keylen, const char *data, size_t len,
		   char out[SIG_ADYEN_LEN]);
/* Verify an item's base64 hmacSignature over data. */
enum sig_result sig_adyen_verify(const unsigned char *key, size_t keylen, const char *data,
				 size_t len, const char *signature);

/* Short reason for a result (static). */
const char *sig_strerror(enum sig_result r);

#endif
