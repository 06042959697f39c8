/* Provider webhooks: verify, parse into channel events, apply each event
 * to the database with one parameterised statement, answer.
 *
 * Twilio callbacks are verified and parsed by the channel module that owns
 * the auth token (ops->webhook); the generic ones are verified with
 * X-Dunn-Signature, here with http.webhook_secret_file's key or by each
 * generic sms instance with its own. A signed callback whose signature was
 * seen before is a duplicate: answered, and applied only the first time.
 * Text is made valid UTF-8 before it is stored. Replies that are keywords
 * (STOP, START, HELP, in en, ko, ja, zh: engine/feedback.c) are answered at
 * once, in the language of the account the number belongs to; a
 * confirmation goes out only when the statement changed something, so a
 * repeated STOP gets an empty answer. A reply that names an opt-out word
 * but is not one goes to a person (a review task) and pauses texts to the
 * number meanwhile. Delivery
 * statuses only move forward (see dunning.delivery_rank in
 * migrations/0003_webhooks.sql): repeated or late callbacks change
 * nothing. Unknown provider ids are answered 200 and recorded. */
#include <ctype.h>
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brand.h"
#include "feedback.h"
#include "htmlesc.h"
#include "http_int.h"
#include "log.h"
#include "sig.h"
#include "utf8.h"

#define HOOK_MAX_EVENTS 8

struct http_job {
	struct http *h;
	struct http_job *prev, *next;
	struct evhttp_request *req;  /* NULL once answered on shutdown */
	const char *path;            /* static route */
	int twilio;                  /* answer in TwiML */
	const struct dunnd_chan *dc; /* the instance of /webhooks/<instance>/<kind> */
	char route[96];              /* that route, the request counter's label */
	const char *source;          /* "twilio", "sms", "email": events detail */
	char seen[80];               /* X-Dunn-Signature once verified, "" = none */
	struct channel_event ev[HOOK_MAX_EVENTS];
	size_t nev, cur;
	int kw;           /* enum feedback_keyword of the event in flight */
	const char *lang; /* the keyword's language: replies to unknown numbers */
	char reply[480];  /* text message back to the sender, "" = none */
	const char *result;
};

/* $1 of every statement: the signature of a signed callback, or NULL. The
 * first time a signature is seen it is recorded in the same statement
 * that applies the callback, so a callback that fails is not recorded and
 * its retry applies; the same signature again changes nothing and is
 * answered as a duplicate. Expired signatures (their timestamp can no
 * longer verify) are deleted on the way. */
#define SEEN                                                      \
	"seen AS (INSERT INTO dunning.webhook_seen (signature)\n" \
	"         SELECT $1::text WHERE $1::text IS NOT NULL\n"   \
	"         ON CONFLICT DO NOTHING RETURNING 1),\n"         \
	"purge AS (DELETE FROM dunning.webhook_seen\n"            \
	"          WHERE $1::text IS NOT NULL AND seen_at < now() - interval '15 minutes'),\n"
/* A condition: this callback is not one already applied. */
#define FRESH "($1::text IS NULL OR EXISTS (SELECT 1 FROM seen))"
/* The rows of what changed, or one 'duplicate' row. */
#define DUPLICATE                \
	"SELECT kind FROM ins\n" \
	"UNION ALL SELECT 'duplicate' WHERE NOT " FRESH
/* DUPLICATE with the locale of the account (ins.account_id) the answer
 * is written for. */
#define DUPLICATE_LOCALE                                                                          \
	"SELECT kind, (SELECT locale FROM dunning.accounts WHERE id = ins.account_id) FROM ins\n" \
	"UNION ALL SELECT 'duplicate', NULL WHERE NOT " FRESH

