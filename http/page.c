/* The customer's page: GET /p/<token> shows what is owed; form POSTs to
 * /p/<token>/{promise,plan,dispute,rate,prefs} act through engine/caseops (the same
 * statements dunnctl runs) and answer 303 back to the page with a message
 * (post/redirect/get); GET /p/<token>/pay?invoice=REF sends the customer
 * on to the payment provider.
 *
 * The token (lib/token.c) names the account and expires; every form
 * carries a CSRF value bound to the token and the form; each account gets
 * a small token bucket of requests. Every view and action is one
 * parameterised statement on the HTTP server's own connection, audited in
 * dunning.events (page_view, page_pay, page_promise, page_plan,
 * page_dispute, page_rate; the preferences as quiet_times_set,
 * email_unsubscribed and sms_opt_out) with ids only. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "form.h"
#include "log.h"
#include "metrics.h"
#include "page.h"
#include "pgarr.h"
#include "quiet.h"
#include "token.h"
#include "tz.h"

#define DETAIL_MAX 1000 /* characters of free text in a dispute */
#define PLAN_NOTE "payment plan requested on the customer page"
#define PLAN_TASK "Payment plan requested on the customer page: call to agree a plan"

/* Everything the page shows, as one JSON object; the visit is audited in
 * the same statement. An address is "stopped" when the customer opted
 * out; a bounce or a review hold still lets them say so themselves.
 * $1 account id, $2 now. */
static const char SQL_VIEW[] =
	"WITH a AS (SELECT id, external_ref, name, email, phone, locale, timezone\n"
	"           FROM dunning.accounts WHERE id = $1::bigint),\n"
	"c AS (SELECT c.id, c.stage, c.state, c.pause_reason,\n"
	"             CASE WHEN c.pause_reason = 'promise' AND c.paused_until IS NOT NULL\n"
	"                  THEN to_char((c.paused_until AT TIME ZONE a.timezone)::date - 1,\n"
	"                               'YYYY-MM-DD') END AS promise_date\n"
	"      FROM dunning.cases c JOIN a ON c.account_id = a.id WHERE c.state <> 'resolved'),\n"
	"ev AS (INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"       SELECT $2::timestamptz, 'page_view', a.id, (SELECT id FROM c),\n"
	"              jsonb_build_object('stage', (SELECT stage FROM c)) FROM a)\n"
	"SELECT json_build_object(\n"
	"  'name', a.name, 'email', a.email, 'phone', a.phone, 'locale', a.locale,\n"
	"  'tz', a.timezone,\n"
	"  'email_stopped', EXISTS (SELECT 1 FROM dunning.suppressions s\n"
	"                   WHERE s.channel = 'email' AND s.address = lower(a.email)\n"
	"                     AND s.reason = 'opt-out'),\n"
	"  'sms_stopped', EXISTS (SELECT 1 FROM dunning.suppressions s\n"
	"                 WHERE s.channel = 'sms' AND s.address = a.phone\n"
	"                   AND s.reason = 'opt-out'),\n"
	"  'quiet', (SELECT q.spec FROM dunning.quiet_times q WHERE q.account_id = a.id),\n"
	"  'case', (SELECT json_build_object('state', state, 'stage', stage,\n"
	"                 'pause_reason', pause_reason, 'promise_date', promise_date) FROM c),\n"
	"  'invoices', coalesce((SELECT json_agg(json_build_object(\n"
	"        'ref', i.external_ref, 'amount', i.amount_due - i.amount_paid, 'currency', i.currency,\n"
	"        'due', to_char(i.due_date, 'YYYY-MM-DD'), 'description', i.description,\n"
	"        'disputed', i.disputed,\n"
	"        'dispute_ref', (SELECT d.reference FROM dunning.disputes d\n"
	"                        WHERE d.invoice_id = i.id AND d.account_id = i.account_id\n"
	"                          AND d.resolved_at IS NULL\n"
	"                        ORDER BY d.id DESC LIMIT 1))\n"
	"      ORDER BY i.due_date, i.id)\n"
	"    FROM dunning.invoices i\n"
	"    WHERE i.account_id = a.id AND i.paid_at IS NULL AND i.amount_due > i.amount_paid\n"
	"      AND i.due_date < dunning.local_date($2::timestamptz, a.timezone)), '[]'),\n"
	"  'fees', coalesce((SELECT json_agg(json_build_object('currency', f.currency,\n"
	"        'amount', f.total) ORDER BY f.currency)\n"
	"    FROM (SELECT currency::text, sum(amount) AS total FROM dunning.fees\n"
	"          WHERE case_id = (SELECT id FROM c) AND account_id = a.id\n"
	"            AND waived_at IS NULL AND paid_at IS NULL\n"
	"          GROUP BY currency) f), '[]'),\n"
	"  'disputes', coalesce((SELECT json_agg(json_build_object(\n"
	"        'ref', d.reference, 'status', d.status, 'invoice', i.external_ref,\n"
	"        'amount', coalesce(d.original_amount, i.amount_due), 'currency', i.currency,\n"
	"        'opened', to_char(d.opened_at AT TIME ZONE a.timezone, 'YYYY-MM-DD'),\n"
	"        'resolved', to_char(d.resolved_at AT TIME ZONE a.timezone, 'YYYY-MM-DD'),\n"
	"        'satisfaction', d.satisfaction) ORDER BY d.opened_at DESC, d.id DESC)\n"
	"    FROM dunning.disputes d\n"
	"    JOIN dunning.invoices i ON i.id = d.invoice_id AND i.account_id = d.account_id\n"
	"    WHERE d.account_id = a.id), '[]'))\n"
	"FROM a";

