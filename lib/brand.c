#include "brand.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel.h"
#include "config.h"
#include "diag.h"
#include "jconf.h"
#include "money.h"

static const char *const field_keys[BRAND_NFIELDS] = {
	"name", "legal_name", "support", "support_phone", "privacy_url", "sms_name",
};

/* The most characters each field may have. The SMS name opens every
 * text and the support phone closes it: short single lines, so that the
 * text's segment count stays what the templates were written for (two
 * parts with a 73-character link); the others sit in footers. */
#define SMS_NAME_MAX 24
static const size_t field_max[BRAND_NFIELDS] = {24, 80, 80, 32, 200, SMS_NAME_MAX};

const char *brand_field_key(enum brand_field f)
{
	return f < BRAND_NFIELDS ? field_keys[f] : "";
}

/* A locale key: "default" or a BCP 47 tag of letters and digits in
 * subtags of 1 to 8, the first of 2 or 3 letters. */
static int key_ok(const char *k)
{
	size_t n = 0, first = 1;

	if (!strcmp(k, "default"))
		return 1;
	for (const char *p = k;; p++) {
		if (*p == '-' || *p == '\0') {
			if (n == 0 || n > 8 || (first && (n < 2 || n > 3)))
				return 0;
			if (*p == '\0')
				return 1;
			n = 0;
			first = 0;
		} else if (isalpha((unsigned char)*p) || (!first && isdigit((unsigned char)*p))) {
			n++;
		} else {
			return 0;
		}
	}
}

/* One field's text: 1 to max characters, no control character. */
static char *field_read(struct jconf *j, json_t *v, const char *path, enum brand_field f)
{
	const char *s = json_string_value(v);
	size_t chars = 0;
	int bad = 0;
	char *out;

	if (!s) {
		jconf_error(j, path, 0, "%s must be a string", path);
		return NULL;
	}
	for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
		if (*q < 0x20 || *q == 0x7f)
			bad = 1;
		if ((*q & 0xc0) != 0x80)
			chars++;
	}
	if (chars == 0 || bad || chars > field_max[f]) {
		jconf_error(j, path, 0, "%s must be 1 to %zu characters on one line", path,
			    field_max[f]);
		return NULL;
	}
	if (f == BRAND_PRIVACY_URL && strncmp(s, "https://", 8) && strncmp(s, "http://", 7)) {
		jconf_error(j, path, 0, "%s must be an http(s) URL", path);
		return NULL;
	}
	out = strdup(s);
	if (!out)
		jconf_error(j, path, 0, "out of memory");
	return out;
}

static void entry_read(struct jconf *j, struct brand_entry *e, json_t *v, const char *path)
{
	const char *key;
	json_t *m;

	if (json_is_string(v)) {
		e->f[BRAND_NAME] = field_read(j, v, path, BRAND_NAME);
		return;
	}
	if (!json_is_object(v)) {
		jconf_error(j, path, 0, "%s must be a string (the name) or an object", path);
		return;
	}
	json_object_foreach(v, key, m)
	{
		char *p = jconf_path(path, key);
		int f;

		for (f = 0; f < BRAND_NFIELDS && strcmp(field_keys[f], key); f++)
			;
		if (f == BRAND_NFIELDS)
			jconf_error(j, p ? p : path, 1,
				    "unknown key '%s' (name, legal_name, support, support_phone, "
				    "privacy_url, sms_name)",
				    key);
		else
			e->f[f] = field_read(j, m, p ? p : path, (enum brand_field)f);
		free(p);
	}
}

void brand_load(struct jconf *j, struct config *c)
{
	/* Its type was checked with the top-level rows (config_opts.c). */
	json_t *o = json_object_get(j->root, "brand"), *v;
	const char *key;
	size_t n;

	if (!json_is_object(o))
		return;
	n = json_object_size(o);
	c->brand.e = calloc(n ? n : 1, sizeof *c->brand.e);
	if (!c->brand.e) {
		jconf_error(j, "brand", 0, "out of memory");
		return;
	}
	json_object_foreach(o, key, v)
	{
		char *p = jconf_path("brand", key);
		const char *path = p ? p : "brand";
		struct brand_entry *e = &c->brand.e[c->brand.n];

		if (!key_ok(key)) {
			jconf_error(
				j, path, 1,
				"brand: '%s' is not a locale (\"default\", or a tag like \"ko\", "
				"\"zh-TW\")",
				key);
		} else if (!(e->locale = strdup(key))) {
			jconf_error(j, path, 0, "out of memory");
		} else {
			c->brand.n++;
			entry_read(j, e, v, path);
		}
		free(p);
	}
}

