/* The mail server down for a minute: dunnd keeps running, backs off with
 * a bounded number of attempts (no hot loop), and delivers everything
 * once the server is back. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

#define N 50
#define DOWN_S 60

static char *dir, *maildir;
static pid_t sink = -1;

static int start_sink(int port)
{
	char portfile[512], cmd[2048];
	int got = 0;
	FILE *f;

	snprintf(portfile, sizeof portfile, "%s/sink.port", dir);
	unlink(portfile);
	snprintf(cmd, sizeof cmd,
		 "exec /usr/bin/python3 %s/tests/servers/smtp_sink.py %s %s --port %d",
		 tu_env("DUNN_SRCDIR"), maildir, portfile, port);
	sink = fork();
	ck_assert_int_ge(sink, 0);
	if (sink == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Python starts slowly on a busy machine: up to 60 s. */
	for (int i = 0; i < 600 && !got; i++) {
		f = fopen(portfile, "r");
		if (f && fscanf(f, "%d", &port) == 1)
			got = 1;
		if (f)
			fclose(f);
		if (!got)
			usleep(100000);
	}
	ck_assert_msg(got, "the sink did not start within 60 s");
	return port;
}

static void stop_sink(void)
{
	if (sink > 0) {
		kill(sink, SIGTERM);
		waitpid(sink, NULL, 0);
		sink = -1;
	}
}

static long long delivered(void *arg)
{
	return tu_qint(arg, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'");
}

START_TEST(smtp_down_for_a_minute)
{
	char *conninfo = tu_newdb("outage"), *cfg;
	json_error_t err;
	json_t *root;
	PGconn *db;
	struct tud t;
	long long max_attempts, sum_attempts;
	int port;

	dir = tu_tmpdir();
	ck_assert(asprintf(&maildir, "%s/mail", dir) > 0);
	ck_assert_int_eq(tu_sh("mkdir -p %s", maildir), 0);
	port = start_sink(0);
	stop_sink(); /* down from the start: the port is now ours to reuse */
	cfg = tu_config(
		dir, conninfo, NULL,
		"\"poll_interval_ms\": 200, \"retry_base_s\": 4, \"retry_max_s\": 16, \"max_attempts\": 20");
	root = json_load_file(cfg, 0, &err);
	ck_assert_msg(root != NULL, "%s", err.text);
	char server[64];
	snprintf(server, sizeof server, "127.0.0.1:%d", port);
	json_object_set_new(json_object_get(json_object_get(root, "channels"), "email"), "server",
			    json_string(server));
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
	tu_migrate(cfg);
	tud_book(dir, "book", 1, N);
	tu_import_named(cfg, dir, "book");
	db = tu_connect(conninfo);

	tud_start(&t, dir, cfg, 0, NULL);
	sleep(DOWN_S);
	/* Still running, nothing sent, and a bounded number of tries: with
	 * backoff 4 s doubling to 16 s, about 6 per delivery in a minute. */
	ck_assert_int_eq(kill(t.pid, 0), 0);
	ck_assert_int_eq(delivered(db), 0);
	max_attempts = tu_qint(db, "SELECT max(attempts) FROM dunning.deliveries");
	sum_attempts = tu_qint(db, "SELECT sum(attempts) FROM dunning.deliveries");
	fprintf(stderr, "outage: %d deliveries, %lld attempts in %d s (at most %lld each)\n", N,
		sum_attempts, DOWN_S, max_attempts);
	ck_assert_int_ge(max_attempts, 2);
	ck_assert_int_le(max_attempts, 10);
	ck_assert_int_eq(tud_log_count(&t, "event=database_lost"), 0);

	/* Back up: everything goes out, once. */
	start_sink(port);
	ck_assert_int_eq(tud_until(delivered, db, N, 60000), N);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 30000), 0);
	tud_cleanup(&t);
	ck_assert_int_eq(tu_sh("ls %s | grep -c '\\.eml$'", maildir), 0);
	ck_assert_int_eq(atoi(tu_output()), N);
	stop_sink();
	PQfinish(db);
	free(cfg);
	free(conninfo);
	free(maildir);
	free(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("outage");
	TCase *tc = tcase_create("smtp");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, smtp_down_for_a_minute);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run(suite());

	stop_sink();
	return rc;
}
