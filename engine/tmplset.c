#include "tmplset.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

const char *const tmplset_vars[] = {
	"name",
	"account_ref",
	"amount",
	"balance",
	"due_date",
	"days_overdue",
	"invoice_count",
	"pay_url",
	"company",
	"support",
	"invoice_ref",
	"dispute_ref",
	"promise_date",
	"brand",
	"legal_name",
	"support_phone",
	"privacy_url",
	"deadline",
	"consequence",
	"fee",
	"amount_with_fees",
	"fee_line",
	"resolution",
	"sms_name",
	NULL,
};

struct tmplset {
	struct tmplset_entry *e;
	size_t n, cap;
	const struct tmplset_chain *chain;
	size_t nchain;
};

const struct tmplset_chain tmplset_default_chain[] = {
	{"zh-TW", {"zh-Hant", "zh-HK"}, 2},
	{"zh-HK", {"zh-Hant", "zh-TW"}, 2},
	{"zh-MO", {"zh-HK", "zh-Hant", "zh-TW"}, 3},
	{"zh-Hant-TW", {"zh-TW"}, 1},
	{"zh-Hant-HK", {"zh-HK"}, 1},
	{"zh-Hant-MO", {"zh-HK"}, 1},
	{"zh-Hant", {"zh-TW", "zh-HK"}, 2},
	{"*", {"en"}, 1},
};
const size_t tmplset_default_nchain = sizeof tmplset_default_chain /
	sizeof tmplset_default_chain[0];

void tmplset_set_fallback(struct tmplset *s, const struct tmplset_chain *chain, size_t n)
{
	s->chain = chain;
	s->nchain = n;
}

static void entry_free(struct tmplset_entry *e)
{
	free(e->locale);
	free(e->name);
	free(e->kind);
	free(e->path);
	tmpl_free(e->subject);
	tmpl_free(e->body);
}

void tmplset_free(struct tmplset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_free(&s->e[i]);
	free(s->e);
	free(s);
}

size_t tmplset_count(const struct tmplset *s)
{
	return s->n;
}

const struct tmplset_entry *tmplset_entry_at(const struct tmplset *s, size_t i)
{
	return i < s->n ? &s->e[i] : NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static int var_known(const char *name)
{
	for (size_t i = 0; tmplset_vars[i]; i++)
		if (strcmp(tmplset_vars[i], name) == 0)
			return 1;
	return 0;
}

/* Parse one part; line/col offsets place errors in the whole file. */
static struct tmpl *parse_part(const char *path, const char *src, size_t len, int line0, int col0,
			       struct diag *diag)
{
	char err[256];
	int line = 0, col = 0;
	struct tmpl *t = tmpl_parse(src, len, err, sizeof err, &line, &col);

	if (!t) {
		diag_add(diag, path, line + line0, line == 1 ? col + col0 : col, "%s", err);
		return NULL;
	}
	for (size_t i = 0; i < tmpl_var_count(t); i++) {
		const char *v = tmpl_var_name(t, i, &line, &col);
		if (!var_known(v))
			diag_add(diag, path, line + line0, line == 1 ? col + col0 : col,
				 "unknown template variable '%s'", v);
	}
	return t;
}

static int load_file(struct tmplset *s, const char *path, const char *locale, const char *file,
		     const struct tmplset_kind *kinds, size_t nkinds, struct diag *diag)
{
	const char *dot = strrchr(file, '.');
	struct tmplset_entry e = {0};
	size_t len = 0;
	char *src;
	const char *body;
	int body_line = 0;

	if (!dot || dot == file || file[0] == '.')
		return 0;
	src = slurp(path, &len);
	if (!src) {
		diag_add(diag, path, 0, 0, "cannot read template");
		return -1;
	}
	e.locale = strdup(locale);
	e.name = strndup(file, (size_t)(dot - file));
	e.kind = strdup(dot + 1);
	e.path = strdup(path);
	body = src;
	/* A kind whose channel needs a subject starts with one; one whose
	 * channel can carry it may (a letter); others are all body. */
	unsigned caps = CHANNEL_CAP_SUBJECT;
	for (size_t k = 0; k < nkinds; k++)
		if (strcmp(kinds[k].kind, e.kind) == 0)
			caps = kinds[k].caps;
	if ((caps & CHANNEL_CAP_SUBJECT_REQUIRED) ||
	    ((caps & CHANNEL_CAP_SUBJECT) && strncmp(src, "Subject: ", 9) == 0)) {
		const char *nl = strchr(src, '\n');
		if (strncmp(src, "Subject: ", 9) != 0 || !nl) {
			diag_add(diag, path, 1, 1, "a %s template starts with \"Subject: \"",
				 e.kind);
		} else {
			size_t sl = (size_t)(nl - src - 9);
			if (sl && src[9 + sl - 1] == '\r')
				sl--;
			e.subject = parse_part(path, src + 9, sl, 0, 9, diag);
			body = nl + 1;
			body_line = 1;
			if (*body == '\r')
				body++;
			if (*body == '\n') {
				body++;
				body_line++;
			} else {
				diag_add(diag, path, 2, 1, "a blank line must follow the subject");
			}
		}
	}
	e.body = parse_part(path, body, len - (size_t)(body - src), body_line, 0, diag);
	e.body_line = body_line;
	free(src);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct tmplset_entry *ne = realloc(s->e, cap * sizeof *ne);
		if (!ne) {
			entry_free(&e);
			return -1;
		}
		s->e = ne;
		s->cap = cap;
	}
	s->e[s->n++] = e;
	return 0;
}

