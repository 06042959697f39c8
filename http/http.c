/* The HTTP side of dunnd, on libevent's evhttp in the daemon's own loop,
 * started only in daemon mode. Two servers: the public one (customer
 * page, provider webhooks, health) and the admin one (metrics, health),
 * each on its own socket so a route can only be reached where it belongs.
 *
 * Hostile clients are bounded: bodies over http.max_body get 413 before
 * any handler runs, headers over 16 KiB are refused, a connection idle for
 * http.timeout_s is closed, a request not whole within
 * http.request_timeout_s is closed however steadily it trickles, and past
 * http.max_connections new connections are closed on arrival (the
 * connection guard below). (The automatic error pages are the only
 * responses without the nosniff/no-store headers: evhttp 2.1 offers no
 * hook before it sends them.) */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "console.h"
#include "http_int.h"
#include "log.h"
#include "metrics.h"
#include "page.h"

#define TICK_MS 1000
#define HEALTH_WINDOW 3.0 /* seconds: a ping answered within it = database up */
#define GAUGE_EVERY 5     /* ticks between outbox gauge refreshes */

/* The outbox's depth and age, and how much of it vacuum still owes: the
 * dead tuples of deliveries (with its partitions, if it has any) as the
 * statistics collector last counted them, and how long the oldest row in
 * 'sending' has been there (a lease nobody reports on shows here). */
static const char SQL_OUTBOX[] =
	"WITH t AS (\n"
	"  SELECT coalesce(sum(n_dead_tup), 0) AS dead, coalesce(sum(n_live_tup), 0) AS live\n"
	"  FROM pg_stat_user_tables\n"
	"  WHERE relid IN (SELECT 'dunning.deliveries'::regclass UNION ALL\n"
	"                  SELECT inhrelid FROM pg_inherits\n"
	"                  WHERE inhparent = 'dunning.deliveries'::regclass))\n"
	"SELECT count(*),\n"
	"       coalesce(extract(epoch FROM now() - min(next_attempt_at)\n"
	"                FILTER (WHERE next_attempt_at <= now())), 0),\n"
	"       coalesce(extract(epoch FROM now() - min(updated_at)\n"
	"                FILTER (WHERE status = 'sending')), 0),\n"
	"       (SELECT dead FROM t),\n"
	"       (SELECT coalesce(dead::float8 / nullif(dead + live, 0), 0) FROM t)\n"
	"FROM dunning.deliveries WHERE status IN ('queued', 'sending')";

void http_reply(struct evhttp_request *req, const char *path, int code, const char *ctype,
		const char *body, size_t len)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();
	char c[8];

	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(oh, "Cache-Control", "no-store");
	if (ctype)
		evhttp_add_header(oh, "Content-Type", ctype);
	if (buf && body)
		evbuffer_add(buf, body, len);
	if (path) {
		snprintf(c, sizeof c, "%d", code);
		metrics_inc("dunnd_webhook_requests_total", "path", path, "code", c, NULL);
	}
	evhttp_send_reply(req, code, NULL, buf);
	if (buf)
		evbuffer_free(buf);
}

static void reply_json(struct evhttp_request *req, int code, const char *json)
{
	http_reply(req, NULL, code, "application/json", json, strlen(json));
}

/* Up when this listener's own connection answered a ping lately and the
 * poller's and the dispatcher's connections are open too: with any of
 * those down (a failover under way) nothing is claimed, sent or recorded. */
static int db_up(const struct http *h, double now)
{
	return h->db_ok_at > 0 && now - h->db_ok_at < HEALTH_WINDOW && pgq_connected(h->d->db) &&
		pgq_connected(h->d->db_send) && pgq_connected(h->d->db_results);
}

static void on_healthz(struct http *h, struct evhttp_request *req)
{
	double now = metrics_now();
	int db = db_up(h, now), loop = now - h->tick_at < HEALTH_WINDOW;
	char body[160];

	snprintf(body, sizeof body, "{\"status\":\"%s\",\"database\":\"%s\",\"loop\":\"%s\"}\n",
		 db && loop ? "ok" : "unavailable", db ? "up" : "down", loop ? "live" : "stalled");
	reply_json(req, db && loop ? 200 : 503, body);
}

