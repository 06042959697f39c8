/* Unit tests for lib/pgq.c: the asynchronous PostgreSQL queue on a
 * libevent loop, against the test server (DUNN_PG, set by make check).
 * Every wait runs the loop until a condition holds, with a deadline that
 * fails the test instead of hanging it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgq.h"

static struct event_base *base;
static struct event *deadline;
static int timed_out;

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	timed_out = 1;
	event_base_loopbreak(base);
}

/* Run the loop until *flag reaches want (or 60 s pass: a failure). */
#define RUN_UNTIL(cond)                                                       \
	do {                                                                  \
		struct timeval lim_ = {60, 0};                                \
		timed_out = 0;                                                \
		evtimer_add(deadline, &lim_);                                 \
		while (!(cond) && !timed_out)                                 \
			event_base_loop(base, EVLOOP_ONCE);                   \
		evtimer_del(deadline);                                        \
		ck_assert_msg(!timed_out, "timed out waiting for %s", #cond); \
	} while (0)

static const char *pg(void)
{
	const char *v = getenv("DUNN_PG");

	ck_assert_msg(v && *v, "DUNN_PG is not set: run the tests through 'make check'");
	return v;
}

static void setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	deadline = evtimer_new(base, on_deadline, NULL);
	ck_assert_ptr_nonnull(deadline);
}

static void teardown(void)
{
	event_free(deadline);
	event_base_free(base);
}

/* Connection state changes, in order. */
static int states[16], nstates;

static void on_state(int connected, void *arg)
{
	(void)arg;
	ck_assert_int_lt(nstates, 16);
	states[nstates++] = connected;
}

static struct pgq *connected_q(void)
{
	struct pgq *q = pgq_new(base, pg());

	ck_assert_ptr_nonnull(q);
	nstates = 0;
	pgq_on_state(q, on_state, NULL);
	pgq_start(q);
	RUN_UNTIL(pgq_connected(q));
	ck_assert_int_eq(nstates, 1);
	ck_assert_int_eq(states[0], 1);
	return q;
}

/* What one callback saw, copied out (res is cleared after it returns). */
struct seen {
	int called, order, null_res, ok, unusable;
	char value[64], sqlstate[8], error[256];
	const struct pgq *q;
};

static int order;

static void on_result(const PGresult *res, void *arg)
{
	struct seen *s = arg;

	s->called++;
	s->order = ++order;
	s->null_res = res == NULL;
	s->ok = pgq_ok(res);
	s->unusable = pgq_conn_unusable(res);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		snprintf(s->value, sizeof s->value, "%s%s", PQgetvalue(res, 0, 0),
			 PQnfields(res) > 1 ? PQgetvalue(res, 0, 1) : "");
	if (res && PQresultErrorField(res, PG_DIAG_SQLSTATE))
		snprintf(s->sqlstate, sizeof s->sqlstate, "%s",
			 PQresultErrorField(res, PG_DIAG_SQLSTATE));
	if (s->q)
		snprintf(s->error, sizeof s->error, "%s", pgq_error(s->q, res));
}

START_TEST(test_result_helpers)
{
	static const struct {
		ExecStatusType st;
		int ok;
	} cases[] = {
		{PGRES_EMPTY_QUERY, 0},    {PGRES_COMMAND_OK, 1},  {PGRES_TUPLES_OK, 1},
		{PGRES_COPY_OUT, 0},       {PGRES_COPY_IN, 0},     {PGRES_BAD_RESPONSE, 0},
		{PGRES_NONFATAL_ERROR, 0}, {PGRES_FATAL_ERROR, 0}, {PGRES_SINGLE_TUPLE, 0},
	};
	struct pgq *q = pgq_new(base, "host=/nonexistent");

	ck_assert_int_eq(pgq_ok(NULL), 0);
	ck_assert_int_eq(pgq_conn_unusable(NULL), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		PGresult *r = PQmakeEmptyPGresult(NULL, cases[i].st);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(pgq_ok(r), cases[i].ok);
		/* No SQLSTATE: not a reason to reconnect. */
		ck_assert_int_eq(pgq_conn_unusable(r), 0);
		/* No message in res and no connection: still a message. */
		ck_assert_str_eq(pgq_error(q, r), "not connected");
		PQclear(r);
	}
	ck_assert_str_eq(pgq_error(q, NULL), "not connected");
	pgq_free(q);
	pgq_free(NULL);
}
END_TEST

/* Before a connection nothing is queued and no callback runs. */
START_TEST(test_not_connected)
{
	struct pgq *q = pgq_new(base, pg());
	struct seen s = {0};

	ck_assert_int_eq(pgq_connected(q), 0);
	ck_assert_int_eq(pgq_idle(q), 1);
	ck_assert_int_eq(pgq_send(q, "SELECT 1", 0, NULL, on_result, &s), -1);
	ck_assert_int_eq(pgq_idle(q), 1);
	pgq_free(q);
	ck_assert_int_eq(s.called, 0);
}
END_TEST

