/* The dispatcher: lease due outbox rows, re-check each against the
 * database (paid? suppressed?), render it, hand it to its channel, and
 * write results back in batches. No transaction is open while a message
 * is on the wire: the lease (lease_until) is what protects it. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery_status.h"
#include "dunnd.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "owed.h"
#include "pgarr.h"
#include "pgrow.h"
#include "render.h"
#include "tz.h"
#include "utf8.h"

/* Bytes of text a result may store: last_error, provider id, address. */
#define RESULT_ERROR_MAX 1000
#define RESULT_PROVIDER_MAX 255
#define RESULT_ADDRESS_MAX 512
/* Depth of the bisection of a refused results write: one level per
 * halving, so 64 covers any batch. */
#define SPLIT_MAX 64

/* One delivery's outcome, kept until the database has it: a failed write
 * is retried, never dropped (a dropped one would be sent again once its
 * lease expired). */
struct result {
	int64_t id, account_id; /* the row is found by both (its shard under Citus) */
	enum delivery_status status;
	char *provider, *error, *address;
	const char *sup_channel; /* static */
	int retry_in;
	int unstorable; /* the database refused it alone: 1 = kept with only the
			   reason, 2 = and as failed */
};

struct results {
	struct result *v;
	size_t n, cap;
};

struct dispatch {
	struct dunnd *d;
	int leasing, more, settled;
	int again; /* kicked while a lease was on the wire: lease once more */
	size_t inflight;
	int flushing;
	/* The database went away (a failover, a killed primary) while rows
	 * were leased: their leases may have run out by the time it is back,
	 * so the lease after it waits until every one of them has its result
	 * written, or it would hand them out and send them again. */
	int after_loss;
	struct results pend;    /* waiting to be written */
	struct results writing; /* the batch on the wire */
	/* A write the database refused for what a row holds is bisected:
	 * the sizes of the chunks at the head of pend that go each in a
	 * statement of its own, the next on top. Empty: pend goes whole. */
	size_t split[SPLIT_MAX];
	int nsplit;
	struct event *ev_flush;
};

/* Lease and gather everything needed to render and to re-check, in one
 * round trip. A row already tried max_attempts times ($4) is never handed
 * out again: a lease that expired without a result (a crash, a write that
 * never landed) would otherwise send it once more every lease_seconds. It
 * fails instead, with the reason and an event. What is owed comes per
 * currency (see owed.h): the overdue amount ({{ amount }}, and the
 * re-check) and the whole balance ({{ balance }}, not yet due included).
 * A receipt states what its clearing settled: every invoice of the
 * account settled since its case opened, up to the clearing, per
 * currency. The batch is handed out oldest row first: over the outbox's
 * partitions the update's join comes back in any order. */
