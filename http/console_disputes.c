/* Disputes for supervisors, the complaint procedure: every open one by
 * status and age, the oldest first, those past the policy's resolution
 * target (dispute_target_days) marked, and the last 30 days' resolved ones
 * with the customer's satisfaction rating when it came; below them
 * dunnctl report disputes for a period, from its statement
 * (engine/report_sql). A dispute's page takes it on (assign),
 * keeps investigation notes, and moves it to investigating, upheld or
 * rejected through engine/caseops (the statement of dunnctl dispute), which
 * queues the customer's notice. Every step is an events row naming the
 * staff member. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "console_int.h"
#include "log.h"
#include "report_sql.h"
#include "tz.h"

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

/* dunnctl report disputes for the period: a row per reason and status,
 * then the totals; data-* attributes carry the figures as the CLI's JSON
 * names them. */
static void disputes_report(struct con_db *db, struct con_out *out, enum con_lang lang,
			    const char *from, const char *to)
{
	static const char *const cols[] = {"reason",   "status",          "disputes",
					   "resolved", "avg_hours",       "max_hours",
					   "rated",    "avg_satisfaction"};
	static const char *const keys[] = {
		"disputes", "resolved",        "avg_hours_to_resolve", "max_hours_to_resolve",
		"rated",    "avg_satisfaction"};
	const char *p[2] = {from, to};
	PGresult *res = con_q(db, REPORT_SQL_DISPUTES, 2, p);

	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "disputes_report"));
	con_lit(out, "</h2>");
	con_period_form(out, lang, "/console/disputes", from, to);
	if (!res || PQnfields(res) != REPORT_DISPUTES_NCOLS) {
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</section>");
		PQclear(res);
		return;
	}
	con_lit(out, "<table class=\"disputes-report\"><thead><tr>");
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		con_lit(out, "<th scope=\"col\">");
		con_esc(out, con_t(lang, cols[k]));
		con_lit(out, "</th>");
	}
	con_lit(out, "</tr></thead><tbody>");
	for (int r = 0; r < PQntuples(res); r++) {
		int total = atoi(PQgetvalue(res, r, 8)) != 0;
		con_lit(out, "<tr data-disputes-row=\"");
		if (total) {
			con_lit(out, "total");
		} else {
			con_esc(out, PQgetvalue(res, r, 0));
			con_lit(out, " / ");
			con_esc(out, PQgetvalue(res, r, 1));
		}
		con_lit(out, "\"");
		for (int k = 0; k < 6; k++)
			con_printf(out, " data-%s=\"%s\"", keys[k], PQgetvalue(res, r, 2 + k));
		con_lit(out, ">");
		if (total) {
			con_lit(out, "<th scope=\"row\" colspan=\"2\">");
			con_esc(out, con_t(lang, "total"));
			con_lit(out, "</th>");
		} else {
			con_lit(out, "<td>");
			con_esc(out, *PQgetvalue(res, r, 0) ? PQgetvalue(res, r, 0) : "-");
			con_lit(out, "</td><td>");
			con_esc(out, con_t(lang, PQgetvalue(res, r, 1)));
			con_lit(out, "</td>");
		}
		for (int k = 2; k < 8; k++) {
			con_lit(out, "<td class=\"num\">");
			con_esc(out, PQgetvalue(res, r, k));
			con_lit(out, "</td>");
		}
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table></section>");
	PQclear(res);
}

