/* dunnctl dispute: intake, investigation and resolution of a disputed
 * charge. A dispute pauses dunning of that invoice only; the customer is
 * acknowledged with a reference and told the outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pgarr.h"
#include "tz.h"

/* Notices go to the account's latest case: a dispute may outlive it. */
static const char SQL_OPEN[] =
	"WITH i AS (SELECT id, account_id, amount_due FROM dunning.invoices\n"
	"           WHERE external_ref = $1 AND paid_at IS NULL),\n"
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
	"lc AS (SELECT DISTINCT ON (c.account_id) c.id, c.account_id, c.cycle\n"
	"       FROM dunning.cases c JOIN d ON c.account_id = d.account_id\n"
	"       ORDER BY c.account_id, c.cycle DESC),\n"
	"ack AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                  dispute_id, invoice_id, status, next_attempt_at,\n"
	"                                  created_at)\n"
	"  SELECT lc.id, lc.account_id, lc.cycle, 0, ch, 'dispute_ack', 'dispute_ack', d.id,\n"
	"         d.invoice_id, 'queued', $5, $5\n"
	"  FROM d JOIN lc ON lc.account_id = d.account_id, unnest($6::text[]) AS ch\n"
	"  ON CONFLICT (dispute_id, kind, channel) WHERE dispute_id IS NOT NULL DO NOTHING\n"
	"  RETURNING id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $5, 'dispute_opened', d.account_id,\n"
	"         jsonb_build_object('dispute_id', d.id, 'invoice_id', d.invoice_id,\n"
	"                            'channel', $4::text) FROM d)\n"
	"SELECT (SELECT count(*) FROM i), (SELECT reference FROM dup LIMIT 1),\n"
	"       (SELECT reference FROM d), (SELECT count(*) FROM ack)";

/* $2: new status; upheld writes the invoice down, rejected resumes it. */
static const char SQL_RESOLVE[] =
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
	"  ON CONFLICT (dispute_id, kind, channel) WHERE dispute_id IS NOT NULL DO NOTHING),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $4, 'dispute_' || d.status, d.account_id, jsonb_build_object('dispute_id', d.id)\n"
	"  FROM d)\n"
	"SELECT (SELECT count(*) FROM d)";

static const char SQL_SHOW[] =
	"SELECT d.reference, d.status, i.external_ref, d.reason, coalesce(d.resolution_note, ''),\n"
	"       to_char(d.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
	"       coalesce(to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-')\n"
	"FROM dunning.disputes d JOIN dunning.invoices i ON i.id = d.invoice_id\n"
	"WHERE d.reference = $1";

static const char *notice_channels(struct ctl *c, struct pgarr *a)
{
	const struct policy *p = c->cfg->policy;

	pgarr_init(a);
	for (size_t i = 0; i < p->nconfirm_channels; i++)
		pgarr_text(a, p->confirm_channels[i]);
	return pgarr_str(a);
}

static int dispute_open(struct ctl *c, int argc, char **argv, int64_t at)
{
	const char *reason = ctl_take_opt(&argc, argv, "--reason");
	const char *detail = ctl_take_opt(&argc, argv, "--detail");
	const char *channel = ctl_take_opt(&argc, argv, "--channel");
	struct pgarr chans;
	char at_s[32];
	const char *params[6];
	PGresult *res;
	int rc = 1;

	if (argc != 2 || !reason || !*reason) {
		fprintf(stderr, "Usage: dunnctl -c FILE dispute INVOICE_REF --reason TEXT "
				"[--detail TEXT] [--channel ops|web|phone]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[1];
	params[1] = reason;
	params[2] = detail;
	params[3] = channel ? channel : "ops";
	params[4] = at_s;
	params[5] = notice_channels(c, &chans);
	res = params[5] ? ctl_exec(c, SQL_OPEN, 6, params) : NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no unpaid invoice with reference '%s'\n", argv[1]);
	else if (!PQgetisnull(res, 0, 1))
		fprintf(stderr, "dunnctl: invoice '%s' is already under dispute %s\n", argv[1],
			PQgetvalue(res, 0, 1));
	else {
		printf("dispute: %s opened on %s (dunning of this invoice paused)\n",
		       PQgetvalue(res, 0, 2), argv[1]);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static int dispute_resolve(struct ctl *c, int argc, char **argv, int64_t at)
{
	const char *note = ctl_take_opt(&argc, argv, "--note");
	const char *status;
	struct pgarr chans;
	char at_s[32];
	const char *params[5];
	PGresult *res;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "Usage: dunnctl -c FILE dispute investigate|uphold|reject DISPUTE_REF "
				"[--note TEXT]\n");
		return 2;
	}
	status = !strcmp(argv[1], "investigate") ? "investigating"
		 : !strcmp(argv[1], "uphold")	  ? "upheld"
						  : "rejected";
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[2];
	params[1] = status;
	params[2] = note;
	params[3] = at_s;
	params[4] = notice_channels(c, &chans);
	res = params[4] ? ctl_exec(c, SQL_RESOLVE, 5, params) : NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		fprintf(stderr, "dunnctl: no open dispute '%s'\n", argv[2]);
	} else {
		printf("dispute: %s %s\n", argv[2], status);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static int dispute_show(struct ctl *c, const char *ref)
{
	const char *params[1] = {ref};
	PGresult *res = ctl_exec(c, SQL_SHOW, 1, params);

	if (!res)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no dispute '%s'\n", ref);
		PQclear(res);
		return 1;
	}
	printf("dispute %s\n  status:   %s\n  invoice:  %s\n  reason:   %s\n  note:     %s\n"
	       "  opened:   %s\n  resolved: %s\n",
	       PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
	       PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
	       PQgetvalue(res, 0, 6));
	PQclear(res);
	return 0;
}

int ctl_dispute(struct ctl *c, int argc, char **argv)
{
	int64_t at;

	if (ctl_take_at(&argc, argv, &at) != 0)
		return 2;
	if (argc >= 2 && (!strcmp(argv[1], "investigate") || !strcmp(argv[1], "uphold") ||
			  !strcmp(argv[1], "reject")))
		return dispute_resolve(c, argc, argv, at);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return dispute_show(c, argv[2]);
	return dispute_open(c, argc, argv, at);
}