static const char SQL_STATUS[] =
	"WITH " SEEN "d AS (\n"
	"  SELECT id, account_id, case_id, status FROM dunning.deliveries\n"
	"  WHERE provider_message_id = $2 AND " FRESH " ORDER BY id DESC LIMIT 1),\n"
	"upd AS (\n"
	"  UPDATE dunning.deliveries x SET status = $3,\n"
	"         last_error = CASE WHEN $4::text IS NULL THEN x.last_error ELSE $5 || ':' || $4 END,\n"
	"         updated_at = now()\n"
	"  FROM d WHERE x.id = d.id AND dunning.delivery_rank(d.status) < 3\n"
	"    AND dunning.delivery_rank($3) > dunning.delivery_rank(d.status)\n"
	"  RETURNING x.id, x.account_id, x.case_id),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT 'delivery_' || $3, account_id, case_id, id,\n"
	"       jsonb_build_object('source', $5::text, 'provider_status', $6::text,\n"
	"                          'error_code', $4::text) FROM upd\n"
	"UNION ALL\n"
	"SELECT 'webhook_unknown_id', NULL, NULL, NULL,\n"
	"       jsonb_build_object('source', $5::text, 'provider_id', $2::text,\n"
	"                          'provider_status', $6::text)\n"
	"WHERE NOT EXISTS (SELECT 1 FROM d) AND " FRESH "\n"
	"RETURNING kind)\n" DUPLICATE;

/* A hard bounce or complaint: suppress the address, and a bounce also
 * ends the delivery it answers (when the provider names it). */
static const char SQL_SUPPRESS[] =
	"WITH " SEEN "sup AS (\n"
	"  INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"  SELECT $2, lower($3), $4, $5 WHERE " FRESH "\n"
	"  ON CONFLICT DO NOTHING RETURNING address),\n"
	"d AS (\n"
	"  SELECT id, account_id, case_id, status FROM dunning.deliveries\n"
	"  WHERE $6::text IS NOT NULL AND provider_message_id = $6 AND " FRESH "\n"
	"  ORDER BY id DESC LIMIT 1),\n"
	"upd AS (\n"
	"  UPDATE dunning.deliveries x SET status = 'bounced', last_error = $5 || ':' || $4,\n"
	"         updated_at = now()\n"
	"  FROM d WHERE x.id = d.id AND $4 = 'bounce' AND dunning.delivery_rank(d.status) < 3\n"
	"  RETURNING x.id, x.account_id, x.case_id),\n"
	"acct AS (\n"
	"  SELECT coalesce((SELECT account_id FROM d),\n"
	"                  (SELECT id FROM dunning.accounts WHERE lower(email) = lower($3)\n"
	"                   ORDER BY id LIMIT 1)) AS account_id),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT 'suppressed', acct.account_id, (SELECT case_id FROM d), (SELECT id FROM d),\n"
	"       jsonb_build_object('channel', $2::text, 'reason', $4::text, 'source', $5::text)\n"
	"FROM sup, acct\n"
	"UNION ALL\n"
	"SELECT 'delivery_bounced', account_id, case_id, id, jsonb_build_object('source', $5::text)\n"
	"FROM upd\n"
	"RETURNING kind)\n" DUPLICATE;

/* STOP: an opt-out wins over any other reason; a second STOP changes
 * nothing and so returns no row (no second confirmation). The customer
 * has now said it plainly: an open review of an earlier reply from the
 * number is decided as an opt-out, so nobody later turns it into a call. */
static const char SQL_OPT_OUT[] =
	"WITH " SEEN "sup AS (\n"
	"  INSERT INTO dunning.suppressions AS s (channel, address, reason, source)\n"
	"  SELECT 'sms', $2, 'opt-out', 'reply' WHERE " FRESH "\n"
	"  ON CONFLICT (channel, address) DO UPDATE\n"
	"    SET reason = 'opt-out', source = 'reply', created_at = now()\n"
	"    WHERE s.reason <> 'opt-out'\n"
	"  RETURNING 1),\n"
	"rev AS (\n"
	"  UPDATE dunning.phone_tasks t SET outcome = 'opt_out', completed_at = now()\n"
	"  FROM dunning.inbound_messages m\n"
	"  WHERE m.id = t.inbound_message_id AND m.address = $2 AND t.kind = 'review'\n"
	"    AND t.completed_at IS NULL AND " FRESH "\n"
	"  RETURNING t.id),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, detail)\n"
	"SELECT 'sms_opt_out',\n"
	"       (SELECT id FROM dunning.accounts WHERE phone = $2 ORDER BY id LIMIT 1),\n"
	"       jsonb_build_object('source', $3::text, 'keyword', $4::text,\n"
	"                          'reviews_decided', (SELECT count(*) FROM rev)) FROM sup\n"
	"RETURNING kind, account_id)\n" DUPLICATE_LOCALE;

