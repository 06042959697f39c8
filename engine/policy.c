#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jconf.h"
#include "money.h"
#include "policy_risk.h"
#include "preset.h"
#include "tmplset.h"
#include "tz.h"

#define DAY 86400

static void policy_step_free(struct policy_step *s)
{
	for (size_t i = 0; i < s->nconsequence; i++) {
		free(s->consequence[i].locale);
		free(s->consequence[i].src);
		tmpl_free(s->consequence[i].text);
	}
	free(s->consequence);
	free(s->template);
	for (size_t i = 0; i < s->nchannels; i++)
		free(s->channels[i]);
	for (size_t i = 0; i < s->nvariants; i++) {
		free(s->variants[i].name);
		policy_step_free(&s->variants[i].step);
	}
	free(s->variants);
	free(s->experiment);
	free(s->fee);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t t = 0; t < p->ntracks; t++) {
		struct policy_track *tr = &p->tracks[t];
		for (size_t s = 0; s < tr->nsteps; s++)
			policy_step_free(&tr->steps[s]);
		free(tr->steps);
		free(tr->name);
		free(tr->segment);
		free(tr->on_broken_promise);
	}
	free(p->on_broken_promise);
	for (size_t i = 0; i < p->nconfirm_channels; i++)
		free(p->confirm_channels[i]);
	for (size_t i = 0; i < p->nchannel_windows; i++)
		free(p->channel_windows[i].channel);
	for (size_t i = 0; i < p->ncaps; i++)
		free(p->caps[i].channel);
	for (size_t i = 0; i < p->nrests; i++)
		free(p->rests[i].channel);
	free(p->channel_windows);
	free(p->holidays);
	free(p->caps);
	free(p->rests);
	free(p->confirm_template);
	free(p->tracks);
	free(p->min_balance);
	preset_free(p->preset);
	free(p);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A list of channel names: non-empty, no duplicates, at most POLICY_MAX_CHANNELS. */
static size_t load_channels(struct jconf *c, json_t *obj, const char *path, char **out)
{
	json_t *arr = jconf_arr(c, obj, path, "channels", 1);
	char *apath = jconf_path(path, "channels");
	size_t n = 0, i;
	json_t *v;

	if (!arr)
		goto out;
	if (json_array_size(arr) == 0 || json_array_size(arr) > POLICY_MAX_CHANNELS)
		jconf_error(c, apath, 0, "'channels' must list 1 to %d channel names",
			    POLICY_MAX_CHANNELS);
	json_array_foreach(arr, i, v)
	{
		char *ipath = jconf_path_index(apath, i);
		if (!json_is_string(v) || json_string_length(v) == 0) {
			jconf_error(c, ipath, 0, "channel must be a non-empty string");
		} else if (n < POLICY_MAX_CHANNELS) {
			for (size_t k = 0; k < n; k++)
				if (strcmp(out[k], json_string_value(v)) == 0)
					jconf_error(c, ipath, 0, "channel '%s' listed twice",
						    json_string_value(v));
			out[n++] = strdup(json_string_value(v));
		}
		free(ipath);
	}
out:
	free(apath);
	return n;
}

static int load_amount(struct jconf *c, const char *path, json_t *v, const char *currency,
		       int64_t *minor)
{
	char err[128];

	if (!json_is_string(v)) {
		jconf_error(c, path, 0, "amount must be a string in major units, e.g. \"5.00\"");
		return -1;
	}
	if (money_parse(json_string_value(v), currency, minor, err, sizeof err) != 0) {
		jconf_error(c, path, 0, "%s", err);
		return -1;
	}
	return 0;
}

/* Names that end up in the database, events and report labels. */
static int plain_name(const char *s, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || strchr(extra, *s)))
			return 0;
	return 1;
}

/* One variant: the base step copied, then the variant's overrides. */
static void load_variant(struct jconf *c, json_t *vj, const char *path,
			 const struct policy_step *base, struct policy_variant *v)
{
	static const char *const keys[] = {"name",       "weight",   "template",
					   "after_days", "channels", NULL};
	struct policy_step *s = &v->step;
	const char *name, *tmpl;

	if (!json_is_object(vj)) {
		jconf_error(c, path, 0, "a variant is an object {name, weight, ...overrides}");
		return;
	}
	jconf_keys(c, vj, path, keys);
	name = jconf_str(c, vj, path, "name", NULL, 1);
	if (name && !plain_name(name, "")) {
		char *np = jconf_path(path, "name");
		jconf_error(c, np, 0,
			    "a variant's name is 1 to 64 letters, digits, '_' or '-', not '%s'",
			    name);
		free(np);
	}
	v->name = dup_or_null(name);
	if (!json_object_get(vj, "weight"))
		jconf_error(c, path, 0, "missing required key 'weight'");
	v->weight = (uint32_t)jconf_int(c, vj, path, "weight", 1, 1, 1000000);
	s->after_days = (int)jconf_int(c, vj, path, "after_days", base->after_days, 0, 3650);
	tmpl = jconf_str(c, vj, path, "template", base->template, 0);
	if (tmpl && !*tmpl) {
		char *tp = jconf_path(path, "template");
		jconf_error(c, tp, 0, "'template' must be a non-empty string");
		free(tp);
	}
	s->template = dup_or_null(tmpl);
	if (json_object_get(vj, "channels")) {
		s->nchannels = load_channels(c, vj, path, s->channels);
	} else {
		for (size_t k = 0; k < base->nchannels; k++)
			s->channels[k] = strdup(base->channels[k]);
		s->nchannels = base->nchannels;
	}
}

