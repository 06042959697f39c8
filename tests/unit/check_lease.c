/* Unit tests for lib/lease.c: the lease holder's instance id, its lock
 * statement and the orphaned-lease statement, run against the test
 * server (DUNN_PG, set by make check) in a database of their own that
 * holds only the columns the statements read. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"

#define DB "unit_lease"

static const char *pg(void)
{
	const char *v = getenv("DUNN_PG");

	ck_assert_msg(v && *v, "DUNN_PG is not set: run the tests through 'make check'");
	return v;
}

static PGconn *conn(const char *dbname)
{
	char ci[1024];
	PGconn *c;

	snprintf(ci, sizeof ci, "%s dbname=%s", pg(), dbname);
	c = PQconnectdb(ci);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
		      "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* lease_sql_lock for id: "t" or "f". */
static char try_lock(PGconn *c, int id)
{
	char buf[16];
	const char *p[1] = {buf};
	PGresult *r;
	char v;

	snprintf(buf, sizeof buf, "%d", id);
	r = PQexecParams(c, lease_sql_lock, 1, NULL, p, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	ck_assert_int_eq(PQntuples(r), 1);
	ck_assert_int_eq(PQnfields(r), 1);
	v = PQgetvalue(r, 0, 0)[0];
	PQclear(r);
	return v;
}

/* Wait, in the server, until no other session holds the lease lock for
 * id: a backend releases its locks as it exits, a moment after PQfinish
 * returns. Takes the lock (waiting at most 60 s) and gives it back. */
static void wait_released(PGconn *c, int id)
{
	char sql[256];

	exec_ok(c, "SET lock_timeout = '60s'");
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d, %d), pg_advisory_unlock(%d, %d)",
		 LEASE_LOCK_NS, id, LEASE_LOCK_NS, id);
	exec_ok(c, sql);
	exec_ok(c, "RESET lock_timeout");
}

struct orphans {
	long n;
	char first[32], last[32]; /* "" for SQL NULL */
};