static const char SQL_LEASE[] =
	"WITH lease AS (\n"
	"  SELECT id, account_id FROM dunning.deliveries\n"
	"  WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1\n"
	"  ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),\n"
	"spent AS (\n"
	"  UPDATE dunning.deliveries d SET status = 'failed', lease_until = NULL, updated_at = now(),\n"
	"         last_error = 'attempts exhausted (' || d.attempts || ' of ' || $4::int || ')' ||\n"
	"           CASE WHEN d.status = 'sending' THEN ': the last attempt''s result never came back'\n"
	"                WHEN d.last_error IS NOT NULL THEN ': ' || d.last_error ELSE '' END\n"
	"  FROM lease WHERE d.id = lease.id AND d.account_id = lease.account_id\n"
	"    AND d.attempts >= $4::int\n"
	"  RETURNING d.id, d.account_id, d.case_id, d.channel, d.attempts),\n"
	"spent_ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"  SELECT $1, 'delivery_failed', account_id, case_id, id,\n"
	"         jsonb_build_object('channel', channel, 'attempts', attempts,\n"
	"                            'reason', 'attempts_exhausted') FROM spent),\n"
	"upd AS (\n"
	"  UPDATE dunning.deliveries d SET status = 'sending', attempts = d.attempts + 1,\n"
	"         lease_until = $1::timestamptz + make_interval(secs => $3::int),\n"
	"         next_attempt_at = $1::timestamptz + make_interval(secs => $3::int),\n"
	"         leased_by = $5::int, updated_at = now()\n"
	"  FROM lease WHERE d.id = lease.id AND d.account_id = lease.account_id\n"
	"    AND d.attempts < $4::int\n"
	"  RETURNING d.id, d.case_id, d.account_id, d.kind, d.channel, d.template, d.attempts,\n"
	"            d.invoice_id, d.dispute_id, d.step, d.cleared_at)\n"
	"SELECT u.id, u.kind, u.channel, u.template, u.attempts, u.account_id,\n"
	"       a.external_ref, a.name, a.email, a.phone, a.locale, a.timezone, c.state,\n"
	"       coalesce(b.overdue, '') AS overdue, coalesce(b.balance, '') AS balance,\n"
	"       coalesce(to_char(b.oldest_due, 'YYYY-MM-DD'), '') AS oldest_due,\n"
	"       coalesce(b.n, 0) AS invoice_count,\n"
	"       EXISTS (SELECT 1 FROM dunning.suppressions s\n"
	"               WHERE s.channel = 'email' AND s.address = lower(a.email)) AS email_supp,\n"
	"       EXISTS (SELECT 1 FROM dunning.suppressions s\n"
	"               WHERE s.channel = 'sms' AND s.address = a.phone) AS sms_supp,\n"
	"       EXISTS (SELECT 1 FROM dunning.suppressions s\n"
	"               WHERE s.channel = 'phone' AND s.address = a.phone) AS phone_supp,\n"
	"       coalesce(dr.original_amount, pi.amount_due) AS inv_amount,\n"
	"       pi.currency AS inv_currency, pi.external_ref AS inv_ref,\n"
	"       dr.reference AS dispute_ref,\n"
	"       coalesce(to_char((c.paused_until AT TIME ZONE a.timezone) - interval '1 day',\n"
	"                        'YYYY-MM-DD'), '') AS promise_date,\n"
	"       (SELECT q.spec FROM dunning.quiet_times q WHERE q.account_id = u.account_id)\n"
	"         AS quiet,\n"
	"       u.step, coalesce(c.track, '') AS track,\n"
	"       coalesce(rc.paid, '') AS receipt,\n"
	"       coalesce(CASE WHEN u.kind = 'reminder' THEN dunning.case_fees(u.case_id) END, "
	"'') AS fees,\n"
	"       coalesce(dr.resolution_note, '') AS resolution\n"
	"FROM upd u JOIN dunning.accounts a ON a.id = u.account_id\n"
	"LEFT JOIN dunning.invoices pi ON pi.id = u.invoice_id AND pi.account_id = u.account_id\n"
	"LEFT JOIN dunning.disputes dr ON dr.id = u.dispute_id AND dr.account_id = u.account_id\n"
	"JOIN dunning.cases c ON c.id = u.case_id AND c.account_id = u.account_id\n"
	"LEFT JOIN LATERAL (\n"
	"  SELECT string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency)\n"
	"           FILTER (WHERE o.overdue > 0) AS overdue,\n"
	"         string_agg(o.currency || ':' || o.balance, ',' ORDER BY o.currency)\n"
	"           FILTER (WHERE o.balance > 0) AS balance,\n"
	"         min(o.oldest_due) AS oldest_due, sum(o.overdue_count) AS n\n"
	"  FROM dunning.account_owed(u.account_id, $1) o) b ON true\n"
	"LEFT JOIN LATERAL (\n"
	"  SELECT string_agg(s.currency || ':' || s.total, ',' ORDER BY s.currency) AS paid\n"
	"  FROM (SELECT si.currency, sum(si.amount_due) AS total FROM dunning.invoices si\n"
	"        WHERE u.kind = 'confirmation' AND si.account_id = u.account_id\n"
	"          AND si.paid_at >= c.opened_at AND si.paid_at <= u.cleared_at\n"
	"        GROUP BY si.currency) s) rc ON true\n"
	"ORDER BY u.id";

/* SQL_LEASE's columns, found by name once a result (pgrow_columns). */
enum lease_col {
	L_ID,
	L_KIND,
	L_CHANNEL,
	L_TEMPLATE,
	L_ATTEMPTS,
	L_ACCOUNT_ID,
	L_REF,
	L_NAME,
	L_EMAIL,
	L_PHONE,
	L_LOCALE,
	L_TZ,
	L_STATE,
	L_OVERDUE,
	L_BALANCE,
	L_DUE,
	L_COUNT,
	L_EMAIL_SUPP,
	L_SMS_SUPP,
	L_PHONE_SUPP,
	L_INV_AMOUNT,
	L_INV_CURRENCY,
	L_INV_REF,
	L_DISPUTE_REF,
	L_PROMISE_DATE,
	L_QUIET,
	L_STEP,
	L_TRACK,
	L_RECEIPT,
	L_FEES,
	L_RESOLUTION,
	L_NCOLS
};

static const char *const lease_names[L_NCOLS] = {
	[L_ID] = "id",
	[L_KIND] = "kind",
	[L_CHANNEL] = "channel",
	[L_TEMPLATE] = "template",
	[L_ATTEMPTS] = "attempts",
	[L_ACCOUNT_ID] = "account_id",
	[L_REF] = "external_ref",
	[L_NAME] = "name",
	[L_EMAIL] = "email",
	[L_PHONE] = "phone",
	[L_LOCALE] = "locale",
	[L_TZ] = "timezone",
	[L_STATE] = "state",
	[L_OVERDUE] = "overdue",
	[L_BALANCE] = "balance",
	[L_DUE] = "oldest_due",
	[L_COUNT] = "invoice_count",
	[L_EMAIL_SUPP] = "email_supp",
	[L_SMS_SUPP] = "sms_supp",
	[L_PHONE_SUPP] = "phone_supp",
	[L_INV_AMOUNT] = "inv_amount",
	[L_INV_CURRENCY] = "inv_currency",
	[L_INV_REF] = "inv_ref",
	[L_DISPUTE_REF] = "dispute_ref",
	[L_PROMISE_DATE] = "promise_date",
	[L_QUIET] = "quiet",
	[L_STEP] = "step",
	[L_TRACK] = "track",
	[L_RECEIPT] = "receipt",
	[L_FEES] = "fees",
	[L_RESOLUTION] = "resolution",
};

/* One leased row, read once. Strings live as long as the lease's
 * PGresult; "" when NULL unless said otherwise. */