/* "variants" and "experiment" of one step (the base fields are loaded). */
static void load_variants(struct jconf *c, json_t *st, const char *path, const char *track_name,
			  size_t index, struct policy_step *s)
{
	json_t *arr = jconf_arr(c, st, path, "variants", 0);
	const char *exp = jconf_str(c, st, path, "experiment", NULL, 0);
	char *vpath = jconf_path(path, "variants");
	char defname[96];
	size_t i;
	json_t *vj;

	if (!arr) {
		if (exp)
			jconf_error(c, path, 0, "'experiment' needs 'variants' beside it");
		goto out;
	}
	if (json_array_size(arr) < 2 || json_array_size(arr) > 16) {
		jconf_error(c, vpath, 0, "'variants' must list 2 to 16 variants");
		goto out;
	}
	if (exp && !plain_name(exp, "./")) {
		char *ep = jconf_path(path, "experiment");
		jconf_error(c, ep, 0,
			    "an experiment's name is 1 to 64 letters, digits, '_', '-', '.' or "
			    "'/', not '%s'",
			    exp);
		free(ep);
	}
	/* Named after its place unless named: renaming the track or moving
	 * the step starts a new experiment, as it should. */
	snprintf(defname, sizeof defname, "%s/%zu", track_name ? track_name : "", index + 1);
	s->experiment = strdup(exp ? exp : defname);
	s->variants = calloc(json_array_size(arr), sizeof *s->variants);
	json_array_foreach(arr, i, vj)
	{
		char *ipath = jconf_path_index(vpath, i);
		struct policy_variant *v = &s->variants[s->nvariants++];
		load_variant(c, vj, ipath, s, v);
		s->total_weight += v->weight;
		for (size_t k = 0; v->name && k + 1 < s->nvariants; k++)
			if (s->variants[k].name && strcmp(s->variants[k].name, v->name) == 0)
				jconf_error(c, ipath, 0, "variant '%s' named twice", v->name);
		free(ipath);
	}
out:
	free(vpath);
}

/* The days a step may fire on, over its variants. */
static void step_day_range(const struct policy_step *s, int *lo, int *hi)
{
	*lo = *hi = s->after_days;
	for (size_t k = 0; k < s->nvariants; k++) {
		if (s->variants[k].step.after_days < *lo)
			*lo = s->variants[k].step.after_days;
		if (s->variants[k].step.after_days > *hi)
			*hi = s->variants[k].step.after_days;
	}
}

/* Whatever variants an account takes, its steps come in order. */
static void check_variant_days(struct jconf *c, const char *spath, const struct policy_track *tr)
{
	for (size_t i = 1; i < tr->nsteps; i++) {
		int plo, phi, lo, hi;
		step_day_range(&tr->steps[i - 1], &plo, &phi);
		step_day_range(&tr->steps[i], &lo, &hi);
		if ((tr->steps[i].nvariants || tr->steps[i - 1].nvariants) && lo <= phi &&
		    tr->steps[i].after_days > tr->steps[i - 1].after_days) {
			char *ipath = jconf_path_index(spath, i);
			jconf_error(c, ipath, 0,
				    "with its variants this step may come on day %d, not after "
				    "day %d of the step before",
				    lo, phi);
			free(ipath);
		}
	}
}

/* Steps sharing an experiment (so an account keeps its variant from one
 * step to the next) must offer the same variants with the same weights. */
static void check_experiments(struct jconf *c, const struct policy *p)
{
	for (size_t t = 0; t < p->ntracks; t++)
		for (size_t s = 0; s < p->tracks[t].nsteps; s++) {
			const struct policy_step *a = &p->tracks[t].steps[s];
			int bad = 0;
			if (!a->experiment)
				continue;
			for (size_t u = 0; u <= t && !bad; u++)
				for (size_t r = 0; r < p->tracks[u].nsteps && !bad; r++) {
					const struct policy_step *b = &p->tracks[u].steps[r];
					if (b == a)
						break;
					if (!b->experiment || strcmp(a->experiment, b->experiment))
						continue;
					bad = a->nvariants != b->nvariants;
					for (size_t k = 0; !bad && k < a->nvariants; k++)
						bad = a->variants[k].weight !=
								b->variants[k].weight ||
							!a->variants[k].name ||
							!b->variants[k].name ||
							strcmp(a->variants[k].name,
							       b->variants[k].name);
				}
			if (bad) {
				char path[96];
				snprintf(path, sizeof path, "tracks[%zu].steps[%zu].variants", t,
					 s);
				jconf_error(
					c, path, 0,
					"experiment '%s' is used before with other variant names "
					"or weights",
					a->experiment);
			}
		}
}

static int policy_text_var_ok(const char *name)
{
	for (size_t i = 0; tmplset_vars[i]; i++)
		if (!strcmp(tmplset_vars[i], name))
			return 1;
	return 0;
}

/* A consequence text is a template of its own, with the message's
 * variables but itself; {{ deadline }} needs the step's deadline_days. */
static struct tmpl *load_text(struct jconf *c, json_t *v, const char *path,
			      const struct policy_step *s)
{
	char err[256];
	int line = 0, col = 0;
	struct tmpl *t;

	if (!json_is_string(v) || json_string_length(v) == 0) {
		jconf_error(c, path, 0, "%s must be a non-empty string", path);
		return NULL;
	}
	t = tmpl_parse(json_string_value(v), json_string_length(v), err, sizeof err, &line, &col);
	if (!t) {
		jconf_error(c, path, 0, "%s: %s (at character %d)", path, err, col);
		return NULL;
	}
	for (size_t i = 0; i < tmpl_var_count(t); i++) {
		const char *n = tmpl_var_name(t, i, NULL, NULL);
		if (!strcmp(n, "consequence"))
			jconf_error(c, path, 0, "%s cannot use {{ consequence }} itself", path);
		else if (!strcmp(n, "deadline") && s->deadline_days == 0)
			jconf_error(c, path, 0,
				    "%s says {{ deadline }} but the step sets no deadline_days",
				    path);
		else if (!policy_text_var_ok(n))
			jconf_error(c, path, 0, "%s: unknown variable '%s'", path, n);
	}
	return t;
}

