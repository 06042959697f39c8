/* dunnctl report --by variant: each experiment's variants side by side.
 * The unit is the case that joined the experiment (intention to treat:
 * from the moment the step became its next one, whether or not its
 * reminder went out), so a variant that waits longer is not flattered by
 * the customers who paid before it spoke. Each rate carries its 95%
 * Wilson interval; every variant is tested against the baseline (the
 * policy's first variant of that experiment, else the first by name) with
 * a two-proportion z-test, and the wording says plainly when the
 * difference could be chance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "money.h"
#include "policy.h"
#include "stats.h"

/* $1, $2: first and last UTC day on which cases joined. A case's paid
 * time is its last payment (or paid_at, for a billing system that writes
 * only that) before it resolved with its balance cleared; recovered is
 * what the account paid within 30 days of joining. Complaints are
 * disputes the account opened after joining. */
static const char SQL_VARIANTS[] =
	"WITH j AS (\n"
	"  SELECT c.id AS case_id, c.account_id, e.key AS experiment, e.value AS variant,\n"
	"         coalesce((SELECT min(ev.at) FROM dunning.events ev\n"
	"                   WHERE ev.case_id = c.id AND ev.kind = 'variant_assigned'\n"
	"                     AND ev.detail->>'experiment' = e.key), c.opened_at) AS at,\n"
	"         c.state = 'resolved' AND c.close_reason = 'balance cleared' AS cleared,\n"
	"         c.opened_at, c.closed_at\n"
	"  FROM dunning.cases c CROSS JOIN LATERAL jsonb_each_text(c.variants) e\n"
	"  WHERE c.variants <> '{}'::jsonb),\n"
	"jp AS (\n"
	"  SELECT j.*, CASE WHEN j.cleared THEN coalesce(\n"
	"           (SELECT max(p.at) FROM dunning.payments p WHERE p.account_id = j.account_id\n"
	"              AND p.at >= j.opened_at AND p.at <= j.closed_at),\n"
	"           (SELECT max(i.paid_at) FROM dunning.invoices i WHERE i.account_id = j.account_id\n"
	"              AND i.paid_at >= j.opened_at AND i.paid_at <= j.closed_at),\n"
	"           j.closed_at) END AS paid_at\n"
	"  FROM j\n"
	"  WHERE j.at >= ($1::date)::timestamp AT TIME ZONE 'UTC'\n"
	"    AND j.at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'),\n"
	"per AS (\n"
	"  SELECT jp.experiment, jp.variant, jp.case_id,\n"
	"         (SELECT count(*) FROM dunning.deliveries d WHERE d.case_id = jp.case_id\n"
	"            AND d.kind = 'reminder' AND d.experiment = jp.experiment) AS reminders,\n"
	"         (SELECT count(*) FROM dunning.deliveries d WHERE d.case_id = jp.case_id\n"
	"            AND d.kind = 'reminder' AND d.experiment = jp.experiment\n"
	"            AND d.status IN ('sent', 'delivered')) AS sent,\n"
	"         (SELECT count(*) FROM dunning.deliveries d WHERE d.case_id = jp.case_id\n"
	"            AND d.kind = 'reminder' AND d.experiment = jp.experiment\n"
	"            AND d.status = 'delivered') AS delivered,\n"
	"         EXISTS (SELECT 1 FROM dunning.suppressions s JOIN dunning.accounts a\n"
	"                   ON a.id = jp.account_id\n"
	"                 WHERE s.reason = 'opt-out' AND s.created_at >= jp.at\n"
	"                   AND (lower(s.address) = lower(a.email) OR s.address = a.phone))\n"
	"           AS opted_out,\n"
	"         EXISTS (SELECT 1 FROM dunning.disputes ds JOIN dunning.invoices i\n"
	"                   ON i.id = ds.invoice_id\n"
	"                 WHERE i.account_id = jp.account_id AND ds.opened_at >= jp.at)\n"
	"           AS disputed,\n"
	"         jp.paid_at IS NOT NULL AND jp.paid_at <= jp.at + interval '7 days' AS paid7,\n"
	"         jp.paid_at IS NOT NULL AND jp.paid_at <= jp.at + interval '30 days' AS paid30,\n"
	"         jp.account_id, jp.at\n"
	"  FROM jp),\n"
	"rec AS (\n"
	"  SELECT experiment, variant,\n"
	"         string_agg(currency || ':' || amount, ',' ORDER BY currency) AS recovered\n"
	"  FROM (SELECT per.experiment, per.variant, p.currency::text AS currency,\n"
	"               sum(p.amount) AS amount\n"
	"        FROM per JOIN dunning.payments p ON p.account_id = per.account_id\n"
	"         AND p.kind IN ('payment', 'refund')\n"
	"         AND p.at >= per.at AND p.at <= per.at + interval '30 days'\n"
	"        GROUP BY 1, 2, 3) x\n"
	"  GROUP BY 1, 2)\n"
	"SELECT per.experiment, per.variant, count(*), sum(reminders), sum(sent), sum(delivered),\n"
	"       count(*) FILTER (WHERE opted_out), count(*) FILTER (WHERE disputed),\n"
	"       count(*) FILTER (WHERE paid7), count(*) FILTER (WHERE paid30),\n"
	"       coalesce(min(rec.recovered), '')\n"
	"FROM per LEFT JOIN rec USING (experiment, variant)\n"
	"GROUP BY 1, 2 ORDER BY 1, 2";