struct lease_row {
	int64_t id;
	const char *kind, *channel, *email, *phone, *state;
	const char *quiet; /* the account's quiet-times spec, NULL when none */
	int attempts;
	/* The address is on the opt-out list of mail, texts, calls. */
	int email_supp, sms_supp, phone_supp;
	struct render_row msg; /* what the message says (render.h) */
};

static void lease_row_parse(const PGresult *res, int r, const int *c, struct lease_row *x)
{
	memset(x, 0, sizeof *x);
	x->id = pgrow_int64(res, r, c[L_ID]);
	x->kind = pgrow_text(res, r, c[L_KIND]);
	x->channel = pgrow_text(res, r, c[L_CHANNEL]);
	x->email = pgrow_text(res, r, c[L_EMAIL]);
	x->phone = pgrow_text(res, r, c[L_PHONE]);
	x->state = pgrow_text(res, r, c[L_STATE]);
	x->quiet = pgrow_text_or_null(res, r, c[L_QUIET]);
	x->attempts = pgrow_int(res, r, c[L_ATTEMPTS]);
	x->email_supp = pgrow_bool(res, r, c[L_EMAIL_SUPP]);
	x->sms_supp = pgrow_bool(res, r, c[L_SMS_SUPP]);
	x->phone_supp = pgrow_bool(res, r, c[L_PHONE_SUPP]);
	x->msg.account_id = pgrow_int64(res, r, c[L_ACCOUNT_ID]);
	x->msg.name = pgrow_text(res, r, c[L_NAME]);
	x->msg.account_ref = pgrow_text(res, r, c[L_REF]);
	x->msg.locale = pgrow_text(res, r, c[L_LOCALE]);
	x->msg.timezone = pgrow_text(res, r, c[L_TZ]);
	x->msg.template_name = pgrow_text(res, r, c[L_TEMPLATE]);
	x->msg.overdue = pgrow_text(res, r, c[L_OVERDUE]);
	x->msg.balance = pgrow_text(res, r, c[L_BALANCE]);
	x->msg.oldest_due = pgrow_text(res, r, c[L_DUE]);
	x->msg.invoice_count = pgrow_int64(res, r, c[L_COUNT]);
	x->msg.has_invoice = !pgrow_null(res, r, c[L_INV_AMOUNT]);
	x->msg.invoice_amount = pgrow_int64(res, r, c[L_INV_AMOUNT]);
	x->msg.invoice_currency = pgrow_text(res, r, c[L_INV_CURRENCY]);
	x->msg.invoice_ref = pgrow_text(res, r, c[L_INV_REF]);
	x->msg.dispute_ref = pgrow_text(res, r, c[L_DISPUTE_REF]);
	x->msg.resolution = pgrow_text(res, r, c[L_RESOLUTION]);
	x->msg.promise_date = pgrow_text(res, r, c[L_PROMISE_DATE]);
	x->msg.receipt = pgrow_text(res, r, c[L_RECEIPT]);
	x->msg.fees = pgrow_text(res, r, c[L_FEES]);
	x->msg.track = pgrow_text(res, r, c[L_TRACK]);
	x->msg.step = pgrow_int(res, r, c[L_STEP]);
}

/* The rows are found by id (deliveries_pkey). Written as "status =
 * 'sending'", the guard would let the planner pick deliveries_due instead:
 * its statistics are usually those of a nearly empty outbox, and a bitmap
 * scan of it reads every queued row, so each write would cost more as a
 * burst goes on. Compared through r, the guard can no longer select that
 * index. */
static const char SQL_RESULTS[] =
	"WITH r AS (\n"
	"  SELECT *, 'sending'::text AS leased\n"
	"  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[],\n"
	"              $7::text[], $8::text[], $10::bigint[])\n"
	"       AS r(id, status, provider_id, error, retry_in, address, sup_channel, account_id)),\n"
	"upd AS (\n"
	"  UPDATE dunning.deliveries d SET\n"
	"    status = CASE WHEN r.status = 'deferred' THEN 'queued'\n"
	"                  WHEN r.status <> 'retry' THEN r.status\n"
	"                  WHEN d.attempts >= $9 THEN 'failed' ELSE 'queued' END,\n"
	"    attempts = CASE WHEN r.status = 'deferred' THEN greatest(d.attempts - 1, 0)\n"
	"                    ELSE d.attempts END,\n"
	"    provider_message_id = coalesce(r.provider_id, d.provider_message_id),\n"
	"    last_error = CASE WHEN r.status = 'deferred' THEN d.last_error ELSE r.error END,\n"
	"    address = coalesce(r.address, d.address),\n"
	"    next_attempt_at = CASE WHEN r.status IN ('retry', 'deferred')\n"
	"         THEN $1::timestamptz + make_interval(secs => r.retry_in) ELSE d.next_attempt_at END,\n"
	"    sent_at = CASE WHEN r.status = 'sent' THEN $1::timestamptz ELSE d.sent_at END,\n"
	"    lease_until = NULL, updated_at = now()\n"
	"  FROM r WHERE d.id = ANY($2::bigint[]) AND d.id = r.id AND d.account_id = r.account_id\n"
	"    AND d.status = r.leased\n"
	"  RETURNING d.id, d.account_id, d.case_id, d.channel, d.attempts, d.next_attempt_at,\n"
	"            CASE WHEN r.status = 'deferred' THEN 'deferred' ELSE d.status END AS status,\n"
	"            r.error AS why),\n"
	"sup AS (\n"
	"  INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"  SELECT DISTINCT sup_channel, address, 'bounce', 'provider' FROM r\n"
	"  WHERE r.status = 'bounced' AND sup_channel IS NOT NULL AND address IS NOT NULL\n"
	"  ON CONFLICT DO NOTHING)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT $1, 'delivery_' || status, account_id, case_id, id,\n"
	"       jsonb_build_object('channel', channel, 'attempts', attempts) ||\n"
	"       CASE WHEN status = 'deferred' THEN jsonb_build_object('until', next_attempt_at) ||\n"
	"                 jsonb_strip_nulls(jsonb_build_object('reason', why))\n"
	"            ELSE '{}' END FROM upd";

