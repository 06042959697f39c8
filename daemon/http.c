/* The HTTP side of dunnd, on libevent's evhttp in the daemon's own loop,
 * started only in daemon mode. Two servers: the public one (customer
 * page, provider webhooks, health) and the admin one (metrics, health),
 * each on its own socket so a route can only be reached where it belongs.
 *
 * Hostile clients are bounded by evhttp itself: bodies over http.max_body
 * get 413 before any handler runs, headers over 16 KiB are refused, and a
 * connection idle or slow for http.timeout_s is closed. (Those automatic
 * error pages are the only responses without the nosniff/no-store
 * headers: evhttp 2.1 offers no hook before it sends them.) */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
 * poller's and the dispatcher's connections are open too: with either of
 * those down (a failover under way) nothing is claimed or sent. */
static int db_up(const struct http *h, double now)
{
	return h->db_ok_at > 0 && now - h->db_ok_at < HEALTH_WINDOW && pgq_connected(h->d->db) &&
	       pgq_connected(h->d->db_send);
}

static void on_healthz(struct http *h, struct evhttp_request *req)
{
	double now = metrics_now();
	int db = db_up(h, now), loop = now - h->tick_at < HEALTH_WINDOW;
	char body[160];

	snprintf(body, sizeof body,
		 "{\"status\":\"%s\",\"database\":\"%s\",\"loop\":\"%s\"}\n",
		 db && loop ? "ok" : "unavailable", db ? "up" : "down", loop ? "live" : "stalled");
	reply_json(req, db && loop ? 200 : 503, body);
}

static void on_metrics(struct http *h, struct evhttp_request *req)
{
	char *text;

	metrics_set("dunnd_database_up", db_up(h, metrics_now()), NULL);
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
static void on_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
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

/* The admin listener: metrics (volumes, error reasons, the version) and,
 * later, the operator's API and console; never the customer's routes. */
static void on_admin(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	int metrics = path && strcmp(path, "/metrics") == 0;

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
	metrics_define("dunnd_outbox_depth", METRICS_GAUGE,
		       "Deliveries queued or being sent.", NULL, 0);
	metrics_define("dunnd_outbox_oldest_due_seconds", METRICS_GAUGE,
		       "Age of the oldest delivery that is due and not yet sent.", NULL, 0);
	metrics_define("dunnd_outbox_oldest_sending_seconds", METRICS_GAUGE,
		       "How long the oldest delivery in 'sending' has been leased.", NULL, 0);
	metrics_define("dunnd_outbox_dead_tuples", METRICS_GAUGE,
		       "Dead tuples in dunning.deliveries that vacuum has not yet removed.", NULL, 0);
	metrics_define("dunnd_outbox_dead_tuple_ratio", METRICS_GAUGE,
		       "Dead tuples of dunning.deliveries as a share of its live and dead ones.",
		       NULL, 0);
	metrics_define("dunnd_webhook_requests_total", METRICS_COUNTER,
		       "Webhook requests, by path and HTTP status code.", NULL, 0);
	metrics_define("dunnd_reminders_total", METRICS_COUNTER,
		       "Reminders queued, by escalation stage (the step's template) and channel.", NULL, 0);
	metrics_define("dunnd_config_reloads_total", METRICS_COUNTER,
		       "Configuration reloads (SIGHUP), by result.", NULL, 0);
	metrics_define("dunnd_channel_inflight", METRICS_GAUGE,
		       "Messages handed to a channel and not yet finished.", NULL, 0);
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
	const char *key; /* its config key, for messages */
	struct evhttp *srv;
	struct evconnlistener *lev;
	struct event *accept_pause;
	double accept_warned_at;
};

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
		evhttp_free(l->srv); /* closes its connections, then the socket */
	if (l->accept_pause)
		event_free(l->accept_pause);
	free(l);
}

/* Listen on addr ("host:port") with the shared limits; cb routes. */
static struct http_lst *lst_new(struct http *h, const char *key, const char *addr,
				void (*cb)(struct evhttp_request *, void *), const char *port_env,
				char *err, size_t errlen)
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
	evhttp_set_max_body_size(l->srv, c->http_max_body);
	evhttp_set_max_headers_size(l->srv, 16384);
	evhttp_set_timeout(l->srv, c->http_timeout_s);
	/* Every method reaches the router, which answers 405 with Allow. */
	evhttp_set_allowed_methods(l->srv, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						   EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(l->srv, cb, h);
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

static void http_free(struct http *h)
{
	if (h->ev_tick)
		event_free(h->ev_tick);
	lst_free(h->pub);
	lst_free(h->admin);
	free(h->webhook_secret);
	http_pay_free(h);
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
		h->webhook_secret = config_read_secret(c->dir, c->webhook_secret_file, why, sizeof why);
		if (!h->webhook_secret || strlen(h->webhook_secret) < 16) {
			snprintf(err, errlen, "http.webhook_secret_file: %s",
				 h->webhook_secret ? "shorter than 16 bytes" : why);
			http_free(h);
			return -1;
		}
	}
	if (http_pay_load(h, err, errlen) != 0) {
		http_free(h);
		return -1;
	}
	h->ev_tick = event_new(d->base, -1, EV_PERSIST, on_tick, h);
	if (!h->ev_tick) {
		snprintf(err, errlen, "out of memory");
		http_free(h);
		return -1;
	}
	h->pub = lst_new(h, "http.listen", c->http_listen, on_request, "DUNND_HTTP_PORT_FILE", err,
			 errlen);
	if (h->pub)
		h->admin = lst_new(h, "http.admin_listen", c->http_admin_listen, on_admin,
				   "DUNND_ADMIN_PORT_FILE", err, errlen);
	if (h->admin)
		h->db = pgq_new(d->base, c->conninfo);
	if (!h->db) {
		if (h->admin)
			snprintf(err, errlen, "out of memory");
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
	page_abort_all();
	pgq_free(h->db); /* fails what is queued: the callbacks free their jobs */
	http_free(h);
	metrics_reset();
}
