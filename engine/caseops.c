/* The SQL of promise, pause, resume and disputes (see caseops.h for the
 * parameters), shared by dunnctl and the customer's page. */
#include "caseops.h"

#include <string.h>

#include "tz.h"

/* The same pause asked for again while it holds (a customer pressing
 * "promise" five times, a plan request while its call task is open)
 * changes nothing: no second acknowledgement, task or event. The test is
 * on the case row itself so that a concurrent second request, which waits
 * for the first one's row lock, sees the pause the first one wrote.
 * The open-task test is a scalar subquery, not EXISTS: under NOT and OR
 * the planner hashes an EXISTS over every account's open tasks, where
 * this one reads the case's own tasks by account_id and case. */
const char CASEOPS_SQL_PAUSE[] =
	"WITH a AS (SELECT id, timezone FROM dunning.accounts\n"
	"           WHERE external_ref = $1 OR id = $8::bigint),\n"
	"o AS (SELECT c.id, c.paused_until FROM dunning.cases c JOIN a ON c.account_id = a.id\n"
	"      WHERE c.state <> 'resolved'),\n"
	"c AS (\n"
	"  UPDATE dunning.cases c SET state = 'paused', pause_reason = $3::text, pause_note = $4::text,\n"
	"         paused_until = CASE WHEN $2::date IS NULL THEN NULL\n"
	"                        ELSE ($2::date + 1)::timestamp AT TIME ZONE a.timezone END,\n"
	"         next_action_at = CASE WHEN $2::date IS NULL THEN $5::timestamptz + interval '1 day'\n"
	"                        ELSE ($2::date + 1)::timestamp AT TIME ZONE a.timezone END\n"
	"  FROM a WHERE c.account_id = a.id AND c.state <> 'resolved'\n"
	"    AND NOT (c.state = 'paused' AND c.pause_reason IS NOT DISTINCT FROM $3::text\n"
	"             AND c.pause_note IS NOT DISTINCT FROM $4::text\n"
	"             AND c.paused_until IS NOT DISTINCT FROM\n"
	"                 (CASE WHEN $2::date IS NULL THEN NULL\n"
	"                  ELSE ($2::date + 1)::timestamp AT TIME ZONE a.timezone END)\n"
	"             AND ($9::text IS NULL OR coalesce((\n"
	"                  SELECT true FROM dunning.phone_tasks t\n"
	"                  WHERE t.account_id = c.account_id AND t.case_id = c.id\n"
	"                  AND t.completed_at IS NULL AND t.note = $9::text LIMIT 1), false)))\n"
	"  RETURNING c.id, c.account_id, c.cycle, c.stage, c.paused_until),\n"
	"ack AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                  status, next_attempt_at, created_at)\n"
	"  SELECT c.id, c.account_id, c.cycle, 0, ch, 'promise_ack', 'promise_ack', 'queued', $5, $5\n"
	"  FROM c, unnest($6::text[]) AS ch WHERE $3::text = 'promise'),\n"
	"task AS (\n"
	"  INSERT INTO dunning.phone_tasks (case_id, account_id, due_at, note)\n"
	"  SELECT c.id, c.account_id, $5, $9::text FROM c WHERE $9::text IS NOT NULL\n"
	"  RETURNING id, case_id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $5, 'case_paused', c.account_id, c.id,\n"
	"         jsonb_build_object('reason', $3::text, 'until', c.paused_until, 'source', $7::text)\n"
	"  FROM c\n"
	"  UNION ALL\n"
	"  SELECT $5, $10::text, c.account_id, c.id,\n"
	"         jsonb_build_object('stage', c.stage, 'reason', $3::text,\n"
	"                            'phone_task_id', (SELECT id FROM task WHERE case_id = c.id))\n"
	"  FROM c WHERE $10::text IS NOT NULL)\n"
	"SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM o),\n"
	"       to_char(coalesce((SELECT paused_until FROM c LIMIT 1),\n"
	"                        (SELECT paused_until FROM o LIMIT 1)) AT TIME ZONE 'UTC',\n"
	"               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"       (SELECT count(*) FROM c)";

