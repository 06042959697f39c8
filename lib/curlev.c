/* curlev: curl multi on libevent; see curlev.h. */
#include "curlev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "utf8.h"

struct curlev_xfer {
	struct curlev_xfer *prev, *next; /* the handle's running transfers */
	CURL *easy;
	curlev_done_fn done;
	void *arg;
	char *body;
	size_t body_len;
	int retry_after;
	char errbuf[CURL_ERROR_SIZE];
};

struct curlev_sock {
	struct event *ev;
	struct curlev_sock *prev, *next; /* all of the handle's, for cleanup */
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *ev_timer;
	struct curlev_xfer *xfers;
	size_t running;
	struct curlev_sock *socks;
};

/* ---- one transfer ---- */

static void xfer_unlink(struct curlev *cv, struct curlev_xfer *x)
{
	curl_multi_remove_handle(cv->multi, x->easy);
	if (x->prev)
		x->prev->next = x->next;
	else
		cv->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	cv->running--;
}

static void xfer_free(struct curlev_xfer *x)
{
	curl_easy_cleanup(x->easy);
	free(x->body);
	free(x);
}

/* Report an unlinked transfer to its owner, then free it. */
static void xfer_report(struct curlev_xfer *x, CURLcode rc, long code)
{
	struct curlev_result r = {0};
	char error[CURL_ERROR_SIZE];

	error[0] = '\0';
	if (rc != CURLE_OK) {
		const char *e = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

		/* curl's words can quote the server's (a status line, a name):
		 * valid UTF-8, on one line. */
		utf8_sanitize_into(error, sizeof error, e, strcspn(e, "\r\n"));
	}
	r.rc = rc;
	r.code = code;
	r.error = error;
	r.body = x->body ? x->body : "";
	r.body_len = x->body_len;
	r.retry_after = x->retry_after;
	x->done(x->easy, &r, x->arg);
	xfer_free(x);
}

static void check_multi_info(struct curlev *cv)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(cv->multi, &left)) != NULL) {
		struct curlev_xfer *x = NULL;
		CURLcode rc = m->data.result;
		long code = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		xfer_unlink(cv, x); /* m is invalid from here on */
		xfer_report(x, rc, code);
	}
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct curlev_xfer *x = userp;
	size_t len = size * n, keep = len;

	if (x->body_len + keep > CURLEV_BODY_MAX)
		keep = CURLEV_BODY_MAX - x->body_len;
	if (keep) {
		char *p = realloc(x->body, x->body_len + keep + 1);
		if (!p)
			return 0;
		memcpy(p + x->body_len, data, keep);
		x->body = p;
		x->body_len += keep;
		p[x->body_len] = '\0';
	}
	return len;
}

static size_t header_cb(char *data, size_t size, size_t n, void *userp)
{
	struct curlev_xfer *x = userp;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		x->retry_after = 0; /* a new response (after 100 Continue, say) */
	} else if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
		const char *p = data + sizeof name - 1, *end = data + len;
		long v = 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p >= '0' && *p <= '9') {
			while (p < end && *p >= '0' && *p <= '9' && v <= CURLEV_RETRY_AFTER_MAX)
				v = v * 10 + (*p++ - '0');
			x->retry_after = (int)(v > CURLEV_RETRY_AFTER_MAX ? CURLEV_RETRY_AFTER_MAX
									  : v);
		}
	}
	return len;
}

/* ---- curl <-> libevent glue ---- */

static void sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *cv = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		(what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int still;

	curl_multi_socket_action(cv->multi, fd, flags, &still);
	check_multi_info(cv);
}

static void timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *cv = arg;
	int still;

	(void)fd;
	(void)what;
	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	check_multi_info(cv);
}

/* CURLMOPT_TIMERFUNCTION: one timer per multi handle. */
static int multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlev *cv = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(cv->ev_timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(cv->ev_timer, &tv);
}

static void sock_free(struct curlev *cv, struct curlev_sock *ss)
{
	if (ss->ev)
		event_free(ss->ev);
	if (ss->prev)
		ss->prev->next = ss->next;
	else
		cv->socks = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	free(ss);
}

