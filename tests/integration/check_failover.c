/* Database failover: dunnd runs on a pg_auto_failover formation (a
 * monitor, a primary and a secondary on this machine) through the
 * multi-host conninfo with target_session_attrs=read-write. During one
 * run of 10,000 reminders `pg_autoctl perform failover` swaps the nodes;
 * during a second run of 10,000 the new primary is killed outright. Each
 * time dunnd finds the new primary by itself, /healthz answers 503 and
 * then 200 again, and every reminder reaches the sink. Both faults share
 * one formation: setting one up takes a minute or more. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define N 10000
#define SEND_BATCH 100 /* the dispatcher holds at most 4 x send_batch in flight */

static char *conninfo;
static int port;

static int paf(const char *cmd)
{
	return tu_sh("bash -c '. tests/servers/lib.sh && %s'", cmd);
}

static long long pending(void *arg)
{
	PGconn *db = PQconnectdb(conninfo);
	long long n = -1;

	(void)arg;
	if (PQstatus(db) == CONNECTION_OK) {
		PGresult *r = PQexec(db,
				     "SELECT count(*) FROM dunning.deliveries "
				     "WHERE status IN ('queued', 'sending')");
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(db);
	return n;
}

/* tud_until waits for a value >= want: 1 once nothing is queued or leased
 * and every one of the want_rows reminders exists. */
static long long settled(void *arg)
{
	long long rows = *(long long *)arg;
	PGconn *db = PQconnectdb(conninfo);
	long long n = 0;

	if (PQstatus(db) == CONNECTION_OK) {
		PGresult *r = PQexec(
			db,
			"SELECT count(*), count(*) FILTER "
			"(WHERE status IN ('queued', 'sending')) FROM dunning.deliveries");
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			n = atoll(PQgetvalue(r, 0, 0)) >= rows && atoll(PQgetvalue(r, 0, 1)) == 0;
		PQclear(r);
	}
	PQfinish(db);
	return n;
}

static long healthz(void)
{
	static struct tu_resp r;

	tu_http(port, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
	return r.code;
}

static long long is_503(void *arg)
{
	(void)arg;
	return healthz() == 503;
}

static long long is_200(void *arg)
{
	(void)arg;
	return healthz() == 200;
}

/* Distinct recipients c<from>..c<from+N-1> at the sink. */
static long long mailed(int from)
{
	tu_sh("cat %s/*.json | grep -oE 'c[0-9]+@customer.test' | tr -d c | cut -d@ -f1 | "
	      "awk '$1 >= %d && $1 < %d' | sort -u | wc -l",
	      tu_env("DUNN_MAILDIR"), from, from + N);
	return atoll(tu_output());
}

static long long messages_from(int from)
{
	tu_sh("cat %s/*.json | grep -oE 'c[0-9]+@customer.test' | tr -d c | cut -d@ -f1 | "
	      "awk '$1 >= %d && $1 < %d' | wc -l",
	      tu_env("DUNN_MAILDIR"), from, from + N);
	return atoll(tu_output());
}

static long long count_from;
static long long run_mailed(void *arg)
{
	(void)arg;
	return tu_mail_count() - count_from;
}

/* The end of the daemon's log, for a failure message. */
static const char *log_tail(const struct tud *t)
{
	tu_sh("tail -n 15 %s", t->log);
	return tu_output();
}

static void state(const char *node, const char *want, int secs)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "srv_paf_wait %s %s %d", node, want, secs);
	ck_assert_msg(paf(cmd) == 0, "%s", tu_output());
}

/* Import N more due accounts from `from`, wait until a quarter of them
 * went out, then run fault (a shell line) in the background and watch
 * /healthz go 503 and come back, then every one of them reach the sink. */
