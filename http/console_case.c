/* Cases: find an account by its reference, email or phone (exact), and
 * its page: the customer (contact data masked until revealed, audited),
 * what is overdue, the timeline, and pause, resume and promise (through
 * engine/caseops) and pay (engine/payops), each with the checks dunnctl makes.
 * Every action writes an events row naming the staff member in the same
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "console_int.h"
#include "log.h"
#include "owed.h"
#include "payops.h"
#include "tz.h"

#define OWED_SQL                                                                                 \
	"LEFT JOIN LATERAL (\n"                                                                  \
	"  SELECT string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency) AS owed\n" \
	"  FROM dunning.account_owed(a.id, $1::timestamptz) o WHERE o.overdue > 0) b ON true\n"

static const char SQL_FIND[] =
	"SELECT a.external_ref, a.name, coalesce(b.owed, ''),\n"
	"       coalesce((SELECT c.state FROM dunning.cases c WHERE c.account_id = a.id\n"
	"                 ORDER BY c.cycle DESC LIMIT 1), '-')\n"
	"FROM dunning.accounts a\n" OWED_SQL
	"WHERE a.external_ref = $2 OR lower(a.email) = lower($2) OR a.phone = $3\n"
	"ORDER BY a.external_ref LIMIT 50";

static const char SQL_ACCOUNT[] =
	"SELECT a.id, a.external_ref, a.name, coalesce(a.email, ''), coalesce(a.phone, ''),\n"
	"       a.locale, a.timezone, coalesce(b.owed, ''),\n"
	"       coalesce(c.id::text, ''), coalesce(c.state, '-'), coalesce(c.pause_reason, ''),\n"
	"       coalesce(to_char(c.paused_until AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI'), '')\n"
	"FROM dunning.accounts a\n" OWED_SQL
	"LEFT JOIN LATERAL (SELECT * FROM dunning.cases c WHERE c.account_id = a.id\n"
	"                   AND c.state <> 'resolved' ORDER BY c.cycle DESC LIMIT 1) c ON true\n"
	"WHERE a.external_ref = $2";
enum {
	A_ID,
	A_REF,
	A_NAME,
	A_EMAIL,
	A_PHONE,
	A_LOCALE,
	A_TZ,
	A_OWED,
	A_CASE,
	A_STATE,
	A_REASON,
	A_UNTIL
};

/* An E.164 number from what was typed: spaces, dashes and brackets go. */
static void phone_of(const char *q, char *out, size_t len)
{
	size_t n = 0;

	for (; *q && n + 1 < len; q++)
		if ((*q >= '0' && *q <= '9') || (*q == '+' && n == 0))
			out[n++] = *q;
	out[n] = '\0';
}

void con_find(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      struct con_out *out)
{
	enum con_lang lang = s->lang;
	char *q = con_query(in, "q");
	char now[TZ_ISO8601_LEN], phone[64], owed[256];
	PGresult *res = NULL;

	tz_format_iso8601(in->now, now, sizeof now);
	if (q && strlen(q) > 200)
		q[200] = '\0';
	if (q && *q) {
		const char *p[3] = {now, q, phone};
		phone_of(q, phone, sizeof phone);
		res = con_q(db, SQL_FIND, 3, p);
		if (!res) {
			free(q);
			return con_error_page(out, 503, lang, s, "err_db");
		}
		con_audit(db, in, s, "console_search", NULL, NULL, NULL);
	}
	con_head(out, lang, con_t(lang, "find"), s, NULL);
	con_lit(out, "<h1>");
	con_esc(out, con_t(lang, "find"));
	con_lit(out,
		"</h1><section><form method=\"get\" action=\"/console/find\"><label for=\"q\">");
	con_esc(out, con_t(lang, "find_hint"));
	con_lit(out, "</label><input id=\"q\" name=\"q\" maxlength=\"200\" value=\"");
	con_esc(out, q ? q : "");
	con_lit(out, "\"><br><button type=\"submit\">");
	con_esc(out, con_t(lang, "search"));
	con_lit(out, "</button></form></section>");
	if (res) {
		con_lit(out, "<section><table><thead><tr><th scope=\"col\">");
		con_esc(out, con_t(lang, "account"));
		con_lit(out, "</th><th scope=\"col\">");
		con_esc(out, con_t(lang, "name"));
		con_lit(out, "</th><th scope=\"col\" class=\"num\">");
		con_esc(out, con_t(lang, "overdue"));
		con_lit(out, "</th><th scope=\"col\">");
		con_esc(out, con_t(lang, "case_state"));
		con_lit(out, "</th></tr></thead><tbody>");
		for (int r = 0; r < PQntuples(res); r++) {
			char *e = con_urlenc(PQgetvalue(res, r, 0));
			con_lit(out, "<tr><td><a href=\"/console/case/");
			con_esc(out, e ? e : "");
			free(e);
			con_lit(out, "\">");
			con_esc(out, PQgetvalue(res, r, 0));
			con_lit(out, "</a></td><td>");
			con_esc(out, PQgetvalue(res, r, 1));
			con_owed(PQgetvalue(res, r, 2), lang, owed, sizeof owed);
			con_lit(out, "</td><td class=\"num\">");
			con_esc(out, owed);
			con_lit(out, "</td><td>");
			con_esc(out, PQgetvalue(res, r, 3));
			con_lit(out, "</td></tr>");
		}
		if (PQntuples(res) == 0) {
			con_lit(out, "<tr><td colspan=\"4\">");
			con_esc(out, con_t(lang, "no_match"));
			con_lit(out, "</td></tr>");
		}
		con_lit(out, "</tbody></table></section>");
	}
	con_foot(out);
	PQclear(res);
	free(q);
}

