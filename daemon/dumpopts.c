/* dunnd --dump-options: every option row, the daemon's (config_opts.c)
 * and each module's in the module directory, as text or JSON. The man
 * page's and the README's option tables are made from it (make
 * options-doc) and make check compares them. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_opts.h"
#include "dunnd.h"
#include "module.h"
#include "opts.h"

static void append_rows(json_t *all, json_t *rows)
{
	if (rows)
		json_array_extend(all, rows);
	json_decref(rows);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module names in dir (<name>.so), sorted; *n of them. Caller frees. */
static char **module_names(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".so") || e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **t = realloc(names, (cap = cap ? cap * 2 : 8) * sizeof *names);
			if (!t)
				break;
			names = t;
		}
		names[(*n)++] = strndup(e->d_name, len - 3);
	}
	if (d)
		closedir(d);
	if (names)
		qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

int dunnd_dump_options(const char *module_dir, int json, FILE *out)
{
	json_t *all = json ? json_array() : NULL;
	char **names, section[160], err[512];
	size_t n;
	int rc = 0;

	for (const struct config_section *s = config_sections; s->name; s++) {
		if (json)
			append_rows(all, opts_dump_json(s->name, s->rows));
		else
			opts_dump_text(out, *s->name ? s->name : "top level", s->rows);
	}
	names = module_names(module_dir, &n);
	for (size_t i = 0; i < n; i++) {
		struct module m;
		if (module_load(module_dir, names[i], &m, err, sizeof err) != 0) {
			fprintf(stderr, "dunnd: %s\n", err);
			rc = 1;
		} else {
			snprintf(section, sizeof section, "channels.<name> (module %s)", names[i]);
			if (json)
				append_rows(all, opts_dump_json(section, m.opts));
			else
				opts_dump_text(out, section, m.opts);
			module_unload(&m);
		}
		free(names[i]);
	}
	free(names);
	if (json) {
		if (json_dumpf(all, out, JSON_INDENT(2)) != 0)
			rc = 1;
		fputc('\n', out);
		json_decref(all);
	}
	return rc;
}