/* "Pay now" on one of the account's unpaid, undisputed invoices: the refs
 * for the provider URL. $1 account id, $2 invoice ref, $3 now. */
static const char SQL_PAY[] =
	"WITH x AS (SELECT a.id AS account_id, a.external_ref AS account_ref, i.id AS invoice_id,\n"
	"                  i.external_ref AS invoice_ref\n"
	"           FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id\n"
	"           WHERE i.account_id = $1::bigint AND i.external_ref = $2\n"
	"             AND i.paid_at IS NULL AND NOT i.disputed),\n"
	"c AS (SELECT id, stage FROM dunning.cases WHERE account_id = $1::bigint\n"
	"      AND state <> 'resolved'),\n"
	"ev AS (INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"       SELECT $3::timestamptz, 'page_pay', x.account_id, (SELECT id FROM c),\n"
	"              jsonb_build_object('invoice_id', x.invoice_id, 'stage', (SELECT stage FROM c))\n"
	"       FROM x)\n"
	"SELECT account_ref, invoice_ref FROM x";

/* The satisfaction rating of a resolved dispute, stored once.
 * $1 account id, $2 dispute reference, $3 score 1..5, $4 now. */
static const char SQL_RATE[] =
	"WITH d AS (UPDATE dunning.disputes SET satisfaction = $3::smallint, rated_at = $4\n"
	"           WHERE account_id = $1::bigint AND reference = $2 AND resolved_at IS NOT NULL\n"
	"             AND satisfaction IS NULL\n"
	"           RETURNING id, account_id),\n"
	"c AS (SELECT id, stage FROM dunning.cases WHERE account_id = $1::bigint\n"
	"      ORDER BY cycle DESC LIMIT 1),\n"
	"ev AS (INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"       SELECT $4, 'page_rate', d.account_id, (SELECT id FROM c),\n"
	"              jsonb_build_object('dispute_id', d.id, 'score', $3::int,\n"
	"                                 'stage', (SELECT stage FROM c)) FROM d)\n"
	"SELECT count(*) FROM d";

/* Contact preferences, one statement: the quiet times as dunnctl quiet
 * sets them ($1..$6, caseops.h; $3 NULL leaves them), and "stop email"
 * ($7) and "stop SMS" ($8) recorded as the opt-outs a STOP reply records:
 * a suppression with reason opt-out (replacing a bounce or a review
 * hold), open reviews of the number decided as opt-outs, and the event.
 * One row: accounts found, quiet changes, email and SMS opt-outs made. */
