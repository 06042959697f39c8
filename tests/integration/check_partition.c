/* The partitioned outbox (migrations/0025_partition.sql) against a real
 * database: a book made and walked by the real dunnd on the schema before
 * it moves across with every row, the daemon goes on with it, and
 * dunnctl purge drops whole partitions past retention with the report's
 * figures kept and open cases untouched. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char *dir, *cfg, *old_cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,+12025550101,en,UTC,retail\n"
	"A-2,Kim Minji,kim@customer.test,+821012345678,ko,UTC,retail\n"
	"A-3,Sato Yui,sato@customer.test,+81312345678,ja,UTC,retail\n"
	"A-4,Bob Example,bob@customer.test,+12025550104,en,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,120000,KRW,2026-11-01,Mobile plan October\n"
			       "INV-3,A-3,5000,JPY,2026-11-01,Mobile plan October\n"
			       "INV-4,A-4,19.90,USD,2026-11-01,Mobile plan October\n";

static void setup(void)
{
	json_error_t err;
	json_t *root;

	dir = tu_tmpdir();
	conninfo = tu_newdb("partition");
	cfg = tu_config(dir, conninfo, NULL, "\"retention_days\": 400");
	/* The schema as it was before the outbox was partitioned: every
	 * migration but 0025 and 0028, which works on its partitions. Today's
	 * dunnd writes this history, so the later migrations it reads (0026
	 * risk, 0027 fees) are there already; migrate applies the two
	 * missing ones afterwards, in order. */
	ck_assert_msg(tu_sh("mkdir %s/old && for f in %s/migrations/*.sql; do "
			    "case $(basename $f) in 0025*|0028*) ;; *) cp $f %s/old/;; esac; done",
			    dir, tu_env("DUNN_SRCDIR"), dir) == 0,
		      "%s", tu_output());
	root = json_load_file(cfg, 0, &err);
	ck_assert_msg(root != NULL, "%s", err.text);
	ck_assert(asprintf(&old_cfg, "%s/old.json", dir) > 0);
	json_object_set_new(root, "migrations", json_sprintf("%s/old", dir));
	ck_assert_int_eq(json_dump_file(root, old_cfg, JSON_INDENT(2)), 0);
	json_decref(root);
}

static void teardown(void)
{
	free(old_cfg);
	tu_teardown(db, dir, cfg, conninfo);
}

static void ctl_ok(const char *c, const char *args)
{
	ck_assert_msg(tu_sh("dunnctl -c %s %s", c, args) == 0, "dunnctl %s:\n%s", args,
		      tu_output());
}

static json_t *ctl_json(const char *args)
{
	json_error_t err;
	json_t *j;

	ctl_ok(cfg, args);
	j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "dunnctl %s: %s:\n%s", args, err.text, tu_output());
	return j;
}

static long long jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
	return (long long)json_integer_value(v);
}

/* Every figure of the report's rows and totals, as one string. */
static char *figures(const char *args)
{
	json_t *doc = ctl_json(args);
	json_t *all = json_pack("{s:O, s:O}", "rows", json_object_get(doc, "rows"), "totals",
				json_object_get(doc, "totals"));
	char *s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(all);
	json_decref(doc);
	return s;
}

/* Every row of a table, every column, as one digest (and its count). */
#define DIGEST(t)                                                                              \
	"SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x.id)), '') " \
	"FROM dunning." t " x"

static const char *const TABLES[] = {"deliveries", "events", "phone_tasks", "cases"};
#define NTABLES (sizeof TABLES / sizeof TABLES[0])

static char relkind(const char *table)
{
	char q[256], *v, k;

	snprintf(q, sizeof q, "SELECT relkind FROM pg_class WHERE oid = 'dunning.%s'::regclass",
		 table);
	v = tu_qstr(db, q);
	k = v[0];
	free(v);
	return k;
}

/* November on the old schema: step 1 to everyone (A-3's fails), A-1 pays
 * (a confirmation), A-4 disputes (an acknowledgement), step 2, A-2 pays;
 * a phone task for one delivery. Then the migration, and the daemon goes
 * on: step 3, a new account's first case, and a replayed day that must
 * queue nothing twice. */
