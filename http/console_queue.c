/* The call queue: the call tasks due now, oldest first; "next task"
 * claims the oldest one nobody else holds. The task page shows the
 * customer (contact data masked until "reveal", which is audited), what
 * is overdue, the case's whole timeline, the call script, and the outcome
 * form, which runs engine/taskops: the statements of dunnctl tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "log.h"
#include "owed.h"
#include "taskops.h"
#include "tz.h"

#define OWED_SQL                                                                                 \
	"LEFT JOIN LATERAL (\n"                                                                  \
	"  SELECT string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency) AS owed\n" \
	"  FROM dunning.account_owed(a.id, $1::timestamptz) o WHERE o.overdue > 0) b ON true\n"

static const char SQL_QUEUE[] =
	"SELECT t.id, to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
	"       coalesce(t.assignee, ''), a.external_ref, a.name, coalesce(b.owed, ''),\n"
	"       (SELECT count(*) FROM dunning.phone_tasks l WHERE l.completed_at IS NULL\n"
	"          AND l.kind = 'call' AND l.due_at > $1::timestamptz)\n"
	"FROM dunning.phone_tasks t JOIN dunning.cases c ON c.id = t.case_id\n"
	"JOIN dunning.accounts a ON a.id = c.account_id\n" OWED_SQL
	"WHERE t.completed_at IS NULL AND t.kind = 'call' AND t.due_at <= $1::timestamptz\n"
	"ORDER BY t.due_at, t.id LIMIT 200";

/* The oldest due call task the person may take: their own first. */
static const char SQL_NEXT[] =
	"SELECT id FROM dunning.phone_tasks\n"
	"WHERE completed_at IS NULL AND kind = 'call' AND due_at <= $1::timestamptz\n"
	"  AND (assignee IS NULL OR assignee = $2)\n"
	"ORDER BY assignee IS NULL, due_at, id LIMIT 1";

static const char SQL_TASK[] =
	"SELECT t.id, to_char(t.due_at AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI'),\n"
	"       coalesce(t.assignee, ''), coalesce(t.outcome, ''), t.completed_at IS NOT NULL,\n"
	"       t.kind, coalesce(t.note, ''), a.id, a.external_ref, a.name,\n"
	"       coalesce(a.email, ''), coalesce(a.phone, ''), a.locale, a.timezone, c.id,\n"
	"       c.state, coalesce(b.owed, ''), c.stage\n"
	"FROM dunning.phone_tasks t\n"
	"JOIN dunning.cases c ON c.account_id = t.account_id AND c.id = t.case_id\n"
	"JOIN dunning.accounts a ON a.id = t.account_id\n" OWED_SQL "WHERE t.id = $2::bigint";
enum {
	T_ID,
	T_DUE,
	T_ASSIGNEE,
	T_OUTCOME,
	T_DONE,
	T_KIND,
	T_NOTE,
	T_ACCOUNT,
	T_REF,
	T_NAME,
	T_EMAIL,
	T_PHONE,
	T_LOCALE,
	T_TZ,
	T_CASE,
	T_STATE,
	T_OWED,
	T_STAGE
};

static const char SQL_INVOICES[] =
	"SELECT i.external_ref, i.amount_due - i.amount_paid, i.currency,\n"
	"       to_char(i.due_date, 'YYYY-MM-DD'),\n"
	"       dunning.local_date($2::timestamptz, a.timezone) - i.due_date, i.disputed,\n"
	"       coalesce(i.description, '')\n"
	"FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id\n"
	"WHERE i.account_id = $1::bigint AND i.paid_at IS NULL AND i.amount_due > i.amount_paid\n"
	"ORDER BY i.due_date, i.id";

/* Every row about the account, newest first: reminders and their status,
 * replies, page visits and actions, promises, plans, disputes, calls. */
