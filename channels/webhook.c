/* webhook: a signed JSON POST per message, for letter, push and other
 * vendors that take a rendered message over HTTPS. libcurl's multi
 * interface on the daemon's loop (lib/curlev.c), one connection pool per
 * channel.
 *
 * Each request carries X-Dunn-Timestamp (wall-clock unix seconds at the
 * moment it goes on the wire, so a vendor's replay window works even for
 * a run with --at) and X-Dunn-Signature: sha256=<hex HMAC-SHA256(secret,
 * timestamp + "." + body)>, plus Idempotency-Key: dunnd-<delivery id>;
 * the body's "reference" is the delivery id too, so a vendor can drop a
 * message we send again after a lost answer.
 *
 * Flow control as in sms: max_inflight on the wire, up to max_queued more
 * wait inside the module, send() refuses only past both. */
#include <curl/curl.h>
#include <event2/event.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channel.h"
#include "config.h"
#include "curlev.h"
#include "log.h"
#include "sig.h"
#include "tz.h"

extern const struct channel_ops channel_module;

#define WH_CONNECT_TIMEOUT_MS 5000
#define WH_SECRET_MIN 16   /* bytes, as http.webhook_secret_file */
#define WH_ERROR_BODY 200  /* bytes of a refusal kept in last_error */

struct wh_xfer {
	struct wh_xfer *next; /* queue or done list */
	struct channel *ch;
	int64_t delivery_id;
	channel_done_fn done;
	void *arg;
	char *body;                 /* request body, owned */
	struct curl_slist *headers; /* this request's, owned */
	struct timespec started;
	struct channel_result result;
};

struct channel {
	char *instance;
	char *url;
	char *secret;               /* HMAC key, never logged */
	struct curl_slist *headers; /* static: ours, the token's, the configured ones */
	int max_inflight, max_queued, timeout_ms;
	struct curlev *cv;
	struct event *ev_done;
	struct wh_xfer *queue, *queue_tail; /* accepted, not started */
	struct wh_xfer *finished;           /* completed, callbacks pending */
	size_t queued, inflight;            /* inflight = all accepted, not yet reported */
	int closing;
};

static void xfer_free(struct wh_xfer *x)
{
	free(x->body);
	curl_slist_free_all(x->headers);
	free(x);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* ---- completion: results are handed back from an event, never from
 * inside send() or a curl callback. ---- */

static void finish(struct channel *ch, struct wh_xfer *x, enum channel_status st)
{
	struct wh_xfer **tail = &ch->finished;

	x->result.status = st;
	x->result.delivery_id = x->delivery_id;
	while (*tail)
		tail = &(*tail)->next; /* keep completion order */
	x->next = NULL;
	*tail = x;
	event_active(ch->ev_done, EV_READ, 0);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct wh_xfer *list = ch->finished, *x;

	(void)fd;
	(void)what;
	ch->finished = NULL;
	while ((x = list) != NULL) {
		list = x->next;
		ch->inflight--;
		x->done(&x->result, x->arg);
		xfer_free(x);
	}
}

static void log_result(const struct channel *ch, const struct wh_xfer *x, long code)
{
	const struct channel_result *r = &x->result;
	static const char *const names[] = {"sent", "retry", "failed", "bounced"};

	if (r->status == CHANNEL_SENT)
		log_info("webhook", "event=sent channel=%s delivery=%" PRId64 " provider_id=%s "
				    "http=%ld ms=%ld",
			 ch->instance, x->delivery_id, r->provider_id, code, ms_since(&x->started));
	else
		log_warn("webhook", "event=%s channel=%s delivery=%" PRId64 " http=%ld "
				    "retry_after=%d error=\"%s\"",
			 names[r->status], ch->instance, x->delivery_id, code, r->retry_after,
			 r->error);
}

/* ---- the vendor's answer ---- */

/* At most max bytes of s on one line: control characters become spaces,
 * a UTF-8 sequence is never cut in half. */
static void snippet(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n >= dstlen)
		n = dstlen - 1;
	if (n < len)
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	dst[n] = '\0';
}

static enum channel_status http_result(struct wh_xfer *x, const struct curlev_result *cr)
{
	struct channel_result *r = &x->result;
	char text[WH_ERROR_BODY + 1];