static void lst_gauges(const struct http *h);

static void on_metrics(struct http *h, struct evhttp_request *req)
{
	char *text;

	metrics_set("dunnd_database_up", db_up(h, metrics_now()), NULL);
	lst_gauges(h);
	text = metrics_render();
	if (!text) {
		reply_json(req, 500, "{\"error\":\"out of memory\"}\n");
		return;
	}
	http_reply(req, NULL, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
	free(text);
}

static const struct route {
	const char *path;
	int methods;
	const char *allow;
	int hook; /* -1: not a webhook */
} routes[] = {
	{"/healthz", EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD", -1},
	{"/webhooks/twilio/status", EVHTTP_REQ_POST, "POST", HOOK_TWILIO_STATUS},
	{"/webhooks/twilio/inbound", EVHTTP_REQ_POST, "POST", HOOK_TWILIO_INBOUND},
	{"/webhooks/sms/status", EVHTTP_REQ_POST, "POST", HOOK_SMS_STATUS},
	{"/webhooks/sms/inbound", EVHTTP_REQ_POST, "POST", HOOK_SMS_INBOUND},
	{"/webhooks/email/events", EVHTTP_REQ_POST, "POST", HOOK_EMAIL_EVENTS},
};

static void reply_405(struct evhttp_request *req, const char *counted, const char *allow)
{
	static const char body[] = "{\"error\":\"method not allowed\"}\n";

	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	http_reply(req, counted, 405, "application/json", body, sizeof body - 1);
}

/* The public listener: what customers and providers may reach. */
static void on_request(struct http *h, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const struct route *r = NULL;

	if (path && strncmp(path, "/p/", 3) == 0) { /* the customer's page */
		page_request(h, req, path);
		return;
	}
	for (size_t i = 0; path && i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(path, routes[i].path) == 0)
			r = &routes[i];
	if (!r && path && http_pay_route(h, req, path))
		return;
	/* A channel instance's own route comes first; where its name is also
	 * one of the shared routes above, what it does not verify goes on to
	 * that route as before. */
	if (path && http_hook_route(h, req, path, r != NULL))
		return;
	if (!r) {
		reply_json(req, 404, "{\"error\":\"not found\"}\n");
		return;
	}
	if (!(evhttp_request_get_command(req) & r->methods)) {
		reply_405(req, r->hook >= 0 ? r->path : NULL, r->allow);
		return;
	}
	if (r->hook >= 0)
		http_hook(h, req, r->path, (enum http_hook_kind)r->hook);
	else
		on_healthz(h, req);
}

/* The admin listener: metrics (volumes, error reasons, the version), the
 * staff console and the billing system's API (api.c); never the
 * customer's routes. */
static void on_admin(struct http *h, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	int metrics = path && strcmp(path, "/metrics") == 0;

	if (path && strncmp(path, "/api/", 5) == 0) {
		api_route(h, req, path);
		return;
	}
	if (path && (!strcmp(path, "/console") || !strncmp(path, "/console/", 9))) {
		console_request(h, req, path);
		return;
	}
	if (!path || (!metrics && strcmp(path, "/healthz") != 0)) {
		reply_json(req, 404, "{\"error\":\"not found\"}\n");
		return;
	}
	if (!(evhttp_request_get_command(req) & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))) {
		reply_405(req, NULL, "GET, HEAD");
		return;
	}
	if (metrics)
		on_metrics(h, req);
	else
		on_healthz(h, req);
}

#define REFUSED_INTERVAL_S 10
#define REFUSED_BURST 5 /* lines logged in full per interval */

static struct {
	double start;
	unsigned logged, suppressed;
} refused;

/* At the end of an interval: one line with what was not logged. */
static void refused_flush(double now)
{
	if (now - refused.start < REFUSED_INTERVAL_S)
		return;
	if (refused.suppressed)
		log_warn("http", "event=requests_refused_suppressed count=%u interval_s=%d",
			 refused.suppressed, REFUSED_INTERVAL_S);
	refused.start = now;
	refused.logged = refused.suppressed = 0;
}

int http_refused_log_ok(void)
{
	refused_flush(metrics_now());
	if (refused.logged < REFUSED_BURST) {
		refused.logged++;
		return 1;
	}
	refused.suppressed++;
	return 0;
}

static void ping_cb(const PGresult *res, void *arg)
{
	struct http *h = arg;

	h->ping_busy = 0;
	if (pgq_ok(res))
		h->db_ok_at = metrics_now();
}

static void gauge_cb(const PGresult *res, void *arg)
{
	struct http *h = arg;

	h->gauge_busy = 0;
	if (!pgq_ok(res) || PQntuples(res) != 1)
		return;
	metrics_set("dunnd_outbox_depth", strtod(PQgetvalue(res, 0, 0), NULL), NULL);
	metrics_set("dunnd_outbox_oldest_due_seconds", strtod(PQgetvalue(res, 0, 1), NULL), NULL);
	metrics_set("dunnd_outbox_oldest_sending_seconds", strtod(PQgetvalue(res, 0, 2), NULL),
		    NULL);
	metrics_set("dunnd_outbox_dead_tuples", strtod(PQgetvalue(res, 0, 3), NULL), NULL);
	metrics_set("dunnd_outbox_dead_tuple_ratio", strtod(PQgetvalue(res, 0, 4), NULL), NULL);
}

/* Every second: prove the loop turns, ping the database; now and then
 * refresh the outbox gauges. One query of each kind in flight at most. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	h->tick_at = metrics_now();
	refused_flush(h->tick_at);
	if (!pgq_connected(h->db))
		return;
	if (!h->ping_busy && pgq_send(h->db, "SELECT 1", 0, NULL, ping_cb, h) == 0)
		h->ping_busy = 1;
	if (h->ticks++ % GAUGE_EVERY == 0 && !h->gauge_busy &&
	    pgq_send(h->db, SQL_OUTBOX, 0, NULL, gauge_cb, h) == 0)
		h->gauge_busy = 1;
}

static void on_db_state(int connected, void *arg)
{
	struct http *h = arg;

	if (connected)
		on_tick(-1, 0, h); /* healthy as soon as it answers */
}

