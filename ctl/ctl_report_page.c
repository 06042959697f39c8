/* dunnctl report disputes and report page: how disputes go (by reason
 * and status, time to resolution, the customers' satisfaction) and what
 * customers do on their own page (visits and actions per escalation
 * stage). Called by ctl_report with argv[0] = "disputes" or "page". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caseops.h"
#include "ctl.h"
#include "report_sql.h"
#include "tz.h"

/* Page events in the period by the case's stage when they happened
 * ("-": no open case), with a total row: the events still there and, per
 * day, those of partitions purge dropped (report_page_daily, one row per
 * day, stage, kind and account, so visitors count once either way). */
static const char SQL_PAGE[] =
	"WITH ev AS (\n"
	"  SELECT coalesce(detail->>'stage', '-') AS stage, kind, account_id, 1::bigint AS n\n"
	"  FROM dunning.events\n"
	"  WHERE kind LIKE 'page\\_%'\n"
	"    AND at >= ($1::date)::timestamp AT TIME ZONE 'UTC'\n"
	"    AND at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'\n"
	"  UNION ALL\n"
	"  SELECT stage, kind, nullif(account_id, 0), n FROM dunning.report_page_daily\n"
	"  WHERE day >= $1::date AND day <= $2::date)\n"
	"SELECT stage,\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_view'), 0),\n"
	"       count(DISTINCT account_id) FILTER (WHERE kind = 'page_view'),\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_pay'), 0),\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_promise'), 0),\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_plan'), 0),\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_dispute'), 0),\n"
	"       coalesce(sum(n) FILTER (WHERE kind = 'page_rate'), 0),\n"
	"       grouping(stage)\n"
	"FROM ev\n"
	"GROUP BY GROUPING SETS ((stage), ())\n"
	"ORDER BY grouping(stage), nullif(stage, '-')::int NULLS LAST";

/* --from/--to (default: the last 30 days, today included), --json. */
static int period(int *argc, char **argv, const char *usage, char from[11], char to[11],
		  int *as_json)
{
	const char *from_s, *to_s;
	int64_t tf = 0, tt = (int64_t)time(NULL);
	char buf[TZ_ISO8601_LEN];

	*as_json = ctl_take_flag(argc, argv, "--json");
	from_s = ctl_take_opt(argc, argv, "--from");
	to_s = ctl_take_opt(argc, argv, "--to");
	if (*argc != 1) {
		fprintf(stderr, "Usage: dunnctl -c FILE report %s\n", usage);
		return 2;
	}
	if ((to_s && !caseops_date(to_s, &tt)) || (from_s && !caseops_date(from_s, &tf))) {
		fprintf(stderr, "dunnctl: --from and --to are days YYYY-MM-DD\n");
		return 2;
	}
	if (!from_s)
		tf = tt - 29 * 86400;
	tz_format_iso8601(tf, buf, sizeof buf);
	snprintf(from, 11, "%.10s", buf);
	tz_format_iso8601(tt, buf, sizeof buf);
	snprintf(to, 11, "%.10s", buf);
	if (strcmp(from, to) > 0) {
		fprintf(stderr, "dunnctl: --from %s is after --to %s\n", from, to);
		return 2;
	}
	return 0;
}

static json_t *num(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end)
		return json_null(); /* "-": nothing to average */
	return d == (double)(json_int_t)d && !strchr(s, '.') ? json_integer((json_int_t)d)
							     : json_real(d);
}

/* Both reports as JSON: a row per group, the columns named by keys (the
 * first nlabels text, null on the totals row, the rest numbers), and the
 * row flagged total (column nkeys) as "totals". Prints and frees. */
static int print_rows_json(PGresult *res, const char *from, const char *to, const char *const *keys,
			   int nkeys, int nlabels)
{
	json_t *doc = json_pack("{ss ss s[]}", "from", from, "to", to, "rows");
	json_t *rows = doc ? json_object_get(doc, "rows") : NULL;

	for (int r = 0; rows && r < PQntuples(res); r++) {
		json_t *o = json_object();
		int total = atoi(PQgetvalue(res, r, nkeys)) != 0;
		for (int k = 0; o && k < nkeys; k++)
			json_object_set_new(
				o, keys[k],
				k < nlabels
					? (total ? json_null() : json_string(PQgetvalue(res, r, k)))
					: num(PQgetvalue(res, r, k)));
		if (total)
			json_object_set_new(doc, "totals", o);
		else
			json_array_append_new(rows, o);
	}
	PQclear(res);
	return ctl_json_print(doc);
}

int ctl_report_disputes(struct ctl *c, int argc, char **argv)
{
	static const char *const keys[] = {"reason",
					   "status",
					   "disputes",
					   "resolved",
					   "avg_hours_to_resolve",
					   "max_hours_to_resolve",
					   "rated",
					   "avg_satisfaction"};
	char from[11], to[11];
	const char *params[2] = {from, to};
	PGresult *res;
	int as_json,
		rc = period(&argc, argv, "disputes [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]",
			    from, to, &as_json);

	if (rc)
		return rc;
	res = ctl_exec(c, REPORT_SQL_DISPUTES, 2, params);
	if (!res)
		return 1;
	if (!as_json) {
		printf("disputes opened %s .. %s\n", from, to);
		printf("%-18s %-14s %8s %8s %10s %10s %6s %6s\n", "reason", "status", "disputes",
		       "resolved", "avg_hours", "max_hours", "rated", "score");
		for (int r = 0; r < PQntuples(res); r++) {
			int total = atoi(PQgetvalue(res, r, 8)) != 0;
			printf("%-18s %-14s %8s %8s %10s %10s %6s %6s\n",
			       total ? "total" : ctl_text(PQgetvalue(res, r, 0)),
			       total ? "" : ctl_text(PQgetvalue(res, r, 1)), PQgetvalue(res, r, 2),
			       PQgetvalue(res, r, 3), PQgetvalue(res, r, 4), PQgetvalue(res, r, 5),
			       PQgetvalue(res, r, 6), PQgetvalue(res, r, 7));
		}
		PQclear(res);
		return 0;
	}
	return print_rows_json(res, from, to, keys, 8, 2);
}

int ctl_report_page(struct ctl *c, int argc, char **argv)
{
	static const char *const keys[] = {"stage",   "views", "visitors", "pay",
					   "promise", "plan",  "dispute",  "rate"};
	char from[11], to[11];
	const char *params[2] = {from, to};
	PGresult *res;
	int as_json,
		rc = period(&argc, argv, "page [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]",
			    from, to, &as_json);

	if (rc)
		return rc;
	res = ctl_exec(c, SQL_PAGE, 2, params);
	if (!res)
		return 1;
	if (!as_json) {
		printf("customer page %s .. %s (stage: steps taken when it happened)\n", from, to);
		printf("%-6s %7s %9s %6s %8s %6s %8s %6s\n", "stage", "views", "visitors", "pay",
		       "promise", "plan", "dispute", "rate");
		for (int r = 0; r < PQntuples(res); r++)
			printf("%-6s %7s %9s %6s %8s %6s %8s %6s\n",
			       atoi(PQgetvalue(res, r, 8)) ? "total" : PQgetvalue(res, r, 0),
			       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
			       PQgetvalue(res, r, 4), PQgetvalue(res, r, 5), PQgetvalue(res, r, 6),
			       PQgetvalue(res, r, 7));
		PQclear(res);
		return 0;
	}
	return print_rows_json(res, from, to, keys, 8, 1);
}
