/* jsonpos — find where a JSON value is in its source text.
 *
 * jansson reports line:column only for syntax errors. To report semantic
 * errors (unknown key, wrong type) as file:line:column, this module re-scans
 * the original text and locates a value by its path.
 *
 * The scanner is iterative (no recursion, so nesting depth is unbounded
 * without stack risk), reads only the len bytes given, and never allocates
 * except for jsonpos_find_str's one copy of the path. It does not validate:
 * on text jansson accepted it is exact; on anything else it returns a
 * best-effort answer or -1, never reading out of bounds. A UTF-8 BOM at the
 * start is skipped and not counted as a column. */
#ifndef DUNND_JSONPOS_H
#define DUNND_JSONPOS_H

#include <stddef.h>

struct jsonpos_step {
	const char *key; /* key != NULL: object member; else array index */
	long index;
};

/* Locate the value (want_key=0) or the member name (want_key=1, only for a
 * final key step; points at its opening quote) at path in text. line/col are
 * 1-based; col counts UTF-8 code points. Returns 0 if found, -1 otherwise.
 * Keys are compared after unescaping (\" \\ \/ \b \f \n \r \t \uXXXX incl.
 * surrogate pairs). With a duplicate key the last one wins, as in jansson.
 * n == 0 means the root value. line/col may be NULL. */
int jsonpos_find(const char *text, size_t len, const struct jsonpos_step *path, size_t n,
		 int want_key, int *line, int *col);

/* Convenience: path given as a string such as "tracks[2].steps[0].after_days"
 * or "channels.email.module". Keys containing '.', '[' or ']' are written
 * quoted as ["odd.key"] (inside the quotes, backslash escapes the next
 * character). "" is the root. A malformed path returns -1. */
int jsonpos_find_str(const char *text, size_t len, const char *path, int want_key, int *line,
		     int *col);

#endif
