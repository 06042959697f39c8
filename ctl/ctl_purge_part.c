/* dunnctl purge, the constant-time part: whole partitions of deliveries
 * and events leave by DETACH and DROP (see migrations/0025_partition.sql
 * for how they are cut). A deliveries partition goes only when every row
 * in it belongs to a case resolved before the cutoff, was made before it
 * and is no longer queued or sending; an events partition only when it is
 * wholly before the cutoff and holds nothing of a case still open or
 * resolved since. Anything else keeps its partition, and ctl_purge.c
 * deletes its old rows one by one as before: open cases are never
 * touched, and rows cannot be moved to another partition, since a
 * delivery's partition is its case's.
 *
 * The deliveries' figures are folded into report_daily and
 * report_daily_paid in the transaction that drops them, under an ACCESS
 * EXCLUSIVE lock on the parent taken first: nothing changes in between,
 * and taking the parent before any partition keeps the lock order of
 * every other statement (no deadlock with a dispatcher's write, which
 * locks the parent and then all its partitions). A partition whose drop
 * would hand a payment's last touch to an older delivery left elsewhere
 * (the report would then count it twice) is kept as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_purge.h"

/* Partitions of $1 (a table's name) but its DEFAULT one that nothing new
 * can land in: for events, a month wholly before the cutoff ($2); for
 * deliveries, a block of case ids below the next id the sequence gives
 * (the partitions made ahead, still empty, stay). MATERIALIZED: a bound
 * is cast only for its own table's partitions. */
static const char SQL_PARTS[] =
	"WITH p AS MATERIALIZED (\n"
	"  SELECT c.relname, c.oid,\n"
	"         substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''?([^'')]*)''?\\)') AS upper\n"
	"  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid\n"
	"  WHERE i.inhparent = to_regclass($1) AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT')\n"
	"SELECT relname, oid FROM p\n"
	"WHERE CASE WHEN $1 = 'dunning.events' THEN upper::timestamptz <= $2::timestamptz\n"
	"           ELSE upper::bigint <= (SELECT last_value FROM dunning.cases_id_seq) END\n"
	"ORDER BY relname";

/* @P is the partition, $1 the cutoff, $2 the partition's oid. */
#define PART_BLOCKER                                                         \
	"SELECT 1 FROM @P d LEFT JOIN dunning.cases c ON c.id = d.case_id\n" \
	"  WHERE d.created_at >= $1 OR d.status IN ('queued', 'sending')\n"  \
	"     OR NOT coalesce(c.state = 'resolved' AND c.closed_at < $1, false)"

/* Asked first without a lock, so a partition that must stay costs no
 * one a wait. */
static const char SQL_PART_BUSY[] = "SELECT EXISTS (" PART_BLOCKER ") OR $2::oid IS NULL";

static const char SQL_PART_FOLD[] =
	"WITH paid_all AS MATERIALIZED (\n"
	"  SELECT lt.id, i.paid_at, i.account_id, i.paid_at <= lt.at + interval '7 days' AS in7\n"
	"  FROM dunning.invoices i\n"
	"  " CTL_SQL_LAST_TOUCH
	"  WHERE i.account_id IN (SELECT account_id FROM @P) AND i.paid_at IS NOT NULL),\n"
	"touch AS (SELECT * FROM paid_all WHERE id IN (SELECT id FROM @P)),\n"
	"rec_all AS MATERIALIZED (\n"
	"  SELECT lt.id, p.account_id, p.at AS paid_at, p.amount, p.currency::text AS currency\n"
	"  FROM dunning.payments p\n"
	"  " CTL_SQL_PAY_TOUCH
	"  WHERE p.account_id IN (SELECT account_id FROM @P) AND " CTL_SQL_RECOVERED_KINDS "),\n"
	"rtouch AS (SELECT * FROM rec_all WHERE id IN (SELECT id FROM @P)),\n"
	"blocked AS (\n"
	"  SELECT EXISTS (" PART_BLOCKER ")\n"
	"      OR EXISTS (SELECT 1 FROM (SELECT account_id, paid_at FROM touch UNION ALL\n"
	"                                SELECT account_id, paid_at FROM rtouch) t\n"
	"                 JOIN dunning.deliveries d ON d.account_id = t.account_id\n"
	"                 WHERE d.tableoid <> $2::oid AND d.kind = 'reminder'\n"
	"                   AND d.status IN ('sent', 'delivered')\n"
	"                   AND coalesce(d.sent_at, d.created_at) <= t.paid_at\n"
	"                   AND t.paid_at <= coalesce(d.sent_at, d.created_at) + interval '30 days')\n"
	"      AS b),\n"
	"gt AS (\n"
	"  SELECT d.id, (d.created_at AT TIME ZONE 'UTC')::date AS day, coalesce(c.track, '') AS track,\n"
	"         d.step, d.channel, d.kind, d.status\n"
	"  FROM @P d JOIN dunning.cases c ON c.id = d.case_id\n"
	"  WHERE NOT (SELECT b FROM blocked)),\n" PURGE_SQL_FOLD_COUNTS ",\n" PURGE_SQL_FOLD_PAID
	",\n" PURGE_SQL_UNLINK "\n"
	"SELECT (SELECT b FROM blocked), (SELECT count(*) FROM gt), (SELECT count(*) FROM agg),\n"
	"       (SELECT count(*) FROM paid)";

/* Events: $1 the cutoff, $2 the oid (unused but for its type). */
#define EVENTS_BUSY                                                                               \
	"SELECT EXISTS (SELECT 1 FROM @P e LEFT JOIN dunning.cases c ON c.id = e.case_id\n"       \
	"               WHERE e.at >= $1 OR (c.id IS NOT NULL\n"                                  \
	"                 AND NOT coalesce(c.state = 'resolved' AND c.closed_at < $1, false)))\n" \
	"       OR $2::oid IS NULL"
