#include "preset.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jconf.h"

void preset_free(struct preset *pr)
{
	if (!pr)
		return;
	for (size_t i = 0; i < pr->ncaps; i++)
		free(pr->caps[i].channel);
	for (size_t i = 0; i < pr->nwords; i++)
		free(pr->words[i]);
	free(pr->caps);
	free(pr->words);
	free(pr->name);
	free(pr->file);
	free(pr);
}

/* A preset's name: 2 to 16 lowercase letters, digits or '-'. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 16)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static char *find_file(const char *policy_file, const char *name)
{
	char *tmp = strdup(policy_file), *path = NULL;

	if (tmp && asprintf(&path, "%s/presets/%s.json", dirname(tmp), name) >= 0 &&
	    access(path, R_OK) != 0) {
		free(path);
		path = NULL;
		if (asprintf(&path, "%s/presets/%s.json", DUNN_DATADIR, name) < 0)
			path = NULL;
	}
	free(tmp);
	return path;
}

static void read_preset(struct jconf *pj, struct preset *pr)
{
	static const char *const keys[] = {"preset", "basis",           "contact_window",
					   "caps",   "forbidden_words", NULL};
	static const char *const wkeys[] = {"start", "end", NULL};
	static const char *const ckeys[] = {"channel", "max", "days", NULL};
	json_t *w, *arr, *v;
	size_t i;

	jconf_keys(pj, pj->root, "", keys);
	pr->start = 8 * 60;
	pr->end = 21 * 60;
	w = jconf_obj(pj, pj->root, "", "contact_window", 1);
	if (w) {
		jconf_keys(pj, w, "contact_window", wkeys);
		pr->start = jconf_hhmm(pj, w, "contact_window", "start", pr->start);
		pr->end = jconf_hhmm(pj, w, "contact_window", "end", pr->end);
	}
	arr = jconf_arr(pj, pj->root, "", "caps", 0);
	if (arr) {
		pr->caps = calloc(json_array_size(arr) + 1, sizeof *pr->caps);
		json_array_foreach(arr, i, v)
		{
			char *path = jconf_path_index("caps", i);
			const char *ch;
			struct policy_cap *cap = &pr->caps[pr->ncaps++];
			jconf_keys(pj, v, path, ckeys);
			ch = jconf_str(pj, v, path, "channel", NULL, 0);
			cap->channel = ch ? strdup(ch) : NULL;
			cap->max = (int)jconf_int(pj, v, path, "max", 7, 0, 1000);
			cap->days = (int)jconf_int(pj, v, path, "days", 7, 1, 366);
			free(path);
		}
	}
	arr = jconf_arr(pj, pj->root, "", "forbidden_words", 0);
	if (arr) {
		pr->words = calloc(json_array_size(arr) + 1, sizeof *pr->words);
		json_array_foreach(arr, i, v)
		{
			if (json_is_string(v) && json_string_length(v) > 0) {
				pr->words[pr->nwords++] = strdup(json_string_value(v));
			} else {
				char *path = jconf_path_index("forbidden_words", i);
				jconf_error(pj, path, 0, "a forbidden word is a non-empty string");
				free(path);
			}
		}
	}
}

static int same_channel(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

void preset_load(struct jconf *j, const char *file, struct policy *p)
{
	const char *name = jconf_str(j, j->root, "", "preset", NULL, 0);
	struct jconf pj;
	struct preset *pr;
	size_t before = j->diag->n;

	if (!name)
		return;
	if (!name_ok(name)) {
		jconf_error(
			j, "preset", 0,
			"preset must name a file in presets/ (2 to 16 of a-z, 0-9, '-'), not '%s'",
			name);
		return;
	}
	pr = calloc(1, sizeof *pr);
	if (!pr || !(pr->name = strdup(name)) || !(pr->file = find_file(file, name))) {
		preset_free(pr);
		jconf_error(j, "preset", 0, "out of memory");
		return;
	}
	if (access(pr->file, R_OK) != 0) {
		jconf_error(j, "preset", 0,
			    "preset '%s': no presets/%s.json beside %s or in %s/presets", name,
			    name, file, DUNN_DATADIR);
		preset_free(pr);
		return;
	}
	if (jconf_open(&pj, pr->file, j->diag) == 0)
		read_preset(&pj, pr);
	jconf_close(&pj);
	if (j->diag->n != before) {
		preset_free(pr);
		return;
	}
	/* What the policy leaves unset, the preset supplies. */
	if (!json_object_get(j->root, "contact_window")) {
		p->window.start = pr->start;
		p->window.end = pr->end;
		for (size_t i = 0; i < p->nchannel_windows; i++)
			if (!json_object_get(
				    json_object_get(json_object_get(j->root, "channel_windows"),
						    p->channel_windows[i].channel),
				    "start")) {
				p->channel_windows[i].start = pr->start;
				p->channel_windows[i].end = pr->end;
			}
	}
	for (size_t k = 0; k < pr->ncaps; k++) {
		size_t i;
		for (i = 0; i < p->ncaps && !same_channel(p->caps[i].channel, pr->caps[k].channel);
		     i++)
			;
		if (i < p->ncaps)
			continue;
		struct policy_cap *nc = realloc(p->caps, (p->ncaps + 1) * sizeof *nc);
		if (!nc) {
			jconf_error(j, "preset", 0, "out of memory");
			break;
		}
		p->caps = nc;
		p->caps[p->ncaps] = pr->caps[k];
		p->caps[p->ncaps].channel = pr->caps[k].channel ? strdup(pr->caps[k].channel)
								: NULL;
		p->ncaps++;
	}
	p->preset = pr;
}

