/* Disputes for supervisors: every open one by status and age, the oldest
 * first, those past the resolution target marked; the latest resolved
 * with the customer's satisfaction rating when it came. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "tz.h"

/* Days an open dispute may take before it is marked late. */
#define DISPUTE_TARGET_DAYS 14

static const char SQL_LIST[] =
	"SELECT d.reference, d.status, i.external_ref, a.external_ref, coalesce(d.reason, ''),\n"
	"       to_char(d.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),\n"
	"       floor(extract(epoch FROM $1::timestamptz - d.opened_at) / 86400)::int,\n"
	"       coalesce(to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''),\n"
	"       coalesce(d.satisfaction::text, '')\n"
	"FROM dunning.disputes d JOIN dunning.invoices i ON i.id = d.invoice_id\n"
	"JOIN dunning.accounts a ON a.id = i.account_id\n"
	"WHERE d.resolved_at IS NULL OR d.resolved_at > $1::timestamptz - interval '30 days'\n"
	"ORDER BY d.resolved_at IS NOT NULL, d.status, d.opened_at, d.id LIMIT 500";

void con_disputes(struct con_db *db, const struct con_in *in, const struct con_session *s,
		  struct con_out *out)
{
	static const char *const cols[] = {"dispute", "status", "invoice", "account", "reason",
					   "opened", "age_days", "resolved", "satisfaction"};
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN];
	const char *p[1] = {now};
	PGresult *res;

	tz_format_iso8601(in->now, now, sizeof now);
	res = con_q(db, SQL_LIST, 1, p);
	if (!res)
		return con_error_page(out, 503, lang, s, "err_db");
	con_head(out, lang, con_t(lang, "disputes"), s, NULL);
	con_lit(out, "<h1>");
	con_esc(out, con_t(lang, "disputes"));
	con_printf(out, "</h1><section><p class=\"muted\">");
	con_esc(out, con_t(lang, "dispute_target"));
	con_printf(out, ": %d</p><table><thead><tr>", DISPUTE_TARGET_DAYS);
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		con_lit(out, "<th scope=\"col\">");
		con_esc(out, con_t(lang, cols[k]));
		con_lit(out, "</th>");
	}
	con_lit(out, "</tr></thead><tbody>");
	for (int r = 0; r < PQntuples(res); r++) {
		int open = !*PQgetvalue(res, r, 7);
		int late = open && atoi(PQgetvalue(res, r, 6)) > DISPUTE_TARGET_DAYS;
		con_lit(out, "<tr>");
		for (int k = 0; k < 9; k++) {
			con_lit(out, k == 6 && late ? "<td class=\"num late\">" : k == 6 ? "<td class=\"num\">"
											 : "<td>");
			if (k == 3) {
				char *e = con_urlenc(PQgetvalue(res, r, 3));
				con_lit(out, "<a href=\"/console/case/");
				con_esc(out, e ? e : "");
				free(e);
				con_lit(out, "\">");
			}
			con_esc(out, k == 1 ? con_t(lang, PQgetvalue(res, r, k))
				     : *PQgetvalue(res, r, k) ? PQgetvalue(res, r, k) : "-");
			con_lit(out, k == 3 ? "</a></td>" : "</td>");
		}
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table></section>");
	con_foot(out);
	PQclear(res);
}
