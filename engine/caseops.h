/* Case operations shared by dunnctl (ops) and the customer's page in
 * dunnd: promise to pay, pause, resume, dispute intake and resolution.
 * One copy of each statement, so both feed the same engine paths. Each is
 * one statement: the case change, the notice in the outbox and the audit
 * events commit together. Every parameter is passed as text; NULL entries
 * are SQL NULL. */
#ifndef DUNN_CASEOPS_H
#define DUNN_CASEOPS_H

#include <stdint.h>

#include "pgarr.h"
#include "policy.h"

/* Pause the account's open case. The pause ends at the start of the day
 * after $2 in the account's own time zone ("I will pay by the 20th" covers
 * all of the 20th); without $2 it lasts until resumed.
 *   $1 account external_ref, or NULL when $8 names the account
 *   $2 until YYYY-MM-DD, or NULL
 *   $3 reason: promise | hardship | manual (promise queues promise_ack)
 *   $4 note, or NULL
 *   $5 at (ISO 8601 instant: the clock of the change)
 *   $6 acknowledgement channels, text[] literal (pgarr)
 *   $7 source for the audit event ("dunnctl", "page")
 *   $8 account id, or NULL when $1 names the account
 *   $9 phone task note, or NULL: a dunning.phone_tasks row due at $5
 *  $10 extra audit event kind (e.g. "page_plan"), or NULL
 * A case already paused the same way ($3, $4 and the same end; with $9, a
 * task with that note still open) is left alone: nothing is queued,
 * written or audited for it.
 * One row: accounts found, open cases (paused now or already so),
 * paused_until (ISO 8601 or NULL), cases changed by this statement. */
#define CASEOPS_PAUSE_NPARAMS 10
extern const char CASEOPS_SQL_PAUSE[];

/* End a pause now.  $1 account external_ref, $2 at.
 * One row: accounts found, cases resumed. */
#define CASEOPS_RESUME_NPARAMS 2
extern const char CASEOPS_SQL_RESUME[];

/* Open a dispute on one unpaid invoice: dunning of that invoice pauses,
 * the customer is acknowledged with the reference (D-NNNN).
 *   $1 invoice external_ref
 *   $2 reason
 *   $3 detail, or NULL
 *   $4 intake channel: ops | web | phone
 *   $5 at
 *   $6 acknowledgement channels, text[] literal
 *   $7 account id the invoice must belong to, or NULL (ops: any)
 *   $8 extra audit event kind (e.g. "page_dispute"), or NULL
 * One row: invoices found, reference of an open dispute already on it (or
 * NULL), reference of the new dispute (or NULL), acknowledgements queued. */
#define CASEOPS_DISPUTE_OPEN_NPARAMS 8
extern const char CASEOPS_SQL_DISPUTE_OPEN[];

/* Move an open dispute: investigating, or upheld (writes the invoice down
 * to zero) / rejected (dunning of it resumes), which tell the customer.
 *   $1 dispute reference, $2 new status, $3 resolution note or NULL,
 *   $4 at, $5 notice channels text[] literal.
 * One row: disputes changed. */
#define CASEOPS_DISPUTE_RESOLVE_NPARAMS 5
extern const char CASEOPS_SQL_DISPUTE_RESOLVE[];

/* One dispute by reference ($1): reference, status, invoice ref, reason,
 * resolution note, opened, resolved (UTC "YYYY-MM-DD HH24:MI" or "-"). */
extern const char CASEOPS_SQL_DISPUTE_SHOW[];

/* Set or clear the account's quiet times (quiet.h), with an event
 * (quiet_times_set or quiet_times_cleared) when they change.
 *   $1 account external_ref, or NULL when $2 names the account
 *   $2 account id, or NULL
 *   $3 canonical spec (quiet_normalize), "" to clear
 *   $4 blocked minutes per week
 *   $5 source: page | operator
 *   $6 at
 * One row: accounts found, changes made (0 when already so). */
#define CASEOPS_QUIET_NPARAMS 6
extern const char CASEOPS_SQL_QUIET_SET[];
/* The common table expressions of that statement, for a statement that
 * does more with the same $1..$6 (the page's preferences): qa is the
 * account found, qev the events written. $3 NULL leaves the times as they
 * are. A set that names the times already held changes nothing and
 * writes no event (a form sent twice). */
#define CASEOPS_QUIET_CTES                                                                              \
	"qa AS (SELECT id FROM dunning.accounts\n"                                                      \
	"       WHERE ($1::text IS NOT NULL AND external_ref = $1)\n"                                   \
	"          OR ($1::text IS NULL AND id = $2::bigint)),\n"                                       \
	"qold AS (SELECT q.spec FROM dunning.quiet_times q JOIN qa ON qa.id = q.account_id),\n"         \
	"qdel AS (DELETE FROM dunning.quiet_times q USING qa\n"                                         \
	"         WHERE q.account_id = qa.id AND $3::text = '' RETURNING q.account_id),\n"              \
	"qup AS (\n"                                                                                    \
	"  INSERT INTO dunning.quiet_times AS q (account_id, spec, minutes, source, updated_at)\n"      \
	"  SELECT qa.id, $3, $4::int, $5, $6::timestamptz FROM qa WHERE $3::text <> ''\n"               \
	"  ON CONFLICT (account_id) DO UPDATE SET spec = EXCLUDED.spec, minutes = EXCLUDED.minutes,\n"  \
	"     source = EXCLUDED.source, updated_at = EXCLUDED.updated_at\n"                             \
	"  WHERE q.spec <> EXCLUDED.spec\n"                                                             \
	"  RETURNING q.account_id),\n"                                                                  \
	"qev AS (\n"                                                                                    \
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"                                 \
	"  SELECT $6, CASE WHEN $3::text = '' THEN 'quiet_times_cleared' ELSE 'quiet_times_set' END,\n" \
	"         x.account_id,\n"                                                                      \
	"         jsonb_build_object('spec', nullif($3::text, ''), 'minutes', $4::int,\n"               \
	"                            'source', $5::text, 'previous', (SELECT spec FROM qold))\n"        \
	"  FROM (SELECT account_id FROM qdel UNION ALL SELECT account_id FROM qup) x\n"                 \
	"  RETURNING 1)"

/* "YYYY-MM-DD" naming a real date: 1 and *midnight (UTC) set, else 0. */
int caseops_date(const char *s, int64_t *midnight);
/* A promise date (midnight UTC of it) from the day of `at` up to
 * max_promise_days ahead: 1 if within, else 0. */
int caseops_promise_in_range(int64_t day, int64_t at, int max_promise_days);
/* The channels notices go to (the policy's confirmation channels) as a
 * text[] literal in a, or NULL on allocation failure; pgarr_free(a) after. */
const char *caseops_notice_channels(const struct policy *p, struct pgarr *a);

#endif