START_TEST(migration_moves_every_row)
{
	char *before[NTABLES], q[256], *fb, *fa, *v;
	long long n, open_block;

	ctl_ok(old_cfg, "migrate");
	db = tu_connect(conninfo);
	ck_assert_int_eq(relkind("deliveries"), 'r');
	tu_import(cfg, dir, ACCOUNTS, INVOICES);
	tu_run_once(old_cfg, "2026-11-04T10:00:00Z");
	PQclear(tu_q(db,
		     "UPDATE dunning.deliveries d SET status = 'failed', "
		     "last_error = 'smtp 550 no such user' FROM dunning.accounts a "
		     "WHERE a.id = d.account_id AND a.external_ref = 'A-3'"));
	ctl_ok(old_cfg, "pay INV-1 --at 2026-11-06T09:00:00Z");
	ctl_ok(old_cfg, "dispute INV-4 --reason 'not mine' --at 2026-11-07T09:00:00Z");
	tu_run_once(old_cfg, "2026-11-11T10:00:00Z");
	ctl_ok(old_cfg, "pay INV-2 --at 2026-11-13T09:00:00Z");
	tu_run_once(old_cfg, "2026-11-14T10:00:00Z");
	PQclear(tu_q(db,
		     "INSERT INTO dunning.phone_tasks (case_id, delivery_id, due_at, note) "
		     "SELECT case_id, id, '2026-11-15T10:00:00Z', 'call' FROM dunning.deliveries "
		     "ORDER BY id DESC LIMIT 1"));
	ck_assert_int_ge(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE kind = "
				 "'confirmation'"),
			 1);
	ck_assert_int_ge(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE kind = "
				 "'dispute_ack'"),
			 1);
	ck_assert_int_ge(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), 6);
	for (size_t i = 0; i < NTABLES; i++) {
		snprintf(q, sizeof q, DIGEST("%s"), TABLES[i]);
		before[i] = tu_qstr(db, q);
	}
	fb = figures("report --from 2026-11-01 --to 2026-11-30 --json");

	/* dunnctl migrate with every migration: 0025 moves the tables. */
	ctl_ok(cfg, "migrate");
	ck_assert_ptr_nonnull(strstr(tu_output(), "applied 0025_partition"));
	ck_assert_int_eq(relkind("deliveries"), 'p');
	ck_assert_int_eq(relkind("events"), 'p');
	for (size_t i = 0; i < NTABLES; i++) {
		snprintf(q, sizeof q, DIGEST("%s"), TABLES[i]);
		v = tu_qstr(db, q);
		ck_assert_msg(strcmp(v, before[i]) == 0, "%s: %s before, %s after", TABLES[i],
			      before[i], v);
		free(v);
		free(before[i]);
	}
	fa = figures("report --from 2026-11-01 --to 2026-11-30 --json");
	ck_assert_str_eq(fa, fb);
	free(fa);
	free(fb);
	/* Every old row is in the legacy partition; this month's block and
	 * the next two are there, and the sequence of cases is in the block. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE tableoid <> 'dunning.deliveries_legacy'::regclass"),
			 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_inherits "
				 "WHERE inhparent = 'dunning.deliveries'::regclass"),
			 5);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_inherits "
				 "WHERE inhparent = 'dunning.events'::regclass"),
			 5);
	/* The references: a task names a delivery that exists, with its case. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_constraint "
				 "WHERE conname = 'phone_tasks_delivery_fkey'"),
			 1);
	{
		PGresult *res = PQexec(db,
				       "INSERT INTO dunning.phone_tasks (case_id, delivery_id, "
				       "due_at) SELECT id, -1, now() FROM dunning.cases LIMIT 1");
		ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23503");
		PQclear(res);
	}
	n = tu_qint(db, "SELECT count(*) FROM dunning.deliveries");

	/* The daemon goes on: the same day again queues nothing twice (the
	 * keys hold across partitions), a later one takes the next steps. */
	tu_run_once(cfg, "2026-11-14T10:00:00Z");
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), n);
	tu_run_once(cfg, "2026-11-22T10:00:00Z");
	ck_assert_int_gt(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), n);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM (SELECT case_id, cycle, step, channel "
				 "FROM dunning.deliveries WHERE kind = 'reminder' "
				 "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) x"),
			 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM (SELECT invoice_id, channel "
				 "FROM dunning.deliveries WHERE kind = 'confirmation' "
				 "GROUP BY 1, 2 HAVING count(*) > 1) x"),
			 0);
	/* A new account's case opens in this month's block, and its
	 * reminder lands in that block's partition. */
	free(tu_file(dir, "more-accounts.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-5,Eve Example,eve@customer.test,+12025550105,en,UTC,retail\n"));
	free(tu_file(dir, "more-invoices.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "INV-5,A-5,9.90,USD,2026-11-15,Mobile plan October\n"));
	tu_import_named(cfg, dir, "more");
	tu_run_once(cfg, "2026-11-20T10:00:00Z");
	open_block = tu_qint(
		db,
		"SELECT count(*) FROM dunning.deliveries d "
		"JOIN dunning.accounts a ON a.id = d.account_id "
		"WHERE a.external_ref = 'A-5' AND d.case_id >= dunning.case_block(now()) "
		"AND d.tableoid = ('dunning.deliveries_' || "
		"to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'))::regclass");
	ck_assert_int_eq(open_block, 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status IN "
				 "('queued', 'sending')"),
			 0);
	ck_assert_int_eq(tu_mail_for("eve@customer.test") > 0, 1);
}
END_TEST

