/* dunnctl purge: retention. Personal data of cases resolved long ago is
 * erased, old events keep only their ids and stage, and those cases' old deliveries
 * are folded into per-day counts (dunning.report_daily, and the payments
 * attributed to them in report_daily_paid) before they go, so the funnel
 * report reads the same. Open cases are never touched. Whole partitions
 * go first, by DETACH and DROP (ctl_purge_part.c): that costs the same
 * whatever their size and leaves no dead rows. What is left (old rows in
 * a partition an open case keeps, or in a DEFAULT partition) is deleted
 * after the erasures (one transaction) in batches of PURGE_BATCH rows,
 * each folded and deleted in its own transaction, so no lock is held for
 * long. A dry run is everything in one transaction, rolled back, so its
 * counts are exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_purge.h"
#include "tz.h"

/* $1 is the cutoff instant throughout. A case is old when it was resolved
 * before it; an account is erased only when every case it has is old and
 * nothing is owed (a later cycle or a balance still needs the contact). */
static const char SQL_ACCOUNTS[] =
	"UPDATE dunning.accounts a SET name = 'purged', email = NULL, phone = NULL\n"
	"WHERE (a.name <> 'purged' OR a.email IS NOT NULL OR a.phone IS NOT NULL)\n"
	"  AND EXISTS (SELECT 1 FROM dunning.cases c WHERE c.account_id = a.id\n"
	"              AND c.state = 'resolved' AND c.closed_at < $1)\n"
	"  AND NOT EXISTS (SELECT 1 FROM dunning.cases c WHERE c.account_id = a.id\n"
	"                  AND (c.state <> 'resolved' OR c.closed_at >= $1))\n"
	"  AND NOT EXISTS (SELECT 1 FROM dunning.invoices i WHERE i.account_id = a.id\n"
	"                  AND i.paid_at IS NULL AND i.amount_due > 0)";

/* $2 throughout: the partitions a dry run would have dropped, whose rows
 * are still there (ctl_purge_partitions). */
static const char SQL_ADDRESSES[] =
	"UPDATE dunning.deliveries d SET address = NULL\n"
	"FROM dunning.cases c WHERE c.id = d.case_id AND c.state = 'resolved'\n"
	"  AND c.closed_at < $1 AND d.address IS NOT NULL AND d.tableoid <> ALL ($2::oid[])";

/* Replies without a case (an unknown sender) go by their own age. */
static const char SQL_INBOUND[] =
	"UPDATE dunning.inbound_messages m SET body = NULL, address = NULL\n"
	"WHERE (m.body IS NOT NULL OR m.address IS NOT NULL)\n"
	"  AND (EXISTS (SELECT 1 FROM dunning.cases c WHERE c.id = m.case_id\n"
	"               AND c.state = 'resolved' AND c.closed_at < $1)\n"
	"       OR (m.case_id IS NULL AND m.received_at < $1))";

/* Call notes carry the call script and reply texts. */
static const char SQL_NOTES[] =
	"UPDATE dunning.phone_tasks t SET note = NULL\n"
	"FROM dunning.cases c WHERE c.id = t.case_id AND c.state = 'resolved'\n"
	"  AND c.closed_at < $1 AND t.note IS NOT NULL";

/* Why a fee was waived is free text (what the customer told the agent);
 * the ledger line keeps its amounts, when and by whom. */
static const char SQL_FEE_REASONS[] =
	"UPDATE dunning.fees f SET waive_reason = NULL\n"
	"FROM dunning.cases c WHERE c.id = f.case_id AND c.state = 'resolved'\n"
	"  AND c.closed_at < $1 AND f.waive_reason IS NOT NULL";

/* An event keeps its ids and the stage its case was at (a number, which
 * the customer page's report counts by). */
static const char SQL_EVENTS[] =
	"UPDATE dunning.events e SET detail =\n"
	"  (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(e.detail) AS x(k, v)\n"
	"   WHERE k = 'id' OR k LIKE '%\\_id' OR k = 'stage')\n"
	"WHERE e.at < $1 AND jsonb_typeof(e.detail) = 'object' AND e.tableoid <> ALL ($2::oid[])\n"
	"  AND NOT EXISTS (SELECT 1 FROM dunning.cases c WHERE c.id = e.case_id\n"
	"                  AND (c.state <> 'resolved' OR c.closed_at >= $1))\n"
	"  AND EXISTS (SELECT 1 FROM jsonb_each(e.detail) AS x(k, v)\n"
	"              WHERE NOT (k = 'id' OR k LIKE '%\\_id' OR k = 'stage'))";

/* Count what is deleted from the deleted rows themselves: nothing can
 * change between counting and deleting. Only deliveries of cases resolved
 * before the cutoff go (an open case keeps its history for caps, the
 * report and the page); rows still queued or sending are work in progress
 * and stay. A batch takes whole accounts (the first $2 rows by account,
 * then the rest of the last account's), so the payments whose last touch
 * is a deleted delivery are folded exactly once: no later batch can find
 * an older delivery of the same account left to give them to. */
