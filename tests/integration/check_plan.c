/* Query plans of the hot path: on a seeded, analysed book the poller's
 * claim walks the partial index cases_due and the dispatcher's lease walks
 * deliveries_due (in each partition of the outbox, merged in order), so
 * the cost of a batch does not grow with the book. The
 * two SELECTs are copied from SQL_CLAIM (daemon/poller.c) and SQL_LEASE
 * (daemon/dispatch.c); bench/ measures what they cost at a million. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define BOOK "50000"

static const char CLAIM[] = "SELECT id FROM dunning.cases\n"
			    "WHERE state <> 'resolved' AND next_action_at <= $1\n"
			    "ORDER BY next_action_at LIMIT $2\n"
			    "FOR UPDATE SKIP LOCKED";

static const char LEASE[] = "SELECT id FROM dunning.deliveries\n"
			    "WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1\n"
			    "ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED";

/* 50,000 accounts with a case each: a fifth resolved, the open ones due
 * from ten days ago to twenty days ahead (a third due now); an outbox of
 * one row per case, nine in ten already sent. Half the cases have ids
 * from before the outbox was partitioned, half from this month's block,
 * so the outbox spans two partitions. */
#define CASE_ID "CASE WHEN i % 2 = 0 THEN dunning.case_block(now()) + i ELSE i END"
static const char SEED[] =
	"SELECT setseed(0.5);\n"
	"INSERT INTO dunning.accounts (id, external_ref, name, email)\n"
	"  SELECT i, 'A-' || i, 'Customer ' || i, 'c' || i || '@plan.test'\n"
	"  FROM generate_series(1, " BOOK ") i;\n"
	"INSERT INTO dunning.cases (id, account_id, cycle, stage, state, opened_at, closed_at,\n"
	"                           next_action_at)\n"
	"  SELECT " CASE_ID ", i, 1, 1, CASE WHEN i % 5 = 0 THEN 'resolved' ELSE 'active' END,\n"
	"         timestamptz '2026-11-01', CASE WHEN i % 5 = 0 THEN timestamptz '2026-11-05' END,\n"
	"         CASE WHEN i % 5 <> 0 THEN timestamptz '2026-11-10'\n"
	"              + (random() * 30 - 10) * interval '1 day' END\n"
	"  FROM generate_series(1, " BOOK ") i;\n"
	"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template, status,\n"
	"                                next_attempt_at, created_at, sent_at)\n"
	"  SELECT " CASE_ID ", i, 1, 1, 'email', 'gentle',\n"
	"         CASE WHEN i % 10 = 0 THEN 'queued' ELSE 'sent' END,\n"
	"         timestamptz '2026-11-01' + random() * interval '9 days', timestamptz '2026-11-01',\n"
	"         CASE WHEN i % 10 <> 0 THEN timestamptz '2026-11-02' END\n"
	"  FROM generate_series(1, " BOOK ") i;\n"
	"ANALYZE dunning.accounts, dunning.cases, dunning.deliveries;";

static char *dir, *cfg, *conninfo;
static PGconn *db;

static void setup(void)
{
	PGresult *res;

	dir = tu_tmpdir();
	conninfo = tu_newdb("plan");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	res = PQexec(db, SEED);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "seed: %s", PQerrorMessage(db));
	PQclear(res);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static const char *str(json_t *n, const char *key)
{
	const char *v = json_string_value(json_object_get(n, key));

	return v ? v : "";
}

/* Every plan node below n, depth first: "Node Type" and "Index Name"
 * and "Relation Name" appended to out as "type:index:relation;". */
static void walk(json_t *n, char *out, size_t len)
{
	json_t *kids;
	size_t i;
	json_t *k;
	size_t used = strlen(out);

	snprintf(out + used, len - used, "%s:%s:%s;", str(n, "Node Type"), str(n, "Index Name"),
		 str(n, "Relation Name"));
	kids = json_object_get(n, "Plans");
	json_array_foreach(kids, i, k) walk(k, out, len);
}

