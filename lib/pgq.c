#include "pgq.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct pgq_item {
	struct pgq_item *next;
	char *sql;
	int nparams;
	char **params;
	pgq_cb cb;
	void *arg;
};

struct pgq {
	struct event_base *base;
	char *conninfo;
	PGconn *conn;
	struct event *ev_read, *ev_write, *ev_retry, *ev_timeout;
	int connecting, connected, sent, closing;
	int backoff_ms;
	double lost_at; /* monotonic seconds: when this outage began, 0 while connected */
	struct pgq_item *head, *tail; /* head is in flight when sent */
	PGresult *result;             /* kept result of the in-flight query */
	pgq_state_cb state_cb;
	void *state_arg;
	pgq_notify_cb notify_cb;
	void *notify_arg;
};

static void pgq_io(evutil_socket_t fd, short what, void *arg);

/* libpq ignores connect_timeout in PQconnectPoll: a host that never
 * answers (a primary that lost power) would hold the attempt forever. */
#define PGQ_CONNECT_TIMEOUT_S 10

/* Reconnect delays: 0.1 s doubling, at most 1 s in the first 30 s of an
 * outage (a failover is over in seconds, and the new primary should not
 * wait for a 6.4 s backoff step) and 10 s after that. */
#define PGQ_BACKOFF_FIRST_MS 100
#define PGQ_BACKOFF_EARLY_MS 1000
#define PGQ_BACKOFF_EARLY_S 30
#define PGQ_BACKOFF_MAX_MS 10000

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Server notices (and the FATAL a shutting-down server sends an idle
 * connection) go to the log as one key=value line, not raw to stderr. */
static void on_notice(void *arg, const char *msg)
{
	(void)arg;
	log_notice("db", "event=server_notice message=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
}

/* libpq messages end in newlines; log the first line only. */
static void log_conn_error(const struct pgq *q, const char *event)
{
	const char *m = q->conn ? PQerrorMessage(q->conn) : "out of memory";

	log_warn("db", "event=%s error=\"%.*s\"", event, (int)strcspn(m, "\n"), m);
}

int pgq_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

const char *pgq_error(const struct pgq *q, const PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : NULL;

	if (!m || !*m)
		m = q->conn ? PQerrorMessage(q->conn) : "not connected";
	return m && *m ? m : "unknown error";
}

static void item_free(struct pgq_item *it)
{
	for (int i = 0; i < it->nparams; i++)
		free(it->params[i]);
	free(it->params);
	free(it->sql);
	free(it);
}

struct pgq *pgq_new(struct event_base *base, const char *conninfo)
{
	struct pgq *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->base = base;
	q->conninfo = strdup(conninfo);
	q->backoff_ms = PGQ_BACKOFF_FIRST_MS;
	return q;
}

void pgq_on_state(struct pgq *q, pgq_state_cb cb, void *arg)
{
	q->state_cb = cb;
	q->state_arg = arg;
}

void pgq_on_notify(struct pgq *q, pgq_notify_cb cb, void *arg)
{
	q->notify_cb = cb;
	q->notify_arg = arg;
}

int pgq_connected(const struct pgq *q)
{
	return q->connected;
}

int pgq_idle(const struct pgq *q)
{
	return q->head == NULL;
}

static void drop_events(struct pgq *q)
{
	if (q->ev_read)
		event_free(q->ev_read);
	if (q->ev_write)
		event_free(q->ev_write);
	q->ev_read = q->ev_write = NULL;
}

/* Fail everything queued: callers learn of the loss and redo their work
 * from the database, which is the source of truth. */
static void fail_all(struct pgq *q)
{
	while (q->head) {
		struct pgq_item *it = q->head;
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		if (it->cb)
			it->cb(NULL, it->arg);
		item_free(it);
	}
	if (q->result) {
		PQclear(q->result);
		q->result = NULL;
	}
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pgq_start(arg);
}

static void disconnect(struct pgq *q, int retry)
{
	int was = q->connected;

	drop_events(q);
	if (q->ev_timeout)
		evtimer_del(q->ev_timeout);
	if (q->conn)
		PQfinish(q->conn);
	q->conn = NULL;
	q->connected = q->connecting = q->sent = 0;
	fail_all(q);
	if (was && q->state_cb && !q->closing)
		q->state_cb(0, q->state_arg);
	if (retry && !q->closing) {
		double now = mono_now();
		int cap, ms;
		struct timeval tv;

		if (q->lost_at == 0)
			q->lost_at = now;
		cap = now - q->lost_at < PGQ_BACKOFF_EARLY_S ? PGQ_BACKOFF_EARLY_MS
							     : PGQ_BACKOFF_MAX_MS;
		if (q->backoff_ms > cap)
			q->backoff_ms = cap;
		/* +-20%: connections (and instances) that lost the same server
		 * do not all knock on the next one at the same instant. */
		ms = q->backoff_ms * 8 / 10 + rand() % (q->backoff_ms * 4 / 10 + 1);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if (!q->ev_retry)
			q->ev_retry = evtimer_new(q->base, retry_cb, q);
		evtimer_add(q->ev_retry, &tv);
		q->backoff_ms = q->backoff_ms * 2 > cap ? cap : q->backoff_ms * 2;
	}
}

static void arm(struct pgq *q, int want_write)
{
	event_add(q->ev_read, NULL);
	if (want_write)
		event_add(q->ev_write, NULL);
	else
		event_del(q->ev_write);
}

static void send_next(struct pgq *q)
{
	struct pgq_item *it = q->head;

	if (!it || q->sent || !q->connected)
		return;
	if (!PQsendQueryParams(q->conn, it->sql, it->nparams, NULL, (const char *const *)it->params,
			       NULL, NULL, 0)) {
		log_err("db", "event=send_failed error=\"%s\"", PQerrorMessage(q->conn));
		disconnect(q, 1);
		return;
	}
	q->sent = 1;
	arm(q, PQflush(q->conn) == 1);
}

int pgq_conn_unusable(const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!st)
		return 0;
	return strncmp(st, "08", 2) == 0 || /* connection exception */
		strcmp(st, "57P01") == 0 || /* admin_shutdown */
		strcmp(st, "57P02") == 0 || /* crash_shutdown */
		strcmp(st, "57P03") == 0 || /* cannot_connect_now */
		strcmp(st, "25006") == 0;   /* read_only_sql_transaction */
}