void brand_free(struct brand *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].locale);
		for (int f = 0; f < BRAND_NFIELDS; f++)
			free(b->e[i].f[f]);
	}
	free(b->e);
	b->e = NULL;
	b->n = 0;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static const char *exact(const struct brand *b, const char *tag, size_t len, enum brand_field f)
{
	for (size_t i = 0; i < b->n; i++)
		if (strlen(b->e[i].locale) == len && !strncasecmp(b->e[i].locale, tag, len))
			return b->e[i].f[f];
	return NULL;
}

/* field as the brand sets it for locale's chain, or NULL: no fallback
 * to the top-level company or support. */
static const char *set_for(const struct brand *b, const char *locale, enum brand_field f)
{
	size_t len = strlen(locale);
	const char *v;

	if ((v = exact(b, locale, len, f)))
		return v;
	if (len >= 5 && !strncasecmp(locale, "zh-", 3) &&
	    (!strncasecmp(locale + 3, "TW", 2) || !strncasecmp(locale + 3, "HK", 2) ||
	     !strncasecmp(locale + 3, "MO", 2)) &&
	    (locale[5] == '\0' || locale[5] == '-') && (v = exact(b, "zh-Hant", 7, f)))
		return v;
	while (len > 0) {
		while (len > 0 && locale[len - 1] != '-' && locale[len - 1] != '_')
			len--;
		if (len > 0)
			len--;
		if (len > 0 && (v = exact(b, locale, len, f)))
			return v;
	}
	return exact(b, "default", 7, f);
}

const char *config_brand_field(const struct config *c, const char *locale, enum brand_field f)
{
	const char *v;

	if (f >= BRAND_NFIELDS)
		return "";
	if ((v = set_for(&c->brand, locale ? locale : "", f)))
		return v;
	/* A text must name who is asking; the legal name does when it is
	 * short enough to open one. */
	if (f == BRAND_SMS_NAME) {
		v = config_brand_field(c, locale, BRAND_LEGAL_NAME);
		return utf8_chars(v) <= SMS_NAME_MAX ? v
						     : config_brand_field(c, locale, BRAND_NAME);
	}
	if (f == BRAND_NAME || f == BRAND_LEGAL_NAME)
		return c->company ? c->company : "";
	if (f == BRAND_SUPPORT)
		return c->support ? c->support : "";
	return "";
}

/* One locale's identity: where the warning points is the brand entry
 * (or, for one the brand lacks, the brand object, else the top). */
static void locale_warnings(const struct config *c, const char *locale, const char *what, int texts,
			    const struct jconf *j, struct diag *warn)
{
	const struct brand *b = &c->brand;
	char *jp = NULL;
	const char *at = "";
	int key = 0;

	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->e[i].locale, locale))
			jp = jconf_path("brand", locale);
	if (jp) {
		at = jp;
		key = 1;
	} else if (json_object_get(j->root, "brand")) {
		at = "brand";
		key = 1;
	} else if (json_object_get(j->root, "company")) {
		at = "company";
		key = 1;
	}
	if (!set_for(b, locale, BRAND_LEGAL_NAME))
		diag_at(warn, c->path, j->text, at, key,
			"warning: brand.%s sets no legal_name: every %s must name the company's "
			"registered name (it would say '%s')",
			locale, what, config_brand_field(c, locale, BRAND_LEGAL_NAME));
	if (!*config_brand_field(c, locale, BRAND_SUPPORT_PHONE) &&
	    !*config_brand_field(c, locale, BRAND_SUPPORT))
		diag_at(warn, c->path, j->text, at, key,
			"warning: brand.%s sets no support_phone and there is no support: every %s "
			"must say where to ask",
			locale, what);
	/* A text closes with the support phone, else the support address:
	 * one longer than a phone may be breaks the two parts the shipped
	 * texts and the STOP, START and HELP answers are written for. */
	const char *sup = config_brand_field(c, locale, BRAND_SUPPORT);
	if (texts && !*config_brand_field(c, locale, BRAND_SUPPORT_PHONE) &&
	    utf8_chars(sup) > field_max[BRAND_SUPPORT_PHONE])
		diag_at(warn, c->path, j->text, at, key,
			"warning: brand.%s sets no support_phone: texts would close with the "
			"support address (%zu characters, more than a phone's %zu) and may not fit "
			"two parts",
			locale, utf8_chars(sup), field_max[BRAND_SUPPORT_PHONE]);
	free(jp);
}

