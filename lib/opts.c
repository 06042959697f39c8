#include "opts.h"

#include <stdlib.h>
#include <string.h>

const struct channel_opt *opts_find(const struct channel_opt *rows, const char *name)
{
	for (; rows && rows->name; rows++)
		if (!strcmp(rows->name, name))
			return rows;
	return NULL;
}

static int is_int_type(enum channel_opt_type t)
{
	return t == CHANNEL_OPT_INT || t == CHANNEL_OPT_SECONDS || t == CHANNEL_OPT_MILLIS ||
		t == CHANNEL_OPT_BYTES;
}

static int is_str_type(enum channel_opt_type t)
{
	return t == CHANNEL_OPT_STRING || t == CHANNEL_OPT_ENUM || t == CHANNEL_OPT_URL ||
		t == CHANNEL_OPT_PATH || t == CHANNEL_OPT_SECRET_FILE;
}

/* The index of s among "a|b|c", -1 if not there. */
static int choice_index(const char *choices, const char *s)
{
	size_t n = strlen(s);
	int i = 0;

	for (const char *p = choices; p && *p; i++) {
		size_t len = strcspn(p, "|");
		if (len == n && !strncmp(p, s, n))
			return i;
		p += len;
		if (*p == '|')
			p++;
	}
	return -1;
}

/* "a, b or c" from "a|b|c". */
static void choices_text(const char *choices, char *out, size_t outlen)
{
	const char *last = strrchr(choices, '|');
	size_t o = 0;

	for (const char *p = choices; *p && o + 5 < outlen; p++) {
		if (*p != '|') {
			out[o++] = *p;
			continue;
		}
		const char *sep = p == last ? " or " : ", ";
		size_t sl = strlen(sep);
		if (o + sl >= outlen)
			break;
		memcpy(out + o, sep, sl);
		o += sl;
	}
	out[o] = '\0';
}