static void finish_head(struct pgq *q)
{
	struct pgq_item *it = q->head;
	PGresult *res = q->result;
	int unusable = pgq_conn_unusable(res);

	q->head = it->next;
	if (!q->head)
		q->tail = NULL;
	q->sent = 0;
	q->result = NULL;
	if (it->cb)
		it->cb(res, it->arg);
	PQclear(res);
	item_free(it);
	/* A server that went read-only (a primary demoted by a failover) or
	 * is shutting down keeps the session open but will never take our
	 * writes again: connect anew, which with target_session_attrs=
	 * read-write finds whichever host is primary now. */
	if (unusable && q->conn && !q->closing) {
		log_warn("db", "event=connection_unusable action=reconnecting");
		disconnect(q, 1);
	}
}

static void drain_notifies(struct pgq *q)
{
	PGnotify *n;

	while ((n = PQnotifies(q->conn)) != NULL) {
		if (q->notify_cb)
			q->notify_cb(n->relname, q->notify_arg);
		PQfreemem(n);
	}
}

/* Watch the connection's socket, with events made anew. libpq opens a
 * new socket for every host and address it tries (a multi-host conninfo,
 * target_session_attrs turning down a read-only server), and the new one
 * usually gets the number of the one it just closed: epoll has forgotten
 * the closed one, but an event still added for that number would never
 * be passed on, and the attempt would wait forever. So while connecting
 * the events are remade after every PQconnectPoll. */
static int watch_socket(struct pgq *q)
{
	evutil_socket_t fd = PQsocket(q->conn);

	drop_events(q);
	if (fd < 0)
		return -1;
	q->ev_read = event_new(q->base, fd, EV_READ | EV_PERSIST, pgq_io, q);
	q->ev_write = event_new(q->base, fd, EV_WRITE | EV_PERSIST, pgq_io, q);
	if (!q->ev_read || !q->ev_write)
		return -1;
	return 0;
}

static void connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *q = arg;

	(void)fd;
	(void)what;
	if (!q->connecting)
		return;
	log_warn("db", "event=connect_failed error=\"no answer within %d s\"",
		 PGQ_CONNECT_TIMEOUT_S);
	disconnect(q, 1);
}

