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
 * A partition's figures (the deliveries' into report_daily and
 * report_daily_paid, the customer page's events into report_page_daily)
 * are folded in the transaction that detaches it, but before it takes
 * the parent's ACCESS EXCLUSIVE lock: the fold reads every row, and dunnd's
 * writes to the outbox must not wait for that. Under the lock only a
 * counter is read: a row trigger put on the partition before the fold
 * (migrations/0028_purge_fold.sql) counts every write to it, and the same
 * count as the fold saw means the fold's figures are the partition's.
 * Another count rolls the fold back and keeps the partition for the next
 * run. The detached table is dropped after the lock, in a transaction of
 * its own. So the lock is held for the same few milliseconds whatever the
 * partition's size. Taking the parent before any partition keeps the
 * lock order of every other statement (no deadlock with a dispatcher's
 * write, which locks the parent and then all its partitions); the
 * trigger is put and taken off in a transaction of its own, which locks
 * only the partition. A partition whose drop would hand a payment's last
 * touch to an older delivery left elsewhere (the report would then count
 * it twice) is kept as well. A dry run folds and counts in the caller's
 * transaction and takes no exclusive lock: the partitions it would drop
 * are listed for the caller's later statements to pass over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* @P is the partition, $1 the cutoff, $2 the partition's oid; in the
 * fold, $3 the partitions already gone in a dry run (still there). */
#define PART_BLOCKER                                                         \
	"SELECT 1 FROM @P d LEFT JOIN dunning.cases c ON c.id = d.case_id\n" \
	"  WHERE d.created_at >= $1 OR d.status IN ('queued', 'sending')\n"  \
	"     OR NOT coalesce(c.state = 'resolved' AND c.closed_at < $1, false)"

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
	"                 WHERE d.tableoid <> $2::oid AND d.tableoid <> ALL ($3::oid[])\n"
	"                   AND d.kind = 'reminder'\n"
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

/* Events: $1 the cutoff, $2 the oid (unused but for its type). The page's
 * events are folded per day, stage, kind and account. */
#define EVENTS_BLOCKER                                                       \
	"SELECT 1 FROM @P e LEFT JOIN dunning.cases c ON c.id = e.case_id\n" \
	"  WHERE e.at >= $1 OR (c.id IS NOT NULL\n"                          \
	"    AND NOT coalesce(c.state = 'resolved' AND c.closed_at < $1, false))"
static const char SQL_EVENTS_BUSY[] = "SELECT EXISTS (" EVENTS_BLOCKER ") OR $2::oid IS NULL";
static const char SQL_EVENTS_FOLD[] =
	"WITH blocked AS (SELECT EXISTS (" EVENTS_BLOCKER ") OR $2::oid IS NULL AS b),\n"
	"page AS (\n"
	"  INSERT INTO dunning.report_page_daily AS r (day, stage, kind, account_id, n)\n"
	"  SELECT (e.at AT TIME ZONE 'UTC')::date, coalesce(e.detail->>'stage', '-'), e.kind,\n"
	"         coalesce(e.account_id, 0), count(*)\n"
	"  FROM @P e WHERE e.kind LIKE 'page\\_%' AND NOT (SELECT b FROM blocked)\n"
	"  GROUP BY 1, 2, 3, 4\n"
	"  ON CONFLICT (day, stage, kind, account_id) DO UPDATE SET n = r.n + EXCLUDED.n\n"
	"  RETURNING 1)\n"
	"SELECT (SELECT b FROM blocked), (SELECT count(*) FROM @P), (SELECT count(*) FROM page)";

/* The SQLSTATE of a partition written to while it was folded (class P0,
 * PL/pgSQL's own). */
#define PURGE_CHANGED "P0D01"
/* lock_not_available: the lock's timeout ran out. */
#define LOCK_NOT_AVAILABLE "55P03"
/* Times the detach asks for its lock before the purge gives up. */
#define LOCK_TRIES 5

/* What a detached partition says of itself until it is dropped. */
#define DETACHED "'dunnctl purge: detached and folded, to be dropped'"

/* Tables purge detached but did not get to drop (it died in between),
 * by their comment: their figures are in the report already. */