/* CURLMOPT_SOCKETFUNCTION: watch what curl asks for on each socket. */
static int multi_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlev *cv = userp;
	struct curlev_sock *ss = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ss) {
			sock_free(cv, ss);
			curl_multi_assign(cv->multi, s, NULL);
		}
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) |
		       EV_PERSIST);
	if (!ss) {
		ss = calloc(1, sizeof *ss);
		if (!ss)
			return -1;
		ss->next = cv->socks;
		if (cv->socks)
			cv->socks->prev = ss;
		cv->socks = ss;
		curl_multi_assign(cv->multi, s, ss);
	} else {
		event_free(ss->ev);
	}
	ss->ev = event_new(cv->base, s, kind, sock_event, cv);
	if (!ss->ev)
		return -1;
	return event_add(ss->ev, NULL);
}

/* ---- the API ---- */

struct curlev *curlev_new(struct event_base *base, long maxconnects)
{
	static int curl_ready;
	struct curlev *cv;

	if (!curl_ready) {
		/* The daemon is single-threaded at init; curl's global state once. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = 1;
	}
	cv = calloc(1, sizeof *cv);
	if (!cv)
		return NULL;
	cv->base = base;
	cv->multi = curl_multi_init();
	cv->ev_timer = evtimer_new(base, timer_event, cv);
	if (!cv->multi || !cv->ev_timer) {
		curlev_free(cv);
		return NULL;
	}
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, multi_sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	/* Keep a warm connection for every transfer that may run at once. */
	curl_multi_setopt(cv->multi, CURLMOPT_MAXCONNECTS, maxconnects);
	return cv;
}

int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *arg)
{
	struct curlev_xfer *x = calloc(1, sizeof *x);

	if (!x)
		return -1;
	x->easy = easy;
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, x);
	if (curl_multi_add_handle(cv->multi, easy) != CURLM_OK) {
		/* The caller keeps easy: leave nothing of ours pointing into it. */
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -1;
	}
	x->next = cv->xfers;
	if (cv->xfers)
		cv->xfers->prev = x;
	cv->xfers = x;
	cv->running++;
	return 0;
}

size_t curlev_inflight(const struct curlev *cv)
{
	return cv->running;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

size_t curlev_drain(struct curlev *cv, long ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (cv->running > 0 && ms_since(&t0) < ms) {
		int still;
		curl_multi_perform(cv->multi, &still);
		check_multi_info(cv);
		if (cv->running > 0)
			curl_multi_poll(cv->multi, NULL, 0, 100, NULL);
	}
	return cv->running;
}

void curlev_abort(struct curlev *cv)
{
	struct curlev_xfer *x;

	while ((x = cv->xfers) != NULL) {
		xfer_unlink(cv, x);
		xfer_report(x, CURLE_ABORTED_BY_CALLBACK, 0);
	}
}

void curlev_free(struct curlev *cv)
{
	struct curlev_xfer *x;

	if (!cv)
		return;
	while ((x = cv->xfers) != NULL) {
		xfer_unlink(cv, x);
		xfer_free(x);
	}
	if (cv->multi)
		curl_multi_cleanup(cv->multi);
	while (cv->socks) /* those curl did not hand back while cleaning up */
		sock_free(cv, cv->socks);
	if (cv->ev_timer)
		event_free(cv->ev_timer);
	free(cv);
}

int curlev_url_ok(const char *url, const char *key, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (strcmp(scheme, "https") == 0)
			ok = 1;
		else if (strcmp(scheme, "http") == 0)
			ok = !strcmp(host, "127.0.0.1") || !strcasecmp(host, "localhost") ||
				!strcmp(host, "[::1]");
		if (!ok)
			snprintf(why, whylen,
				 "'%s' must be https:// (http:// only for "
				 "127.0.0.1 or localhost)",
				 key);
	} else {
		snprintf(why, whylen, "'%s' is not a valid URL", key);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}