/* "consequence": one string for every language ("default"), or an object
 * of locale tags (and "default") to strings. */
static void load_consequence(struct jconf *c, json_t *st, const char *path, struct policy_step *s)
{
	json_t *v = json_object_get(st, "consequence"), *m;
	char *cpath = jconf_path(path, "consequence");
	const char *key;

	if (!v)
		goto out;
	if (json_is_string(v)) {
		s->consequence = calloc(1, sizeof *s->consequence);
		if (s->consequence && (s->consequence[0].locale = strdup("default")) &&
		    (s->consequence[0].text = load_text(c, v, cpath, s))) {
			s->consequence[0].src = strdup(json_string_value(v));
			s->consequence[0].whole = 1;
			s->nconsequence = 1;
		} else if (s->consequence)
			free(s->consequence[0].locale);
		goto out;
	}
	if (!json_is_object(v) || json_object_size(v) == 0) {
		jconf_error(c, cpath, 0, "%s must be a string or an object of locales to strings",
			    cpath);
		goto out;
	}
	s->consequence = calloc(json_object_size(v), sizeof *s->consequence);
	if (!s->consequence)
		goto out;
	json_object_foreach(v, key, m)
	{
		char *kp = jconf_path(cpath, key);
		struct policy_text *pt = &s->consequence[s->nconsequence];
		pt->text = load_text(c, m, kp ? kp : cpath, s);
		if (pt->text && !(pt->locale = strdup(key))) {
			tmpl_free(pt->text);
			pt->text = NULL;
		}
		if (pt->text) {
			pt->src = strdup(json_string_value(m));
			s->nconsequence++;
		}
		free(kp);
	}
out:
	free(cpath);
}

static void load_step_fee(struct jconf *c, json_t *st, const char *path, struct policy_step *s)
{
	char *fpath = jconf_path(path, "fee");

	fee_load(c, json_object_get(st, "fee"), fpath, &s->fee);
	free(fpath);
}

static void load_steps(struct jconf *c, json_t *track, const char *path, struct policy_track *tr)
{
	static const char *const keys[] = {
		"after_days", "channels",      "template",    "note", "variants",
		"experiment", "deadline_days", "consequence", "fee",  NULL};
	json_t *arr = jconf_arr(c, track, path, "steps", 1);
	char *spath = jconf_path(path, "steps");
	size_t i;
	json_t *st;
	int prev = -1;

	if (!arr)
		goto out;
	if (json_array_size(arr) == 0)
		jconf_error(c, spath, 0, "a track needs at least one step");
	tr->steps = calloc(json_array_size(arr) + 1, sizeof *tr->steps);
	json_array_foreach(arr, i, st)
	{
		char *ipath = jconf_path_index(spath, i);
		struct policy_step *s = &tr->steps[tr->nsteps++];
		if (!json_is_object(st)) {
			jconf_error(c, ipath, 0, "a step must be an object");
			free(ipath);
			continue;
		}
		jconf_keys(c, st, ipath, keys);
		if (!json_object_get(st, "after_days"))
			jconf_error(c, ipath, 0, "missing required key 'after_days'");
		s->after_days = (int)jconf_int(c, st, ipath, "after_days", 0, 0, 3650);
		if (json_object_get(st, "after_days") && s->after_days <= prev) {
			char *dpath = jconf_path(ipath, "after_days");
			jconf_error(c, dpath, 0,
				    "step days must increase: %d does not come after %d",
				    s->after_days, prev);
			free(dpath);
		}
		prev = s->after_days;
		s->template = dup_or_null(jconf_str(c, st, ipath, "template", NULL, 1));
		s->nchannels = load_channels(c, st, ipath, s->channels);
		load_variants(c, st, ipath, tr->name, i, s);
		s->deadline_days = (int)jconf_int(c, st, ipath, "deadline_days", 0, 1, 365);
		load_consequence(c, st, ipath, s);
		load_step_fee(c, st, ipath, s);
		free(ipath);
	}
	check_variant_days(c, spath, tr);
out:
	free(spath);
}

static void load_track(struct jconf *c, json_t *tj, const char *path, struct policy_track *tr)
{
	static const char *const keys[] = {"name",    "when", "steps", "on_broken_promise",
					   "cadence", NULL};
	static const char *const when_keys[] = {
		"segment",     "min_prior_cycles", "max_prior_cycles", "currency",
		"min_balance", "min_risk",         "max_risk",         NULL};
	json_t *when;
	char *wpath;

	tr->min_prior_cycles = -1;
	tr->max_prior_cycles = -1;
	tr->min_risk = tr->max_risk = -1;
	if (!json_is_object(tj)) {
		jconf_error(c, path, 0, "a track must be an object");
		return;
	}
	jconf_keys(c, tj, path, keys);
	tr->name = dup_or_null(jconf_str(c, tj, path, "name", NULL, 1));
	tr->on_broken_promise = dup_or_null(jconf_str(c, tj, path, "on_broken_promise", NULL, 0));
	policy_risk_load_cadence(c, tj, path, &tr->cadence);
	when = jconf_obj(c, tj, path, "when", 0);
	wpath = jconf_path(path, "when");
	if (when) {
		const char *cur;
		json_t *mb;
		jconf_keys(c, when, wpath, when_keys);
		tr->segment = dup_or_null(jconf_str(c, when, wpath, "segment", NULL, 0));
		tr->min_prior_cycles = (int)jconf_int(c, when, wpath, "min_prior_cycles", -1, 0,
						      1000);
		tr->max_prior_cycles = (int)jconf_int(c, when, wpath, "max_prior_cycles", -1, 0,
						      1000);
		cur = jconf_str(c, when, wpath, "currency", NULL, 0);
		if (cur) {
			if (money_exponent(cur) < 0) {
				char *cp = jconf_path(wpath, "currency");
				jconf_error(c, cp, 0, "unknown currency '%s'", cur);
				free(cp);
			} else {
				memcpy(tr->currency, cur, 3);
			}
		}
		mb = json_object_get(when, "min_balance");
		if (mb) {
			char *mp = jconf_path(wpath, "min_balance");
			if (!cur)
				jconf_error(c, mp, 0, "'min_balance' needs 'currency' beside it");
			else
				load_amount(c, mp, mb, cur, &tr->min_balance);
			free(mp);
		}
		policy_risk_load_when(c, when, wpath, tr);
	}
	free(wpath);
	load_steps(c, tj, path, tr);
}