static const char SQL_LEFTOVERS[] =
	"SELECT c.oid::regclass::text FROM pg_class c\n"
	"WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind = 'r'\n"
	"  AND NOT c.relispartition AND obj_description(c.oid, 'pg_class') = " DETACHED;

struct part_counts {
	long long parts, events, deliveries, folded, paid, page, changed;
	double lock_ms; /* the longest a parent's exclusive lock was held */
	json_t *each;   /* per partition dropped: name, rows, fold_ms, lock_ms */
};

/* The partitions dropped (or, in a dry run, that would be) and those kept
 * for the next run, as an oid array literal for the later statements to
 * pass over: "{}" or "{16390,16412}". */
struct gone {
	char *oids;
	size_t len, cap;
};

static int gone_add(struct gone *g, const char *oid)
{
	size_t need = g->len + strlen(oid) + 3;

	if (need > g->cap) {
		size_t cap = need * 2 > 64 ? need * 2 : 64;
		char *o = realloc(g->oids, cap);
		if (!o)
			return -1;
		g->oids = o;
		g->cap = cap;
	}
	if (g->len == 0)
		g->len = (size_t)sprintf(g->oids, "{%s}", oid);
	else
		g->len += (size_t)sprintf(g->oids + g->len - 1, ",%s}", oid) - 1;
	return 0;
}

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

static double wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One statement of tmpl over part with nparams of (cutoff, oid, gone);
 * the first column of its one row as a number into v0 (a boolean as 0
 * or 1, no row as -1), the other columns into rest. 0 or -1. */
static int ask(struct ctl *c, const char *tmpl, const char *part, const char *const *params,
	       int nparams, long long *v0, long long *rest, int nrest)
{
	char *sql = subst(tmpl, part);
	PGresult *res = sql ? ctl_exec(c, sql, nparams, params) : NULL;
	const char *v;

	free(sql);
	if (!res)
		return -1;
	if (PQntuples(res) < 1) {
		*v0 = -1;
		PQclear(res);
		return 0;
	}
	v = PQgetvalue(res, 0, 0);
	*v0 = *v == 't' ? 1 : *v == 'f' ? 0 : strtoll(v, NULL, 10);
	for (int i = 0; i < nrest && i + 1 < PQnfields(res); i++)
		rest[i] = strtoll(PQgetvalue(res, 0, i + 1), NULL, 10);
	PQclear(res);
	return 0;
}

/* The trigger that counts writes to part, put on (arm) or taken off, each
 * in a transaction of its own that locks only the partition, and not for
 * long: lock_timeout, since a purge waiting for a lock holds every writer
 * of the table up behind it. An armed partition keeps its count across
 * purges, so two purges at once cannot reset each other's. 0 or -1. */
static int watch(struct ctl *c, const char *part, const char *oid, int arm)
{
	char sql[1024];

	if (arm)
		snprintf(
			sql, sizeof sql,
			"BEGIN; SET LOCAL lock_timeout = '5s';\n"
			"INSERT INTO dunning.purge_watch (part) VALUES (%s) ON CONFLICT DO NOTHING;\n"
			"CREATE OR REPLACE TRIGGER purge_watch AFTER INSERT OR UPDATE OR DELETE ON %s\n"
			"  FOR EACH ROW EXECUTE FUNCTION dunning.purge_watch_touch();\n"
			"COMMIT",
			oid, part);
	else
		snprintf(sql, sizeof sql,
			 "BEGIN; SET LOCAL lock_timeout = '5s';\n"
			 "DROP TRIGGER IF EXISTS purge_watch ON %s;\n"
			 "DELETE FROM dunning.purge_watch WHERE part = %s;\n"
			 "COMMIT",
			 part, oid);
	if (run(c, sql) == 0)
		return 0;
	run(c, "ROLLBACK");
	return -1;
}

/* Fold one partition (deliveries or events) and drop it; in a dry run,
 * fold and count it only. Nothing of it changes unless it goes. 0 or -1
 * (then nothing of it changed, or it went and was counted). */
