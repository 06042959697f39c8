/* Asynchronous PostgreSQL on a libevent loop: one nonblocking connection,
 * a FIFO of parameterised queries, results delivered to callbacks. The
 * loop never waits on the database. Reconnects with capped backoff. */
#ifndef DUNN_PGQ_H
#define DUNN_PGQ_H

#include <event2/event.h>
#include <libpq-fe.h>

struct pgq;

/* res is NULL when the connection failed before a result arrived. The
 * callback does not own res: it is cleared when the callback returns. */
typedef void (*pgq_cb)(const PGresult *res, void *arg);
typedef void (*pgq_notify_cb)(const char *channel, void *arg);
typedef void (*pgq_state_cb)(int connected, void *arg);

struct pgq *pgq_new(struct event_base *base, const char *conninfo);
void pgq_free(struct pgq *q);
/* Called on every connect and disconnect. */
void pgq_on_state(struct pgq *q, pgq_state_cb cb, void *arg);
void pgq_on_notify(struct pgq *q, pgq_notify_cb cb, void *arg);
/* Start connecting (and keep reconnecting). */
void pgq_start(struct pgq *q);
/* Queue a query; params are copied. NULL entries are SQL NULL. Returns 0,
 * or -1 when not connected (cb is then not called). */
int pgq_send(struct pgq *q, const char *sql, int nparams, const char *const *params, pgq_cb cb,
	     void *arg);
int pgq_connected(const struct pgq *q);
/* Nothing queued or in flight. */
int pgq_idle(const struct pgq *q);
/* Disconnect now (on shutdown); pending callbacks get NULL. */
void pgq_close(struct pgq *q);

/* The result succeeded (COMMAND_OK or TUPLES_OK). */
int pgq_ok(const PGresult *res);
/* res failed in a way that says this session can do no more work: a
 * connection error, the server shutting down, or a read-only server
 * (SQLSTATE class 08, 57P01-57P03, 25006). pgq reconnects after such a
 * result has been handed to its callback. */
int pgq_conn_unusable(const PGresult *res);
/* An error message for res (or the connection when res is NULL). */
const char *pgq_error(const struct pgq *q, const PGresult *res);

#endif
