/* The supervisors' dashboard: over a chosen period (UTC days, the last 30
 * by default), per track, step and channel, the reminders sent,
 * delivered and failed (error rate), opt-outs, accounts that paid within
 * 7 and 30 days and the amount recovered per currency: the rows of
 * dunnctl report, from the same statement (engine/report_sql). Beside them
 * the overdue amounts in aging buckets per currency, the outbox, and what
 * each staff member did; and each experiment's variants side by side with
 * their 95% intervals and the plain word on whether they differ, as
 * dunnctl report --by variant gives them (engine/report_variant). Charts
 * are inline SVG drawn here: no script, no outside asset; each carries
 * its figures (<desc>, data-value). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "console_int.h"
#include "report_sql.h"
#include "report_variant.h"
#include "stats.h"
#include "tz.h"

static const char SQL_AGING[] =
	"SELECT currency,\n"
	"       coalesce(sum(owed) FILTER (WHERE late BETWEEN 1 AND 30), 0),\n"
	"       coalesce(sum(owed) FILTER (WHERE late BETWEEN 31 AND 60), 0),\n"
	"       coalesce(sum(owed) FILTER (WHERE late BETWEEN 61 AND 90), 0),\n"
	"       coalesce(sum(owed) FILTER (WHERE late > 90), 0)\n"
	"FROM (SELECT i.currency::text AS currency, i.amount_due - i.amount_paid AS owed,\n"
	"             dunning.local_date($1::timestamptz, a.timezone) - i.due_date AS late\n"
	"      FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id\n"
	"      WHERE i.paid_at IS NULL AND NOT i.disputed AND i.amount_due > i.amount_paid) x\n"
	"WHERE late >= 1 GROUP BY currency ORDER BY currency";

static const char SQL_OUTBOX[] =
	"SELECT count(*),\n"
	"       coalesce(to_char(min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1)\n"
	"                AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-')\n"
	"FROM dunning.deliveries WHERE status IN ('queued', 'sending')";

/* What each person did in the period, from the events naming them. */
static const char SQL_AGENTS[] =
	"SELECT who,\n"
	"       count(*) FILTER (WHERE kind = 'phone_task_claimed'),\n"
	"       count(*) FILTER (WHERE kind IN ('phone_task_completed', 'phone_task_rescheduled')),\n"
	"       count(*) FILTER (WHERE kind = 'phone_task_completed' AND outcome = 'reached'),\n"
	"       count(*) FILTER (WHERE kind = 'phone_task_completed' AND outcome = 'promise_to_pay'),\n"
	"       count(*) FILTER (WHERE kind = 'payment_recorded'),\n"
	"       count(*) FILTER (WHERE kind LIKE 'console_dispute_%')\n"
	"FROM (SELECT coalesce(detail->>'staff', detail->>'assignee') AS who, kind,\n"
	"             detail->>'outcome' AS outcome\n"
	"      FROM dunning.events\n"
	"      WHERE at >= ($2::date)::timestamp AT TIME ZONE 'UTC'\n"
	"        AND at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'\n"
	"        AND (detail ? 'staff' OR kind = 'phone_task_claimed')) e\n"
	"WHERE who IS NOT NULL AND $1::text IS NOT NULL GROUP BY who ORDER BY who";

/* A horizontal bar chart under its caption: n bars of values v with
 * labels, one colour; shown (NULL: v itself) is the text beside each bar.
 * Its figures are in the SVG for whoever cannot see it: the <desc> lists
 * them, each bar is a <g> carrying data-label and data-value (v), and id
 * names the chart (data-chart). */
