/* multipart/form-data: the delimiter is CRLF "--" boundary, each part
 * headers then a blank line then content, the last delimiter followed by
 * "--". Only Content-Disposition is read (RFC 7578 4.2: name, and a
 * filename nobody here needs); a part's own Content-Type is the client's
 * guess and ignored. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

#define MP_MAX_BOUNDARY 70

int multipart_boundary(const char *ctype, char *out, size_t len)
{
	const char *p;
	size_t n;

	if (!ctype || strncasecmp(ctype, "multipart/form-data", 19) != 0 ||
	    (ctype[19] && ctype[19] != ';' && ctype[19] != ' '))
		return -1;
	for (p = ctype + 19; (p = strchr(p, ';')) != NULL;) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			p++;
			n = strcspn(p, "\"");
			if (p[n] != '"')
				return -1;
		} else {
			n = strcspn(p, "; \t");
		}
		if (n == 0 || n > MP_MAX_BOUNDARY || n + 1 > len)
			return -1;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/* The value of parameter key ("name") in a Content-Disposition value
 * hdr[0..n): malloc'd, NULL when absent or malformed. Quoted strings as
 * browsers write them: a backslash escapes the next character. */
static char *disp_param(const char *hdr, size_t n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++) {
		if (hdr[i] != ';')
			continue;
		i++;
		while (i < n && (hdr[i] == ' ' || hdr[i] == '\t'))
			i++;
		if (n - i <= klen || strncasecmp(hdr + i, key, klen) != 0 || hdr[i + klen] != '=')
			continue;
		i += klen + 1;
		char *v = malloc(n - i + 1);
		size_t o = 0;
		if (!v)
			return NULL;
		if (i < n && hdr[i] == '"') {
			for (i++; i < n && hdr[i] != '"'; i++) {
				if (hdr[i] == '\\' && i + 1 < n)
					i++;
				v[o++] = hdr[i];
			}
			if (i >= n) {
				free(v);
				return NULL;
			}
		} else {
			while (i < n && hdr[i] != ';' && hdr[i] != ' ')
				v[o++] = hdr[i++];
		}
		v[o] = '\0';
		return v;
	}
	return NULL;
}

/* The part's name from its headers h[0..n) (CRLF-separated lines). */
static char *part_name(const char *h, size_t n)
{
	static const char cd[] = "content-disposition:";
	size_t i = 0;

	while (i < n) {
		const char *eol = memmem(h + i, n - i, "\r\n", 2);
		size_t l = eol ? (size_t)(eol - (h + i)) : n - i;
		if (l > sizeof cd - 1 && strncasecmp(h + i, cd, sizeof cd - 1) == 0) {
			const char *v = h + i + sizeof cd - 1;
			size_t vn = l - (sizeof cd - 1);
			while (vn && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			if (vn < 9 || strncasecmp(v, "form-data", 9) != 0)
				return NULL;
			return disp_param(v + 9, vn - 9, "name");
		}
		i += l + 2;
	}
	return NULL;
}

static int add_pair(struct form *f, size_t *cap, char *name, const char *v, size_t vn)
{
	struct form_pair p;

	if (f->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct form_pair *np = realloc(f->pairs, ncap * sizeof *np);
		if (!np)
			return -1;
		f->pairs = np;
		*cap = ncap;
	}
	p.name = name;
	p.value = malloc(vn + 1);
	if (!p.value)
		return -1;
	memcpy(p.value, v, vn);
	p.value[vn] = '\0';
	f->pairs[f->n++] = p;
	return 0;
}

enum form_error multipart_parse(const char *boundary, const char *body, size_t len, size_t max,
				struct form *f)
{
	char delim[MP_MAX_BOUNDARY + 5]; /* CRLF "--" boundary */
	size_t dlen, i, cap = 0;
	enum form_error err = FORM_EESCAPE;

	f->pairs = NULL;
	f->n = 0;
	if (len > max)
		return FORM_ETOOBIG;
	dlen = strlen(boundary);
	if (dlen == 0 || dlen > MP_MAX_BOUNDARY || !body)
		return FORM_EESCAPE;
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, dlen + 1);
	dlen += 4;
	/* The first delimiter opens the body (no CRLF before it) or follows
	 * a preamble. */
	if (len >= dlen - 2 && !memcmp(body, delim + 2, dlen - 2)) {
		i = dlen - 2;
	} else {
		const char *d = memmem(body, len, delim, dlen);
		if (!d)
			return FORM_EESCAPE;
		i = (size_t)(d - body) + dlen;
	}
	for (;;) {
		const char *hend, *next;
		size_t hstart, cstart;
		char *name;

		if (len - i >= 2 && !memcmp(body + i, "--", 2))
			break; /* the close delimiter */
		/* Linear white space may follow a delimiter (RFC 2046 5.1.1). */
		while (i < len && (body[i] == ' ' || body[i] == '\t'))
			i++;
		if (len - i < 2 || memcmp(body + i, "\r\n", 2) != 0)
			goto fail;
		hstart = i + 2;
		if (len - hstart >= 2 && !memcmp(body + hstart, "\r\n", 2)) {
			hend = body + hstart; /* no headers at all */
			cstart = hstart + 2;
		} else {
			hend = memmem(body + hstart, len - hstart, "\r\n\r\n", 4);
			if (!hend)
				goto fail;
			cstart = (size_t)(hend - body) + 4;
		}
		next = memmem(body + cstart, len - cstart, delim, dlen);
		if (!next)
			goto fail;
		if (memchr(body + hstart, '\0', (size_t)(next - body) - hstart))
			goto fail;
		name = part_name(body + hstart, (size_t)(hend - body) - hstart);
		if (!name || !*name) {
			free(name);
			goto fail;
		}
		if (f->n == FORM_MAX_PAIRS) {
			free(name);
			err = FORM_ETOOMANY;
			goto fail;
		}
		if (add_pair(f, &cap, name, body + cstart, (size_t)(next - body) - cstart) != 0) {
			free(name);
			err = FORM_ENOMEM;
			goto fail;
		}
		i = (size_t)(next - body) + dlen;
	}
	return FORM_OK;
fail:
	form_free(f);
	return err;
}
