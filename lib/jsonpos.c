/* jsonpos — see jsonpos.h. */
#include "jsonpos.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JP_NPOS SIZE_MAX

/* Internal step: keys carry a length so string paths need no NUL copies. */
struct jp_step {
	const char *key; /* NULL: array index */
	size_t keylen;
	long index;
};

static int jp_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t jp_ws(const char *s, size_t len, size_t i)
{
	while (i < len && jp_is_ws(s[i]))
		i++;
	return i;
}

/* i is at an opening quote; returns the index after the closing quote. */
static size_t jp_skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++; /* the escaped byte can't close the string */
		else if (s[i] == '"')
			return i + 1;
	}
	return JP_NPOS;
}

/* Skip one value of any kind starting at i. Containers are skipped by
 * bracket counting rather than recursion, so depth costs no stack. */
static size_t jp_skip_value(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return JP_NPOS;
	char c = s[i];
	if (c == '"')
		return jp_skip_string(s, len, i);
	if (c == '{' || c == '[') {
		size_t depth = 0;
		while (i < len) {
			c = s[i];
			if (c == '"') {
				i = jp_skip_string(s, len, i);
				if (i == JP_NPOS)
					return JP_NPOS;
				continue;
			}
			if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return i + 1;
			}
			i++;
		}
		return JP_NPOS;
	}
	if (c == ',' || c == ':' || c == ']' || c == '}')
		return JP_NPOS;
	/* number or literal: runs to the next delimiter */
	size_t j = i;
	while (j < len && !jp_is_ws(s[j]) && !strchr(",:[]{}\"", s[j]))
		j++;
	return j;
}