static struct orphans orphaned(PGconn *c)
{
	struct orphans o;
	PGresult *r = PQexec(c, lease_sql_orphaned);

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	ck_assert_int_eq(PQntuples(r), 1);
	ck_assert_int_eq(PQnfields(r), 3);
	o.n = atol(PQgetvalue(r, 0, 0));
	ck_assert_int_eq(PQgetisnull(r, 0, 1), PQgetisnull(r, 0, 2));
	snprintf(o.first, sizeof o.first, "%s", PQgetvalue(r, 0, 1));
	snprintf(o.last, sizeof o.last, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	return o;
}

static PGconn *fresh_db(void)
{
	PGconn *admin = conn("postgres");
	PGconn *c;

	exec_ok(admin, "DROP DATABASE IF EXISTS " DB);
	exec_ok(admin, "CREATE DATABASE " DB);
	PQfinish(admin);
	c = conn(DB);
	exec_ok(c,
		"CREATE SCHEMA dunning;"
		"CREATE TABLE dunning.deliveries (id int PRIMARY KEY, status text NOT NULL,"
		" lease_until timestamptz, leased_by int)");
	return c;
}

START_TEST(test_instance_id)
{
	int32_t id = lease_instance_id();

	ck_assert_int_gt(id, 0);
	/* Fixed on the first call, for the life of the process. */
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(lease_instance_id(), id);
}
END_TEST

START_TEST(test_sql_text)
{
	char ns[32];

	snprintf(ns, sizeof ns, "%d", LEASE_LOCK_NS);
	/* 'dunn' in ASCII, as the header says. */
	ck_assert_int_eq(LEASE_LOCK_NS, ('d' << 24) | ('u' << 16) | ('n' << 8) | 'n');
	ck_assert_str_eq(LEASE_STR(LEASE_LOCK_NS), ns);
	ck_assert_ptr_nonnull(strstr(lease_sql_lock, ns));
	ck_assert_ptr_nonnull(strstr(lease_sql_orphaned, ns));
	ck_assert_str_eq(lease_sql_orphaned, LEASE_SQL_ORPHANED);
}
END_TEST

/* A session-level lock: granted again to its holder, refused to any
 * other session while held, granted once the holder's session ends. */
START_TEST(test_lock)
{
	PGconn *a = conn("postgres"), *b = conn("postgres");
	int id = lease_instance_id();

	ck_assert_int_eq(try_lock(a, id), 't');
	ck_assert_int_eq(try_lock(a, id), 't');
	ck_assert_int_eq(try_lock(b, id), 'f');
	/* Another instance id is another lock. */
	ck_assert_int_eq(try_lock(b, id == 1 ? 2 : id - 1), 't');
	/* The lock outlives a transaction. */
	exec_ok(a, "BEGIN");
	exec_ok(a, "ROLLBACK");
	ck_assert_int_eq(try_lock(b, id), 'f');
	PQfinish(a);
	wait_released(b, id);
	ck_assert_int_eq(try_lock(b, id), 't');
	PQfinish(b);
}
END_TEST

START_TEST(test_orphaned)
{
	PGconn *c = fresh_db();
	PGconn *holder = conn(DB), *elsewhere = conn("postgres");
	struct orphans o;
	char sql[512];

	/* Nothing leased: zero and two NULLs. */
	o = orphaned(c);
	ck_assert_int_eq(o.n, 0);
	ck_assert_str_eq(o.first, "");
	ck_assert_str_eq(o.last, "");

	ck_assert_int_eq(try_lock(holder, 100), 't');
	/* 200 holds its lock in another database: not a holder here. */
	ck_assert_int_eq(try_lock(elsewhere, 200), 't');
	/* 300 holds a one-key lock whose bits are (LEASE_LOCK_NS, 300):
	 * pg_locks shows it with objsubid 1, and it is not a lease lock. */
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock((%d::bigint << 32) | 300)",
		 LEASE_LOCK_NS);
	exec_ok(holder, sql);
	exec_ok(c,
		"INSERT INTO dunning.deliveries VALUES"
		/* live holder: not orphaned */
		" (1, 'sending', '2099-01-01 00:00:00+00', 100),"
		/* no holder at all */
		" (2, 'sending', '2099-03-04 05:06:07+00', 999),"
		/* a holder in another database */
		" (3, 'sending', '2099-02-01 10:20:30+00', 200),"
		/* a one-key lock of the same bits */
		" (4, 'sending', '2099-05-06 07:08:09.75+00', 300),"
		/* lease already over: due now, not waiting */
		" (5, 'sending', now() - interval '1 second', 999),"
		/* not leased */
		" (6, 'sent', '2099-12-31 00:00:00+00', 999),"
		" (7, 'pending', '2099-12-31 00:00:00+00', 999)");
	o = orphaned(c);
	ck_assert_int_eq(o.n, 3);
	/* UTC whatever the session's time zone, seconds truncated. */
	ck_assert_str_eq(o.first, "2099-02-01T10:20:30Z");
	ck_assert_str_eq(o.last, "2099-05-06T07:08:09Z");
	exec_ok(c, "SET TIME ZONE 'Asia/Seoul'");
	o = orphaned(c);
	ck_assert_int_eq(o.n, 3);
	ck_assert_str_eq(o.first, "2099-02-01T10:20:30Z");

	/* The holder goes away: its lease is orphaned too. */
	PQfinish(holder);
	wait_released(c, 100);
	o = orphaned(c);
	ck_assert_int_eq(o.n, 4);
	ck_assert_str_eq(o.first, "2099-01-01T00:00:00Z");
	ck_assert_str_eq(o.last, "2099-05-06T07:08:09Z");

	/* A new holder for 999 in this database adopts rows 2 (and 5 and 6,
	 * which do not count anyway). */
	holder = conn(DB);
	ck_assert_int_eq(try_lock(holder, 999), 't');
	o = orphaned(c);
	ck_assert_int_eq(o.n, 3);
	PQfinish(holder);
	PQfinish(elsewhere);
	PQfinish(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("lease");

	tcase_add_test(tc, test_instance_id);
	tcase_add_test(tc, test_sql_text);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_orphaned);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
