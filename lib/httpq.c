/* httpq: the HTTP channel modules' send path; see httpq.h. */
#include "httpq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "utf8.h"

struct httpq {
	struct httpq_limits lim;
	const struct httpq_ops *ops;
	void *ctx;
	struct curlev *cv;                     /* transfers on the wire */
	struct event *ev_done;                 /* runs the done callbacks */
	struct httpq_item *queue, *queue_tail; /* accepted, not started */
	struct httpq_item *finished;           /* completed, callbacks pending */
	size_t queued, inflight;               /* inflight = all accepted, not yet reported */
	int closing;
};

/* ---- completion: results are handed back from an event, never from
 * inside send() or a curl callback. ---- */

/* Whatever a module copied from an answer: valid UTF-8 on one line
 * before it is logged or handed on to be stored. */
static void result_make_safe(struct channel_result *r)
{
	utf8_escape_into(r->error, sizeof r->error, r->error, strnlen(r->error, sizeof r->error));
	utf8_escape_into(r->provider_id, sizeof r->provider_id, r->provider_id,
			 strnlen(r->provider_id, sizeof r->provider_id));
}

static void finish(struct httpq *q, struct httpq_item *it, enum channel_status st)
{
	struct httpq_item **tail = &q->finished;

	result_make_safe(&it->result);
	it->result.status = st;
	it->result.delivery_id = it->delivery_id;
	while (*tail)
		tail = &(*tail)->next; /* keep completion order */
	it->next = NULL;
	*tail = it;
	event_active(q->ev_done, EV_READ, 0);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpq *q = arg;
	struct httpq_item *list = q->finished, *it;

	(void)fd;
	(void)what;
	q->finished = NULL;
	while ((it = list) != NULL) {
		list = it->next;
		q->inflight--;
		it->done(&it->result, it->arg);
		q->ops->free(it);
	}
}

/* ---- a transfer's end ---- */

/* No HTTP answer: curl's error, or curlev_abort() at close. */
static enum channel_status transport_result(struct httpq_item *it, const struct curlev_result *cr)
{
	struct channel_result *r = &it->result;

	if (cr->rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(r->error, sizeof r->error, "channel closed with the request in flight");
		return CHANNEL_RETRY;
	}
	snprintf(r->error, sizeof r->error, "curl %d: %.200s", (int)cr->rc, cr->error);
	switch (cr->rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		return CHANNEL_FAILED;
	default: /* timeouts, refused, reset, TLS trouble: try again later */
		return CHANNEL_RETRY;
	}
}

enum channel_status httpq_refusal(const struct curlev_result *cr, struct channel_result *r)
{
	if (cr->code == 429 || cr->code >= 500 || cr->code == 408) {
		r->retry_after = cr->retry_after;
		return CHANNEL_RETRY;
	}
	if (cr->code >= 400)
		return CHANNEL_FAILED;
	return CHANNEL_RETRY; /* 1xx/3xx: not an answer we understand */
}

static void start_queued(struct httpq *q);

/* curlev: a transfer ended. */
static void xfer_done(CURL *easy, const struct curlev_result *cr, void *arg)
{
	struct httpq_item *it = arg;
	struct httpq *q = it->q;
	enum channel_status st;

	(void)easy;
	st = cr->rc == CURLE_OK ? q->ops->answer(q->ctx, it, cr) : transport_result(it, cr);
	it->result.status = st;
	result_make_safe(&it->result);
	q->ops->log(q->ctx, it, cr->code);
	finish(q, it, st);
	start_queued(q);
}

/* ---- sending ---- */

/* The options every request shares; ops->start adds the module's. */
static int start_one(struct httpq *q, struct httpq_item *it)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -1;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dunnd/" DUNN_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTPQ_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)q->lim.timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (q->ops->start(q->ctx, it, e) != 0) {
		curl_easy_cleanup(e);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &it->started);
	if (curlev_add(q->cv, e, xfer_done, it) != 0) {
		curl_easy_cleanup(e);
		return -1;
	}
	return 0;
}