static const char SQL_TIMELINE[] =
	"SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), what, detail FROM (\n"
	"  SELECT d.created_at AS at, 'message' AS what,\n"
	"         d.kind || ' ' || d.template || ' (' || d.channel || '): ' || d.status ||\n"
	"         coalesce(' - ' || left(d.last_error, 120), '') AS detail, d.id AS k\n"
	"  FROM dunning.deliveries d WHERE d.account_id = $1::bigint\n"
	"  UNION ALL\n"
	"  SELECT m.received_at, 'reply', m.channel || ': ' || left(m.body, 300), m.id\n"
	"  FROM dunning.inbound_messages m WHERE m.account_id = $1::bigint\n"
	"  UNION ALL\n"
	"  SELECT e.at, 'event', e.kind || coalesce(' ' || nullif((e.detail - 'stage')::text, '{}'),\n"
	"         ''), e.id\n"
	"  FROM dunning.events e WHERE e.account_id = $1::bigint\n"
	"  UNION ALL\n"
	"  SELECT p.opened_at, 'dispute', p.reference || ' ' || p.status || ': ' ||\n"
	"         coalesce(p.reason, '') || coalesce(' - ' || p.resolution_note, ''), p.id\n"
	"  FROM dunning.disputes p WHERE p.account_id = $1::bigint\n"
	"  UNION ALL\n"
	"  SELECT l.created_at, 'plan', 'plan ' || l.id || ': ' || l.status, l.id\n"
	"  FROM dunning.payment_plans l WHERE l.account_id = $1::bigint\n"
	"  UNION ALL\n"
	"  SELECT t.created_at, 'call', 'task ' || t.id || ': ' || coalesce(t.outcome, 'open') ||\n"
	"         coalesce(' (' || t.assignee || ')', ''), t.id\n"
	"  FROM dunning.phone_tasks t WHERE t.account_id = $1::bigint\n"
	") x ORDER BY at DESC, k DESC LIMIT 300";

static void h1(struct con_out *o, enum con_lang lang, const char *key)
{
	con_lit(o, "<h1>");
	con_esc(o, con_t(lang, key));
	con_lit(o, "</h1>");
}

static void th(struct con_out *o, enum con_lang lang, const char *key, int num)
{
	con_lit(o, num ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
	con_esc(o, con_t(lang, key));
	con_lit(o, "</th>");
}

static void td(struct con_out *o, const char *v, int num)
{
	con_lit(o, num ? "<td class=\"num\">" : "<td>");
	con_esc(o, v);
	con_lit(o, "</td>");
}

static char *flash_of(const struct con_in *in)
{
	char *m = con_query(in, "m");

	if (m && (strlen(m) > 32 || strspn(m, "abcdefghijklmnopqrstuvwxyz_") != strlen(m))) {
		free(m);
		m = NULL;
	}
	return m;
}

void con_queue(struct con_db *db, const struct con_in *in, const struct con_session *s,
	       struct con_out *out)
{
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN], owed[256];
	const char *p[1] = {now};
	char *flash = flash_of(in);
	PGresult *res;
	int n;

	tz_format_iso8601(in->now, now, sizeof now);
	res = con_q(db, SQL_QUEUE, 1, p);
	if (!res) {
		free(flash);
		return con_error_page(out, 503, lang, s, "err_db");
	}
	n = PQntuples(res);
	con_head(out, lang, con_t(lang, "queue"), s, flash);
	free(flash);
	h1(out, lang, "queue");
	con_lit(out, "<section><form method=\"post\" action=\"/console/queue/next\">");
	con_csrf_field(out, s);
	con_lit(out, "<button type=\"submit\">");
	con_esc(out, con_t(lang, "next_task"));
	con_lit(out, "</button></form>");
	con_printf(out, "<p class=\"muted\">%d ", n);
	con_esc(out, con_t(lang, "due_now"));
	con_printf(out, " &middot; %s ", n ? PQgetvalue(res, 0, 6) : "0");
	con_esc(out, con_t(lang, "due_later"));
	con_lit(out, "</p>");
	if (n) {
		con_lit(out, "<table><thead><tr>");
		th(out, lang, "task", 0);
		th(out, lang, "due_utc", 0);
		th(out, lang, "account", 0);
		th(out, lang, "name", 0);
		th(out, lang, "overdue", 1);
		th(out, lang, "assignee", 0);
		con_lit(out, "</tr></thead><tbody>");
		for (int r = 0; r < n; r++) {
			con_lit(out, "<tr><td><a href=\"/console/task/");
			con_esc(out, PQgetvalue(res, r, 0));
			con_lit(out, "\">#");
			con_esc(out, PQgetvalue(res, r, 0));
			con_lit(out, "</a></td>");
			td(out, PQgetvalue(res, r, 1), 0);
			td(out, PQgetvalue(res, r, 3), 0);
			td(out, PQgetvalue(res, r, 4), 0);
			con_owed(PQgetvalue(res, r, 5), lang, owed, sizeof owed);
			td(out, owed, 1);
			td(out, *PQgetvalue(res, r, 2) ? PQgetvalue(res, r, 2) : "-", 0);
			con_lit(out, "</tr>");
		}
		con_lit(out, "</tbody></table>");
	}
	con_lit(out, "</section>");
	con_foot(out);
	PQclear(res);
}