static void poll_connect(struct pgq *q)
{
	PostgresPollingStatusType st = PQconnectPoll(q->conn);

	if (st != PGRES_POLLING_FAILED && watch_socket(q) != 0) {
		log_conn_error(q, "connect_failed");
		disconnect(q, 1);
		return;
	}
	switch (st) {
	case PGRES_POLLING_READING:
		event_add(q->ev_read, NULL);
		event_del(q->ev_write);
		break;
	case PGRES_POLLING_WRITING:
		event_add(q->ev_write, NULL);
		break;
	case PGRES_POLLING_OK:
		q->connecting = 0;
		q->connected = 1;
		q->backoff_ms = PGQ_BACKOFF_FIRST_MS;
		q->lost_at = 0;
		if (q->ev_timeout)
			evtimer_del(q->ev_timeout);
		PQsetnonblocking(q->conn, 1);
		log_info("db", "event=connected");
		event_add(q->ev_read, NULL);
		event_del(q->ev_write);
		if (q->state_cb)
			q->state_cb(1, q->state_arg);
		send_next(q);
		break;
	default:
		log_conn_error(q, "connect_failed");
		disconnect(q, 1);
		break;
	}
}

static void pgq_io(evutil_socket_t fd, short what, void *arg)
{
	struct pgq *q = arg;

	(void)fd;
	if (q->connecting) {
		poll_connect(q);
		return;
	}
	if (what & EV_WRITE) {
		int r = PQflush(q->conn);
		if (r < 0) {
			log_conn_error(q, "flush_failed");
			disconnect(q, 1);
			return;
		}
		if (r == 0)
			event_del(q->ev_write);
	}
	if (what & EV_READ) {
		if (!PQconsumeInput(q->conn)) {
			log_conn_error(q, "connection_lost");
			disconnect(q, 1);
			return;
		}
		drain_notifies(q);
		while (q->sent && !PQisBusy(q->conn)) {
			PGresult *res = PQgetResult(q->conn);
			if (!res) {
				finish_head(q);
				send_next(q);
				if (!q->conn)
					return;
				continue;
			}
			/* Keep the first error, else the last result. */
			if (!q->result || pgq_ok(q->result)) {
				PQclear(q->result);
				q->result = res;
			} else {
				PQclear(res);
			}
		}
		/* PQgetResult may have parsed notifications behind the results. */
		if (q->conn)
			drain_notifies(q);
		if (q->conn && PQstatus(q->conn) == CONNECTION_BAD) {
			log_conn_error(q, "connection_bad");
			disconnect(q, 1);
		}
	}
}

void pgq_start(struct pgq *q)
{
	if (q->conn || q->closing)
		return;
	q->conn = PQconnectStart(q->conninfo);
	if (!q->conn || PQstatus(q->conn) == CONNECTION_BAD || watch_socket(q) != 0) {
		log_conn_error(q, "connect_failed");
		disconnect(q, 1);
		return;
	}
	PQsetNoticeProcessor(q->conn, on_notice, q);
	if (!q->ev_timeout)
		q->ev_timeout = evtimer_new(q->base, connect_timeout_cb, q);
	if (q->ev_timeout) {
		struct timeval tv = {PGQ_CONNECT_TIMEOUT_S, 0};
		evtimer_add(q->ev_timeout, &tv);
	}
	q->connecting = 1;
	event_add(q->ev_write, NULL);
}

int pgq_send(struct pgq *q, const char *sql, int nparams, const char *const *params, pgq_cb cb,
	     void *arg)
{
	struct pgq_item *it;

	if (!q->connected)
		return -1;
	it = calloc(1, sizeof *it);
	if (!it)
		return -1;
	it->sql = strdup(sql);
	it->nparams = nparams;
	it->params = calloc((size_t)nparams + 1, sizeof *it->params);
	for (int i = 0; i < nparams; i++)
		it->params[i] = params[i] ? strdup(params[i]) : NULL;
	it->cb = cb;
	it->arg = arg;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	send_next(q);
	return 0;
}

void pgq_close(struct pgq *q)
{
	q->closing = 1;
	disconnect(q, 0);
}

void pgq_free(struct pgq *q)
{
	if (!q)
		return;
	pgq_close(q);
	if (q->ev_retry)
		event_free(q->ev_retry);
	if (q->ev_timeout)
		event_free(q->ev_timeout);
	free(q->conninfo);
	free(q);
}