static void lease(struct dispatch *s);
static void release_leased(struct dispatch *s, const PGresult *res, const int *cols);
static void flush(struct dispatch *s);

static void results_init(struct results *r)
{
	memset(r, 0, sizeof *r);
}

static void results_free(struct results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].provider);
		free(r->v[i].error);
		free(r->v[i].address);
	}
	free(r->v);
	results_init(r);
}

/* A copy that PostgreSQL will take: valid UTF-8, bounded on a character
 * boundary, whatever a channel module passed on (NULL for "" too). The
 * error is also escaped so it can be logged and shown as it is. */
static char *dup_storable(const char *s, size_t max, int escape)
{
	if (!s || !*s)
		return NULL;
	return escape ? utf8_escape_controls(s, strlen(s), max) : utf8_sanitize(s, strlen(s), max);
}

static void results_add(struct results *r, int64_t id, int64_t account_id,
			enum delivery_status status, const char *provider, const char *error,
			int retry_in, const char *address, const char *sup_channel)
{
	struct result *x;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct result *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			log_err("dispatch", "event=result_lost delivery=%lld reason=oom",
				(long long)id);
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	x = &r->v[r->n++];
	x->id = id;
	x->account_id = account_id;
	x->status = status;
	x->provider = dup_storable(provider, RESULT_PROVIDER_MAX, 0);
	x->error = dup_storable(error, RESULT_ERROR_MAX, 1);
	x->address = dup_storable(address, RESULT_ADDRESS_MAX, 0);
	x->sup_channel = sup_channel;
	x->retry_in = retry_in;
	x->unstorable = 0;
}

/* Put a batch that could not be written back in front of what came since. */
static void results_requeue(struct results *pend, struct results *batch)
{
	struct results merged = *batch;

	results_init(batch);
	for (size_t i = 0; i < pend->n; i++) {
		struct result *x = &pend->v[i];
		size_t before = merged.n;

		results_add(&merged, x->id, x->account_id, x->status, x->provider, x->error,
			    x->retry_in, x->address, x->sup_channel);
		if (merged.n > before)
			merged.v[before].unstorable = x->unstorable;
	}
	results_free(pend);
	*pend = merged;
}

/* Move the first k results of src (all when fewer) to dst, which is empty. */
static void results_take(struct results *dst, struct results *src, size_t k)
{
	if (k >= src->n) {
		*dst = *src;
		results_init(src);
		return;
	}
	results_init(dst);
	dst->v = malloc(k * sizeof *dst->v);
	if (!dst->v) { /* no room to split: the whole queue goes */
		*dst = *src;
		results_init(src);
		return;
	}
	memcpy(dst->v, src->v, k * sizeof *dst->v);
	dst->n = dst->cap = k;
	memmove(src->v, src->v + k, (src->n - k) * sizeof *src->v);
	src->n -= k;
}

static void flush_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

struct dispatch *dispatch_new(struct dunnd *d)
{
	struct dispatch *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->d = d;
	s->ev_flush = evtimer_new(d->base, flush_timer, s);
	metrics_set("dunnd_sending_held", d->cfg->hold_sending, NULL);
	return s;
}

void dispatch_free(struct dispatch *s)
{
	if (!s)
		return;
	event_free(s->ev_flush);
	if (s->pend.n || s->writing.n)
		log_err("dispatch", "event=results_unwritten count=%zu", s->pend.n + s->writing.n);
	results_free(&s->pend);
	results_free(&s->writing);
	free(s);
}

int dispatch_settled(const struct dispatch *s)
{
	return s->settled && !s->leasing && !s->more && s->inflight == 0 && s->pend.n == 0 &&
		!s->flushing;
}

static void maybe_settle(struct dispatch *s)
{
	if (dispatch_settled(s))
		dunnd_check_done(s->d);
}

static void retry_flush_later(struct dispatch *s)
{
	struct timeval tv = {1, 0};

	evtimer_add(s->ev_flush, &tv);
}

/* Refused for what a row holds (a byte the encoding cannot take, a
 * constraint, a trigger), not for the connection or the server's state:
 * then writing the rows apart isolates the one at fault. */
static int refused_for_content(const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	static const char *const classes[] = {"22", "23", "2F", "38", "39", "44", "54", "P0"};

	if (!st || strlen(st) != 5)
		return 0;
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (!strncmp(st, classes[i], 2))
			return 1;
	return 0;
}