static const char SQL_PREFS[] =
	"WITH " CASEOPS_QUIET_CTES ",\n"
	"acct AS (SELECT id, nullif(lower(email), '') AS email, nullif(phone, '') AS phone\n"
	"         FROM dunning.accounts WHERE id = $2::bigint),\n"
	"se AS (\n"
	"  INSERT INTO dunning.suppressions AS s (channel, address, reason, source)\n"
	"  SELECT 'email', email, 'opt-out', 'page' FROM acct WHERE $7::bool AND email IS NOT NULL\n"
	"  ON CONFLICT (channel, address) DO UPDATE\n"
	"    SET reason = 'opt-out', source = 'page', created_at = now()\n"
	"    WHERE s.reason <> 'opt-out'\n"
	"  RETURNING 1),\n"
	"ss AS (\n"
	"  INSERT INTO dunning.suppressions AS s (channel, address, reason, source)\n"
	"  SELECT 'sms', phone, 'opt-out', 'page' FROM acct WHERE $8::bool AND phone IS NOT NULL\n"
	"  ON CONFLICT (channel, address) DO UPDATE\n"
	"    SET reason = 'opt-out', source = 'page', created_at = now()\n"
	"    WHERE s.reason <> 'opt-out'\n"
	"  RETURNING 1),\n"
	"rev AS (\n"
	"  UPDATE dunning.phone_tasks t SET outcome = 'opt_out', completed_at = now()\n"
	"  FROM dunning.inbound_messages m, acct\n"
	"  WHERE $8::bool AND m.id = t.inbound_message_id AND m.address = acct.phone\n"
	"    AND t.kind = 'review' AND t.completed_at IS NULL\n"
	"  RETURNING t.id),\n"
	"oev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $6, 'email_unsubscribed', id, jsonb_build_object('source', 'page', 'new', true)\n"
	"  FROM acct WHERE EXISTS (SELECT 1 FROM se)\n"
	"  UNION ALL\n"
	"  SELECT $6, 'sms_opt_out', id,\n"
	"         jsonb_build_object('source', 'page', 'reviews_decided', (SELECT count(*) FROM rev))\n"
	"  FROM acct WHERE EXISTS (SELECT 1 FROM ss)\n"
	"  RETURNING 1)\n"
	"SELECT (SELECT count(*) FROM qa), (SELECT count(*) FROM qev), (SELECT count(*) FROM se),\n"
	"       (SELECT count(*) FROM ss), (SELECT count(*) FROM oev)";

enum job_kind { JOB_VIEW, JOB_PAY, JOB_ACTION };

struct page_job {
	struct page_job *prev, *next;
	struct http *h;
	struct evhttp_request *req; /* NULL once answered on shutdown */
	enum job_kind kind;
	enum page_form form;
	int64_t account_id;
	char token[TOKEN_MAX];
	char flash[16], flash_ref[24];
};

static struct page_job *jobs;

static void page_headers(struct evhttp_request *req, const char *lang)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);

	evhttp_add_header(oh, "Content-Security-Policy", page_csp());
	evhttp_add_header(oh, "Referrer-Policy", "no-referrer");
	evhttp_add_header(oh, "X-Frame-Options", "DENY");
	if (lang)
		evhttp_add_header(oh, "Content-Language", lang);
}

static void send_html(struct evhttp_request *req, int code, const char *lang, char *body,
		      size_t len)
{
	page_headers(req, lang);
	if (!body) {
		http_reply(req, NULL, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
		return;
	}
	http_reply(req, NULL, code, "text/html; charset=utf-8", body, len);
	free(body);
}

/* The polite page: locale unknown, so the browser's languages decide. */
static void refuse(struct http *h, struct evhttp_request *req, int code)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	enum page_lang lang = page_lang_accept(evhttp_find_header(ih, "Accept-Language"));
	size_t len = 0;
	char *body = page_render_refusal(lang, h->d->cfg, code, &len);

	if (code == 429)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "60");
	send_html(req, code, page_text(lang)->html_lang, body, len);
}

static void redirect(struct evhttp_request *req, const char *location)
{
	page_headers(req, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
	http_reply(req, NULL, 303, "text/plain; charset=utf-8", "", 0);
}

/* Back to the page with a message (post/redirect/get). */
static void back(struct evhttp_request *req, const char *token, const char *flash, const char *ref)
{
	char loc[TOKEN_MAX + 80];

	snprintf(loc, sizeof loc, "/p/%s?m=%s%s%s", token, flash, ref ? "&d=" : "", ref ? ref : "");
	redirect(req, loc);
}

/* HMAC of the token and the form's name with the link secret, hex. */
static void csrf_make(const char *secret, const char *token, const char *form, char out[48])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[TOKEN_MAX + 32];
	int n = snprintf(msg, sizeof msg, "page-csrf:%s:%s", token, form);

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n, mac,
	     &maclen);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static int csrf_ok(const char *secret, const char *token, const char *form, const char *got)
{
	char want[48];

	csrf_make(secret, token, form, want);
	return got && strlen(got) == strlen(want) && CRYPTO_memcmp(want, got, strlen(want)) == 0;
}