	if (cr->code >= 200 && cr->code < 300) {
		json_t *j = json_loadb(cr->body, cr->body_len, 0, NULL);
		json_t *id = json_object_get(j, "id");
		if (json_is_string(id) && *json_string_value(id))
			snprintf(r->provider_id, sizeof r->provider_id, "%s", json_string_value(id));
		else if (json_is_integer(id))
			snprintf(r->provider_id, sizeof r->provider_id, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(id));
		else /* accepted all the same: sending again would duplicate it */
			snprintf(r->error, sizeof r->error, "http %ld: accepted without an id",
				 cr->code);
		json_decref(j);
		return CHANNEL_SENT;
	}
	snippet(text, sizeof text, cr->body, cr->body_len, WH_ERROR_BODY);
	snprintf(r->error, sizeof r->error, "http %ld%s%s", cr->code, *text ? ": " : "", text);
	if (cr->code == 429 || cr->code >= 500 || cr->code == 408) {
		r->retry_after = cr->retry_after;
		return CHANNEL_RETRY;
	}
	if (cr->code >= 400)
		return CHANNEL_FAILED;
	return CHANNEL_RETRY; /* 1xx/3xx: not an answer we understand */
}

static enum channel_status curl_result(struct wh_xfer *x, const struct curlev_result *cr)
{
	struct channel_result *r = &x->result;

	if (cr->rc == CURLE_ABORTED_BY_CALLBACK) { /* curlev_abort() at close */
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

static void start_queued(struct channel *ch);

/* curlev: a transfer ended. */
static void xfer_done(CURL *easy, const struct curlev_result *cr, void *arg)
{
	struct wh_xfer *x = arg;
	struct channel *ch = x->ch;
	enum channel_status st;

	(void)easy;
	st = cr->rc == CURLE_OK ? http_result(x, cr) : curl_result(x, cr);
	x->result.status = st;
	log_result(ch, x, cr->code);
	finish(ch, x, st);
	start_queued(ch);
}

/* ---- sending ---- */

/* The channel's headers, then this request's timestamp and signature,
 * signed now: a message that waited in the queue is not stale on arrival. */
static struct curl_slist *request_headers(const struct channel *ch, const struct wh_xfer *x)
{
	struct curl_slist *h = NULL, *t;
	char ts[24], sig[SIG_DUNN_LEN], line[160];

	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	if (sig_dunn_sign(ch->secret, ts, x->body, strlen(x->body), sig) != 0)
		return NULL;
	for (const struct curl_slist *s = ch->headers; s; s = s->next) {
		if (!(t = curl_slist_append(h, s->data)))
			goto fail;
		h = t;
	}
	snprintf(line, sizeof line, "X-Dunn-Timestamp: %s", ts);
	if (!(t = curl_slist_append(h, line)))
		goto fail;
	h = t;
	snprintf(line, sizeof line, "X-Dunn-Signature: %s", sig);
	if (!(t = curl_slist_append(h, line)))
		goto fail;
	h = t;
	snprintf(line, sizeof line, "Idempotency-Key: dunnd-%" PRId64, x->delivery_id);
	if (!(t = curl_slist_append(h, line)))
		goto fail;
	return t;
fail:
	curl_slist_free_all(h);
	return NULL;
}

static int start_one(struct channel *ch, struct wh_xfer *x)
{
	CURL *e;

	x->headers = request_headers(ch, x);
	if (!x->headers || !(e = curl_easy_init()))
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, ch->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dunnd/" DUNN_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)WH_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	if (curlev_add(ch->cv, e, xfer_done, x) != 0) {
		curl_easy_cleanup(e);
		return -1;
	}
	return 0;
}

/* Move queued messages onto the wire while there is room. */
static void start_queued(struct channel *ch)
{
	while (ch->queue && curlev_inflight(ch->cv) < (size_t)ch->max_inflight && !ch->closing) {
		struct wh_xfer *x = ch->queue;
		ch->queue = x->next;
		if (!ch->queue)
			ch->queue_tail = NULL;
		ch->queued--;
		x->next = NULL;
		if (start_one(ch, x) != 0) {
			snprintf(x->result.error, sizeof x->result.error,
				 "cannot start transfer: out of memory");
			finish(ch, x, CHANNEL_RETRY);
		}
	}
}

/* The document a vendor gets. Caller frees. */
static char *build_body(const struct channel_msg *m)
{
	char sent_at[32];
	json_t *j;
	char *s;
	int bad = 0;

	tz_format_iso8601(m->now, sent_at, sizeof sent_at);
	j = json_pack("{s:I, s:s, s:s, s:I, s:s}", "delivery_id", (json_int_t)m->delivery_id,
		      "to", m->to_addr, "text", m->text, "reference", (json_int_t)m->delivery_id,
		      "sent_at", sent_at);
	if (!j)
		return NULL;
	if (m->to_name && *m->to_name)
		bad |= json_object_set_new(j, "name", json_string(m->to_name));
	if (m->subject)
		bad |= json_object_set_new(j, "subject", json_string(m->subject));
	if (m->html)
		bad |= json_object_set_new(j, "html", json_string(m->html));
	s = bad ? NULL : json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static int wh_send(struct channel *ch, const struct channel_msg *m, channel_done_fn done, void *arg)
{
	struct wh_xfer *x;

	if (ch->closing || (curlev_inflight(ch->cv) >= (size_t)ch->max_inflight &&
			    ch->queued >= (size_t)ch->max_queued))
		return -1;
	x = calloc(1, sizeof *x);
	if (!x)
		return -1;
	x->ch = ch;
	x->delivery_id = m->delivery_id;
	x->done = done;
	x->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &x->started);
	ch->inflight++;
	if (!m->to_addr || !*m->to_addr || !m->text || !*m->text) {
		snprintf(x->result.error, sizeof x->result.error,
			 m->text && *m->text ? "no recipient address" : "message text is empty");
		finish(ch, x, CHANNEL_FAILED);
		log_result(ch, x, 0);
		return 0;
	}
	/* NULL for text that is not UTF-8, too (jansson refuses it). */
	x->body = build_body(m);
	if (!x->body) {
		snprintf(x->result.error, sizeof x->result.error,
			 "cannot encode the message as JSON (not UTF-8?)");
		finish(ch, x, CHANNEL_FAILED);
		log_result(ch, x, 0);
		return 0;
	}
	if (ch->queue_tail)
		ch->queue_tail->next = x;
	else
		ch->queue = x;
	ch->queue_tail = x;
	ch->queued++;
	start_queued(ch);
	return 0;
}

static size_t wh_inflight(const struct channel *ch)
{
	return ch->inflight;
}

/* ---- setup ---- */

static void wh_free(struct channel *ch)
{
	curlev_free(ch->cv);
	if (ch->ev_done)
		event_free(ch->ev_done);
	if (ch->headers) { /* the Authorization line holds a token */
		for (struct curl_slist *s = ch->headers; s; s = s->next)
			explicit_bzero(s->data, strlen(s->data));
		curl_slist_free_all(ch->headers);
	}
	free(ch->instance);
	free(ch->url);
	if (ch->secret)
		explicit_bzero(ch->secret, strlen(ch->secret));
	free(ch->secret);
	free(ch);
}

/* An optional integer key; -1 (with err) when present but bad. */
static int conf_int(json_t *conf, const char *key, int def, int min, int max, const char *inst,
		    char *err, size_t errlen)
{
	json_t *v = json_object_get(conf, key);

	if (!v)
		return def;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "channel '%s': '%s' must be an integer from %d to %d", inst,
			 key, min, max);
		return -1;
	}
	return (int)json_integer_value(v);
}

