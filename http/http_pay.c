/* Payment providers' webhooks: POST /webhooks/<instance>/events for each
 * instance of "payments" (Stripe, Adyen, generic). The signature is
 * checked before anything is read (sig.c), the body parsed into payment
 * events (payevent.c), and each event applied with one statement on this
 * listener's own asynchronous connection, so the answer never waits on
 * anything but that statement.
 *
 * Every event is recorded in dunning.payment_events under its provider's
 * event id, whatever becomes of it: an event seen before is a duplicate
 * and changes nothing, an invoice dunnd does not know is answered 2xx and
 * recorded (outcome unknown_invoice). A payment becomes a ledger entry
 * (dunning.payments, source 'provider:instance') keyed by the payment's
 * own id, so the several events of one payment count once, and never more
 * than is owed. A refund is an entry of kind refund keyed by what it
 * refunds; one that arrives before its payment first records that payment
 * (so the end state is the same in any order). A dispute (Stripe's
 * charge.dispute.created, Adyen's CHARGEBACK) takes the disputed money
 * back off the invoice, which the provider has done, and opens a dispute
 * on it through the shared dispute path (caseops.c), which pauses its
 * dunning. The ledger's trigger wakes the case, which resolves on the
 * next poll when nothing is overdue (queued reminders cancelled, one
 * confirmation), or, when a refund unsettles an invoice whose payment
 * closed it, goes on from the step it had reached (the invoices trigger
 * of migration 0021, which every way of writing a refund passes). */
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caseops.h"
#include "http_int.h"
#include "log.h"
#include "payevent.h"
#include "sig.h"
#include "tz.h"
#include "utf8.h"

#define PAY_MAX_SECRETS 8

struct http_pay {
	char *name;
	enum config_pay_provider provider;
	char source[48]; /* "stripe:<name>": the ledger's and the events' source */
	char route[80];  /* "/webhooks/<name>/events": the request counter's label */
	char *ref_field;
	char *secrets[PAY_MAX_SECRETS]; /* stripe: one per line; generic: [0] */
	size_t nsecrets;
	unsigned char key[SIG_ADYEN_KEY_MAX]; /* adyen */
	size_t keylen;
};

/* One event applied.
 *  $1 source, $2 event id (NULL: a payment a refund implies, no event
 *  row), $3 type, $4 kind (payment, refund, dispute, ignored), $5 the
 *  invoice reference the event names, $6 a second candidate, $7 the
 *  payment's own id, $8 the refund's or dispute's own key (NULL for a
 *  payment), $9 amount in minor units, $10 currency, $11 when the provider
 *  says it happened (NULL: now), $12 true when $9 is the total refunded so
 *  far rather than this refund's own amount.
 * The invoice is the one the payment was recorded against, else the one
 * named by $5, else by $6. One row: outcome, the invoice's reference, the
 * payment_events id. */