void con_disputes(struct con_db *db, const struct con_in *in, const struct con_session *s,
		  struct con_out *out)
{
	static const char *const cols[] = {"dispute",  "status",   "invoice",
					   "account",  "reason",   "opened",
					   "age_days", "resolved", "satisfaction"};
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN], from[11], to[11];
	const char *p[1] = {now};
	int target = in->dispute_target_days;
	PGresult *res;

	if (con_period(in, from, to) != 0)
		return con_error_page(out, 400, lang, s, "err_form");
	tz_format_iso8601(in->now, now, sizeof now);
	res = con_q(db, SQL_LIST, 1, p);
	if (!res)
		return con_error_page(out, 503, lang, s, "err_db");
	con_head(out, lang, con_t(lang, "disputes"), s, NULL);
	con_lit(out, "<h1>");
	con_esc(out, con_t(lang, "disputes"));
	con_printf(out, "</h1><section><p class=\"muted\">");
	con_esc(out, con_t(lang, "dispute_target"));
	con_printf(out, ": <strong data-dispute-target=\"%d\">%d</strong></p><table><thead><tr>",
		   target, target);
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		con_lit(out, "<th scope=\"col\">");
		con_esc(out, con_t(lang, cols[k]));
		con_lit(out, "</th>");
	}
	con_lit(out, "</tr></thead><tbody>");
	for (int r = 0; r < PQntuples(res); r++) {
		int open = !*PQgetvalue(res, r, 7);
		int late = open && atoi(PQgetvalue(res, r, 6)) > target;
		/* Marked by words as well as colour: past the target. */
		con_lit(out, late ? "<tr class=\"late-row\" data-late=\"1\">" : "<tr>");
		for (int k = 0; k < 9; k++) {
			con_lit(out,
				k == 6 && late   ? "<td class=\"num late\">"
					: k == 6 ? "<td class=\"num\">"
						 : "<td>");
			if (k == 0) {
				con_lit(out, "<a href=\"/console/dispute/");
				con_esc(out, PQgetvalue(res, r, 0));
				con_lit(out, "\">");
			}
			if (k == 3) {
				char *e = con_urlenc(PQgetvalue(res, r, 3));
				con_lit(out, "<a href=\"/console/case/");
				con_esc(out, e ? e : "");
				free(e);
				con_lit(out, "\">");
			}
			con_esc(out,
				k == 1 ? con_t(lang, PQgetvalue(res, r, k))
					: *PQgetvalue(res, r, k) ? PQgetvalue(res, r, k)
								 : "-");
			if (k == 6 && late) {
				con_lit(out, " <span class=\"tag\">");
				con_esc(out, con_t(lang, "past_target"));
				con_lit(out, "</span>");
			}
			con_lit(out, k == 3 || k == 0 ? "</a></td>" : "</td>");
		}
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table></section>");
	PQclear(res);
	disputes_report(db, out, lang, from, to);
	con_foot(out);
}

static const char SQL_ONE[] =
	"SELECT d.id, d.reference, d.status, i.external_ref, a.external_ref, a.id,\n"
	"       coalesce(d.reason, ''), coalesce(d.detail, ''), coalesce(d.resolution_note, ''),\n"
	"       to_char(d.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
	"       coalesce(to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), ''),\n"
	"       coalesce(d.satisfaction::text, ''), coalesce(d.original_amount, i.amount_due),\n"
	"       i.currency, d.channel,\n"
	"       coalesce((SELECT e.detail->>'staff' FROM dunning.events e\n"
	"                 WHERE e.kind = 'console_dispute_assigned'\n"
	"                   AND e.account_id = d.account_id AND e.detail->>'dispute_id' = d.id::text\n"
	"                 ORDER BY e.id DESC LIMIT 1), '')\n"
	"FROM dunning.disputes d\n"
	"JOIN dunning.invoices i ON i.account_id = d.account_id AND i.id = d.invoice_id\n"
	"JOIN dunning.accounts a ON a.id = d.account_id WHERE d.reference = $1";
enum {
	D_ID,
	D_REF,
	D_STATUS,
	D_INVOICE,
	D_ACCOUNT,
	D_ACCOUNT_ID,
	D_REASON,
	D_DETAIL,
	D_RESOLUTION,
	D_OPENED,
	D_RESOLVED,
	D_SATISFACTION,
	D_AMOUNT,
	D_CURRENCY,
	D_CHANNEL,
	D_ASSIGNEE
};

/* The dispute's own history: its events, notes included, oldest first
 * ($1 the dispute, $2 its account: every dispute event names it). */
