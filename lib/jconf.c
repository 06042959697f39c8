#include "jconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jconf_open(struct jconf *c, const char *file, struct diag *diag)
{
	json_error_t jerr;
	FILE *f;
	size_t cap = 8192, len = 0, n;

	memset(c, 0, sizeof *c);
	c->file = file;
	c->diag = diag;
	f = fopen(file, "rb");
	if (!f) {
		diag_add(diag, file, 0, 0, "cannot open: %m");
		return -1;
	}
	c->text = malloc(cap);
	while (c->text && (n = fread(c->text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *t = realloc(c->text, cap * 2);
			if (!t) {
				free(c->text);
				c->text = NULL;
				break;
			}
			c->text = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (!c->text) {
		diag_add(diag, file, 0, 0, "out of memory");
		return -1;
	}
	c->text[len] = '\0';
	c->root = json_loadb(c->text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->root) {
		diag_add(diag, file, jerr.line, jerr.column, "%s", jerr.text);
		return -1;
	}
	if (!json_is_object(c->root)) {
		diag_add(diag, file, 1, 1, "top level must be an object");
		return -1;
	}
	return 0;
}

void jconf_close(struct jconf *c)
{
	json_decref(c->root);
	free(c->text);
	memset(c, 0, sizeof *c);
}

char *jconf_path(const char *parent, const char *key)
{
	char *out = NULL;
	int plain = key[0] != '\0' && strcspn(key, ".[]\"\\") == strlen(key);

	if (plain)
		return asprintf(&out, "%s%s%s", parent, *parent ? "." : "", key) < 0 ? NULL : out;
	return asprintf(&out, "%s[\"%s\"]", parent, key) < 0 ? NULL : out;
}

char *jconf_path_index(const char *parent, size_t index)
{
	char *out = NULL;

	return asprintf(&out, "%s[%zu]", parent, index) < 0 ? NULL : out;
}

void jconf_error(struct jconf *c, const char *path, int want_key, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	diag_at(c->diag, c->file, c->text, path, want_key, "%s", msg);
}

void jconf_keys(struct jconf *c, json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return;
	json_object_foreach(obj, key, v)
	{
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (!allowed[i]) {
			char *p = jconf_path(path, key);
			jconf_error(c, p ? p : path, 1, "unknown key '%s'", key);
			free(p);
		}
	}
}

/* Fetch member key, checking its type; NULL when absent or mistyped. */
static json_t *jconf_member(struct jconf *c, json_t *obj, const char *path, const char *key,
			    json_type type, const char *tname, int required)
{
	json_t *v = json_object_get(obj, key);
	char *p;

	if (!v) {
		if (required)
			jconf_error(c, path, 0, "missing required key '%s'", key);
		return NULL;
	}
	if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
		return v;
	p = jconf_path(path, key);
	jconf_error(c, p ? p : path, 0, "'%s' must be %s", key, tname);
	free(p);
	return NULL;
}

json_t *jconf_obj(struct jconf *c, json_t *obj, const char *path, const char *key, int required)
{
	return jconf_member(c, obj, path, key, JSON_OBJECT, "an object", required);
}

json_t *jconf_arr(struct jconf *c, json_t *obj, const char *path, const char *key, int required)
{
	return jconf_member(c, obj, path, key, JSON_ARRAY, "an array", required);
}

const char *jconf_str(struct jconf *c, json_t *obj, const char *path, const char *key,
		      const char *def, int required)
{
	json_t *v = jconf_member(c, obj, path, key, JSON_STRING, "a string", required);

	return v ? json_string_value(v) : def;
}

long long jconf_int(struct jconf *c, json_t *obj, const char *path, const char *key, long long def,
		    long long min, long long max)
{
	json_t *v = jconf_member(c, obj, path, key, JSON_INTEGER, "an integer", 0);
	long long n;

	if (!v)
		return def;
	n = json_integer_value(v);
	if (n < min || n > max) {
		char *p = jconf_path(path, key);
		jconf_error(c, p ? p : path, 0, "'%s' must be between %lld and %lld", key, min,
			    max);
		free(p);
		return def;
	}
	return n;
}

int jconf_bool(struct jconf *c, json_t *obj, const char *path, const char *key, int def)
{
	json_t *v = jconf_member(c, obj, path, key, JSON_TRUE, "true or false", 0);

	return v ? json_is_true(v) : def;
}

int jconf_hhmm(struct jconf *c, json_t *obj, const char *path, const char *key, int def)
{
	const char *s = jconf_str(c, obj, path, key, NULL, 0);
	int h, m, used = 0;

	if (!s)
		return def;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &used) == 2 && s[used] == '\0' && strlen(s) == 5 &&
	    h >= 0 && h <= 24 && m >= 0 && m < 60 && h * 60 + m <= 24 * 60)
		return h * 60 + m;
	char *p = jconf_path(path, key);
	jconf_error(c, p ? p : path, 0, "'%s' must be a time of day \"HH:MM\"", key);
	free(p);
	return -1;
}