static int drop_one(struct ctl *c, const char *parent, int deliveries, const char *part,
		    const char *oid, const char *cutoff, int dry_run, struct gone *g,
		    struct part_counts *k)
{
	/* The fold's $3: only a dry run's partitions are still there. */
	const char *params[3] = {cutoff, oid, dry_run && g->len ? g->oids : "{}"};
	const char *const watch_params[1] = {oid};
	char sql[1024];
	long long busy, seen = -1, v[3] = {0, 0, 0};
	double t0, fold0 = now_ms(), fold_ms, lock_ms;
	PGresult *res;
	ExecStatusType st;
	const char *v_state;
	double locked_at;
	int changed, busy_lock, tries = 0;

	/* Asked first without a lock or a trigger, so a partition that
	 * must stay costs no one anything. */
	if (ask(c, deliveries ? SQL_PART_BUSY : SQL_EVENTS_BUSY, part, params, 2, &busy, NULL, 0) !=
	    0)
		return -1;
	if (busy)
		return 0;
	if (!dry_run && (watch(c, part, oid, 1) != 0 || run(c, "BEGIN") != 0))
		return -1;
	if (!dry_run &&
	    ask(c, "SELECT changes FROM dunning.purge_watch WHERE part = $1::oid", "", watch_params,
		1, &seen, NULL, 0) != 0)
		goto fail;
	if (ask(c, deliveries ? SQL_PART_FOLD : SQL_EVENTS_FOLD, part, params, deliveries ? 3 : 2,
		&busy, v, 3) != 0)
		goto fail;
	if (busy)
		goto keep;
	if (!dry_run) {
		/* Everything under the lock in one round trip, so that no
		 * wait for this process to be scheduled falls inside it: the
		 * count read and cleared (another count raises PURGE_CHANGED
		 * and rolls back), the detach and the commit. The commit need
		 * not wait for the WAL to reach the disk: the drop's commit
		 * below flushes it, and a crash before loses the fold and the
		 * detach together. The files go after the lock, since
		 * unlinking them costs more the bigger they are; the comment
		 * finds a detached table a dead run left behind. */
		t0 = now_ms();
		fold_ms = t0 - fold0;
		snprintf(
			sql, sizeof sql,
			"SAVEPOINT purge_lock;\n"
			"SET LOCAL lock_timeout = '5s';\n"
			"LOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n"
			"SELECT extract(epoch FROM clock_timestamp())::float8 * 1000;\n"
			"DO $$ BEGIN\n"
			"  DELETE FROM dunning.purge_watch WHERE part = %s AND changes = %lld;\n"
			"  IF NOT FOUND THEN\n"
			"    RAISE EXCEPTION 'written to while folded' USING ERRCODE = '" PURGE_CHANGED
			"';\n"
			"  END IF;\n"
			"END $$;\n"
			"SET LOCAL synchronous_commit = off;\n"
			"ALTER TABLE %s DETACH PARTITION %s;\n"
			"COMMENT ON TABLE %s IS " DETACHED ";\n"
			"COMMIT",
			parent, oid, seen, parent, part, part);
		/* Each statement's result: the server's clock when the lock
		 * was granted (the wait for it is not holding it), then the
		 * last one's status. */
retry:
		st = PGRES_FATAL_ERROR;
		changed = 0;
		busy_lock = 0;
		locked_at = 0;
		if (!PQsendQuery(c->conn, sql)) {
			fprintf(stderr, "dunnctl: %s", PQerrorMessage(c->conn));
			goto fail;
		}
		while ((res = PQgetResult(c->conn))) {
			st = PQresultStatus(res);
			if (st == PGRES_TUPLES_OK && PQntuples(res) == 1)
				locked_at = strtod(PQgetvalue(res, 0, 0), NULL);
			v_state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			if (st == PGRES_FATAL_ERROR) {
				changed = v_state && !strcmp(v_state, PURGE_CHANGED);
				busy_lock = v_state && !strcmp(v_state, LOCK_NOT_AVAILABLE);
				if (!changed && !(busy_lock && tries < LOCK_TRIES))
					fprintf(stderr, "dunnctl: %s", PQresultErrorMessage(res));
			}
			PQclear(res);
			if (st == PGRES_FATAL_ERROR) {
				while ((res = PQgetResult(c->conn)))
					PQclear(res);
				break;
			}
		}
		/* A long reader (a report, a dump) holds the table past the
		 * lock's timeout: the fold is kept (the savepoint), the queue
		 * of writers behind this purge is let through, and the lock is
		 * asked for again, a few times before the purge gives up. */
		if (busy_lock && tries < LOCK_TRIES) {
			tries++;
			fprintf(stderr,
				"dunnctl: %s is busy; asking for its lock again (%d of %d)\n",
				parent, tries, LOCK_TRIES);
			if (run(c, "ROLLBACK TO SAVEPOINT purge_lock") != 0)
				goto fail;
			goto retry;
		}
		/* Written to while folded: kept whole for the next run, and
		 * passed over by this one's row-by-row deletes. */
		if (changed) {
			k->changed++;
			if (gone_add(g, oid) != 0)
				goto fail;
			goto keep;
		}
		if (st != PGRES_COMMAND_OK)
			goto fail;
		lock_ms = wall_ms() - locked_at;
		if (locked_at <= 0 || lock_ms < 0 || lock_ms > now_ms() - t0)
			lock_ms = now_ms() - t0; /* no server clock: the wait counts */
		if (lock_ms > k->lock_ms)
			k->lock_ms = lock_ms;
		json_array_append_new(k->each,
				      json_pack("{s:s, s:I, s:f, s:f}", "partition", part, "rows",
						(json_int_t)v[0], "fold_ms", fold_ms, "lock_ms",
						lock_ms));
	}
	k->parts++;
	if (deliveries) {
		k->deliveries += v[0];
		k->folded += v[1];
		k->paid += v[2];
	} else {
		k->events += v[0];
		k->page += v[1];
	}
	if (gone_add(g, oid) != 0)
		return -1;
	if (!dry_run) {
		snprintf(sql, sizeof sql, "DROP TABLE %s", part);
		if (run(c, sql) != 0)
			return -1;
	}
	return 0;
keep:
	if (dry_run)
		return 0;
	return run(c, "ROLLBACK") == 0 && watch(c, part, oid, 0) == 0 ? 0 : -1;
fail:
	if (!dry_run) {
		run(c, "ROLLBACK");
		watch(c, part, oid, 0);
	}
	return -1;
}

