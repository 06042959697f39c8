#include "pgarr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

void pgarr_init(struct pgarr *a)
{
	memset(a, 0, sizeof *a);
}

static void put(struct pgarr *a, const char *s, size_t n)
{
	if (a->oom)
		return;
	if (a->len + n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		while (a->len + n + 2 > cap)
			cap *= 2;
		char *b = realloc(a->buf, cap);
		if (!b) {
			a->oom = 1;
			return;
		}
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, s, n);
	a->len += n;
}

/* The buffer always starts with '{' once anything was written, even when
 * pgarr_str() was read on an empty array: reading never changes what the
 * next element needs. */
static void sep(struct pgarr *a)
{
	if (a->len == 0)
		put(a, "{", 1);
	else if (a->n > 0)
		put(a, ",", 1);
	a->n++;
}

void pgarr_int(struct pgarr *a, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, v);

	sep(a);
	put(a, num, (size_t)n);
}

void pgarr_text(struct pgarr *a, const char *s)
{
	sep(a);
	if (!s) {
		put(a, "NULL", 4);
		return;
	}
	put(a, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(a, "\\", 1);
		put(a, p, 1);
	}
	put(a, "\"", 1);
}

void pgarr_time(struct pgarr *a, int64_t t)
{
	char iso[32];

	tz_format_iso8601(t, iso, sizeof iso);
	pgarr_text(a, iso);
}

const char *pgarr_str(struct pgarr *a)
{
	if (a->len == 0)
		put(a, "{", 1);
	put(a, "}", 1);
	if (a->oom)
		return NULL;
	a->buf[a->len] = '\0';
	a->len--; /* a later add overwrites the closing brace */
	return a->buf;
}

void pgarr_free(struct pgarr *a)
{
	free(a->buf);
	memset(a, 0, sizeof *a);
}