static const char SQL_APPLY[] =
	"WITH inv AS (\n"
	"  SELECT i.id, i.account_id, i.currency::text AS currency, i.external_ref,\n"
	"         CASE WHEN i.paid_at IS NULL THEN greatest(i.amount_due - i.amount_paid, 0)\n"
	"              ELSE 0 END AS owed, i.amount_paid\n"
	"  FROM dunning.invoices i\n"
	"  WHERE i.id = coalesce(\n"
	"    (SELECT p.invoice_id FROM dunning.payments p\n"
	"     WHERE p.source = $1::text AND p.source_id = $7::text),\n"
	"    (SELECT x.id FROM dunning.invoices x WHERE $5::text <> '' AND x.external_ref = $5::text),\n"
	"    (SELECT x.id FROM dunning.invoices x WHERE $6::text <> '' AND x.external_ref = $6::text))\n"
	"  FOR UPDATE),\n"
	"fresh AS (SELECT $2::text IS NULL OR NOT EXISTS (\n"
	"    SELECT 1 FROM dunning.payment_events e WHERE e.source = $1::text AND e.event_id = $2::text)\n"
	"  AS yes),\n"
	"refunded AS (SELECT coalesce(-sum(p.amount), 0) AS total FROM dunning.payments p\n"
	"  WHERE p.source = $1::text AND p.kind = 'refund'\n"
	"    AND left(p.source_id, length($7::text) + 1) = $7::text || ':'),\n"
	"amt AS (SELECT CASE\n"
	"    WHEN $4::text = 'payment' THEN least($9::bigint, inv.owed)\n"
	"    WHEN $4::text IN ('refund', 'dispute') THEN least(\n"
	"      CASE WHEN $12::boolean THEN $9::bigint - refunded.total ELSE $9::bigint END,\n"
	"      inv.amount_paid)\n"
	"    ELSE 0 END AS v FROM inv, refunded),\n"
	"ledger AS (\n"
	"  INSERT INTO dunning.payments (invoice_id, account_id, kind, amount, currency, at, source,\n"
	"                                source_id)\n"
	"  SELECT inv.id, inv.account_id, CASE WHEN $4::text = 'payment' THEN 'payment' ELSE 'refund' END,\n"
	"         CASE WHEN $4::text = 'payment' THEN amt.v ELSE -amt.v END, inv.currency,\n"
	"         least(coalesce($11::timestamptz, now()), now()), $1::text, coalesce($8::text, $7::text)\n"
	"  FROM inv, amt, fresh\n"
	"  WHERE fresh.yes AND $4::text IN ('payment', 'refund', 'dispute') AND amt.v > 0\n"
	"    AND inv.currency = $10::text\n"
	"  ON CONFLICT (source, source_id) DO NOTHING RETURNING id),\n"
	"outcome AS (SELECT CASE\n"
	"    WHEN NOT fresh.yes THEN 'duplicate'\n"
	"    WHEN $4::text = 'ignored' THEN 'ignored'\n"
	"    WHEN NOT EXISTS (SELECT 1 FROM inv) THEN 'unknown_invoice'\n"
	"    WHEN $10::text IS DISTINCT FROM (SELECT currency FROM inv) THEN 'currency_mismatch'\n"
	"    WHEN $4::text = 'dispute' THEN 'dispute'\n"
	"    WHEN EXISTS (SELECT 1 FROM ledger) THEN 'recorded'\n"
	"    WHEN EXISTS (SELECT 1 FROM dunning.payments p WHERE p.source = $1::text\n"
	"                 AND p.source_id = coalesce($8::text, $7::text)) THEN 'already_recorded'\n"
	"    WHEN $4::text = 'payment' THEN 'nothing_owed'\n"
	"    ELSE 'nothing_to_refund' END AS o FROM fresh),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.payment_events (source, event_id, type, kind, payment_ref, invoice_ref,\n"
	"                                      invoice_id, account_id, amount, currency, outcome,\n"
	"                                      ledger_id, provider_at)\n"
	"  SELECT $1::text, $2::text, $3::text, $4::text, nullif($7::text, ''),\n"
	"         nullif(coalesce(nullif($5::text, ''), $6::text), ''), (SELECT id FROM inv),\n"
	"         (SELECT account_id FROM inv), $9::bigint, $10::text, outcome.o,\n"
	"         (SELECT id FROM ledger), $11::timestamptz\n"
	"  FROM outcome WHERE $2::text IS NOT NULL AND outcome.o <> 'duplicate'\n"
	"  ON CONFLICT (source, event_id) DO NOTHING RETURNING id, outcome),\n"
	"audit AS (\n"
	"  INSERT INTO dunning.events (kind, account_id, detail)\n"
	"  SELECT 'payment_webhook', (SELECT account_id FROM inv),\n"
	"         jsonb_build_object('source', $1::text, 'event_id', $2::text, 'type', $3::text,\n"
	"                            'outcome', ev.outcome, 'invoice_id', (SELECT id FROM inv),\n"
	"                            'payment_event_id', ev.id, 'ledger_id', (SELECT id FROM ledger))\n"
	"  FROM ev)\n"
	"SELECT outcome.o, (SELECT external_ref FROM inv), (SELECT id FROM ev) FROM outcome";