/* Claim task id for s; 1 claimed, 0 not (someone else holds it or it is
 * done), -1 failure. */
static int claim(struct con_db *db, const struct con_in *in, const struct con_session *s,
		 const char *id)
{
	char now[TZ_ISO8601_LEN];
	const char *p[3] = {id, s->name, now};
	PGresult *res;
	int rc;

	tz_format_iso8601(in->now, now, sizeof now);
	res = con_q(db, TASKOPS_SQL_CLAIM, 3, p);
	if (!res)
		return -1;
	rc = atoi(PQgetvalue(res, 0, 0)) == 1;
	PQclear(res);
	return rc;
}

void con_queue_next(struct con_db *db, const struct con_in *in, const struct con_session *s,
		    struct con_out *out)
{
	char now[TZ_ISO8601_LEN], id[24], loc[64];
	const char *p[2] = {now, s->name};

	tz_format_iso8601(in->now, now, sizeof now);
	/* Another agent may take the same one first: then the next. */
	for (int tries = 0; tries < 5; tries++) {
		PGresult *res = con_q(db, SQL_NEXT, 2, p);
		int rc;
		if (!res)
			return con_error_page(out, 503, s->lang, s, "err_db");
		if (PQntuples(res) == 0) {
			PQclear(res);
			return con_redirect(out, "/console/queue?m=queue_empty");
		}
		snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		rc = claim(db, in, s, id);
		if (rc < 0)
			return con_error_page(out, 503, s->lang, s, "err_db");
		if (rc == 1) {
			snprintf(loc, sizeof loc, "/console/task/%s", id);
			return con_redirect(out, loc);
		}
	}
	con_redirect(out, "/console/queue?m=queue_empty");
}

void con_timeline(struct con_db *db, struct con_out *out, enum con_lang lang,
		  const char *account_id)
{
	const char *p[1] = {account_id};
	PGresult *res = con_q(db, SQL_TIMELINE, 1, p);

	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "timeline"));
	con_lit(out, "</h2>");
	if (!res) {
		con_esc(out, con_t(lang, "err_db"));
		con_lit(out, "</section>");
		return;
	}
	con_lit(out, "<table><thead><tr>");
	th(out, lang, "when_utc", 0);
	th(out, lang, "what", 0);
	th(out, lang, "detail", 0);
	con_lit(out, "</tr></thead><tbody>");
	for (int r = 0; r < PQntuples(res); r++) {
		con_lit(out, "<tr>");
		td(out, PQgetvalue(res, r, 0), 0);
		td(out, con_t(lang, PQgetvalue(res, r, 1)), 0);
		td(out, PQgetvalue(res, r, 2), 0);
		con_lit(out, "</tr>");
	}
	con_lit(out, "</tbody></table></section>");
	PQclear(res);
}

void con_invoices(struct con_db *db, struct con_out *out, enum con_lang lang,
		  const char *account_id, const char *now)
{
	const char *p[2] = {account_id, now};
	char money[64];
	PGresult *res;

	res = con_q(db, SQL_INVOICES, 2, p);
	if (res && PQntuples(res)) {
		con_lit(out, "<table><thead><tr>");
		th(out, lang, "invoice", 0);
		th(out, lang, "due_date", 0);
		th(out, lang, "days_late", 1);
		th(out, lang, "amount", 1);
		th(out, lang, "description", 0);
		con_lit(out, "</tr></thead><tbody>");
		for (int r = 0; r < PQntuples(res); r++) {
			int late = atoi(PQgetvalue(res, r, 4));
			con_lit(out, "<tr>");
			td(out, PQgetvalue(res, r, 0), 0);
			td(out, PQgetvalue(res, r, 3), 0);
			con_printf(out, "<td class=\"num%s\">%d</td>", late > 0 ? " late" : "",
				   late > 0 ? late : 0);
			con_money(PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), lang, money,
				  sizeof money);
			td(out, money, 1);
			con_lit(out, "<td>");
			con_esc(out, PQgetvalue(res, r, 6));
			if (PQgetvalue(res, r, 5)[0] == 't') {
				con_lit(out, " <em>(");
				con_esc(out, con_t(lang, "disputed"));
				con_lit(out, ")</em>");
			}
			con_lit(out, "</td></tr>");
		}
		con_lit(out, "</tbody></table>");
	}
	PQclear(res);
}