static struct page_job *job_new(struct http *h, struct evhttp_request *req, enum job_kind kind,
				const char *token, int64_t id)
{
	struct page_job *j = calloc(1, sizeof *j);

	if (!j)
		return NULL;
	j->h = h;
	j->req = req;
	j->kind = kind;
	j->account_id = id;
	snprintf(j->token, sizeof j->token, "%s", token);
	j->next = jobs;
	if (jobs)
		jobs->prev = j;
	jobs = j;
	return j;
}

static void job_free(struct page_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (jobs == j)
		jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	free(j);
}

/* Answer j's request with the error it deserves now, and free j. */
static void fail(struct page_job *j)
{
	if (j->kind == JOB_VIEW)
		refuse(j->h, j->req, 503);
	else
		back(j->req, j->token, "error", NULL);
	job_free(j);
}

/* Queue sql for j; on failure answer now and free j. */
static void job_send(struct page_job *j, const char *sql, int n, const char *const *params,
		     pgq_cb cb)
{
	if (pgq_send(j->h->db, sql, n, params, cb, j) != 0)
		fail(j);
}

static int db_failed(struct page_job *j, const PGresult *res)
{
	const char *e;

	if (pgq_ok(res))
		return 0;
	e = pgq_error(j->h->db, res);
	log_err("page", "event=page_db_failed account_id=%" PRId64 " error=\"%.*s\"", j->account_id,
		(int)strcspn(e, "\n"), e);
	return 1;
}

static void view_cb(const PGresult *res, void *arg)
{
	struct page_job *j = arg;
	struct page_view v = {0};
	json_t *data = NULL;
	enum page_lang lang;
	size_t len = 0;
	char *body;

	if (!j->req) {
		job_free(j);
		return;
	}
	if (db_failed(j, res)) {
		refuse(j->h, j->req, 503);
		job_free(j);
		return;
	}
	if (PQntuples(res) != 1 || !(data = json_loads(PQgetvalue(res, 0, 0), 0, NULL))) {
		refuse(j->h, j->req, 403); /* the account is gone */
		job_free(j);
		return;
	}
	v.cfg = j->h->d->cfg;
	v.data = data;
	v.token = j->token;
	v.flash = j->flash[0] ? j->flash : NULL;
	v.flash_ref = j->flash_ref[0] ? j->flash_ref : NULL;
	v.now = dunnd_now(j->h->d);
	for (int f = 0; f < PAGE_NFORMS; f++)
		csrf_make(j->h->d->link_secret, j->token, page_form_names[f], v.csrf[f]);
	body = page_render(&v, &len);
	lang = page_lang_of(json_string_value(json_object_get(data, "locale")));
	send_html(j->req, 200, page_text(lang)->html_lang, body, len);
	log_info("page", "event=page_view account_id=%" PRId64, j->account_id);
	json_decref(data);
	job_free(j);
}

/* The provider URL with {invoice_ref} and {account_ref} URL-encoded. */
static char *pay_url(const char *tmpl, const char *account_ref, const char *invoice_ref)
{
	struct evbuffer *b = evbuffer_new();
	char *out = NULL;
	size_t n;

	if (!b)
		return NULL;
	for (const char *p = tmpl; *p;) {
		const char *val = NULL;
		if (!strncmp(p, "{invoice_ref}", 13)) {
			val = invoice_ref;
			p += 13;
		} else if (!strncmp(p, "{account_ref}", 13)) {
			val = account_ref;
			p += 13;
		} else {
			evbuffer_add(b, p++, 1);
			continue;
		}
		char *e = evhttp_uriencode(val, -1, 0);
		if (e)
			evbuffer_add(b, e, strlen(e));
		free(e);
	}
	n = evbuffer_get_length(b);
	out = malloc(n + 1);
	if (out) {
		evbuffer_copyout(b, out, n);
		out[n] = '\0';
	}
	evbuffer_free(b);
	return out;
}

static void pay_cb(const PGresult *res, void *arg)
{
	struct page_job *j = arg;
	const char *tmpl = j->h->d->cfg->payment_url;
	char *url;

	if (!j->req) {
		job_free(j);
		return;
	}
	if (db_failed(j, res)) {
		back(j->req, j->token, "error", NULL);
	} else if (PQntuples(res) != 1 || !tmpl) {
		back(j->req, j->token, "bad_form", NULL);
	} else if (!(url = pay_url(tmpl, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)))) {
		back(j->req, j->token, "error", NULL);
	} else {
		log_info("page", "event=page_pay account_id=%" PRId64, j->account_id);
		redirect(j->req, url);
		free(url);
	}
	job_free(j);
}

