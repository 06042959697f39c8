/* Typed, validated reads from a jansson tree, with every problem reported
 * at its file:line:column through diag. Shared by config and policy. */
#ifndef DUNN_JCONF_H
#define DUNN_JCONF_H

#include <jansson.h>
#include <stdint.h>

#include "diag.h"

struct jconf {
	const char *file;
	char *text; /* whole file, owned */
	json_t *root;
	struct diag *diag;
};

/* Read and parse file; a syntax error is added to diag. 0 ok, -1 failed. */
int jconf_open(struct jconf *c, const char *file, struct diag *diag);
void jconf_close(struct jconf *c);

/* Child path: "a.b" + "c" -> "a.b.c"; keys needing it are quoted. Caller frees. */
char *jconf_path(const char *parent, const char *key);
char *jconf_path_index(const char *parent, size_t index);

/* Report members of obj not in allowed (NULL-terminated). */
void jconf_keys(struct jconf *c, json_t *obj, const char *path, const char *const *allowed);
/* Member accessors: report a wrong type or a missing required member and
 * return the default. */
json_t *jconf_obj(struct jconf *c, json_t *obj, const char *path, const char *key, int required);
json_t *jconf_arr(struct jconf *c, json_t *obj, const char *path, const char *key, int required);
const char *jconf_str(struct jconf *c, json_t *obj, const char *path, const char *key,
		      const char *def, int required);
long long jconf_int(struct jconf *c, json_t *obj, const char *path, const char *key, long long def,
		    long long min, long long max);
int jconf_bool(struct jconf *c, json_t *obj, const char *path, const char *key, int def);
/* "HH:MM" -> minutes after midnight, -1 with a diagnostic if malformed. */
int jconf_hhmm(struct jconf *c, json_t *obj, const char *path, const char *key, int def);
void jconf_error(struct jconf *c, const char *path, int want_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
