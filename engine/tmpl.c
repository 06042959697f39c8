/* tmpl — see tmpl.h for the language. */
#include "tmpl.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htmlesc.h"

/* One piece of the template: a run of literal text or a variable use. */
struct tmpl_seg {
	int is_var;
	size_t a; /* literal: offset into lit; var: index into vars */
	size_t b; /* literal: length */
};

struct tmpl_var {
	size_t name_off; /* into names */
	int line, col;
};

struct tmpl {
	char *lit; /* literal text with escapes resolved */
	struct tmpl_seg *segs;
	size_t nsegs;
	char *names; /* NUL-separated variable names */
	struct tmpl_var *vars;
	size_t nvars;
};

/* Parser state; the hash set keeps distinct-name lookup O(1) so hostile
 * inputs with many variables stay linear. */
struct tmpl_parser {
	struct tmpl *t;
	size_t lit_len;
	size_t segs_cap;
	size_t names_len, names_cap;
	size_t vars_cap;
	size_t *hash; /* var index + 1; 0 = empty slot */
	size_t hash_cap;
	/* Incremental position cursor: positions are requested in increasing
     * order, so counting from the last one keeps this linear overall. */
	const char *src;
	size_t cur_pos;
	long cur_line, cur_col;
};

static int tmpl_clamp(long v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

static void tmpl_position(struct tmpl_parser *p, size_t pos, int *line, int *col)
{
	while (p->cur_pos < pos) {
		unsigned char c = (unsigned char)p->src[p->cur_pos++];
		if (c == '\n') {
			p->cur_line++;
			p->cur_col = 1;
		} else if ((c & 0xC0) != 0x80) { /* continuation bytes are not new code points */
			p->cur_col++;
		}
	}
	if (line)
		*line = tmpl_clamp(p->cur_line);
	if (col)
		*col = tmpl_clamp(p->cur_col);
}

static void tmpl_set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* Grow *ptr (elements of size sz) so it holds at least need elements. */
static int tmpl_reserve(void **ptr, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 16;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	if (nc > SIZE_MAX / sz)
		return -1;
	void *n = realloc(*ptr, nc * sz);
	if (!n)
		return -1;
	*ptr = n;
	*cap = nc;
	return 0;
}

static int tmpl_add_lit(struct tmpl_parser *p, const char *s, size_t n)
{
	struct tmpl *t = p->t;
	if (n == 0)
		return 0;
	/* lit was sized to the source length, and resolved text never exceeds it */
	memcpy(t->lit + p->lit_len, s, n);
	if (t->nsegs > 0 && !t->segs[t->nsegs - 1].is_var) {
		t->segs[t->nsegs - 1].b += n; /* literal text is contiguous in lit */
	} else {
		if (tmpl_reserve((void **)&t->segs, &p->segs_cap, t->nsegs + 1, sizeof *t->segs))
			return -1;
		t->segs[t->nsegs++] = (struct tmpl_seg){0, p->lit_len, n};
	}
	p->lit_len += n;
	return 0;
}

static size_t tmpl_hash_name(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static int tmpl_hash_grow(struct tmpl_parser *p)
{
	size_t nc = p->hash_cap ? p->hash_cap * 2 : 64;
	if (nc > SIZE_MAX / sizeof(size_t))
		return -1;
	size_t *nh = calloc(nc, sizeof *nh);
	if (!nh)
		return -1;
	for (size_t i = 0; i < p->t->nvars; i++) {
		const char *nm = p->t->names + p->t->vars[i].name_off;
		size_t h = tmpl_hash_name(nm, strlen(nm)) & (nc - 1);
		while (nh[h])
			h = (h + 1) & (nc - 1);
		nh[h] = i + 1;
	}
	free(p->hash);
	p->hash = nh;
	p->hash_cap = nc;
	return 0;
}

/* Find or add variable name[0..n); tag_pos is where its "{{" starts. */
static int tmpl_add_var(struct tmpl_parser *p, const char *name, size_t n, size_t tag_pos,
			size_t *idx)
{
	struct tmpl *t = p->t;
	if ((t->nvars + 1) * 2 > p->hash_cap && tmpl_hash_grow(p))
		return -1;
	size_t h = tmpl_hash_name(name, n) & (p->hash_cap - 1);
	while (p->hash[h]) {
		size_t i = p->hash[h] - 1;
		const char *nm = t->names + t->vars[i].name_off;
		if (strncmp(nm, name, n) == 0 && nm[n] == '\0') {
			*idx = i;
			return 0;
		}
		h = (h + 1) & (p->hash_cap - 1);
	}
	if (tmpl_reserve((void **)&t->vars, &p->vars_cap, t->nvars + 1, sizeof *t->vars) ||
	    tmpl_reserve((void **)&t->names, &p->names_cap, p->names_len + n + 1, 1))
		return -1;
	struct tmpl_var *v = &t->vars[t->nvars];
	v->name_off = p->names_len;
	memcpy(t->names + p->names_len, name, n);
	t->names[p->names_len + n] = '\0';
	p->names_len += n + 1;
	tmpl_position(p, tag_pos, &v->line, &v->col);
	p->hash[h] = t->nvars + 1;
	*idx = t->nvars++;
	return 0;
}

static int tmpl_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int tmpl_is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int tmpl_is_name_char(char c)
{
	return tmpl_is_name_start(c) || (c >= '0' && c <= '9');
}

struct tmpl *tmpl_parse(const char *src, size_t len, char *err, size_t errlen, int *err_line,
			int *err_col)
{
	struct tmpl_parser p;
	const char *msg = NULL;
	size_t err_pos = 0;

	if (err_line)
		*err_line = 0;
	if (err_col)
		*err_col = 0;
	if (!src && len > 0) {
		tmpl_set_err(err, errlen, "no template text");
		return NULL;
	}

	memset(&p, 0, sizeof p);
	p.src = src;
	p.cur_line = 1;
	p.cur_col = 1;
	p.t = calloc(1, sizeof *p.t);
	if (!p.t)
		goto oom;
	p.t->lit = malloc(len + 1); /* escapes only ever shrink the text */
	if (!p.t->lit)
		goto oom;

	size_t i = 0, run = 0; /* run = start of pending literal text */
	while (i < len) {
		char c = src[i];
		if (c == '\0') {
			msg = "embedded NUL byte";
			err_pos = i;
			goto fail;
		}
		if (c == '\\' && len - i >= 3 && src[i + 1] == '{' && src[i + 2] == '{') {
			if (tmpl_add_lit(&p, src + run, i - run) || tmpl_add_lit(&p, "{{", 2))
				goto oom;
			i += 3;
			run = i;
			continue;
		}
		if (c != '{' || len - i < 2 || src[i + 1] != '{') {
			i++;
			continue;
		}

		/* A tag: find its "}}" on this line, stopping at a newer "{{" so an
         * unclosed tag is blamed rather than swallowing the next one. */
		size_t tag = i, j = i + 2, close = SIZE_MAX;
		while (j < len && src[j] != '\n' && src[j] != '\0') {
			if (len - j >= 2 && src[j] == '}' && src[j + 1] == '}') {
				close = j;
				break;
			}
			if (len - j >= 2 && src[j] == '{' && src[j + 1] == '{')
				break;
			j++;
		}
		if (close == SIZE_MAX) {
			msg = "unterminated '{{'";
			err_pos = tag;
			goto fail;
		}
		size_t a = tag + 2, b = close;
		while (a < b && tmpl_is_space(src[a]))
			a++;
		while (b > a && tmpl_is_space(src[b - 1]))
			b--;
		if (a == b) {
			msg = "empty variable name";
			err_pos = tag;
			goto fail;
		}
		int ok = tmpl_is_name_start(src[a]);
		for (size_t k = a + 1; ok && k < b; k++)
			ok = tmpl_is_name_char(src[k]);
		if (!ok) {
			msg = "invalid variable name";
			err_pos = tag;
			goto fail;
		}

		size_t idx;
		if (tmpl_add_lit(&p, src + run, tag - run) ||
		    tmpl_add_var(&p, src + a, b - a, tag, &idx) ||
		    tmpl_reserve((void **)&p.t->segs, &p.segs_cap, p.t->nsegs + 1,
				 sizeof *p.t->segs))
			goto oom;
		p.t->segs[p.t->nsegs++] = (struct tmpl_seg){1, idx, 0};
		i = close + 2;
		run = i;
	}
	if (tmpl_add_lit(&p, src + run, len - run))
		goto oom;

	free(p.hash);
	return p.t;

oom:
	msg = "out of memory";
	tmpl_set_err(err, errlen, msg);
	free(p.hash);
	tmpl_free(p.t);
	return NULL;

fail:
	tmpl_set_err(err, errlen, msg);
	tmpl_position(&p, err_pos, err_line, err_col);
	free(p.hash);
	tmpl_free(p.t);
	return NULL;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->lit);
	free(t->segs);
	free(t->names);
	free(t->vars);
	free(t);
}

size_t tmpl_var_count(const struct tmpl *t)
{
	return t ? t->nvars : 0;
}

const char *tmpl_var_name(const struct tmpl *t, size_t i, int *line, int *col)
{
	if (!t || i >= t->nvars)
		return NULL;
	if (line)
		*line = t->vars[i].line;
	if (col)
		*col = t->vars[i].col;
	return t->names + t->vars[i].name_off;
}

struct tmpl_buf {
	char *p;
	size_t len, cap;
};

static int tmpl_buf_put(struct tmpl_buf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		return -1;
	if (tmpl_reserve((void **)&b->p, &b->cap, b->len + n + 1, 1))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int tmpl_put_html(struct tmpl_buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *rep = htmlesc_entity((unsigned char)*s);
		if (!rep)
			continue;
		if (tmpl_buf_put(b, run, (size_t)(s - run)) || tmpl_buf_put(b, rep, strlen(rep)))
			return -1;
		run = s + 1;
	}
	return tmpl_buf_put(b, run, (size_t)(s - run));
}

char *tmpl_render(const struct tmpl *t, tmpl_lookup_fn lookup, void *ctx, enum tmpl_escape esc)
{
	struct tmpl_buf b = {NULL, 0, 0};
	if (tmpl_reserve((void **)&b.p, &b.cap, 1, 1))
		return NULL;
	for (size_t i = 0; t && i < t->nsegs; i++) {
		const struct tmpl_seg *s = &t->segs[i];
		int rc;
		if (!s->is_var) {
			rc = tmpl_buf_put(&b, t->lit + s->a, s->b);
		} else {
			const char *v = lookup ? lookup(ctx, t->names + t->vars[s->a].name_off)
					       : NULL;
			if (!v)
				continue;
			rc = esc == TMPL_HTML ? tmpl_put_html(&b, v)
					      : tmpl_buf_put(&b, v, strlen(v));
		}
		if (rc) {
			free(b.p);
			return NULL;
		}
	}
	b.p[b.len] = '\0';
	return b.p;
}