static void bars(struct con_out *o, const char *id, const char *title, const char *const *labels,
		 const long long *v, const char *const *shown, int n, const char *colour)
{
	const int w = 420, row = 22, left = 160, h = n * row + 8;
	long long max = 1;
	char num[32];

	con_lit(o, "<figure class=\"chartbox\"><figcaption class=\"muted\">");
	con_esc(o, title);
	con_lit(o, "</figcaption>");

	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	con_printf(o,
		   "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
		   "data-chart=\"",
		   w, h);
	con_esc(o, id);
	con_lit(o, "\" aria-label=\"");
	con_esc(o, title);
	con_lit(o, "\"><title>");
	con_esc(o, title);
	con_lit(o, "</title><desc>");
	for (int i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%lld", v[i]);
		con_esc(o, labels[i]);
		con_lit(o, ": ");
		con_esc(o, shown ? shown[i] : num);
		con_lit(o, i + 1 < n ? "; " : "");
	}
	con_lit(o, "</desc>");
	for (int i = 0; i < n; i++) {
		int bw = (int)((w - left - 80) * (double)v[i] / (double)max);
		int y = 4 + i * row;
		con_lit(o, "<g data-label=\"");
		con_esc(o, labels[i]);
		con_printf(o,
			   "\" data-value=\"%lld\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
			   "font-size=\"12\" fill=\"#1f2328\">",
			   v[i], left - 6, y + 14);
		con_esc(o, labels[i]);
		con_printf(o,
			   "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"%s\">"
			   "</rect><text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1f2328\">",
			   left, y + 2, bw > 0 ? bw : 1, colour, left + (bw > 0 ? bw : 1) + 6,
			   y + 14);
		if (shown)
			con_esc(o, shown[i]);
		else
			con_printf(o, "%lld", v[i]);
		con_lit(o, "</text></g>");
	}
	con_lit(o, "</svg></figure>");
}

static int day_ok(const char *s)
{
	int64_t t;
	char buf[TZ_ISO8601_LEN];

	if (!s || strlen(s) != 10 || tz_parse_iso8601(s, &t) != 0)
		return 0;
	tz_format_iso8601(t, buf, sizeof buf);
	return strncmp(buf, s, 10) == 0;
}

int con_period(const struct con_in *in, char from[11], char to[11])
{
	char *f = con_query(in, "from"), *t = con_query(in, "to");
	char buf[TZ_ISO8601_LEN];
	int ok = (!f || day_ok(f)) && (!t || day_ok(t));

	/* The default is dunnctl report's: the last 30 days, today included. */
	tz_format_iso8601(in->now, buf, sizeof buf);
	snprintf(to, 11, "%.10s", ok && t ? t : buf);
	tz_format_iso8601(in->now - 29 * 86400, buf, sizeof buf);
	snprintf(from, 11, "%.10s", ok && f ? f : buf);
	free(f);
	free(t);
	return ok && strcmp(from, to) <= 0 ? 0 : -1;
}

void con_period_form(struct con_out *out, enum con_lang lang, const char *action, const char *from,
		     const char *to)
{
	con_printf(out,
		   "<form method=\"get\" action=\"%s\" class=\"row\"><div><label for=\"from\">",
		   action);
	con_esc(out, con_t(lang, "from"));
	con_lit(out, "</label><input id=\"from\" name=\"from\" type=\"date\" value=\"");
	con_esc(out, from);
	con_lit(out, "\"></div><div><label for=\"to\">");
	con_esc(out, con_t(lang, "to"));
	con_lit(out, "</label><input id=\"to\" name=\"to\" type=\"date\" value=\"");
	con_esc(out, to);
	con_lit(out, "\"></div><div><button type=\"submit\">");
	con_esc(out, con_t(lang, "show"));
	con_lit(out, "</button></div></form>");
}

static void th(struct con_out *o, enum con_lang lang, const char *key)
{
	con_lit(o, "<th scope=\"col\">");
	con_esc(o, con_t(lang, key));
	con_lit(o, "</th>");
}

#define MAX_ROWS 200