int tmplset_locale_valid(const char *l)
{
	size_t n = strlen(l);

	if (n < 2 || n > 15 || !isalpha((unsigned char)l[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-')
			return 0;
	return 1;
}

struct tmplset *tmplset_load(const char *dir, struct diag *diag)
{
	return tmplset_load_kinds(dir, NULL, 0, diag);
}

struct tmplset *tmplset_load_kinds(const char *dir, const struct tmplset_kind *kinds, size_t n,
				   struct diag *diag)
{
	struct tmplset *s = calloc(1, sizeof *s);
	size_t before = diag->n;

	if (s)
		tmplset_set_fallback(s, tmplset_default_chain, tmplset_default_nchain);
	DIR *top = opendir(dir);
	struct dirent *ld;

	if (!s || !top) {
		if (!top)
			diag_add(diag, dir, 0, 0, "cannot open template directory: %m");
		if (top)
			closedir(top);
		free(s);
		return NULL;
	}
	while ((ld = readdir(top)) != NULL) {
		char sub[4096];
		DIR *d;
		struct dirent *fd;

		if (ld->d_name[0] == '.' || !tmplset_locale_valid(ld->d_name))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, ld->d_name);
		d = opendir(sub);
		if (!d)
			continue;
		while ((fd = readdir(d)) != NULL) {
			char path[8192];
			if (fd->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", sub, fd->d_name);
			load_file(s, path, ld->d_name, fd->d_name, kinds, n, diag);
		}
		closedir(d);
	}
	closedir(top);
	if (diag->n != before) {
		tmplset_free(s);
		return NULL;
	}
	return s;
}

static const struct tmplset_entry *find_exact(const struct tmplset *s, const char *locale,
					      size_t llen, const char *name, const char *kind)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct tmplset_entry *e = &s->e[i];
		if (strlen(e->locale) == llen && strncasecmp(e->locale, locale, llen) == 0 &&
		    strcmp(e->name, name) == 0 && strcmp(e->kind, kind) == 0)
			return e;
	}
	return NULL;
}

static const struct tmplset_chain *chain_for(const struct tmplset *s, const char *locale,
					     size_t llen)
{
	for (size_t i = 0; i < s->nchain; i++)
		if (strlen(s->chain[i].from) == llen &&
		    strncasecmp(s->chain[i].from, locale, llen) == 0)
			return &s->chain[i];
	return NULL;
}

static const struct tmplset_entry *find_chained(const struct tmplset *s,
						const struct tmplset_chain *ch, const char *name,
						const char *kind)
{
	const struct tmplset_entry *e;

	for (size_t i = 0; ch && i < ch->nto; i++)
		if ((e = find_exact(s, ch->to[i], strlen(ch->to[i]), name, kind)) != NULL)
			return e;
	return NULL;
}

const struct tmplset_entry *tmplset_find(const struct tmplset *s, const char *locale,
					 const char *name, const char *kind)
{
	const struct tmplset_entry *e;
	const struct tmplset_chain *last;
	char tag[64];
	size_t n = locale ? strlen(locale) : 0;

	/* ICU-style ids ("zh_TW") are the BCP 47 tags they spell. */
	if (n >= sizeof tag)
		n = 0;
	for (size_t i = 0; i < n; i++)
		tag[i] = locale[i] == '_' ? '-' : locale[i];
	tag[n] = '\0';
	locale = tag;
	/* Strip subtags one at a time (zh-Hant-TW, zh-Hant, zh), each
	 * followed by its own links of the chain. */
	while (n > 0) {
		if ((e = find_exact(s, locale, n, name, kind)) != NULL)
			return e;
		if ((e = find_chained(s, chain_for(s, locale, n), name, kind)) != NULL)
			return e;
		while (n > 0 && locale[n - 1] != '-')
			n--;
		if (n > 0)
			n--;
	}
	last = chain_for(s, "*", 1);
	if (!last)
		return find_exact(s, "en", 2, name, kind);
	return find_chained(s, last, name, kind);
}

/* The primary language subtag's length: "zh" of "zh-Hant-TW", "en" of "en_US". */
static size_t lang_len(const char *tag)
{
	return strcspn(tag, "-_");
}

const char *tmplset_format_locale(const struct tmplset_entry *e, const char *customer)
{
	size_t n = customer ? lang_len(customer) : 0;

	if (n && n == lang_len(e->locale) && strncasecmp(customer, e->locale, n) == 0)
		return customer;
	return e->locale;
}