/* The customer and what they owe: the part of the task page (and the case
 * page) above the timeline. */
static void customer(struct con_db *db, struct con_out *out, enum con_lang lang, const PGresult *t,
		     const char *now, int reveal)
{
	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "customer"));
	con_lit(out, "</h2><p><strong>");
	con_esc(out, PQgetvalue(t, 0, T_NAME));
	con_lit(out, "</strong> &middot; <a href=\"/console/case/");
	con_esc(out, PQgetvalue(t, 0, T_REF));
	con_lit(out, "\">");
	con_esc(out, PQgetvalue(t, 0, T_REF));
	con_lit(out, "</a> &middot; ");
	con_account_facts(out, lang, PQgetvalue(t, 0, T_LOCALE), PQgetvalue(t, 0, T_TZ),
			  PQgetvalue(t, 0, T_PHONE), PQgetvalue(t, 0, T_EMAIL), reveal,
			  PQgetvalue(t, 0, T_OWED), PQgetvalue(t, 0, T_STATE));
	con_lit(out, "</p>");
	con_invoices(db, out, lang, PQgetvalue(t, 0, T_ACCOUNT), now);
	con_lit(out, "</section>");
}

static void button_form(struct con_out *out, const struct con_session *s, const char *action,
			const char *label)
{
	con_lit(out, "<form method=\"post\" action=\"");
	con_esc(out, action);
	con_lit(out, "\">");
	con_csrf_field(out, s);
	con_lit(out, "<button type=\"submit\">");
	con_esc(out, label);
	con_lit(out, "</button></form>");
}

static const char *const outcome_keys[] = {"reached", "no_answer",    "promise_to_pay",
					   "dispute", "wrong_number", "callback"};

static void outcome_form(struct con_out *out, const struct con_session *s, const char *id)
{
	enum con_lang lang = s->lang;

	con_lit(out, "<section><h2>");
	con_esc(out, con_t(lang, "outcome"));
	con_printf(out, "</h2><form method=\"post\" action=\"/console/task/%s/outcome\">", id);
	con_csrf_field(out, s);
	con_lit(out, "<label for=\"outcome\">");
	con_esc(out, con_t(lang, "outcome"));
	con_lit(out, "</label><select id=\"outcome\" name=\"outcome\">");
	for (size_t k = 0; k < sizeof outcome_keys / sizeof outcome_keys[0]; k++) {
		con_printf(out, "<option value=\"%s\">", outcome_keys[k]);
		con_esc(out, con_t(lang, outcome_keys[k]));
		con_lit(out, "</option>");
	}
	con_lit(out, "</select><label for=\"until\">");
	con_esc(out, con_t(lang, "promise_until"));
	con_lit(out,
		"</label><input id=\"until\" name=\"until\" type=\"date\"><label for=\"invoice\">");
	con_esc(out, con_t(lang, "dispute_invoice"));
	con_lit(out,
		"</label><input id=\"invoice\" name=\"invoice\" maxlength=\"200\">"
		"<label for=\"reason\">");
	con_esc(out, con_t(lang, "dispute_reason"));
	con_lit(out,
		"</label><input id=\"reason\" name=\"reason\" maxlength=\"500\">"
		"<label for=\"callback_at\">");
	con_esc(out, con_t(lang, "callback_at"));
	con_lit(out,
		"</label><input id=\"callback_at\" name=\"callback_at\" type=\"datetime-local\">"
		"<br><button type=\"submit\">");
	con_esc(out, con_t(lang, "record"));
	con_lit(out, "</button></form></section>");
}

