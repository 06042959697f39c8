/* Database loss: PostgreSQL restarts under a running dunnd. It reconnects
 * with backoff, the poller and dispatcher resume by themselves, and
 * reminders queued after the restart still go out, each exactly once. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tudaemon.h"

static char *dir, *cfg, *conninfo;
static struct tud t;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("dbloss");
	cfg = tu_config(dir, conninfo, NULL, "  \"poll_interval_ms\": 200, \"send_batch\": 20");
	tu_migrate(cfg);
	tu_mail_clear();
}

static void teardown(void)
{
	tud_cleanup(&t);
	tu_teardown(NULL, dir, cfg, conninfo);
}

static void import(const char *name, int from, int n)
{
	tud_book(dir, name, from, n);
	tu_import_named(cfg, dir, name);
}

static long long count(const char *sql)
{
	PGconn *db = tu_connect(conninfo);
	long long n = tu_qint(db, sql);

	PQfinish(db);
	return n;
}

/* Reminders for the accounts imported after the restart, at the sink. */
static long long after_mailed(void *arg)
{
	(void)arg;
	if (tu_mail_count() == 0)
		return 0;
	tu_sh("cat %s/*.json | grep -oE 'c10[0-9]{2}@customer.test' | sort -u | wc -l",
	      tu_env("DUNN_MAILDIR"));
	return atoll(tu_output());
}

/* Rows either recorded as sent or still leased: none queued or lost. */
static long long all_accounted(void *arg)
{
	(void)arg;
	return count("SELECT count(*) FROM dunning.deliveries WHERE status IN ('sent', 'sending') "
		     "AND (status = 'sent' OR lease_until > now())");
}

static void restart_pg(void)
{
	ck_assert_msg(tu_sh("bash -c '. tests/servers/lib.sh && srv_pg_restart'") == 0, "%s",
		      tu_output());
}

START_TEST(restart_mid_run_then_new_work)
{
	import("before", 1, 200);
	tud_start(&t, dir, cfg, 0, NULL);
	/* Cut the database off while the first batch is being worked. */
	ck_assert_int_ge(tud_until(tud_mail_count, NULL, 10, 30000), 10);
	restart_pg();
	ck_assert_int_eq(tud_wait_log(&t, "event=database_reconnected", 20000), 0);
	/* Work that arrives after the restart goes out. */
	import("after", 1001, 50);
	ck_assert_int_eq(tud_until(after_mailed, NULL, 50, 60000), 50);
	ck_assert_int_ge(tud_log_count(&t, "event=database_lost"), 1);
	/* Server notices go through the log, never raw to stderr. */
	ck_assert_int_eq(tu_sh("grep -q '^FATAL' %s", t.log), 1);
	ck_assert_int_ge(tud_log_count(&t, "event=server_notice"), 1);
	ck_assert_int_eq(tud_until(all_accounted, NULL, 250, 30000), 250);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
	/* Nothing was lost and nothing sent twice. Results that could not be
	 * written while the server was away leave their rows leased
	 * ('sending') until lease_until, never dropped or sent again early. */
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort | uniq -d "
			       "| wc -l | grep -qx 0",
			       tu_env("DUNN_MAILDIR")),
			 0);
	ck_assert_int_eq(tu_mail_count(), 250);
	ck_assert_int_eq(count("SELECT count(*) FROM dunning.deliveries WHERE status = 'sending' "
			       "AND lease_until <= now()"),
			 0);
}
END_TEST

/* A restart while idle: the wakeup (LISTEN) comes back as well. */
START_TEST(restart_while_idle_listen_resumes)
{
	tu_sh("sed -i 's/\"poll_interval_ms\": 200/\"poll_interval_ms\": 600000/' %s", cfg);
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_wait_log(&t, "event=connected", 10000), 0);
	restart_pg();
	ck_assert_int_eq(tud_wait_log(&t, "event=database_reconnected", 20000), 0);
	/* No poll for ten minutes: only NOTIFY dunning_wakeup can wake it. */
	import("wake", 1, 5);
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 5, 20000), 5);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dbloss");
	TCase *tc = tcase_create("postgres restarts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, restart_mid_run_then_new_work);
	tcase_add_test(tc, restart_while_idle_listen_resumes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
