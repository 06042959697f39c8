/* The poller: open cases for newly overdue accounts, then claim due cases
 * in batches and, in the claim's own transaction, record the decision and
 * the outbox rows. Claim, decision and outbox are one commit, so a crash
 * leaves either nothing or a complete, replayable intent. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dunnd.h"
#include "log.h"
#include "metrics.h"
#include "owed.h"
#include "pgarr.h"
#include "pgrow.h"
#include "policy.h"
#include "tz.h"

struct poller {
	struct dunnd *d;
	int running; /* a cycle is under way */
	int again;   /* kicked while running: run once more */
	int settled; /* last cycle ended with nothing more due */
	int claimed; /* rows in the current batch */
	int64_t now; /* the clock of the current cycle */
	unsigned long queued, resolved;
	int analyzed;         /* statistics of deliveries refreshed in this cycle */
	int month;            /* UTC month (year * 12 + month) partitions were made for */
	int64_t ensure_after; /* after a failure, not asked again before this */
};

/* A case opens when an account has something overdue past grace: an
 * unpaid, undisputed invoice whose due date is at least max(grace, 1)
 * days behind the account's local date ($2 is that number). The UTC range
 * first (any zone is within a day of UTC), so the local date is computed
 * only for invoices near the line. An invoice not yet due opens nothing. */
static const char SQL_OPEN[] =
	"INSERT INTO dunning.cases (account_id, cycle, opened_at, next_action_at)\n"
	"SELECT i.account_id,\n"
	"       coalesce((SELECT max(cycle) FROM dunning.cases p WHERE p.account_id = i.account_id), 0) + 1,\n"
	"       $1, $1\n"
	"FROM (SELECT DISTINCT i.account_id FROM dunning.invoices i\n"
	"      JOIN dunning.accounts a ON a.id = i.account_id\n"
	"      WHERE i.paid_at IS NULL AND NOT i.disputed AND i.amount_due > i.amount_paid\n"
	"        AND i.due_date <= (($1::timestamptz AT TIME ZONE 'UTC')::date + 1 - $2::int)\n"
	"        AND (i.due_date <= (($1::timestamptz AT TIME ZONE 'UTC')::date - 1 - $2::int)\n"
	"             OR i.due_date <= dunning.local_date($1, a.timezone) - $2::int)) i\n"
	"WHERE NOT EXISTS (SELECT 1 FROM dunning.cases c\n"
	"                  WHERE c.account_id = i.account_id AND c.state <> 'resolved')\n"
	"ON CONFLICT DO NOTHING";

/* The claim: the partial index cases_due serves WHERE and ORDER BY. The
 * history (recent contacts, for caps) comes as "channel:epoch:reached,...",
 * as far back as the policy's longest cap or rest ($3 days);
 * channel names are restricted to [A-Za-z0-9_-] by the config loader. A
 * completed phone task tells the outcome of its delivery's call (at the
 * time of the call, so rest_after_reached counts from it); tasks raised by
 * SMS replies have no delivery and count as calls on "phone", but only
 * kind 'call': a reply decided in the review queue reached nobody. The
 * locked rows carry every column of the case the decision needs: a join
 * back to cases was planned as a hash join over the whole table. For the same
 * reason the record below finds its cases by "id = ANY" (cases_pkey).
 * What is overdue comes per currency ("USD:1000,KRW:5000", see owed.h)
 * from dunning.account_owed: invoices not yet due never count. The
 * account's external_ref picks its variant of a step with variants. The
 * account's risk score (migrations/0026_risk.sql) is read only when the
 * policy uses it ($4, its max age in hours; NULL: 0): a score older than
 * that is recomputed and stored here, in the claim's transaction, so the
 * decision and the score it used commit together. */
