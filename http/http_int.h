/* Internals shared by the HTTP server's files (http.c: server, health,
 * metrics; http_hook.c: provider webhooks). */
#ifndef DUNN_HTTP_INT_H
#define DUNN_HTTP_INT_H

#include <event2/http.h>

#include "dunnd.h"

struct http_job;
struct http_lst;
struct http_pay;
struct console;
struct api;

struct http {
	struct dunnd *d;
	/* The public listener (customer page, webhooks, health) and the admin
	 * one (metrics, health, operator routes): two evhttp servers, so no
	 * route can be reached through the wrong one. */
	struct http_lst *pub, *admin;
	/* Its own connection: webhook writes are single autocommit statements
	 * and must never run inside the poller's claim transaction, which
	 * shares d->db; health pings do not queue behind batch work. */
	struct pgq *db;
	struct event *ev_tick;
	double db_ok_at; /* monotonic: last answered SELECT 1 */
	double tick_at;  /* monotonic: last timer tick (loop liveness) */
	unsigned ticks;
	int ping_busy, gauge_busy;
	char *webhook_secret;
	struct http_job *jobs; /* webhooks waiting for the database */
	struct http_pay *pay;  /* "payments" instances, their keys read at start */
	size_t npay;
	struct console *console; /* the staff console's workers (console.c) */
	struct api *api;         /* /api/v1 on the admin listener, NULL without api.keys_file */
};

/* Send a response with the headers every response carries. path names a
 * webhook route for the request counter (NULL: not counted). */
void http_reply(struct evhttp_request *req, const char *path, int code, const char *ctype,
		const char *body, size_t len);

enum http_hook_kind {
	HOOK_TWILIO_STATUS,
	HOOK_TWILIO_INBOUND,
	HOOK_SMS_STATUS,
	HOOK_SMS_INBOUND,
	HOOK_EMAIL_EVENTS,
};

/* A refused request (forged token or signature, a form without its CSRF
 * value) may be logged: 1 for the first few in each 10 s interval, 0 for
 * the rest, which are counted and reported in one summary line when the
 * interval ends. Anyone can send these; journald must not drop real lines
 * for them. */
int http_refused_log_ok(void);

/* http_hook.c */
void http_hook(struct http *h, struct evhttp_request *req, const char *path,
	       enum http_hook_kind kind);
/* On shutdown: answer every waiting webhook 503 and forget the requests;
 * the jobs themselves are freed when pgq fails their queries. */
void http_hook_abort_all(struct http *h);
/* POST /webhooks/<instance>/<kind> for a channel instance with a webhook
 * op: answers and returns 1; 0 when path names no such instance, or when
 * shared is set (the path is also a shared route) and the instance does
 * not verify the request, which is then the shared route's to answer. */
int http_hook_route(struct http *h, struct evhttp_request *req, const char *path, int shared);

/* http_pay.c: payment providers' webhooks. http_pay_route answers a
 * request for /webhooks/<instance>/events and returns 1, or returns 0
 * when path is no payment instance's. */
int http_pay_load(struct http *h, char *err, size_t errlen);
void http_pay_free(struct http *h);
int http_pay_route(struct http *h, struct evhttp_request *req, const char *path);
void http_pay_abort_all(struct http *h);

/* api.c: the billing system's API. api_start reads api.keys_file (none:
 * no API) and opens its connection; api_route answers every request for
 * /api/ on the admin listener. */
int api_start(struct http *h, char *err, size_t errlen);
void api_route(struct http *h, struct evhttp_request *req, const char *path);
/* On shutdown: answer every waiting request 503, then free it all. */
void api_stop(struct http *h);

#endif