/* Results arrive in the order sent; parameters are copied at send time;
 * NULL parameters are SQL NULL; an error reaches only its own callback. */
START_TEST(test_fifo_params_errors)
{
	struct pgq *q = connected_q();
	struct seen s[5] = {{0}};
	char buf[16] = "first";
	const char *p1[2] = {buf, NULL};
	const char *p2[1] = {"0"};

	for (int i = 0; i < 5; i++)
		s[i].q = q;
	order = 0;
	ck_assert_int_eq(
		pgq_send(q, "SELECT $1::text, ($2::text IS NULL)::text", 2, p1, on_result, &s[0]),
		0);
	strcpy(buf, "XXXXX");
	ck_assert_int_eq(pgq_idle(q), 0);
	ck_assert_int_eq(pgq_send(q, "SELECT 1/$1::int", 1, p2, on_result, &s[1]), 0);
	ck_assert_int_eq(pgq_send(q, "SELECT 'after'", 0, NULL, on_result, &s[2]), 0);
	ck_assert_int_eq(pgq_send(q, "SELECT FROM nonexistent_table", 0, NULL, on_result, &s[3]),
			 0);
	/* No callback: the result is dropped. */
	ck_assert_int_eq(pgq_send(q, "SELECT 'no one'", 0, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pgq_send(q, "SELECT pg_backend_pid() > 0", 0, NULL, on_result, &s[4]), 0);
	RUN_UNTIL(pgq_idle(q));
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(s[i].called, 1);
		ck_assert_int_eq(s[i].order, i + 1);
		ck_assert_int_eq(s[i].null_res, 0);
		ck_assert_int_eq(s[i].unusable, 0);
	}
	ck_assert_int_eq(s[0].ok, 1);
	ck_assert_str_eq(s[0].value, "firsttrue");
	ck_assert_int_eq(s[1].ok, 0);
	ck_assert_str_eq(s[1].sqlstate, "22012");
	ck_assert_ptr_nonnull(strstr(s[1].error, "division by zero"));
	ck_assert_int_eq(s[2].ok, 1);
	ck_assert_str_eq(s[2].value, "after");
	ck_assert_int_eq(s[3].ok, 0);
	ck_assert_str_eq(s[3].sqlstate, "42P01");
	ck_assert_int_eq(s[4].ok, 1);
	ck_assert_str_eq(s[4].value, "t");
	/* Errors did not cost the connection. */
	ck_assert_int_eq(pgq_connected(q), 1);
	ck_assert_int_eq(nstates, 1);
	pgq_free(q);
}
END_TEST

static char notified[64];
static int nnotified;

static void on_notify(const char *channel, void *arg)
{
	(void)arg;
	nnotified++;
	snprintf(notified, sizeof notified, "%s", channel);
}

START_TEST(test_notify)
{
	struct pgq *q = connected_q();
	struct seen s[2] = {{0}};

	nnotified = 0;
	pgq_on_notify(q, on_notify, NULL);
	ck_assert_int_eq(pgq_send(q, "LISTEN unit_pgq", 0, NULL, on_result, &s[0]), 0);
	ck_assert_int_eq(pgq_send(q, "NOTIFY unit_pgq", 0, NULL, on_result, &s[1]), 0);
	RUN_UNTIL(nnotified > 0);
	RUN_UNTIL(pgq_idle(q));
	ck_assert_int_eq(s[0].ok, 1);
	ck_assert_int_eq(s[1].ok, 1);
	ck_assert_int_eq(nnotified, 1);
	ck_assert_str_eq(notified, "unit_pgq");
	pgq_free(q);
}
END_TEST

/* A read-only session (a demoted primary) answers 25006: the callback
 * sees it, then pgq connects anew, and the new session works. */
START_TEST(test_read_only_reconnects)
{
	struct pgq *q = connected_q();
	struct seen s[3] = {{0}};

	ck_assert_int_eq(
		pgq_send(q, "SET default_transaction_read_only = on", 0, NULL, on_result, &s[0]),
		0);
	ck_assert_int_eq(pgq_send(q, "CREATE TABLE unit_pgq_ro (i int)", 0, NULL, on_result, &s[1]),
			 0);
	RUN_UNTIL(s[1].called);
	ck_assert_int_eq(s[0].ok, 1);
	ck_assert_int_eq(s[1].ok, 0);
	ck_assert_str_eq(s[1].sqlstate, "25006");
	ck_assert_int_eq(s[1].unusable, 1);
	RUN_UNTIL(nstates == 3);
	ck_assert_int_eq(states[1], 0);
	ck_assert_int_eq(states[2], 1);
	ck_assert_int_eq(
		pgq_send(q, "SHOW default_transaction_read_only", 0, NULL, on_result, &s[2]), 0);
	RUN_UNTIL(s[2].called);
	ck_assert_str_eq(s[2].value, "off");
	pgq_free(q);
}
END_TEST