#define PURGE_OLD_DELIVERY                                                      \
	"FROM dunning.deliveries d JOIN dunning.cases c ON c.id = d.case_id\n"  \
	"  WHERE d.created_at < $1 AND d.status NOT IN ('queued', 'sending')\n" \
	"    AND c.state = 'resolved' AND c.closed_at < $1\n"                   \
	"    AND d.tableoid <> ALL ($3::oid[])\n"
static const char SQL_DELIVERIES[] =
	"WITH acc AS (\n"
	"  SELECT DISTINCT account_id FROM (SELECT d.account_id " PURGE_OLD_DELIVERY
	"  ORDER BY d.account_id LIMIT $2) x),\n"
	"old AS (\n"
	"  SELECT d.id " PURGE_OLD_DELIVERY "    AND d.account_id IN (SELECT account_id FROM acc)\n"
	"  FOR UPDATE OF d),\n"
	"paid_all AS MATERIALIZED (\n"
	"  SELECT lt.id, i.paid_at <= lt.at + interval '7 days' AS in7, i.amount_due,\n"
	"         i.currency::text AS currency\n"
	"  FROM dunning.invoices i\n"
	"  " CTL_SQL_LAST_TOUCH
	"  WHERE i.account_id IN (SELECT account_id FROM acc) AND i.paid_at IS NOT NULL),\n"
	"touch AS (SELECT * FROM paid_all WHERE id IN (SELECT id FROM old)),\n"
	"rec_all AS MATERIALIZED (\n"
	"  SELECT lt.id, p.amount, p.currency::text AS currency\n"
	"  FROM dunning.payments p\n"
	"  " CTL_SQL_PAY_TOUCH
	"  WHERE p.account_id IN (SELECT account_id FROM acc) AND " CTL_SQL_RECOVERED_KINDS "),\n"
	"rtouch AS (SELECT * FROM rec_all WHERE id IN (SELECT id FROM old)),\n"
	"gone AS (\n"
	"  DELETE FROM dunning.deliveries d USING old WHERE d.id = old.id\n"
	"  RETURNING d.id, d.created_at, d.case_id, d.step, d.channel, d.kind, d.status),\n"
	"gt AS (\n"
	"  SELECT g.id, (g.created_at AT TIME ZONE 'UTC')::date AS day, coalesce(c.track, '') AS track,\n"
	"         g.step, g.channel, g.kind, g.status\n"
	"  FROM gone g JOIN dunning.cases c ON c.id = g.case_id),\n" PURGE_SQL_UNLINK
	",\n" PURGE_SQL_FOLD_COUNTS ",\n" PURGE_SQL_FOLD_PAID "\n"
	"SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM agg),\n"
	"       (SELECT count(*) FROM paid)";

struct purge_step {
	const char *key;
	const char *label;
	const char *sql;
	int nparams; /* 2: it reads $2 */
};