static const char SQL_CLAIM[] =
	"WITH c AS (\n"
	"  SELECT id, account_id, cycle, stage, track, state, paused_until, pause_reason\n"
	"  FROM dunning.cases\n"
	"  WHERE state <> 'resolved' AND next_action_at <= $1\n"
	"  ORDER BY next_action_at LIMIT $2\n"
	"  FOR UPDATE SKIP LOCKED)\n"
	"SELECT c.id, c.account_id, c.cycle, c.stage, c.track, c.state,\n"
	"       coalesce(extract(epoch FROM c.paused_until)::bigint, 0) AS paused_until,\n"
	"       a.timezone, a.segment, coalesce(b.balance, '') AS balance, b.currency,\n"
	"       coalesce(to_char(b.oldest_due, 'YYYY-MM-DD'), '') AS oldest_due,\n"
	"       (SELECT count(*) FROM dunning.cases p WHERE p.account_id = c.account_id\n"
	"          AND p.id <> c.id AND p.opened_at > $1::timestamptz - interval '12 months')\n"
	"         AS prior_cycles,\n"
	"       coalesce(b.disputed, 0) AS disputed,\n"
	"       (SELECT string_agg(h.channel || ':' || extract(epoch FROM h.at)::bigint || ':' ||\n"
	"               h.reached, ',')\n"
	"        FROM (SELECT d.channel, coalesce(t.completed_at, d.sent_at, d.created_at) AS at,\n"
	"                     coalesce(t.outcome IN ('reached', 'promise_to_pay'), false)::int AS reached\n"
	"              FROM dunning.deliveries d\n"
	"              LEFT JOIN dunning.phone_tasks t\n"
	"                ON t.delivery_id = d.id AND t.account_id = d.account_id\n"
	"                   AND t.completed_at IS NOT NULL\n"
	"              WHERE d.account_id = c.account_id AND d.kind = 'reminder'\n"
	"                AND d.status IN ('queued', 'sending', 'sent', 'delivered')\n"
	"                AND d.created_at > $1::timestamptz - $3::int * interval '1 day'\n"
	"              UNION ALL\n"
	"              SELECT 'phone', t.completed_at,\n"
	"                     coalesce(t.outcome IN ('reached', 'promise_to_pay'), false)::int\n"
	"              FROM dunning.phone_tasks t\n"
	"              WHERE t.account_id = c.account_id AND t.delivery_id IS NULL\n"
	"                AND t.kind = 'call'\n"
	"                AND t.completed_at > $1::timestamptz - $3::int * interval '1 day') h)\n"
	"         AS history,\n"
	"       a.external_ref,\n"
	"       (SELECT q.spec FROM dunning.quiet_times q WHERE q.account_id = c.account_id)\n"
	"         AS quiet,\n"
	"       c.pause_reason,\n"
	"       CASE WHEN $4::int IS NULL THEN 0 ELSE\n"
	"         dunning.account_risk_at(c.account_id, $1, $4::int * interval '1 hour') END\n"
	"         AS risk\n"
	"FROM c JOIN dunning.accounts a ON a.id = c.account_id\n"
	"LEFT JOIN LATERAL (\n"
	"  SELECT string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency)\n"
	"           FILTER (WHERE o.overdue > 0) AS balance,\n"
	"         count(*) FILTER (WHERE o.disputed > 0) AS disputed,\n"
	"         min(o.currency) FILTER (WHERE o.overdue > 0) AS currency,\n"
	"         min(o.oldest_due) AS oldest_due\n"
	"  FROM dunning.account_owed(c.account_id, $1) o) b ON true";

/* SQL_CLAIM's columns, found by name once a result (pgrow_columns). */
enum claim_col {
	C_ID,
	C_ACCOUNT_ID,
	C_CYCLE,
	C_STAGE,
	C_TRACK,
	C_STATE,
	C_PAUSED_UNTIL,
	C_TZ,
	C_SEGMENT,
	C_BALANCE,
	C_CURRENCY,
	C_DUE,
	C_PRIOR_CYCLES,
	C_DISPUTED,
	C_HISTORY,
	C_REF,
	C_QUIET,
	C_PAUSE_REASON,
	C_RISK,
	C_NCOLS
};

static const char *const claim_names[C_NCOLS] = {
	[C_ID] = "id",
	[C_ACCOUNT_ID] = "account_id",
	[C_CYCLE] = "cycle",
	[C_STAGE] = "stage",
	[C_TRACK] = "track",
	[C_STATE] = "state",
	[C_PAUSED_UNTIL] = "paused_until",
	[C_TZ] = "timezone",
	[C_SEGMENT] = "segment",
	[C_BALANCE] = "balance",
	[C_CURRENCY] = "currency",
	[C_DUE] = "oldest_due",
	[C_PRIOR_CYCLES] = "prior_cycles",
	[C_DISPUTED] = "disputed",
	[C_HISTORY] = "history",
	[C_REF] = "external_ref",
	[C_QUIET] = "quiet",
	[C_PAUSE_REASON] = "pause_reason",
	[C_RISK] = "risk",
};

/* One claimed case, read once. Strings live as long as the claim's
 * PGresult; "" when NULL unless said otherwise. */
struct claim_row {
	int64_t case_id, account_id;
	int cycle, stage;
	const char *track; /* NULL before the case has one */
	const char *state;
	int64_t paused_until; /* unix seconds, 0 when not paused */
	const char *timezone, *segment;
	const char *balance;      /* overdue per currency, an owed list (owed.h) */
	const char *currency;     /* the first overdue currency, NULL when none */
	const char *oldest_due;   /* YYYY-MM-DD or "" */
	int prior_cycles;         /* the account's other cases of the last 12 months */
	int64_t disputed;         /* currencies with a disputed amount */
	const char *history;      /* "channel:epoch:reached,...", "" when none */
	const char *account_key;  /* the account's external_ref: picks variants */
	const char *quiet;        /* the quiet-times spec, NULL when none */
	const char *pause_reason; /* NULL when none */
	double risk;
};

static void claim_row_parse(const PGresult *res, int r, const int *c, struct claim_row *x)
{
	x->case_id = pgrow_int64(res, r, c[C_ID]);
	x->account_id = pgrow_int64(res, r, c[C_ACCOUNT_ID]);
	x->cycle = pgrow_int(res, r, c[C_CYCLE]);
	x->stage = pgrow_int(res, r, c[C_STAGE]);
	x->track = pgrow_text_or_null(res, r, c[C_TRACK]);
	x->state = pgrow_text(res, r, c[C_STATE]);
	x->paused_until = pgrow_int64(res, r, c[C_PAUSED_UNTIL]);
	x->timezone = pgrow_text(res, r, c[C_TZ]);
	x->segment = pgrow_text(res, r, c[C_SEGMENT]);
	x->balance = pgrow_text(res, r, c[C_BALANCE]);
	x->currency = pgrow_text_or_null(res, r, c[C_CURRENCY]);
	x->oldest_due = pgrow_text(res, r, c[C_DUE]);
	x->prior_cycles = pgrow_int(res, r, c[C_PRIOR_CYCLES]);
	x->disputed = pgrow_int64(res, r, c[C_DISPUTED]);
	x->history = pgrow_text(res, r, c[C_HISTORY]);
	x->account_key = pgrow_text(res, r, c[C_REF]);
	x->quiet = pgrow_text_or_null(res, r, c[C_QUIET]);
	x->pause_reason = pgrow_text_or_null(res, r, c[C_PAUSE_REASON]);
	x->risk = pgrow_double(res, r, c[C_RISK]);
}