static void define_metrics(const struct dunnd *d)
{
	static const double lat[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

	metrics_define("dunnd_build_info", METRICS_GAUGE, "Build information.", NULL, 0);
	metrics_define("dunnd_database_up", METRICS_GAUGE,
		       "1 when the database answered a ping in the last few seconds.", NULL, 0);
	metrics_define("dunnd_deliveries_total", METRICS_COUNTER,
		       "Delivery attempts finished, by channel and result.", NULL, 0);
	metrics_define("dunnd_send_latency_seconds", METRICS_HISTOGRAM,
		       "Time from handing a message to its channel to the channel's result.", lat,
		       sizeof lat / sizeof lat[0]);
	metrics_define("dunnd_outbox_depth", METRICS_GAUGE, "Deliveries queued or being sent.",
		       NULL, 0);
	metrics_define("dunnd_outbox_oldest_due_seconds", METRICS_GAUGE,
		       "Age of the oldest delivery that is due and not yet sent.", NULL, 0);
	metrics_define("dunnd_outbox_oldest_sending_seconds", METRICS_GAUGE,
		       "How long the oldest delivery in 'sending' has been leased.", NULL, 0);
	metrics_define("dunnd_outbox_dead_tuples", METRICS_GAUGE,
		       "Dead tuples in dunning.deliveries that vacuum has not yet removed.", NULL,
		       0);
	metrics_define("dunnd_outbox_dead_tuple_ratio", METRICS_GAUGE,
		       "Dead tuples of dunning.deliveries as a share of its live and dead ones.",
		       NULL, 0);
	metrics_define("dunnd_webhook_requests_total", METRICS_COUNTER,
		       "Webhook requests, by path and HTTP status code.", NULL, 0);
	metrics_define("dunnd_reminders_total", METRICS_COUNTER,
		       "Reminders queued, by escalation stage (the step's template) and channel.",
		       NULL, 0);
	metrics_define("dunnd_config_reloads_total", METRICS_COUNTER,
		       "Configuration reloads (SIGHUP), by result.", NULL, 0);
	metrics_define("dunnd_channel_inflight", METRICS_GAUGE,
		       "Messages handed to a channel and not yet finished.", NULL, 0);
	metrics_define("dunnd_http_connections_refused_total", METRICS_COUNTER,
		       "Connections closed on arrival: the listener had its cap open.", NULL, 0);
	metrics_define("dunnd_http_connections_closed_total", METRICS_COUNTER,
		       "Connections closed by dunnd, by listener and reason (deadline: the "
		       "request was not whole within http.request_timeout_s).",
		       NULL, 0);
	metrics_define("dunnd_http_connections_open", METRICS_GAUGE,
		       "Client connections open, by listener.", NULL, 0);
	metrics_define("dunnd_delivery_errors_total", METRICS_COUNTER,
		       "Failed or retried deliveries, by channel and the provider's reason code.",
		       NULL, 0);
	metrics_set("dunnd_build_info", 1, "version", DUNN_VERSION, NULL);
	metrics_set("dunnd_database_up", 0, NULL);
	metrics_set("dunnd_outbox_depth", 0, NULL);
	metrics_set("dunnd_outbox_oldest_due_seconds", 0, NULL);
	metrics_set("dunnd_outbox_oldest_sending_seconds", 0, NULL);
	metrics_set("dunnd_outbox_dead_tuples", 0, NULL);
	metrics_set("dunnd_outbox_dead_tuple_ratio", 0, NULL);
	metrics_add("dunnd_config_reloads_total", 0, "result", "ok", NULL);
	metrics_add("dunnd_config_reloads_total", 0, "result", "failed", NULL);
	for (size_t i = 0; i < d->nchans; i++)
		metrics_touch("dunnd_send_latency_seconds", "channel", d->chans[i].name, NULL);
}

/* "host:port", "[v6]:port"; port 0 = any free port. */
static int split_listen(const char *s, char *host, size_t hlen, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t n;
	char *end;
	unsigned long p;

	if (!colon)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		h = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

static unsigned bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* For tests: the chosen port, written whole (rename) so a reader never
 * sees half of it. */
static void write_port_file(const char *env, unsigned port)
{
	const char *path = getenv(env);
	char *tmp = NULL;
	FILE *f;

	if (!path || !*path || asprintf(&tmp, "%s.tmp", path) < 0)
		return;
	f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%u\n", port);
		if (fclose(f) == 0)
			rename(tmp, path);
	}
	free(tmp);
}

/* One listening socket with its own evhttp server. */
struct http_lst {
	struct http *h;
	const char *key;  /* its config key, for messages */
	const char *name; /* "public", "admin": the metrics label */
	struct evhttp *srv;
	struct evconnlistener *lev;
	struct event *accept_pause;
	double accept_warned_at;
	void (*route)(struct http *h, struct evhttp_request *req);
	/* The connection guard: open connections by descriptor, at most cap. */
	struct http_conn **byfd;
	size_t nbyfd;
	int open, cap;
	int pending; /* accepted, not yet counted: their start events are queued */
	int burst_paused;
	struct timeval deadline; /* a request's headers and body within it */
};

/* evhttp 2.1 has no hook when it accepts a connection and no absolute
 * deadline (evhttp_set_timeout is idle time: one byte every 2 s keeps a
 * connection forever). It does let us make each connection's
 * bufferevent (evhttp_set_bevcb), and calls that just before it builds
 * the connection around it. So each new bufferevent comes with a guard
 * whose event runs once evhttp is done: by then the bufferevent's
 * callback argument is the new evhttp_connection. The guard counts it
 * against the cap (over it: closed at once, counted), learns of its end
 * through the connection's close callback, and closes it when a request
 * has not arrived whole within the deadline. While a complete request is
 * being answered the deadline is off: freeing the connection then would
 * free a request a handler still holds. */
/* evconnlistener accepts until the backlog is empty before any start
 * event runs: at most this many, then it waits for them, so a crowd never
 * holds more than cap + ACCEPT_BURST descriptors. */
#define ACCEPT_BURST 16

struct http_conn {
	struct http_lst *l;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until started */
	struct event *ev;                /* first the start, then the deadline */
	int fd;
	int busy; /* a whole request is being answered */
};

static void conn_free(struct http_conn *c)
{
	struct http_lst *l = c->l;

	if (c->evcon) {
		l->open--;
		if (c->fd >= 0 && (size_t)c->fd < l->nbyfd && l->byfd[c->fd] == c)
			l->byfd[c->fd] = NULL;
	}
	event_free(c->ev);
	free(c);
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_free(arg);
}

static int conn_index(struct http_lst *l, struct http_conn *c)
{
	if ((size_t)c->fd >= l->nbyfd) {
		size_t n = l->nbyfd ? l->nbyfd : 64;
		struct http_conn **t;

		while (n <= (size_t)c->fd)
			n *= 2;
		t = realloc(l->byfd, n * sizeof *t);
		if (!t)
			return -1;
		memset(t + l->nbyfd, 0, (n - l->nbyfd) * sizeof *t);
		l->byfd = t;
		l->nbyfd = n;
	}
	l->byfd[c->fd] = c;
	return 0;
}

static void on_conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct http_lst *l = c->l;
	void *cbarg = NULL;

	(void)fd;
	(void)what;
	if (c->evcon) { /* the deadline */
		if (c->busy)
			return;
		metrics_inc("dunnd_http_connections_closed_total", "listener", l->name, "reason",
			    "deadline", NULL);
		evhttp_connection_free(c->evcon); /* calls on_conn_close: c is freed */
		return;
	}
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
	c->fd = (int)bufferevent_getfd(c->bev);
	bufferevent_decref(c->bev); /* evhttp owns it now, if it kept it */
	if (--l->pending == 0 && l->burst_paused) {
		l->burst_paused = 0;
		if (!evtimer_pending(l->accept_pause, NULL)) /* else it enables */
			evconnlistener_enable(l->lev);
	}
	if (!cbarg || c->fd < 0) { /* evhttp already gave it up */
		conn_free(c);
		return;
	}
	if (l->open >= l->cap || conn_index(l, c) != 0) {
		metrics_inc("dunnd_http_connections_refused_total", "listener", l->name, NULL);
		conn_free(c);
		evhttp_connection_free(cbarg);
		return;
	}
	c->evcon = cbarg;
	l->open++;
	evhttp_connection_set_closecb(c->evcon, on_conn_close, c);
	evtimer_add(c->ev, &l->deadline);
}