/* GET the page; reveal: the POST that shows contact data (audited). */
static void task_page(struct con_db *db, const struct con_in *in, const struct con_session *s,
		      const char *id, int reveal, const char *flash, const char *why,
		      struct con_out *out)
{
	enum con_lang lang = s->lang;
	char now[TZ_ISO8601_LEN], title[64], act[64];
	const char *p[2] = {now, id};
	PGresult *t;
	int mine, done;

	tz_format_iso8601(in->now, now, sizeof now);
	t = con_q(db, SQL_TASK, 2, p);
	if (!t)
		return con_error_page(out, 503, lang, s, "err_db");
	if (PQntuples(t) != 1) {
		PQclear(t);
		return con_error_page(out, 404, lang, s, "err_not_found");
	}
	if (reveal) {
		char detail[64];
		snprintf(detail, sizeof detail, "{\"phone_task_id\": %s}", id);
		if (con_audit(db, in, s, "console_contact_revealed", PQgetvalue(t, 0, T_ACCOUNT),
			      PQgetvalue(t, 0, T_CASE), detail) != 0) {
			PQclear(t);
			return con_error_page(out, 503, lang, s, "err_db");
		}
	}
	mine = !strcmp(PQgetvalue(t, 0, T_ASSIGNEE), s->name);
	done = PQgetvalue(t, 0, T_DONE)[0] == 't';
	snprintf(title, sizeof title, "%s #%s", con_t(lang, "task"), id);
	con_head(out, lang, title, s, flash);
	con_title(out, title, why);
	con_lit(out, "<p class=\"muted\">");
	con_esc(out, con_t(lang, "due"));
	con_lit(out, ": ");
	con_esc(out, PQgetvalue(t, 0, T_DUE));
	con_lit(out, " &middot; ");
	con_esc(out, con_t(lang, "assignee"));
	con_lit(out, ": ");
	con_esc(out, *PQgetvalue(t, 0, T_ASSIGNEE) ? PQgetvalue(t, 0, T_ASSIGNEE) : "-");
	if (done) {
		con_lit(out, " &middot; ");
		con_esc(out, con_t(lang, "outcome"));
		con_lit(out, ": ");
		con_esc(out, con_t(lang, PQgetvalue(t, 0, T_OUTCOME)));
	}
	con_lit(out, "</p><div class=\"row\">");
	if (!done && !mine && !*PQgetvalue(t, 0, T_ASSIGNEE)) {
		snprintf(act, sizeof act, "/console/task/%s/claim", id);
		button_form(out, s, act, con_t(lang, "claim"));
	}
	if (!reveal) {
		snprintf(act, sizeof act, "/console/task/%s/reveal", id);
		button_form(out, s, act, con_t(lang, "reveal"));
	}
	con_lit(out, "</div>");
	customer(db, out, lang, t, now, reveal);
	con_lit(out, "<div class=\"row\"><section><h2>");
	con_esc(out, con_t(lang, "script"));
	con_lit(out, "</h2><pre>");
	con_esc(out, PQgetvalue(t, 0, T_NOTE));
	con_lit(out, "</pre></section>");
	if (!done && (mine || !*PQgetvalue(t, 0, T_ASSIGNEE)) &&
	    !strcmp(PQgetvalue(t, 0, T_KIND), "call"))
		outcome_form(out, s, id);
	con_lit(out, "</div>");
	con_timeline(db, out, lang, PQgetvalue(t, 0, T_ACCOUNT));
	con_foot(out);
	PQclear(t);
}

/* "YYYY-MM-DDTHH:MM" in the account's zone as a UTC instant. */
static int local_instant(struct con_db *db, const char *task, const char *local, char *out,
			 size_t len)
{
	const char *p[2] = {local, task};
	PGresult *res;
	int ok;

	if (!local || strlen(local) < 16 || strlen(local) > 19 ||
	    strspn(local, "0123456789-T:") != strlen(local))
		return -1;
	res = con_q(db,
		    "SELECT to_char(($1::timestamp AT TIME ZONE a.timezone) AT TIME ZONE 'UTC',\n"
		    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')\n"
		    "FROM dunning.phone_tasks t JOIN dunning.accounts a ON a.id = t.account_id\n"
		    "WHERE t.id = $2::bigint",
		    2, p);
	ok = res && PQntuples(res) == 1;
	if (ok)
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return ok ? 0 : -1;
}