/* Payment confirmations (receipts): one per clearing and confirmation
 * channel. A clearing is an invoice settled while a case was open that
 * left nothing overdue: the account's latest settlement of the last 7
 * days, named by its paid_at (so a payment after a refund is a clearing
 * of its own), and only once account_owed shows nothing overdue. A
 * payment that leaves something overdue gets none: the one that clears
 * it does. paid_at is compared in whole seconds, as the poller's clock
 * and so closed_at are: a webhook's or a billing system's paid_at carries
 * a fraction, and a case this poll closes in that same second must still
 * count the payment as made while it was open. The conflict is on
 * deliveries_receipt_key, (account_id, cleared_at, channel, case_id): the
 * case is the one open at the settlement, so the key is as strict as
 * without it. Left unnamed, the same statement runs on a book from
 * before the outbox was partitioned. */
static const char SQL_CONFIRM[] =
	"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                invoice_id, cleared_at, status, next_attempt_at, created_at)\n"
	"SELECT c.id, c.account_id, c.cycle, 0, ch.channel, 'confirmation', $3, i.id, i.paid_at,\n"
	"       'queued', $1, $1\n"
	"FROM (SELECT DISTINCT ON (account_id) id, account_id, paid_at FROM dunning.invoices\n"
	"      WHERE paid_at > $1::timestamptz - interval '7 days'\n"
	"        AND date_trunc('second', paid_at) <= $1\n"
	"      ORDER BY account_id, paid_at DESC, id DESC) i\n"
	"JOIN dunning.cases c ON c.account_id = i.account_id AND c.opened_at <= i.paid_at\n"
	"     AND (c.closed_at IS NULL OR c.closed_at >= date_trunc('second', i.paid_at))\n"
	"CROSS JOIN unnest($2::text[]) AS ch(channel)\n"
	"WHERE NOT EXISTS (SELECT 1 FROM dunning.deliveries d WHERE d.kind = 'confirmation'\n"
	"                    AND d.account_id = i.account_id AND d.cleared_at = i.paid_at\n"
	"                    AND d.channel = ch.channel)\n"
	"  AND NOT EXISTS (SELECT 1 FROM dunning.account_owed(i.account_id, $1) o\n"
	"                  WHERE o.overdue > 0)\n"
	"ON CONFLICT DO NOTHING";

/* Late fees ($19-$28), one entry per case, step and currency the step
 * charges in, the amount after its cap: the legal maximum ($26, NULL =
 * none) is applied here against the case's unwaived fees, all under the
 * claim's row lock. The step's fee is then written as one line per
 * overdue, undisputed invoice of the currency (account_owed's rule),
 * split by dunning.fee_split in proportion to each invoice's remainder
 * (migration 0029), so a dispute upheld on one invoice waives its lines
 * only. A step that has charged in a currency once charges nothing more
 * there (replayed, or taken again after a refund reopened the case). */
#define SQL_RECORD_FEES                                                                             \
	"fee_in AS (\n"                                                                             \
	"  SELECT f.*, g.charged\n"                                                                 \
	"  FROM unnest($19::bigint[], $20::bigint[], $21::int[], $22::int[], $23::text[],\n"        \
	"              $24::bigint[], $25::numeric[], $26::bigint[], $27::text[], $28::int[])\n"    \
	"       AS f(case_id, account_id, cycle, step, currency, amount, base, legal_max,\n"        \
	"            kind, rate)\n"                                                                 \
	"  CROSS JOIN LATERAL (SELECT CASE WHEN f.legal_max IS NULL THEN f.amount\n"                \
	"      ELSE least(f.amount, greatest(f.legal_max - coalesce((SELECT sum(e.amount)\n"        \
	"             FROM dunning.fees e WHERE e.case_id = f.case_id\n"                            \
	"               AND e.account_id = f.account_id\n"                                          \
	"               AND e.currency = f.currency AND e.waived_at IS NULL), 0), 0)) END\n"        \
	"      ::bigint AS charged) g\n"                                                            \
	"  WHERE g.charged > 0 AND NOT EXISTS (SELECT 1 FROM dunning.fees e\n"                      \
	"    WHERE e.case_id = f.case_id AND e.account_id = f.account_id AND e.step = f.step\n"     \
	"      AND e.currency = f.currency)),\n"                                                    \
	"fee AS (\n"                                                                                \
	"  INSERT INTO dunning.fees (case_id, account_id, invoice_id, cycle, step, currency,\n"     \
	"                            amount, base, kind, rate, per_invoice, created_at)\n"          \
	"  SELECT f.case_id, f.account_id, s.invoice_id, f.cycle, f.step, f.currency,\n"            \
	"         s.share, s.base, f.kind, f.rate, true, $1\n"                                      \
	"  FROM fee_in f\n"                                                                         \
	"  CROSS JOIN LATERAL (SELECT array_agg(i.id ORDER BY i.due_date, i.id) AS ids,\n"          \
	"         array_agg(i.amount_due - i.amount_paid ORDER BY i.due_date, i.id) AS ws\n"        \
	"    FROM dunning.invoices i JOIN dunning.accounts a ON a.id = i.account_id\n"              \
	"    WHERE i.account_id = f.account_id AND i.currency = f.currency\n"                       \
	"      AND i.paid_at IS NULL AND NOT i.disputed AND i.amount_due > i.amount_paid\n"         \
	"      AND i.due_date < dunning.local_date($1, a.timezone)) v\n"                            \
	"  CROSS JOIN LATERAL unnest(v.ids, v.ws, dunning.fee_split(f.charged, v.ws::numeric[]))\n" \
	"       AS s(invoice_id, base, share)\n"                                                    \
	"  WHERE s.share > 0\n"                                                                     \
	"  ON CONFLICT (case_id, step, currency, invoice_id) DO NOTHING\n"                          \
	"  RETURNING id, case_id, account_id, invoice_id, step, currency, amount),\n"               \
	"fee_ev AS (\n"                                                                             \
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"                    \
	"  SELECT $1, 'fee_charged', account_id, case_id,\n"                                        \
	"         jsonb_build_object('fee_id', id, 'invoice_id', invoice_id, 'step', step,\n"       \
	"                            'currency', currency, 'amount', amount) FROM fee)\n"