/* START lifts an opt-out only: bounces and manual blocks stay. */
static const char SQL_OPT_IN[] =
	"WITH " SEEN "del AS (\n"
	"  DELETE FROM dunning.suppressions\n"
	"  WHERE channel = 'sms' AND address = $2 AND reason = 'opt-out' AND " FRESH "\n"
	"  RETURNING 1),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, detail)\n"
	"SELECT 'sms_opt_in',\n"
	"       (SELECT id FROM dunning.accounts WHERE phone = $2 ORDER BY id LIMIT 1),\n"
	"       jsonb_build_object('source', $3::text, 'keyword', $4::text) FROM del\n"
	"RETURNING kind, account_id)\n" DUPLICATE_LOCALE;

/* The reply kept, on the sender's open case (else the latest one): the
 * CTEs "acct" and "msg" that the review and inbound statements share. */
#define STORE_REPLY                                                                             \
	"acct AS (\n"                                                                           \
	"  SELECT a.id AS account_id,\n"                                                        \
	"         (SELECT c.id FROM dunning.cases c WHERE c.account_id = a.id\n"                \
	"          ORDER BY (c.state <> 'resolved') DESC, c.id DESC LIMIT 1) AS case_id\n"      \
	"  FROM dunning.accounts a WHERE a.phone = $2 ORDER BY a.id LIMIT 1),\n"                \
	"msg AS (\n"                                                                            \
	"  INSERT INTO dunning.inbound_messages\n"                                              \
	"         (channel, address, body, account_id, case_id, provider_message_id, source)\n" \
	"  SELECT 'sms', $2, $3, acct.account_id, acct.case_id, $4, $5\n"                       \
	"  FROM (SELECT 1) one LEFT JOIN acct ON true WHERE " FRESH "\n"                        \
	"  ON CONFLICT DO NOTHING\n"                                                            \
	"  RETURNING id, account_id, case_id),\n"

/* HELP changes nothing: only the language of the answer is looked up. */
static const char SQL_HELP[] =
	"SELECT 'help', (SELECT locale FROM dunning.accounts WHERE phone = $1 ORDER BY id LIMIT 1)";

/* A reply that names an opt-out word but is not one: kept, a review task
 * due now (never a call), and the number's texts paused by a 'review'
 * suppression until the task is decided (dunnctl tasks complete ID
 * --outcome opt_out|not_opt_out). A number already suppressed keeps its
 * reason. Without a case there is no task and nothing to pause. */
static const char SQL_REVIEW[] =
	"WITH " SEEN STORE_REPLY "task AS (\n"
	"  INSERT INTO dunning.phone_tasks (case_id, account_id, due_at, note, inbound_message_id,\n"
	"                                   kind)\n"
	"  SELECT case_id, account_id, now(), 'SMS reply to review (opt-out?): ' || left($3, 500),\n"
	"         id, 'review'\n"
	"  FROM msg WHERE case_id IS NOT NULL RETURNING id),\n"
	"hold AS (\n"
	"  INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"  SELECT 'sms', $2, 'review', 'reply' FROM task\n"
	"  ON CONFLICT (channel, address) DO NOTHING RETURNING 1),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, case_id, detail)\n"
	"SELECT 'sms_review', account_id, case_id,\n"
	"       jsonb_build_object('source', $5::text, 'inbound_message_id', id,\n"
	"                          'phone_task_id', (SELECT id FROM task),\n"
	"                          'paused', EXISTS (SELECT 1 FROM hold)) FROM msg\n"
	"RETURNING kind)\n" DUPLICATE;

/* Any other reply: keep it, and give the call team a task due now on the
 * sender's open case (else the latest one). */
static const char SQL_INBOUND[] =
	"WITH " SEEN STORE_REPLY "task AS (\n"
	"  INSERT INTO dunning.phone_tasks (case_id, account_id, due_at, note, inbound_message_id)\n"
	"  SELECT case_id, account_id, now(), 'SMS reply: ' || left($3, 500), id FROM msg\n"
	"  WHERE case_id IS NOT NULL RETURNING id),\n"
	"ins AS (INSERT INTO dunning.events (kind, account_id, case_id, detail)\n"
	"SELECT 'sms_inbound', account_id, case_id,\n"
	"       jsonb_build_object('source', $5::text, 'inbound_message_id', id,\n"
	"                          'phone_task_id', (SELECT id FROM task)) FROM msg\n"
	"RETURNING kind)\n" DUPLICATE;

