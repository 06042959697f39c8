/* The console's worker side: what a request carries to a worker, what the
 * worker answers, and the files that build answers (console_route.c
 * dispatches; console_auth.c signs people in and out; console_html.c
 * writes pages; console_text.c has their words; console_queue.c is the
 * call queue and task page; console_case.c finds and steers cases;
 * console_disputes.c lists disputes; console_policy.c shows the policy
 * and simulates a candidate). Nothing here touches libevent or the
 * daemon's configuration: the loop copies what a worker needs, but for
 * the policy page, which reads the configuration the loop holds for it. */
#ifndef DUNN_CONSOLE_INT_H
#define DUNN_CONSOLE_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "form.h"

struct config;

enum con_method { CON_GET, CON_HEAD, CON_POST, CON_OTHER };
enum con_role { CON_AGENT = 1, CON_SUPERVISOR = 2, CON_ADMIN = 3 };
enum con_lang { CON_EN, CON_KO, CON_JA, CON_ZH, CON_NLANG };

/* One request, copied on the loop thread (the worker owns the copy). */
struct con_in {
	enum con_method method;
	char *path, *query; /* query NULL when none */
	char *body;         /* NUL-terminated copy of the body */
	size_t blen;
	char *cookie;      /* the Cookie header, or NULL */
	char *accept_lang; /* Accept-Language, or NULL */
	char peer[64];     /* the client's address */
	int64_t now;       /* the daemon's clock */
	/* From the configuration at the time of the request. */
	int idle_s, absolute_s, secure;
	int max_promise_days;
	int dispute_target_days; /* an open dispute older is late */
	char *notice_channels;   /* text[] literal, or NULL */
	char *company;
	char *content_type; /* the Content-Type header, or NULL */
	/* console.user_header's value when the request came from one of
	 * console.trusted_proxies (SSO), else NULL whatever it carried. */
	char *proxy_user;
	/* The configuration in force, held for /console/policy and
	 * /console/dashboard only (else NULL; the dashboard reads the
	 * policy's baseline variants): read only here, released by the loop
	 * (config_hold). */
	const struct config *cfg;
};

#define CON_MAX_COOKIES 2

/* The answer; the loop sends it. */
struct con_out {
	int code;
	const char *ctype; /* static */
	char *body;
	size_t len, cap;
	int oom;
	char *location;                    /* Location, or NULL */
	char *set_cookie[CON_MAX_COOKIES]; /* Set-Cookie values */
	int retry_after;                   /* seconds, 0: none */
	const char *lang;                  /* Content-Language, static */
};

/* The signed-in person. */
struct con_session {
	int64_t staff_id;
	char name[72];
	enum con_role role;
	enum con_lang lang;
	char csrf[65]; /* the value every form of this session carries */
	char id_hex[65];
};

/* A worker's connection. */
struct con_db {
	PGconn *conn;
	const char *conninfo;
};

/* console_route.c: answer one request. */
void con_handle(struct con_db *db, const struct con_in *in, struct con_out *out);

/* Run sql (text parameters); NULL on failure, logged, with a broken
 * connection reset for the next request. Caller PQclear()s. */
PGresult *con_q(struct con_db *db, const char *sql, int n, const char *const *params);
/* BEGIN / COMMIT / ROLLBACK; 0 or -1. */
int con_exec(struct con_db *db, const char *sql);

/* console_auth.c */
/* The session named by the request's cookie, still within its idle and
 * absolute limits, of a person not disabled; its seen_at moves to now.
 * 1 found, 0 none, -1 database failure. */
int con_session_get(struct con_db *db, const struct con_in *in, struct con_session *s);
/* GET and POST /console/login, POST /console/logout. */
void con_login_page(struct con_db *db, const struct con_in *in, struct con_out *out,
		    const char *error_code);
void con_login_post(struct con_db *db, const struct con_in *in, const struct form *f,
		    struct con_out *out);
void con_logout(struct con_db *db, const struct con_in *in, const struct con_session *s,
		struct con_out *out);
/* SSO: in->proxy_user names a staff member not signed in by the request's
 * cookie: a session for them (the browser's other one ends, a staff_login
 * event with "via": "proxy") and a 303 back to the page, or 403 when
 * nobody enabled has that name. */
void con_sso(struct con_db *db, const struct con_in *in, struct con_out *out);
/* Constant-time compare of a form's csrf value with the session's. */
int con_csrf_ok(const struct con_session *s, const struct form *f);
/* An audit row naming the staff member: kind, then NULL or the account
 * and case ids (text), and detail members as a JSON object text (or NULL). */
int con_audit(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *kind, const char *account_id, const char *case_id,
	      const char *detail_json);

/* console_html.c: the answer's body. */
void con_add(struct con_out *o, const char *s, size_t n);
void con_lit(struct con_out *o, const char *s);
void con_esc(struct con_out *o, const char *s); /* HTML-escaped */
void con_printf(struct con_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The page's start: doctype, head, title, the nav for s (NULL: signed
 * out) and a flash message code (NULL: none). */
void con_head(struct con_out *o, enum con_lang lang, const char *title, const struct con_session *s,
	      const char *flash);
