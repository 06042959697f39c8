/* dunnd behind PgBouncer in transaction pooling mode: no session state,
 * no named prepared statements, the poller's transaction kept together;
 * LISTEN over its own direct connection (database.listen_conninfo). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

static char *dir, *ddir, *cfg, *dcfg, *direct, *pooled;
static struct tud t;
static int skip;

static void setup(void)
{
	const char *pgb = getenv("DUNN_PGBOUNCER");
	char name[64];

	skip = !pgb || !*pgb;
	if (skip)
		return;
	dir = tu_tmpdir();
	ddir = tu_tmpdir();
	/* A name per test: the pool keeps server connections to the last one. */
	snprintf(name, sizeof name, "pooled_%d", (int)getpid());
	direct = tu_newdb(name);
	ck_assert(asprintf(&pooled, "%s dbname=%s", pgb, name) > 0);
	/* Schema and book straight to PostgreSQL; dunnd through the pooler. */
	dcfg = tu_config(ddir, direct, NULL, NULL);
	tu_migrate(dcfg);
	tud_book(dir, "book", 1, 30);
	tu_import_named(dcfg, dir, "book");
	tu_mail_clear();
}

static void teardown(void)
{
	tud_cleanup(&t);
	free(dir);
	free(ddir);
	free(dcfg);
	free(cfg);
	free(direct);
	free(pooled);
	dir = ddir = cfg = dcfg = direct = pooled = NULL;
}

static long long count(const char *sql)
{
	PGconn *db = tu_connect(direct);
	long long n = tu_qint(db, sql);

	PQfinish(db);
	return n;
}

START_TEST(once_walks_through_the_pooler)
{
	if (skip) {
		fprintf(stderr,
			"check_pgbouncer: SKIP: DUNN_PGBOUNCER not set (pgbouncer missing)\n");
		return;
	}
	cfg = tu_config(dir, pooled, NULL, "  \"batch_size\": 7, \"send_batch\": 5");
	/* Small batches: many BEGIN/claim/record/COMMIT rounds through the pool. */
	ck_assert_msg(tu_sh("dunnd -c %s --once --at %s", cfg, tud_iso_now()) == 0, "%s",
		      tu_output());
	ck_assert_int_eq(tu_mail_count(), 30);
	ck_assert_int_eq(count("SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"),
			 30);
	/* A second walk at the same instant finds nothing more to do. */
	ck_assert_msg(tu_sh("dunnd -c %s --once --at %s", cfg, tud_iso_now()) == 0, "%s",
		      tu_output());
	ck_assert_int_eq(tu_mail_count(), 30);
	ck_assert_int_eq(count("SELECT count(*) FROM dunning.deliveries"), 30);
}
END_TEST

START_TEST(daemon_woken_by_notify_over_listen_conninfo)
{
	char *extra = NULL;

	if (skip) {
		fprintf(stderr,
			"check_pgbouncer: SKIP: DUNN_PGBOUNCER not set (pgbouncer missing)\n");
		return;
	}
	/* No polling to speak of: only the NOTIFY can bring the work in. */
	cfg = tu_config(dir, pooled, NULL, "  \"poll_interval_ms\": 3600000");
	ck_assert(asprintf(&extra, "\"conninfo\": \"%s\", \"listen_conninfo\": \"%s\"", pooled,
			   direct) > 0);
	ck_assert_int_eq(tu_sh("sed -i 's|\"conninfo\": \"%s\"|%s|' %s", pooled, extra, cfg), 0);
	free(extra);
	tud_start(&t, dir, cfg, 1, NULL);
	free(tud_next_state(&t, 10000)); /* READY=1: connected */
	/* The first cycle after connecting sends the 30 already due. */
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 30, 30000), 30);
	usleep(300000);
	/* New invoices: the statement trigger NOTIFYs dunning_wakeup. */
	tud_book(dir, "late", 101, 4);
	tu_import_named(dcfg, dir, "late");
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 34, 20000), 34);
	ck_assert_int_ge(tud_log_count(&t, "event=connected"), 2); /* main + listen */
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"),
			 34);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pgbouncer");
	TCase *tc = tcase_create("transaction pooling");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, once_walks_through_the_pooler);
	tcase_add_test(tc, daemon_woken_by_notify_over_listen_conninfo);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