/* $17: per case, the variants it was assigned in this decision as a JSON
 * object (experiment -> variant) or NULL; "prev" sees the cases as they
 * were before this statement, so only a first assignment is an event. */
static const char SQL_RECORD[] =
	"WITH x AS (\n"
	"  SELECT * FROM unnest($2::bigint[], $3::int[], $4::text[], $5::timestamptz[], $6::text[],\n"
	"                       $7::text[], $14::text[], $17::jsonb[], $18::text[])\n"
	"         AS x(id, stage, track, next_at, state, reason, old_state, assign, broken)),\n"
	"prev AS (SELECT id, variants FROM dunning.cases\n"
	"         WHERE id = ANY($2::bigint[]) AND account_id = ANY($29::bigint[])),\n"
	"upd AS (\n"
	"  UPDATE dunning.cases c SET stage = x.stage, track = x.track, next_action_at = x.next_at,\n"
	"         state = x.state, variants = c.variants || coalesce(x.assign, '{}'::jsonb),\n"
	"         paused_until = CASE WHEN x.state = 'paused' THEN c.paused_until END,\n"
	"         pause_reason = CASE WHEN x.state = 'paused' THEN c.pause_reason END,\n"
	"         pause_note = CASE WHEN x.state = 'paused' THEN c.pause_note END,\n"
	"         closed_at = CASE WHEN x.state = 'resolved' THEN $1::timestamptz END,\n"
	"         close_reason = CASE WHEN x.state = 'resolved' THEN x.reason END\n"
	"  FROM x WHERE c.id = ANY($2::bigint[]) AND c.account_id = ANY($29::bigint[])\n"
	"    AND c.id = x.id\n"
	"  RETURNING c.id, c.account_id, x.state, x.old_state, x.reason, x.stage, x.next_at),\n"
	"ins AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template,\n"
	"                                  experiment, variant, status, next_attempt_at, created_at)\n"
	"  SELECT o.case_id, o.account_id, o.cycle, o.step, o.channel, o.template,\n"
	"         o.experiment, o.variant, 'queued', $1, $1\n"
	"  FROM unnest($8::bigint[], $9::bigint[], $10::int[], $11::int[], $12::text[], $13::text[],\n"
	"              $15::text[], $16::text[])\n"
	"       AS o(case_id, account_id, cycle, step, channel, template, experiment, variant)\n"
	/* A step taken again after a refund reopened the case: its reminder,
	 * cancelled by the payment, is queued again rather than lost. */
	"  ON CONFLICT (case_id, cycle, step, channel) WHERE kind = 'reminder' DO UPDATE\n"
	"    SET status = 'queued', attempts = 0, next_attempt_at = EXCLUDED.next_attempt_at,\n"
	"        template = EXCLUDED.template, experiment = EXCLUDED.experiment,\n"
	"        variant = EXCLUDED.variant, lease_until = NULL, last_error = NULL,\n"
	"        updated_at = now()\n"
	"    WHERE deliveries.status = 'cancelled'\n"
	"  RETURNING id, case_id, account_id, step, channel, experiment, variant),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"  SELECT $1, 'reminder_queued', account_id, case_id, id,\n"
	"         jsonb_strip_nulls(jsonb_build_object('step', step, 'channel', channel,\n"
	"                           'experiment', experiment, 'variant', variant)) FROM ins),\n"
	"assigned AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $1, 'variant_assigned', upd.account_id, upd.id,\n"
	"         jsonb_build_object('experiment', e.key, 'variant', e.value)\n"
	"  FROM upd JOIN x ON x.id = upd.id JOIN prev ON prev.id = upd.id\n"
	"  CROSS JOIN LATERAL jsonb_each_text(coalesce(x.assign, '{}'::jsonb)) e\n"
	"  WHERE NOT prev.variants ? e.key),\n"
	"broken AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $1, 'promise_broken', upd.account_id, upd.id,\n"
	"         jsonb_build_object('from_track', x.broken, 'to_track', x.track)\n"
	"  FROM upd JOIN x ON x.id = upd.id WHERE x.broken IS NOT NULL),\n"
	"plans AS (\n"
	"  UPDATE dunning.payment_plans pp\n"
	"  SET status = CASE WHEN upd.state = 'resolved' THEN 'completed' ELSE 'broken' END,\n"
	"      closed_at = $1\n"
	"  FROM upd WHERE pp.case_id = upd.id AND pp.account_id = upd.account_id\n"
	"    AND pp.status = 'active'\n"
	"    AND upd.old_state = 'paused' AND upd.state <> 'paused'),\n"
	"cancel AS (\n"
	"  UPDATE dunning.deliveries d SET status = 'cancelled', last_error = 'case resolved',\n"
	"         updated_at = now()\n"
	"  FROM upd WHERE upd.state = 'resolved' AND d.case_id = upd.id\n"
	"    AND d.account_id = upd.account_id\n"
	"    AND d.kind = 'reminder' AND d.status = 'queued'),\n" SQL_RECORD_FEES
	"INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"SELECT $1, CASE WHEN upd.state = 'resolved' THEN 'case_resolved'\n"
	"                WHEN reason = 'step due' THEN 'step_taken'\n"
	"                WHEN upd.state IS DISTINCT FROM upd.old_state THEN 'case_' || upd.state\n"
	"                ELSE 'case_waits' END,\n"
	"       account_id, id, jsonb_build_object('reason', reason, 'stage', stage, 'next', next_at)\n"
	"FROM upd\n"
	"UNION ALL\n"
	"SELECT $1, 'case_resumed', account_id, id, jsonb_build_object('source', 'poller')\n"
	"FROM upd WHERE upd.old_state = 'paused' AND upd.state IN ('active', 'disputed')";