static void job_next(struct http_job *j);

static void job_free(struct http_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (j->h->jobs == j)
		j->h->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	free(j);
}

static void xml_escape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 7 < len; s++) {
		const char *rep = htmlesc_entity((unsigned char)*s);
		if (rep)
			n += (size_t)sprintf(out + n, "%s", rep);
		else
			out[n++] = *s;
	}
	out[n] = '\0';
}

/* JSON string body: our texts come from config and are escaped here. */
static json_t *reply_object(const struct http_job *j)
{
	if (j->reply[0])
		return json_pack("{ss}", "reply", j->reply);
	if (j->result)
		return json_pack("{ss}", "result", j->result);
	return json_object();
}

static void answer(struct http_job *j, int code, const char *error)
{
	struct evhttp_request *req = j->req;
	char esc[sizeof j->reply * 6 + 1], own[sizeof j->reply * 6 + 256], *body = NULL;
	const char *ctype;

	j->req = NULL;
	if (!req)
		return;
	if (code != 200) {
		json_t *o = json_pack("{ss}", "error", error ? error : "error");
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		http_reply(req, j->path, code, "application/json", body ? body : "{}",
			   body ? strlen(body) : 2);
	} else if (j->dc && j->dc->ops->reply &&
		   (ctype = j->dc->ops->reply(j->dc->ch, j->reply, own, sizeof own)) != NULL) {
		http_reply(req, j->path, 200, ctype, own, strlen(own));
	} else if (j->twilio) {
		xml_escape(j->reply, esc, sizeof esc);
		if (asprintf(
			    &body,
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>%s%s%s</Response>\n",
			    esc[0] ? "<Message>" : "", esc, esc[0] ? "</Message>" : "") < 0)
			body = NULL;
		http_reply(req, j->path, body ? 200 : 500, "text/xml; charset=utf-8",
			   body ? body : "", body ? strlen(body) : 0);
	} else {
		json_t *o = reply_object(j);
		body = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		http_reply(req, j->path, body ? 200 : 500, "application/json", body ? body : "",
			   body ? strlen(body) : 0);
	}
	free(body);
}

static void set_reply(struct http_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_reply(struct http_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->reply, sizeof j->reply, fmt, ap);
	va_end(ap);
}

/* The text to send back once a keyword's statement has run: in the
 * language of the account the number belongs to (the statement's locale
 * column), else in the keyword's own, naming that locale's legal
 * identity (brand.sms_name) and support phone (else the support
 * address), as every text dunnd sends does. */
static void keyword_reply(struct http_job *j, const PGresult *res)
{
	const struct config *c = j->h->d->cfg;
	const char *locale = j->lang, *lang, *sender, *support;
	int rows = PQntuples(res), last = PQnfields(res) - 1;

	if (rows > 0 && last >= 1 && !PQgetisnull(res, 0, last))
		locale = PQgetvalue(res, 0, last);
	lang = feedback_lang(locale);
	sender = config_brand_field(c, locale, BRAND_SMS_NAME);
	support = config_brand_field(c, locale, BRAND_SUPPORT_PHONE);
	if (!*support)
		support = config_brand_field(c, locale, BRAND_SUPPORT);
	switch ((enum feedback_keyword)j->kw) {
	case FEEDBACK_KW_STOP:
	case FEEDBACK_KW_START:
		if (rows > 0 &&
		    feedback_reply(j->kw, lang, sender, support, j->reply, sizeof j->reply) < 0)
			log_warn("http", "event=sms_reply_too_long keyword=%d", j->kw);
		break;
	case FEEDBACK_KW_HELP:
		/* http.sms_help_text, when set, is the operator's own text. */
		if (c->sms_help_text)
			set_reply(j, "%s", c->sms_help_text);
		else if (feedback_reply(j->kw, lang, sender, support, j->reply, sizeof j->reply) <
			 0)
			log_warn("http", "event=sms_reply_too_long keyword=%d", j->kw);
		break;
	default:
		break;
	}
}

