/* The variants report (report_variant.h). The unit is the case that
 * joined the experiment (intention to treat: from the moment the step
 * became its next one, whether or not its reminder went out), so a
 * variant that waits longer is not flattered by the customers who paid
 * before it spoke. */
#include "report_variant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "policy.h"
#include "report_sql.h"
#include "stats.h"

static const char *const count_keys[] = {"cases",    "reminders", "sent",    "delivered",
					 "opt_outs", "disputes",  "paid_7d", "paid_30d"};
#define NCOUNTS (sizeof count_keys / sizeof count_keys[0])
_Static_assert(NCOUNTS == RV_NCOUNTS, "a key per count");

/* Rates and their denominators: per case, except delivered per reminder. */
static const struct {
	const char *name, *num, *den;
} rates[] = {
	{"paid_7d", "paid_7d", "cases"},         {"paid_30d", "paid_30d", "cases"},
	{"opt_outs", "opt_outs", "cases"},       {"disputes", "disputes", "cases"},
	{"delivered", "delivered", "reminders"},
};
#define NRATES (sizeof rates / sizeof rates[0])

/* The rates a comparison is made on: what the experiment is for (money
 * back) and what it may cost (customers lost, complaints). */
static const char *const tested[] = {"paid_7d", "paid_30d", "opt_outs", "disputes"};

static json_int_t geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Four decimals: enough for a rate, and stable in JSON. */
static double round4(double x)
{
	return floor(x * 10000.0 + 0.5) / 10000.0;
}

static json_t *recovered_json(const char *list)
{
	json_t *out = json_object();
	char *dup = strdup(list), *save = NULL;
	char buf[64];

	for (char *tok = dup ? strtok_r(dup, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (money_plain(strtoll(colon + 1, NULL, 10), tok, buf, sizeof buf) < 0)
			snprintf(buf, sizeof buf, "%s", colon + 1);
		json_object_set_new(out, tok, json_string(buf));
	}
	free(dup);
	return out;
}

static json_t *variant_json(const struct report_variant_row *row)
{
	json_t *v = json_object(), *rs = json_object();

	json_object_set_new(v, "variant", json_string(row->variant));
	for (size_t k = 0; k < NCOUNTS; k++)
		json_object_set_new(v, count_keys[k], json_integer((json_int_t)row->n[k]));
	json_object_set_new(v, "recovered", recovered_json(row->recovered));
	for (size_t k = 0; k < NRATES; k++) {
		json_int_t num = geti(v, rates[k].num), den = geti(v, rates[k].den);
		double lo, hi;
		stats_wilson(num, den, STATS_Z95, &lo, &hi);
		json_object_set_new(rs, rates[k].name,
				    json_pack("{s:f, s:f, s:f}", "rate",
					      den > 0 ? round4((double)num / (double)den) : 0.0,
					      "low", round4(lo), "high", round4(hi)));
	}
	json_object_set_new(v, "rates", rs);
	return v;
}

/* The policy's first variant of experiment, or NULL. */
static const char *policy_baseline(const struct policy *p, const char *experiment)
{
	for (size_t t = 0; p && t < p->ntracks; t++)
		for (size_t s = 0; s < p->tracks[t].nsteps; s++) {
			const struct policy_step *st = &p->tracks[t].steps[s];
			if (st->experiment && !strcmp(st->experiment, experiment))
				return st->variants[0].name;
		}
	return NULL;
}

static json_t *compare(const json_t *base, const json_t *v, const char *metric)
{
	const char *bn = json_string_value(json_object_get(base, "variant"));
	const char *vn = json_string_value(json_object_get(v, "variant"));
	json_int_t k1 = geti(base, metric), n1 = geti(base, "cases");
	json_int_t k2 = geti(v, metric), n2 = geti(v, "cases");
	double z, p, r1 = n1 ? (double)k1 / (double)n1 : 0, r2 = n2 ? (double)k2 / (double)n2 : 0;
	int ok = stats_two_prop(k1, n1, k2, n2, &z, &p) == 0;
	int sig = ok && p < 0.05;
	char verdict[320], ps[32];

	if (p < 0.0001)
		snprintf(ps, sizeof ps, "p < 0.0001");
	else
		snprintf(ps, sizeof ps, "p = %.4f", p);
	if (!ok)
		snprintf(verdict, sizeof verdict,
			 "%s vs %s on %s: no test possible (a side has no cases, or both rates "
			 "are 0%% or 100%%)",
			 vn, bn, metric);
	else if (sig)
		snprintf(verdict, sizeof verdict,
			 "%s vs %s on %s: %.1f%% vs %.1f%% (%+.1f points), significant at 95%% "
			 "(z = %.2f, %s)",
			 vn, bn, metric, r2 * 100, r1 * 100, (r2 - r1) * 100, z, ps);
	else
		snprintf(verdict, sizeof verdict,
			 "%s vs %s on %s: %.1f%% vs %.1f%% (%+.1f points), not significant "
			 "(z = %.2f, %s): the difference may be chance; no variant can be "
			 "called better yet",
			 vn, bn, metric, r2 * 100, r1 * 100, (r2 - r1) * 100, z, ps);
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:b, s:s}", "variant", vn, "against", bn,
			 "metric", metric, "difference", round4(r2 - r1), "z", round4(z), "p",
			 p < 1e-4 && ok ? p : round4(p), "significant", sig, "verdict", verdict);
}