/* The written chunk is done: the next one of a bisection, if any, is on top. */
static void split_done(struct dispatch *s)
{
	if (s->nsplit > 0)
		s->nsplit--;
}

/* A batch is settled, written or given up: write what waits, else lease. */
static void flush_next(struct dispatch *s)
{
	results_free(&s->writing);
	split_done(s);
	if (s->pend.n > 0)
		flush(s);
	else if (s->more && !s->d->stopping)
		lease(s);
	maybe_settle(s);
}

/* The database refused s->writing for its content. Write each half on
 * its own, and so on down to the row at fault, so every other result is
 * stored within a few round trips; that row is then stored with only
 * the database's reason ("result unstorable: ..."), its status kept,
 * then as failed, and if even that is refused it is given up, logged,
 * and left to its lease (which max_attempts bounds). */
static void results_refused(struct dispatch *s, const PGresult *res)
{
	const char *e = pgq_error(s->d->db_results, res);
	int elen = (int)strcspn(e, "\n");
	size_t n = s->writing.n;
	struct result *x = &s->writing.v[0];

	if (n > 1) {
		size_t a = (n + 1) / 2;

		split_done(s);
		if (s->nsplit + 2 <= SPLIT_MAX) {
			s->split[s->nsplit++] = n - a;
			s->split[s->nsplit++] = a;
		}
		log_warn("dispatch", "event=results_refused count=%zu split=%zu+%zu error=\"%.*s\"",
			 n, a, n - a, elen, e);
		results_requeue(&s->pend, &s->writing);
		flush(s);
		return;
	}
	if (x->unstorable >= 2) {
		log_err("dispatch", "event=result_lost delivery=%" PRId64 " error=\"%.*s\"", x->id,
			elen, e);
		flush_next(s);
		return;
	}
	{
		/* The message alone, without "ERROR:  " and the context lines. */
		const char *pm = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *m = pm ? pm : e;
		char why[RESULT_ERROR_MAX], *safe = utf8_escape_controls(m, strcspn(m, "\n"), 600);
		int level = x->unstorable + 1;

		snprintf(why, sizeof why, "result unstorable: %s", safe ? safe : "refused");
		free(safe);
		log_err("dispatch",
			"event=result_unstorable delivery=%" PRId64 " status=%s error=\"%s\"",
			x->id, delivery_status_name(x->status), why);
		free(x->provider);
		free(x->address);
		free(x->error);
		x->provider = x->address = NULL;
		x->sup_channel = NULL;
		x->error = strdup(why);
		if (level == 2)
			x->status = DELIVERY_FAILED; /* its outcome itself could not be kept */
		x->unstorable = level;
		if (s->nsplit == 0)
			s->split[s->nsplit++] = 1; /* alone, not with what came since */
	}
	results_requeue(&s->pend, &s->writing);
	flush(s);
}

static void flush_cb(const PGresult *res, void *arg)
{
	struct dispatch *s = arg;

	s->flushing = 0;
	if (!pgq_ok(res) && s->writing.n > 0 && refused_for_content(res)) {
		results_refused(s, res);
		return;
	}
	if (!pgq_ok(res)) {
		const char *e = pgq_error(s->d->db_results, res);
		log_err("dispatch", "event=results_deferred count=%zu error=\"%.*s\"", s->writing.n,
			(int)strcspn(e, "\n"), e);
		s->after_loss = 1;
		results_requeue(&s->pend, &s->writing);
		retry_flush_later(s);
		return;
	}
	flush_next(s);
}

static void flush(struct dispatch *s)
{
	struct pgarr a[8];
	char now[32], maxatt[16];
	const char *params[10];
	int ok = 1;

	evtimer_del(s->ev_flush);
	if (s->flushing || s->pend.n == 0)
		return;
	if (!pgq_connected(s->d->db_results)) {
		s->after_loss = 1;
		retry_flush_later(s); /* kept: written once the database is back */
		return;
	}
	results_take(&s->writing, &s->pend, s->nsplit ? s->split[s->nsplit - 1] : s->pend.n);
	for (int k = 0; k < 8; k++)
		pgarr_init(&a[k]);
	for (size_t i = 0; i < s->writing.n; i++) {
		const struct result *x = &s->writing.v[i];
		pgarr_int(&a[0], x->id);
		pgarr_text(&a[1], delivery_status_name(x->status));
		pgarr_text(&a[2], x->provider);
		pgarr_text(&a[3], x->error);
		pgarr_int(&a[4], x->retry_in);
		pgarr_text(&a[5], x->address);
		pgarr_text(&a[6], x->sup_channel);
		pgarr_int(&a[7], x->account_id);
	}
	tz_format_iso8601(dunnd_now(s->d), now, sizeof now);
	snprintf(maxatt, sizeof maxatt, "%d", s->d->cfg->max_attempts);
	params[0] = now;
	for (int k = 0; k < 7; k++)
		if (!(params[k + 1] = pgarr_str(&a[k])))
			ok = 0;
	params[8] = maxatt;
	if (!(params[9] = pgarr_str(&a[7])))
		ok = 0;
	s->flushing = 1;
	if (!ok || pgq_send(s->d->db_results, SQL_RESULTS, 10, params, flush_cb, s) != 0) {
		s->flushing = 0;
		results_requeue(&s->pend, &s->writing);
		retry_flush_later(s);
	}
	for (int k = 0; k < 8; k++)
		pgarr_free(&a[k]);
}