static void run_with_fault(struct tud *t, const char *dir, const char *cfg, int from,
			   const char *name, const char *fault)
{
	double t0, t503, t200;
	long long rows = from - 1 + N, before = messages_from(from), mails, unique, at_fault;

	count_from = tu_mail_count();
	tud_book(dir, name, from, N);
	tu_import_named(cfg, dir, name);
	ck_assert_int_ge(tud_until(run_mailed, NULL, N / 4, 120000), N / 4);
	at_fault = run_mailed(NULL);
	t0 = tu_now_s();
	ck_assert_int_eq(
		tu_sh("(bash -c '. tests/servers/lib.sh && %s' >%s/%s.log 2>&1 </dev/null &)",
		      fault, dir, name),
		0);
	ck_assert_msg(tud_until(is_503, NULL, 1, 60000) == 1, "%s: /healthz never answered 503",
		      name);
	t503 = tu_now_s() - t0;
	ck_assert_msg(tud_until(is_200, NULL, 1, 120000) == 1,
		      "%s: /healthz still 503 two minutes on; the log ends:\n%s", name,
		      log_tail(t));
	t200 = tu_now_s() - t0;
	ck_assert_msg(tud_until(settled, &rows, 1, 180000) == 1,
		      "%s: %lld deliveries still queued or leased; the log ends:\n%s", name,
		      pending(NULL), log_tail(t));
	mails = messages_from(from) - before;
	unique = mailed(from);
	fprintf(stderr,
		"failover: %s: 503 after %.1f s, 200 again after %.1f s; %lld messages to %lld "
		"of %d recipients, %lld duplicates (%lld at the sink before the fault)\n",
		name, t503, t200, mails, unique, N, mails - unique, at_fault);
	ck_assert_int_eq(unique, N); /* nobody missed */
	ck_assert_int_le(mails - unique, 4 * SEND_BATCH);
}

START_TEST(failover_and_killed_primary_lose_nothing)
{
	char *dir = tu_tmpdir(), *cfg, extra[256], *path = NULL;
	struct tud t;
	int rc = paf("srv_paf_start");
	FILE *f;
	char line[512];

	if (rc == 2) {
		fprintf(stderr, "check_failover: SKIP: %s", tu_output());
		free(dir);
		return;
	}
	ck_assert_msg(rc == 0, "pg_auto_failover formation did not start:\n%s", tu_output());
	ck_assert(asprintf(&path, "%s/paf/conninfo", tu_env("SRV_DIR")) > 0);
	f = fopen(path, "r");
	ck_assert(f && fgets(line, sizeof line, f));
	fclose(f);
	free(path);
	line[strcspn(line, "\n")] = '\0';
	conninfo = strdup(line);
	snprintf(extra, sizeof extra,
		 "\"poll_interval_ms\": 200, \"batch_size\": 500, \"send_batch\": %d, "
		 "\"lease_seconds\": 5, \"retry_base_s\": 1, \"retry_max_s\": 4",
		 SEND_BATCH);
	cfg = tu_config(dir, conninfo, NULL, extra);
	tu_migrate(cfg);
	tu_mail_clear();
	port = tud_start_http(&t, dir, cfg, NULL);
	ck_assert_int_eq(tud_until(is_200, NULL, 1, 30000), 1);

	/* A planned switch: node1 drains and steps down, node2 takes over. */
	run_with_fault(&t, dir, cfg, 1, "switch",
		       "srv_paf perform failover --pgdata \"$SRV_DIR/paf/monitor\"");
	state("node2", "primary", 120);
	state("node1", "secondary", 180);
	ck_assert_int_ge(tud_log_count(&t, "event=database_reconnected"), 1);

	/* The primary dies: the monitor promotes node1 within seconds. */
	run_with_fault(&t, dir, cfg, N + 1, "kill", "srv_paf_kill node2");
	state("node1", "wait_primary", 120);

	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 30000), 0);
	tud_cleanup(&t);
	paf("srv_paf_stop");
	free(conninfo);
	free(cfg);
	free(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("pg_auto_failover");

	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, failover_and_killed_primary_lose_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
