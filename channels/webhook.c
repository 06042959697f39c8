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
 * Flow control (max_inflight on the wire, up to max_queued more wait,
 * send() refuses only past both), completion on the loop and close are
 * lib/httpq.c's, shared with sms. */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "channel.h"
#include "config.h"
#include "delivery_status.h"
#include "httpq.h"
#include "log.h"
#include "sig.h"
#include "tz.h"
#include "utf8.h"

extern const struct channel_ops channel_module;

#define WH_SECRET_MIN 16  /* bytes, as http.webhook_secret_file */
#define WH_ERROR_BODY 200 /* bytes of a refusal kept in last_error */

struct wh_xfer {
	struct httpq_item q;        /* first: httpq hands it back */
	char *body;                 /* request body, owned */
	struct curl_slist *headers; /* this request's, owned */
};

struct channel {
	char *instance;
	char *url;
	char *secret;               /* HMAC key, never logged */
	struct curl_slist *headers; /* static: ours, the token's, the configured ones */
	struct httpq *q;
};

/* httpq: after the done callback. */
static void xfer_free(struct httpq_item *it)
{
	struct wh_xfer *x = (struct wh_xfer *)it;

	free(x->body);
	curl_slist_free_all(x->headers);
	free(x);
}

/* httpq: log a result. */
static void log_result(void *ctx, const struct httpq_item *it, long code)
{
	const struct channel *ch = ctx;
	const struct channel_result *r = &it->result;

	if (r->status == CHANNEL_SENT)
		log_info("webhook",
			 "event=sent channel=%s delivery=%" PRId64 " provider_id=%s "
			 "http=%ld ms=%ld",
			 ch->instance, it->delivery_id, r->provider_id, code, httpq_item_ms(it));
	else
		log_warn("webhook",
			 "event=%s channel=%s delivery=%" PRId64 " http=%ld "
			 "retry_after=%d error=\"%s\"",
			 delivery_status_name(delivery_status_from_channel(r->status)),
			 ch->instance, it->delivery_id, code, r->retry_after, r->error);
}

/* ---- the vendor's answer ---- */

/* At most max bytes of s on one line, valid UTF-8 whatever the vendor
 * sent (a Latin-1 "Requ\xeate invalide"): invalid bytes become U+FFFD,
 * control characters spaces, and a character is never cut in half. */
static void snippet(char *dst, size_t dstlen, const char *s, size_t len, size_t max)
{
	size_t n = utf8_sanitize_into(dst, max + 1 < dstlen ? max + 1 : dstlen, s, len);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dst[i];

		if (c < 0x20 || c == 0x7f)
			dst[i] = ' ';
		else if (c == 0xC2 && i + 1 < n && (unsigned char)dst[i + 1] <= 0x9F)
			dst[i] = dst[i + 1] = ' '; /* C1, U+0080..U+009F */
	}
}

