#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

static void diag_push(struct diag *d, char *msg)
{
	if (!msg)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		char **m = realloc(d->msgs, cap * sizeof *m);
		if (!m) {
			free(msg);
			return;
		}
		d->msgs = m;
		d->cap = cap;
	}
	d->msgs[d->n++] = msg;
}

static void diag_vadd(struct diag *d, const char *file, int line, int col, const char *fmt,
		      va_list ap)
{
	char body[512];
	char *msg = NULL;

	vsnprintf(body, sizeof body, fmt, ap);
	if (asprintf(&msg, "%s:%d:%d: %s", file, line, col, body) < 0)
		return;
	diag_push(d, msg);
}

void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

void diag_at(struct diag *d, const char *file, const char *text, const char *jpath, int want_key,
	     const char *fmt, ...)
{
	int line = 1, col = 1;
	va_list ap;

	if (text && jsonpos_find_str(text, strlen(text), jpath, want_key, &line, &col) != 0) {
		line = 1;
		col = 1;
	}
	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->msgs[i]);
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof *d);
}
