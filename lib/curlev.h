/* curlev: libcurl's multi interface driven by a libevent loop (curl's
 * hiperfifo pattern): curl says which sockets to watch and when to time
 * out, libevent says when something happened. One curlev per channel
 * keeps its connections alive between transfers.
 *
 * Each transfer carries its own back-pointer (CURLOPT_PRIVATE), error
 * buffer, response body (capped) and Retry-After, handed to its done
 * callback once; the easy handle is cleaned up right after. */
#ifndef DUNN_CURLEV_H
#define DUNN_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>
#include <stddef.h>

#define CURLEV_BODY_MAX (64 * 1024)  /* response bytes kept; the rest is read and dropped */
#define CURLEV_RETRY_AFTER_MAX 86400 /* a longer Retry-After is cut to this */

struct curlev;

/* How one transfer ended; valid only during the done callback. */
struct curlev_result {
	CURLcode rc;       /* CURLE_OK: an HTTP answer came; CURLE_ABORTED_BY_CALLBACK:
			      ended by curlev_abort() */
	long code;         /* HTTP status, 0 without an answer */
	const char *error; /* one line: curl's message, or "" when rc is CURLE_OK */
	const char *body;  /* response body, NUL-terminated, never NULL */
	size_t body_len;
	int retry_after; /* Retry-After in seconds (the HTTP-date form is ignored), 0 = none */
};

/* Called on the loop thread, once per added transfer, outside any curl
 * call: it may add new transfers. easy is cleaned up when it returns. */
typedef void (*curlev_done_fn)(CURL *easy, const struct curlev_result *r, void *arg);

/* A multi handle on base keeping up to maxconnects idle connections.
 * NULL on failure. Also does curl_global_init once (single-threaded
 * start-up only). */
struct curlev *curlev_new(struct event_base *base, long maxconnects);
/* Start easy (URL, method, body and headers already set; curlev sets
 * PRIVATE, ERRORBUFFER, NOSIGNAL and the write and header callbacks).
 * 0: curlev owns easy and calls done exactly once. -1: nothing started,
 * the caller still owns easy. */
int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *arg);
/* Transfers added and not yet reported. */
size_t curlev_inflight(const struct curlev *cv);
/* Drive the transfers without the loop (which may be gone: shutdown)
 * until none is left or ms have passed; done callbacks run as they end.
 * Returns how many are still running. */
size_t curlev_drain(struct curlev *cv, long ms);
/* End every running transfer now, reporting each with
 * CURLE_ABORTED_BY_CALLBACK. */
void curlev_abort(struct curlev *cv);
/* Free the handle; call curlev_abort() first if transfers may remain
 * (those are dropped without a callback). NULL is fine. */
void curlev_free(struct curlev *cv);

/* A provider URL policy: https anywhere, plain http only to this machine
 * (127.0.0.1, localhost, [::1]: tests, a local relay). 0, or -1 with a
 * reason naming key. */
int curlev_url_ok(const char *url, const char *key, char *why, size_t whylen);

#endif