/* The plan of sql with its two parameters, flattened by walk(). */
static void plan_of(const char *sql, const char *p1, const char *p2, char *out, size_t len)
{
	const char *params[2] = {p1, p2};
	char q[1024];
	PGresult *res;
	json_t *root;
	json_error_t err;

	snprintf(q, sizeof q, "EXPLAIN (FORMAT JSON) %s", sql);
	res = PQexecParams(db, q, 2, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "explain: %s", PQerrorMessage(db));
	root = json_loads(PQgetvalue(res, 0, 0), 0, &err);
	PQclear(res);
	ck_assert_msg(root != NULL, "plan is not JSON: %s", err.text);
	out[0] = '\0';
	walk(json_object_get(json_array_get(root, 0), "Plan"), out, len);
	json_decref(root);
}

START_TEST(claim_uses_cases_due)
{
	char plan[4096];

	ck_assert_int_gt(tu_qint(db,
				 "SELECT count(*) FROM dunning.cases "
				 "WHERE state <> 'resolved' AND next_action_at <= '2026-11-10'"),
			 10000);
	/* Many batches due: the index's order serves ORDER BY ... LIMIT, so a
	 * batch reads its own rows and no more (no sort of everything due). */
	plan_of(CLAIM, "2026-11-10T12:00:00Z", "500", plan, sizeof plan);
	ck_assert_msg(strstr(plan, "Index Scan:cases_due:cases;") != NULL, "claim plan: %s", plan);
	ck_assert_msg(strstr(plan, "Seq Scan") == NULL && strstr(plan, "Sort") == NULL,
		      "claim plan: %s", plan);
	plan_of(CLAIM, "2026-11-10T12:00:00Z", "5000", plan, sizeof plan);
	ck_assert_msg(strstr(plan, "Index Scan:cases_due:cases;") != NULL, "claim plan: %s", plan);
	/* Few due: still through cases_due (PostgreSQL may take a bitmap scan
	 * and sort the handful), never a scan of the whole table. */
	plan_of(CLAIM, "2026-11-01T00:00:00Z", "500", plan, sizeof plan);
	ck_assert_msg(strstr(plan, ":cases_due:") != NULL && strstr(plan, "Seq Scan") == NULL,
		      "claim plan: %s", plan);
}
END_TEST

/* Every "Index Scan:NAME:" in plan names an index in names (",a,b,"),
 * and there is at least one. */
static int scans_only(const char *plan, const char *names)
{
	const char *p = plan;
	int n = 0;

	while ((p = strstr(p, "Index Scan:")) != NULL) {
		char name[128];
		const char *e;
		p += strlen("Index Scan:");
		e = strchr(p, ':');
		if (!e || (size_t)(e - p) >= sizeof name - 2)
			return 0;
		snprintf(name, sizeof name, ",%.*s,", (int)(e - p), p);
		if (!strstr(names, name))
			return 0;
		n++;
	}
	return n > 0;
}

START_TEST(lease_uses_deliveries_due)
{
	char plan[4096];
	char *names;

	/* The outbox is partitioned: deliveries_due is one index per
	 * partition, each walked in order and merged (no Sort), two of them
	 * holding rows of the seeded book. */
	names = tu_qstr(db,
			"SELECT ',' || string_agg(c.relname, ',') || ',' FROM pg_inherits i "
			"JOIN pg_class c ON c.oid = i.inhrelid "
			"WHERE i.inhparent = 'dunning.deliveries_due'::regclass");
	ck_assert_int_ge(tu_qint(db, "SELECT count(DISTINCT tableoid) FROM dunning.deliveries"), 2);
	plan_of(LEASE, "2026-11-10T12:00:00Z", "200", plan, sizeof plan);
	ck_assert_msg(scans_only(plan, names), "lease plan: %s (indexes %s)", plan, names);
	ck_assert_msg(strstr(plan, "Seq Scan") == NULL && strstr(plan, "Sort") == NULL &&
			      strstr(plan, "Bitmap") == NULL,
		      "lease plan: %s", plan);
	free(names);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, claim_uses_cases_due);
	tcase_add_test(tc, lease_uses_deliveries_due);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
