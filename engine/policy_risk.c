/* Risk in the policy: tracks chosen by the account's score (min_risk,
 * max_risk) and step gaps scaled by its band (cadence). The score itself
 * is computed in SQL (migrations/0026_risk.sql) and comes in the claimed
 * row; everything here is pure. */
#include "policy_risk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A score bound or threshold: a number in [0, 1]; def when absent. */
static double load_unit(struct jconf *c, json_t *obj, const char *path, const char *key, double def)
{
	json_t *v = json_object_get(obj, key);
	char *kp;
	double d;

	if (!v)
		return def;
	kp = jconf_path(path, key);
	d = json_is_number(v) ? json_number_value(v) : -1;
	if (!json_is_number(v) || d < 0 || d > 1) {
		jconf_error(c, kp, 0, "'%s' must be a number from 0 to 1 (a risk score)", key);
		d = def;
	}
	free(kp);
	return d;
}

void policy_risk_load_when(struct jconf *c, json_t *when, const char *wpath,
			   struct policy_track *tr)
{
	tr->min_risk = load_unit(c, when, wpath, "min_risk", -1);
	tr->max_risk = load_unit(c, when, wpath, "max_risk", -1);
	if (tr->min_risk >= 0 && tr->max_risk >= 0 && tr->min_risk > tr->max_risk) {
		char *kp = jconf_path(wpath, "max_risk");
		jconf_error(c, kp, 0, "'max_risk' %g is below 'min_risk' %g: no account matches",
			    tr->max_risk, tr->min_risk);
		free(kp);
	}
}

/* A factor: above 0, at most 10 (a gap ten times as long). */
static double load_factor(struct jconf *c, json_t *obj, const char *path, const char *key)
{
	json_t *v = json_object_get(obj, key);
	double d;
	char *kp;

	if (!v)
		return 1;
	d = json_is_number(v) ? json_number_value(v) : 0;
	if (d > 0 && d <= 10)
		return d;
	kp = jconf_path(path, key);
	jconf_error(c, kp, 0, "'%s' must be a number above 0 and at most 10 (it multiplies gaps)",
		    key);
	free(kp);
	return 1;
}

void policy_risk_load_cadence(struct jconf *c, json_t *obj, const char *path,
			      struct policy_cadence *out)
{
	static const char *const keys[] = {"high", "mid", "low", NULL};
	json_t *cd = jconf_obj(c, obj, path, "cadence", 0);
	char *cp;

	if (!cd)
		return;
	cp = jconf_path(path, "cadence");
	jconf_keys(c, cd, cp, keys);
	if (json_object_size(cd) == 0)
		jconf_error(c, cp, 0, "'cadence' names at least one band: high, mid or low");
	out->set = 1;
	out->high = load_factor(c, cd, cp, "high");
	out->mid = load_factor(c, cd, cp, "mid");
	out->low = load_factor(c, cd, cp, "low");
	free(cp);
}

void policy_risk_load(struct jconf *c, json_t *root, struct policy *p)
{
	static const char *const keys[] = {"high_from", "low_below", "max_age_hours", NULL};
	json_t *r = jconf_obj(c, root, "", "risk", 0);

	/* Defaults from the formula's scale (README "Risk from history"): one
	 * earlier cycle paid two weeks late scores about 0.13, a habit of
	 * late payment and broken promises from 0.4. */
	p->risk_high = 0.4;
	p->risk_low = 0.1;
	p->risk_max_age_hours = 24;
	if (r) {
		jconf_keys(c, r, "risk", keys);
		p->risk_high = load_unit(c, r, "risk", "high_from", p->risk_high);
		p->risk_low = load_unit(c, r, "risk", "low_below", p->risk_low);
		p->risk_max_age_hours = (int)jconf_int(c, r, "risk", "max_age_hours", 24, 1,
						       24 * 31);
		if (p->risk_low > p->risk_high)
			jconf_error(c, "risk.low_below", 0,
				    "'low_below' %g is above 'high_from' %g: the bands overlap",
				    p->risk_low, p->risk_high);
	}
	p->uses_risk = p->cadence.set;
	for (size_t t = 0; t < p->ntracks; t++) {
		const struct policy_track *tr = &p->tracks[t];
		if (tr->min_risk >= 0 || tr->max_risk >= 0 || tr->cadence.set)
			p->uses_risk = 1;
	}
}

const char *policy_risk_band(const struct policy *p, double risk)
{
	if (risk >= p->risk_high)
		return "high";
	if (risk < p->risk_low)
		return "low";
	return "mid";
}

double policy_cadence_factor(const struct policy *p, const struct policy_track *t, double risk)
{
	const struct policy_cadence *cd = t && t->cadence.set ? &t->cadence : &p->cadence;
	const char *band;

	if (!cd->set)
		return 1;
	band = policy_risk_band(p, risk);
	return !strcmp(band, "high") ? cd->high : !strcmp(band, "low") ? cd->low : cd->mid;
}

int policy_risk_matches(const struct policy_track *t, double risk)
{
	if (t->min_risk >= 0 && risk < t->min_risk)
		return 0;
	if (t->max_risk >= 0 && risk > t->max_risk)
		return 0;
	return 1;
}

/* The after_days of step i as account_key receives it (its variant's). */
static int days_of(const struct policy_track *t, size_t i, const char *account_key)
{
	const struct policy_variant *v;

	return policy_variant_for(&t->steps[i], account_key, &v)->after_days;
}

int policy_step_day(const struct policy *p, const struct policy_track *t, size_t idx,
		    const char *account_key, double risk)
{
	double f = policy_cadence_factor(p, t, risk);
	int first, prev;

	if (idx >= t->nsteps)
		return -1;
	if (f == 1 || idx == 0)
		return days_of(t, idx, account_key);
	/* The first step's day stays: grace and a first notice are about it,
	 * and the gaps the cadence is about come after it. */
	first = prev = days_of(t, 0, account_key);
	for (size_t i = 1; i <= idx; i++) {
		int raw = days_of(t, i, account_key);
		int d = first + (int)lround((raw - first) * f);
		prev = d > prev ? d : prev + 1;
	}
	return prev;
}
