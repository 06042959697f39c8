/* Graceful stop: SIGTERM in the middle of a run stops claiming, lets the
 * sends in flight finish, gives back what it leased but did not send and
 * exits 0. After a restart every reminder has gone out exactly once. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tudaemon.h"

#define BOOK 600

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud t;

static void setup_with(const char *extra)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("shutdown");
	cfg = tu_config(dir, conninfo, NULL, extra);
	tu_migrate(cfg);
	tud_book(dir, "book", 1, BOOK);
	tu_import_named(cfg, dir, "book");
	db = tu_connect(conninfo);
	tu_mail_clear();
}

/* Small send batches so that a stop lands between leases. */
static void setup(void)
{
	setup_with("  \"poll_interval_ms\": 100, \"send_batch\": 20, \"batch_size\": 100");
}

static void setup_no_grace(void)
{
	setup_with("  \"poll_interval_ms\": 100, \"send_batch\": 20, \"batch_size\": 100,\n"
		   "  \"shutdown_timeout_ms\": 0");
}

static void teardown(void)
{
	tud_cleanup(&t);
	tu_teardown(db, dir, cfg, conninfo);
}

static long long sent_rows(void *arg)
{
	(void)arg;
	return tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'");
}

/* Every account's reminder reached the sink exactly once. */
static void assert_each_once(void)
{
	char *dups;

	ck_assert_int_eq(tu_mail_count(), BOOK);
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort | uniq -d "
			       "| head -n 3",
			       tu_env("DUNN_MAILDIR")),
			 0);
	dups = strdup(tu_output());
	ck_assert_msg(dups[0] == '\0', "sent twice: %s", dups);
	free(dups);
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort -u | wc -l "
			       "| grep -qx %d",
			       tu_env("DUNN_MAILDIR"), BOOK),
			 0);
	ck_assert_int_eq(sent_rows(NULL), BOOK);
}

static void stop_mid_run_and_resume(void)
{
	long long at_stop, leased;
	int mails;

	tud_start(&t, dir, cfg, 0, NULL);
	/* Stop once sending is well under way, not done. */
	ck_assert_int_ge(tud_until(tud_mail_count, NULL, 40, 30000), 40);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
	ck_assert_int_eq(tud_log_count(&t, "event=stopping"), 1);
	mails = tu_mail_count();
	at_stop = sent_rows(NULL);
	fprintf(stderr, "check_shutdown: stopped after %d of %d mails\n", mails, BOOK);
	ck_assert_msg(mails < BOOK, "the run finished before the stop: not a mid-run test");
	/* Everything that went out is recorded; nothing stays leased. */
	ck_assert_int_eq(at_stop, mails);
	leased = tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sending'");
	ck_assert_int_eq(leased, 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = "
				     "'queued' AND next_attempt_at > now() + interval '1 minute'"),
			 0);

	tud_cleanup(&t);
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_until(sent_rows, NULL, BOOK, 60000), BOOK);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
	assert_each_once();
}

START_TEST(sigterm_mid_run_each_reminder_once)
{
	stop_mid_run_and_resume();
}
END_TEST

/* shutdown_timeout_ms = 0: no grace at all, still nothing lost or doubled. */
START_TEST(no_grace_still_each_once)
{
	stop_mid_run_and_resume();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shutdown");
	TCase *tc = tcase_create("graceful stop");
	TCase *tc0 = tcase_create("no grace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, sigterm_mid_run_each_reminder_once);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tc0, setup_no_grace, teardown);
	tcase_set_timeout(tc0, 180);
	tcase_add_test(tc0, no_grace_still_each_once);
	suite_add_tcase(s, tc0);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