static int drop_parts(struct ctl *c, const char *parent, int deliveries, const char *cutoff,
		      int dry_run, struct gone *g, struct part_counts *k)
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
			      g, k);
	}
	PQclear(res);
	return rc;
}

static int drop_leftovers(struct ctl *c)
{
	PGresult *res = ctl_exec(c, SQL_LEFTOVERS, 0, NULL);
	char sql[256];
	int rc = 0;

	if (!res)
		return -1;
	for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
		snprintf(sql, sizeof sql, "DROP TABLE %.200s", PQgetvalue(res, r, 0));
		rc = run(c, sql);
	}
	PQclear(res);
	return rc;
}

int ctl_purge_partitions(struct ctl *c, const char *cutoff, int dry_run, json_t *out, char **gone)
{
	struct part_counts k = {0};
	struct gone g = {NULL, 0, 0};
	int rc = dry_run ? 0 : drop_leftovers(c);

	k.each = json_array();
	if (rc == 0)
		rc = drop_parts(c, "dunning.deliveries", 1, cutoff, dry_run, &g, &k);

	if (rc == 0)
		rc = drop_parts(c, "dunning.events", 0, cutoff, dry_run, &g, &k);
	json_object_set_new(out, "partitions_dropped", json_integer(k.parts));
	json_object_set_new(out, "partitions_changed", json_integer(k.changed));
	json_object_set_new(out, "events_dropped", json_integer(k.events));
	json_object_set_new(out, "deliveries_deleted", json_integer(k.deliveries));
	json_object_set_new(out, "report_daily_rows", json_integer(k.folded));
	json_object_set_new(out, "report_daily_paid_rows", json_integer(k.paid));
	json_object_set_new(out, "report_page_daily_rows", json_integer(k.page));
	json_object_set_new(out, "parent_lock_ms", json_real(k.lock_ms));
	json_object_set_new(out, "partitions", k.each);
	if (!g.oids)
		g.oids = strdup("{}");
	*gone = g.oids;
	return rc == 0 && *gone ? 0 : -1;
}
