/* Options as rows (struct channel_opt, channel.h): one validator for the
 * daemon's own tables (lib/config_opts.c) and every module's, the reads
 * that take a row's default, and the restart-only comparison a reload
 * makes. */
#ifndef DUNN_OPTS_H
#define DUNN_OPTS_H

#include <jansson.h>
#include <stdio.h>

#include "channel.h"
#include "jconf.h"

/* Check obj, the object at path, against rows: a key no row names (and
 * not in also, NULL-terminated, may be NULL), a value of the wrong type,
 * one out of range or not among the choices, a required one missing:
 * each a file:line:column error through j. */
void opts_check(struct jconf *j, json_t *obj, const char *path, const struct channel_opt *rows,
		const char *const *also);

const struct channel_opt *opts_find(const struct channel_opt *rows, const char *name);
/* The value of name in obj when the rows allow it, else its row's
 * default (0, NULL or 0 when there is none). name must have a row. */
long long opts_int(const struct channel_opt *rows, json_t *obj, const char *name);
const char *opts_str(const struct channel_opt *rows, json_t *obj, const char *name);
int opts_bool(const struct channel_opt *rows, json_t *obj, const char *name);
/* The index of name's value among its row's choices, -1 if neither it
 * nor the default is one. */
int opts_enum(const struct channel_opt *rows, json_t *obj, const char *name);

/* The first restart-only row whose value (or default) differs between
 * a and b, NULL if none; skip_objects: not the object rows (sections
 * the caller compares row by row). */
const struct channel_opt *opts_restart_diff(const struct channel_opt *rows, json_t *a, json_t *b,
					    int skip_objects);

/* "int", "seconds", "enum", ... */
const char *opts_type_name(enum channel_opt_type t);
/* One section of the table, as text (one row a line) or as the members
 * of a JSON array. */
void opts_dump_text(FILE *out, const char *section, const struct channel_opt *rows);
json_t *opts_dump_json(const char *section, const struct channel_opt *rows);

#endif
