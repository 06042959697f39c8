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
 * SIG_DUNN_WINDOW seconds away from now, either way. */
#ifndef DUNN_SIG_H
#define DUNN_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "form.h"

#define SIG_TWILIO_LEN 29        /* base64 of 20 bytes, NUL included */
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

/* Short reason for a result (static). */
const char *sig_strerror(enum sig_result r);

#endif