/* Closed cases from before the partitioning (the legacy partition) with
 * ROWS deliveries, paid within a week of their last reminder, call tasks
 * and events; one open case in this month's block. */
#define ROWS "200000"
static const char SEED[] =
	"INSERT INTO dunning.accounts (id, external_ref, name, email)\n"
	"  SELECT i, 'P-' || i, 'Customer ' || i, 'p' || i || '@purge.test'\n"
	"  FROM generate_series(1, 20001) i;\n"
	"INSERT INTO dunning.cases (id, account_id, cycle, track, stage, state, opened_at, closed_at,\n"
	"                           close_reason)\n"
	"  SELECT i, i, 1, 'first_time', 10, 'resolved', '2025-01-02', '2025-02-01', 'paid'\n"
	"  FROM generate_series(1, 20000) i;\n"
	"INSERT INTO dunning.cases (id, account_id, cycle, track, stage, state, opened_at,\n"
	"                           next_action_at)\n"
	"  VALUES (dunning.case_block(now()) + 1, 20001, 1, 'first_time', 1, 'active', now(), now());\n"
	"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, due_date,\n"
	"                              paid_at)\n"
	"  SELECT i, 'PI-' || i, 1000 + i % 7, 'USD', '2025-01-01', '2025-01-15'\n"
	"  FROM generate_series(1, 20000) i;\n"
	"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template, status,\n"
	"                                next_attempt_at, created_at, sent_at, address)\n"
	"  SELECT c, c, 1, s, 'email', 'gentle', CASE WHEN s = 3 THEN 'failed' ELSE 'sent' END,\n"
	"         '2025-01-02'::timestamptz + s * interval '1 day',\n"
	"         '2025-01-02'::timestamptz + s * interval '1 day',\n"
	"         CASE WHEN s <> 3 THEN '2025-01-02'::timestamptz + s * interval '1 day' END,\n"
	"         'p' || c || '@purge.test'\n"
	"  FROM generate_series(1, 20000) c, generate_series(1, " ROWS " / 20000) s;\n"
	"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template, status,\n"
	"                                next_attempt_at, created_at, sent_at, address)\n"
	"  VALUES (dunning.case_block(now()) + 1, 20001, 1, 1, 'email', 'gentle', 'sent', now(),\n"
	"          now(), now(), 'p20001@purge.test');\n"
	"INSERT INTO dunning.phone_tasks (case_id, delivery_id, due_at, completed_at, outcome)\n"
	"  SELECT case_id, id, '2025-01-10', '2025-01-10', 'reached' FROM dunning.deliveries\n"
	"  WHERE step = 5 AND case_id <= 1000;\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"  SELECT created_at, 'delivery_sent', account_id, case_id, id, jsonb_build_object('step', step)\n"
	"  FROM dunning.deliveries WHERE step = 1;\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT '2025-01-03'::timestamptz + (i % 20) * interval '1 day',\n"
	"         (ARRAY['page_view', 'page_view', 'page_pay', 'page_promise'])[1 + i % 4],\n"
	"         1 + i % 5000, 1 + i % 5000, jsonb_build_object('stage', 1 + i % 3)\n"
	"  FROM generate_series(1, 30000) i;\n"
	"INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT '2025-03-01'::timestamptz + i * interval '1 hour', 'page_view', 1 + i % 7, '{}'\n"
	"  FROM generate_series(1, 100) i;\n"
	"ANALYZE dunning.deliveries, dunning.events, dunning.cases, dunning.invoices;";

