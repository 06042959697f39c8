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
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = "
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

static long long other_sessions(void *arg)
{
	(void)arg;
	return -tu_qint(db,
			"SELECT count(*) FROM pg_stat_activity "
			"WHERE datname = current_database() AND pid <> pg_backend_pid()");
}

/* A SIGKILL leaves rows leased. The next start says how many and when
 * they go out again, and so does dunnctl status; a row whose holder is
 * alive (here the test, holding a lease holder's lock) is not counted. */
START_TEST(restart_reports_leases_left_by_a_dead_process)
{
	long long orphaned;
	char want[160];

	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_ge(tud_until(tud_mail_count, NULL, 40, 30000), 40);
	tud_kill(&t, SIGKILL);
	tud_wait(&t, 10000);
	tud_cleanup(&t);
	/* Its sessions end once the server notices the closed sockets. */
	ck_assert_int_eq(tud_until(other_sessions, NULL, 0, 10000), 0);
	PQclear(tu_q(db, "SELECT pg_advisory_lock(1685417582, 777)"));
	PQclear(tu_q(
		db,
		"UPDATE dunning.deliveries SET status = 'sending', leased_by = 777,\n"
		"  lease_until = now() + interval '300 s', next_attempt_at = now() + interval '300 s'\n"
		"WHERE id = (SELECT min(id) FROM dunning.deliveries WHERE status = 'queued')"));
	PQclear(tu_q(
		db,
		"UPDATE dunning.deliveries SET status = 'sending', leased_by = 4242,\n"
		"  lease_until = now() + interval '300 s', next_attempt_at = now() + interval '300 s'\n"
		"WHERE id = (SELECT min(id) FROM dunning.deliveries WHERE status = 'queued')"));
	orphaned = tu_qint(db,
			   "SELECT count(*) FROM dunning.deliveries WHERE status = 'sending' "
			   "AND lease_until > now() AND leased_by IS DISTINCT FROM 777");
	fprintf(stderr, "check_shutdown: %lld rows left leased by the killed run (and 4242)\n",
		orphaned);
	ck_assert_int_ge(orphaned, 1);

	snprintf(want, sizeof want,
		 "leased by a process that no longer holds them: %lld, sent again", orphaned);
	ck_assert_int_eq(tu_sh("dunnctl -c %s status", cfg), 0);
	ck_assert_msg(strstr(tu_output(), want), "no '%s' in:\n%s", want, tu_output());
	ck_assert_int_eq(tu_sh("dunnctl -c %s status --json", cfg), 0);
	{
		json_error_t e;
		json_t *st = json_loads(tu_output(), 0, &e), *v;

		ck_assert_msg(st != NULL, "%s", e.text);
		v = json_object_get(st, "leases_orphaned");
		ck_assert_int_eq(json_integer_value(json_object_get(v, "count")), orphaned);
		ck_assert(json_is_string(json_object_get(v, "resend_from")));
		json_decref(st);
	}

	snprintf(want, sizeof want, "event=leases_orphaned count=%lld ", orphaned);
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_msg(tud_wait_log(&t, want, 20000) == 0, "no '%s' in %s", want, t.log);
	ck_assert_int_eq(tud_log_count(&t, "they go out again as their leases run out"), 1);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 20000), 0);
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
	tcase_add_test(tc, restart_reports_leases_left_by_a_dead_process);
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