const char CASEOPS_SQL_RESUME[] =
	"WITH a AS (SELECT id FROM dunning.accounts WHERE external_ref = $1),\n"
	"c AS (\n"
	"  UPDATE dunning.cases c SET state = 'active', pause_reason = NULL, pause_note = NULL,\n"
	"         paused_until = NULL, next_action_at = $2\n"
	"  FROM a WHERE c.account_id = a.id AND c.state = 'paused'\n"
	"  RETURNING c.id, c.account_id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $2, 'case_resumed', account_id, id, jsonb_build_object('source', 'dunnctl')\n"
	"  FROM c)\n"
	"SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM c)";

const char CASEOPS_SQL_QUIET_SET[] = "WITH " CASEOPS_QUIET_CTES "\n"
				     "SELECT (SELECT count(*) FROM qa), (SELECT count(*) FROM qev)";

/* Notices go to the account's latest case: a dispute may outlive it. Their
 * conflict is on deliveries_dispute_key, (dispute_id, kind, channel,
 * case_id); a dispute opens and is resolved once, so its notices meet one
 * case each. */
const char CASEOPS_SQL_DISPUTE_OPEN[] =
	"WITH i AS (SELECT id, account_id, amount_due FROM dunning.invoices\n"
	"           WHERE external_ref = $1 AND paid_at IS NULL\n"
	"             AND ($7::bigint IS NULL OR account_id = $7::bigint)),\n"
	"dup AS (SELECT d.reference FROM dunning.disputes d JOIN i ON d.invoice_id = i.id\n"
	"        WHERE d.resolved_at IS NULL),\n"
	"d AS (\n"
	"  INSERT INTO dunning.disputes (invoice_id, account_id, status, reason, detail, channel,\n"
	"                                reference, original_amount, opened_at)\n"
	"  SELECT i.id, i.account_id, 'open', $2, $3, $4,\n"
	"         'D-' || nextval('dunning.dispute_reference_seq'), i.amount_due, $5\n"
	"  FROM i WHERE NOT EXISTS (SELECT 1 FROM dup)\n"
	"  RETURNING id, invoice_id, account_id, reference),\n"
	"inv AS (UPDATE dunning.invoices v SET disputed = true FROM d WHERE v.id = d.invoice_id),\n"
	"wake AS (UPDATE dunning.cases c SET next_action_at = $5 FROM d\n"
	"         WHERE c.account_id = d.account_id AND c.state <> 'resolved'),\n"
	"lc AS (SELECT DISTINCT ON (c.account_id) c.id, c.account_id, c.cycle, c.stage\n"
	"       FROM dunning.cases c JOIN d ON c.account_id = d.account_id\n"
	"       ORDER BY c.account_id, c.cycle DESC),\n"
	"ack AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                  dispute_id, invoice_id, status, next_attempt_at,\n"
	"                                  created_at)\n"
	"  SELECT lc.id, lc.account_id, lc.cycle, 0, ch, 'dispute_ack', 'dispute_ack', d.id,\n"
	"         d.invoice_id, 'queued', $5, $5\n"
	"  FROM d JOIN lc ON lc.account_id = d.account_id, unnest($6::text[]) AS ch\n"
	"  ON CONFLICT DO NOTHING\n"
	"  RETURNING id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $5, 'dispute_opened', d.account_id,\n"
	"         jsonb_build_object('dispute_id', d.id, 'invoice_id', d.invoice_id,\n"
	"                            'channel', $4::text) FROM d\n"
	"  UNION ALL\n"
	"  SELECT $5, $8::text, d.account_id,\n"
	"         jsonb_build_object('dispute_id', d.id, 'invoice_id', d.invoice_id,\n"
	"                            'stage', (SELECT stage FROM lc WHERE lc.account_id = d.account_id))\n"
	"  FROM d WHERE $8::text IS NOT NULL)\n"
	"SELECT (SELECT count(*) FROM i), (SELECT reference FROM dup LIMIT 1),\n"
	"       (SELECT reference FROM d), (SELECT count(*) FROM ack)";

