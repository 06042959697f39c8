/* Crash loop: SIGKILL the daemon at random moments, again and again, over
 * 10,000 due reminders. Nothing is lost; duplicates are bounded by what
 * was in flight at each kill; nothing goes to a paid invoice or an
 * opted-out address. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

#define N 10000
#define KILLS 20
#define SEND_BATCH 100 /* the dispatcher holds at most 4 x send_batch in flight */

static char *conninfo;

static long long pending(void *arg)
{
	PGconn *db = arg;

	return tu_qint(db, "SELECT count(*) FROM dunning.deliveries "
			   "WHERE status IN ('queued', 'sending')");
}

static long long settled(void *arg)
{
	/* tud_until waits for a value >= want: invert "nothing pending", once
	 * every reminder exists (N to send, 100 suppressed). Under valgrind
	 * the killed runs may have queued none, and no rows is not done. */
	if (tu_qint(arg, "SELECT count(*) FROM dunning.deliveries") < N + 100)
		return 0;
	return pending(arg) == 0 ? 1 : 0;
}

START_TEST(sigkill_loop_loses_nothing)
{
	char *dir = tu_tmpdir(), *cfg, extra[256];
	PGconn *db;
	struct tud t;
	int kills = 0, wrapped = getenv("DUNN_WRAP") && *getenv("DUNN_WRAP");
	long long mails, unique, dups;

	conninfo = tu_newdb("crash");
	snprintf(extra, sizeof extra,
		 "\"poll_interval_ms\": 100, \"batch_size\": 500, \"send_batch\": %d, "
		 "\"lease_seconds\": 5, \"retry_base_s\": 1, \"retry_max_s\": 4, "
		 "\"shutdown_timeout_ms\": 5000",
		 SEND_BATCH);
	cfg = tu_config(dir, conninfo, NULL, extra);
	tu_migrate(cfg);
	tud_book(dir, "book", 1, N + 200);
	tu_import_named(cfg, dir, "book");
	db = tu_connect(conninfo);
	/* 100 paid before dunning and 100 opted out: none of them may get mail. */
	PQclear(tu_q(db, "UPDATE dunning.invoices SET paid_at = now() "
			 "WHERE external_ref IN (SELECT 'INV-' || g FROM generate_series(10001, 10100) g)"));
	PQclear(tu_q(db, "INSERT INTO dunning.suppressions (channel, address, reason, source) "
			 "SELECT 'email', 'c' || g || '@customer.test', 'opt-out', 'test' "
			 "FROM generate_series(10101, 10200) g"));
	tu_mail_clear();
	srand((unsigned)getpid());
	for (kills = 0; kills < KILLS; kills++) {
		tud_start(&t, dir, cfg, 0, NULL);
		/* Under valgrind starting up alone takes a second or more. */
		usleep((useconds_t)(wrapped ? 10 : 1) * (150000 + (useconds_t)(rand() % 600000)));
		tud_kill(&t, SIGKILL);
		tud_wait(&t, 10000);
		tud_cleanup(&t);
	}
	mails = tu_mail_count();
	fprintf(stderr, "crash: %d kills; %lld messages at the sink before the last run\n", kills,
		mails);
	/* The last run finishes everything: leases of killed runs expire. */
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_until(settled, db, 1, 180000), 1);
	/* Under valgrind the work may be done before this run has even set up
	 * its signal handlers: wait for it to be running before the TERM. */
	ck_assert_int_eq(tud_wait_log(&t, "event=started", 120000), 0);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 30000), 0);
	tud_cleanup(&t);

	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"),
			 N);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries "
				     "WHERE status = 'suppressed'"),
			 100);
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort -u | wc -l",
			       tu_env("DUNN_MAILDIR")),
			 0);
	unique = atoll(tu_output());
	mails = tu_mail_count();
	dups = mails - unique;
	fprintf(stderr, "crash: %lld messages, %lld recipients, %lld duplicates "
			"(bound %d kills x %d in flight = %d)\n",
		mails, unique, dups, kills, 4 * SEND_BATCH, kills * 4 * SEND_BATCH);
	ck_assert_int_eq(unique, N);
	ck_assert_int_le(dups, kills * 4 * SEND_BATCH);
	/* Nobody paid (c10001..c10100) or opted out (c10101..c10200) got mail. */
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | tr -d c | "
			       "cut -d@ -f1 | awk '$1 > 10000' | wc -l",
			       tu_env("DUNN_MAILDIR")),
			 0);
	ck_assert_int_eq(atoi(tu_output()), 0);
	tu_teardown(db, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("sigkill");

	tcase_set_timeout(tc, getenv("DUNN_WRAP") ? 1800 : 600);
	tcase_add_test(tc, sigkill_loop_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
