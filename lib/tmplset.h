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
};

struct tmplset;

/* Variables a template may use; anything else is a load error. */
extern const char *const tmplset_vars[];

/* Load and check every template; problems go to diag as file:line:col. */
struct tmplset *tmplset_load(const char *dir, struct diag *diag);
void tmplset_free(struct tmplset *s);
/* Best match for a BCP 47 locale: "ko-KR" tries ko-KR, ko, then en. */
const struct tmplset_entry *tmplset_find(const struct tmplset *s, const char *locale,
					 const char *name, const char *kind);
/* Number of loaded templates. */
size_t tmplset_count(const struct tmplset *s);
/* The i-th loaded template (NULL past the end), to check every one. */
const struct tmplset_entry *tmplset_entry_at(const struct tmplset *s, size_t i);

#endif