static const char SQL_EVENTS_BUSY[] = EVENTS_BUSY;
static const char SQL_EVENTS_DROP[] = EVENTS_BUSY ", (SELECT count(*) FROM @P)";

struct part_counts {
	long long parts, events, deliveries, folded, paid;
};

/* tmpl with every "@P" replaced by part. Caller frees. */
static char *subst(const char *tmpl, const char *part)
{
	size_t n = 0, plen = strlen(part);
	const char *s;
	char *out, *o;

	for (s = strstr(tmpl, "@P"); s; s = strstr(s + 2, "@P"))
		n++;
	out = malloc(strlen(tmpl) + n * plen + 1);
	if (!out)
		return NULL;
	for (o = out, s = tmpl; *s;) {
		if (s[0] == '@' && s[1] == 'P') {
			memcpy(o, part, plen);
			o += plen;
			s += 2;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static int run(struct ctl *c, const char *sql)
{
	PGresult *res = ctl_exec(c, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

/* One statement of tmpl over part with the cutoff and oid; the first
 * column of its one row as a number into v0 (a boolean as 0 or 1), the
 * other columns into rest. 0 or -1. */
static int ask(struct ctl *c, const char *tmpl, const char *part, const char *cutoff,
	       const char *oid, long long *v0, long long *rest, int nrest)
{
	const char *params[2] = {cutoff, oid};
	char *sql = subst(tmpl, part);
	PGresult *res = sql ? ctl_exec(c, sql, 2, params) : NULL;
	const char *v;

	free(sql);
	if (!res)
		return -1;
	v = PQgetvalue(res, 0, 0);
	*v0 = *v == 't' ? 1 : *v == 'f' ? 0 : strtoll(v, NULL, 10);
	for (int i = 0; i < nrest && i + 1 < PQnfields(res); i++)
		rest[i] = strtoll(PQgetvalue(res, 0, i + 1), NULL, 10);
	PQclear(res);
	return 0;
}

/* Fold (deliveries) or count (events) one partition, then detach and
 * drop it, under the parent's lock. *dropped says whether it went.
 * 0 or -1 (then nothing of it changed). */
static int drop_one(struct ctl *c, const char *parent, int deliveries, const char *part,
		    const char *oid, const char *cutoff, int dry_run, struct part_counts *k)
{
	char sql[1024];
	long long busy, v[3] = {0, 0, 0};

	if (ask(c, deliveries ? SQL_PART_BUSY : SQL_EVENTS_BUSY, part, cutoff, oid, &busy, NULL,
		0) != 0)
		return -1;
	if (busy)
		return 0;
	/* lock_timeout: a purge waiting for the lock would hold every
	 * writer of the table up behind it. Better to stop and say so. */
	snprintf(sql, sizeof sql,
		 "%sSET LOCAL lock_timeout = '5s'; "
		 "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE",
		 dry_run ? "" : "BEGIN; ", parent);
	if (run(c, sql) != 0)
		goto fail;
	if (ask(c, deliveries ? SQL_PART_FOLD : SQL_EVENTS_DROP, part, cutoff, oid, &busy, v,
		deliveries ? 3 : 1) != 0)
		goto fail;
	if (busy) {
		if (!dry_run)
			run(c, "ROLLBACK");
		return 0;
	}
	snprintf(sql, sizeof sql, "ALTER TABLE %s DETACH PARTITION %s; DROP TABLE %s", parent, part,
		 part);
	if (run(c, sql) != 0 || (!dry_run && run(c, "COMMIT") != 0))
		goto fail;
	k->parts++;
	if (deliveries) {
		k->deliveries += v[0];
		k->folded += v[1];
		k->paid += v[2];
	} else {
		k->events += v[0];
	}
	return 0;
fail:
	if (!dry_run)
		run(c, "ROLLBACK");
	return -1;
}

static int drop_parts(struct ctl *c, const char *parent, int deliveries, const char *cutoff,
		      int dry_run, struct part_counts *k)
{
	const char *params[2] = {parent, cutoff};
	PGresult *res = ctl_exec(c, SQL_PARTS, 2, params);
	int rc = 0;

	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
		char *id = PQescapeIdentifier(c->conn, PQgetvalue(res, r, 0),
					      strlen(PQgetvalue(res, r, 0)));
		char part[200];
		if (!id) {
			rc = -1;
			break;
		}
		/* A name is at most 63 bytes, 130 quoted. */
		snprintf(part, sizeof part, "dunning.%.180s", id);
		PQfreemem(id);
		rc = drop_one(c, parent, deliveries, part, PQgetvalue(res, r, 1), cutoff, dry_run,
			      k);
	}
	PQclear(res);
	return rc;
}

int ctl_purge_partitions(struct ctl *c, const char *cutoff, int dry_run, json_t *out)
{
	struct part_counts k = {0, 0, 0, 0, 0};
	int rc = drop_parts(c, "dunning.deliveries", 1, cutoff, dry_run, &k);

	if (rc == 0)
		rc = drop_parts(c, "dunning.events", 0, cutoff, dry_run, &k);
	json_object_set_new(out, "partitions_dropped", json_integer(k.parts));
	json_object_set_new(out, "events_dropped", json_integer(k.events));
	json_object_set_new(out, "deliveries_deleted", json_integer(k.deliveries));
	json_object_set_new(out, "report_daily_rows", json_integer(k.folded));
	json_object_set_new(out, "report_daily_paid_rows", json_integer(k.paid));
	return rc;
}