void brand_warnings(const struct config *c, struct diag *warn)
{
	struct diag ignore = {0};
	struct jconf j;
	char what[128];
	int texts = 0, letters = 0;

	what[0] = '\0';
	for (size_t i = 0; i < c->nchannels; i++) {
		const struct config_channel *ch = &c->channels[i];
		int is_text = ch->optout == CHANNEL_OPTOUT_TEXTS;
		int is_letter = !is_text &&
			((ch->caps & CHANNEL_CAP_ACCOUNT) ||
			 (ch->mod.ops && ch->mod.ops->addr == CHANNEL_ADDR_ACCOUNT));
		if (!is_text && !is_letter)
			continue;
		texts |= is_text;
		letters |= is_letter;
	}
	if (!texts && !letters)
		return;
	snprintf(what, sizeof what, "%s%s%s", texts ? "text" : "", texts && letters ? " and " : "",
		 letters ? "letter" : "");
	jconf_open(&j, c->path, &ignore);
	locale_warnings(c, "default", what, texts, &j, warn);
	for (size_t i = 0; i < c->brand.n; i++)
		if (strcmp(c->brand.e[i].locale, "default"))
			locale_warnings(c, c->brand.e[i].locale, what, texts, &j, warn);
	jconf_close(&j);
	diag_free(&ignore);
}

void money_style_load(struct jconf *j, struct config *c)
{
	json_t *o = json_object_get(j->root, "money_style"), *v;
	const char *key;
	size_t n;

	if (!json_is_object(o))
		return;
	n = json_object_size(o);
	c->mstyle_locale = calloc(n ? n : 1, sizeof *c->mstyle_locale);
	c->mstyle = calloc(n ? n : 1, sizeof *c->mstyle);
	if (!c->mstyle_locale || !c->mstyle) {
		jconf_error(j, "money_style", 0, "out of memory");
		return;
	}
	json_object_foreach(o, key, v)
	{
		char *p = jconf_path("money_style", key);
		const char *path = p ? p : "money_style";
		int st = money_style_parse(json_string_value(v));

		if (!key_ok(key))
			jconf_error(j, path, 1,
				    "money_style: '%s' is not a locale (\"default\", or a tag like "
				    "\"ko\")",
				    key);
		else if (st < 0)
			jconf_error(j, path, 0, "%s must be \"symbol\" or \"unit\"", path);
		else if (!(c->mstyle_locale[c->nmstyle] = strdup(key)))
			jconf_error(j, path, 0, "out of memory");
		else
			c->mstyle[c->nmstyle++] = st;
		free(p);
	}
}

void money_style_free(struct config *c)
{
	for (size_t i = 0; i < c->nmstyle; i++)
		free(c->mstyle_locale[i]);
	free(c->mstyle_locale);
	free(c->mstyle);
}

int config_money_style(const struct config *c, const char *locale)
{
	size_t len = locale ? strlen(locale) : 0;

	while (len > 0) {
		for (size_t i = 0; i < c->nmstyle; i++)
			if (strlen(c->mstyle_locale[i]) == len &&
			    !strncasecmp(c->mstyle_locale[i], locale, len))
				return c->mstyle[i];
		while (len > 0 && locale[len - 1] != '-' && locale[len - 1] != '_')
			len--;
		if (len > 0)
			len--;
	}
	for (size_t i = 0; i < c->nmstyle; i++)
		if (!strcmp(c->mstyle_locale[i], "default"))
			return c->mstyle[i];
	return money_style_default(locale);
}