static void job_cb(const PGresult *res, void *arg)
{
	struct http_job *j = arg;
	int rows;

	if (!j->req) { /* answered on shutdown */
		job_free(j);
		return;
	}
	if (!pgq_ok(res)) {
		const char *e = pgq_error(j->h->db, res);
		log_err("http", "event=webhook_apply_failed path=%s error=\"%.*s\"", j->path,
			(int)strcspn(e, "\n"), e);
		/* The provider retries: every statement is idempotent. */
		answer(j, res ? 500 : 503, "database error");
		job_free(j);
		return;
	}
	rows = PQntuples(res);
	if (rows > 0 && strcmp(PQgetvalue(res, 0, 0), "duplicate") == 0) {
		/* The same signed callback again: applied the first time. */
		log_info("http", "event=webhook_duplicate path=%s", j->path);
		j->result = "duplicate";
		j->cur++;
		job_next(j);
		return;
	}
	if (j->ev[j->cur].kind == CHANNEL_EV_INBOUND)
		keyword_reply(j, res);
	if (j->ev[j->cur].kind == CHANNEL_EV_STATUS)
		j->result = rows == 0                                              ? "unchanged"
			: strcmp(PQgetvalue(res, 0, 0), "webhook_unknown_id") == 0 ? "unknown_id"
										   : "updated";
	else if (j->ev[j->cur].kind == CHANNEL_EV_INBOUND && j->kw == FEEDBACK_KW_HELP)
		j->result = "unchanged";
	else
		j->result = rows > 0 ? "updated" : "unchanged";
	log_info("http", "event=webhook_applied path=%s kind=%d changed=%d", j->path,
		 j->ev[j->cur].kind, rows);
	j->cur++;
	job_next(j);
}

/* Queue the statement for the current event; 1 if queued, 0 if there is
 * nothing to run for it, -1 if the database is not there. */
static int send_event(struct http_job *j)
{
	const struct channel_event *ev = &j->ev[j->cur];
	const char *p[6], **q = p + 1; /* p[0]: the signature */
	static const char *const kwname[] = {"", "stop", "start", "help", "review"};
	const char *status;

	p[0] = j->seen[0] ? j->seen : NULL;
	switch (ev->kind) {
	case CHANNEL_EV_STATUS:
		status = feedback_status(ev->status);
		if (!status) {
			log_info("http", "event=webhook_status_ignored path=%s status=\"%.32s\"",
				 j->path, ev->status);
			j->result = "ignored";
			return 0;
		}
		q[0] = ev->provider_id;
		q[1] = status;
		q[2] = ev->error_code[0] ? ev->error_code : NULL;
		q[3] = j->source;
		q[4] = ev->status;
		return pgq_send(j->h->db, SQL_STATUS, 6, p, job_cb, j) == 0 ? 1 : -1;
	case CHANNEL_EV_BOUNCE:
	case CHANNEL_EV_COMPLAINT:
		q[0] = strchr(ev->address, '@') ? "email" : "sms";
		q[1] = ev->address;
		q[2] = ev->kind == CHANNEL_EV_BOUNCE ? "bounce" : "complaint";
		q[3] = j->source;
		q[4] = ev->provider_id[0] ? ev->provider_id : NULL;
		return pgq_send(j->h->db, SQL_SUPPRESS, 6, p, job_cb, j) == 0 ? 1 : -1;
	case CHANNEL_EV_INBOUND:
		j->kw = (int)feedback_classify(ev->body, &j->lang);
		q[0] = ev->address;
		q[1] = j->source;
		q[2] = kwname[j->kw];
		switch ((enum feedback_keyword)j->kw) {
		case FEEDBACK_KW_HELP:
			/* Nothing to record: the number alone, for its language. */
			return pgq_send(j->h->db, SQL_HELP, 1, q, job_cb, j) == 0 ? 1 : -1;
		case FEEDBACK_KW_STOP:
			return pgq_send(j->h->db, SQL_OPT_OUT, 4, p, job_cb, j) == 0 ? 1 : -1;
		case FEEDBACK_KW_START:
			return pgq_send(j->h->db, SQL_OPT_IN, 4, p, job_cb, j) == 0 ? 1 : -1;
		case FEEDBACK_KW_REVIEW:
		case FEEDBACK_KW_NONE:
			break;
		}
		q[1] = ev->body;
		q[2] = ev->provider_id[0] ? ev->provider_id : NULL;
		q[3] = j->source;
		return pgq_send(j->h->db, j->kw == FEEDBACK_KW_REVIEW ? SQL_REVIEW : SQL_INBOUND, 5,
				p, job_cb, j) == 0
			? 1
			: -1;
	}
	return 0;
}

