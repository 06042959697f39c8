/* dunnctl report's late fees: per currency, the fees charged, waived and
 * paid (as the billing system marked them) over the report's UTC days,
 * each counted on the day it happened. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "money.h"

static const char SQL_FEES[] =
	"WITH d AS (SELECT $1::date AS lo, $2::date + 1 AS hi)\n"
	"SELECT f.currency,\n"
	"  coalesce(sum(f.amount) FILTER (WHERE f.created_at >= d.lo AND f.created_at < d.hi), 0),\n"
	"  coalesce(sum(f.amount) FILTER (WHERE f.waived_at >= d.lo AND f.waived_at < d.hi), 0),\n"
	"  coalesce(sum(f.amount) FILTER (WHERE f.paid_at >= d.lo AND f.paid_at < d.hi), 0)\n"
	"FROM dunning.fees f CROSS JOIN d\n"
	"WHERE (f.created_at >= d.lo AND f.created_at < d.hi)\n"
	"   OR (f.waived_at >= d.lo AND f.waived_at < d.hi)\n"
	"   OR (f.paid_at >= d.lo AND f.paid_at < d.hi)\n"
	"GROUP BY f.currency ORDER BY f.currency";

static json_t *plain(const char *minor, const char *cur)
{
	char buf[48];

	if (money_plain(strtoll(minor, NULL, 10), cur, buf, sizeof buf) < 0)
		return json_string(minor);
	return json_string(buf);
}

json_t *ctl_report_fees(struct ctl *c, const char *from, const char *to)
{
	const char *params[2] = {from, to};
	PGresult *res = ctl_exec(c, SQL_FEES, 2, params);
	json_t *out;

	if (!res)
		return NULL;
	out = json_object();
	for (int r = 0; r < PQntuples(res); r++) {
		const char *cur = PQgetvalue(res, r, 0);
		json_object_set_new(out, cur,
				    json_pack("{s:o, s:o, s:o}", "charged",
					      plain(PQgetvalue(res, r, 1), cur), "waived",
					      plain(PQgetvalue(res, r, 2), cur), "paid",
					      plain(PQgetvalue(res, r, 3), cur)));
	}
	PQclear(res);
	return out;
}

void ctl_report_fees_print(const json_t *fees)
{
	const char *cur;
	json_t *v;

	if (!fees || json_object_size(fees) == 0)
		return;
	printf("\nlate fees          %14s %14s %14s\n", "charged", "waived", "paid");
	json_object_foreach((json_t *)fees, cur, v) printf(
		"  %-16s %14s %14s %14s\n", cur, json_string_value(json_object_get(v, "charged")),
		json_string_value(json_object_get(v, "waived")),
		json_string_value(json_object_get(v, "paid")));
}