static void action_form(struct con_out *out, const struct con_session *s, const char *ref,
			const char *action, const char *label, const char *fields)
{
	char *e = con_urlenc(ref);

	con_lit(out, "<form method=\"post\" action=\"/console/case/");
	con_esc(out, e ? e : "");
	free(e);
	con_lit(out, "/");
	con_lit(out, action);
	con_lit(out, "\">");
	con_csrf_field(out, s);
	con_lit(out, fields);
	con_lit(out, "<button type=\"submit\">");
	con_esc(out, label);
	con_lit(out, "</button></form>");
}

static void labelled(struct con_out *out, enum con_lang lang, const char *id, const char *key,
		     const char *input)
{
	con_printf(out, "<label for=\"%s\">", id);
	con_esc(out, con_t(lang, key));
	con_lit(out, "</label>");
	con_lit(out, input);
}

static void case_page(struct con_db *db, const struct con_in *in, const struct con_session *s,
		      const char *ref, int reveal, const char *flash, const char *why,
		      struct con_out *out)
{
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN], title[300];
	const char *p[2] = {now, ref};
	struct con_out f = {0};
	PGresult *a;
	int open;

	tz_format_iso8601(in->now, now, sizeof now);
	a = con_q(db, SQL_ACCOUNT, 2, p);
	if (!a)
		return con_error_page(out, 503, lang, s, "err_db");
	if (PQntuples(a) != 1) {
		PQclear(a);
		return con_error_page(out, 404, lang, s, "err_not_found");
	}
	if (reveal &&
	    con_audit(db, in, s, "console_contact_revealed", PQgetvalue(a, 0, A_ID),
		      *PQgetvalue(a, 0, A_CASE) ? PQgetvalue(a, 0, A_CASE) : NULL, NULL) != 0) {
		PQclear(a);
		return con_error_page(out, 503, lang, s, "err_db");
	}
	open = *PQgetvalue(a, 0, A_CASE) != '\0';
	snprintf(title, sizeof title, "%s %s", con_t(lang, "case"), ref);
	con_head(out, lang, title, s, flash);
	con_title(out, title, why);
	con_lit(out, "<section><p><strong>");
	con_esc(out, PQgetvalue(a, 0, A_NAME));
	con_lit(out, "</strong> &middot; ");
	con_account_facts(out, lang, PQgetvalue(a, 0, A_LOCALE), PQgetvalue(a, 0, A_TZ),
			  PQgetvalue(a, 0, A_PHONE), PQgetvalue(a, 0, A_EMAIL), reveal,
			  PQgetvalue(a, 0, A_OWED), PQgetvalue(a, 0, A_STATE));
	if (*PQgetvalue(a, 0, A_REASON)) {
		con_lit(out, " (");
		con_esc(out, PQgetvalue(a, 0, A_REASON));
		if (*PQgetvalue(a, 0, A_UNTIL)) {
			con_lit(out, ", ");
			con_esc(out, PQgetvalue(a, 0, A_UNTIL));
		}
		con_lit(out, ")");
	}
	con_lit(out, "</p>");
	if (!reveal)
		action_form(out, s, ref, "reveal", con_t(lang, "reveal"), "");
	con_invoices(db, out, lang, PQgetvalue(a, 0, A_ID), now);
	con_lit(out, "</section>");
	if (open) {
		con_lit(out, "<div class=\"row\"><section><h2>");
		con_esc(out, con_t(lang, "promise_to_pay"));
		con_lit(out, "</h2>");
		labelled(&f, lang, "p_until", "promise_until",
			 "<input id=\"p_until\" name=\"until\" type=\"date\" required>");
		action_form(out, s, ref, "promise", con_t(lang, "record"), f.body ? f.body : "");
		f.len = 0;
		con_lit(out, "</section><section><h2>");
		con_esc(out, con_t(lang, "pause"));
		con_lit(out, "</h2>");
		labelled(&f, lang, "reason", "pause_reason",
			 "<select id=\"reason\" name=\"reason\"><option value=\"manual\">manual"
			 "</option><option value=\"hardship\">hardship</option></select>");
		labelled(&f, lang, "s_until", "pause_until",
			 "<input id=\"s_until\" name=\"until\" type=\"date\">");
		labelled(&f, lang, "note", "note",
			 "<input id=\"note\" name=\"note\" maxlength=\"500\">");
		action_form(out, s, ref, "pause", con_t(lang, "pause"), f.body ? f.body : "");
		con_lit(out, "</section><section><h2>");
		con_esc(out, con_t(lang, "resume"));
		con_lit(out, "</h2>");
		action_form(out, s, ref, "resume", con_t(lang, "resume"), "");
		con_lit(out, "</section><section><h2>");
		con_esc(out, con_t(lang, "pay"));
		con_lit(out, "</h2>");
		f.len = 0;
		labelled(&f, lang, "pay_invoice", "invoice",
			 "<input id=\"pay_invoice\" name=\"invoice\" required maxlength=\"200\">");
		labelled(&f, lang, "pay_amount", "pay_amount",
			 "<input id=\"pay_amount\" name=\"amount\" inputmode=\"decimal\" "
			 "maxlength=\"32\">");
		action_form(out, s, ref, "pay", con_t(lang, "record"), f.body ? f.body : "");
		con_lit(out, "</section></div>");
	}
	free(f.body);
	con_timeline(db, out, lang, PQgetvalue(a, 0, A_ID));
	con_foot(out);
	PQclear(a);
}