static struct bufferevent *on_new_bev(struct event_base *base, void *arg)
{
	struct http_lst *l = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct http_conn *c;

	if (!bev)
		return NULL;
	c = calloc(1, sizeof *c);
	if (c)
		c->ev = event_new(base, -1, 0, on_conn_event, c);
	if (!c || !c->ev) {
		/* No guard: refuse it as soon as evhttp has made it. A bufferevent
		 * with no socket gets none, and evhttp frees the connection. */
		free(c);
		return bev;
	}
	c->l = l;
	c->bev = bev;
	c->fd = -1;
	bufferevent_incref(bev); /* alive until the start event has looked */
	event_active(c->ev, EV_TIMEOUT, 0);
	if (++l->pending >= ACCEPT_BURST && !l->burst_paused) {
		l->burst_paused = 1;
		evconnlistener_disable(l->lev); /* ends the accept loop after this one */
	}
	return bev;
}

static struct http_conn *conn_of(struct http_lst *l, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	struct http_conn *c = fd >= 0 && (size_t)fd < l->nbyfd ? l->byfd[fd] : NULL;

	return c && c->evcon == evcon ? c : NULL;
}

/* The reply went out: the next request on this connection (keep-alive)
 * gets a deadline of its own. */
static void on_req_done(struct evhttp_request *req, void *arg)
{
	struct http_conn *c = arg;

	(void)req;
	c->busy = 0;
	evtimer_add(c->ev, &c->l->deadline);
}