/* A result goes to the database at once: one write is on the wire at a
 * time, and what comes in meanwhile waits in pend for the next one
 * (flush_next), so batches grow with the rate and never wait for a timer.
 * A message the provider took but whose result is not stored yet goes out
 * again after a crash: the shorter that wait, the fewer it repeats. */
static void queue_result(struct dispatch *s, int64_t id, int64_t account_id,
			 enum delivery_status status, const char *provider, const char *error,
			 int retry_in, const char *address, const char *sup_channel)
{
	results_add(&s->pend, id, account_id, status, provider, error, retry_in, address,
		    sup_channel);
	if (!evtimer_pending(s->ev_flush, NULL))
		flush(s); /* a no-op while a write is on the wire */
}

/* Capped exponential backoff with jitter (retry_base_s doubling up to
 * retry_max_s, each wait drawn from its upper half), never sooner than
 * the provider asked for. */
static int backoff_seconds(const struct config *c, int attempts, int retry_after)
{
	int base = c->retry_base_s;

	for (int i = 1; i < attempts && base < c->retry_max_s; i++)
		base *= 2;
	if (base > c->retry_max_s)
		base = c->retry_max_s;
	base = base / 2 + rand() % (base / 2 + 1);
	return retry_after > base ? retry_after : base;
}

/* "smtp 451 4.3.0 try later" -> "smtp_451": a bounded label for metrics. */
static void error_reason(const char *error, char *out, size_t len)
{
	size_t n = 0;
	int words = 0;

	for (const char *p = error; p && *p && n + 1 < len && words < 2; p++) {
		if (*p == ' ') {
			words++;
			if (words < 2)
				out[n++] = '_';
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
			out[n++] = *p;
		} else if (*p >= 'A' && *p <= 'Z') {
			out[n++] = (char)(*p - 'A' + 'a');
		} else {
			break;
		}
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, len, "unknown");
}

static void channel_gauge(struct dispatch *s, const char *name)
{
	const struct dunnd_chan *ch = dunnd_chan(s->d, name);

	if (ch)
		metrics_set("dunnd_channel_inflight", (double)ch->ops->inflight(ch->ch), "channel",
			    name, NULL);
}

struct sendctx {
	struct dispatch *s;
	int64_t account_id;
	int attempts;
	char *address;
	const char *sup_channel;
	const char *chan; /* channel name and start time, for metrics */
	double t0;
};

static void send_done(const struct channel_result *r, void *arg)
{
	struct sendctx *x = arg;
	struct dispatch *s = x->s;
	enum delivery_status status = delivery_status_from_channel(r->status);
	const char *error = r->error;
	char unknown[64];
	int retry = 0;

	if (status == DELIVERY_RETRY)
		retry = backoff_seconds(s->d->cfg, x->attempts, r->retry_after);
	/* A status channel.h does not define: failed, and the row says why. */
	if (status == DELIVERY_FAILED && r->status != CHANNEL_FAILED) {
		snprintf(unknown, sizeof unknown, "module reported unknown status %d",
			 (int)r->status);
		log_warn("dispatch",
			 "event=unknown_status channel=%s delivery=%" PRId64 " status=%d", x->chan,
			 r->delivery_id, (int)r->status);
		if (!error || !*error)
			error = unknown;
	}
	s->inflight--;
	metrics_inc("dunnd_deliveries_total", "channel", x->chan, "status",
		    delivery_status_name(status), NULL);
	if (status != DELIVERY_SENT && status != DELIVERY_DEFERRED) {
		char reason[32];
		error_reason(error, reason, sizeof reason);
		metrics_inc("dunnd_delivery_errors_total", "channel", x->chan, "reason", reason,
			    NULL);
	}
	channel_gauge(s, x->chan);
	metrics_observe("dunnd_send_latency_seconds", metrics_now() - x->t0, "channel", x->chan,
			NULL);
	queue_result(s, r->delivery_id, x->account_id, status, r->provider_id, error, retry,
		     x->address, status == DELIVERY_BOUNCED ? x->sup_channel : NULL);
	free(x->address);
	free(x);
	if (s->more && !s->leasing && !s->d->stopping)
		lease(s);
	maybe_settle(s);
}

/* Kinds that acknowledge the customer's own act, sent at once at any
 * hour; every other kind, present or future, waits for the window. */
static int dispatch_answers_customer(const char *kind)
{
	return !strcmp(kind, "confirmation") || !strcmp(kind, "promise_ack") ||
		!strcmp(kind, "dispute_ack");
}

