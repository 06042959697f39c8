#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UTF8_BAD UINT32_MAX

/* Decode one character at p[0..n), n >= 1. Returns the bytes it takes and
 * sets *cp, or, for invalid input, the length of the maximal subpart (at
 * least 1) with *cp = UTF8_BAD. The second byte's range depends on the
 * first (Unicode Table 3-7): that is what rules out overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and past U+10FFFF (F4 90..BF). */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0], lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		c = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		*cp = UTF8_BAD; /* 80..C1 (continuation, overlong lead), F5..FF */
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*cp = UTF8_BAD;
			return i;
		}
		c = (c << 6) | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	return need + 1;
}

/* prefix then the low byte of cp as two lowercase hex digits. */
static void utf8_hex(char *out, const char *prefix, uint32_t cp)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	out[n] = digits[(cp >> 4) & 0xF];
	out[n + 1] = digits[cp & 0xF];
	out[n + 2] = '\0';
}

/* The shared walk: decode, replace, optionally escape, stop before the
 * first piece that would not fit whole in max_bytes. */
static char *utf8_copy(const char *s, size_t len, size_t max_bytes, int escape)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cap, used = 0, i = 0;
	char *out;

	/* Worst case per input byte: an invalid byte (3 out) or, escaped, a
	 * C0 control (4 out) or C1 (2 in, 6 out); never more than max_bytes. */
	cap = len > (SIZE_MAX - 1) / 4 ? SIZE_MAX - 1 : len * 4;
	if (cap > max_bytes)
		cap = max_bytes;
	out = malloc(cap + 1);
	if (!out)
		return NULL;
	while (i < len) {
		char esc[8];
		const char *piece;
		size_t plen;
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (cp == UTF8_BAD || (cp == 0 && !escape)) {
			piece = UTF8_REPLACEMENT;
			plen = 3;
		} else if (escape && (cp < 0x20 || cp == 0x7F)) {
			piece = esc;
			if (cp == '\n')
				piece = "\\n";
			else if (cp == '\r')
				piece = "\\r";
			else if (cp == '\t')
				piece = "\\t";
			else
				utf8_hex(esc, "\\x", cp);
			plen = strlen(piece);
		} else if (escape && cp >= 0x80 && cp <= 0x9F) {
			utf8_hex(esc, "\\u00", cp);
			piece = esc;
			plen = 6;
		} else {
			piece = s + i;
			plen = n;
		}
		if (plen > max_bytes - used)
			break;
		memcpy(out + used, piece, plen);
		used += plen;
		i += n;
	}
	out[used] = '\0';
	return out;
}

char *utf8_sanitize(const char *s, size_t len, size_t max_bytes)
{
	return utf8_copy(s, len, max_bytes, 0);
}

char *utf8_escape_controls(const char *s, size_t len, size_t max_bytes)
{
	return utf8_copy(s, len, max_bytes, 1);
}

static size_t utf8_into(char *buf, size_t size, const char *s, size_t len, int escape)
{
	char *t = utf8_copy(s, len, size - 1, escape);
	size_t n;

	if (!t) {
		/* Out of memory: ASCII alone is still safe, and fits in place. */
		n = len < size - 1 ? len : size - 1;
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20 ||
					s[i] == 0x7F
				? '?'
				: s[i];
		buf[n] = '\0';
		return n;
	}
	n = strlen(t);
	memcpy(buf, t, n + 1);
	free(t);
	return n;
}

size_t utf8_sanitize_into(char *buf, size_t size, const char *s, size_t len)
{
	return utf8_into(buf, size, s, len, 0);
}

size_t utf8_escape_into(char *buf, size_t size, const char *s, size_t len)
{
	return utf8_into(buf, size, s, len, 1);
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t cp;

		i += utf8_decode(p + i, len - i, &cp);
		if (cp == UTF8_BAD || cp == 0)
			return 0;
	}
	return 1;
}

size_t utf8_cut(const char *s, size_t len, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (len <= max_bytes)
		return len;
	/* p[max_bytes] exists; back over continuation bytes to a lead. */
	n = max_bytes;
	while (n > 0 && (p[n] & 0xC0) == 0x80)
		n--;
	return n;
}