static const char SQL_HISTORY[] =
	"SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), kind,\n"
	"       coalesce(detail->>'staff', ''), coalesce(detail->>'note', '')\n"
	"FROM dunning.events\n"
	"WHERE account_id = $2::bigint AND detail->>'dispute_id' = $1\n"
	"  AND (kind LIKE 'dispute%' OR kind LIKE 'console_dispute%')\n"
	"ORDER BY id";

static int ref_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && n < 20 && s[0] == 'D' && s[1] == '-' &&
		strspn(s + 2, "0123456789") == n - 2;
}

static void field(struct con_out *out, enum con_lang lang, const char *key, const char *v)
{
	con_lit(out, "<tr><th scope=\"row\">");
	con_esc(out, con_t(lang, key));
	con_lit(out, "</th><td>");
	con_esc(out, *v ? v : "-");
	con_lit(out, "</td></tr>");
}

static void post_form(struct con_out *out, const struct con_session *s, const char *ref,
		      const char *action, const char *label, const char *fields)
{
	con_printf(out, "<form method=\"post\" action=\"/console/dispute/%s/%s\">", ref, action);
	con_csrf_field(out, s);
	con_lit(out, fields);
	con_lit(out, "<button type=\"submit\">");
	con_esc(out, label);
	con_lit(out, "</button></form>");
}

static void dispute_page(struct con_db *db, const struct con_in *in, const struct con_session *s,
			 const char *ref, const char *flash, const char *why, struct con_out *out)
{
	enum con_lang lang = s->lang;
	const char *p[1] = {ref};
	char money[64], title[64];
	struct con_out f = {0};
	PGresult *d, *h;
	int open;

	(void)in;
	d = con_q(db, SQL_ONE, 1, p);
	if (!d)
		return con_error_page(out, 503, lang, s, "err_db");
	if (PQntuples(d) != 1) {
		PQclear(d);
		return con_error_page(out, 404, lang, s, "err_not_found");
	}
	open = !*PQgetvalue(d, 0, D_RESOLVED);
	snprintf(title, sizeof title, "%s %s", con_t(lang, "dispute"), ref);
	con_head(out, lang, title, s, flash);
	con_title(out, title, why);
	con_lit(out, "<section><table><tbody>");
	field(out, lang, "status", con_t(lang, PQgetvalue(d, 0, D_STATUS)));
	field(out, lang, "account", PQgetvalue(d, 0, D_ACCOUNT));
	field(out, lang, "invoice", PQgetvalue(d, 0, D_INVOICE));
	con_money(PQgetvalue(d, 0, D_AMOUNT), PQgetvalue(d, 0, D_CURRENCY), lang, money,
		  sizeof money);
	field(out, lang, "amount", money);
	field(out, lang, "reason", PQgetvalue(d, 0, D_REASON));
	field(out, lang, "detail", PQgetvalue(d, 0, D_DETAIL));
	field(out, lang, "opened", PQgetvalue(d, 0, D_OPENED));
	field(out, lang, "assignee", PQgetvalue(d, 0, D_ASSIGNEE));
	field(out, lang, "resolved", PQgetvalue(d, 0, D_RESOLVED));
	field(out, lang, "resolution", PQgetvalue(d, 0, D_RESOLUTION));
	field(out, lang, "satisfaction", PQgetvalue(d, 0, D_SATISFACTION));
	con_lit(out, "</tbody></table></section>");
	if (open) {
		con_lit(out, "<div class=\"row\"><section><h2>");
		con_esc(out, con_t(lang, "investigation"));
		con_lit(out, "</h2>");
		if (strcmp(PQgetvalue(d, 0, D_ASSIGNEE), s->name))
			post_form(out, s, ref, "assign", con_t(lang, "take_on"), "");
		con_printf(&f,
			   "<label for=\"note\">%s</label>"
			   "<textarea id=\"note\" name=\"note\" maxlength=\"2000\" required>"
			   "</textarea><br>",
			   con_t(lang, "note"));
		post_form(out, s, ref, "note", con_t(lang, "add_note"), f.body ? f.body : "");
		if (!strcmp(PQgetvalue(d, 0, D_STATUS), "open"))
			post_form(out, s, ref, "investigate", con_t(lang, "investigating"), "");
		con_lit(out, "</section><section><h2>");
		con_esc(out, con_t(lang, "resolve"));
		con_lit(out, "</h2>");
		f.len = 0;
		con_printf(&f,
			   "<label for=\"resolution\">%s</label>"
			   "<textarea id=\"resolution\" name=\"resolution\" maxlength=\"2000\" "
			   "required></textarea><br><label for=\"outcome\">%s</label>"
			   "<select id=\"outcome\" name=\"outcome\"><option value=\"upheld\">%s"
			   "</option><option value=\"rejected\">%s</option></select><br>",
			   con_t(lang, "resolution"), con_t(lang, "outcome"), con_t(lang, "upheld"),
			   con_t(lang, "rejected"));
		post_form(out, s, ref, "resolve", con_t(lang, "resolve"), f.body ? f.body : "");
		con_lit(out, "</section></div>");
	}
	free(f.body);
	{
		char id[24], account[24];
		const char *hp[2] = {id, account};
		snprintf(id, sizeof id, "%s", PQgetvalue(d, 0, D_ID));
		snprintf(account, sizeof account, "%s", PQgetvalue(d, 0, D_ACCOUNT_ID));
		h = con_q(db, SQL_HISTORY, 2, hp);
	}
	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "timeline"));
	con_lit(out, "</h2><table><thead><tr><th scope=\"col\">");
	con_esc(out, con_t(lang, "when_utc"));
	con_lit(out, "</th><th scope=\"col\">");
	con_esc(out, con_t(lang, "what"));
	con_lit(out, "</th><th scope=\"col\">");
	con_esc(out, con_t(lang, "assignee"));
	con_lit(out, "</th><th scope=\"col\">");
	con_esc(out, con_t(lang, "note"));
	con_lit(out, "</th></tr></thead><tbody>");
	for (int r = 0; h && r < PQntuples(h); r++) {
		con_lit(out, "<tr>");
		for (int k = 0; k < 4; k++) {
			con_lit(out, "<td>");
			con_esc(out, PQgetvalue(h, r, k));
			con_lit(out, "</td>");
		}
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table></section>");
	PQclear(h);
	con_foot(out);
	PQclear(d);
}