static void action_cb(const PGresult *res, void *arg)
{
	struct page_job *j = arg;
	const char *flash = "bad_form", *ref = NULL;

	if (!j->req) {
		job_free(j);
		return;
	}
	if (db_failed(j, res) || PQntuples(res) != 1) {
		back(j->req, j->token, "error", NULL);
		job_free(j);
		return;
	}
	switch (j->form) {
	case PAGE_F_PROMISE:
	case PAGE_F_PLAN:
		/* The same request again while the first holds gets the same
		 * answer; the statement changed nothing (column 3 is 0). */
		if (atoi(PQgetvalue(res, 0, 1)) == 0)
			flash = "no_case";
		else
			flash = j->form == PAGE_F_PROMISE ? "promised" : "planned";
		if (atoi(PQgetvalue(res, 0, 3)) == 0 && atoi(PQgetvalue(res, 0, 1)) > 0)
			log_info("page", "event=page_%s_unchanged account_id=%" PRId64,
				 page_form_names[j->form], j->account_id);
		break;
	case PAGE_F_DISPUTE:
		if (!PQgetisnull(res, 0, 1)) {
			flash = "dispute_dup";
			ref = PQgetvalue(res, 0, 1);
		} else if (!PQgetisnull(res, 0, 2)) {
			flash = "disputed";
			ref = PQgetvalue(res, 0, 2);
		}
		break;
	case PAGE_F_RATE:
		if (atoi(PQgetvalue(res, 0, 0)) > 0)
			flash = "rated";
		break;
	case PAGE_F_PREFS:
		if (atoi(PQgetvalue(res, 0, 0)) > 0)
			flash = "prefs";
		break;
	case PAGE_NFORMS:
		break;
	}
	log_info("page", "event=page_%s account_id=%" PRId64 " result=%s", page_form_names[j->form],
		 j->account_id, flash);
	back(j->req, j->token, flash, ref);
	job_free(j);
}

/* Valid UTF-8 with at most max characters and no control characters
 * other than line breaks and tabs. */
static int text_ok(const char *s, size_t max)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
		int n = *p < 0x80             ? 1
			: (*p & 0xE0) == 0xC0 ? 2
			: (*p & 0xF0) == 0xE0 ? 3
			: (*p & 0xF8) == 0xF0 ? 4
					      : 0;
		if (n == 0 || (n == 2 && *p < 0xC2) || (n == 4 && *p > 0xF4))
			return 0;
		if (n == 1 && *p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
			return 0;
		for (int k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				return 0;
		if ((n == 3 && *p == 0xE0 && p[1] < 0xA0) ||
		    (n == 3 && *p == 0xED && p[1] >= 0xA0) ||
		    (n == 4 && *p == 0xF0 && p[1] < 0x90) || (n == 4 && *p == 0xF4 && p[1] >= 0x90))
			return 0; /* overlong, surrogate, beyond U+10FFFF */
		p += n;
	}
	return chars <= max;
}

/* "D-" and digits: the form of a dispute reference. */
static int dispute_ref_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 2 && n < 20 && s[0] == 'D' && s[1] == '-' &&
		strspn(s + 2, "0123456789") == n - 2;
}

/* A time offered by the page's selects: HH:00 or HH:30, 00:00 to 24:00. */
static int half_hour_ok(const char *s)
{
	return s && strlen(s) == 5 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
		s[2] == ':' && (!strcmp(s + 3, "00") || !strcmp(s + 3, "30")) &&
		(s[0] < '2' || s[1] <= '3' || !strcmp(s, "24:00"));
}

/* Box "1" checked. */
static int checked(const struct form *f, const char *name)
{
	const char *v = form_get(f, name);

	return v && !strcmp(v, "1");
}

/* The preferences form: up to two rows of days and a time range become
 * one quiet-times spec (quiet.h), checked against the weekly bound. */