static void job_next(struct http_job *j)
{
	while (j->cur < j->nev) {
		int r = send_event(j);
		if (r > 0)
			return; /* job_cb continues */
		if (r < 0) {
			answer(j, 503, "database unavailable");
			job_free(j);
			return;
		}
		j->cur++;
	}
	answer(j, 200, NULL);
	job_free(j);
}

static int parse_generic(enum http_hook_kind kind, const char *body, size_t len,
			 struct channel_event *ev)
{
	switch (kind) {
	case HOOK_SMS_STATUS:
		return feedback_parse_sms_status(body, len, ev);
	case HOOK_SMS_INBOUND:
		return feedback_parse_sms_inbound(body, len, ev);
	case HOOK_EMAIL_EVENTS:
		return feedback_parse_email_event(body, len, ev);
	default:
		return -1;
	}
}

static const char *provider_of(const struct config *c, const char *chan)
{
	const struct config_channel *cc = config_channel(c, chan);
	json_t *p = cc ? json_object_get(cc->conf, "provider") : NULL;

	return json_is_string(p) ? json_string_value(p) : "";
}

/* Offer the callback to each Twilio instance until one knows its
 * signature: several accounts may share the URL. */
static int twilio_parse(struct http *h, struct evhttp_request *req, const char *path,
			const char *body, size_t len, struct http_job *j)
{
	const struct config *c = h->d->cfg;
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct channel_request cr = {0};
	char *url = NULL;
	int rc = 404;

	if (asprintf(&url, "%s%s", c->public_url, evhttp_request_get_uri(req)) < 0)
		return 500;
	cr.url = url;
	cr.path = path;
	cr.content_type = evhttp_find_header(ih, "Content-Type");
	cr.body = body;
	cr.body_len = len;
	cr.signature = evhttp_find_header(ih, "X-Twilio-Signature");
	cr.now = (int64_t)time(NULL);
	for (size_t i = 0; i < h->d->nchans; i++) {
		const struct dunnd_chan *dc = &h->d->chans[i];
		const char *reply = NULL;
		size_t n = 0;

		if (!dc->ops->webhook || strcmp(provider_of(c, dc->name), "twilio") != 0)
			continue;
		rc = dc->ops->webhook(dc->ch, &cr, j->ev, HOOK_MAX_EVENTS, &n, &reply);
		if (rc != 403) {
			j->nev = rc == 200 ? (n > HOOK_MAX_EVENTS ? HOOK_MAX_EVENTS : n) : 0;
			break;
		}
	}
	free(url);
	return rc;
}

/* A generic callback (X-Dunn-Signature): http.webhook_secret_file's key
 * verifies every route; an SMS route is also offered to each sms instance
 * with a generic provider, which verifies it with its own secret
 * (webhook_secret_file, else its token). Once verified, the signature is
 * what makes a second delivery of the same callback a duplicate. */
static int generic_parse(struct http *h, struct evhttp_request *req, const char *path,
			 enum http_hook_kind kind, const char *body, size_t len, struct http_job *j)
{
	const struct config *c = h->d->cfg;
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	const char *ts = evhttp_find_header(ih, "X-Dunn-Timestamp");
	const char *sig = evhttp_find_header(ih, "X-Dunn-Signature");
	int64_t now = (int64_t)time(NULL);
	enum sig_result sr = SIG_EMISSING;
	int rc = 403, keys = 0;