/* Render and send one leased row, or record why it must not go out. */
static void handle_row(struct dispatch *s, const struct lease_row *row)
{
	int64_t id = row->id, acct = row->msg.account_id;
	const char *chname = row->channel;
	const char *kind = row->kind;
	const struct dunnd_chan *ch = dunnd_chan(s->d, chname);
	int by_account, reminder = strcmp(kind, "reminder") == 0;
	const char *addr;
	struct channel_msg msg = {0};
	struct sendctx *x;
	struct render_out out;
	char unsub[RENDER_URL_MAX + 16], mask[64];
	int rc;

	if (!ch) {
		queue_result(s, id, acct, DELIVERY_FAILED, NULL, "channel not configured", 0, NULL,
			     NULL);
		return;
	}
	/* Address, opt-out list and template come from what the module says
	 * it is (channel.h), never from its name. */
	by_account = ch->ops->addr == CHANNEL_ADDR_ACCOUNT;
	addr = ch->ops->addr == CHANNEL_ADDR_EMAIL ? row->email
		: by_account                       ? row->msg.account_ref
						   : row->phone;
	/* Re-check right before sending: paid, resolved or paused since queued. */
	if (reminder && (!*row->msg.overdue || strcmp(row->state, "active") != 0)) {
		queue_result(s, id, acct, DELIVERY_CANCELLED, NULL, "no longer due", 0, NULL, NULL);
		return;
	}
	/* A total past the bound is never shown wrapped or cut. */
	{
		struct owed chk[OWED_MAX_CURRENCIES];
		if (owed_parse(row->msg.overdue, chk, OWED_MAX_CURRENCIES) < 0 ||
		    owed_parse(row->msg.balance, chk, OWED_MAX_CURRENCIES) < 0) {
			queue_result(s, id, acct, DELIVERY_FAILED, NULL, "amount out of range", 0,
				     NULL, NULL);
			return;
		}
	}
	/* Each kind of contact has its own opt-outs: mail, texts, calls. */
	int supp = ch->ops->optout == CHANNEL_OPTOUT_EMAIL ? row->email_supp
		: ch->ops->optout == CHANNEL_OPTOUT_TEXTS  ? row->sms_supp
		: ch->ops->optout == CHANNEL_OPTOUT_CALLS  ? row->phone_supp
							   : 0;
	if (!by_account && (!*addr || supp)) {
		queue_result(s, id, acct, DELIVERY_SUPPRESSED, NULL,
			     *addr ? "address suppressed" : "no address", 0, NULL, NULL);
		return;
	}
	/* Planning put the reminder inside the customer's contact window, but
	 * a retry, an outage or hold_sending can bring it to the wire later:
	 * outside the window it waits for the next opening, the attempt
	 * undone. So does every notice, except those that acknowledge what the
	 * customer has just done (paid, promised, disputed): a rejected
	 * dispute or any other news of ours is contact like a reminder. */
	/* The customer's own quiet times hold back the same messages. */
	if (!dispatch_answers_customer(kind)) {
		const struct policy *pol = s->d->cfg->policy;
		const char *zone = row->msg.timezone;
		int64_t now = dunnd_now(s->d);
		int64_t at = policy_next_allowed(pol, chname, zone, now);
		const char *why = "outside contact window";
		struct quiet q;
		if (at <= now && row->quiet && quiet_parse(row->quiet, &q, NULL, 0) == 0) {
			at = policy_next_open(pol, chname, zone, &q, now);
			why = POLICY_REASON_QUIET;
		}
		if (at > now) {
			metrics_inc("dunnd_deliveries_total", "channel", chname, "status",
				    delivery_status_name(DELIVERY_DEFERRED), NULL);
			queue_result(s, id, acct, DELIVERY_DEFERRED, NULL, why,
				     at - now > INT_MAX ? INT_MAX : (int)(at - now), NULL, NULL);
			return;
		}
	}
	{
		struct render_env env = {s->d->cfg, s->d->cfg->templates, s->d->link_secret,
					 dunnd_now(s->d)};
		rc = render_message(&env, &row->msg, module_template_kind(ch->ops), ch->ops->caps,
				    &out);
	}
	if (rc == RENDER_NO_TEMPLATE) {
		queue_result(s, id, acct, DELIVERY_FAILED, NULL, "template not found", 0, NULL,
			     NULL);
		return;
	}
	x = rc == RENDER_OK ? calloc(1, sizeof *x) : NULL;
	if (!x) {
		queue_result(s, id, acct, DELIVERY_RETRY, NULL, "out of memory", 60, NULL, NULL);
		goto out;
	}
	msg.delivery_id = id;
	msg.to_addr = addr;
	msg.to_name = row->msg.name;
	msg.subject = out.subject;
	msg.text = out.text;
	msg.html = out.html;
	/* One-click unsubscribe (RFC 8058) for reminders, on a module that can
	 * carry it; the link stops mail, so only where mail's opt-outs apply.
	 * Notices about a payment or a dispute are transactional: none. */
	if ((ch->ops->caps & CHANNEL_CAP_UNSUBSCRIBE) && ch->ops->optout == CHANNEL_OPTOUT_EMAIL &&
	    reminder && !strncmp(out.pay_url, "https://", 8) &&
	    strlen(out.pay_url) + 12 < sizeof unsub) {
		snprintf(unsub, sizeof unsub, "%s/unsubscribe", out.pay_url);
		msg.unsubscribe_url = unsub;
	}
	msg.now = dunnd_now(s->d);
	x->s = s;
	x->account_id = acct;
	x->attempts = row->attempts;
	x->address = strdup(addr);
	/* A bounce is filed on the list the message was checked against. */
	x->sup_channel = module_optout_list(ch->ops->optout);
	x->chan = ch->name;
	x->t0 = metrics_now();
	s->inflight++;
	if (ch->ops->send(ch->ch, &msg, send_done, x) != 0) {
		s->inflight--;
		free(x->address);
		free(x);
		queue_result(s, id, acct, DELIVERY_RETRY, NULL, "channel refused the message", 60,
			     NULL, NULL);
		goto out;
	}
	channel_gauge(s, chname);
	log_debug("dispatch", "event=send delivery=%" PRId64 " channel=%s to=%s", id, chname,
		  ch->ops->addr == CHANNEL_ADDR_EMAIL ? log_mask_email(addr, mask, sizeof mask)
			  : by_account                ? addr
						      : log_mask_phone(addr, mask, sizeof mask));
out:
	render_out_free(&out);
}