static void load_one_window(struct jconf *c, json_t *w, const char *path, struct policy_window *out)
{
	static const char *const keys[] = {"start", "end", "weekdays_only", NULL};

	jconf_keys(c, w, path, keys);
	out->start = jconf_hhmm(c, w, path, "start", out->start);
	out->end = jconf_hhmm(c, w, path, "end", out->end);
	if (out->start == out->end && out->start >= 0)
		jconf_error(c, path, 0, "contact window is empty");
	out->weekdays_only = jconf_bool(c, w, path, "weekdays_only", out->weekdays_only);
}

static void load_windows(struct jconf *c, json_t *root, struct policy *p)
{
	json_t *w = jconf_obj(c, root, "", "contact_window", 0);
	json_t *cw = jconf_obj(c, root, "", "channel_windows", 0);
	const char *name;
	json_t *v;

	p->window.start = 8 * 60;
	p->window.end = 21 * 60;
	if (w)
		load_one_window(c, w, "contact_window", &p->window);
	if (!cw)
		return;
	p->channel_windows = calloc(json_object_size(cw) + 1, sizeof *p->channel_windows);
	json_object_foreach(cw, name, v)
	{
		char *path = jconf_path("channel_windows", name);
		struct policy_window *pw = &p->channel_windows[p->nchannel_windows++];
		*pw = p->window;
		pw->channel = strdup(name);
		if (json_is_object(v))
			load_one_window(c, v, path, pw);
		else
			jconf_error(c, path, 0, "a channel window must be an object");
		free(path);
	}
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	int used = 0;

	return sscanf(s, "%4d-%2d-%2d%n", y, m, d, &used) == 3 && used == 10 && !s[10] && *m >= 1 &&
			*m <= 12 && *d >= 1 && *d <= 31
		? 0
		: -1;
}


static void load_holidays(struct jconf *c, json_t *root, struct policy *p)
{
	json_t *arr = jconf_arr(c, root, "", "holidays", 0);
	size_t i;
	json_t *v;

	if (!arr)
		return;
	p->holidays = calloc(json_array_size(arr) + 1, sizeof *p->holidays);
	json_array_foreach(arr, i, v)
	{
		int y, m, d;
		if (!json_is_string(v) || parse_date(json_string_value(v), &y, &m, &d) != 0) {
			char *path = jconf_path_index("holidays", i);
			jconf_error(c, path, 0, "a holiday is a local date \"YYYY-MM-DD\"");
			free(path);
			continue;
		}
		p->holidays[p->nholidays++] = (int)tz_days_from_civil(y, m, d);
	}
}

/* Caps default to the collections norm: at most 7 call attempts in 7
 * days, and a week's rest once reached, on every channel that makes calls
 * (bound by policy_bind_calls; "phone" until then). */
static void load_caps(struct jconf *c, json_t *root, struct policy *p)
{
	static const char *const keys[] = {"channel", "max", "days", NULL};
	json_t *arr = jconf_arr(c, root, "", "caps", 0);
	json_t *rest = jconf_obj(c, root, "", "rest_after_reached", 0);
	const char *name;
	size_t i;
	json_t *v;

	if (!json_object_get(root, "caps")) {
		p->caps = calloc(1, sizeof *p->caps);
		p->caps[0] = (struct policy_cap){strdup("phone"), 7, 7};
		p->ncaps = 1;
		p->caps_default = 1;
	} else if (arr) {
		p->caps = calloc(json_array_size(arr) + 1, sizeof *p->caps);
		json_array_foreach(arr, i, v)
		{
			char *path = jconf_path_index("caps", i);
			struct policy_cap *cap = &p->caps[p->ncaps++];
			if (!json_is_object(v)) {
				jconf_error(c, path, 0, "a cap is an object {channel, max, days}");
			} else {
				const char *ch;
				jconf_keys(c, v, path, keys);
				ch = jconf_str(c, v, path, "channel", NULL, 0);
				cap->channel = ch ? strdup(ch) : NULL;
				if (!json_object_get(v, "max"))
					jconf_error(c, path, 0, "missing required key 'max'");
				cap->max = (int)jconf_int(c, v, path, "max", 1, 0, 1000);
				cap->days = (int)jconf_int(c, v, path, "days", 7, 1, 366);
			}
			free(path);
		}
	}
	if (!json_object_get(root, "rest_after_reached")) {
		p->rests = calloc(1, sizeof *p->rests);
		p->rests[0] = (struct policy_rest){strdup("phone"), 7};
		p->nrests = 1;
		p->rests_default = 1;
	} else if (rest) {
		p->rests = calloc(json_object_size(rest) + 1, sizeof *p->rests);
		json_object_foreach(rest, name, v)
		{
			char *path = jconf_path("rest_after_reached", name);
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 366)
				jconf_error(c, path, 0, "rest must be a number of days, 0 to 366");
			else
				p->rests[p->nrests++] = (struct policy_rest){
					strdup(name), (int)json_integer_value(v)};
			free(path);
		}
	}
}