	if (h->webhook_secret) {
		keys++;
		sr = sig_dunn_verify(h->webhook_secret, ts, body, len, sig, now);
		if (sr == SIG_OK) {
			char *clean = utf8_sanitize(body, len, (size_t)-1);
			rc = clean && parse_generic(kind, clean, strlen(clean), &j->ev[0]) == 0
				? 200
				: 400;
			j->nev = rc == 200;
			free(clean);
		}
	}
	for (size_t i = 0; rc == 403 && kind != HOOK_EMAIL_EVENTS && i < h->d->nchans; i++) {
		const struct dunnd_chan *dc = &h->d->chans[i];
		struct channel_request cr = {0};
		const char *reply = NULL;
		size_t n = 0;

		if (!dc->ops->webhook || dc->ops->optout != CHANNEL_OPTOUT_TEXTS ||
		    strcmp(provider_of(c, dc->name), "generic") != 0)
			continue;
		keys++;
		cr.path = path;
		cr.content_type = evhttp_find_header(ih, "Content-Type");
		cr.body = body;
		cr.body_len = len;
		cr.signature = sig;
		cr.timestamp = ts;
		cr.now = now;
		rc = dc->ops->webhook(dc->ch, &cr, j->ev, HOOK_MAX_EVENTS, &n, &reply);
		j->nev = rc == 200 ? (n > HOOK_MAX_EVENTS ? HOOK_MAX_EVENTS : n) : 0;
	}
	if (rc == 403 && http_refused_log_ok())
		log_warn("http", "event=webhook_rejected path=%s reason=\"%s\"", path,
			 !keys                       ? "no webhook secret configured"
				 : h->webhook_secret ? sig_strerror(sr)
						     : "no channel's secret verifies it");
	else if (rc == 200 && sig && strlen(sig) < sizeof j->seen)
		for (size_t i = 0; i <= strlen(sig); i++) /* hex in either case */
			j->seen[i] = (char)tolower((unsigned char)sig[i]);
	return rc;
}

/* Text from outside made valid UTF-8 before PostgreSQL sees it (one bad
 * byte would refuse the statement, and the reply would be lost). */
static void field_clean(char *f, size_t size)
{
	char *t;

	if (utf8_valid(f, strlen(f)))
		return;
	t = utf8_sanitize(f, strlen(f), size - 1);
	if (t)
		snprintf(f, size, "%s", t);
	else
		f[0] = '\0';
	free(t);
}

static void event_clean(struct channel_event *ev)
{
	field_clean(ev->provider_id, sizeof ev->provider_id);
	field_clean(ev->status, sizeof ev->status);
	field_clean(ev->error_code, sizeof ev->error_code);
	field_clean(ev->address, sizeof ev->address);
	field_clean(ev->body, sizeof ev->body);
}