enum pay_step { STEP_IMPLIED, STEP_APPLY, STEP_DISPUTE, STEP_DONE };

struct pay_job {
	struct http *h;
	struct pay_job *prev, *next;
	struct evhttp_request *req; /* NULL once answered on shutdown */
	const struct http_pay *inst;
	struct payevent ev[PAYEV_MAX];
	size_t nev, cur;
	enum pay_step step;
	char ref[PAYEV_FIELD]; /* the invoice the event was applied to */
	const char *outcome[PAYEV_MAX];
};

static struct pay_job *pay_jobs; /* waiting for the database */

static void pay_next(struct pay_job *j);

static void pay_job_free(struct pay_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (pay_jobs == j)
		pay_jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	free(j);
}

static void pay_answer(struct pay_job *j, int code, const char *error)
{
	struct evhttp_request *req = j->req;
	char *body = NULL;

	j->req = NULL;
	if (!req)
		return;
	if (code == 200 && j->inst->provider == CONFIG_PAY_ADYEN) {
		/* What Adyen expects back, or it retries. */
		http_reply(req, j->inst->route, 200, "text/plain", "[accepted]", 10);
		return;
	}
	json_t *o = code != 200 ? json_pack("{ss}", "error", error ? error : "error")
				: json_pack("{ss}", "result", j->nev ? j->outcome[0] : "ignored");
	if (o && code == 200 && j->nev > 1) {
		json_t *all = json_array();
		for (size_t i = 0; i < j->nev; i++)
			json_array_append_new(all, json_string(j->outcome[i]));
		json_object_set_new(o, "results", all);
	}
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	http_reply(req, j->inst->route, body ? code : 500, "application/json", body ? body : "",
		   body ? strlen(body) : 0);
	free(body);
}

/* The outcome names are static; the database's text is matched to one. */
static const char *outcome_name(const char *s)
{
	static const char *const names[] = {
		"duplicate", "ignored",          "unknown_invoice", "currency_mismatch", "dispute",
		"recorded",  "already_recorded", "nothing_owed",    "nothing_to_refund"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i]))
			return names[i];
	return "unknown";
}

static void pay_cb(const PGresult *res, void *arg)
{
	struct pay_job *j = arg;
	const struct payevent *ev = &j->ev[j->cur];

	if (!j->req) { /* answered on shutdown */
		pay_job_free(j);
		return;
	}
	if (!pgq_ok(res)) {
		const char *e = pgq_error(j->h->db, res);
		log_err("http",
			"event=payment_apply_failed instance=%s event_id=\"%.64s\" error=\"%.*s\"",
			j->inst->name, ev->id, (int)strcspn(e, "\n"), e);
		/* The provider retries; every step is idempotent. */
		pay_answer(j, res ? 500 : 503, "database error");
		pay_job_free(j);
		return;
	}
	switch (j->step) {
	case STEP_IMPLIED:
		j->step = STEP_APPLY;
		break;
	case STEP_APPLY:
		j->outcome[j->cur] = PQntuples(res) ? outcome_name(PQgetvalue(res, 0, 0))
						    : "unknown";
		snprintf(j->ref, sizeof j->ref, "%s", PQntuples(res) ? PQgetvalue(res, 0, 1) : "");
		log_info("http",
			 "event=payment_event instance=%s event_id=\"%.64s\" type=\"%.40s\" "
			 "outcome=%s",
			 j->inst->name, ev->id, ev->type, j->outcome[j->cur]);
		if (ev->kind == PAYEV_DISPUTE && !strcmp(j->outcome[j->cur], "dispute") &&
		    j->ref[0]) {
			j->step = STEP_DISPUTE;
		} else {
			j->step = STEP_DONE;
		}
		break;
	case STEP_DISPUTE:
		if (PQntuples(res) && atoi(PQgetvalue(res, 0, 0)) == 0)
			log_warn("http",
				 "event=payment_dispute_not_opened instance=%s invoice=\"%.64s\" "
				 "reason=\"no unpaid invoice\"",
				 j->inst->name, j->ref);
		j->step = STEP_DONE;
		break;
	case STEP_DONE:
		break;
	}
	if (j->step == STEP_DONE) {
		j->cur++;
		j->step = STEP_IMPLIED;
	}
	pay_next(j);
}