/* "USD:4990,KRW:120000": each in its own currency, never added up. */
static void amounts(struct con_out *out, enum con_lang lang, const char *list)
{
	char *dup = strdup(list), *save = NULL, m[64];

	for (char *tok = dup ? strtok_r(dup, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		con_money(colon + 1, tok, lang, m, sizeof m);
		con_esc(out, m);
		con_lit(out, " ");
	}
	free(dup);
}

/* Minor units of currency cur in "USD:4990,KRW:120000" (0: none). */
static long long amount_in(const char *list, const char *cur)
{
	size_t n = strlen(cur);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, cur, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
	return 0;
}

/* One chart per figure of the funnel rows (columns of REPORT_SQL_FUNNEL),
 * the error rate as dunnctl report rounds it (basis points), and the
 * amount recovered in each currency, each on its own. */
static void funnel_charts(struct con_out *out, enum con_lang lang, const PGresult *res,
			  const char *const *labels, int n)
{
	static const struct {
		const char *key, *colour;
		int col;
	} figs[] = {{"sent", "#0969da", 4},    {"delivered", "#0550ae", 5},
		    {"failed", "#a40e26", 6},  {"opt_outs", "#6e4c02", 7},
		    {"paid_7d", "#116329", 8}, {"paid_30d", "#1a7f37", 9}};
	/* On the worker's stack: two workers draw at once. */
	long long v[MAX_ROWS];
	char pct[MAX_ROWS][24], money[MAX_ROWS][64];
	const char *shown[MAX_ROWS] = {0};
	char curs[8][4], title[160];
	int ncur = 0;

	con_lit(out, "<div class=\"charts\">");
	for (size_t f = 0; f < sizeof figs / sizeof figs[0]; f++) {
		for (int r = 0; r < n; r++)
			v[r] = strtoll(PQgetvalue(res, r, figs[f].col), NULL, 10);
		bars(out, figs[f].key, con_t(lang, figs[f].key), labels, v, NULL, n,
		     figs[f].colour);
	}
	for (int r = 0; r < n; r++) {
		long long s = strtoll(PQgetvalue(res, r, 4), NULL, 10);
		long long fl = strtoll(PQgetvalue(res, r, 6), NULL, 10);
		v[r] = s + fl ? (fl * 10000 + (s + fl) / 2) / (s + fl) : 0;
		snprintf(pct[r], sizeof pct[r], "%lld.%02lld%%", v[r] / 100, v[r] % 100);
		shown[r] = pct[r];
	}
	bars(out, "error_rate", con_t(lang, "error_rate"), labels, v, shown, n, "#bc4c00");
	for (int r = 0; r < n; r++) {
		const char *p = PQgetvalue(res, r, 10);
		for (; *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "") {
			int k = 0;
			if (strcspn(p, ":") != 3)
				continue;
			while (k < ncur && strncmp(curs[k], p, 3))
				k++;
			if (k == ncur && ncur < 8)
				snprintf(curs[ncur++], 4, "%.3s", p);
		}
	}
	for (int k = 0; k < ncur; k++) {
		char id[24];
		for (int r = 0; r < n; r++) {
			char minor[24];
			v[r] = amount_in(PQgetvalue(res, r, 10), curs[k]);
			snprintf(minor, sizeof minor, "%lld", v[r]);
			con_money(minor, curs[k], lang, money[r], sizeof money[r]);
			shown[r] = money[r];
		}
		snprintf(id, sizeof id, "recovered-%s", curs[k]);
		snprintf(title, sizeof title, "%s (%s)", con_t(lang, "recovered"), curs[k]);
		bars(out, id, title, labels, v, shown, n, "#8250df");
	}
	con_lit(out, "</div>");
}

static void funnel(struct con_db *db, struct con_out *out, enum con_lang lang, const char *from,
		   const char *to)
{
	static const char *const keys[] = {"reminders", "sent",    "delivered", "failed",
					   "opt_outs",  "paid_7d", "paid_30d"};
	static const char *const cols[] = {"track",    "step",      "channel",  "reminders",
					   "sent",     "delivered", "failed",   "error_rate",
					   "opt_outs", "paid_7d",   "paid_30d", "recovered"};
	const char *p[2] = {from, to};
	PGresult *res = con_q(db, REPORT_SQL_FUNNEL, 2, p);
	const char *labels[MAX_ROWS];
	char lab[MAX_ROWS][96];
	long long sent[MAX_ROWS];
	int n;

	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "funnel"));
	con_lit(out, "</h2>");
	if (!res) {
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</section>");
		return;
	}
	n = PQntuples(res) < MAX_ROWS ? PQntuples(res) : MAX_ROWS;
	for (int r = 0; r < n; r++) {
		snprintf(lab[r], sizeof lab[r], "%s / %s / %s", PQgetvalue(res, r, 0),
			 PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
		labels[r] = lab[r];
		sent[r] = strtoll(PQgetvalue(res, r, 4), NULL, 10);
	}
	if (n)
		funnel_charts(out, lang, res, labels, n);
	con_lit(out, "<table class=\"funnel\"><thead><tr>");
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
		th(out, lang, cols[k]);
	con_lit(out, "</tr></thead><tbody>");
	for (int r = 0; r < n; r++) {
		long long s = sent[r], f = strtoll(PQgetvalue(res, r, 6), NULL, 10);
		const char *rec = PQgetvalue(res, r, 10);

		con_lit(out, "<tr data-row=\"");
		con_esc(out, lab[r]);
		con_lit(out, "\"");
		for (int k = 0; k < 7; k++)
			con_printf(out, " data-%s=\"%s\"", keys[k], PQgetvalue(res, r, 3 + k));
		con_lit(out, ">");
		for (int k = 0; k < 3; k++) {
			con_lit(out, "<td>");
			con_esc(out, PQgetvalue(res, r, k));
			con_lit(out, "</td>");
		}
		for (int k = 3; k < 7; k++)
			con_printf(out, "<td class=\"num\">%s</td>", PQgetvalue(res, r, k));
		/* failed / (sent + failed), as dunnctl report gives it. */
		con_printf(out, "<td class=\"num\">%.2f%%</td>",
			   s + f ? 100.0 * (double)f / (double)(s + f) : 0.0);
		for (int k = 7; k < 10; k++)
			con_printf(out, "<td class=\"num\">%s</td>", PQgetvalue(res, r, k));
		con_lit(out, "<td class=\"num\">");
		amounts(out, lang, rec);
		con_lit(out, "</td></tr>");
	}
	con_lit(out, "</tbody></table></section>");
	PQclear(res);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* "20.0% [11.6-31.9]" of rate name of variant v. */
static void rate_cell(struct con_out *out, const json_t *v, const char *name)
{
	const json_t *r = json_object_get(json_object_get(v, "rates"), name);

	con_printf(out, "<br><span class=\"muted\">%.1f%% [%.1f-%.1f]</span>",
		   json_real_value(json_object_get(r, "rate")) * 100,
		   json_real_value(json_object_get(r, "low")) * 100,
		   json_real_value(json_object_get(r, "high")) * 100);
}

/* The comparison c in words of lang: "B vs A, Paid in 30 days: 60.0% vs
 * 20.0% (+40.0 points): significant at 95% (z = 4.47, p < 0.0001)". */
static void verdict(struct con_out *out, enum con_lang lang, const json_t *e, const json_t *c)
{
	const char *metric = jstr(c, "metric");
	const json_t *b = NULL, *v = NULL, *x;
	double z = json_real_value(json_object_get(c, "z"));
	double p = json_number_value(json_object_get(c, "p"));
	double tz, tp;
	int sig = json_is_true(json_object_get(c, "significant"));
	size_t i;

	json_array_foreach(json_object_get(e, "variants"), i, x)
	{
		if (!strcmp(jstr(x, "variant"), jstr(c, "against")))
			b = x;
		if (!strcmp(jstr(x, "variant"), jstr(c, "variant")))
			v = x;
	}
	con_printf(out, "<li data-comparison=\"%s\" data-significant=\"%d\">", metric, sig);
	con_esc(out, jstr(c, "variant"));
	con_lit(out, " ");
	con_esc(out, con_t(lang, "vs"));
	con_lit(out, " ");
	con_esc(out, jstr(c, "against"));
	con_lit(out, ", ");
	con_esc(out, con_t(lang, metric));
	con_lit(out, ": ");
	/* The rates and the difference, as the report rounds them; no test
	 * when one side could say nothing (the report's own test). */
	if (!b || !v ||
	    stats_two_prop(json_integer_value(json_object_get(b, metric)),
			   json_integer_value(json_object_get(b, "cases")),
			   json_integer_value(json_object_get(v, metric)),
			   json_integer_value(json_object_get(v, "cases")), &tz, &tp) != 0) {
		con_esc(out, con_t(lang, "no_test"));
		con_lit(out, "</li>");
		return;
	}
	{
		const json_t *rv = json_object_get(json_object_get(v, "rates"), metric);
		const json_t *rb = json_object_get(json_object_get(b, "rates"), metric);
		double r2 = json_real_value(json_object_get(rv, "rate"));
		double r1 = json_real_value(json_object_get(rb, "rate"));
		con_printf(out, "%.1f%% ", r2 * 100);
		con_esc(out, con_t(lang, "vs"));
		con_printf(out, " %.1f%% (%+.1f ", r1 * 100,
			   json_real_value(json_object_get(c, "difference")) * 100);
		con_esc(out, con_t(lang, "points"));
		con_lit(out, "): <strong>");
		con_esc(out, con_t(lang, sig ? "significant" : "not_significant"));
		if (p < 0.0001)
			con_printf(out, "</strong> (z = %.2f, p &lt; 0.0001)</li>", z);
		else
			con_printf(out, "</strong> (z = %.2f, p = %.4f)</li>", z, p);
	}
}

static void variant_table(struct con_out *out, enum con_lang lang, const json_t *e)
{
	static const char *const counts[] = {"cases",    "reminders", "delivered", "opt_outs",
					     "disputes", "paid_7d",   "paid_30d"};
	/* Each count's rate, shown under it; NULL: a count without one. */
	static const char *const rate_of[] = {NULL,       NULL,      "delivered", "opt_outs",
					      "disputes", "paid_7d", "paid_30d"};
	const char *name = jstr(e, "experiment");
	const json_t *v, *c;
	size_t i;

	con_lit(out, "<table class=\"variants\" data-experiment=\"");
	con_esc(out, name);
	con_lit(out, "\"><caption>");
	con_esc(out, con_t(lang, "experiment"));
	con_lit(out, " ");
	con_esc(out, name);
	con_lit(out, " (");
	con_esc(out, con_t(lang, "baseline"));
	con_lit(out, " ");
	con_esc(out, jstr(e, "baseline"));
	con_lit(out, ")</caption><thead><tr>");
	th(out, lang, "variant");
	for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
		th(out, lang, counts[k]);
	th(out, lang, "recovered");
	con_lit(out, "</tr></thead><tbody>");
	json_array_foreach(json_object_get(e, "variants"), i, v)
	{
		const char *cur;
		json_t *amt;
		con_lit(out, "<tr data-variant-row=\"");
		con_esc(out, name);
		con_lit(out, " / ");
		con_esc(out, jstr(v, "variant"));
		con_lit(out, "\"");
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
			con_printf(out, " data-%s=\"%lld\"", counts[k],
				   (long long)json_integer_value(json_object_get(v, counts[k])));
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
			const json_t *r = json_object_get(json_object_get(v, "rates"),
							  rate_of[k] ? rate_of[k] : "");
			if (r)
				con_printf(out, " data-%s-low=\"%.4f\" data-%s-high=\"%.4f\"",
					   rate_of[k], json_real_value(json_object_get(r, "low")),
					   rate_of[k], json_real_value(json_object_get(r, "high")));
		}
		con_lit(out, "><th scope=\"row\">");
		con_esc(out, jstr(v, "variant"));
		con_lit(out, "</th>");
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
			con_printf(out, "<td class=\"num\">%lld",
				   (long long)json_integer_value(json_object_get(v, counts[k])));
			if (rate_of[k])
				rate_cell(out, v, rate_of[k]);
			con_lit(out, "</td>");
		}
		con_lit(out, "<td class=\"num\">");
		json_object_foreach(json_object_get(v, "recovered"), cur, amt)
		{
			con_lit(out, "<span data-recovered=\"");
			con_esc(out, cur);
			con_lit(out, "\">");
			con_esc(out, json_string_value(amt));
			con_lit(out, " ");
			con_esc(out, cur);
			con_lit(out, "</span> ");
		}
		con_lit(out, "</td></tr>");
	}
	con_lit(out, "</tbody></table><ul class=\"verdicts\">");
	json_array_foreach(json_object_get(e, "comparisons"), i, c) verdict(out, lang, e, c);
	con_lit(out, "</ul>");
}