/* Rows queued in one cycle after which the outbox's statistics are
 * refreshed (see commit_cb). */
#define ANALYZE_AFTER 10000

static void cycle_done(struct poller *p, int settled);
static void begin_batch(struct poller *p);

struct poller *poller_new(struct dunnd *d)
{
	struct poller *p = calloc(1, sizeof *p);

	if (p)
		p->d = d;
	return p;
}

void poller_free(struct poller *p)
{
	free(p);
}

int poller_settled(const struct poller *p)
{
	return p->settled && !p->running;
}

static int fail(struct poller *p, const PGresult *res, const char *what)
{
	if (pgq_ok(res))
		return 0;
	log_err("poller", "event=%s_failed error=\"%.*s\"", what,
		(int)strcspn(pgq_error(p->d->db, res), "\n"), pgq_error(p->d->db, res));
	return 1;
}

static void rollback_cb(const PGresult *res, void *arg)
{
	(void)res;
	cycle_done(arg, 0);
}

static void abort_batch(struct poller *p)
{
	/* The connection may be gone; then the server rolled back already. */
	if (pgq_send(p->d->db, "ROLLBACK", 0, NULL, rollback_cb, p) != 0)
		cycle_done(p, 0);
}

static void next_batch(struct poller *p)
{
	if (p->claimed >= p->d->cfg->batch_size && !p->d->stopping)
		begin_batch(p);
	else
		cycle_done(p, 1);
}

static void analyze_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	/* Only statistics: a failure (say, not the table's owner) costs
	 * plans, never reminders. */
	if (!pgq_ok(res))
		log_warn("poller", "event=analyze_failed error=\"%.*s\"",
			 (int)strcspn(pgq_error(p->d->db, res), "\n"), pgq_error(p->d->db, res));
	next_batch(p);
}

static void commit_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	if (fail(p, res, "commit")) {
		cycle_done(p, 0);
		return;
	}
	dispatch_kick(p->d->dispatch);
	/* A burst (a billing day) fills the outbox faster than autovacuum
	 * notices. With statistics from an empty outbox the planner reads
	 * the whole of deliveries_due for every lease and result write, so
	 * each batch costs more than the last; refreshed once, the lease walks
	 * the index in order and stops at send_batch rows. */
	if (!p->analyzed && p->queued >= ANALYZE_AFTER && !p->d->stopping) {
		p->analyzed = 1;
		if (pgq_send(p->d->db, "ANALYZE dunning.deliveries", 0, NULL, analyze_cb, p) == 0)
			return;
	}
	next_batch(p);
}

static void record_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	if (fail(p, res, "record")) {
		abort_batch(p);
		return;
	}
	if (pgq_send(p->d->db, "COMMIT", 0, NULL, commit_cb, p) != 0)
		cycle_done(p, 0);
}

struct batch {
	struct pgarr id, account, stage, track, next_at, state, reason, old_state, assign, broken;
	struct pgarr o_case, o_account, o_cycle, o_step, o_channel, o_template;
	struct pgarr o_experiment, o_variant;
	struct pgarr f_case, f_account, f_cycle, f_step, f_currency, f_amount, f_base, f_legal;
	struct pgarr f_kind, f_rate;
};

static void batch_free(struct batch *b)
{
	struct pgarr *all[] = {&b->id,         &b->stage,      &b->track,        &b->next_at,
			       &b->state,      &b->reason,     &b->old_state,    &b->o_case,
			       &b->o_account,  &b->o_cycle,    &b->o_step,       &b->o_channel,
			       &b->o_template, &b->assign,     &b->o_experiment, &b->o_variant,
			       &b->broken,     &b->f_case,     &b->f_account,    &b->f_cycle,
			       &b->f_step,     &b->f_currency, &b->f_amount,     &b->f_base,
			       &b->f_legal,    &b->f_kind,     &b->f_rate,       &b->account};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		pgarr_free(all[i]);
}