/* events_legacy ends where this month begins: a cutoff past it. */
#define CUTOFF "--at 2027-01-15T00:00:00Z --older-than 30"

#define OPEN_ROW \
	"SELECT string_agg(x::text, '|') FROM dunning.deliveries x WHERE account_id = 20001"

START_TEST(purge_drops_whole_partitions)
{
	char *fb, *fa, *pb, *open_before, *open_after;
	json_t *doc;
	double t0, took;
	PGresult *res;
	PGconn *writer;

	ctl_ok(cfg, "migrate");
	db = tu_connect(conninfo);
	res = PQexec(db, SEED);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "seed: %s", PQerrorMessage(db));
	PQclear(res);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries_legacy"), atoi(ROWS));
	fb = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	ck_assert_ptr_nonnull(strstr(fb, "\"paid_7d\":20000"));
	pb = figures("report page --from 2025-01-01 --to 2025-03-31 --json");
	ck_assert_ptr_nonnull(strstr(pb, "\"views\":15100"));
	open_before = tu_qstr(db, OPEN_ROW);

	/* A dry run counts and changes nothing, and takes no exclusive
	 * lock: it goes through beside a writer of the outbox. */
	writer = tu_connect(conninfo);
	PQclear(tu_q(writer, "BEGIN"));
	PQclear(tu_q(writer,
		     "LOCK TABLE dunning.deliveries, dunning.events IN ROW EXCLUSIVE MODE"));
	doc = ctl_json("purge " CUTOFF " --dry-run --json");
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), atoi(ROWS));
	ck_assert_int_eq(jint(doc, "partitions_dropped"), 2);
	ck_assert_int_eq(jint(doc, "events_dropped"), 50100);
	ck_assert_int_eq(jint(doc, "delivery_addresses_cleared"), 0);
	ck_assert_int_eq(jint(doc, "events_stripped"), 0);
	json_decref(doc);
	PQclear(tu_q(writer, "ROLLBACK"));
	PQfinish(writer);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'purge_watch'"), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries_legacy"), atoi(ROWS));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.report_daily"), 0);

	t0 = tu_now_s();
	doc = ctl_json("purge " CUTOFF " --json");
	took = tu_now_s() - t0;
	fprintf(stderr, "check_partition: purge of %s deliveries took %.3f s\n", ROWS, took);
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), atoi(ROWS));
	/* deliveries_legacy and events_legacy; the open case's partition and
	 * the ones ahead stay. */
	ck_assert_int_eq(jint(doc, "partitions_dropped"), 2);
	ck_assert_int_eq(jint(doc, "events_dropped"), 50100);
	ck_assert_int_eq(jint(doc, "partitions_changed"), 0);
	json_decref(doc);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.purge_watch"), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_class "
				 "WHERE relname IN ('deliveries_legacy', 'events_legacy')"),
			 0);
	/* Nothing was deleted row by row: no dead rows anywhere in the outbox. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables "
				 "WHERE schemaname = 'dunning' AND relname LIKE 'deliveries%'"),
			 0);
	open_after = tu_qstr(db, OPEN_ROW);
	ck_assert_str_eq(open_after, open_before);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.phone_tasks "
				 "WHERE delivery_id IS NOT NULL"),
			 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.phone_tasks"), 1000);
	fa = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	ck_assert_str_eq(fa, fb);
	free(fa);
	free(fb);
	/* The customer page's figures too: views, visitors and actions per
	 * stage, from report_page_daily now. */
	fa = figures("report page --from 2025-01-01 --to 2025-03-31 --json");
	ck_assert_str_eq(fa, pb);
	free(fa);
	free(pb);
	fa = figures("report page --from 2025-01-10 --to 2025-01-12 --json");
	ck_assert_ptr_nonnull(strstr(fa, "\"visitors\":500"));
	free(fa);
	free(open_before);
	free(open_after);

	/* Again: nothing left, and new rows still find their partitions. */
	doc = ctl_json("purge " CUTOFF " --json");
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), 0);
	ck_assert_int_eq(jint(doc, "partitions_dropped"), 0);
	json_decref(doc);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), 1);
}
END_TEST

