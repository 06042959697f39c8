/* httpq: the send path the HTTP channel modules (sms, webhook) share,
 * between their send() and curlev: flow control, completion on the loop
 * and close. The module says how one message becomes a request and what
 * an answer means (struct httpq_ops); httpq does the bookkeeping.
 *
 * Flow control: at most max_inflight transfers run at once; messages past
 * that wait in a FIFO (up to max_queued more), so send() only refuses (-1,
 * the dispatcher retries a minute later) when httpq_full() says even the
 * queue is full.
 *
 * Completion: a result is handed to its channel_done_fn from a loop
 * event, never from inside send() or a curl callback, in the order the
 * messages finished. */
#ifndef DUNN_HTTPQ_H
#define DUNN_HTTPQ_H

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "channel.h"
#include "curlev.h"

#define HTTPQ_CONNECT_TIMEOUT_MS 5000

struct httpq;

/* One message. The module embeds it as the first member of its own
 * struct (so an httpq_item * converts back to it) and allocates that;
 * httpq links it and hands it to ops->free once its done callback ran. */
struct httpq_item {
	struct httpq_item *next; /* httpq's: queue or done list */
	struct httpq *q;         /* httpq's: set when accepted */
	int64_t delivery_id;
	channel_done_fn done;
	void *arg;
	struct timespec started;      /* accepted, then put on the wire */
	struct channel_result result; /* the module writes error and provider_id,
					 httpq status, delivery_id and retry_after */
};

/* What the module decides; ctx is the one given to httpq_new(). */
struct httpq_ops {
	/* Finish easy for it: URL, headers, body, auth (httpq has set the
	 * protocols, TLS checks, timeouts, keepalive and user agent). The
	 * body and headers must outlive the transfer: keep them in the item.
	 * 0, or -1 when it cannot (then reported as a retry). */
	int (*start)(void *ctx, struct httpq_item *it, CURL *easy);
	/* What an HTTP answer means: write provider_id or error into
	 * it->result and return the status (httpq_refusal() for the usual
	 * non-2xx rules). Transport errors never get here. */
	enum channel_status (*answer)(void *ctx, struct httpq_item *it,
				      const struct curlev_result *cr);
	/* Log a result (it->result.status is set); http is 0 without an answer. */
	void (*log)(void *ctx, const struct httpq_item *it, long http);
	/* Free the module's struct around it. */
	void (*free)(struct httpq_item *it);
};

struct httpq_limits {
	int max_inflight, max_queued, timeout_ms;
};

/* The rows of the options httpq_limits_read reads, for a module's table
 * (channel.h); inflight is max_inflight's default, a number. */
#define HTTPQ_OPT_ROWS(inflight)                                                \
	{"timeout_ms",                                                          \
	 CHANNEL_OPT_MILLIS,                                                    \
	 "10000",                                                               \
	 100,                                                                   \
	 600000,                                                                \
	 NULL,                                                                  \
	 0,                                                                     \
	 "a request's whole exchange within it"},                               \
		{"max_inflight",                                                \
		 CHANNEL_OPT_INT,                                               \
		 #inflight,                                                     \
		 1,                                                             \
		 4096,                                                          \
		 NULL,                                                          \
		 0,                                                             \
		 "requests on the wire at once"},                               \
	{                                                                       \
		"max_queued", CHANNEL_OPT_INT, "4096", 0, 1 << 20, NULL, 0,     \
			"messages waiting beyond those; past it send() refuses" \
	}

/* The channel's max_inflight (default def_inflight), max_queued (4096)
 * and timeout_ms (10000) keys. 0, or -1 with a reason naming instance. */
int httpq_limits_read(json_t *conf, const char *instance, int def_inflight,
		      struct httpq_limits *lim, char *err, size_t errlen);

/* A queue on base with its own curlev (a warm connection for every
 * transfer that may run at once). ops and ctx must outlive it. NULL on
 * failure. */
struct httpq *httpq_new(struct event_base *base, const struct httpq_limits *lim,
			const struct httpq_ops *ops, void *ctx);
/* Nonzero when send() must refuse: closing, or max_inflight on the wire
 * and max_queued waiting. */
int httpq_full(const struct httpq *q);
/* Fill the item's own fields for m; the clock for httpq_item_ms() starts. */
void httpq_item_init(struct httpq_item *it, const struct channel_msg *m, channel_done_fn done,
		     void *arg);
/* Accept it: queue it and start what there is room for. httpq owns it
 * from here on; its done callback comes from the loop. */
void httpq_push(struct httpq *q, struct httpq_item *it);
/* Accept it without sending: report st (error already in it->result),
 * logged, through the loop like any other result. httpq owns it. */
void httpq_reject(struct httpq *q, struct httpq_item *it, enum channel_status st);
/* Messages accepted and not yet reported. */
size_t httpq_inflight(const struct httpq *q);
/* Milliseconds since the item was accepted or, once started, put on the wire. */
long httpq_item_ms(const struct httpq_item *it);
/* The usual meaning of a non-2xx answer: 429, 408 and 5xx are retried
 * (r->retry_after taken from the answer), other 4xx fail, anything else
 * (1xx, 3xx) is retried. */
enum channel_status httpq_refusal(const struct curlev_result *cr, struct channel_result *r);
/* Stop accepting; report what waits in the queue as retries, give
 * transfers on the wire up to timeout_ms to finish (the loop may be gone,
 * so curl polls by itself), report the rest as retries; every done
 * callback runs before it returns. Then free q. NULL is fine. */
void httpq_close(struct httpq *q);

#endif
