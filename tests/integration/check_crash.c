/* Crash loop: SIGKILL the daemon in the middle of sending, again and
 * again, each restart after the dead run's leases have expired. Nothing
 * is lost; each message's result is stored as soon as the server took
 * it, so a kill repeats only the messages accepted while their result
 * was on its way to the database: never more than were on the wire (the
 * workers' sessions), and on a quiet machine fewer than 64. Nothing goes
 * to a paid invoice or an opted-out address.
 *
 *   DUNN_CRASH_ACCOUNTS (10000)  due accounts (make check keeps it small
 *                                for CI time; the bound is per kill)
 *   DUNN_CRASH_KILLS    (20)     kills before the run that finishes
 *   DUNN_CRASH_PER_KILL (400)    repeats allowed per kill: by default what
 *                                can be on the wire, which holds however
 *                                busy the machine; 64 measures the goal
 *                                (how many repeats depends on how long a
 *                                result takes to be stored, which load
 *                                stretches) */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

#define SEND_BATCH 100
#define ON_THE_WIRE (4 * SEND_BATCH) /* the email module's workers' sessions */

static long N = 10000;

static char *conninfo;

static long long pending(void *arg)
{
	PGconn *db = arg;

	return tu_qint(db,
		       "SELECT count(*) FROM dunning.deliveries "
		       "WHERE status IN ('queued', 'sending')");
}

/* No row is leased any more: what the killed run held is due again. */
static long long leases_expired(void *arg)
{
	return tu_qint(arg,
		       "SELECT count(*) FROM dunning.deliveries "
		       "WHERE status = 'sending' AND lease_until > now()") == 0;
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	long n = v && *v ? strtol(v, NULL, 10) : dflt;

	return n > 0 ? n : dflt;
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
	char *dir = tu_tmpdir(), *cfg, extra[256], sql[512];
	PGconn *db;
	struct tud t;
	int kills = 0, wrapped = getenv("DUNN_WRAP") && *getenv("DUNN_WRAP");
	long nkills = env_long("DUNN_CRASH_KILLS", 20);
	long per_kill = env_long("DUNN_CRASH_PER_KILL", ON_THE_WIRE);
	long long mails, unique, dups;

	N = env_long("DUNN_CRASH_ACCOUNTS", 10000);

	conninfo = tu_newdb("crash");
	snprintf(extra, sizeof extra,
		 "\"poll_interval_ms\": 100, \"batch_size\": 500, \"send_batch\": %d, "
		 "\"lease_seconds\": 5, \"retry_base_s\": 1, \"retry_max_s\": 4, "
		 "\"shutdown_timeout_ms\": 5000, \"max_attempts\": 100",
		 SEND_BATCH);
	/* A lease a killed run held counts as an attempt (a message that
	 * kills dunnd must stop being tried: check_poison); twenty quick
	 * kills may catch one row in eight of them, so the bound is raised
	 * here, where the question is only whether a crash loses a row. */
	cfg = tu_config(dir, conninfo, NULL, extra);
	tu_migrate(cfg);
	tud_book(dir, "book", 1, (int)N + 200);
	tu_import_named(cfg, dir, "book");
	db = tu_connect(conninfo);
	/* 100 paid before dunning and 100 opted out: none of them may get mail. */
	snprintf(sql, sizeof sql,
		 "UPDATE dunning.invoices SET paid_at = now() WHERE external_ref IN "
		 "(SELECT 'INV-' || g FROM generate_series(%ld + 1, %ld + 100) g)",
		 N, N);
	PQclear(tu_q(db, sql));
	snprintf(sql, sizeof sql,
		 "INSERT INTO dunning.suppressions (channel, address, reason, source) "
		 "SELECT 'email', 'c' || g || '@customer.test', 'opt-out', 'test' "
		 "FROM generate_series(%ld + 101, %ld + 200) g",
		 N, N);
	PQclear(tu_q(db, sql));
	tu_mail_clear();
	srand((unsigned)getpid());
	for (kills = 0; kills < nkills; kills++) {
		/* Killed once 1 to N / kills more messages have gone out, so
		 * each kill lands while mail flows; about half the book goes
		 * out in runs that die. */
		long long at = tu_mail_count() + 1 + rand() % (N / nkills + 1);

		tud_start(&t, dir, cfg, 0, NULL);
		if (wrapped)
			usleep(10 * (150000 + (useconds_t)(rand() % 600000)));
		else
			tud_until(tud_mail_count, NULL, at, 60000);
		tud_kill(&t, SIGKILL);
		tud_wait(&t, 10000);
		tud_cleanup(&t);
		ck_assert_int_eq(tud_until(leases_expired, db, 1, 60000), 1);
	}
	mails = tu_mail_count();
	fprintf(stderr, "crash: %d kills; %lld messages at the sink before the last run\n", kills,
		mails);
	/* The last run finishes everything: leases of killed runs expire. */
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_until(settled, db, 1, 180000 + (int)N * 10), 1);
	/* Under valgrind the work may be done before this run has even set up
	 * its signal handlers: wait for it to be running before the TERM. */
	ck_assert_int_eq(tud_wait_log(&t, "event=started", 120000), 0);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 30000), 0);
	tud_cleanup(&t);

	{
		PGresult *r = tu_q(db,
				   "SELECT status || ':' || count(*) || ' (max attempts ' || "
				   "max(attempts) || ')' FROM dunning.deliveries GROUP BY status "
				   "ORDER BY status");

		for (int i = 0; i < PQntuples(r); i++)
			fprintf(stderr, "crash: %s\n", PQgetvalue(r, i, 0));
		PQclear(r);
	}
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), N);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE status = 'suppressed'"),
			 100);
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort -u | wc -l",
			       tu_env("DUNN_MAILDIR")),
			 0);
	unique = atoll(tu_output());
	mails = tu_mail_count();
	dups = mails - unique;
	fprintf(stderr,
		"crash: %lld messages, %lld recipients, %lld duplicates "
		"(%.1f per kill; bound %d kills x %ld = %ld)\n",
		mails, unique, dups, kills ? (double)dups / kills : 0.0, kills, per_kill,
		kills * per_kill);
	ck_assert_int_eq(unique, N);
	ck_assert_int_le(dups, kills * per_kill);
	/* Nobody paid (c10001..c10100) or opted out (c10101..c10200) got mail. */
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | tr -d c | "
			       "cut -d@ -f1 | awk '$1 > %ld' | wc -l",
			       tu_env("DUNN_MAILDIR"), N),
			 0);
	ck_assert_int_eq(atoi(tu_output()), 0);
	tu_teardown(db, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("sigkill");

	long n = env_long("DUNN_CRASH_ACCOUNTS", 10000);

	/* About 600 s for 10,000 on a busy machine; longer books in step. */
	tcase_set_timeout(tc, (getenv("DUNN_WRAP") ? 1800 : 600) * (n > 10000 ? n / 10000.0 : 1.0));
	tcase_add_test(tc, sigkill_loop_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