#define MAX_HISTORY 256

/* "email:1798210800:0,sms:..." -> contacts pointing into buf. */
static size_t parse_history(char *buf, struct policy_contact *out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *tok = strtok_r(buf, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(tok, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = '\0';
		out[n].channel = tok;
		out[n].at = strtoll(c1 + 1, NULL, 10);
		out[n].reached = c2[1] == '1';
		n++;
	}
	return n;
}

/* The variants of the case's steps from index from to index to (the next
 * step to take), as a JSON object experiment -> variant, or NULL. A case
 * joins a step's experiment as soon as that step is the next one, before
 * it fires: a case that pays while waiting for its variant's later day
 * counts for that variant, not for none. */
static char *assignments(const struct policy_track *tr, int from, int to, const char *key)
{
	json_t *o = NULL;
	char *s = NULL;

	for (int i = from; tr && i <= to && i < (int)tr->nsteps; i++) {
		const struct policy_variant *v;
		policy_variant_for(&tr->steps[i], key, &v);
		if (!v)
			continue;
		if (!o)
			o = json_object();
		json_object_set_new(o, tr->steps[i].experiment, json_string(v->name));
	}
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* The fees of a step taken: one entry per overdue currency the step
 * charges in, its amount before the legal maximum (SQL_RECORD_FEES). */
static void step_fees(const struct policy *pol, const struct policy_action *a,
		      const struct policy_case *c, int64_t case_id, int64_t account_id, int cycle,
		      struct batch *b)
{
	struct owed one = {{0}, 0};
	const struct owed *ow = c->owed;
	size_t n = c->nowed;

	if (!a->track || a->step_no < 1 || (size_t)a->step_no > a->track->nsteps ||
	    !a->track->steps[a->step_no - 1].fee || a->nchannels == 0)
		return;
	if (n == 0 && c->currency && c->balance > 0) {
		snprintf(one.currency, sizeof one.currency, "%s", c->currency);
		one.minor = c->balance;
		ow = &one;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t amount = policy_step_fee(pol, a->track, a->step_no, ow[i].currency,
						 ow[i].minor, 0, NULL);
		int64_t legal = policy_fee_legal_max(pol, ow[i].currency);
		const struct fee_rule *rule = a->track->steps[a->step_no - 1].fee;
		if (amount <= 0)
			continue;
		pgarr_int(&b->f_case, case_id);
		pgarr_int(&b->f_account, account_id);
		pgarr_int(&b->f_cycle, cycle);
		pgarr_int(&b->f_step, a->step_no);
		pgarr_text(&b->f_currency, ow[i].currency);
		pgarr_int(&b->f_amount, amount);
		pgarr_int(&b->f_base, ow[i].minor);
		if (legal >= 0)
			pgarr_int(&b->f_legal, legal);
		else
			pgarr_text(&b->f_legal, NULL);
		pgarr_text(&b->f_kind, fee_kind(rule, ow[i].currency));
		pgarr_int(&b->f_rate, rule->rate);
	}
}

/* Decide one claimed case; appends to the batch arrays. */
static void decide_row(struct poller *p, const struct claim_row *row, struct batch *b)
{
	const struct policy *pol = p->d->cfg->policy;
	struct policy_contact hist[MAX_HISTORY];
	struct policy_case c = {0};
	struct policy_action a;
	int64_t case_id = row->case_id;
	int64_t account_id = row->account_id;
	int cycle = row->cycle;
	const char *state = row->state;
	const char *due = row->oldest_due;
	char *histbuf = strdup(row->history);
	struct owed owed[OWED_MAX_CURRENCIES];
	char *assign;
	struct quiet quiet;
	int stage, nowed;

	c.now = p->now;
	c.stage = row->stage;
	c.track = row->track;
	c.paused = strcmp(state, "paused") == 0;
	c.paused_until = row->paused_until;
	c.timezone = row->timezone;
	c.segment = row->segment;
	nowed = owed_parse(row->balance, owed, OWED_MAX_CURRENCIES);
	c.owed = owed;
	c.nowed = nowed > 0 ? (size_t)nowed : 0;
	c.balance = nowed > 0 ? owed[0].minor : 0;
	c.currency = row->currency;
	c.prior_cycles = row->prior_cycles;
	c.disputed = row->disputed;
	c.history = hist;
	c.nhistory = histbuf ? parse_history(histbuf, hist, MAX_HISTORY) : 0;
	c.account_key = row->account_key;
	c.pause_reason = row->pause_reason;
	c.risk = row->risk;
	if (*due)
		sscanf(due, "%d-%d-%d", &c.due_year, &c.due_month, &c.due_day);
	if (!tz_valid(c.timezone))
		c.timezone = "UTC"; /* a bad zone must not stall the case */
	/* Specs are written by dunnd alone; one that no longer parses is
	 * ignored rather than stalling the case. */
	if (row->quiet && quiet_parse(row->quiet, &quiet, NULL, 0) == 0)
		c.quiet = &quiet;
	if (nowed < 0) {
		/* A total past the bound: never chase with a wrapped amount. */
		memset(&a, 0, sizeof a);
		a.verdict = POLICY_WAIT;
		a.state = state;
		a.next_at = p->now + 3600;
		a.reason = "amount out of range";
		log_warn("poller", "event=amount_out_of_range case=%" PRId64, case_id);
	} else if (policy_decide(pol, &c, &a) != 0) {
		a.verdict = POLICY_WAIT;
		a.state = state;
		a.next_at = p->now + 3600;
		a.reason = "undecidable";
		a.broken_from = NULL; /* nothing changed: the case stays as it was */
		log_warn("poller", "event=undecidable case=%" PRId64, case_id);
	}
	stage = c.stage;
	if (a.verdict == POLICY_RESOLVE) {
		p->resolved++;
	} else if (a.verdict == POLICY_SEND) {
		stage = a.step_no;
		for (size_t k = 0; k < a.nchannels; k++) {
			pgarr_int(&b->o_case, case_id);
			pgarr_int(&b->o_account, account_id);
			pgarr_int(&b->o_cycle, cycle);
			pgarr_int(&b->o_step, a.step_no);
			pgarr_text(&b->o_channel, a.channels[k]);
			pgarr_text(&b->o_template, a.step->template);
			pgarr_text(&b->o_experiment, a.experiment);
			pgarr_text(&b->o_variant, a.variant ? a.variant->name : NULL);
			p->queued++;
			metrics_inc("dunnd_reminders_total", "template", a.step->template,
				    "channel", a.channels[k], NULL);
		}
		step_fees(pol, &a, &c, case_id, account_id, cycle, b);
	}
	log_debug("poller", "event=decide case=%" PRId64 " verdict=%d state=%s reason=\"%s\"",
		  case_id, a.verdict, a.state, a.reason);
	pgarr_int(&b->id, case_id);
	pgarr_int(&b->account, account_id);
	pgarr_int(&b->stage, stage);
	pgarr_text(&b->track, a.track ? a.track->name : c.track);
	if (a.verdict == POLICY_RESOLVE)
		pgarr_text(&b->next_at, NULL);
	else
		pgarr_time(&b->next_at, a.next_at);
	pgarr_text(&b->state, a.state);
	pgarr_text(&b->reason, a.reason);
	pgarr_text(&b->old_state, state);
	assign = a.verdict == POLICY_RESOLVE ? NULL
					     : assignments(a.track, c.stage, stage, c.account_key);
	pgarr_text(&b->assign, assign);
	pgarr_text(&b->broken, a.broken_from);
	free(assign);
	free(histbuf);
}

static void claim_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;
	struct batch b;
	char now[32], why[128];
	const char *params[29];
	int n, cols[C_NCOLS];

	if (fail(p, res, "claim")) {
		abort_batch(p);
		return;
	}
	n = PQntuples(res);
	p->claimed = n;
	if (n == 0) {
		if (pgq_send(p->d->db, "COMMIT", 0, NULL, commit_cb, p) != 0)
			cycle_done(p, 0);
		return;
	}
	if (pgrow_columns(res, claim_names, cols, C_NCOLS, why, sizeof why) != 0) {
		/* The statement and this file disagree: a broken build. */
		log_err("poller", "event=claim_failed error=\"%s\"", why);
		abort_batch(p);
		return;
	}
	memset(&b, 0, sizeof b);
	for (int r = 0; r < n; r++) {
		struct claim_row row;
		claim_row_parse(res, r, cols, &row);
		decide_row(p, &row, &b);
	}
	tz_format_iso8601(p->now, now, sizeof now);
	params[0] = now;
	params[1] = pgarr_str(&b.id);
	params[2] = pgarr_str(&b.stage);
	params[3] = pgarr_str(&b.track);
	params[4] = pgarr_str(&b.next_at);
	params[5] = pgarr_str(&b.state);
	params[6] = pgarr_str(&b.reason);
	params[7] = pgarr_str(&b.o_case);
	params[8] = pgarr_str(&b.o_account);
	params[9] = pgarr_str(&b.o_cycle);
	params[10] = pgarr_str(&b.o_step);
	params[11] = pgarr_str(&b.o_channel);
	params[12] = pgarr_str(&b.o_template);
	params[13] = pgarr_str(&b.old_state);
	params[14] = pgarr_str(&b.o_experiment);
	params[15] = pgarr_str(&b.o_variant);
	params[16] = pgarr_str(&b.assign);
	params[17] = pgarr_str(&b.broken);
	params[18] = pgarr_str(&b.f_case);
	params[19] = pgarr_str(&b.f_account);
	params[20] = pgarr_str(&b.f_cycle);
	params[21] = pgarr_str(&b.f_step);
	params[22] = pgarr_str(&b.f_currency);
	params[23] = pgarr_str(&b.f_amount);
	params[24] = pgarr_str(&b.f_base);
	params[25] = pgarr_str(&b.f_legal);
	params[26] = pgarr_str(&b.f_kind);
	params[27] = pgarr_str(&b.f_rate);
	params[28] = pgarr_str(&b.account); /* the cases' accounts, beside their ids */
	for (int i = 1; i < 29; i++)
		if (!params[i]) {
			batch_free(&b);
			abort_batch(p);
			return;
		}
	if (pgq_send(p->d->db, SQL_RECORD, 29, params, record_cb, p) != 0)
		cycle_done(p, 0);
	batch_free(&b);
}

static void begin_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;
	const struct policy *pol = p->d->cfg->policy;
	char now[32], limit[16], hist[16], age[16];
	const char *params[4] = {now, limit, hist, pol->uses_risk ? age : NULL};

	if (fail(p, res, "begin")) {
		cycle_done(p, 0);
		return;
	}
	tz_format_iso8601(p->now, now, sizeof now);
	snprintf(limit, sizeof limit, "%d", p->d->cfg->batch_size);
	snprintf(hist, sizeof hist, "%d", policy_history_days(pol));
	snprintf(age, sizeof age, "%d", pol->risk_max_age_hours);
	if (pgq_send(p->d->db, SQL_CLAIM, 4, params, claim_cb, p) != 0)
		cycle_done(p, 0);
}