/* Every request of a listener: off the deadline while it is answered. */
static void on_lst_request(struct evhttp_request *req, void *arg)
{
	struct http_lst *l = arg;
	struct http_conn *c = conn_of(l, req);

	if (c) {
		c->busy = 1;
		evtimer_del(c->ev);
		evhttp_request_set_on_complete_cb(req, on_req_done, c);
	}
	l->route(l->h, req);
}

/* At the descriptor limit accept() fails at once, and evhttp's listener,
 * still readable, would spin and log on every turn of the loop (measured:
 * 400,000 lines in 3 s). Pause accepting briefly instead; idle clients
 * time out meanwhile. */
#define ACCEPT_PAUSE_MS 100

/* The error callback gets evhttp's own argument, not ours: find the
 * listener by its evconnlistener. One HTTP side per process. */
static struct http_lst *lsts[2];

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_lst *l = arg;

	(void)fd;
	(void)what;
	if (!l->burst_paused)
		evconnlistener_enable(l->lev);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct http_lst *l = NULL;
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();
	double now = metrics_now();

	(void)arg;
	for (size_t i = 0; i < sizeof lsts / sizeof lsts[0]; i++)
		if (lsts[i] && lsts[i]->lev == lev)
			l = lsts[i];
	if (!l)
		return;
	if (l->accept_warned_at == 0 || now - l->accept_warned_at >= 10) {
		l->accept_warned_at = now;
		log_warn("http", "event=accept_failed listener=%s error=\"%s\" pause_ms=%d", l->key,
			 strerror(err), ACCEPT_PAUSE_MS);
	}
	evconnlistener_disable(lev);
	evtimer_add(l->accept_pause, &tv);
}