struct kill {
	struct pgq *q;
	struct seen pid, sleep, queued;
};

/* With the sleep in flight, end the backend from another session. */
static void on_pid(const PGresult *res, void *arg)
{
	struct kill *k = arg;
	char ci[1024], sql[128];
	PGconn *c;
	PGresult *r;

	on_result(res, &k->pid);
	ck_assert_int_eq(k->pid.ok, 1);
	snprintf(ci, sizeof ci, "%s", pg());
	c = PQconnectdb(ci);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", k->pid.value);
	r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	PQfinish(c);
}

/* The backend is terminated under a query in flight and one queued:
 * both callbacks run once, with an unusable result or NULL; pgq reports
 * the loss, reconnects, and takes queries again. */
START_TEST(test_terminated_backend)
{
	struct kill k = {0};
	struct seen after = {0};

	k.q = connected_q();
	ck_assert_int_eq(pgq_send(k.q, "SELECT pg_backend_pid()", 0, NULL, on_pid, &k), 0);
	ck_assert_int_eq(pgq_send(k.q, "SELECT pg_sleep(60)", 0, NULL, on_result, &k.sleep), 0);
	ck_assert_int_eq(pgq_send(k.q, "SELECT 'queued'", 0, NULL, on_result, &k.queued), 0);
	RUN_UNTIL(k.sleep.called && k.queued.called);
	ck_assert_int_eq(k.sleep.called, 1);
	ck_assert_int_eq(k.queued.called, 1);
	ck_assert_int_eq(k.sleep.ok, 0);
	ck_assert_msg(k.sleep.null_res || k.sleep.unusable, "sqlstate %s", k.sleep.sqlstate);
	ck_assert_int_eq(k.queued.ok, 0);
	RUN_UNTIL(nstates == 3);
	ck_assert_int_eq(states[1], 0);
	ck_assert_int_eq(states[2], 1);
	ck_assert_int_eq(pgq_idle(k.q), 1);
	ck_assert_int_eq(pgq_send(k.q, "SELECT 'again'", 0, NULL, on_result, &after), 0);
	RUN_UNTIL(after.called);
	ck_assert_str_eq(after.value, "again");
	pgq_free(k.q);
}
END_TEST

/* pgq_close fails what is pending at once, with NULL, reports no state
 * change, and the queue takes nothing afterwards. */
START_TEST(test_close_pending)
{
	struct pgq *q = connected_q();
	struct seen s[2] = {{0}};

	ck_assert_int_eq(pgq_send(q, "SELECT pg_sleep(60)", 0, NULL, on_result, &s[0]), 0);
	ck_assert_int_eq(pgq_send(q, "SELECT 1", 0, NULL, on_result, &s[1]), 0);
	pgq_close(q);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(s[i].called, 1);
		ck_assert_int_eq(s[i].null_res, 1);
	}
	ck_assert_int_eq(pgq_connected(q), 0);
	ck_assert_int_eq(pgq_idle(q), 1);
	ck_assert_int_eq(nstates, 1);
	ck_assert_int_eq(pgq_send(q, "SELECT 1", 0, NULL, on_result, &s[0]), -1);
	/* Closed for good: start does nothing. */
	pgq_start(q);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	ck_assert_int_eq(pgq_connected(q), 0);
	ck_assert_int_eq(s[0].called, 1);
	pgq_free(q);
}
END_TEST

/* pgq_free with work in flight frees it all (the sanitizer build checks
 * for leaks) and calls back what was pending. */
START_TEST(test_free_pending)
{
	struct pgq *q = connected_q();
	struct seen s = {0};
	const char *p[3] = {"a", NULL, "c"};

	ck_assert_int_eq(
		pgq_send(q, "SELECT $1::text || coalesce($2, '') || $3", 3, p, on_result, &s), 0);
	pgq_free(q);
	ck_assert_int_eq(s.called, 1);
	ck_assert_int_eq(s.null_res, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pgq");
	TCase *tc = tcase_create("pgq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_result_helpers);
	tcase_add_test(tc, test_not_connected);
	tcase_add_test(tc, test_fifo_params_errors);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_read_only_reconnects);
	tcase_add_test(tc, test_terminated_backend);
	tcase_add_test(tc, test_close_pending);
	tcase_add_test(tc, test_free_pending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