/* Valid UTF-8, no control characters but line breaks and tabs, at most
 * max bytes. */
static int text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;

	if (strlen(s) > max)
		return 0;
	while (*p) {
		int n = *p < 0x80             ? 1
			: (*p & 0xE0) == 0xC0 ? 2
			: (*p & 0xF0) == 0xE0 ? 3
			: (*p & 0xF8) == 0xF0 ? 4
					      : 0;
		if (n == 0 || (n == 2 && *p < 0xC2) || (n == 4 && *p > 0xF4))
			return 0;
		if (n == 1 && (*p < 0x20 || *p == 0x7f) && *p != '\n' && *p != '\r' && *p != '\t')
			return 0;
		for (int k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				return 0;
		if ((n == 3 && *p == 0xE0 && p[1] < 0xA0) ||
		    (n == 3 && *p == 0xED && p[1] >= 0xA0) ||
		    (n == 4 && *p == 0xF0 && p[1] < 0x90) || (n == 4 && *p == 0xF4 && p[1] >= 0x90))
			return 0;
		p += n;
	}
	return 1;
}

/* One step of the procedure; NULL when done, else why not. */
static const char *step(struct con_db *db, const struct con_in *in, const struct con_session *s,
			const char *ref, const char *action, const struct form *f)
{
	const char *p[1] = {ref};
	char at_s[TZ_ISO8601_LEN], did[24], acct[24];
	json_t *detail;
	char *dj;
	PGresult *res;
	int rc;

	res = con_q(db,
		    "SELECT d.id, d.account_id FROM dunning.disputes d WHERE d.reference = $1 "
		    "AND d.resolved_at IS NULL",
		    1, p);
	if (!res)
		return con_t(s->lang, "err_db");
	if (PQntuples(res) != 1) {
		PQclear(res);
		return con_t(s->lang, "err_resolved");
	}
	snprintf(did, sizeof did, "%s", PQgetvalue(res, 0, 0));
	snprintf(acct, sizeof acct, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	detail = json_pack("{s:I}", "dispute_id", (json_int_t)strtoll(did, NULL, 10));
	if (!detail)
		return con_t(s->lang, "err_db");
	tz_format_iso8601(in->now, at_s, sizeof at_s);
	if (!strcmp(action, "assign")) {
		json_object_set_new(detail, "assignee", json_string(s->name));
	} else if (!strcmp(action, "note")) {
		const char *note = form_get(f, "note");
		if (!note || !*note || !text_ok(note, 2000)) {
			json_decref(detail);
			return con_t(s->lang, "err_form");
		}
		json_object_set_new(detail, "note", json_string(note));
	} else if (!strcmp(action, "investigate") || !strcmp(action, "resolve")) {
		const char *status = "investigating", *text = NULL;
		if (!strcmp(action, "resolve")) {
			status = form_get(f, "outcome");
			text = form_get(f, "resolution");
			if (!status || (strcmp(status, "upheld") && strcmp(status, "rejected")) ||
			    !text || !*text || !text_ok(text, 2000)) {
				json_decref(detail);
				return con_t(s->lang, "err_form");
			}
			json_object_set_new(detail, "outcome", json_string(status));
		}
		{
			const char *rp[CASEOPS_DISPUTE_RESOLVE_NPARAMS] = {ref, status, text, at_s,
									   in->notice_channels};
			if (con_exec(db, "BEGIN") != 0) {
				json_decref(detail);
				return con_t(s->lang, "err_db");
			}
			res = con_q(db, CASEOPS_SQL_DISPUTE_RESOLVE,
				    CASEOPS_DISPUTE_RESOLVE_NPARAMS, rp);
			rc = res && atoi(PQgetvalue(res, 0, 0)) == 1;
			PQclear(res);
		}
		dj = rc ? json_dumps(detail, JSON_COMPACT) : NULL;
		json_decref(detail);
		if (!dj ||
		    con_audit(db, in, s,
			      !strcmp(action, "resolve") ? "console_dispute_resolved"
							 : "console_dispute_investigating",
			      acct, NULL, dj) != 0 ||
		    con_exec(db, "COMMIT") != 0) {
			free(dj);
			con_exec(db, "ROLLBACK");
			return con_t(s->lang, rc ? "err_db" : "err_resolved");
		}
		free(dj);
		log_info("console", "event=console_dispute_%s dispute_id=%s staff_id=%lld", action,
			 did, (long long)s->staff_id);
		return NULL;
	} else {
		json_decref(detail);
		return con_t(s->lang, "err_not_found");
	}
	dj = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	rc = dj ? con_audit(db, in, s,
			    !strcmp(action, "assign") ? "console_dispute_assigned"
						      : "console_dispute_note",
			    acct, NULL, dj)
		: -1;
	free(dj);
	return rc == 0 ? NULL : con_t(s->lang, "err_db");
}

void con_dispute(struct con_db *db, const struct con_in *in, const struct con_session *s,
		 const char *ref, const char *rest, const struct form *f, struct con_out *out)
{
	char loc[80];
	const char *why;

	if (!ref_ok(ref))
		return con_error_page(out, 404, s->lang, s, "err_not_found");
	if (!*rest) {
		char *m = con_query(in, "m");
		if (in->method != CON_GET && in->method != CON_HEAD) {
			free(m);
			return con_error_page(out, 405, s->lang, s, "err_method");
		}
		dispute_page(db, in, s, ref, m && !strcmp(m, "recorded") ? "recorded" : NULL, NULL,
			     out);
		free(m);
		return;
	}
	if (in->method != CON_POST)
		return con_error_page(out, 405, s->lang, s, "err_method");
	why = step(db, in, s, ref, rest + 1, f);
	if (why) {
		out->code = 422;
		return dispute_page(db, in, s, ref, "err_action", why, out);
	}
	snprintf(loc, sizeof loc, "/console/dispute/%s?m=recorded", ref);
	con_redirect(out, loc);
}