static int pay_send(struct pay_job *j)
{
	const struct payevent *ev = &j->ev[j->cur];
	char amount[24], at[32], key[PAYEV_FIELD * 2 + 16];
	const char *p[12];
	struct pgarr chans;
	int rc;

	if (j->step == STEP_IMPLIED && (ev->kind != PAYEV_REFUND || ev->captured <= 0))
		j->step = STEP_APPLY;
	if (ev->at > 0)
		tz_format_iso8601(ev->at, at, sizeof at);
	p[0] = j->inst->source;
	p[2] = ev->type;
	p[4] = ev->ref;
	p[5] = ev->alt_ref;
	p[6] = ev->payment;
	p[9] = ev->currency[0] ? ev->currency : NULL;
	p[10] = ev->at > 0 ? at : NULL;
	p[11] = ev->cumulative ? "true" : "false";
	switch (j->step) {
	case STEP_IMPLIED:
		/* The payment this refund undoes, as the refund tells it: the
		 * same key as its own event, so whichever comes first counts. */
		snprintf(amount, sizeof amount, "%" PRId64, ev->captured);
		p[1] = NULL;
		p[3] = "payment";
		p[7] = NULL;
		p[8] = amount;
		return pgq_send(j->h->db, SQL_APPLY, 12, p, pay_cb, j);
	case STEP_APPLY:
		snprintf(amount, sizeof amount, "%" PRId64, ev->amount);
		p[1] = ev->id;
		p[3] = payevent_kind_name(ev->kind);
		p[7] = ev->kind == PAYEV_REFUND ? ev->refund : NULL;
		if (ev->kind == PAYEV_DISPUTE) {
			snprintf(key, sizeof key, "%s:dispute:%s", ev->payment, ev->id);
			p[7] = key;
		}
		p[8] = amount;
		return pgq_send(j->h->db, SQL_APPLY, 12, p, pay_cb, j);
	case STEP_DISPUTE: {
		const char *d[CASEOPS_DISPUTE_OPEN_NPARAMS] = {NULL};
		char detail[PAYEV_FIELD + 64], now_s[32];
		snprintf(detail, sizeof detail, "%s %s", j->inst->source, ev->id);
		tz_format_iso8601((int64_t)time(NULL), now_s, sizeof now_s);
		d[0] = j->ref;
		d[1] = "chargeback";
		d[2] = detail;
		d[3] = "provider";
		d[4] = now_s;
		d[5] = caseops_notice_channels(j->h->d->cfg->policy, &chans);
		d[7] = "payment_dispute";
		rc = d[5] ? pgq_send(j->h->db, CASEOPS_SQL_DISPUTE_OPEN,
				     CASEOPS_DISPUTE_OPEN_NPARAMS, d, pay_cb, j)
			  : -1;
		pgarr_free(&chans);
		return rc;
	}
	case STEP_DONE:
		break;
	}
	return -1;
}

static void pay_next(struct pay_job *j)
{
	if (j->cur < j->nev) {
		if (pay_send(j) != 0) {
			pay_answer(j, 503, "database unavailable");
			pay_job_free(j);
		}
		return;
	}
	pay_answer(j, 200, NULL);
	pay_job_free(j);
}

