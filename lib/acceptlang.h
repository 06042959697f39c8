/* Accept-Language (RFC 9110 12.5.4): which of our languages a client
 * prefers. The header comes from anyone, so the work is bounded: one pass
 * over at most ACCEPTLANG_MAX_BYTES bytes and ACCEPTLANG_MAX_ENTRIES
 * entries, whatever the header's length or shape. */
#ifndef DUNN_ACCEPTLANG_H
#define DUNN_ACCEPTLANG_H

#include <stddef.h>

#define ACCEPTLANG_MAX_BYTES 1024 /* looked at; the rest is ignored */
#define ACCEPTLANG_MAX_ENTRIES 64

/* The index in langs[] (n primary subtags, lower case: "en", "ko") of
 * the language with the highest q in header, the first of equals; a
 * region ("ko-KR") counts for its language; q=0 and "*" pick nothing.
 * -1 when nothing matches (or header is NULL). When examined is not
 * NULL it is set to the bytes of header looked at, a measure of the work
 * done (never more than ACCEPTLANG_MAX_BYTES). */
int acceptlang_best(const char *header, const char *const *langs, size_t n, size_t *examined);

#endif