static json_t *experiment_json(const struct policy *pol, const char *name, json_t *variants)
{
	const char *want = policy_baseline(pol, name);
	json_t *base = NULL, *cmp = json_array(), *v;
	size_t i, k;

	json_array_foreach(variants, i,
			   v) if (want &&
				  !strcmp(json_string_value(json_object_get(v, "variant")), want))
		base = v;
	if (!base)
		base = json_array_get(variants, 0);
	json_array_foreach(variants, i, v)
	{
		if (v == base)
			continue;
		for (k = 0; k < sizeof tested / sizeof tested[0]; k++)
			json_array_append_new(cmp, compare(base, v, tested[k]));
	}
	return json_pack("{s:s, s:s, s:O, s:o}", "experiment", name, "baseline",
			 json_string_value(json_object_get(base, "variant")), "variants", variants,
			 "comparisons", cmp);
}

json_t *report_variant_json(const struct policy *pol, const struct report_variant_row *rows,
			    size_t n, const char *from, const char *to)
{
	json_t *exps = json_array(), *cur = NULL;
	char *name = NULL;

	for (size_t r = 0; r <= n; r++) {
		const char *e = r < n ? rows[r].experiment : NULL;
		if (cur && (!e || strcmp(e, name) != 0)) {
			json_array_append_new(exps, experiment_json(pol, name, cur));
			json_decref(cur);
			cur = NULL;
			free(name);
			name = NULL;
		}
		if (!e)
			break;
		if (!cur) {
			cur = json_array();
			name = strdup(e);
		}
		json_array_append_new(cur, variant_json(&rows[r]));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "from", from, "to", to, "unit",
			 "case that joined the experiment", "experiments", exps);
}

json_t *report_variant_from_result(const struct policy *pol, const PGresult *res, const char *from,
				   const char *to)
{
	int n = PQntuples(res);
	struct report_variant_row *rows;
	json_t *doc;

	if (PQnfields(res) != REPORT_VARIANTS_NCOLS)
		return NULL;
	rows = calloc((size_t)n + 1, sizeof *rows);
	if (!rows)
		return NULL;
	for (int r = 0; r < n; r++) {
		rows[r].experiment = PQgetvalue(res, r, 0);
		rows[r].variant = PQgetvalue(res, r, 1);
		for (int k = 0; k < RV_NCOUNTS; k++)
			rows[r].n[k] = strtoll(PQgetvalue(res, r, 2 + k), NULL, 10);
		rows[r].recovered = PQgetvalue(res, r, 2 + RV_NCOUNTS);
	}
	doc = report_variant_json(pol, rows, (size_t)n, from, to);
	free(rows);
	return doc;
}