/* Closed cases $1 to $2 with ten deliveries each, paid, and an event
 * each, in a partition of their own past retention. */
static const char SEED_SIZED[] =
	"INSERT INTO dunning.accounts (id, external_ref, name, email)\n"
	"  SELECT i, 'P-' || i, 'Customer ' || i, 'p' || i || '@purge.test'\n"
	"  FROM generate_series(%1$d, %2$d) i;\n"
	"INSERT INTO dunning.cases (id, account_id, cycle, track, stage, state, opened_at, closed_at,\n"
	"                           close_reason)\n"
	"  SELECT i, i, 1, 'first_time', 10, 'resolved', '2025-01-02', '2025-02-01', 'paid'\n"
	"  FROM generate_series(%1$d, %2$d) i;\n"
	"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, due_date,\n"
	"                              paid_at)\n"
	"  SELECT i, 'PI-' || i, 1000 + i %% 7, 'USD', '2025-01-01', '2025-01-15'\n"
	"  FROM generate_series(%1$d, %2$d) i;\n"
	"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template, status,\n"
	"                                next_attempt_at, created_at, sent_at)\n"
	"  SELECT c, c, 1, s, 'email', 'gentle', CASE WHEN s = 3 THEN 'failed' ELSE 'sent' END,\n"
	"         '2025-01-02'::timestamptz + s * interval '1 day',\n"
	"         '2025-01-02'::timestamptz + s * interval '1 day',\n"
	"         CASE WHEN s <> 3 THEN '2025-01-02'::timestamptz + s * interval '1 day' END\n"
	"  FROM generate_series(%1$d, %2$d) c, generate_series(1, 10) s;\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"  SELECT created_at, 'delivery_sent', account_id, case_id, id, jsonb_build_object('step', step)\n"
	"  FROM dunning.deliveries WHERE step = 1 AND case_id BETWEEN %1$d AND %2$d;\n"
	"ANALYZE dunning.deliveries, dunning.events, dunning.cases, dunning.invoices;";

struct purge_took {
	double lock_ms, total_ms;
};

/* Seeds cases first..last (ten deliveries each) into fresh legacy
 * partitions and purges them: the whole purge's time and how long the
 * parents' exclusive locks were held, with the report's figures the
 * same. */
static struct purge_took purge_sized(int first, int last)
{
	char sql[sizeof SEED_SIZED + 64], *fb, *fa;
	struct purge_took t;
	json_t *doc, *v;
	size_t i;
	double t0;
	PGresult *res;

	snprintf(sql, sizeof sql, SEED_SIZED, first, last);
	res = PQexec(db, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "seed: %s", PQerrorMessage(db));
	PQclear(res);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries_legacy"),
			 (last - first + 1) * 10);
	fb = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	t0 = tu_now_s();
	doc = ctl_json("purge " CUTOFF " --json");
	t.total_ms = (tu_now_s() - t0) * 1e3;
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), (last - first + 1) * 10);
	ck_assert_int_eq(jint(doc, "partitions_dropped"), 2);
	ck_assert(json_is_real(json_object_get(doc, "parent_lock_ms")));
	/* Both partitions' locks (deliveries and events, both ten times the
	 * rows in the big book). */
	t.lock_ms = 0;
	json_array_foreach(json_object_get(doc, "partitions"), i, v)
	{
		ck_assert(json_is_real(json_object_get(v, "lock_ms")));
		t.lock_ms += json_real_value(json_object_get(v, "lock_ms"));
	}
	ck_assert_int_eq(i, 2);
	json_decref(doc);
	fa = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	ck_assert_str_eq(fa, fb);
	free(fa);
	free(fb);
	return t;
}

