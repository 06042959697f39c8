/* Which page answers a console request, and who may see it: no page or
 * action without a session (pages send the browser to the login form,
 * actions get 403), every POST carries the session's CSRF value (403
 * without, and nothing changes), and a page above the person's role is
 * 403. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "log.h"

PGresult *con_q(struct con_db *db, const char *sql, int n, const char *const *params)
{
	PGresult *res;
	const char *e;

	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		PQfinish(db->conn);
		db->conn = PQconnectdb(db->conninfo);
		if (PQstatus(db->conn) != CONNECTION_OK) {
			e = PQerrorMessage(db->conn);
			log_err("console", "event=console_db_failed error=\"%.*s\"",
				(int)strcspn(e, "\n"), e);
			PQfinish(db->conn);
			db->conn = NULL;
			return NULL;
		}
		PQsetClientEncoding(db->conn, "UTF8");
		/* A page waits for the database this long at most. */
		PQclear(PQexec(db->conn, "SET statement_timeout = '30s'"));
	}
	res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (res &&
	    (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK))
		return res;
	e = PQerrorMessage(db->conn);
	log_err("console", "event=console_db_failed error=\"%.*s\"", (int)strcspn(e, "\n"), e);
	PQclear(res);
	return NULL;
}

int con_exec(struct con_db *db, const char *sql)
{
	PGresult *res = con_q(db, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

static void method_not_allowed(struct con_out *out, enum con_lang lang, const struct con_session *s)
{
	con_error_page(out, 405, lang, s, "err_method");
}

static void prefs(struct con_db *db, const struct con_in *in, const struct con_session *s,
		  const struct form *f, struct con_out *out)
{
	const char *l = form_get(f, "lang");
	const char *p[2];
	PGresult *res;

	if (!l || (strcmp(l, "en") != 0 && con_lang_parse(l) == CON_EN)) {
		con_error_page(out, 400, s->lang, s, "err_form");
		return;
	}
	p[0] = con_lang_code(con_lang_parse(l));
	p[1] = s->name;
	res = con_q(db, "UPDATE dunning.staff SET locale = $1 WHERE name = $2", 2, p);
	PQclear(res);
	if (!res) {
		con_error_page(out, 503, s->lang, s, "err_db");
		return;
	}
	con_audit(db, in, s, "staff_language", NULL, NULL, NULL);
	con_redirect(out, "/console/queue");
}

/* Under /console/, after the session check. */
static void signed_in(struct con_db *db, const struct con_in *in, const struct con_session *s,
		      const char *rest, const struct form *f, struct con_out *out)
{
	int get = in->method == CON_GET || in->method == CON_HEAD;
	int post = in->method == CON_POST;

	if (!strcmp(rest, "logout")) {
		if (!post)
			return method_not_allowed(out, s->lang, s);
		return con_logout(db, in, s, out);
	}
	if (!strcmp(rest, "prefs")) {
		if (!post)
			return method_not_allowed(out, s->lang, s);
		return prefs(db, in, s, f, out);
	}
	if (!strcmp(rest, "queue")) {
		if (!get)
			return method_not_allowed(out, s->lang, s);
		return con_queue(db, in, s, out);
	}
	if (!strcmp(rest, "queue/next")) {
		if (!post)
			return method_not_allowed(out, s->lang, s);
		return con_queue_next(db, in, s, out);
	}
	if (!strncmp(rest, "task/", 5)) {
		const char *id = rest + 5;
		size_t n = strspn(id, "0123456789");
		char idb[20];
		if (n == 0 || n >= sizeof idb || (id[n] && id[n] != '/'))
			return con_error_page(out, 404, s->lang, s, "err_not_found");
		memcpy(idb, id, n);
		idb[n] = '\0';
		return con_task(db, in, s, idb, id + n, f, out);
	}
	if (!strcmp(rest, "find")) {
		if (!get)
			return method_not_allowed(out, s->lang, s);
		return con_find(db, in, s, out);
	}
	if (!strncmp(rest, "case/", 5)) {
		const char *ref = rest + 5;
		size_t n = strcspn(ref, "/");
		char *refb = n && n < 600 ? con_urldec(ref, n) : NULL;
		if (!refb || !*refb || strlen(refb) > 200) {
			free(refb);
			return con_error_page(out, 404, s->lang, s, "err_not_found");
		}
		con_case(db, in, s, refb, ref + n, f, out);
		free(refb);
		return;
	}
	if (!strncmp(rest, "dispute/", 8)) {
		const char *ref = rest + 8;
		size_t n = strcspn(ref, "/");
		char refb[24];
		if (s->role < CON_SUPERVISOR)
			return con_error_page(out, 403, s->lang, s, "err_role");
		if (n == 0 || n >= sizeof refb)
			return con_error_page(out, 404, s->lang, s, "err_not_found");
		memcpy(refb, ref, n);
		refb[n] = '\0';
		return con_dispute(db, in, s, refb, ref + n, f, out);
	}
	if (!strcmp(rest, "dashboard")) {
		if (s->role < CON_SUPERVISOR)
			return con_error_page(out, 403, s->lang, s, "err_role");
		if (!get)
			return method_not_allowed(out, s->lang, s);
		return con_dashboard(db, in, s, out);
	}
	if (!strcmp(rest, "policy"))
		return con_policy(db, in, s, f, out);
	if (!strcmp(rest, "disputes")) {
		if (s->role < CON_SUPERVISOR)
			return con_error_page(out, 403, s->lang, s, "err_role");
		if (!get)
			return method_not_allowed(out, s->lang, s);
		return con_disputes(db, in, s, out);
	}
	con_error_page(out, 404, s->lang, s, "err_not_found");
}

void con_handle(struct con_db *db, const struct con_in *in, struct con_out *out)
{
	const char *path = in->path;
	const char *rest = !strncmp(path, "/console/", 9) ? path + 9 : "";
	struct con_session s;
	struct form f = {0};
	int rc;

	/* A transaction an earlier request left open (it never should) would
	 * hold locks and swallow this request's statements. */
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	if (in->method == CON_OTHER) {
		con_error_page(out, 405, CON_EN, NULL, "err_method");
		return;
	}
	if (in->method == CON_POST) {
		/* The policy upload carries a file: its own limit and encoding. */
		enum form_error fe = !strcmp(rest, "policy") ? con_policy_form(in, &f)
							     : form_parse(in->body, in->blen, &f);
		if (fe != FORM_OK) {
			con_error_page(out, fe == FORM_ETOOBIG ? 413 : 400, CON_EN, NULL,
				       fe == FORM_ETOOBIG ? "err_too_large" : "err_form");
			return;
		}
	}
	if (!strcmp(rest, "login")) {
		if (in->method == CON_POST)
			con_login_post(db, in, &f, out);
		else
			con_login_page(db, in, out, NULL);
		goto done;
	}
	rc = con_session_get(db, in, &s);
	if (rc < 0) {
		con_error_page(out, 503, CON_EN, NULL, "err_db");
		goto done;
	}
	/* SSO: the proxy names someone the cookie does not sign in. */
	if (in->proxy_user && (rc == 0 || strcmp(s.name, in->proxy_user) != 0)) {
		con_sso(db, in, out);
		goto done;
	}
	if (rc == 0) {
		if (in->method == CON_POST) {
			con_error_page(out, 403, CON_EN, NULL, "err_session");
		} else {
			/* A page: to the login form. */
			out->code = 302;
			out->ctype = "text/plain; charset=utf-8";
			out->location = strdup("/console/login");
			if (!out->location)
				out->oom = 1;
		}
		goto done;
	}
	if (in->method == CON_POST && !con_csrf_ok(&s, &f)) {
		log_warn("console", "event=console_refused reason=csrf staff_id=%lld",
			 (long long)s.staff_id);
		con_error_page(out, 403, s.lang, &s, "err_csrf");
		goto done;
	}
	if (!*rest || !strcmp(path, "/console")) {
		con_redirect(out, "/console/queue");
		goto done;
	}
	signed_in(db, in, &s, rest, &f, out);
done:
	form_free(&f);
}