static void variants(struct con_db *db, struct con_out *out, enum con_lang lang,
		     const struct policy *pol, const char *from, const char *to)
{
	const char *p[2] = {from, to};
	PGresult *res = con_q(db, REPORT_SQL_VARIANTS, 2, p);
	json_t *doc = res ? report_variant_from_result(pol, res, from, to) : NULL;
	const json_t *e;
	size_t i;

	PQclear(res);
	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "variants"));
	con_lit(out, "</h2><p class=\"muted\">");
	if (!doc) {
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</p></section>");
		return;
	}
	con_esc(out, con_t(lang, "rate_note"));
	con_lit(out, "</p>");
	if (json_array_size(json_object_get(doc, "experiments")) == 0) {
		con_lit(out, "<p>");
		con_esc(out, con_t(lang, "no_experiment"));
		con_lit(out, "</p>");
	}
	json_array_foreach(json_object_get(doc, "experiments"), i, e) variant_table(out, lang, e);
	con_lit(out, "</section>");
	json_decref(doc);
}

static void aging(struct con_db *db, struct con_out *out, enum con_lang lang, const char *now)
{
	static const char *const buckets[] = {"1-30", "31-60", "61-90", "90+"};
	const char *p[1] = {now};
	PGresult *res = con_q(db, SQL_AGING, 1, p);

	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "aging"));
	con_lit(out, "</h2>");
	for (int r = 0; res && r < PQntuples(res); r++) {
		long long v[4];
		char title[128], m[4][64], id[24];
		const char *labels[4], *shown[4];
		for (int k = 0; k < 4; k++) {
			v[k] = strtoll(PQgetvalue(res, r, 1 + k), NULL, 10);
			con_money(PQgetvalue(res, r, 1 + k), PQgetvalue(res, r, 0), lang, m[k],
				  sizeof m[k]);
			labels[k] = buckets[k];
			shown[k] = m[k];
		}
		snprintf(title, sizeof title, "%s %s (%s)", con_t(lang, "aging"),
			 PQgetvalue(res, r, 0), con_t(lang, "days_late"));
		con_lit(out, "<h3>");
		con_esc(out, PQgetvalue(res, r, 0));
		con_lit(out, "</h3>");
		snprintf(id, sizeof id, "aging-%s", PQgetvalue(res, r, 0));
		bars(out, id, title, labels, v, shown, 4, "#a40e26");
		con_lit(out, "<table><thead><tr>");
		th(out, lang, "days_late");
		th(out, lang, "amount");
		con_lit(out, "</tr></thead><tbody>");
		for (int k = 0; k < 4; k++) {
			con_printf(out,
				   "<tr data-aging=\"%s %s\" data-minor=\"%lld\"><td>%s</td>"
				   "<td class=\"num\">",
				   PQgetvalue(res, r, 0), buckets[k], v[k], buckets[k]);
			con_esc(out, m[k]);
			con_lit(out, "</td></tr>");
		}
		con_lit(out, "</tbody></table>");
	}
	con_lit(out, "</section>");
	PQclear(res);
}

