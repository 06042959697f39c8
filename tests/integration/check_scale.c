/* Many instances: two real dunnd processes against one database share the
 * due cases through FOR UPDATE SKIP LOCKED and leases; the mail sink
 * counts every reminder exactly once. And the reports read only: dunnctl
 * report, simulate and status run on a read replica (BENCHMARKS.md,
 * "Past one machine"). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tudaemon.h"

#define N 3000

START_TEST(two_instances_no_duplicates)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("scale"), *cfg;
	PGconn *db;
	int rc;

	/* Small batches so the two processes interleave many times. */
	cfg = tu_config(dir, conninfo, NULL, "\"batch_size\": 100, \"send_batch\": 50");
	tu_migrate(cfg);
	tud_book(dir, "book", 1, N);
	tu_import_named(cfg, dir, "book");
	tu_mail_clear();
	rc = tu_sh("A=%s; dunnd -c %s --once --at $A 2>%s/a.log & p1=$!; "
		   "dunnd -c %s --once --at $A 2>%s/b.log & p2=$!; "
		   "wait $p1; r1=$?; wait $p2; r2=$?; echo \"rc $r1 $r2\"; "
		   "[ $r1 -eq 0 ] && [ $r2 -eq 0 ]",
		   tud_iso_now(), cfg, dir, cfg, dir);
	ck_assert_msg(rc == 0, "%s", tu_output());
	/* Both took a share of the work (each logs the reminders it queued).
	 * Not under make valgrind: there start-up takes seconds, and the first
	 * instance up claims the whole book before the second connects. */
	if (!getenv("DUNN_WRAP") || !*getenv("DUNN_WRAP"))
		ck_assert_int_eq(tu_sh("grep -q 'cycle_done queued=[1-9]' %s/a.log && "
				       "grep -q 'cycle_done queued=[1-9]' %s/b.log",
				       dir, dir),
				 0);
	db = tu_connect(conninfo);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries"), N);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), N);
	ck_assert_int_eq(tu_mail_count(), N);
	/* Every recipient exactly once at the sink. */
	ck_assert_int_eq(
		tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort | uniq -d | wc -l "
		      "| grep -qx 0",
		      tu_env("DUNN_MAILDIR")),
		0);
	ck_assert_int_eq(tu_sh("cat %s/*.json | grep -o 'c[0-9]*@customer.test' | sort -u | wc -l "
			       "| grep -qx %d",
			       tu_env("DUNN_MAILDIR"), N),
			 0);
	tu_teardown(db, dir, cfg, conninfo);
}
END_TEST

/* What an operator points at a hot standby: every transaction read-only
 * (default_transaction_read_only, as on a standby), over a book that
 * dunnd has just worked. Nothing in these commands writes. */
START_TEST(reports_run_on_a_read_only_connection)
{
	char *dir = tu_tmpdir(), *rodir = tu_tmpdir(), *conninfo = tu_newdb("scale_ro"), *cfg;
	char *ro = NULL, *rocfg;
	static const char *const cmds[] = {
		"report --from 2026-01-01 --to 2027-12-31",
		"report --from 2026-01-01 --to 2027-12-31 --json",
		"report --by variant --from 2026-01-01 --to 2027-12-31",
		"report page --from 2026-01-01 --to 2027-12-31",
		"simulate --days 3",
		"status",
		"tasks list",
	};

	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
	tud_book(dir, "book", 1, 40);
	tu_import_named(cfg, dir, "book");
	tu_mail_clear();
	tu_run_once(cfg, tud_iso_now());
	ck_assert_int_eq(tu_mail_count(), 40);
	ck_assert(asprintf(&ro, "%s options=-cdefault_transaction_read_only=on", conninfo) > 0);
	rocfg = tu_config(rodir, ro, NULL, NULL);
	/* The connection does refuse writes. */
	ck_assert_int_ne(tu_sh("dunnctl -c %s pay INV-1", rocfg), 0);
	ck_assert_msg(strstr(tu_output(), "read-only") != NULL, "%s", tu_output());
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		ck_assert_msg(tu_sh("dunnctl -c %s %s", rocfg, cmds[i]) == 0, "%s: %s", cmds[i],
			      tu_output());
	/* The report saw the run. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s report --from 2026-01-01 --to 2027-12-31 --json | "
			       "grep -q '\"reminders\": *40'",
			       rocfg),
			 0);
	free(ro);
	free(rocfg);
	free(rodir);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("scale");
	TCase *tc = tcase_create("instances");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_instances_no_duplicates);
	tcase_add_test(tc, reports_run_on_a_read_only_connection);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