static void hhmm(int m, char *out, size_t len)
{
	snprintf(out, len, "%02d:%02d", m / 60 % 100, m % 60);
}

static void check_window(const struct preset *pr, const struct policy_window *w, const char *path,
			 const char *file, const char *text, struct diag *warn)
{
	char a[8], b[8], jp[160];

	if (w->start > w->end) {
		hhmm(pr->start, a, sizeof a);
		hhmm(pr->end, b, sizeof b);
		diag_at(warn, file, text, path, 0,
			"warning: the contact window runs past midnight, wider than preset '%s' "
			"allows (%s-%s)",
			pr->name, a, b);
		return;
	}
	if (w->start < pr->start) {
		hhmm(w->start, a, sizeof a);
		hhmm(pr->start, b, sizeof b);
		snprintf(jp, sizeof jp, "%s.start", path);
		diag_at(warn, file, text, jp, 0,
			"warning: the contact window opens at %s, earlier than preset '%s' allows "
			"(%s)",
			a, pr->name, b);
	}
	if (w->end > pr->end) {
		hhmm(w->end, a, sizeof a);
		hhmm(pr->end, b, sizeof b);
		snprintf(jp, sizeof jp, "%s.end", path);
		diag_at(warn, file, text, jp, 0,
			"warning: the contact window closes at %s, later than preset '%s' allows "
			"(%s)",
			a, pr->name, b);
	}
}

static void check_words(const struct preset *pr, const struct policy *p, const char *file,
			const char *text, struct diag *warn)
{
	char jp[200];

	for (size_t t = 0; t < p->ntracks; t++)
		for (size_t s = 0; s < p->tracks[t].nsteps; s++) {
			const struct policy_step *st = &p->tracks[t].steps[s];
			for (size_t i = 0; i < st->nconsequence; i++)
				for (size_t w = 0; w < pr->nwords; w++) {
					if (!st->consequence[i].src ||
					    !strcasestr(st->consequence[i].src, pr->words[w]))
						continue;
					if (st->consequence[i].whole)
						snprintf(jp, sizeof jp,
							 "tracks[%zu].steps[%zu].consequence", t,
							 s);
					else {
						char *k = jconf_path("", st->consequence[i].locale);
						snprintf(jp, sizeof jp,
							 "tracks[%zu].steps[%zu].consequence.%s", t,
							 s, k ? k : st->consequence[i].locale);
						free(k);
					}
					diag_at(warn, file, text, jp, 0,
						"warning: the consequence says '%s', which preset "
						"'%s' does not let a step say",
						pr->words[w], pr->name);
				}
		}
}

void preset_warnings(const struct policy *p, const char *file, struct diag *warn)
{
	const struct preset *pr = p->preset;
	struct diag ignore = {0};
	struct jconf j;
	char jp[160];

	if (!pr)
		return;
	jconf_open(&j, file, &ignore);
	if (json_object_get(j.root, "contact_window"))
		check_window(pr, &p->window, "contact_window", file, j.text, warn);
	for (size_t i = 0; i < p->nchannel_windows; i++) {
		char *path = jconf_path("channel_windows", p->channel_windows[i].channel);
		check_window(pr, &p->channel_windows[i], path ? path : "channel_windows", file,
			     j.text, warn);
		free(path);
	}
	for (size_t k = 0; k < pr->ncaps; k++) {
		const struct policy_cap *pc = &pr->caps[k];
		for (size_t i = 0; i < p->ncaps; i++) {
			const struct policy_cap *c = &p->caps[i];
			if (!same_channel(c->channel, pc->channel) ||
			    (c->max <= pc->max && c->days >= pc->days))
				continue;
			snprintf(jp, sizeof jp, "caps[%zu].%s", i,
				 c->max > pc->max ? "max" : "days");
			diag_at(warn, file, j.text, jp, 0,
				"warning: %d contacts in %d days %s%s%s is looser than preset '%s' "
				"(%d in %d days)",
				c->max, c->days,
				c->channel ? "on channel '" : "across all channels",
				c->channel ? c->channel : "", c->channel ? "'" : "", pr->name,
				pc->max, pc->days);
		}
	}
	check_words(pr, p, file, j.text, warn);
	jconf_close(&j);
	diag_free(&ignore);
}