/* A payment on one of the account's invoices, through dunnctl pay's code
 * (engine/payops): the payment_recorded event names the staff member. */
static const char *pay(struct con_db *db, const struct con_in *in, const struct con_session *s,
		       const char *ref, const struct form *f, char *why, size_t whylen)
{
	const char *inv = form_get(f, "invoice"), *amount = form_get(f, "amount");
	struct payops_args a = {0};
	struct payops_result r;
	const char *p[2] = {inv, ref};
	PGresult *res;
	char err[512];
	int mine;

	if (!inv || !*inv || strlen(inv) > 200 || (amount && strlen(amount) > 32))
		return con_t(s->lang, "err_form");
	/* Only an invoice of this account. */
	res = con_q(
		db,
		"SELECT 1 FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id\n"
		"WHERE i.external_ref = $1 AND a.external_ref = $2",
		2, p);
	if (!res)
		return con_t(s->lang, "err_db");
	mine = PQntuples(res) == 1;
	PQclear(res);
	if (!mine)
		return con_t(s->lang, "err_not_found");
	a.invoice_ref = inv;
	a.amount = amount && *amount ? amount : NULL;
	a.source = "console";
	a.actor = s->name;
	a.at = in->now;
	if (!db->conn || payops_record(db->conn, &a, &r, err, sizeof err) != 0) {
		snprintf(why, whylen, "%s", db->conn ? err : con_t(s->lang, "err_db"));
		return why;
	}
	if (*r.note) {
		snprintf(why, whylen, "%s", r.note);
		return why;
	}
	log_info("console", "event=console_payment payment_id=%s staff_id=%lld", r.payment_id,
		 (long long)s->staff_id);
	return NULL;
}

/* The caseops statement for action and the staff member's audit row, in
 * one transaction. NULL when done, else why not (static or in why). */
