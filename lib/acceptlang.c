/* Accept-Language, in one pass: the index only moves forward, each byte
 * is looked at once, and a language tag is compared only when it is
 * short enough to be one of ours. */
#include "acceptlang.h"

#include <string.h>
#include <strings.h>

#define MAX_PRIMARY 8 /* BCP 47 primary subtag */

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; anything else counts as 0 (not acceptable). Reads from
 * h[*i] while it is part of the value, at most len. */
static int qvalue(const char *h, size_t len, size_t *i)
{
	int q, scale = 100;

	if (*i >= len || (h[*i] != '0' && h[*i] != '1'))
		return 0;
	q = (h[(*i)++] - '0') * 1000;
	if (*i < len && h[*i] == '.') {
		(*i)++;
		for (int k = 0; k < 3 && *i < len && h[*i] >= '0' && h[*i] <= '9'; k++) {
			q += (h[(*i)++] - '0') * scale;
			scale /= 10;
		}
	}
	return q > 1000 ? 0 : q;
}

static int match(const char *tag, size_t n, const char *const *langs, size_t nl)
{
	size_t k = 0;

	while (k < n && tag[k] != '-' && tag[k] != '_')
		k++;
	if (k == 0 || k > MAX_PRIMARY)
		return -1;
	for (size_t i = 0; i < nl; i++)
		if (strlen(langs[i]) == k && strncasecmp(tag, langs[i], k) == 0)
			return (int)i;
	return -1;
}

int acceptlang_best(const char *header, const char *const *langs, size_t n, size_t *examined)
{
	size_t len = header ? strnlen(header, ACCEPTLANG_MAX_BYTES) : 0, i = 0;
	int best = -1, best_q = 0, entries = 0;

	while (i < len && entries < ACCEPTLANG_MAX_ENTRIES) {
		size_t tag, tlen;
		int q = 1000, l;

		if (ows(header[i]) || header[i] == ',') {
			i++;
			continue;
		}
		entries++;
		tag = i;
		while (i < len && header[i] != ',' && header[i] != ';' && !ows(header[i]))
			i++;
		tlen = i - tag;
		/* Parameters: only q matters; any other is skipped. */
		while (i < len && header[i] != ',') {
			if (header[i] == ';') {
				i++;
				while (i < len && ows(header[i]))
					i++;
				if (i + 1 < len && (header[i] == 'q' || header[i] == 'Q') &&
				    header[i + 1] == '=') {
					i += 2;
					q = qvalue(header, len, &i);
				}
				continue;
			}
			i++;
		}
		l = match(header + tag, tlen, langs, n);
		if (l >= 0 && q > best_q) {
			best = l;
			best_q = q;
		}
	}
	if (examined)
		*examined = i;
	return best;
}
