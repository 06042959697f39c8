/* Locale tags for ICU, shared by money and date formatting. */
#ifndef DUNN_ICULOC_H
#define DUNN_ICULOC_H

#include <stdint.h>

/* BCP 47 tag (or an ICU id like "en_US") -> ICU locale id. Strict on the
 * tag's syntax so a typo fails loudly instead of becoming the root locale.
 * 0 ok, -1 not a locale. */
int iculoc_from_tag(const char *tag, char *out, int32_t cap);
/* 1 if ICU served `valid` for `requested` only by falling back to the
 * process default or root (no data for the language): customer text must
 * not depend on the daemon's environment, so callers treat it as an error. */
int iculoc_fell_back(const char *requested, const char *valid);

#endif