void con_foot(struct con_out *o);
/* <input type=hidden name=csrf>. */
void con_csrf_field(struct con_out *o, const struct con_session *s);
void con_redirect(struct con_out *o, const char *location);
/* A whole small page with one message and the status code. */
void con_error_page(struct con_out *o, int code, enum con_lang lang, const struct con_session *s,
		    const char *msg);
const char *con_csp(void);
/* "+8210****5678" / "jo***@ex***.com": contact data until revealed. */
void con_mask_phone(const char *s, char *out, size_t len);
void con_mask_email(const char *s, char *out, size_t len);
/* "Phone: ... · Email: ...", masked unless reveal (the reveal itself is
 * the caller's to log). */
void con_contact(struct con_out *o, enum con_lang lang, const char *phone, const char *email,
		 int reveal);
/* "locale · zone</p><p>contact</p><p>Overdue: <strong>…</strong> · Case:
 * state": what a page about an account says first (owed: "CUR:minor,..."). */
void con_account_facts(struct con_out *o, enum con_lang lang, const char *locale, const char *tz,
		       const char *phone, const char *email, int reveal, const char *owed,
		       const char *state);
/* What "CUR:minor,..." amounts to in the language's locale ("-" if it
 * does not parse). */
void con_owed(const char *list, enum con_lang lang, char *out, size_t len);
/* The flash for a refused action (why, or none) and the page's <h1>. */
void con_title(struct con_out *o, const char *title, const char *why);
/* Money in minor units as text in the language's locale. */
void con_money(const char *minor, const char *currency, enum con_lang lang, char *out, size_t len);

/* console_text.c */
struct con_text;
const char *con_t(enum con_lang lang, const char *key); /* never NULL */
const char *con_lang_code(enum con_lang lang);          /* "en", "ko", ... */
enum con_lang con_lang_parse(const char *s);            /* unknown: CON_EN */
/* A query parameter of in (malloc'd, caller frees), or NULL. */
char *con_query(const struct con_in *in, const char *name);
/* Percent-encoding of s for a path segment, and its reverse (NULL when
 * malformed or holding a NUL or control byte); malloc'd, caller frees. */
char *con_urlenc(const char *s);
char *con_urldec(const char *s, size_t n);

/* console_queue.c */
void con_queue(struct con_db *db, const struct con_in *in, const struct con_session *s,
	       struct con_out *out);
void con_queue_next(struct con_db *db, const struct con_in *in, const struct con_session *s,
		    struct con_out *out);
/* /console/task/ID[/claim|/reveal|/outcome]: rest is what follows ID. */
void con_task(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *id, const char *rest, const struct form *f, struct con_out *out);
/* The case's timeline (every row about the account, newest first). */
void con_timeline(struct con_db *db, struct con_out *out, enum con_lang lang,
		  const char *account_id);

/* The account's unpaid invoices as a table (days late, amount, whether
 * disputed). now: ISO 8601. */
void con_invoices(struct con_db *db, struct con_out *out, enum con_lang lang,
		  const char *account_id, const char *now);

/* console_case.c */
void con_find(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      struct con_out *out);
void con_case(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *ref, const char *rest, const struct form *f, struct con_out *out);

/* console_disputes.c (supervisors) */
void con_disputes(struct con_db *db, const struct con_in *in, const struct con_session *s,
		  struct con_out *out);
/* console_dash.c (supervisors): /console/dashboard?from=&to= */
/* The period a report page shows: from= and to= (UTC days), by default
 * dunnctl report's last 30 days; -1 when malformed or reversed. */
int con_period(const struct con_in *in, char from[11], char to[11]);
/* The GET form choosing that period, posting to action. */
void con_period_form(struct con_out *out, enum con_lang lang, const char *action, const char *from,
		     const char *to);
void con_dashboard(struct con_db *db, const struct con_in *in, const struct con_session *s,
		   struct con_out *out);
/* /console/dispute/D-NNNN[/assign|/note|/investigate|/resolve]. */
void con_dispute(struct con_db *db, const struct con_in *in, const struct con_session *s,
		 const char *ref, const char *rest, const struct form *f, struct con_out *out);

/* console_policy.c: /console/policy, the policy in force and its
 * templates (everyone), a candidate checked and simulated (admins). */
#define CON_POLICY_MAX_BODY (256 * 1024) /* bytes of an upload; more is 413 */
/* Account-hours a simulation may take (sim_work): 2 policies x 30 days x
 * 24 hours of 20k accounts, about 1.5 s of CPU and 75 MB (100k accounts
 * for 30 days: 7.5 s and 310 MB); more is dunnctl simulate's. */
#define CON_SIM_MAX_WORK (2LL * 30 * 24 * 20000)
/* The upload's fields: multipart/form-data or urlencoded, up to
 * CON_POLICY_MAX_BODY (FORM_ETOOBIG past it). */
enum form_error con_policy_form(const struct con_in *in, struct form *f);
void con_policy(struct con_db *db, const struct con_in *in, const struct con_session *s,
		const struct form *f, struct con_out *out);

#endif