static void begin_batch(struct poller *p)
{
	if (pgq_send(p->d->db, "BEGIN", 0, NULL, begin_cb, p) != 0)
		cycle_done(p, 0);
}

static void confirm_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	if (fail(p, res, "confirm_payments")) {
		cycle_done(p, 0);
		return;
	}
	if (atoi(PQcmdTuples((PGresult *)res)) > 0)
		log_info("poller", "event=confirmations_queued count=%s",
			 PQcmdTuples((PGresult *)res));
	begin_batch(p);
}

static void confirm_payments(struct poller *p)
{
	const struct policy *pol = p->d->cfg->policy;
	struct pgarr chans;
	char now[32];
	const char *params[3];

	if (!pol->confirm_template || pol->nconfirm_channels == 0) {
		begin_batch(p);
		return;
	}
	pgarr_init(&chans);
	for (size_t i = 0; i < pol->nconfirm_channels; i++)
		pgarr_text(&chans, pol->confirm_channels[i]);
	tz_format_iso8601(p->now, now, sizeof now);
	params[0] = now;
	params[1] = pgarr_str(&chans);
	params[2] = pol->confirm_template;
	if (!params[1] || pgq_send(p->d->db, SQL_CONFIRM, 3, params, confirm_cb, p) != 0)
		cycle_done(p, 0);
	pgarr_free(&chans);
}