static const char *act(struct con_db *db, const struct con_in *in, const struct con_session *s,
		       const char *ref, const char *action, const struct form *f, char *why,
		       size_t whylen)
{
	const char *params[CASEOPS_PAUSE_NPARAMS] = {NULL};
	const char *until = form_get(f, "until"), *note = form_get(f, "note");
	char at_s[TZ_ISO8601_LEN], detail[64];
	int resume = !strcmp(action, "resume");
	PGresult *res;
	int64_t day;

	tz_format_iso8601(in->now, at_s, sizeof at_s);
	if (until && !*until)
		until = NULL;
	if (note && !*note)
		note = NULL;
	if (!strcmp(action, "promise")) {
		if (!until || !caseops_date(until, &day))
			return con_t(s->lang, "err_date");
		if (!caseops_promise_in_range(day, in->now, in->max_promise_days)) {
			snprintf(why, whylen, "%s (max_promise_days %d)",
				 con_t(s->lang, "err_date"), in->max_promise_days);
			return why;
		}
		params[2] = "promise";
	} else if (!strcmp(action, "pause")) {
		const char *r = form_get(f, "reason");
		if (!r || (strcmp(r, "manual") && strcmp(r, "hardship")))
			return con_t(s->lang, "err_form");
		if (until && !caseops_date(until, &day))
			return con_t(s->lang, "err_date");
		if (note && strlen(note) > 500)
			return con_t(s->lang, "err_form");
		params[2] = r;
		params[3] = note;
	} else if (!strcmp(action, "pay")) {
		return pay(db, in, s, ref, f, why, whylen);
	} else if (!resume) {
		return con_t(s->lang, "err_not_found");
	}
	if (con_exec(db, "BEGIN") != 0)
		return con_t(s->lang, "err_db");
	if (resume) {
		const char *rp[2] = {ref, at_s};
		res = con_q(db, CASEOPS_SQL_RESUME, CASEOPS_RESUME_NPARAMS, rp);
	} else {
		params[0] = ref;
		params[1] = until;
		params[4] = at_s;
		params[5] = in->notice_channels;
		params[6] = "console";
		res = con_q(db, CASEOPS_SQL_PAUSE, CASEOPS_PAUSE_NPARAMS, params);
	}
	if (!res || atoi(PQgetvalue(res, 0, 0)) == 0 || atoi(PQgetvalue(res, 0, 1)) == 0) {
		int found = res && atoi(PQgetvalue(res, 0, 0)) > 0;
		PQclear(res);
		con_exec(db, "ROLLBACK");
		if (!res)
			return con_t(s->lang, "err_db");
		return con_t(s->lang,
			     !found           ? "err_not_found"
				     : resume ? "err_not_paused"
					      : "err_no_case");
	}
	PQclear(res);
	snprintf(detail, sizeof detail, "{\"action\": \"%s\"}", action);
	{
		const char *p[2] = {ref, NULL};
		PGresult *ids = con_q(db,
				      "SELECT a.id, (SELECT max(c.id) FROM dunning.cases c WHERE "
				      "c.account_id = a.id) FROM dunning.accounts a "
				      "WHERE a.external_ref = $1",
				      1, p);
		int bad = !ids || PQntuples(ids) != 1 ||
			con_audit(db, in, s, "console_case_action", PQgetvalue(ids, 0, 0),
				  PQgetvalue(ids, 0, 1), detail) != 0;
		PQclear(ids);
		if (bad || con_exec(db, "COMMIT") != 0) {
			con_exec(db, "ROLLBACK");
			return con_t(s->lang, "err_db");
		}
	}
	log_info("console", "event=console_case_action action=%s staff_id=%lld", action,
		 (long long)s->staff_id);
	return NULL;
}

void con_case(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *ref, const char *rest, const struct form *f, struct con_out *out)
{
	char why[600], loc[600];
	const char *err;
	char *e;

	if (!*rest) {
		char *m = con_query(in, "m");
		if (in->method != CON_GET && in->method != CON_HEAD) {
			free(m);
			return con_error_page(out, 405, s->lang, s, "err_method");
		}
		case_page(db, in, s, ref, 0, m && !strcmp(m, "recorded") ? "recorded" : NULL, NULL,
			  out);
		free(m);
		return;
	}
	if (in->method != CON_POST)
		return con_error_page(out, 405, s->lang, s, "err_method");
	if (!strcmp(rest, "/reveal"))
		return case_page(db, in, s, ref, 1, NULL, NULL, out);
	err = act(db, in, s, ref, rest + 1, f, why, sizeof why);
	if (err) {
		out->code = 422;
		return case_page(db, in, s, ref, 0, "err_action", err, out);
	}
	e = con_urlenc(ref);
	snprintf(loc, sizeof loc, "/console/case/%s?m=recorded", e ? e : "");
	free(e);
	con_redirect(out, loc);
}