/* The fold happens before the lock: the parent's exclusive lock is held
 * for the detach of a partition, whose cost does not depend on its rows.
 * Ratios, not times, since the machine may be busy (a few milliseconds
 * under the lock can take ten times as long then, either way): the lock
 * for ten times the rows is under a third of the whole purge of the small
 * partition (a lock that grew with rows would be about ten times that
 * purge, as it was when the fold ran under it), and under a tenth of its
 * own purge. */
START_TEST(purge_lock_does_not_grow_with_rows)
{
	struct purge_took small, big;

	ctl_ok(cfg, "migrate");
	db = tu_connect(conninfo);
	small = purge_sized(1, 2000);
	/* Partitions for old ids and months again, like the legacy ones
	 * the migration made. */
	PQclear(tu_q(db,
		     "CREATE TABLE dunning.deliveries_legacy PARTITION OF dunning.deliveries "
		     "FOR VALUES FROM (MINVALUE) TO (dunning.case_block(now()));"
		     "CREATE TABLE dunning.events_legacy PARTITION OF dunning.events "
		     "FOR VALUES FROM (MINVALUE) TO (date_trunc('month', now()))"));
	big = purge_sized(2001, 22000);
	fprintf(stderr,
		"check_partition: purge of 20000 deliveries (2000 events): %.1f ms, parents locked "
		"%.1f ms; 200000 (20000): %.1f ms, locked %.1f ms (%.2fx the lock for 10x the "
		"rows)\n",
		small.total_ms, small.lock_ms, big.total_ms, big.lock_ms,
		big.lock_ms / small.lock_ms);
	ck_assert_msg(big.lock_ms * 3 < small.total_ms,
		      "lock held %.1f ms for 200000 rows; the purge of 20000 took %.1f ms",
		      big.lock_ms, small.total_ms);
	ck_assert_msg(big.lock_ms * 10 < big.total_ms, "lock held %.1f ms of a %.1f ms purge",
		      big.lock_ms, big.total_ms);
}
END_TEST

/* Polls sql (a count) on db until it is at least 1, for up to a minute. */
static void wait_for(const char *sql)
{
	double until = tu_now_s() + 60;

	while (tu_qint(db, sql) < 1) {
		ck_assert_msg(tu_now_s() < until, "timed out waiting for: %s", sql);
		usleep(10000);
	}
}

/* A write to the partition while purge folds it (a late provider status):
 * the fold no longer says what the partition holds, so under the lock the
 * count differs and the partition stays whole, its rows untouched by this
 * run; the next run drops it, and the report has the write. */
/* The sized book of n closed cases in one partition-month. */
static void seed_sized(int n)
{
	char sql[sizeof SEED_SIZED + 64];
	PGresult *res;

	snprintf(sql, sizeof sql, SEED_SIZED, 1, n);
	res = PQexec(db, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "seed: %s", PQerrorMessage(db));
	PQclear(res);
}

/* A purge past CUTOFF running on its own; purge_finished() waits for it
 * to exit 0 and returns its --json answer. */
static void purge_in_background(void)
{
	ck_assert_int_eq(
		tu_sh("(dunnctl -c %s purge " CUTOFF " --json >%s/purge.json 2>%s/purge.err;"
		      " echo $? >%s/purge.rc.tmp; mv %s/purge.rc.tmp %s/purge.rc) >/dev/null 2>&1 & true",
		      cfg, dir, dir, dir, dir, dir),
		0);
}