/* Why v is not what r allows, or NULL. */
static const char *bad_value(const struct channel_opt *r, json_t *v, char *why, size_t len)
{
	char ch[256];

	if (r->type == CHANNEL_OPT_BOOL && !json_is_boolean(v))
		return "must be true or false";
	if (is_int_type(r->type)) {
		if (!json_is_integer(v) || json_integer_value(v) < r->min ||
		    json_integer_value(v) > r->max) {
			snprintf(why, len, "must be an integer from %lld to %lld", r->min, r->max);
			return why;
		}
		return NULL;
	}
	if (r->type == CHANNEL_OPT_OBJECT && !json_is_object(v))
		return "must be an object";
	if (r->type == CHANNEL_OPT_ARRAY && !json_is_array(v))
		return "must be an array";
	if (!is_str_type(r->type))
		return NULL;
	if (!json_is_string(v))
		return "must be a string";
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (r->type == CHANNEL_OPT_ENUM && choice_index(r->choices, s) < 0) {
		choices_text(r->choices ? r->choices : "", ch, sizeof ch);
		snprintf(why, len, "must be %s", ch);
		return why;
	}
	if (r->type == CHANNEL_OPT_URL && strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return "must be an http(s) URL";
	if ((r->type == CHANNEL_OPT_PATH || r->type == CHANNEL_OPT_SECRET_FILE) && n == 0)
		return "must name a file";
	if (r->type == CHANNEL_OPT_STRING &&
	    (n < (size_t)r->min || (r->max && n > (size_t)r->max))) {
		if (r->max)
			snprintf(why, len, "must be a string of %lld to %lld bytes", r->min,
				 r->max);
		else
			snprintf(why, len, "must not be empty");
		return why;
	}
	if (strlen(s) != n)
		return "must not hold a NUL character";
	return NULL;
}

void opts_check(struct jconf *j, json_t *obj, const char *path, const struct channel_opt *rows,
		const char *const *also)
{
	const char *key;
	json_t *v;
	char why[320];

	if (!json_is_object(obj))
		return;
	json_object_foreach(obj, key, v)
	{
		const struct channel_opt *r = opts_find(rows, key);
		const char *bad;
		char *p = jconf_path(path, key);
		size_t a = 0;

		while (!r && also && also[a] && strcmp(also[a], key))
			a++;
		if (!r && !(also && also[a]))
			jconf_error(j, p ? p : path, 1, "unknown key '%s'", key);
		else if (r && (bad = bad_value(r, v, why, sizeof why)))
			jconf_error(j, p ? p : path, 0, "'%s' %s", key, bad);
		free(p);
	}
	for (; rows && rows->name; rows++)
		if ((rows->flags & CHANNEL_OPT_REQUIRED) && !json_object_get(obj, rows->name))
			jconf_error(j, path, 0, "missing required key '%s'", rows->name);
}

/* obj's value of name if its row allows it; else NULL (use the default). */
static json_t *valid_member(const struct channel_opt *r, json_t *obj)
{
	json_t *v = r ? json_object_get(obj, r->name) : NULL;
	char why[320];

	return v && !bad_value(r, v, why, sizeof why) ? v : NULL;
}

long long opts_int(const struct channel_opt *rows, json_t *obj, const char *name)
{
	const struct channel_opt *r = opts_find(rows, name);
	json_t *v = valid_member(r, obj);

	if (v)
		return json_integer_value(v);
	return r && r->def ? strtoll(r->def, NULL, 10) : 0;
}

const char *opts_str(const struct channel_opt *rows, json_t *obj, const char *name)
{
	const struct channel_opt *r = opts_find(rows, name);
	json_t *v = valid_member(r, obj);

	return v ? json_string_value(v) : r ? r->def : NULL;
}

int opts_bool(const struct channel_opt *rows, json_t *obj, const char *name)
{
	const struct channel_opt *r = opts_find(rows, name);
	json_t *v = valid_member(r, obj);

	if (v)
		return json_is_true(v);
	return r && r->def && !strcmp(r->def, "true");
}

int opts_enum(const struct channel_opt *rows, json_t *obj, const char *name)
{
	const struct channel_opt *r = opts_find(rows, name);
	const char *s = opts_str(rows, obj, name);

	return r && s ? choice_index(r->choices, s) : -1;
}

/* What a row means in obj: its value, else its default as JSON; a new
 * reference or NULL (absent and no default). */
static json_t *effective(const struct channel_opt *r, json_t *obj)
{
	json_t *v = json_object_get(obj, r->name);

	if (v)
		return json_incref(v);
	if (!r->def)
		return NULL;
	if (is_str_type(r->type))
		return json_string(r->def);
	return json_loads(r->def, JSON_DECODE_ANY, NULL);
}

const struct channel_opt *opts_restart_diff(const struct channel_opt *rows, json_t *a, json_t *b,
					    int skip_objects)
{
	for (; rows && rows->name; rows++) {
		if ((rows->flags & CHANNEL_OPT_RELOADABLE) ||
		    (skip_objects && rows->type == CHANNEL_OPT_OBJECT))
			continue;
		json_t *va = effective(rows, a), *vb = effective(rows, b);
		int same = (!va && !vb) || (va && vb && json_equal(va, vb));
		json_decref(va);
		json_decref(vb);
		if (!same)
			return rows;
	}
	return NULL;
}

const char *opts_type_name(enum channel_opt_type t)
{
	static const char *const names[] = {
		[CHANNEL_OPT_BOOL] = "bool",       [CHANNEL_OPT_INT] = "int",
		[CHANNEL_OPT_SECONDS] = "seconds", [CHANNEL_OPT_MILLIS] = "milliseconds",
		[CHANNEL_OPT_BYTES] = "bytes",     [CHANNEL_OPT_STRING] = "string",
		[CHANNEL_OPT_ENUM] = "enum",       [CHANNEL_OPT_URL] = "url",
		[CHANNEL_OPT_PATH] = "path",       [CHANNEL_OPT_SECRET_FILE] = "secret file",
		[CHANNEL_OPT_OBJECT] = "object",   [CHANNEL_OPT_ARRAY] = "array",
	};
	return (unsigned)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "?";
}

/* "1 to 10", "required|off", "" */
static void range_text(const struct channel_opt *r, char *out, size_t len)
{
	out[0] = '\0';
	if (is_int_type(r->type))
		snprintf(out, len, "%lld to %lld", r->min, r->max);
	else if (r->type == CHANNEL_OPT_ENUM && r->choices)
		snprintf(out, len, "%s", r->choices);
	else if (r->type == CHANNEL_OPT_STRING && r->max)
		snprintf(out, len, "%lld to %lld bytes", r->min, r->max);
}

void opts_dump_text(FILE *out, const char *section, const struct channel_opt *rows)
{
	char range[256];

	fprintf(out, "[%s]\n", section);
	for (; rows && rows->name; rows++) {
		range_text(rows, range, sizeof range);
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", rows->name, opts_type_name(rows->type),
			rows->flags & CHANNEL_OPT_REQUIRED ? "(required)"
				: rows->def                ? rows->def
							   : "-",
			*range ? range : "-",
			rows->flags & CHANNEL_OPT_RELOADABLE ? "reload" : "restart",
			rows->doc ? rows->doc : "");
	}
}

json_t *opts_dump_json(const char *section, const struct channel_opt *rows)
{
	json_t *arr = json_array();
	char range[256];

	for (; arr && rows && rows->name; rows++) {
		range_text(rows, range, sizeof range);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:b, s:s}", "section",
				      section, "name", rows->name, "type",
				      opts_type_name(rows->type), "default", rows->def, "range",
				      *range ? range : NULL, "required",
				      (rows->flags & CHANNEL_OPT_REQUIRED) != 0, "reloadable",
				      (rows->flags & CHANNEL_OPT_RELOADABLE) != 0, "doc",
				      rows->doc ? rows->doc : "");
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