static void prefs_post(struct page_job *j, const struct form *f, const char *at_s, const char *id_s)
{
	static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	const struct config *c = j->h->d->cfg;
	char spec[512] = "", canon[QUIET_SPEC_MAX], min_s[16] = "0", err[160], name[16];
	const char *params[8] = {NULL};
	int minutes = 0, any = 0;
	size_t n = 0;

	for (int r = 1; r <= 2; r++) {
		const char *from, *to;
		int row = 0;
		snprintf(name, sizeof name, "q%d_from", r);
		from = form_get(f, name);
		snprintf(name, sizeof name, "q%d_to", r);
		to = form_get(f, name);
		for (int d = 0; d < 7; d++) {
			snprintf(name, sizeof name, "q%d_%s", r, days[d]);
			if (!checked(f, name))
				continue;
			if (!half_hour_ok(from) || !half_hour_ok(to) || !strcmp(from, to) ||
			    !strcmp(from, "24:00")) {
				back(j->req, j->token, "bad_form", NULL);
				job_free(j);
				return;
			}
			n += (size_t)snprintf(spec + n, sizeof spec - n, "%s%s %s-%s", n ? "," : "",
					      days[d], from, to);
			row = 1;
		}
		any |= row;
	}
	if (checked(f, "quiet_clear")) {
		canon[0] = '\0';
		params[2] = canon;
	} else if (any) {
		if (quiet_normalize(spec, c->policy->quiet_max_hours, canon, sizeof canon, &minutes,
				    err, sizeof err) != 0) {
			back(j->req, j->token,
			     minutes == 0 && strstr(err, "at most") ? "quiet_long" : "bad_form",
			     NULL);
			job_free(j);
			return;
		}
		snprintf(min_s, sizeof min_s, "%d", minutes);
		params[2] = canon;
	}
	params[0] = NULL;
	params[1] = id_s;
	params[3] = min_s;
	params[4] = "page";
	params[5] = at_s;
	params[6] = checked(f, "stop_email") ? "true" : "false";
	params[7] = checked(f, "stop_sms") ? "true" : "false";
	job_send(j, SQL_PREFS, 8, params, action_cb);
}

static void on_post(struct page_job *j, const struct form *f)
{
	const struct config *c = j->h->d->cfg;
	const char *params[CASEOPS_PAUSE_NPARAMS] = {NULL};
	char at_s[TZ_ISO8601_LEN], id_s[24];
	int64_t now = dunnd_now(j->h->d), day;
	struct pgarr chans;
	const char *v = NULL;

	tz_format_iso8601(now, at_s, sizeof at_s);
	snprintf(id_s, sizeof id_s, "%" PRId64, j->account_id);
	switch (j->form) {
	case PAGE_F_PROMISE:
		v = form_get(f, "date");
		/* A date in the customer's own calendar: in range for the local
		 * time somewhere from UTC-12 to UTC+14 (the page's date picker
		 * offers exactly their own range). */
		if (!caseops_date(v, &day) ||
		    (!caseops_promise_in_range(day, now - 12 * 3600, c->policy->max_promise_days) &&
		     !caseops_promise_in_range(day, now + 14 * 3600,
					       c->policy->max_promise_days))) {
			back(j->req, j->token, "bad_date", NULL);
			job_free(j);
			return;
		}
		/* fall through */
	case PAGE_F_PLAN:
		params[1] = j->form == PAGE_F_PROMISE ? v : NULL;
		params[2] = j->form == PAGE_F_PROMISE ? "promise" : "hardship";
		params[3] = j->form == PAGE_F_PROMISE ? NULL : PLAN_NOTE;
		params[4] = at_s;
		params[5] = caseops_notice_channels(c->policy, &chans);
		params[6] = "page";
		params[7] = id_s;
		params[8] = j->form == PAGE_F_PROMISE ? NULL : PLAN_TASK;
		params[9] = j->form == PAGE_F_PROMISE ? "page_promise" : "page_plan";
		if (params[5])
			job_send(j, CASEOPS_SQL_PAUSE, CASEOPS_PAUSE_NPARAMS, params, action_cb);
		else
			fail(j);
		pgarr_free(&chans);
		return;
	case PAGE_F_DISPUTE: {
		const char *reason = form_get(f, "reason"), *detail = form_get(f, "detail");
		int known = 0;
		for (int k = 0; reason && k < PAGE_NREASONS; k++)
			known |= !strcmp(reason, page_reason_codes[k]);
		v = form_get(f, "invoice");
		if (!v || !*v || strlen(v) > 200 || !known ||
		    (detail && !text_ok(detail, DETAIL_MAX))) {
			back(j->req, j->token, "bad_form", NULL);
			job_free(j);
			return;
		}
		params[0] = v;
		params[1] = reason;
		params[2] = detail && *detail ? detail : NULL;
		params[3] = "web";
		params[4] = at_s;
		params[5] = caseops_notice_channels(c->policy, &chans);
		params[6] = id_s;
		params[7] = "page_dispute";
		if (params[5])
			job_send(j, CASEOPS_SQL_DISPUTE_OPEN, CASEOPS_DISPUTE_OPEN_NPARAMS, params,
				 action_cb);
		else
			fail(j);
		pgarr_free(&chans);
		return;
	}
	case PAGE_F_RATE:
		v = form_get(f, "score");
		if (!dispute_ref_ok(form_get(f, "dispute")) || !v || strlen(v) != 1 || v[0] < '1' ||
		    v[0] > '5') {
			back(j->req, j->token, "bad_form", NULL);
			job_free(j);
			return;
		}
		params[0] = id_s;
		params[1] = form_get(f, "dispute");
		params[2] = v;
		params[3] = at_s;
		job_send(j, SQL_RATE, 4, params, action_cb);
		return;
	case PAGE_F_PREFS:
		prefs_post(j, f, at_s, id_s);
		return;
	case PAGE_NFORMS:
		break;
	}
	job_free(j);
}