static json_t *purge_finished(void)
{
	json_error_t err;
	json_t *doc;
	char *path;

	ck_assert_int_eq(
		tu_sh("while [ ! -e %s/purge.rc ]; do sleep 0.05; done; cat %s/purge.rc", dir, dir),
		0);
	ck_assert_msg(atoi(tu_output()) == 0, "purge exited %s", tu_output());
	ck_assert(asprintf(&path, "%s/purge.json", dir) > 0);
	doc = json_load_file(path, 0, &err);
	free(path);
	ck_assert_msg(doc != NULL, "%s", err.text);
	return doc;
}

START_TEST(purge_keeps_a_partition_written_while_folded)
{
	char *fb, *fa;
	json_t *doc;

	ctl_ok(cfg, "migrate");
	db = tu_connect(conninfo);
	seed_sized(20000);
	purge_in_background();
	/* The fold of deliveries_legacy is running: the trigger is on. */
	wait_for("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
		 "AND state = 'active' AND query LIKE '%paid_all AS MATERIALIZED%'");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_trigger WHERE tgname = 'purge_watch' "
				 "AND tgrelid = 'dunning.deliveries_legacy'::regclass"),
			 1);
	PQclear(tu_q(
		db,
		"UPDATE dunning.deliveries SET status = 'delivered' "
		"WHERE id = (SELECT min(id) FROM dunning.deliveries_legacy WHERE status = 'sent')"));
	/* The fold is not committed: the report reads the rows. */
	fb = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	doc = purge_finished();
	ck_assert_int_eq(jint(doc, "partitions_changed"), 1);
	ck_assert_int_eq(jint(doc, "partitions_dropped"), 1); /* events_legacy */
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), 0);
	json_decref(doc);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries_legacy"), 200000);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'purge_watch'"), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.purge_watch"), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.report_daily"), 0);
	fa = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	ck_assert_str_eq(fa, fb);
	free(fa);

	/* The next run drops it whole, the write counted. */
	doc = ctl_json("purge " CUTOFF " --json");
	ck_assert_int_eq(jint(doc, "partitions_changed"), 0);
	ck_assert_int_eq(jint(doc, "deliveries_deleted"), 200000);
	json_decref(doc);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM pg_class WHERE relname = 'deliveries_legacy'"),
		0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT sum(n) FROM dunning.report_daily WHERE status = 'delivered'"),
		1);
	fa = figures("report --from 2025-01-01 --to 2025-01-31 --json");
	ck_assert_str_eq(fa, fb);
	free(fa);
	free(fb);
}
END_TEST

/* A reader that holds the outbox past the detach's lock timeout (a long
 * report, a dump) does not fail the purge: the fold is kept and the lock
 * asked for again once the writers queued behind it have gone through. */
START_TEST(purge_waits_out_a_long_reader)
{
	PGconn *rd;
	json_t *doc;

	ctl_ok(cfg, "migrate");
	db = tu_connect(conninfo);
	seed_sized(2000);
	rd = tu_connect(conninfo);
	PQclear(tu_q(rd, "BEGIN"));
	PQclear(tu_q(rd, "LOCK TABLE dunning.deliveries IN ACCESS SHARE MODE"));
	purge_in_background();
	/* The first ask timed out behind the reader; the purge is still on. */
	ck_assert_msg(
		tu_sh("for i in $(seq 2400); do grep -q 'asking for its lock again' %s/purge.err"
		      " && exit 0; [ -e %s/purge.rc ] && exit 1; sleep 0.05; done; exit 1",
		      dir, dir) == 0,
		"purge did not ask again: %s", tu_output());
	PQclear(tu_q(rd, "COMMIT"));
	PQfinish(rd);
	doc = purge_finished();
	ck_assert_int_eq(jint(doc, "partitions_changed"), 0);
	ck_assert_int_ge(jint(doc, "partitions_dropped"), 2);
	json_decref(doc);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM pg_class WHERE relname = 'deliveries_legacy'"),
		0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("partition");
	TCase *tc = tcase_create("partition");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, migration_moves_every_row);
	tcase_add_test(tc, purge_drops_whole_partitions);
	tcase_add_test(tc, purge_lock_does_not_grow_with_rows);
	tcase_add_test(tc, purge_keeps_a_partition_written_while_folded);
	tcase_add_test(tc, purge_waits_out_a_long_reader);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