/* httpq: what the vendor's answer means. */
static enum channel_status http_result(void *ctx, struct httpq_item *it,
				       const struct curlev_result *cr)
{
	struct channel_result *r = &it->result;
	char text[WH_ERROR_BODY + 1];

	(void)ctx;
	if (cr->code >= 200 && cr->code < 300) {
		json_t *j = json_loadb(cr->body, cr->body_len, 0, NULL);
		json_t *id = json_object_get(j, "id");
		if (json_is_string(id) && *json_string_value(id))
			utf8_escape_into(r->provider_id, sizeof r->provider_id,
					 json_string_value(id), strlen(json_string_value(id)));
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
	return httpq_refusal(cr, r);
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
	snprintf(line, sizeof line, "Idempotency-Key: dunnd-%" PRId64, x->q.delivery_id);
	if (!(t = curl_slist_append(h, line)))
		goto fail;
	return t;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* httpq: the request for one message (httpq set the common options). */
static int start_one(void *ctx, struct httpq_item *it, CURL *e)
{
	const struct channel *ch = ctx;
	struct wh_xfer *x = (struct wh_xfer *)it;

	x->headers = request_headers(ch, x);
	if (!x->headers)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, ch->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	return 0;
}

static const struct httpq_ops wh_httpq = {
	.start = start_one,
	.answer = http_result,
	.log = log_result,
	.free = xfer_free,
};

/* The document a vendor gets. Caller frees. */
static char *build_body(const struct channel_msg *m)
{
	char sent_at[32];
	json_t *j;
	char *s;
	int bad = 0;

	tz_format_iso8601(m->now, sent_at, sizeof sent_at);
	j = json_pack("{s:I, s:s, s:s, s:I, s:s}", "delivery_id", (json_int_t)m->delivery_id, "to",
		      m->to_addr, "text", m->text, "reference", (json_int_t)m->delivery_id,
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
	struct channel_result *r;

	if (httpq_full(ch->q))
		return -1;
	x = calloc(1, sizeof *x);
	if (!x)
		return -1;
	httpq_item_init(&x->q, m, done, arg);
	r = &x->q.result;
	if (!m->to_addr || !*m->to_addr || !m->text || !*m->text) {
		snprintf(r->error, sizeof r->error,
			 m->text && *m->text ? "no recipient address" : "message text is empty");
		httpq_reject(ch->q, &x->q, CHANNEL_FAILED);
		return 0;
	}
	/* NULL for text that is not UTF-8, too (jansson refuses it). */
	x->body = build_body(m);
	if (!x->body) {
		snprintf(r->error, sizeof r->error,
			 "cannot encode the message as JSON (not UTF-8?)");
		httpq_reject(ch->q, &x->q, CHANNEL_FAILED);
		return 0;
	}
	httpq_push(ch->q, &x->q);
	return 0;
}

static size_t wh_inflight(const struct channel *ch)
{
	return httpq_inflight(ch->q);
}

/* ---- setup ---- */

static void wh_free(struct channel *ch)
{
	httpq_close(ch->q);
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
	static const char *const names[] = {"content-type",
					    "content-length",
					    "host",
					    "expect",
					    "transfer-encoding",
					    "connection",
					    "authorization",
					    "idempotency-key",
					    "x-dunn-timestamp",
					    "x-dunn-signature",
					    NULL};

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
	json_object_foreach(extra, name, v)
	{
		const char *val = json_string_value(v);
		if (!header_name_ok(name) || header_reserved(name)) {
			snprintf(err, errlen, "channel '%s': header '%s' %s", ch->instance, name,
				 header_reserved(name) ? "is set by the module"
						       : "is not a valid name");
			return -1;
		}
		if (!val || strpbrk(val, "\r\n") || strlen(val) > 1024) {
			snprintf(err, errlen,
				 "channel '%s': header '%s' must be a one-line string "
				 "(at most 1024 bytes)",
				 ch->instance, name);
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

/* The options of a webhook instance (channel.h, struct channel_opt). */
static const struct channel_opt wh_opts[] = {
	{"url", CHANNEL_OPT_URL, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "where each message is POSTed (https; http only to 127.0.0.1 or localhost)"},
	{"secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the HMAC key (16 bytes or more) of X-Dunn-Signature"},
	{"auth_token_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, 0,
	 "sent as Authorization: Bearer"},
	{"headers", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, 0, "extra static headers, name to value"},
	HTTPQ_OPT_ROWS(16),
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static struct channel *wh_init(const char *instance, json_t *conf, const struct channel_env *env,
			       char *err, size_t errlen)
{
	const char *url = json_string_value(json_object_get(conf, "url"));
	const char *secf = json_string_value(json_object_get(conf, "secret_file"));
	const char *tokf = json_string_value(json_object_get(conf, "auth_token_file"));
	char why[512], *token = NULL;
	struct httpq_limits lim;
	struct channel *ch = calloc(1, sizeof *ch);

	if (!ch || !(ch->instance = strdup(instance))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!url || curlev_url_ok(url, "url", why, sizeof why) != 0) {
		snprintf(err, errlen, "channel '%s': %s", instance,
			 url ? why : "'url' is required");
		goto fail;
	}
	if (!secf) {
		snprintf(err, errlen, "channel '%s': 'secret_file' is required", instance);
		goto fail;
	}
	ch->secret = config_read_secret(env->confdir, secf, why, sizeof why);
	if (!ch->secret || strlen(ch->secret) < WH_SECRET_MIN) {
		if (ch->secret)
			snprintf(why, sizeof why, "'%s' is shorter than %d bytes", secf,
				 WH_SECRET_MIN);
		snprintf(err, errlen, "channel '%s': secret_file: %s", instance, why);
		goto fail;
	}
	if (tokf) {
		token = config_read_secret(env->confdir, tokf, why, sizeof why);
		if (!token || !*token || strpbrk(token, "\r\n")) {
			if (token)
				snprintf(why, sizeof why, "'%s' is empty or not one line", tokf);
			snprintf(err, errlen, "channel '%s': auth_token_file: %s", instance, why);
			goto fail;
		}
	}
	if (httpq_limits_read(conf, instance, 16, &lim, err, errlen) != 0)
		goto fail;
	if (setup_headers(ch, json_object_get(conf, "headers"), token, err, errlen) != 0)
		goto fail;
	ch->url = strdup(url);
	ch->q = httpq_new(env->base, &lim, &wh_httpq, ch);
	if (!ch->url || !ch->q) {
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

const struct channel_ops channel_module = {
	.name = "webhook",
	.abi = CHANNEL_ABI,
	.opts = wh_opts,
	.caps = CHANNEL_CAP_SUBJECT | CHANNEL_CAP_HTML | CHANNEL_CAP_ACCOUNT,
	.addr = CHANNEL_ADDR_ACCOUNT,
	.optout = CHANNEL_OPTOUT_NONE,
	.init = wh_init,
	.send = wh_send,
	.inflight = wh_inflight,
	.close = wh_free, /* httpq_close() first reports every message still held */
};
