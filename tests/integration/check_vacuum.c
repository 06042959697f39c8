/* Vacuum watched: /metrics shows how many dead tuples the outbox holds
 * and their share, as PostgreSQL's statistics count them, and how long
 * the oldest leased row has waited; a VACUUM shows as a drop. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud t;
static int port;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("vacuum");
	cfg = tu_config(dir, conninfo, NULL, "  \"poll_interval_ms\": 200");
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	/* Dead tuples stay until this test's own VACUUM. The outbox is
	 * partitioned: the setting is each partition's. */
	PQclear(tu_q(db,
		     "DO $$ DECLARE p regclass; BEGIN\n"
		     "  FOR p IN SELECT inhrelid::regclass FROM pg_inherits\n"
		     "           WHERE inhparent = 'dunning.deliveries'::regclass LOOP\n"
		     "    EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false)', p);\n"
		     "  END LOOP; END $$"));
	tud_book(dir, "book", 1, 50);
	tu_import_named(cfg, dir, "book");
	tu_mail_clear();
}

static void teardown(void)
{
	tud_cleanup(&t);
	tu_teardown(db, dir, cfg, conninfo);
}

/* The value of an unlabelled sample in /metrics, or -1. */
static double metric(const char *name)
{
	static struct tu_resp r;
	char needle[128];
	const char *p;

	tu_http(t.admin_port, "GET", "/metrics", NULL, NULL, 0, NULL, &r);
	if (r.code != 200)
		return -1;
	snprintf(needle, sizeof needle, "\n%s ", name);
	p = strstr(r.body, needle);
	return p ? strtod(p + strlen(needle), NULL) : -1;
}

static long long dead_tuples(void *arg)
{
	(void)arg;
	return (long long)metric("dunnd_outbox_dead_tuples");
}

static long long no_dead_tuples(void *arg)
{
	(void)arg;
	return metric("dunnd_outbox_dead_tuples") == 0;
}

static long long oldest_sending(void *arg)
{
	(void)arg;
	return (long long)metric("dunnd_outbox_oldest_sending_seconds");
}

START_TEST(metrics_show_dead_tuples_and_oldest_sending)
{
	double ratio;
	long long dead, live;

	port = tud_start_http(&t, dir, cfg, NULL);
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 50, 30000), 50);
	/* Each reminder was inserted queued, then leased, then marked sent. */
	ck_assert_int_ge(tud_until(dead_tuples, NULL, 10, 30000), 10);
	ratio = metric("dunnd_outbox_dead_tuple_ratio");
	dead = (long long)metric("dunnd_outbox_dead_tuples");
	live = tu_qint(db,
		       "SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE relid IN "
		       "(SELECT inhrelid FROM pg_inherits "
		       "WHERE inhparent = 'dunning.deliveries'::regclass)");
	fprintf(stderr, "check_vacuum: %lld dead, %lld live, ratio %.3f\n", dead, live, ratio);
	ck_assert(ratio > 0 && ratio < 1);
	ck_assert_int_eq(metric("dunnd_outbox_oldest_sending_seconds"), 0);

	PQclear(tu_q(db, "VACUUM dunning.deliveries"));
	ck_assert_int_eq(tud_until(no_dead_tuples, NULL, 1, 30000), 1);
	ck_assert(metric("dunnd_outbox_dead_tuple_ratio") == 0);

	/* A lease an hour old that nobody reports on. */
	PQclear(tu_q(
		db,
		"UPDATE dunning.deliveries SET status = 'sending',\n"
		"  updated_at = now() - interval '1 hour',\n"
		"  lease_until = now() + interval '1 hour', next_attempt_at = now() + interval '1 hour'\n"
		"WHERE id = (SELECT min(id) FROM dunning.deliveries)"));
	ck_assert_int_ge(tud_until(oldest_sending, NULL, 3600, 30000), 3600);
	ck_assert_int_lt(oldest_sending(NULL), 3700);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vacuum");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, metrics_show_dead_tuples_and_oldest_sending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