static const struct purge_step steps[] = {
	{"accounts_anonymised", "accounts anonymised", SQL_ACCOUNTS, 1},
	{"delivery_addresses_cleared", "delivery addresses cleared", SQL_ADDRESSES, 2},
	{"inbound_messages_erased", "inbound replies erased", SQL_INBOUND, 1},
	{"phone_task_notes_cleared", "call notes cleared", SQL_NOTES, 1},
	{"fee_waive_reasons_cleared", "fee waive reasons cleared", SQL_FEE_REASONS, 1},
	{"events_stripped", "events stripped to ids", SQL_EVENTS, 2},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

/* Deliveries deleted per transaction. */
#define PURGE_BATCH 10000

static int exec_simple(struct ctl *c, const char *sql)
{
	PGresult *res = ctl_exec(c, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

static long long jget(json_t *out, const char *key)
{
	return (long long)json_integer_value(json_object_get(out, key));
}

/* Old deliveries left in partitions that could not go whole, batch by
 * batch (all at once for a dry run, inside its transaction), added to the
 * counts in out. 0, or -1 with what was deleted so far committed and
 * counted: each batch is whole, and the next run goes on. */
static int purge_deliveries(struct ctl *c, const char *cutoff, const char *gone, int dry_run,
			    json_t *out)
{
	char limit[16];
	const char *params[3] = {cutoff, dry_run ? NULL : limit, gone};
	long long deleted = 0, folded = 0, paid = 0, n;
	int rc = 0;

	snprintf(limit, sizeof limit, "%d", PURGE_BATCH);
	do {
		PGresult *res = ctl_exec(c, SQL_DELIVERIES, 3, params);
		if (!res) {
			rc = -1;
			break;
		}
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		deleted += n;
		folded += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		paid += strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		PQclear(res);
	} while (!dry_run && n >= PURGE_BATCH);
	json_object_set_new(out, "deliveries_deleted",
			    json_integer(jget(out, "deliveries_deleted") + deleted));
	json_object_set_new(out, "report_daily_rows",
			    json_integer(jget(out, "report_daily_rows") + folded));
	json_object_set_new(out, "report_daily_paid_rows",
			    json_integer(jget(out, "report_daily_paid_rows") + paid));
	return rc;
}

/* Whole partitions first (ctl_purge_part.c), so the erasures and the
 * row-by-row deletes below never write to rows that are about to go;
 * then the erasures in one transaction, then the deliveries that are
 * left. A dry run does it all in one transaction and rolls it back, so
 * its counts are exact. Counts into out. 0, -1 when nothing was changed,
 * -2 when it stopped part way. */
static int purge_run(struct ctl *c, const char *cutoff, int dry_run, json_t *out)
{
	char *gone = NULL;
	const char *params[2] = {cutoff, NULL};
	PGresult *res;
	int rc = -1;

	if (dry_run && exec_simple(c, "BEGIN") != 0)
		return -1;
	if (ctl_purge_partitions(c, cutoff, dry_run, out, &gone) != 0) {
		if (dry_run)
			exec_simple(c, "ROLLBACK");
		free(gone);
		return dry_run || jget(out, "partitions_dropped") == 0 ? -1 : -2;
	}
	params[1] = gone;
	if (!dry_run && exec_simple(c, "BEGIN") != 0) {
		free(gone);
		return -2;
	}
	for (size_t i = 0; i < NSTEPS; i++) {
		res = ctl_exec(c, steps[i].sql, steps[i].nparams, params);
		if (!res)
			goto fail;
		json_object_set_new(out, steps[i].key,
				    json_integer(strtoll(PQcmdTuples(res), NULL, 10)));
		PQclear(res);
	}
	if (dry_run) {
		if (purge_deliveries(c, cutoff, gone, 1, out) != 0)
			goto fail;
		free(gone);
		return exec_simple(c, "ROLLBACK");
	}
	if (exec_simple(c, "COMMIT") == 0)
		rc = purge_deliveries(c, cutoff, gone, 0, out) == 0 ? 0 : -2;
	else
		rc = -2;
	free(gone);
	return rc;
fail:
	exec_simple(c, "ROLLBACK");
	free(gone);
	return dry_run || jget(out, "partitions_dropped") == 0 ? -1 : -2;
}

int ctl_purge(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	int dry_run = ctl_take_flag(&argc, argv, "--dry-run");
	const char *older = ctl_take_opt(&argc, argv, "--older-than");
	int days = c->cfg->retention_days;
	char cutoff[32], *end = NULL;
	int64_t at;
	json_t *out;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 1) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE purge [--older-than DAYS] [--dry-run] "
			"[--json]\n");
		return 2;
	}
	if (older) {
		long v = strtol(older, &end, 10);
		if (!*older || *end || v < 1 || v > 36500) {
			fprintf(stderr, "dunnctl: --older-than is a number of days, 1 to 36500\n");
			return 2;
		}
		days = (int)v;
	}
	tz_format_iso8601(at - (int64_t)days * 86400, cutoff, sizeof cutoff);
	out = json_pack("{s:s, s:i, s:b}", "cutoff", cutoff, "older_than_days", days, "dry_run",
			dry_run);
	if (!out)
		return 1;
	switch (purge_run(c, cutoff, dry_run, out)) {
	case 0:
		break;
	case -2:
		fprintf(stderr,
			"dunnctl: purge stopped part way, after %lld partitions and %lld "
			"deliveries; the next run goes on\n",
			jget(out, "partitions_dropped"), jget(out, "deliveries_deleted"));
		json_decref(out);
		return 1;
	default:
		fprintf(stderr, "dunnctl: purge failed; nothing was changed\n");
		json_decref(out);
		return 1;
	}
	if (as_json)
		return ctl_json_print(out);
	printf("purge%s: before %s (%d days)\n", dry_run ? " (dry run, nothing changed)" : "",
	       cutoff, days);
	for (size_t i = 0; i < NSTEPS; i++)
		printf("  %-28s %lld\n", steps[i].label,
		       (long long)json_integer_value(json_object_get(out, steps[i].key)));
	printf("  %-28s %lld (into %lld report_daily rows)\n", "deliveries deleted",
	       jget(out, "deliveries_deleted"), jget(out, "report_daily_rows"));
	printf("  %-28s %lld (%lld events with them)\n", "partitions dropped",
	       jget(out, "partitions_dropped"), jget(out, "events_dropped"));
	if (jget(out, "partitions_changed"))
		printf("  %-28s %lld (written to while folded; the next run retries)\n",
		       "partitions kept", jget(out, "partitions_changed"));
	if (!dry_run)
		printf("  %-28s %.1f ms\n", "longest exclusive lock",
		       json_real_value(json_object_get(out, "parent_lock_ms")));
	json_decref(out);
	return 0;
}