static void post(struct http *h, struct evhttp_request *req, const char *token, int64_t id,
		 enum page_form form)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct form f = {0};
	char *body = malloc(len + 1);
	struct page_job *j;

	if (!body) {
		refuse(h, req, 503);
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	if (form_parse(body, len, &f) != FORM_OK ||
	    !csrf_ok(h->d->link_secret, token, page_form_names[form], form_get(&f, "csrf"))) {
		/* Changes nothing: no statement runs. */
		if (http_refused_log_ok())
			log_warn("page",
				 "event=page_refused account_id=%" PRId64 " form=%s reason=csrf",
				 id, page_form_names[form]);
		free(body);
		form_free(&f);
		refuse(h, req, 403);
		return;
	}
	j = job_new(h, req, JOB_ACTION, token, id);
	if (!j) {
		refuse(h, req, 503);
	} else {
		j->form = form;
		on_post(j, &f);
	}
	free(body);
	form_free(&f);
}

/* RFC 8058 one-click unsubscribe, the List-Unsubscribe-Post of every
 * reminder email: the signed token in the URL is the authorisation, so
 * no CSRF token is asked for (a mail client cannot carry one). */
static const char SQL_UNSUBSCRIBE[] =
	"WITH a AS (SELECT id, lower(email) AS email FROM dunning.accounts\n"
	"           WHERE id = $1 AND email IS NOT NULL),\n"
	"s AS (INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"      SELECT 'email', email, 'opt-out', 'list-unsubscribe' FROM a\n"
	"      ON CONFLICT DO NOTHING RETURNING 1)\n"
	"INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"SELECT $2, 'email_unsubscribed', id, jsonb_build_object('new', (SELECT count(*) FROM s) > 0)\n"
	"FROM a";

static void unsubscribe_cb(const PGresult *res, void *arg)
{
	struct page_job *j = arg;
	static const char done[] = "Unsubscribed: no more reminders will come by email.\n";

	if (j->req && !db_failed(j, res))
		http_reply(j->req, NULL, 200, "text/plain; charset=utf-8", done, sizeof done - 1);
	else if (j->req)
		http_reply(j->req, NULL, 503, "text/plain; charset=utf-8", "try again later\n", 16);
	j->req = NULL;
	job_free(j);
}

static void unsubscribe(struct http *h, struct evhttp_request *req, const char *token, int64_t id)
{
	struct page_job *j = job_new(h, req, JOB_ACTION, token, id);
	char at_s[TZ_ISO8601_LEN], id_s[24];
	const char *params[2] = {id_s, at_s};

	if (!j) {
		refuse(h, req, 503);
		return;
	}
	tz_format_iso8601(dunnd_now(h->d), at_s, sizeof at_s);
	snprintf(id_s, sizeof id_s, "%" PRId64, id);
	if (pgq_send(h->db, SQL_UNSUBSCRIBE, 2, params, unsubscribe_cb, j) != 0) {
		refuse(h, req, 503);
		j->req = NULL;
		job_free(j);
	}
}