static void load_min_balance(struct jconf *c, json_t *root, struct policy *p)
{
	json_t *mb = jconf_obj(c, root, "", "min_balance", 0);
	const char *cur;
	json_t *v;

	if (!mb)
		return;
	p->min_balance = calloc(json_object_size(mb) + 1, sizeof *p->min_balance);
	json_object_foreach(mb, cur, v)
	{
		char *path = jconf_path("min_balance", cur);
		struct policy_minbal *m = &p->min_balance[p->nmin_balance];
		if (money_exponent(cur) < 0) {
			jconf_error(c, path, 1, "unknown currency '%s'", cur);
		} else if (load_amount(c, path, v, cur, &m->minor) == 0) {
			memcpy(m->currency, cur, 3);
			p->nmin_balance++;
		}
		free(path);
	}
}

/* on_broken_promise names a track of this policy. */
static void check_broken_promise(struct jconf *c, const struct policy *p)
{
	char path[64];

	if (p->on_broken_promise && !policy_track_named(p, p->on_broken_promise))
		jconf_error(c, "on_broken_promise", 0, "no track named '%s'", p->on_broken_promise);
	for (size_t t = 0; t < p->ntracks; t++) {
		const char *to = p->tracks[t].on_broken_promise;
		snprintf(path, sizeof path, "tracks[%zu].on_broken_promise", t);
		if (to && !policy_track_named(p, to))
			jconf_error(c, path, 0, "no track named '%s'", to);
	}
}

/* Each step's fee against the policy's legal maximum. */
static void check_fees(struct jconf *c, const struct policy *p)
{
	char path[96];

	for (size_t t = 0; t < p->ntracks; t++)
		for (size_t i = 0; i < p->tracks[t].nsteps; i++) {
			snprintf(path, sizeof path, "tracks[%zu].steps[%zu].fee", t, i);
			fee_check_limits(c, path, p->tracks[t].steps[i].fee, &p->fee_legal_max);
		}
}

int64_t policy_fee_legal_max(const struct policy *p, const char *currency)
{
	return fee_lookup(p->fee_legal_max.max, p->fee_legal_max.n, currency);
}

int64_t policy_step_fee(const struct policy *p, const struct policy_track *tr, int step_no,
			const char *currency, int64_t base, int64_t already, struct fee_calc *out)
{
	const struct fee_rule *r = NULL;

	if (tr && step_no >= 1 && (size_t)step_no <= tr->nsteps)
		r = tr->steps[step_no - 1].fee;
	return fee_compute(r, currency, base, already, policy_fee_legal_max(p, currency), out);
}

struct policy *policy_load(const char *file, struct diag *diag)
{
	static const char *const keys[] = {"grace_days",
					   "contact_window",
					   "channel_windows",
					   "holidays",
					   "caps",
					   "rest_after_reached",
					   "max_promise_days",
					   "dispute_target_days",
					   "min_balance",
					   "recheck_hours",
					   "step_gap_hours",
					   "quiet_max_hours_per_week",
					   "confirmation",
					   "tracks",
					   "on_broken_promise",
					   "preset",
					   "fee_legal_max",
					   "risk",
					   "cadence",
					   NULL};
	static const char *const confirm_keys[] = {"template", "channels", NULL};
	struct jconf c;
	struct policy *p;
	json_t *arr, *tj, *conf;
	size_t i, before = diag->n;

	if (jconf_open(&c, file, diag) != 0) {
		jconf_close(&c);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		jconf_close(&c);
		return NULL;
	}
	jconf_keys(&c, c.root, "", keys);
	p->grace_days = (int)jconf_int(&c, c.root, "", "grace_days", 0, 0, 365);
	p->recheck_hours = (int)jconf_int(&c, c.root, "", "recheck_hours", 24, 1, 24 * 31);
	p->step_gap_hours = (int)jconf_int(&c, c.root, "", "step_gap_hours", 24, 1, 24 * 31);
	p->quiet_max_hours = (int)jconf_int(&c, c.root, "", "quiet_max_hours_per_week",
					    QUIET_DEFAULT_MAX_HOURS, 0, 7 * 24 - 1);
	p->max_promise_days = (int)jconf_int(&c, c.root, "", "max_promise_days", 30, 1, 365);
	p->dispute_target_days = (int)jconf_int(&c, c.root, "", "dispute_target_days", 14, 1, 365);
	p->on_broken_promise = dup_or_null(jconf_str(&c, c.root, "", "on_broken_promise", NULL, 0));
	load_windows(&c, c.root, p);
	load_holidays(&c, c.root, p);
	load_caps(&c, c.root, p);
	load_min_balance(&c, c.root, p);
	fee_load_limits(&c, c.root, "fee_legal_max", &p->fee_legal_max);
	policy_risk_load_cadence(&c, c.root, "", &p->cadence);
	conf = jconf_obj(&c, c.root, "", "confirmation", 0);
	if (conf) {
		jconf_keys(&c, conf, "confirmation", confirm_keys);
		p->confirm_template = dup_or_null(
			jconf_str(&c, conf, "confirmation", "template", NULL, 1));
		p->nconfirm_channels = load_channels(&c, conf, "confirmation", p->confirm_channels);
	}
	arr = jconf_arr(&c, c.root, "", "tracks", 1);
	if (arr) {
		if (json_array_size(arr) == 0)
			jconf_error(&c, "tracks", 0, "at least one track is needed");
		p->tracks = calloc(json_array_size(arr) + 1, sizeof *p->tracks);
		json_array_foreach(arr, i, tj)
		{
			char *path = jconf_path_index("tracks", i);
			load_track(&c, tj, path, &p->tracks[p->ntracks++]);
			for (size_t k = 0; k + 1 < p->ntracks; k++)
				if (p->tracks[k].name && p->tracks[i].name &&
				    strcmp(p->tracks[k].name, p->tracks[i].name) == 0)
					jconf_error(&c, path, 0, "track '%s' defined twice",
						    p->tracks[i].name);
			free(path);
		}
	}
	check_experiments(&c, p);
	check_broken_promise(&c, p);
	check_fees(&c, p);
	policy_risk_load(&c, c.root, p);
	preset_load(&c, file, p);
	jconf_close(&c);
	if (diag->n != before) {
		policy_free(p);
		return NULL;
	}
	return p;
}