static int jp_hex4(const char *s, size_t len, size_t i)
{
	if (i > len || len - i < 4)
		return -1;
	int v = 0;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Streaming comparison of unescaped string bytes against a key. */
struct jp_cmp {
	const char *key;
	size_t keylen, k;
	int match;
};

static void jp_emit(struct jp_cmp *m, unsigned char b)
{
	if (m->match && m->k < m->keylen && (unsigned char)m->key[m->k] == b)
		m->k++;
	else
		m->match = 0;
}

static void jp_emit_cp(struct jp_cmp *m, uint32_t cp)
{
	if (cp < 0x80) {
		jp_emit(m, (unsigned char)cp);
	} else if (cp < 0x800) {
		jp_emit(m, (unsigned char)(0xC0 | (cp >> 6)));
		jp_emit(m, (unsigned char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		jp_emit(m, (unsigned char)(0xE0 | (cp >> 12)));
		jp_emit(m, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		jp_emit(m, (unsigned char)(0x80 | (cp & 0x3F)));
	} else {
		jp_emit(m, (unsigned char)(0xF0 | (cp >> 18)));
		jp_emit(m, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
		jp_emit(m, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		jp_emit(m, (unsigned char)(0x80 | (cp & 0x3F)));
	}
}

/* Compare the JSON string whose opening quote is at i with key, decoding
 * escapes on the fly (no buffer). Returns 1 on match, 0 if not, -1 if the
 * string is unterminated; *end is set past the closing quote. Ill-formed
 * escapes just make it a mismatch, and they consume the same bytes as
 * jp_skip_string so both agree on where the string ends. */
static int jp_key_eq(const char *s, size_t len, size_t i, const char *key, size_t keylen,
		     size_t *end)
{
	struct jp_cmp m = {key, keylen, 0, 1};
	size_t j = i + 1;
	while (j < len) {
		char c = s[j];
		if (c == '"') {
			*end = j + 1;
			return m.match && m.k == keylen;
		}
		if (c != '\\') {
			jp_emit(&m, (unsigned char)c);
			j++;
			continue;
		}
		if (len - j < 2)
			return -1;
		char e = s[j + 1];
		j += 2;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			jp_emit(&m, (unsigned char)e);
			break;
		case 'b':
			jp_emit(&m, '\b');
			break;
		case 'f':
			jp_emit(&m, '\f');
			break;
		case 'n':
			jp_emit(&m, '\n');
			break;
		case 'r':
			jp_emit(&m, '\r');
			break;
		case 't':
			jp_emit(&m, '\t');
			break;
		case 'u': {
			int cp = jp_hex4(s, len, j);
			if (cp < 0) {
				m.match = 0;
				break;
			}
			j += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				int lo = -1;
				if (len - j >= 6 && s[j] == '\\' && s[j + 1] == 'u')
					lo = jp_hex4(s, len, j + 2);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					j += 6;
					jp_emit_cp(&m,
						   0x10000u + (((uint32_t)cp - 0xD800u) << 10) +
							   ((uint32_t)lo - 0xDC00u));
				} else {
					m.match = 0; /* lone high surrogate: jansson rejects it */
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				m.match = 0;
			} else {
				jp_emit_cp(&m, (uint32_t)cp);
			}
			break;
		}
		default:
			m.match = 0;
			break;
		}
	}
	return -1;
}

/* Move *pos (at a value) to the value selected by st; *keypos gets the
 * member name's quote for key steps. Returns 0 or -1. */
static int jp_descend(const char *s, size_t len, size_t *pos, const struct jp_step *st,
		      size_t *keypos)
{
	size_t i = *pos;
	if (i >= len)
		return -1;
	if (st->key) {
		if (s[i] != '{')
			return -1;
		int found = 0;
		size_t fk = 0, fv = 0;
		i = jp_ws(s, len, i + 1);
		if (i < len && s[i] == '}')
			return -1;
		/* Scan every member even after a match: the last duplicate wins.
         * Malformed text ends the scan with whatever was found so far. */
		while (i < len && s[i] == '"') {
			size_t kp = i;
			int m = jp_key_eq(s, len, i, st->key, st->keylen, &i);
			if (m < 0)
				break;
			i = jp_ws(s, len, i);
			if (i >= len || s[i] != ':')
				break;
			i = jp_ws(s, len, i + 1);
			size_t vp = i;
			i = jp_skip_value(s, len, i);
			if (i == JP_NPOS)
				break;
			if (m) {
				found = 1;
				fk = kp;
				fv = vp;
			}
			i = jp_ws(s, len, i);
			if (i >= len || s[i] != ',')
				break;
			i = jp_ws(s, len, i + 1);
		}
		if (!found)
			return -1;
		*pos = fv;
		*keypos = fk;
		return 0;
	}

	if (s[i] != '[' || st->index < 0)
		return -1;
	i = jp_ws(s, len, i + 1);
	for (long k = 0;; k++) {
		if (i >= len || s[i] == ']')
			return -1;
		size_t next = jp_skip_value(s, len, i);
		if (next == JP_NPOS)
			return -1;
		if (k == st->index) {
			*pos = i;
			return 0;
		}
		i = jp_ws(s, len, next);
		if (i >= len || s[i] != ',')
			return -1;
		i = jp_ws(s, len, i + 1);
	}
}

static size_t jp_bom(const char *s, size_t len)
{
	return len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static int jp_clamp(size_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

static void jp_linecol(const char *s, size_t pos, size_t start, int *line, int *col)
{
	size_t ln = 1, c = 1;
	for (size_t i = start; i < pos; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b == '\n') {
			ln++;
			c = 1;
		} else if ((b & 0xC0) != 0x80) { /* count code points, not bytes */
			c++;
		}
	}
	if (line)
		*line = jp_clamp(ln);
	if (col)
		*col = jp_clamp(c);
}

/* Position at the root value, or JP_NPOS. */
static size_t jp_root(const char *s, size_t len)
{
	if (!s)
		return JP_NPOS;
	size_t i = jp_ws(s, len, jp_bom(s, len));
	if (jp_skip_value(s, len, i) == JP_NPOS)
		return JP_NPOS;
	return i;
}

int jsonpos_find(const char *text, size_t len, const struct jsonpos_step *path, size_t n,
		 int want_key, int *line, int *col)
{
	if (n > 0 && !path)
		return -1;
	if (want_key && (n == 0 || !path[n - 1].key))
		return -1;
	size_t pos = jp_root(text, len), keypos = 0;
	if (pos == JP_NPOS)
		return -1;
	for (size_t k = 0; k < n; k++) {
		struct jp_step st = {path[k].key, path[k].key ? strlen(path[k].key) : 0,
				     path[k].index};
		if (jp_descend(text, len, &pos, &st, &keypos))
			return -1;
	}
	jp_linecol(text, want_key ? keypos : pos, jp_bom(text, len), line, col);
	return 0;
}

/* Parse the next step of a string path at *pp into st (quoted keys are
 * unescaped into buf). Returns 1 for a step, 0 at the end, -1 if malformed. */
static int jp_path_next(const char **pp, int first, char *buf, struct jp_step *st)
{
	const char *p = *pp;
	if (*p == '\0')
		return 0;
	if (!first && *p != '[') {
		if (*p != '.')
			return -1;
		p++;
	}
	if (*p == '[') {
		p++;
		if (*p == '"') {
			size_t n = 0;
			for (p++; *p != '"'; p++) {
				if (*p == '\\')
					p++;
				if (*p == '\0')
					return -1;
				buf[n++] = *p;
			}
			if (p[1] != ']')
				return -1;
			*st = (struct jp_step){buf, n, 0};
			*pp = p + 2;
			return 1;
		}
		long v = 0;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			int d = *p - '0';
			if (v > (LONG_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
		if (*p != ']')
			return -1;
		*st = (struct jp_step){NULL, 0, v};
		*pp = p + 1;
		return 1;
	}
	size_t n = strcspn(p, ".[]");
	if (n == 0 || p[n] == ']')
		return -1;
	*st = (struct jp_step){p, n, 0};
	*pp = p + n;
	return 1;
}

int jsonpos_find_str(const char *text, size_t len, const char *path, int want_key, int *line,
		     int *col)
{
	if (!path)
		return -1;
	size_t pos = jp_root(text, len), keypos = 0;
	if (pos == JP_NPOS)
		return -1;
	/* One buffer serves every quoted key: each is used before the next. */
	char *buf = malloc(strlen(path) + 1);
	if (!buf)
		return -1;
	const char *p = path;
	int rc, last_is_key = 0, first = 1;
	struct jp_step st;
	while ((rc = jp_path_next(&p, first, buf, &st)) == 1) {
		first = 0;
		last_is_key = st.key != NULL;
		if (jp_descend(text, len, &pos, &st, &keypos)) {
			rc = -1;
			break;
		}
	}
	free(buf);
	if (rc < 0 || (want_key && !last_is_key))
		return -1;
	jp_linecol(text, want_key ? keypos : pos, jp_bom(text, len), line, col);
	return 0;
}
