/* The template tree: <dir>/<locale>/<name>.<kind>, kind being the channel
 * module that carries it ("email", "sms", ...). An email template starts
 * with a "Subject: " line and a blank line. */
#ifndef DUNN_TMPLSET_H
#define DUNN_TMPLSET_H

#include "diag.h"
#include "tmpl.h"

struct tmplset_entry {
	char *locale, *name, *kind, *path;
	struct tmpl *subject; /* NULL unless the kind has subjects */
	struct tmpl *body;
	int body_line; /* lines before the body (a subject and a blank line: 2) */
};

struct tmplset;

/* One link of the locale fallback chain: after the templates of locale
 * `from` (matched case-insensitively), try those of each `to`, in order.
 * from "*" is the last resort, tried when every subtag is stripped. */
#define TMPLSET_CHAIN_MAX 8
struct tmplset_chain {
	const char *from;
	const char *to[TMPLSET_CHAIN_MAX];
	size_t nto;
};
/* The chain used until tmplset_set_fallback: Traditional Chinese (zh-TW,
 * zh-HK, zh-MO, zh-Hant-*) goes to the shared zh-Hant templates before
 * it could reach Simplified zh; everything ends in en. */
extern const struct tmplset_chain tmplset_default_chain[];
extern const size_t tmplset_default_nchain;

/* Variables a template may use; anything else is a load error. */
extern const char *const tmplset_vars[];

/* Load and check every template; problems go to diag as file:line:col. */
struct tmplset *tmplset_load(const char *dir, struct diag *diag);
/* What the channels using a template kind carry (enum channel_cap bits):
 * CHANNEL_CAP_SUBJECT_REQUIRED makes "Subject: " the first line of every
 * template of that kind, CHANNEL_CAP_SUBJECT lets it be; a kind without
 * either is all body. Kinds not listed may start with a subject. */
struct tmplset_kind {
	const char *kind;
	unsigned caps;
};
struct tmplset *tmplset_load_kinds(const char *dir, const struct tmplset_kind *kinds, size_t n,
				   struct diag *diag);
void tmplset_free(struct tmplset *s);
/* Replace the fallback chain (borrowed: it must outlive s). */
void tmplset_set_fallback(struct tmplset *s, const struct tmplset_chain *chain, size_t n);
/* Best match for a BCP 47 locale. Each prefix of the tag, longest first,
 * then the chain's `to` list for that prefix: "zh-Hant-TW" tries
 * zh-Hant-TW, zh-TW (chain), zh-Hant, zh-TW, zh-HK (chain), zh; then the
 * "*" list (en). */
const struct tmplset_entry *tmplset_find(const struct tmplset *s, const char *locale,
					 const char *name, const char *kind);
/* The locale to format money and dates in for a customer with locale
 * `customer` reading template e: the customer's own tag when the template
 * is in the customer's language (ko for ko-KR: ko-KR's formats), else the
 * template's (fr-FR reading en: "$1,234.50", "November 25, 2026"), so the
 * formats always match the words around them. */
const char *tmplset_format_locale(const struct tmplset_entry *e, const char *customer);
/* 1 if tag looks like a BCP 47 tag we can name a directory after:
 * 2-15 characters of letters, digits and '-', starting with a letter. */
int tmplset_locale_valid(const char *tag);
/* Number of loaded templates. */
size_t tmplset_count(const struct tmplset *s);
/* The i-th loaded template (NULL past the end), to check every one. */
const struct tmplset_entry *tmplset_entry_at(const struct tmplset *s, size_t i);

#endif