enum {
	V_EXPERIMENT,
	V_VARIANT,
	V_CASES,
	V_REMINDERS,
	V_SENT,
	V_DELIVERED,
	V_OPTOUT,
	V_DISPUTED,
	V_PAID7,
	V_PAID30,
	V_RECOVERED
};
static const char *const count_keys[] = {"cases",    "reminders", "sent",    "delivered",
					 "opt_outs", "disputes",  "paid_7d", "paid_30d"};
#define NCOUNTS (sizeof count_keys / sizeof count_keys[0])

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

static json_t *variant_json(const PGresult *res, int r)
{
	json_t *v = json_object(), *rs = json_object();

	json_object_set_new(v, "variant", json_string(PQgetvalue(res, r, V_VARIANT)));
	for (size_t k = 0; k < NCOUNTS; k++)
		json_object_set_new(
			v, count_keys[k],
			json_integer(strtoll(PQgetvalue(res, r, V_CASES + (int)k), NULL, 10)));
	json_object_set_new(v, "recovered", recovered_json(PQgetvalue(res, r, V_RECOVERED)));
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

static json_t *report_json(const struct policy *pol, const PGresult *res, const char *from,
			   const char *to)
{
	json_t *exps = json_array(), *cur = NULL;
	char *name = NULL;
	int n = PQntuples(res);

	for (int r = 0; r <= n; r++) {
		const char *e = r < n ? PQgetvalue(res, r, V_EXPERIMENT) : NULL;
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
		json_array_append_new(cur, variant_json(res, r));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "from", from, "to", to, "unit",
			 "case that joined the experiment", "experiments", exps);
}

static void print_rate(const json_t *v, const char *name)
{
	const json_t *r = json_object_get(json_object_get(v, "rates"), name);

	printf(" %5.1f%% [%5.1f-%5.1f]", json_real_value(json_object_get(r, "rate")) * 100,
	       json_real_value(json_object_get(r, "low")) * 100,
	       json_real_value(json_object_get(r, "high")) * 100);
}

static void report_print(const json_t *doc)
{
	json_t *e, *v, *c;
	size_t i, j;

	printf("variants: cases that joined an experiment %s .. %s (UTC days)\n",
	       json_string_value(json_object_get(doc, "from")),
	       json_string_value(json_object_get(doc, "to")));
	printf("rates per case (delivered: per reminder), 95%% Wilson interval in brackets\n");
	if (json_array_size(json_object_get(doc, "experiments")) == 0)
		printf("\n(no case has joined an experiment in this period)\n");
	json_array_foreach(json_object_get(doc, "experiments"), i, e)
	{
		printf("\nexperiment %s (baseline %s)\n",
		       json_string_value(json_object_get(e, "experiment")),
		       json_string_value(json_object_get(e, "baseline")));
		printf("%-12s %7s %9s %9s %9s %21s %21s %21s %21s %21s  %s\n", "variant", "cases",
		       "reminders", "sent", "delivered", "paid 7d", "paid 30d", "opt-outs",
		       "disputes", "delivered/reminder", "recovered");
		json_array_foreach(json_object_get(e, "variants"), j, v)
		{
			const char *cur;
			json_t *amt;
			int first = 1;
			printf("%-12s %7lld %9lld %9lld %9lld",
			       json_string_value(json_object_get(v, "variant")),
			       (long long)geti(v, "cases"), (long long)geti(v, "reminders"),
			       (long long)geti(v, "sent"), (long long)geti(v, "delivered"));
			print_rate(v, "paid_7d");
			print_rate(v, "paid_30d");
			print_rate(v, "opt_outs");
			print_rate(v, "disputes");
			print_rate(v, "delivered");
			printf("  ");
			json_object_foreach(json_object_get(v, "recovered"), cur, amt)
			{
				printf("%s%s %s", first ? "" : ", ", json_string_value(amt), cur);
				first = 0;
			}
			printf("%s\n", first ? "-" : "");
		}
		json_array_foreach(json_object_get(e, "comparisons"), j, c)
			printf("  %s\n", json_string_value(json_object_get(c, "verdict")));
	}
}

int ctl_report_variants(struct ctl *c, const char *from, const char *to, int as_json)
{
	const char *params[2] = {from, to};
	PGresult *res = ctl_exec(c, SQL_VARIANTS, 2, params);
	json_t *doc;

	if (!res)
		return 1;
	doc = report_json(c->cfg->policy, res, from, to);
	PQclear(res);
	if (as_json)
		return ctl_json_print(doc);
	if (!doc)
		return 1;
	report_print(doc);
	json_decref(doc);
	return 0;
}