static void outcome(struct con_db *db, const struct con_in *in, const struct con_session *s,
		    const char *id, const struct form *f, struct con_out *out)
{
	struct taskops_outcome o = {0};
	char err[512], cb[40], loc[80];
	json_t *res = json_object();
	int rc;

	o.id = id;
	o.outcome = form_get(f, "outcome");
	o.until = form_get(f, "until");
	o.invoice = form_get(f, "invoice");
	o.reason = form_get(f, "reason");
	o.as = s->name;
	o.staff = s->name;
	o.at = in->now;
	o.max_promise_days = in->max_promise_days;
	o.notice_channels = in->notice_channels;
	if (!res)
		return con_error_page(out, 503, s->lang, s, "err_db");
	if (o.outcome && !strcmp(o.outcome, "callback")) {
		if (local_instant(db, id, form_get(f, "callback_at"), cb, sizeof cb) != 0) {
			json_decref(res);
			out->code = 422;
			return task_page(db, in, s, id, 0, "err_form",
					 con_t(s->lang, "callback_at"), out);
		}
		o.callback_at = cb;
	}
	if (!taskops_valid(o.outcome) || !strcmp(o.outcome, "opt_out") ||
	    !strcmp(o.outcome, "not_opt_out")) {
		json_decref(res);
		out->code = 422;
		return task_page(db, in, s, id, 0, "err_form", NULL, out);
	}
	if (o.until && !*o.until)
		o.until = NULL;
	if (con_exec(db, "BEGIN") != 0) {
		json_decref(res);
		return con_error_page(out, 503, s->lang, s, "err_db");
	}
	/* A task someone else holds is theirs to complete. */
	{
		const char *p[2] = {id, s->name};
		PGresult *r = con_q(db,
				    "SELECT 1 FROM dunning.phone_tasks WHERE id = $1::bigint\n"
				    "  AND assignee IS NOT NULL AND assignee <> $2 FOR UPDATE",
				    2, p);
		rc = !r ? 1 : PQntuples(r) ? 3 : 0;
		PQclear(r);
	}
	if (rc == 3)
		snprintf(err, sizeof err, "%s", con_t(s->lang, "err_claim"));
	else if (rc == 0)
		rc = taskops_apply(db->conn, &o, res, err, sizeof err);
	else
		snprintf(err, sizeof err, "%s", con_t(s->lang, "err_db"));
	json_decref(res);
	if (rc != 0 || con_exec(db, "COMMIT") != 0) {
		con_exec(db, "ROLLBACK");
		log_info("console", "event=console_outcome_refused phone_task_id=%s outcome=%s", id,
			 o.outcome);
		out->code = 422;
		return task_page(db, in, s, id, 0, "err_outcome", err, out);
	}
	log_info("console", "event=console_outcome phone_task_id=%s outcome=%s", id, o.outcome);
	snprintf(loc, sizeof loc, "/console/task/%s?m=recorded", id);
	con_redirect(out, loc);
}

void con_task(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *id, const char *rest, const struct form *f, struct con_out *out)
{
	int get = in->method == CON_GET || in->method == CON_HEAD;
	char loc[80];

	if (!*rest) {
		char *flash;
		if (!get)
			return con_error_page(out, 405, s->lang, s, "err_method");
		flash = flash_of(in);
		task_page(db, in, s, id, 0, flash, NULL, out);
		free(flash);
		return;
	}
	if (in->method != CON_POST)
		return con_error_page(out, 405, s->lang, s, "err_method");
	if (!strcmp(rest, "/claim")) {
		int rc = claim(db, in, s, id);
		if (rc < 0)
			return con_error_page(out, 503, s->lang, s, "err_db");
		snprintf(loc, sizeof loc, "/console/task/%s?m=%s", id,
			 rc ? "claimed" : "err_claim");
		return con_redirect(out, loc);
	}
	if (!strcmp(rest, "/reveal"))
		return task_page(db, in, s, id, 1, NULL, NULL, out);
	if (!strcmp(rest, "/outcome"))
		return outcome(db, in, s, id, f, out);
	con_error_page(out, 404, s->lang, s, "err_not_found");
}