static void open_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	if (fail(p, res, "open_cases")) {
		cycle_done(p, 0);
		return;
	}
	if (atoi(PQcmdTuples((PGresult *)res)) > 0)
		log_info("poller", "event=cases_opened count=%s", PQcmdTuples((PGresult *)res));
	confirm_payments(p);
}

static void cycle_done(struct poller *p, int settled)
{
	p->running = 0;
	p->settled = settled;
	if (p->queued || p->resolved)
		log_info("poller", "event=cycle_done queued=%lu resolved=%lu", p->queued,
			 p->resolved);
	p->queued = p->resolved = 0;
	p->analyzed = 0;
	if (!settled && p->d->once) {
		/* --once must not report success for a cycle that failed. */
		p->d->exit_code = 1;
		p->settled = 1;
	}
	if (p->again && !p->d->stopping) {
		p->again = 0;
		poller_kick(p);
		return;
	}
	dunnd_check_done(p->d);
}

static void open_cases(struct poller *p)
{
	char now[32], grace[16];
	const char *params[2] = {now, grace};

	tz_format_iso8601(p->now, now, sizeof now);
	snprintf(grace, sizeof grace, "%d",
		 p->d->cfg->policy->grace_days > 1 ? p->d->cfg->policy->grace_days : 1);
	if (pgq_send(p->d->db, SQL_OPEN, 2, params, open_cb, p) != 0)
		cycle_done(p, 0);
}

static int utc_month(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return 0;
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static void ensure_cb(const PGresult *res, void *arg)
{
	struct poller *p = arg;

	/* Without its partitions a month's rows wait in the DEFAULT
	 * partitions: nothing is lost, purge just cannot drop them whole.
	 * So a failure is told and the cycle goes on; a later one tries
	 * again. */
	if (!pgq_ok(res)) {
		log_warn("poller", "event=partitions_failed error=\"%.*s\"",
			 (int)strcspn(pgq_error(p->d->db, res), "\n"), pgq_error(p->d->db, res));
		p->ensure_after = p->now + 600;
	} else {
		p->month = utc_month(p->now);
		if (atoi(PQgetvalue(res, 0, 0)) > 0)
			log_info("poller", "event=partitions_created count=%s",
				 PQgetvalue(res, 0, 0));
	}
	open_cases(p);
}

/* The outbox's and the audit log's partitions for the clock's month and
 * the two after it (see migrations/0025_partition.sql): made when dunnd
 * starts and whenever its clock enters another month, before that
 * month's first case opens. */
static void ensure_partitions(struct poller *p)
{
	char now[32];
	const char *params[1] = {now};

	if (p->month == utc_month(p->now) || p->now < p->ensure_after) {
		open_cases(p);
		return;
	}
	tz_format_iso8601(p->now, now, sizeof now);
	if (pgq_send(p->d->db, "SELECT dunning.partitions_ensure($1)", 1, params, ensure_cb, p) !=
	    0)
		cycle_done(p, 0);
}

void poller_kick(struct poller *p)
{
	if (p->running) {
		p->again = 1;
		return;
	}
	if (p->d->stopping || !pgq_connected(p->d->db))
		return;
	p->running = 1;
	p->settled = 0;
	p->now = dunnd_now(p->d);
	ensure_partitions(p);
}