const struct tmpl *policy_consequence(const struct policy_step *st, const char *locale)
{
	size_t len = locale ? strlen(locale) : 0;

	while (len > 0) {
		for (size_t i = 0; i < st->nconsequence; i++)
			if (strlen(st->consequence[i].locale) == len &&
			    !strncasecmp(st->consequence[i].locale, locale, len))
				return st->consequence[i].text;
		while (len > 0 && locale[len - 1] != '-')
			len--;
		if (len > 0)
			len--;
	}
	for (size_t i = 0; i < st->nconsequence; i++)
		if (!strcmp(st->consequence[i].locale, "default"))
			return st->consequence[i].text;
	return NULL;
}

/* 1 if st sends template, itself or through one of its variants. */
static int step_sends(const struct policy_step *st, const char *template)
{
	if (st->template && !strcmp(st->template, template))
		return 1;
	for (size_t k = 0; k < st->nvariants; k++)
		if (st->variants[k].step.template &&
		    !strcmp(st->variants[k].step.template, template))
			return 1;
	return 0;
}

const struct policy_step *policy_step_for(const struct policy *p, const char *track, int step_no,
					  const char *template)
{
	const struct policy_track *t = policy_track_named(p, track);

	if (!t || !template)
		return NULL;
	if (step_no >= 1 && (size_t)step_no <= t->nsteps &&
	    step_sends(&t->steps[step_no - 1], template))
		return &t->steps[step_no - 1];
	for (size_t i = 0; i < t->nsteps; i++)
		if (step_sends(&t->steps[i], template))
			return &t->steps[i];
	return NULL;
}

const struct policy_track *policy_track_named(const struct policy *p, const char *name)
{
	for (size_t i = 0; name && i < p->ntracks; i++)
		if (strcmp(p->tracks[i].name, name) == 0)
			return &p->tracks[i];
	return NULL;
}

/* The case's overdue amounts per currency: c->owed, or the single
 * currency and balance pair (one is scratch space for it). */
static size_t case_owed(const struct policy_case *c, struct owed *one, const struct owed **v)
{
	if (c->nowed > 0) {
		*v = c->owed;
		return c->nowed;
	}
	*v = one;
	if (c->balance <= 0)
		return 0;
	snprintf(one->currency, sizeof one->currency, "%s", c->currency ? c->currency : "");
	one->minor = c->balance;
	return 1;
}

static int track_matches(const struct policy_track *t, const struct policy_case *c)
{
	if (t->segment && strcmp(t->segment, c->segment ? c->segment : "") != 0)
		return 0;
	if (t->min_prior_cycles >= 0 && c->prior_cycles < t->min_prior_cycles)
		return 0;
	if (t->max_prior_cycles >= 0 && c->prior_cycles > t->max_prior_cycles)
		return 0;
	if (!policy_risk_matches(t, c->risk))
		return 0;
	if (t->currency[0] || t->min_balance > 0) {
		const struct owed *v;
		struct owed one;
		size_t n = case_owed(c, &one, &v), k;
		/* min_balance always names its currency (the loader checks). */
		for (k = 0; k < n; k++)
			if ((!t->currency[0] || strcmp(t->currency, v[k].currency) == 0) &&
			    v[k].minor >= t->min_balance)
				break;
		if (k == n)
			return 0;
	}
	return 1;
}

const struct policy_track *policy_track_for(const struct policy *p, const struct policy_case *c)
{
	for (size_t i = 0; i < p->ntracks; i++)
		if (track_matches(&p->tracks[i], c))
			return &p->tracks[i];
	return NULL;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t yy;

	tz_civil_from_days(z, &yy, m, d);
	*y = (int)yy;
}

static int64_t minbal_for(const struct policy *p, const char *currency)
{
	for (size_t i = 0; currency && i < p->nmin_balance; i++)
		if (strcmp(p->min_balance[i].currency, currency) == 0)
			return p->min_balance[i].minor;
	return 1;
}

/* Something is overdue, in any currency. */
static int owes(const struct policy_case *c)
{
	const struct owed *v;
	struct owed one;

	return case_owed(c, &one, &v) > 0;
}

/* Some currency's overdue amount reaches that currency's minimum. */
static int above_minimum(const struct policy *p, const struct policy_case *c)
{
	const struct owed *v;
	struct owed one;
	size_t n = case_owed(c, &one, &v);

	for (size_t k = 0; k < n; k++)
		if (v[k].minor >= minbal_for(p, v[k].currency))
			return 1;
	return 0;
}

static const struct policy_window *window_for(const struct policy *p, const char *channel)
{
	for (size_t i = 0; channel && i < p->nchannel_windows; i++)
		if (strcmp(p->channel_windows[i].channel, channel) == 0)
			return &p->channel_windows[i];
	return &p->window;
}

static int is_holiday(const struct policy *p, int64_t day)
{
	for (size_t i = 0; i < p->nholidays; i++)
		if (p->holidays[i] == day)
			return 1;
	return 0;
}

