/* Signed, expiring, account-scoped tokens for the personal payment link:
 * base64url("<account_id>.<expires>") "." base64url(HMAC-SHA256)[:22]. */
#ifndef DUNN_TOKEN_H
#define DUNN_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX 96

/* 0 ok, -1 if out is too small. */
int token_make(const char *secret, int64_t account_id, int64_t expires, char *out, size_t len);
/* 0 valid (account_id set), -1 malformed or forged, -2 expired. Constant
 * time in the signature comparison. */
int token_check(const char *secret, const char *token, int64_t now, int64_t *account_id);

#endif