/* Move queued messages onto the wire while there is room. */
static void start_queued(struct httpq *q)
{
	while (q->queue && curlev_inflight(q->cv) < (size_t)q->lim.max_inflight && !q->closing) {
		struct httpq_item *it = q->queue;
		q->queue = it->next;
		if (!q->queue)
			q->queue_tail = NULL;
		q->queued--;
		it->next = NULL;
		if (start_one(q, it) != 0) {
			snprintf(it->result.error, sizeof it->result.error,
				 "cannot start transfer: out of memory");
			finish(q, it, CHANNEL_RETRY);
		}
	}
}

int httpq_full(const struct httpq *q)
{
	return q->closing ||
		(curlev_inflight(q->cv) >= (size_t)q->lim.max_inflight &&
		 q->queued >= (size_t)q->lim.max_queued);
}

void httpq_item_init(struct httpq_item *it, const struct channel_msg *m, channel_done_fn done,
		     void *arg)
{
	it->delivery_id = m->delivery_id;
	it->done = done;
	it->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &it->started);
}

void httpq_push(struct httpq *q, struct httpq_item *it)
{
	it->q = q;
	it->next = NULL;
	q->inflight++;
	if (q->queue_tail)
		q->queue_tail->next = it;
	else
		q->queue = it;
	q->queue_tail = it;
	q->queued++;
	start_queued(q);
}

void httpq_reject(struct httpq *q, struct httpq_item *it, enum channel_status st)
{
	it->q = q;
	q->inflight++;
	finish(q, it, st);
	q->ops->log(q->ctx, it, 0);
}

size_t httpq_inflight(const struct httpq *q)
{
	return q->inflight;
}

long httpq_item_ms(const struct httpq_item *it)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - it->started.tv_sec) * 1000 +
		      (t.tv_nsec - it->started.tv_nsec) / 1000000);
}

/* ---- setup and teardown ---- */

int httpq_limits_read(json_t *conf, const char *instance, int def_inflight,
		      struct httpq_limits *lim, char *err, size_t errlen)
{
	/* Each key is read even after a bad one: the last problem is reported. */
	lim->max_inflight = config_channel_int(conf, "max_inflight", def_inflight, 1, 4096,
					       instance, err, errlen);
	lim->max_queued = config_channel_int(conf, "max_queued", 4096, 0, 1 << 20, instance, err,
					     errlen);
	lim->timeout_ms = config_channel_int(conf, "timeout_ms", 10000, 100, 600000, instance, err,
					     errlen);
	return lim->max_inflight < 0 || lim->max_queued < 0 || lim->timeout_ms < 0 ? -1 : 0;
}

struct httpq *httpq_new(struct event_base *base, const struct httpq_limits *lim,
			const struct httpq_ops *ops, void *ctx)
{
	struct httpq *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->lim = *lim;
	q->ops = ops;
	q->ctx = ctx;
	/* A warm connection for every transfer that may run at once. */
	q->cv = curlev_new(base, (long)lim->max_inflight);
	q->ev_done = event_new(base, -1, 0, done_cb, q);
	if (!q->cv || !q->ev_done) {
		httpq_close(q);
		return NULL;
	}
	return q;
}

void httpq_close(struct httpq *q)
{
	struct httpq_item *it;

	if (!q)
		return;
	q->closing = 1;
	while ((it = q->queue) != NULL) {
		q->queue = it->next;
		q->queued--;
		snprintf(it->result.error, sizeof it->result.error,
			 "channel closed before sending");
		finish(q, it, CHANNEL_UNSENT);
	}
	q->queue_tail = NULL;
	if (q->cv && curlev_drain(q->cv, q->lim.timeout_ms) > 0)
		curlev_abort(q->cv); /* each reported as a retry by xfer_done */
	done_cb(-1, 0, q);
	curlev_free(q->cv);
	if (q->ev_done)
		event_free(q->ev_done);
	free(q);
}
