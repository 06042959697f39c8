/* application/x-www-form-urlencoded: parse a request body (webhooks) and
 * encode one (provider APIs). Names and values are percent-decoded, '+'
 * is a space, repeated names are kept in their order, and a malformed
 * escape ("%", "%4", "%zz") or a NUL byte (raw or %00) rejects the whole
 * body. Values are bytes: check UTF-8 where it matters. */
#ifndef DUNN_FORM_H
#define DUNN_FORM_H

#include <stddef.h>

#define FORM_MAX_BODY (64 * 1024) /* bytes of encoded input */
#define FORM_MAX_PAIRS 256

enum form_error {
	FORM_OK = 0,
	FORM_EESCAPE = -1,  /* bad percent escape, %00 or a NUL byte */
	FORM_ETOOBIG = -2,  /* body over FORM_MAX_BODY */
	FORM_ETOOMANY = -3, /* more than FORM_MAX_PAIRS fields */
	FORM_ENOMEM = -4,
};

struct form_pair {
	char *name;  /* decoded, NUL-terminated */
	char *value; /* decoded, NUL-terminated; "" for "name" or "name=" */
};

struct form {
	struct form_pair *pairs;
	size_t n;
};

/* Parse body[0..len). Empty fields ("a=1&&b=2") are skipped. On error
 * *f is left empty (nothing to free). */
enum form_error form_parse(const char *body, size_t len, struct form *f);
/* The same with another limit than FORM_MAX_BODY (a form carrying a file,
 * as the console's policy upload). */
enum form_error form_parse_max(const char *body, size_t len, size_t max, struct form *f);
void form_free(struct form *f);
/* First value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* Human-readable reason for an error code (static). */
const char *form_strerror(enum form_error e);
/* Encode n name/value pairs (kv[2*i], kv[2*i+1]): unreserved characters
 * (A-Z a-z 0-9 - . _ ~) as is, space as '+', everything else %XX.
 * Returns a malloc'd string or NULL. */
char *form_encode(const char *const *kv, size_t n);

#endif