int policy_history_days(const struct policy *p)
{
	int days = 1;

	for (size_t i = 0; i < p->ncaps; i++)
		if (p->caps[i].days > days)
			days = p->caps[i].days;
	for (size_t i = 0; i < p->nrests; i++)
		if (p->rests[i].days > days)
			days = p->rests[i].days;
	return days;
}

int64_t policy_next_allowed(const struct policy *p, const char *channel, const char *zone,
			    int64_t t)
{
	const struct policy_window *w = window_for(p, channel);

	/* Each pass either returns or moves past one holiday: bounded. */
	for (size_t pass = 0; pass <= p->nholidays; pass++) {
		struct tz_local l;
		int y, m, d;
		int64_t day;

		t = tz_next_window(zone, t, w->start, w->end, w->weekdays_only);
		if (t < 0 || tz_local(zone, t, &l) != 0)
			return -1;
		day = tz_days_from_civil(l.year, l.month, l.day);
		if (!is_holiday(p, day))
			return t;
		civil_from_days(day + 1, &y, &m, &d);
		if (tz_from_local(zone, y, m, d, 0, 0, 0, &t) != 0)
			return -1;
	}
	return t;
}

int64_t policy_next_open(const struct policy *p, const char *channel, const char *zone,
			 const struct quiet *q, int64_t t)
{
	/* Alternate until both agree: each step only moves forward. */
	for (int round = 0; round < 32 && t >= 0; round++) {
		int64_t start = t;
		t = policy_next_allowed(p, channel, zone, t);
		if (t >= 0)
			t = quiet_next_open(q, zone, t);
		if (t == start)
			return t;
	}
	return t;
}

/* Earliest instant >= t at which every channel of the list is allowed,
 * outside the quiet times q (NULL = none). */
static int64_t all_allowed(const struct policy *p, const char *const *channels, size_t n,
			   const char *zone, const struct quiet *q, int64_t t)
{
	for (int round = 0; round < 32; round++) {
		int64_t start = t;
		for (size_t i = 0; i < n && t >= 0; i++)
			t = policy_next_open(p, channels[i], zone, q, t);
		if (n == 0)
			t = policy_next_open(p, NULL, zone, q, t);
		if (t == start || t < 0)
			return t;
	}
	return t; /* windows that never overlap: the last candidate */
}

/* First allowed instant on the local date due + days. */
static int64_t step_time(const struct policy *p, const struct policy_case *c,
			 const struct policy_step *st, int days)
{
	int y, m, d;
	int64_t t;

	civil_from_days(tz_days_from_civil(c->due_year, c->due_month, c->due_day) + days, &y, &m,
			&d);
	if (tz_from_local(c->timezone, y, m, d, 0, 0, 0, &t) != 0)
		return -1;
	return all_allowed(p, (const char *const *)st->channels, st->nchannels, c->timezone, NULL,
			   t);
}