/* Verify and parse; 200, or the status to answer. */
static int pay_parse(const struct http_pay *inst, struct evhttp_request *req, const char *body,
		     size_t len, struct pay_job *j, const char **why)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	int64_t now = (int64_t)time(NULL);
	char err[256];
	enum sig_result sr;

	switch (inst->provider) {
	case CONFIG_PAY_STRIPE:
		sr = sig_stripe_verify((const char *const *)inst->secrets, inst->nsecrets,
				       evhttp_find_header(ih, "Stripe-Signature"), body, len, now);
		if (sr != SIG_OK) {
			*why = sig_strerror(sr);
			return 403;
		}
		if (payevent_stripe(body, len, inst->ref_field, &j->ev[0], err, sizeof err) != 0) {
			*why = "not a Stripe event";
			return 400;
		}
		j->nev = 1;
		return 200;
	case CONFIG_PAY_ADYEN:
		if (payevent_adyen(body, len, j->ev, PAYEV_MAX, &j->nev, err, sizeof err) != 0) {
			*why = "not an Adyen notification";
			return 400;
		}
		/* Each item is signed on its own; one that does not verify refuses
		 * the whole request, so nothing of a forged batch is applied. */
		for (size_t i = 0; i < j->nev; i++) {
			sr = sig_adyen_verify(inst->key, inst->keylen, j->ev[i].signed_data,
					      strlen(j->ev[i].signed_data), j->ev[i].hmac);
			if (sr != SIG_OK) {
				*why = sig_strerror(sr);
				return 403;
			}
		}
		return 200;
	case CONFIG_PAY_GENERIC:
		sr = sig_dunn_verify(inst->secrets[0], evhttp_find_header(ih, "X-Dunn-Timestamp"),
				     body, len, evhttp_find_header(ih, "X-Dunn-Signature"), now);
		if (sr != SIG_OK) {
			*why = sig_strerror(sr);
			return 403;
		}
		if (payevent_generic(body, len, &j->ev[0], err, sizeof err) != 0) {
			*why = "not a payment event";
			return 400;
		}
		j->nev = 1;
		return 200;
	}
	return 500;
}

/* Text from outside made valid UTF-8 before PostgreSQL sees it. */
static void clean(char *f, size_t size)
{
	char *t;

	if (utf8_valid(f, strlen(f)))
		return;
	t = utf8_sanitize(f, strlen(f), size - 1);
	snprintf(f, size, "%s", t ? t : "");
	free(t);
}

int http_pay_route(struct http *h, struct evhttp_request *req, const char *path)
{
	const struct http_pay *inst = NULL;
	struct evbuffer *in;
	struct pay_job *j;
	const char *why = NULL;
	char *body;
	size_t len;
	int rc;

	for (size_t i = 0; i < h->npay; i++)
		if (!strcmp(path, h->pay[i].route))
			inst = &h->pay[i];
	if (!inst)
		return 0;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		http_reply(req, inst->route, 405, "application/json",
			   "{\"error\":\"method not allowed\"}\n", 31);
		return 1;
	}
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	j = calloc(1, sizeof *j);
	body = malloc(len + 1);
	if (!j || !body) {
		free(j);
		free(body);
		http_reply(req, inst->route, 500, "application/json",
			   "{\"error\":\"out of memory\"}", 25);
		return 1;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	j->h = h;
	j->req = req;
	j->inst = inst;
	rc = (int64_t)len > h->d->cfg->http_max_body ? 413
						     : pay_parse(inst, req, body, len, j, &why);
	free(body);
	if (rc != 200) {
		log_warn("http", "event=payment_webhook_rejected instance=%s code=%d reason=\"%s\"",
			 inst->name, rc, why ? why : "body too large");
		pay_answer(j, rc,
			   rc == 403           ? "forbidden"
				   : rc == 413 ? "body too large"
					       : "malformed body");
		free(j);
		return 1;
	}
	for (size_t i = 0; i < j->nev; i++) {
		struct payevent *e = &j->ev[i];
		clean(e->id, sizeof e->id);
		clean(e->type, sizeof e->type);
		clean(e->ref, sizeof e->ref);
		clean(e->alt_ref, sizeof e->alt_ref);
		clean(e->payment, sizeof e->payment);
		clean(e->refund, sizeof e->refund);
	}
	j->next = pay_jobs;
	if (pay_jobs)
		pay_jobs->prev = j;
	pay_jobs = j;
	pay_next(j);
	return 1;
}

