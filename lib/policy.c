#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "jconf.h"
#include "money.h"
#include "tz.h"

#define DAY 86400

static void policy_step_free(struct policy_step *s)
{
	free(s->template);
	for (size_t i = 0; i < s->nchannels; i++)
		free(s->channels[i]);
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
	}
	for (size_t i = 0; i < p->nconfirm_channels; i++)
		free(p->confirm_channels[i]);
	free(p->confirm_template);
	free(p->tracks);
	free(p->min_balance);
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
	json_array_foreach(arr, i, v) {
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

static void load_steps(struct jconf *c, json_t *track, const char *path, struct policy_track *tr)
{
	static const char *const keys[] = {"after_days", "channels", "template", "note", NULL};
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
	json_array_foreach(arr, i, st) {
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
		free(ipath);
	}
out:
	free(spath);
}

static void load_track(struct jconf *c, json_t *tj, const char *path, struct policy_track *tr)
{
	static const char *const keys[] = {"name", "when", "steps", NULL};
	static const char *const when_keys[] = {"segment", "min_prior_cycles", "max_prior_cycles",
						"currency", "min_balance", NULL};
	json_t *when;
	char *wpath;

	tr->min_prior_cycles = -1;
	tr->max_prior_cycles = -1;
	if (!json_is_object(tj)) {
		jconf_error(c, path, 0, "a track must be an object");
		return;
	}
	jconf_keys(c, tj, path, keys);
	tr->name = dup_or_null(jconf_str(c, tj, path, "name", NULL, 1));
	when = jconf_obj(c, tj, path, "when", 0);
	wpath = jconf_path(path, "when");
	if (when) {
		const char *cur;
		json_t *mb;
		jconf_keys(c, when, wpath, when_keys);
		tr->segment = dup_or_null(jconf_str(c, when, wpath, "segment", NULL, 0));
		tr->min_prior_cycles = (int)jconf_int(c, when, wpath, "min_prior_cycles", -1, 0, 1000);
		tr->max_prior_cycles = (int)jconf_int(c, when, wpath, "max_prior_cycles", -1, 0, 1000);
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
	}
	free(wpath);
	load_steps(c, tj, path, tr);
}

static void load_window(struct jconf *c, json_t *root, struct policy *p)
{
	static const char *const keys[] = {"start", "end", "weekdays_only", NULL};
	json_t *w = jconf_obj(c, root, "", "contact_window", 0);

	p->window_start = 8 * 60;
	p->window_end = 21 * 60;
	if (!w)
		return;
	jconf_keys(c, w, "contact_window", keys);
	p->window_start = jconf_hhmm(c, w, "contact_window", "start", p->window_start);
	p->window_end = jconf_hhmm(c, w, "contact_window", "end", p->window_end);
	if (p->window_start == p->window_end && p->window_start >= 0)
		jconf_error(c, "contact_window", 0, "contact window is empty");
	p->weekdays_only = jconf_bool(c, w, "contact_window", "weekdays_only", 0);
}

static void load_min_balance(struct jconf *c, json_t *root, struct policy *p)
{
	json_t *mb = jconf_obj(c, root, "", "min_balance", 0);
	const char *cur;
	json_t *v;

	if (!mb)
		return;
	p->min_balance = calloc(json_object_size(mb) + 1, sizeof *p->min_balance);
	json_object_foreach(mb, cur, v) {
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

struct policy *policy_load(const char *file, struct diag *diag)
{
	static const char *const keys[] = {"grace_days", "contact_window", "min_balance",
					   "recheck_hours", "step_gap_hours", "confirmation", "tracks", NULL};
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
	load_window(&c, c.root, p);
	load_min_balance(&c, c.root, p);
	conf = jconf_obj(&c, c.root, "", "confirmation", 0);
	if (conf) {
		jconf_keys(&c, conf, "confirmation", confirm_keys);
		p->confirm_template =
			dup_or_null(jconf_str(&c, conf, "confirmation", "template", NULL, 1));
		p->nconfirm_channels =
			load_channels(&c, conf, "confirmation", p->confirm_channels);
	}
	arr = jconf_arr(&c, c.root, "", "tracks", 1);
	if (arr) {
		if (json_array_size(arr) == 0)
			jconf_error(&c, "tracks", 0, "at least one track is needed");
		p->tracks = calloc(json_array_size(arr) + 1, sizeof *p->tracks);
		json_array_foreach(arr, i, tj) {
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
	jconf_close(&c);
	if (diag->n != before) {
		policy_free(p);
		return NULL;
	}
	return p;
}

const struct policy_track *policy_track_named(const struct policy *p, const char *name)
{
	for (size_t i = 0; name && i < p->ntracks; i++)
		if (strcmp(p->tracks[i].name, name) == 0)
			return &p->tracks[i];
	return NULL;
}

static int track_matches(const struct policy_track *t, const struct policy_case *c)
{
	if (t->segment && strcmp(t->segment, c->segment ? c->segment : "") != 0)
		return 0;
	if (t->min_prior_cycles >= 0 && c->prior_cycles < t->min_prior_cycles)
		return 0;
	if (t->max_prior_cycles >= 0 && c->prior_cycles > t->max_prior_cycles)
		return 0;
	if (t->currency[0] && strcmp(t->currency, c->currency ? c->currency : "") != 0)
		return 0;
	if (t->min_balance > 0 && c->balance < t->min_balance)
		return 0;
	return 1;
}

const struct policy_track *policy_track_for(const struct policy *p, const struct policy_case *c)
{
	for (size_t i = 0; i < p->ntracks; i++)
		if (track_matches(&p->tracks[i], c))
			return &p->tracks[i];
	return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t minbal_for(const struct policy *p, const char *currency)
{
	for (size_t i = 0; currency && i < p->nmin_balance; i++)
		if (strcmp(p->min_balance[i].currency, currency) == 0)
			return p->min_balance[i].minor;
	return 1;
}

/* First instant of the contact window on the local date due + days. */
static int64_t step_time(const struct policy *p, const struct policy_case *c, int days)
{
	int y, m, d;
	int64_t t;

	civil_from_days(days_from_civil(c->due_year, c->due_month, c->due_day) + days, &y, &m, &d);
	if (tz_from_local(c->timezone, y, m, d, 0, 0, 0, &t) != 0)
		return -1;
	return tz_next_window(c->timezone, t, p->window_start, p->window_end, p->weekdays_only);
}

static void wait_until(struct policy_action *a, int64_t at, const char *why)
{
	a->verdict = POLICY_WAIT;
	a->next_at = at;
	a->reason = why;
}

int policy_decide(const struct policy *p, const struct policy_case *c, struct policy_action *a)
{
	const struct policy_track *tr;
	struct tz_local local;
	int64_t recheck = c->now + (int64_t)p->recheck_hours * 3600;
	int64_t due_at, open_at;

	memset(a, 0, sizeof *a);
	if (!c->timezone || tz_local(c->timezone, c->now, &local) != 0)
		return -1;
	if (c->balance <= 0) {
		a->verdict = POLICY_RESOLVE;
		a->reason = "paid";
		return 0;
	}
	if (c->balance < minbal_for(p, c->currency)) {
		wait_until(a, recheck, "balance below minimum");
		return 0;
	}
	if (c->paused && c->paused_until > c->now) {
		wait_until(a, c->paused_until, "paused");
		return 0;
	}
	tr = c->track ? policy_track_named(p, c->track) : NULL;
	if (!tr)
		tr = policy_track_for(p, c);
	a->track = tr;
	if (!tr) {
		wait_until(a, recheck, "no track matches");
		return 0;
	}
	if (c->stage >= (int)tr->nsteps) {
		wait_until(a, recheck, "track complete");
		return 0;
	}
	/* Grace is part of "overdue": no step fires before due + grace. */
	int after = tr->steps[c->stage].after_days;
	if (after < p->grace_days)
		after = p->grace_days;
	due_at = step_time(p, c, after);
	if (due_at < 0)
		return -1;
	if (days_from_civil(local.year, local.month, local.day) -
		    days_from_civil(c->due_year, c->due_month, c->due_day) <
	    after) {
		wait_until(a, due_at, "not yet due");
		return 0;
	}
	open_at = tz_next_window(c->timezone, c->now, p->window_start, p->window_end,
				 p->weekdays_only);
	if (open_at > c->now) {
		wait_until(a, open_at, "outside contact window");
		return 0;
	}
	a->verdict = POLICY_SEND;
	a->step = &tr->steps[c->stage];
	a->step_no = c->stage + 1;
	a->reason = "step due";
	if ((size_t)c->stage + 1 < tr->nsteps) {
		a->next_at = step_time(p, c, tr->steps[c->stage + 1].after_days);
		/* A case that fell behind catches up one step per gap, never in a burst. */
		if (a->next_at < c->now + (int64_t)p->step_gap_hours * 3600)
			a->next_at = c->now + (int64_t)p->step_gap_hours * 3600;
	} else {
		a->next_at = recheck;
	}
	return 0;
}