static void wait_until(struct policy_action *a, int64_t at, const char *why)
{
	a->verdict = POLICY_WAIT;
	a->next_at = at;
	a->reason = why;
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Apply caps and rests to the step's channels. Returns how many remain;
 * *free_at is when the earliest blocking cap or rest lets go. */
static size_t usable_channels(const struct policy *p, const struct policy_case *c,
			      const struct policy_step *st, struct policy_action *a,
			      int64_t *free_at)
{
	*free_at = INT64_MAX;
	a->nchannels = 0;
	for (size_t k = 0; k < st->nchannels; k++) {
		const char *ch = st->channels[k];
		int blocked = 0;
		for (size_t i = 0; i < p->ncaps; i++) {
			const struct policy_cap *cap = &p->caps[i];
			int64_t since = c->now - (int64_t)cap->days * DAY, oldest = INT64_MAX;
			int n = 0;
			if (cap->channel && !same(cap->channel, ch))
				continue;
			for (size_t h = 0; h < c->nhistory; h++) {
				const struct policy_contact *hc = &c->history[h];
				if (hc->at <= since || hc->at > c->now ||
				    (cap->channel && !same(hc->channel, ch)))
					continue;
				n++;
				if (hc->at < oldest)
					oldest = hc->at;
			}
			/* Channels this step already uses count as contacts too: a
			 * two-channel step must not carry a total cap one past max. */
			for (size_t j = 0; j < a->nchannels; j++)
				if (!cap->channel || same(a->channels[j], ch))
					n++;
			if (n >= cap->max) {
				blocked = 1;
				if (oldest != INT64_MAX &&
				    oldest + (int64_t)cap->days * DAY < *free_at)
					*free_at = oldest + (int64_t)cap->days * DAY;
			}
		}
		for (size_t i = 0; i < p->nrests; i++) {
			if (!same(p->rests[i].channel, ch))
				continue;
			for (size_t h = 0; h < c->nhistory; h++) {
				const struct policy_contact *hc = &c->history[h];
				int64_t until = hc->at + (int64_t)p->rests[i].days * DAY;
				if (hc->reached && same(hc->channel, ch) && hc->at <= c->now &&
				    until > c->now) {
					blocked = 1;
					if (until < *free_at)
						*free_at = until;
				}
			}
		}
		if (!blocked)
			a->channels[a->nchannels++] = ch;
	}
	return a->nchannels;
}

/* The promise's day passed and something is still owed (the caller
 * checked both): the case moves to its track's on_broken_promise (or the
 * policy's), keeping its count of steps taken, so the next reminder is
 * the new track's step after those, at once if its day has passed. */
static const struct policy_track *
broken_promise(const struct policy *p, const struct policy_track *tr, struct policy_action *a)
{
	const char *to = tr->on_broken_promise ? tr->on_broken_promise : p->on_broken_promise;
	const struct policy_track *nt = to ? policy_track_named(p, to) : NULL;

	a->broken_from = tr->name;
	return nt ? nt : tr;
}

int policy_decide(const struct policy *p, const struct policy_case *c, struct policy_action *a)
{
	const struct policy_track *tr;
	const struct policy_step *st;
	struct tz_local local;
	int64_t recheck = c->now + (int64_t)p->recheck_hours * 3600;
	int64_t due_at, open_at, free_at;
	int after;

	memset(a, 0, sizeof *a);
	a->state = "active";
	a->band = policy_risk_band(p, c->risk);
	a->cadence = 1;
	if (!c->timezone || tz_local(c->timezone, c->now, &local) != 0)
		return -1;
	if (!owes(c) && c->disputed > 0) {
		a->state = "disputed";
		wait_until(a, recheck, "balance under dispute");
		return 0;
	}
	if (!owes(c)) {
		a->verdict = POLICY_RESOLVE;
		a->state = "resolved";
		a->reason = "balance cleared";
		return 0;
	}
	if (c->paused && (c->paused_until == 0 || c->paused_until > c->now)) {
		a->state = "paused";
		wait_until(a, c->paused_until ? c->paused_until : recheck, "paused");
		return 0;
	}
	tr = c->track ? policy_track_named(p, c->track) : NULL;
	if (!tr)
		tr = policy_track_for(p, c);
	/* Noticed even below the minimum: the pause ends now either way. */
	if (tr && c->paused && c->paused_until && same(c->pause_reason, "promise")) {
		tr = broken_promise(p, tr, a);
		a->track = tr;
	}
	if (!above_minimum(p, c)) {
		wait_until(a, recheck, "balance below minimum");
		return 0;
	}
	a->track = tr;
	if (!tr) {
		wait_until(a, recheck, "no track matches");
		return 0;
	}
	a->cadence = policy_cadence_factor(p, tr, c->risk);
	if (c->stage >= (int)tr->nsteps) {
		wait_until(a, recheck, "track complete");
		return 0;
	}
	st = policy_variant_for(&tr->steps[c->stage], c->account_key, &a->variant);
	a->experiment = a->variant ? tr->steps[c->stage].experiment : NULL;
	/* Grace is part of "overdue": no step fires before due + grace. */
	after = policy_step_day(p, tr, (size_t)c->stage, c->account_key, c->risk);
	if (after < p->grace_days)
		after = p->grace_days;
	if (tz_days_from_civil(local.year, local.month, local.day) -
		    tz_days_from_civil(c->due_year, c->due_month, c->due_day) <
	    after) {
		due_at = step_time(p, c, st, after);
		if (due_at < 0)
			return -1;
		wait_until(a, due_at, "not yet due");
		return 0;
	}
	if (usable_channels(p, c, st, a, &free_at) == 0) {
		wait_until(a, free_at != INT64_MAX && free_at > c->now ? free_at : recheck,
			   "contact cap reached");
		return 0;
	}
	/* The customer's quiet times are applied here only, not to the day a
	 * step falls due: a step deferred by them then says so (events,
	 * simulate) rather than showing up as not yet due. */
	open_at = all_allowed(p, a->channels, a->nchannels, c->timezone, NULL, c->now);
	if (open_at < 0)
		return -1;
	if (open_at > c->now) {
		wait_until(a, open_at, "outside contact window");
		return 0;
	}
	open_at = all_allowed(p, a->channels, a->nchannels, c->timezone, c->quiet, c->now);
	if (open_at < 0)
		return -1;
	if (open_at > c->now) {
		wait_until(a, open_at, POLICY_REASON_QUIET);
		return 0;
	}
	a->verdict = POLICY_SEND;
	a->step = st;
	a->step_no = c->stage + 1;
	a->reason = "step due";
	if ((size_t)c->stage + 1 < tr->nsteps) {
		const struct policy_variant *nv;
		const struct policy_step *nx = policy_variant_for(&tr->steps[c->stage + 1],
								  c->account_key, &nv);
		int64_t gap = c->now + (int64_t)p->step_gap_hours * 3600;
		a->next_at = step_time(
			p, c, nx,
			policy_step_day(p, tr, (size_t)c->stage + 1, c->account_key, c->risk));
		/* A case that fell behind catches up one step per gap, never in a burst. */
		if (a->next_at < gap)
			a->next_at = all_allowed(p, (const char *const *)nx->channels,
						 nx->nchannels, c->timezone, NULL, gap);
	} else {
		a->next_at = recheck;
	}
	return 0;
}

int policy_bind_calls(struct policy *p, const char *const *channels, size_t n)
{
	struct policy_cap *caps = NULL;
	struct policy_rest *rests = NULL;
	size_t k;

	if (p->caps_default && !(caps = calloc(n + 1, sizeof *caps)))
		return -1;
	if (p->rests_default && !(rests = calloc(n + 1, sizeof *rests))) {
		free(caps);
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (caps && !(caps[k].channel = strdup(channels[k])))
			break;
		if (caps)
			caps[k].max = caps[k].days = 7;
		if (rests && !(rests[k].channel = strdup(channels[k])))
			break;
		if (rests)
			rests[k].days = 7;
	}
	if (k < n) {
		for (size_t i = 0; i <= k && i < n; i++) {
			if (caps)
				free(caps[i].channel);
			if (rests)
				free(rests[i].channel);
		}
		free(caps);
		free(rests);
		return -1;
	}
	if (caps) {
		for (size_t i = 0; i < p->ncaps; i++)
			free(p->caps[i].channel);
		free(p->caps);
		p->caps = caps;
		p->ncaps = n;
		p->caps_default = 0;
	}
	if (rests) {
		for (size_t i = 0; i < p->nrests; i++)
			free(p->rests[i].channel);
		free(p->rests);
		p->rests = rests;
		p->nrests = n;
		p->rests_default = 0;
	}
	return 0;
}