/* A Stripe secret file: one secret a line (rotation keeps the old one
 * beside the new until its events stop). */
static int load_lines(struct http_pay *p, char *text, char *err, size_t errlen)
{
	for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save)) {
		l += strspn(l, " \t");
		size_t n = strlen(l);
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			l[--n] = '\0';
		if (!n)
			continue;
		if (p->nsecrets == PAY_MAX_SECRETS) {
			snprintf(err, errlen, "more than %d secrets", PAY_MAX_SECRETS);
			return -1;
		}
		p->secrets[p->nsecrets] = strdup(l);
		if (!p->secrets[p->nsecrets++]) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (!p->nsecrets) {
		snprintf(err, errlen, "no secret in the file");
		return -1;
	}
	return 0;
}

static int load_one(const struct config *c, const struct config_payment *cp, struct http_pay *p,
		    char *err, size_t errlen)
{
	char why[512], *text;
	int rc = 0;

	p->name = strdup(cp->name);
	p->provider = cp->provider;
	p->ref_field = cp->ref_field ? strdup(cp->ref_field) : NULL;
	snprintf(p->source, sizeof p->source, "%s:%s", config_pay_provider_name(cp->provider),
		 cp->name);
	snprintf(p->route, sizeof p->route, "/webhooks/%s/events", cp->name);
	text = config_read_secret(c->dir, cp->secret_file, why, sizeof why);
	if (!text) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	switch (cp->provider) {
	case CONFIG_PAY_STRIPE:
		rc = load_lines(p, text, why, sizeof why);
		break;
	case CONFIG_PAY_ADYEN: {
		char *k = text + strspn(text, " \t\r\n");
		k[strcspn(k, " \t\r\n")] = '\0';
		int n = sig_adyen_key(k, p->key);
		if (n < 0) {
			snprintf(why, sizeof why, "'%s' is not a hex HMAC key of 32 to 64 bytes",
				 cp->secret_file);
			rc = -1;
		} else
			p->keylen = (size_t)n;
		break;
	}
	case CONFIG_PAY_GENERIC:
		if (strlen(text) < 16) {
			snprintf(why, sizeof why, "'%s' is shorter than 16 bytes", cp->secret_file);
			rc = -1;
		} else {
			p->secrets[0] = strdup(text);
			p->nsecrets = p->secrets[0] != NULL;
		}
		break;
	}
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc != 0)
		snprintf(err, errlen, "%s", why);
	return rc;
}

int http_pay_load(struct http *h, char *err, size_t errlen)
{
	const struct config *c = h->d->cfg;

	if (!c->npayments)
		return 0;
	h->pay = calloc(c->npayments, sizeof *h->pay);
	if (!h->pay) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->npayments; i++) {
		char why[600];
		h->npay++;
		if (load_one(c, &c->payments[i], &h->pay[i], why, sizeof why) != 0) {
			snprintf(err, errlen, "payments.%s.%s: %s", c->payments[i].name,
				 c->payments[i].provider == CONFIG_PAY_STRIPE
					 ? "signing_secret_file"
					 : c->payments[i].provider == CONFIG_PAY_ADYEN
					 ? "hmac_key_file"
					 : "secret_file",
				 why);
			return -1;
		}
	}
	return 0;
}

void http_pay_free(struct http *h)
{
	for (size_t i = 0; i < h->npay; i++) {
		struct http_pay *p = &h->pay[i];
		for (size_t k = 0; k < p->nsecrets; k++) {
			explicit_bzero(p->secrets[k], strlen(p->secrets[k]));
			free(p->secrets[k]);
		}
		explicit_bzero(p->key, sizeof p->key);
		free(p->name);
		free(p->ref_field);
	}
	free(h->pay);
	h->pay = NULL;
	h->npay = 0;
}

void http_pay_abort_all(struct http *h)
{
	(void)h;
	for (struct pay_job *j = pay_jobs; j; j = j->next)
		pay_answer(j, 503, "shutting down");
}