void http_hook(struct http *h, struct evhttp_request *req, const char *path,
	       enum http_hook_kind kind)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct http_job *j = calloc(1, sizeof *j);
	char *body = malloc(len + 1);
	int twilio = kind == HOOK_TWILIO_STATUS || kind == HOOK_TWILIO_INBOUND;
	int rc = 200;

	if (!j || !body) {
		free(j);
		free(body);
		http_reply(req, path, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	j->h = h;
	j->req = req;
	j->path = path;
	j->twilio = twilio;
	j->source = twilio ? "twilio" : kind == HOOK_EMAIL_EVENTS ? "email" : "sms";
	if ((int64_t)len > h->d->cfg->http_max_body) {
		rc = 413;
	} else if (twilio) {
		rc = twilio_parse(h, req, path, body, len, j);
	} else {
		rc = generic_parse(h, req, path, kind, body, len, j);
	}
	free(body);
	for (size_t i = 0; rc == 200 && i < j->nev; i++)
		event_clean(&j->ev[i]);
	if (rc != 200) {
		answer(j, rc,
		       rc == 400           ? "malformed body"
			       : rc == 403 ? "forbidden"
			       : rc == 404 ? "no channel for this webhook"
			       : rc == 413 ? "body too large"
					   : "rejected");
		free(j);
		return;
	}
	j->next = h->jobs;
	if (h->jobs)
		h->jobs->prev = j;
	h->jobs = j;
	job_next(j);
}

static const char *request_header(const struct channel_request *cr, const char *name)
{
	return evhttp_find_header(cr->header_ctx, name);
}

/* The instance's own route: only that instance's webhook op sees the
 * request, whatever its provider; the module tells status, replies and
 * bounces apart by kind and verifies with its own key. */
int http_hook_route(struct http *h, struct evhttp_request *req, const char *path, int shared)
{
	const char *inst, *slash;
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const struct dunnd_chan *dc = NULL;
	struct channel_request cr = {0};
	struct http_job *j;
	const char *reply = NULL;
	char *body = NULL, *url = NULL;
	size_t len = evbuffer_get_length(in), n = 0;
	int rc;

	if (strncmp(path, "/webhooks/", 10) != 0)
		return 0;
	inst = path + 10;
	slash = strchr(inst, '/');
	if (!slash || slash == inst || strchr(slash + 1, '/') || !slash[1])
		return 0;
	for (size_t i = 0; i < h->d->nchans; i++)
		if (strlen(h->d->chans[i].name) == (size_t)(slash - inst) &&
		    !strncmp(h->d->chans[i].name, inst, (size_t)(slash - inst)) &&
		    h->d->chans[i].ops->webhook)
			dc = &h->d->chans[i];
	if (!dc || strlen(slash + 1) > 16 ||
	    (shared && evhttp_request_get_command(req) != EVHTTP_REQ_POST))
		return 0;
	j = calloc(1, sizeof *j);
	if (!j) {
		http_reply(req, NULL, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
		return 1;
	}
	j->h = h;
	j->req = req;
	j->dc = dc;
	snprintf(j->route, sizeof j->route, "/webhooks/%s/%s", dc->name, slash + 1);
	j->path = j->route;
	j->source = dc->name;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		answer(j, 405, "method not allowed");
		free(j);
		return 1;
	}
	if ((int64_t)len > h->d->cfg->http_max_body) {
		answer(j, 413, "body too large");
		free(j);
		return 1;
	}
	body = malloc(len + 1);
	/* Signed as called: the public URL, path and query. */
	if (!body ||
	    asprintf(&url, "%s%s", h->d->cfg->public_url, evhttp_request_get_uri(req)) < 0) {
		free(body);
		answer(j, 500, "out of memory");
		free(j);
		return 1;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	cr.url = url;
	cr.path = j->route;
	cr.kind = slash + 1;
	cr.content_type = evhttp_find_header(ih, "Content-Type");
	cr.body = body;
	cr.body_len = len;
	cr.signature = evhttp_find_header(ih, "X-Twilio-Signature");
	if (!cr.signature)
		cr.signature = evhttp_find_header(ih, "X-Dunn-Signature");
	cr.timestamp = evhttp_find_header(ih, "X-Dunn-Timestamp");
	cr.now = (int64_t)time(NULL);
	cr.header = request_header;
	cr.header_ctx = ih;
	rc = dc->ops->webhook(dc->ch, &cr, j->ev, HOOK_MAX_EVENTS, &n, &reply);
	j->nev = rc == 200 ? (n > HOOK_MAX_EVENTS ? HOOK_MAX_EVENTS : n) : 0;
	/* Once verified, the signature makes a second delivery a duplicate. */
	if (rc == 200 && cr.signature && strlen(cr.signature) < sizeof j->seen)
		for (size_t i = 0; i <= strlen(cr.signature); i++)
			j->seen[i] = (char)tolower((unsigned char)cr.signature[i]);
	free(url);
	free(body);
	if (shared && (rc == 403 || rc == 404)) {
		free(j);
		return 0;
	}
	for (size_t i = 0; rc == 200 && i < j->nev; i++)
		event_clean(&j->ev[i]);
	if (rc != 200) {
		if (rc == 403 && http_refused_log_ok())
			log_warn("http",
				 "event=webhook_rejected path=%s reason=\"not verified by the "
				 "instance\"",
				 j->route);
		answer(j, rc,
		       rc == 400           ? "malformed body"
			       : rc == 403 ? "forbidden"
			       : rc == 404 ? "no such webhook"
					   : "rejected");
		free(j);
		return 1;
	}
	j->next = h->jobs;
	if (h->jobs)
		h->jobs->prev = j;
	h->jobs = j;
	job_next(j);
	return 1;
}

void http_hook_abort_all(struct http *h)
{
	for (struct http_job *j = h->jobs; j; j = j->next)
		answer(j, 503, "shutting down");
}
