/* Diagnostics collected while loading configuration: every problem is
 * reported as "file:line:column: message" so an operator can jump to it. */
#ifndef DUNN_DIAG_H
#define DUNN_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char **msgs;
	size_t n, cap;
};

void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Locate jpath ("tracks[1].steps[0].after_days") in the JSON text of file;
 * want_key points at the member name instead of its value. */
void diag_at(struct diag *d, const char *file, const char *text, const char *jpath, int want_key,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void diag_print(const struct diag *d, FILE *out);
void diag_free(struct diag *d);

#endif