static void lease_cb(const PGresult *res, void *arg)
{
	struct dispatch *s = arg;
	int n, cols[L_NCOLS];
	char why[128];

	s->leasing = 0;
	if (!pgq_ok(res) || pgrow_columns(res, lease_names, cols, L_NCOLS, why, sizeof why) != 0) {
		/* A column the code reads but the statement lost is a broken
		 * build, reported as such: the rows wait out their lease. */
		const char *e = pgq_ok(res) ? why : pgq_error(s->d->db_send, res);
		log_err("dispatch", "event=lease_failed error=\"%.*s\"", (int)strcspn(e, "\n"), e);
		s->after_loss = 1;
		s->more = 0;
		s->settled = 1;
		if (s->d->once)
			s->d->exit_code = 1;
		maybe_settle(s);
		return;
	}
	if (s->d->stopping) {
		release_leased(s, res, cols);
		return;
	}
	n = PQntuples(res);
	/* A kick during the lease means rows were committed that its
	 * snapshot may not have seen: lease again before settling, or --once
	 * could exit with them queued. */
	s->more = n >= s->d->cfg->send_batch || s->again;
	s->again = 0;
	for (int r = 0; r < n; r++) {
		struct lease_row row;
		lease_row_parse(res, r, cols, &row);
		handle_row(s, &row);
	}
	if (!s->more)
		s->settled = 1;
	if (s->pend.n > 0 && s->inflight == 0)
		flush(s);
	if (s->more && !s->d->stopping && s->inflight < (size_t)s->d->cfg->send_batch * 4)
		lease(s);
	maybe_settle(s);
}

static void lease(struct dispatch *s)
{
	char now[32], limit[16], secs[16], maxatt[16], holder[16];
	const char *params[5] = {now, limit, secs, maxatt, holder};

	if (s->leasing || s->d->stopping || !pgq_connected(s->d->db_send))
		return;
	if (s->d->cfg->hold_sending) {
		s->more = 0; /* dispatch_hold_changed leases again */
		s->settled = 1;
		return;
	}
	if (s->inflight >= (size_t)s->d->cfg->send_batch * 4)
		return; /* back-pressure: send_done leases again */
	if (s->after_loss) {
		if (s->inflight || s->pend.n || s->writing.n || s->flushing) {
			s->more = 1; /* flush_next leases once all is written */
			return;
		}
		s->after_loss = 0;
	}
	tz_format_iso8601(dunnd_now(s->d), now, sizeof now);
	snprintf(limit, sizeof limit, "%d", s->d->cfg->send_batch);
	snprintf(secs, sizeof secs, "%d", s->d->cfg->lease_seconds);
	snprintf(maxatt, sizeof maxatt, "%d", s->d->cfg->max_attempts);
	snprintf(holder, sizeof holder, "%d", (int)lease_instance_id());
	s->leasing = 1;
	if (pgq_send(s->d->db_send, SQL_LEASE, 5, params, lease_cb, s) != 0)
		s->leasing = 0;
}

void dispatch_results_ready(struct dispatch *s)
{
	if (!evtimer_pending(s->ev_flush, NULL))
		flush(s);
}

void dispatch_kick(struct dispatch *s)
{
	s->settled = 0;
	s->more = 1;
	if (s->leasing)
		s->again = 1;
	lease(s);
}

/* hold_sending stops every send at once (a wrong template, an incident)
 * while planning goes on: reminders wait queued, and what is on the wire
 * finishes. A reload that clears it sends what is due. */
void dispatch_hold_changed(struct dispatch *s)
{
	int held = s->d->cfg->hold_sending;

	metrics_set("dunnd_sending_held", held, NULL);
	if (held) {
		log_notice("dispatch", "event=sending_held");
	} else {
		log_notice("dispatch", "event=sending_released");
		dispatch_kick(s);
	}
}

int dispatch_idle(const struct dispatch *s)
{
	return !s->leasing && s->inflight == 0 && s->pend.n == 0 && !s->flushing;
}

/* Shutdown: rows whose lease came back after the stop was asked for were
 * never handed to a channel. Give them back now as a closing channel gives
 * back what never left (due at once, the attempt undone) rather than leave
 * them waiting out lease_seconds. */
static void release_leased(struct dispatch *s, const PGresult *res, const int *cols)
{
	int n = PQntuples(res);

	s->more = 0;
	s->settled = 1;
	for (int r = 0; r < n; r++)
		results_add(&s->pend, pgrow_int64(res, r, cols[L_ID]),
			    pgrow_int64(res, r, cols[L_ACCOUNT_ID]), DELIVERY_DEFERRED, NULL, NULL,
			    0, NULL, NULL);
	if (n > 0) {
		log_notice("dispatch", "event=released count=%d reason=stopping", n);
		flush(s);
	}
	maybe_settle(s);
}