static int header_name_ok(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return *s && strlen(s) < 64 && strspn(s, tchar) == strlen(s);
}

/* Headers the module sets itself, and Authorization: secrets are never
 * written in the config (auth_token_file sets it). */
static int header_reserved(const char *s)
{
	static const char *const names[] = {"content-type", "content-length", "host", "expect",
					    "transfer-encoding", "connection", "authorization",
					    "idempotency-key", "x-dunn-timestamp",
					    "x-dunn-signature", NULL};

	for (size_t i = 0; names[i]; i++)
		if (!strcasecmp(s, names[i]))
			return 1;
	return 0;
}

static int append(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (!t)
		return -1;
	*h = t;
	return 0;
}

static int setup_headers(struct channel *ch, json_t *extra, const char *token, char *err,
			 size_t errlen)
{
	const char *name;
	json_t *v;
	char *line = NULL;

	/* Never "Expect: 100-continue": one round trip per message. */
	if (append(&ch->headers, "Expect:") || append(&ch->headers, "Accept: application/json") ||
	    append(&ch->headers, "Content-Type: application/json"))
		goto oom;
	if (token) {
		int rc = asprintf(&line, "Authorization: Bearer %s", token) < 0 ? -1 : 0;
		if (rc == 0)
			rc = append(&ch->headers, line);
		if (line)
			explicit_bzero(line, strlen(line));
		free(line);
		if (rc)
			goto oom;
	}
	if (extra && !json_is_object(extra)) {
		snprintf(err, errlen, "channel '%s': 'headers' must be an object of strings",
			 ch->instance);
		return -1;
	}
	json_object_foreach(extra, name, v) {
		const char *val = json_string_value(v);
		if (!header_name_ok(name) || header_reserved(name)) {
			snprintf(err, errlen, "channel '%s': header '%s' %s", ch->instance, name,
				 header_reserved(name) ? "is set by the module" : "is not a valid name");
			return -1;
		}
		if (!val || strpbrk(val, "\r\n") || strlen(val) > 1024) {
			snprintf(err, errlen, "channel '%s': header '%s' must be a one-line string "
					      "(at most 1024 bytes)", ch->instance, name);
			return -1;
		}
		if (asprintf(&line, "%s: %s", name, val) < 0)
			goto oom;
		if (append(&ch->headers, line)) {
			free(line);
			goto oom;
		}
		free(line);
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static const char *const KEYS[] = {"module", "url", "secret_file", "auth_token_file",
				   "timeout_ms", "max_inflight", "max_queued", "headers", NULL};

static int keys_ok(json_t *conf, const char *inst, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(conf, k, v) {
		size_t i = 0;
		while (KEYS[i] && strcmp(KEYS[i], k))
			i++;
		if (!KEYS[i]) {
			snprintf(err, errlen, "channel '%s': unknown key '%s'", inst, k);
			return -1;
		}
	}
	return 0;
}

static struct channel *wh_init(const char *instance, json_t *conf, const struct channel_env *env,
			       char *err, size_t errlen)
{
	const char *url = json_string_value(json_object_get(conf, "url"));
	const char *secf = json_string_value(json_object_get(conf, "secret_file"));
	const char *tokf = json_string_value(json_object_get(conf, "auth_token_file"));
	char why[160], *token = NULL;
	struct channel *ch = calloc(1, sizeof *ch);

	if (!ch || !(ch->instance = strdup(instance))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (keys_ok(conf, instance, err, errlen) != 0)
		goto fail;
	if (!url || curlev_url_ok(url, "url", why, sizeof why) != 0) {
		snprintf(err, errlen, "channel '%s': %s", instance, url ? why : "'url' is required");
		goto fail;
	}
	if (!secf) {
		snprintf(err, errlen, "channel '%s': 'secret_file' is required", instance);
		goto fail;
	}
	ch->secret = config_read_secret(env->confdir, secf);
	if (!ch->secret || strlen(ch->secret) < WH_SECRET_MIN) {
		snprintf(err, errlen, "channel '%s': secret_file '%s' is unreadable or shorter "
				      "than %d bytes", instance, secf, WH_SECRET_MIN);
		goto fail;
	}
	if (tokf) {
		token = config_read_secret(env->confdir, tokf);
		if (!token || !*token || strpbrk(token, "\r\n")) {
			snprintf(err, errlen, "channel '%s': auth_token_file '%s' is unreadable, "
					      "empty or not one line", instance, tokf);
			goto fail;
		}
	}
	ch->max_inflight = conf_int(conf, "max_inflight", 16, 1, 4096, instance, err, errlen);
	ch->max_queued = conf_int(conf, "max_queued", 4096, 0, 1 << 20, instance, err, errlen);
	ch->timeout_ms = conf_int(conf, "timeout_ms", 10000, 100, 600000, instance, err, errlen);
	if (ch->max_inflight < 0 || ch->max_queued < 0 || ch->timeout_ms < 0)
		goto fail;
	if (setup_headers(ch, json_object_get(conf, "headers"), token, err, errlen) != 0)
		goto fail;
	ch->url = strdup(url);
	/* A warm connection for every transfer that may run at once. */
	ch->cv = curlev_new(env->base, (long)ch->max_inflight);
	ch->ev_done = event_new(env->base, -1, 0, done_cb, ch);
	if (!ch->url || !ch->cv || !ch->ev_done) {
		snprintf(err, errlen, "channel '%s': cannot set up curl", instance);
		goto fail;
	}
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	return ch;
fail:
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	if (ch)
		wh_free(ch);
	return NULL;
}

/* Stop accepting; give transfers on the wire up to timeout_ms to finish
 * (the loop may be gone, so curl polls by itself), report the rest as
 * retries, and free everything. */
static void wh_close(struct channel *ch)
{
	struct wh_xfer *x;

	ch->closing = 1;
	while ((x = ch->queue) != NULL) {
		ch->queue = x->next;
		ch->queued--;
		snprintf(x->result.error, sizeof x->result.error, "channel closed before sending");
		finish(ch, x, CHANNEL_RETRY);
	}
	ch->queue_tail = NULL;
	if (curlev_drain(ch->cv, ch->timeout_ms) > 0)
		curlev_abort(ch->cv); /* each reported as a retry by xfer_done */
	done_cb(-1, 0, ch);
	wh_free(ch);
}

const struct channel_ops channel_module = {
	.name = "webhook",
	.abi = CHANNEL_ABI,
	.caps = CHANNEL_CAP_SUBJECT | CHANNEL_CAP_HTML,
	.init = wh_init,
	.send = wh_send,
	.inflight = wh_inflight,
	.close = wh_close,
};