/* ?m=CODE&d=D-NNNN: which message to show after a redirect. */
static void take_flash(struct evhttp_request *req, struct page_job *j)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	const char *m, *d;

	if (!q || evhttp_parse_query_str(q, &kv) != 0)
		return;
	m = evhttp_find_header(&kv, "m");
	d = evhttp_find_header(&kv, "d");
	if (m && strlen(m) < sizeof j->flash &&
	    strspn(m, "abcdefghijklmnopqrstuvwxyz_") == strlen(m))
		snprintf(j->flash, sizeof j->flash, "%s", m);
	if (dispute_ref_ok(d))
		snprintf(j->flash_ref, sizeof j->flash_ref, "%s", d);
	evhttp_clear_headers(&kv);
}

static void get(struct http *h, struct evhttp_request *req, const char *token, int64_t id, int pay)
{
	struct page_job *j = job_new(h, req, pay ? JOB_PAY : JOB_VIEW, token, id);
	char at_s[TZ_ISO8601_LEN], id_s[24];
	const char *params[3];

	if (!j) {
		refuse(h, req, 503);
		return;
	}
	tz_format_iso8601(dunnd_now(h->d), at_s, sizeof at_s);
	snprintf(id_s, sizeof id_s, "%" PRId64, id);
	params[0] = id_s;
	if (!pay) {
		take_flash(req, j);
		params[1] = at_s;
		job_send(j, SQL_VIEW, 2, params, view_cb);
		return;
	}
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	if (!q || evhttp_parse_query_str(q, &kv) != 0) {
		back(req, token, "bad_form", NULL);
		job_free(j);
		return;
	}
	params[1] = evhttp_find_header(&kv, "invoice");
	params[2] = at_s;
	if (params[1])
		job_send(j, SQL_PAY, 3, params, pay_cb);
	else {
		back(req, token, "bad_form", NULL);
		job_free(j);
	}
	evhttp_clear_headers(&kv);
}

void page_request(struct http *h, struct evhttp_request *req, const char *path)
{
	const char *tok = path + 3; /* after "/p/" */
	size_t n = strcspn(tok, "/");
	const char *rest = tok + n;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int is_get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	char token[TOKEN_MAX];
	int64_t id = 0;
	int rc, form = -1;

	if (n == 0 || n >= sizeof token ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") < n) {
		refuse(h, req, 403);
		return;
	}
	memcpy(token, tok, n);
	token[n] = '\0';
	rc = token_check(h->d->link_secret, token, dunnd_now(h->d), &id);
	if (rc != 0) {
		if (http_refused_log_ok())
			log_info("page", "event=page_refused reason=%s",
				 rc == -2 ? "expired" : "invalid");
		refuse(h, req, rc == -2 ? 410 : 403);
		return;
	}
	/* Every request for the account draws on its bucket, the one-click
	 * unsubscribe too (each one writes an event row). */
	if (!page_limit_take(id, metrics_now())) {
		log_warn("page", "event=page_rate_limited account_id=%" PRId64, id);
		refuse(h, req, 429);
		return;
	}
	if (!strcmp(rest, "/unsubscribe")) {
		char to[TOKEN_MAX + 8];
		if (cmd == EVHTTP_REQ_POST) {
			unsubscribe(h, req, token, id);
		} else if (is_get) { /* a person followed the link: show the page */
			snprintf(to, sizeof to, "/p/%s", token);
			redirect(req, to);
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
					  "GET, HEAD, POST");
			refuse(h, req, 405);
		}
		return;
	}
	if (*rest) {
		for (int f = 0; f < PAGE_NFORMS; f++)
			if (!strcmp(rest + 1, page_form_names[f]))
				form = f;
		if (form < 0 && strcmp(rest, "/pay") != 0) {
			refuse(h, req, 404);
			return;
		}
	}
	if ((form >= 0 && cmd != EVHTTP_REQ_POST) || (form < 0 && !is_get)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  form >= 0 ? "POST" : "GET, HEAD");
		refuse(h, req, 405);
		return;
	}
	if (form >= 0)
		post(h, req, token, id, (enum page_form)form);
	else
		get(h, req, token, id, *rest != '\0');
}

void page_abort_all(void)
{
	for (struct page_job *j = jobs; j; j = j->next) {
		if (j->req)
			http_reply(j->req, NULL, 503, "text/plain; charset=utf-8",
				   "shutting down\n", 14);
		j->req = NULL;
	}
}