static void outbox_and_agents(struct con_db *db, struct con_out *out, enum con_lang lang,
			      const char *now, const char *from, const char *to)
{
	static const char *const cols[] = {"name",           "claims",   "calls",   "reached",
					   "promise_to_pay", "payments", "disputes"};
	const char *p[3] = {now, from, to};
	PGresult *res = con_q(db, SQL_OUTBOX, 1, p);

	con_lit(out, "<div class=\"row\"><section><h2>");
	con_esc(out, con_t(lang, "outbox"));
	con_lit(out, "</h2>");
	if (res && PQntuples(res) == 1) {
		con_lit(out, "<p>");
		con_esc(out, con_t(lang, "outbox_depth"));
		con_printf(out, ": <strong data-outbox-depth=\"%s\">%s</strong></p><p>",
			   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
		con_esc(out, con_t(lang, "oldest_due"));
		con_lit(out, ": ");
		con_esc(out, PQgetvalue(res, 0, 1));
		con_lit(out, "</p>");
	}
	PQclear(res);
	con_lit(out, "</section><section><h2>");
	con_esc(out, con_t(lang, "agent_activity"));
	con_lit(out, "</h2><table><thead><tr>");
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
		th(out, lang, cols[k]);
	con_lit(out, "</tr></thead><tbody>");
	res = con_q(db, SQL_AGENTS, 3, p);
	for (int r = 0; res && r < PQntuples(res); r++) {
		con_lit(out, "<tr><td>");
		con_esc(out, PQgetvalue(res, r, 0));
		con_lit(out, "</td>");
		for (int k = 1; k < 7; k++)
			con_printf(out, "<td class=\"num\">%s</td>", PQgetvalue(res, r, k));
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table>");
	if (res && PQntuples(res) > 0) {
		const char *who[MAX_ROWS];
		long long calls[MAX_ROWS];
		int n = PQntuples(res) < MAX_ROWS ? PQntuples(res) : MAX_ROWS;
		for (int r = 0; r < n; r++) {
			who[r] = PQgetvalue(res, r, 0);
			calls[r] = strtoll(PQgetvalue(res, r, 2), NULL, 10);
		}
		bars(out, "calls", con_t(lang, "calls"), who, calls, NULL, n, "#0969da");
	}
	PQclear(res);
	con_lit(out, "</section></div>");
}

void con_dashboard(struct con_db *db, const struct con_in *in, const struct con_session *s,
		   struct con_out *out)
{
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN], from[11], to[11];

	if (con_period(in, from, to) != 0)
		return con_error_page(out, 400, lang, s, "err_form");
	tz_format_iso8601(in->now, now, sizeof now);
	con_head(out, lang, con_t(lang, "dashboard"), s, NULL);
	con_lit(out, "<h1>");
	con_esc(out, con_t(lang, "dashboard"));
	con_lit(out, "</h1><section>");
	con_period_form(out, lang, "/console/dashboard", from, to);
	con_lit(out, "</section>");
	funnel(db, out, lang, from, to);
	variants(db, out, lang, in->cfg ? in->cfg->policy : NULL, from, to);
	aging(db, out, lang, now);
	outbox_and_agents(db, out, lang, now, from, to);
	con_foot(out);
}
