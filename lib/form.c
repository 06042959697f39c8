#include "form.h"

#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..len) into a new string; NULL with *err on failure. */
static char *decode(const char *s, size_t len, enum form_error *err)
{
	char *out = malloc(len + 1);
	size_t n = 0;

	if (!out) {
		*err = FORM_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[n++] = ' ';
		} else if (s[i] == '%') {
			if (len - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				goto bad;
			out[n] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (out[n] == '\0')
				goto bad; /* would silently truncate a C string */
			n++;
			i += 2;
		} else if (s[i] == '\0') {
			goto bad;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return out;
bad:
	free(out);
	*err = FORM_EESCAPE;
	return NULL;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->pairs[i].name);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	f->pairs = NULL;
	f->n = 0;
}

enum form_error form_parse(const char *body, size_t len, struct form *f)
{
	return form_parse_max(body, len, FORM_MAX_BODY, f);
}

enum form_error form_parse_max(const char *body, size_t len, size_t max, struct form *f)
{
	enum form_error err = FORM_OK;
	size_t i = 0, cap = 0;

	f->pairs = NULL;
	f->n = 0;
	if (len > max)
		return FORM_ETOOBIG;
	if (!body)
		return len ? FORM_EESCAPE : FORM_OK;
	while (i < len) {
		const char *field = body + i;
		const char *amp = memchr(field, '&', len - i);
		size_t flen = amp ? (size_t)(amp - field) : len - i;
		const char *eq = memchr(field, '=', flen);
		size_t nlen = eq ? (size_t)(eq - field) : flen;
		struct form_pair p;

		i += flen + 1;
		if (flen == 0)
			continue;
		if (f->n == FORM_MAX_PAIRS) {
			err = FORM_ETOOMANY;
			goto fail;
		}
		if (f->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct form_pair *np = realloc(f->pairs, ncap * sizeof *np);
			if (!np) {
				err = FORM_ENOMEM;
				goto fail;
			}
			f->pairs = np;
			cap = ncap;
		}
		p.name = decode(field, nlen, &err);
		if (!p.name)
			goto fail;
		p.value = eq ? decode(eq + 1, flen - nlen - 1, &err) : strdup("");
		if (!p.value) {
			free(p.name);
			if (err == FORM_OK)
				err = FORM_ENOMEM;
			goto fail;
		}
		f->pairs[f->n++] = p;
	}
	return FORM_OK;
fail:
	form_free(f);
	return err;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].name, name) == 0)
			return f->pairs[i].value;
	return NULL;
}

const char *form_strerror(enum form_error e)
{
	switch (e) {
	case FORM_OK:
		return "ok";
	case FORM_EESCAPE:
		return "malformed percent escape";
	case FORM_ETOOBIG:
		return "form body too large";
	case FORM_ETOOMANY:
		return "too many form fields";
	case FORM_ENOMEM:
		return "out of memory";
	}
	return "unknown error";
}

static size_t enc_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += strchr("-._~", *s) || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
				(*s >= '0' && *s <= '9') || *s == ' '
			? 1
			: 3;
	return n;
}

static char *enc_put(char *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ') {
			*o++ = '+';
		} else if (strchr("-._~", c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	return o;
}

char *form_encode(const char *const *kv, size_t n)
{
	size_t total = 1;
	char *out, *o;

	for (size_t i = 0; i < 2 * n; i++)
		total += enc_len(kv[i]) + 1;
	out = malloc(total);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = '&';
		o = enc_put(o, kv[2 * i]);
		*o++ = '=';
		o = enc_put(o, kv[2 * i + 1]);
	}
	*o = '\0';
	return out;
}
