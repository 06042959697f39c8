/* The console's loop side: copy each request into a job for the workers,
 * send their answers back on the loop. evhttp is not thread-safe, so
 * workers never touch a request: they fill a con_out, queue the job as
 * done and activate an event (libevent's pthreads locking is on), and the
 * loop replies. A request is answered at most once: on shutdown the
 * waiting ones get 503 and their jobs forget them. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caseops.h"
#include "config.h"
#include "console.h"
#include "console_int.h"
#include "log.h"
#include "pgarr.h"

/* Two workers: one slow password check never holds up everyone, and the
 * two cores of a small host are not both taken by logins. */
#define CON_WORKERS 2
/* Requests waiting for a worker at most; past it 503 at once. */
#define CON_MAX_QUEUED 256

struct con_job {
	struct con_job *next;
	struct evhttp_request *req; /* NULL once answered on shutdown */
	struct con_in in;
	struct con_out out;
};

struct console {
	struct http *h;
	char *conninfo; /* copied at start: a reload may free the config's */
	pthread_t threads[CON_WORKERS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct con_job *todo, **todo_tail; /* FIFO */
	struct con_job *busy[CON_WORKERS]; /* being answered */
	struct con_job *done;
	struct event *ev_done;
	int queued, stopping;
};

static void in_free(struct con_in *in)
{
	free(in->path);
	free(in->query);
	free(in->body);
	free(in->cookie);
	free(in->accept_lang);
	free(in->notice_channels);
	free(in->company);
	free(in->content_type);
	free(in->proxy_user);
	/* On the loop, where the configuration is held and replaced. */
	config_free((struct config *)in->cfg);
}

static void job_free(struct con_job *j)
{
	in_free(&j->in);
	free(j->out.body);
	free(j->out.location);
	for (int i = 0; i < CON_MAX_COOKIES; i++)
		free(j->out.set_cookie[i]);
	free(j);
}

struct worker_arg {
	struct console *c;
	int slot;
};

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct console *c = wa->c;
	int slot = wa->slot;
	struct con_db db = {NULL, c->conninfo};

	free(wa);
	for (;;) {
		struct con_job *j;

		pthread_mutex_lock(&c->mu);
		while (!c->todo && !c->stopping)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stopping) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		j = c->todo;
		c->todo = j->next;
		if (!c->todo)
			c->todo_tail = &c->todo;
		c->queued--;
		c->busy[slot] = j;
		pthread_mutex_unlock(&c->mu);

		con_handle(&db, &j->in, &j->out);

		pthread_mutex_lock(&c->mu);
		c->busy[slot] = NULL;
		j->next = c->done;
		c->done = j;
		pthread_mutex_unlock(&c->mu);
		event_active(c->ev_done, EV_READ, 0);
	}
	PQfinish(db.conn);
	return NULL;
}

static void send_out(struct evhttp_request *req, struct con_out *o)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	char ra[16];

	evhttp_add_header(oh, "Content-Security-Policy", con_csp());
	evhttp_add_header(oh, "Referrer-Policy", "no-referrer");
	evhttp_add_header(oh, "X-Frame-Options", "DENY");
	if (o->lang)
		evhttp_add_header(oh, "Content-Language", o->lang);
	if (o->location)
		evhttp_add_header(oh, "Location", o->location);
	for (int i = 0; i < CON_MAX_COOKIES; i++)
		if (o->set_cookie[i])
			evhttp_add_header(oh, "Set-Cookie", o->set_cookie[i]);
	if (o->retry_after) {
		snprintf(ra, sizeof ra, "%d", o->retry_after);
		evhttp_add_header(oh, "Retry-After", ra);
	}
	if (o->oom || !o->code)
		http_reply(req, NULL, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
	else
		http_reply(req, NULL, o->code, o->ctype ? o->ctype : "text/html; charset=utf-8",
			   o->body ? o->body : "", o->body ? o->len : 0);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	struct con_job *list;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&c->mu);
	list = c->done;
	c->done = NULL;
	pthread_mutex_unlock(&c->mu);
	while (list) {
		struct con_job *j = list;
		list = j->next;
		if (j->req)
			send_out(j->req, &j->out);
		job_free(j);
	}
}

int console_start(struct http *h, char *err, size_t errlen)
{
	struct console *c = calloc(1, sizeof *c);

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->h = h;
	c->conninfo = strdup(h->d->cfg->conninfo);
	c->todo_tail = &c->todo;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->ev_done = event_new(h->d->base, -1, 0, on_done, c);
	if (!c->ev_done || !c->conninfo) {
		snprintf(err, errlen, "out of memory");
		if (c->ev_done)
			event_free(c->ev_done);
		free(c->conninfo);
		free(c);
		return -1;
	}
	h->console = c;
	for (int i = 0; i < CON_WORKERS; i++) {
		struct worker_arg *wa = malloc(sizeof *wa);
		if (!wa)
			break;
		wa->c = c;
		wa->slot = i;
		if (pthread_create(&c->threads[i], NULL, worker, wa) != 0) {
			free(wa);
			break;
		}
		c->nthreads++;
	}
	if (c->nthreads == 0) {
		snprintf(err, errlen, "console: cannot start a worker thread");
		console_stop(h);
		return -1;
	}
	return 0;
}