static void lst_free(struct http_lst *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < sizeof lsts / sizeof lsts[0]; i++)
		if (lsts[i] == l)
			lsts[i] = NULL;
	if (l->srv)
		evhttp_free(l->srv); /* closes its connections (freeing their guards) */
	if (l->accept_pause)
		event_free(l->accept_pause);
	free(l->byfd);
	free(l);
}

/* Listen on addr ("host:port") with the shared limits and at most cap
 * open connections; route answers. */
static struct http_lst *lst_new(struct http *h, const char *key, const char *name, const char *addr,
				int cap, void (*route)(struct http *, struct evhttp_request *),
				const char *port_env, char *err, size_t errlen)
{
	const struct config *c = h->d->cfg;
	struct http_lst *l = calloc(1, sizeof *l);
	struct evhttp_bound_socket *bs;
	char host[256];
	unsigned port;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->h = h;
	l->key = key;
	l->name = name;
	l->route = route;
	l->cap = cap;
	l->deadline.tv_sec = c->http_request_timeout_s;
	if (split_listen(addr, host, sizeof host, &port) != 0) {
		snprintf(err, errlen, "%s: expected host:port, got '%s'", key, addr);
		free(l);
		return NULL;
	}
	l->srv = evhttp_new(h->d->base);
	l->accept_pause = evtimer_new(h->d->base, on_accept_resume, l);
	if (!l->srv || !l->accept_pause) {
		snprintf(err, errlen, "out of memory");
		lst_free(l);
		return NULL;
	}
	/* The admin side takes the API's bulk bodies: api.c answers 413 past
	 * api.max_body itself, as a problem the client can read; past twice
	 * that evhttp refuses before reading on. */
	evhttp_set_max_body_size(l->srv,
				 route == on_admin && c->api_max_body > c->http_max_body
					 ? 2 * (ev_ssize_t)c->api_max_body
					 : c->http_max_body);
	evhttp_set_max_headers_size(l->srv, 16384);
	evhttp_set_timeout(l->srv, c->http_timeout_s);
	/* Every method reaches the router, which answers 405 with Allow. */
	evhttp_set_allowed_methods(l->srv,
				   EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
					   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
					   EVHTTP_REQ_PATCH);
	evhttp_set_gencb(l->srv, on_lst_request, l);
	evhttp_set_bevcb(l->srv, on_new_bev, l);
	bs = evhttp_bind_socket_with_handle(l->srv, host, (ev_uint16_t)port);
	if (!bs) {
		snprintf(err, errlen, "%s: cannot listen on %s: %s", key, addr, strerror(errno));
		lst_free(l);
		return NULL;
	}
	l->lev = evhttp_bound_socket_get_listener(bs);
	for (size_t i = 0; i < sizeof lsts / sizeof lsts[0]; i++)
		if (!lsts[i]) {
			lsts[i] = l;
			break;
		}
	evconnlistener_set_error_cb(l->lev, on_accept_error);
	port = bound_port(bs);
	write_port_file(port_env, port);
	log_notice("http", "event=listening addr=%s:%u listener=%s", host, port, key);
	return l;
}