/* $2: new status; upheld writes the invoice down, rejected resumes it. */
const char CASEOPS_SQL_DISPUTE_RESOLVE[] =
	"WITH d AS (\n"
	"  UPDATE dunning.disputes SET status = $2,\n"
	"         resolved_at = CASE WHEN $2 IN ('upheld', 'rejected') THEN $4::timestamptz END,\n"
	"         resolution_note = coalesce($3, resolution_note)\n"
	"  WHERE reference = $1 AND resolved_at IS NULL\n"
	"  RETURNING id, invoice_id, account_id, status),\n"
	"inv AS (\n"
	"  UPDATE dunning.invoices v SET disputed = false,\n"
	"         amount_due = CASE WHEN d.status = 'upheld' THEN 0 ELSE v.amount_due END\n"
	"  FROM d WHERE v.id = d.invoice_id AND d.status IN ('upheld', 'rejected')),\n"
	"wake AS (UPDATE dunning.cases c SET next_action_at = $4 FROM d\n"
	"         WHERE c.account_id = d.account_id AND c.state <> 'resolved'),\n"
	"lc AS (SELECT DISTINCT ON (c.account_id) c.id, c.account_id, c.cycle\n"
	"       FROM dunning.cases c JOIN d ON c.account_id = d.account_id\n"
	"       ORDER BY c.account_id, c.cycle DESC),\n"
	"note AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                  dispute_id, invoice_id, status, next_attempt_at,\n"
	"                                  created_at)\n"
	"  SELECT lc.id, lc.account_id, lc.cycle, 0, ch, 'dispute_outcome', 'dispute_' || d.status,\n"
	"         d.id, d.invoice_id, 'queued', $4, $4\n"
	"  FROM d JOIN lc ON lc.account_id = d.account_id, unnest($5::text[]) AS ch\n"
	"  WHERE d.status IN ('upheld', 'rejected')\n"
	"  ON CONFLICT DO NOTHING),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $4, 'dispute_' || d.status, d.account_id, jsonb_build_object('dispute_id', d.id)\n"
	"  FROM d)\n"
	"SELECT (SELECT count(*) FROM d)";

const char CASEOPS_SQL_DISPUTE_SHOW[] =
	"SELECT d.reference, d.status, i.external_ref, d.reason, coalesce(d.resolution_note, ''),\n"
	"       to_char(d.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
	"       coalesce(to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-')\n"
	"FROM dunning.disputes d JOIN dunning.invoices i ON i.id = d.invoice_id\n"
	"WHERE d.reference = $1";

int caseops_date(const char *s, int64_t *midnight)
{
	int64_t t;
	char buf[TZ_ISO8601_LEN];

	if (!s || strlen(s) != 10 || tz_parse_iso8601(s, &t) != 0)
		return 0;
	tz_format_iso8601(t, buf, sizeof buf);
	if (strncmp(buf, s, 10) != 0)
		return 0; /* 2026-02-30 normalised away */
	*midnight = t;
	return 1;
}

/* A promise is a date soon, not "someday". */
int caseops_promise_in_range(int64_t day, int64_t at, int max_promise_days)
{
	return day + 86400 > at && day <= at + (int64_t)max_promise_days * 86400;
}

const char *caseops_notice_channels(const struct policy *p, struct pgarr *a)
{
	pgarr_init(a);
	for (size_t i = 0; i < p->nconfirm_channels; i++)
		pgarr_text(a, p->confirm_channels[i]);
	return pgarr_str(a);
}