void console_stop(struct http *h)
{
	struct console *c = h->console;

	if (!c)
		return;
	h->console = NULL;
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	for (struct con_job *j = c->todo; j; j = j->next)
		if (j->req) {
			http_reply(j->req, NULL, 503, "text/plain; charset=utf-8",
				   "shutting down\n", 14);
			j->req = NULL;
		}
	for (int i = 0; i < CON_WORKERS; i++)
		if (c->busy[i] && c->busy[i]->req) {
			http_reply(c->busy[i]->req, NULL, 503, "text/plain; charset=utf-8",
				   "shutting down\n", 14);
			c->busy[i]->req = NULL;
		}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	for (int i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	for (struct con_job *j = c->todo, *n; j; j = n) {
		n = j->next;
		job_free(j);
	}
	for (struct con_job *j = c->done, *n; j; j = n) {
		n = j->next;
		if (j->req)
			http_reply(j->req, NULL, 503, "text/plain; charset=utf-8",
				   "shutting down\n", 14);
		job_free(j);
	}
	event_free(c->ev_done);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->conninfo);
	free(c);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The client's address as text. */
static void peer_of(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const char *addr = NULL;
	ev_uint16_t port = 0;

	snprintf(out, len, "unknown");
	if (evcon) {
		evhttp_connection_get_peer(evcon, (char **)&addr, &port);
		if (addr)
			snprintf(out, len, "%s", addr);
	}
}

void console_request(struct http *h, struct evhttp_request *req, const char *path)
{
	struct console *c = h->console;
	const struct config *cfg = h->d->cfg;
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *inb = evhttp_request_get_input_buffer(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct con_job *j;
	struct pgarr chans;
	const char *nc;
	size_t len;

	if (!c) {
		http_reply(req, NULL, 503, "text/plain; charset=utf-8", "unavailable\n", 12);
		return;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		http_reply(req, NULL, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
		return;
	}
	j->req = req;
	j->in.method = cmd == EVHTTP_REQ_GET ? CON_GET
		: cmd == EVHTTP_REQ_HEAD     ? CON_HEAD
		: cmd == EVHTTP_REQ_POST     ? CON_POST
					     : CON_OTHER;
	j->in.path = strdup(path);
	j->in.query = dup_or_null(uri ? evhttp_uri_get_query(uri) : NULL);
	len = evbuffer_get_length(inb);
	j->in.body = malloc(len + 1);
	if (j->in.body) {
		evbuffer_copyout(inb, j->in.body, len);
		j->in.body[len] = '\0';
		j->in.blen = len;
	}
	j->in.cookie = dup_or_null(evhttp_find_header(ih, "Cookie"));
	j->in.accept_lang = dup_or_null(evhttp_find_header(ih, "Accept-Language"));
	peer_of(req, j->in.peer, sizeof j->in.peer);
	j->in.now = dunnd_now(h->d);
	j->in.idle_s = cfg->console_idle_timeout_s;
	j->in.absolute_s = cfg->console_absolute_timeout_s;
	j->in.secure = cfg->console_url && strncasecmp(cfg->console_url, "https://", 8) == 0;
	j->in.max_promise_days = cfg->policy->max_promise_days;
	j->in.dispute_target_days = cfg->policy->dispute_target_days;
	nc = caseops_notice_channels(cfg->policy, &chans);
	j->in.notice_channels = dup_or_null(nc);
	pgarr_free(&chans);
	j->in.company = dup_or_null(cfg->company);
	j->in.content_type = dup_or_null(evhttp_find_header(ih, "Content-Type"));
	/* The proxy's word on who this is, from the proxy alone. */
	if (config_trusted_proxy(cfg, j->in.peer))
		j->in.proxy_user = dup_or_null(evhttp_find_header(ih, cfg->console_user_header));
	if (!strcmp(path, "/console/policy") || !strcmp(path, "/console/dashboard"))
		j->in.cfg = config_hold(h->d->cfg);
	if (!j->in.path || !j->in.body || !j->in.notice_channels) {
		http_reply(req, NULL, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
		job_free(j);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (c->queued >= CON_MAX_QUEUED) {
		pthread_mutex_unlock(&c->mu);
		log_warn("console", "event=console_busy queued=%d", CON_MAX_QUEUED);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		http_reply(req, NULL, 503, "text/plain; charset=utf-8", "busy\n", 5);
		job_free(j);
		return;
	}
	*c->todo_tail = j;
	c->todo_tail = &j->next;
	c->queued++;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}