/* The admin side's own small cap: a flood of the public side never takes
 * the descriptors metrics and health checks need. */
#define ADMIN_MAX_CONNECTIONS 32
/* Descriptors kept for everything but clients: database connections,
 * SMTP sessions, SMS transfers, module files. */
#define FD_RESERVE 64

/* http.max_connections, lowered when the descriptor limit could not hold
 * that many clients beside the admin side and the reserve. */
static int public_cap(const struct config *c)
{
	struct rlimit rl;
	long room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return c->http_max_connections;
	room = (long)rl.rlim_cur - FD_RESERVE - ADMIN_MAX_CONNECTIONS - 2 * ACCEPT_BURST;
	if (room < 1)
		room = 1;
	if (room >= c->http_max_connections)
		return c->http_max_connections;
	log_warn("http",
		 "event=connection_cap max_connections=%d nofile=%ld cap=%ld "
		 "reason=\"descriptor limit\"",
		 c->http_max_connections, (long)rl.rlim_cur, room);
	return (int)room;
}

static void lst_gauges(const struct http *h)
{
	const struct http_lst *ls[] = {h->pub, h->admin};

	for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
		if (!ls[i])
			continue;
		metrics_set("dunnd_http_connections_open", ls[i]->open, "listener", ls[i]->name,
			    NULL);
		metrics_add("dunnd_http_connections_refused_total", 0, "listener", ls[i]->name,
			    NULL);
		metrics_add("dunnd_http_connections_closed_total", 0, "listener", ls[i]->name,
			    "reason", "deadline", NULL);
	}
}

static void http_free(struct http *h)
{
	if (h->ev_tick)
		event_free(h->ev_tick);
	lst_free(h->pub);
	lst_free(h->admin);
	free(h->webhook_secret);
	http_pay_free(h);
	api_stop(h);
	free(h);
}

int http_start(struct dunnd *d, char *err, size_t errlen)
{
	const struct config *c = d->cfg;
	struct http *h = calloc(1, sizeof *h);
	struct timeval tv = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->d = d;
	if (c->webhook_secret_file) {
		char why[512];
		h->webhook_secret = config_read_secret(c->dir, c->webhook_secret_file, why,
						       sizeof why);
		if (!h->webhook_secret || strlen(h->webhook_secret) < 16) {
			snprintf(err, errlen, "http.webhook_secret_file: %s",
				 h->webhook_secret ? "shorter than 16 bytes" : why);
			http_free(h);
			return -1;
		}
	}
	if (http_pay_load(h, err, errlen) != 0 || api_start(h, err, errlen) != 0) {
		http_free(h);
		return -1;
	}
	h->ev_tick = event_new(d->base, -1, EV_PERSIST, on_tick, h);
	if (!h->ev_tick) {
		snprintf(err, errlen, "out of memory");
		http_free(h);
		return -1;
	}
	h->pub = lst_new(h, "http.listen", "public", c->http_listen, public_cap(c), on_request,
			 "DUNND_HTTP_PORT_FILE", err, errlen);
	if (h->pub)
		h->admin = lst_new(h, "http.admin_listen", "admin", c->http_admin_listen,
				   ADMIN_MAX_CONNECTIONS, on_admin, "DUNND_ADMIN_PORT_FILE", err,
				   errlen);
	if (h->admin)
		h->db = pgq_new(d->base, c->conninfo);
	if (!h->db) {
		if (h->admin)
			snprintf(err, errlen, "out of memory");
		http_free(h);
		return -1;
	}
	if (console_start(h, err, errlen) != 0) {
		pgq_free(h->db);
		http_free(h);
		return -1;
	}
	define_metrics(d);
	h->tick_at = metrics_now();
	pgq_on_state(h->db, on_db_state, h);
	pgq_start(h->db);
	event_add(h->ev_tick, &tv);
	d->http = h;
	return 0;
}

void http_stop(struct dunnd *d)
{
	struct http *h = d->http;

	if (!h)
		return;
	d->http = NULL;
	http_hook_abort_all(h);
	http_pay_abort_all(h);
	api_stop(h);
	page_abort_all();
	console_stop(h);
	pgq_free(h->db); /* fails what is queued: the callbacks free their jobs */
	http_free(h);
	metrics_reset();
}
