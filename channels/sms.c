/* sms: libcurl's multi interface driven by the daemon's libevent loop
 * (curl's hiperfifo pattern: curl tells us which sockets to watch and
 * when to time out, libevent tells curl when something happened). One
 * multi handle per channel keeps connections alive between messages.
 *
 * Providers: "twilio" (form POST to /2010-04-01/Accounts/{sid}/Messages.json,
 * Basic auth) and "generic" (JSON POST to /messages, Bearer token).
 *
 * Flow control, completion on the loop and close are lib/httpq.c's, the
 * curl <-> libevent glue lib/curlev.c's (both shared with webhook).
 * Encoding and segments are decided before anything goes on the wire: a
 * message over max_segments fails, it is never cut. */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel.h"
#include "htmlesc.h"
#include "config.h"
#include "delivery_status.h"
#include "form.h"
#include "httpq.h"
#include "log.h"
#include "opts.h"
#include "sig.h"
#include "smsseg.h"
#include "utf8.h"

extern const struct channel_ops channel_module;

enum sms_provider { SMS_TWILIO, SMS_GENERIC };

struct sms_xfer {
	struct httpq_item q; /* first: httpq hands it back */
	char *body;          /* request body, owned */
	char to_masked[32];
	struct smsseg_info seg;
};

struct channel {
	char *instance;
	enum sms_provider provider;
	char *url;            /* where messages are POSTed */
	char *account_sid;    /* twilio */
	char *token;          /* never logged */
	char *webhook_secret; /* generic webhooks; defaults to token */
	char *from;
	char *status_callback;
	int max_segments;
	struct httpq *q;
	struct curl_slist *headers;
};

static const char TWIML_EMPTY[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/* httpq: after the done callback. */
static void xfer_free(struct httpq_item *it)
{
	struct sms_xfer *x = (struct sms_xfer *)it;

	free(x->body);
	free(x);
}

/* ---- the provider's answer ---- */

/* httpq: log a result. */
static void log_result(void *ctx, const struct httpq_item *it, long code)
{
	const struct channel *ch = ctx;
	const struct sms_xfer *x = (const struct sms_xfer *)it;
	const struct channel_result *r = &it->result;

	if (r->status == CHANNEL_SENT)
		log_info("sms",
			 "event=sent channel=%s delivery=%" PRId64 " to=%s provider_id=%s "
			 "encoding=%s segments=%zu http=%ld ms=%ld",
			 ch->instance, it->delivery_id, x->to_masked, r->provider_id,
			 smsseg_encoding_name(x->seg.encoding), x->seg.segments, code,
			 httpq_item_ms(it));
	else
		log_warn("sms",
			 "event=%s channel=%s delivery=%" PRId64 " to=%s http=%ld "
			 "retry_after=%d error=\"%s\"",
			 delivery_status_name(delivery_status_from_channel(r->status)),
			 ch->instance, it->delivery_id, x->to_masked, code, r->retry_after,
			 r->error);
}

/* The provider's error code and message: Twilio {"code", "message"},
 * generic {"code", "message"} or {"error": {"code", "message"}}. */
static void provider_error(const struct curlev_result *cr, char *code, size_t codelen, char *msg,
			   size_t msglen)
{
	json_t *j = cr->body_len ? json_loadb(cr->body, cr->body_len, 0, NULL) : NULL;
	json_t *e = json_is_object(json_object_get(j, "error")) ? json_object_get(j, "error") : j;
	json_t *c = json_object_get(e, "code"), *m = json_object_get(e, "message");

	code[0] = msg[0] = '\0';
	if (json_is_integer(c))
		snprintf(code, codelen, "%" JSON_INTEGER_FORMAT, json_integer_value(c));
	else if (json_is_string(c))
		utf8_escape_into(code, codelen, json_string_value(c), json_string_length(c));
	if (!json_is_string(m))
		m = json_object_get(j, "error");
	/* Cut on a character boundary: a Korean message cut mid-syllable
	 * would make the whole results write fail. */
	if (json_is_string(m))
		utf8_escape_into(msg, msglen, json_string_value(m), json_string_length(m));
	json_decref(j);
}

/* Twilio errors that mean the number itself is bad: suppress it. */
static int twilio_bounce_code(const char *code)
{
	return !strcmp(code, "21211") || !strcmp(code, "21610") || !strcmp(code, "21614");
}

/* httpq: what the provider's answer means. */
static enum channel_status http_result(void *ctx, struct httpq_item *it,
				       const struct curlev_result *cr)
{
	const struct channel *ch = ctx;
	struct channel_result *r = &it->result;
	enum channel_status st;
	long code = cr->code;
	char pcode[32], pmsg[200];

	if (code >= 200 && code < 300) {
		json_t *j = json_loadb(cr->body, cr->body_len, 0, NULL);
		const char *id = json_string_value(
			json_object_get(j, ch->provider == SMS_TWILIO ? "sid" : "id"));
		if (id)
			utf8_escape_into(r->provider_id, sizeof r->provider_id, id, strlen(id));
		else /* accepted all the same: sending again would duplicate it */
			snprintf(r->error, sizeof r->error, "http %ld: accepted without an id",
				 code);
		json_decref(j);
		return CHANNEL_SENT;
	}
	provider_error(cr, pcode, sizeof pcode, pmsg, sizeof pmsg);
	snprintf(r->error, sizeof r->error, "http %ld%s%s%s%s", code, *pcode ? " code " : "", pcode,
		 *pmsg ? ": " : "", pmsg);
	st = httpq_refusal(cr, r);
	if (st == CHANNEL_FAILED && ch->provider == SMS_TWILIO && twilio_bounce_code(pcode))
		return CHANNEL_BOUNCE;
	return st;
}

/* ---- sending ---- */

/* httpq: the request for one message (httpq set the common options). */
static int start_one(void *ctx, struct httpq_item *it, CURL *e)
{
	const struct channel *ch = ctx;
	const struct sms_xfer *x = (const struct sms_xfer *)it;

	curl_easy_setopt(e, CURLOPT_URL, ch->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, ch->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	if (ch->provider == SMS_TWILIO) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, ch->account_sid);
		curl_easy_setopt(e, CURLOPT_PASSWORD, ch->token);
	}
	return 0;
}

static const struct httpq_ops sms_httpq = {
	.start = start_one,
	.answer = http_result,
	.log = log_result,
	.free = xfer_free,
};

static int e164_ok(const char *s)
{
	size_t n;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strlen(s + 1);
	return n >= 7 && n <= 15 && strspn(s + 1, "0123456789") == n;
}

static char *build_body(const struct channel *ch, const char *to, const char *text,
			int64_t delivery_id)
{
	if (ch->provider == SMS_TWILIO) {
		/* A Messaging Service SID (MG...) goes where a sender would. */
		int svc = strncmp(ch->from, "MG", 2) == 0;
		const char *kv[] = {"To",
				    to,
				    svc ? "MessagingServiceSid" : "From",
				    ch->from,
				    "Body",
				    text,
				    "StatusCallback",
				    ch->status_callback};
		return form_encode(kv, 4);
	}
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "to", to, "from", ch->from, "body", text,
			      "callback_url", ch->status_callback, "reference",
			      (json_int_t)delivery_id);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

static int sms_send(struct channel *ch, const struct channel_msg *m, channel_done_fn done,
		    void *arg)
{
	struct sms_xfer *x;
	struct channel_result *r;
	char *text;
	size_t len;

	if (httpq_full(ch->q))
		return -1;
	x = calloc(1, sizeof *x);
	if (!x)
		return -1;
	httpq_item_init(&x->q, m, done, arg);
	log_mask_phone(m->to_addr, x->to_masked, sizeof x->to_masked);
	r = &x->q.result;
	/* Templates end with a newline; it would cost a character. */
	len = m->text ? strlen(m->text) : 0;
	while (len > 0 &&
	       (m->text[len - 1] == '\n' || m->text[len - 1] == '\r' || m->text[len - 1] == ' '))
		len--;
	if (!e164_ok(m->to_addr)) {
		snprintf(r->error, sizeof r->error, "recipient is not an E.164 number");
		httpq_reject(ch->q, &x->q, CHANNEL_FAILED);
		return 0;
	}
	if (len == 0 || smsseg_count(m->text, len, &x->seg) != 0) {
		snprintf(r->error, sizeof r->error,
			 len ? "message text is not valid UTF-8" : "message text is empty");
		httpq_reject(ch->q, &x->q, CHANNEL_FAILED);
		return 0;
	}
	if (x->seg.segments > (size_t)ch->max_segments) {
		snprintf(r->error, sizeof r->error,
			 "message needs %zu segments (%s, %zu units), max_segments is %d",
			 x->seg.segments, smsseg_encoding_name(x->seg.encoding), x->seg.units,
			 ch->max_segments);
		httpq_reject(ch->q, &x->q, CHANNEL_FAILED);
		return 0;
	}
	text = strndup(m->text, len);
	x->body = text ? build_body(ch, m->to_addr, text, m->delivery_id) : NULL;
	free(text);
	if (!x->body) {
		xfer_free(&x->q);
		return -1;
	}
	httpq_push(ch->q, &x->q);
	return 0;
}

static size_t sms_inflight(const struct channel *ch)
{
	return httpq_inflight(ch->q);
}

/* ---- setup ---- */

static void sms_free(struct channel *ch)
{
	httpq_close(ch->q);
	curl_slist_free_all(ch->headers);
	free(ch->instance);
	free(ch->url);
	free(ch->account_sid);
	if (ch->token)
		explicit_bzero(ch->token, strlen(ch->token));
	free(ch->token);
	if (ch->webhook_secret)
		explicit_bzero(ch->webhook_secret, strlen(ch->webhook_secret));
	free(ch->webhook_secret);
	free(ch->from);
	free(ch->status_callback);
	free(ch);
}

static char *join_url(const char *base, const char *path)
{
	size_t bl = strlen(base);
	char *out = NULL;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (asprintf(&out, "%.*s%s", (int)bl, base, path) < 0)
		return NULL;
	return out;
}

static int sid_ok(const char *s)
{
	return s && *s && strlen(s) < 64 &&
		strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
		strlen(s);
}

static int setup_headers(struct channel *ch)
{
	struct curl_slist *h = NULL, *t;
	char *auth = NULL;

	/* Never "Expect: 100-continue": one round trip per message. */
	h = curl_slist_append(h, "Expect:");
	if (h && (t = curl_slist_append(h, "Accept: application/json")))
		h = t;
	if (ch->provider == SMS_GENERIC) {
		if (h && (t = curl_slist_append(h, "Content-Type: application/json")))
			h = t;
		if (asprintf(&auth, "Authorization: Bearer %s", ch->token) < 0)
			auth = NULL;
		t = h && auth ? curl_slist_append(h, auth) : NULL;
		if (auth)
			explicit_bzero(auth, strlen(auth));
		free(auth);
		if (!t) {
			curl_slist_free_all(h);
			return -1;
		}
		h = t;
	} else if (h &&
		   (t = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded"))) {
		h = t;
	}
	ch->headers = h;
	return h ? 0 : -1;
}

/* The options of an sms instance (channel.h, struct channel_opt); what
 * depends on the provider is sms_check's. */
static const struct channel_opt sms_opts[] = {
	{"provider", CHANNEL_OPT_ENUM, NULL, 0, 0, "twilio|generic", CHANNEL_OPT_REQUIRED,
	 "the gateway's protocol"},
	{"api_base", CHANNEL_OPT_URL, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the gateway's base URL (https; http only to 127.0.0.1 or localhost)"},
	{"account_sid", CHANNEL_OPT_STRING, NULL, 1, 63, NULL, 0,
	 "the Twilio account (letters and digits; required when provider is twilio)"},
	{"auth_token_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the gateway's API token; also verifies callbacks without webhook_secret_file"},
	{"webhook_secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, CHANNEL_OPT_VERIFIES,
	 "the key a generic gateway signs this instance's callbacks with (default: the token)"},
	{"from", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the sender number or ID"},
	{"max_segments", CHANNEL_OPT_INT, "6", 1, 10, NULL, 0,
	 "a longer text is refused, never cut"},
	HTTPQ_OPT_ROWS(64),
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

/* What sms_opts cannot say: Twilio needs an account and signs the URL it
 * called, and a callback key that cannot be read verifies nothing. */
static int sms_check(const char *instance, json_t *conf, const struct channel_env *env,
		     channel_report_fn report, void *ctx)
{
	const char *tokf = opts_str(sms_opts, conf, "auth_token_file");
	int n = 0, twilio = opts_enum(sms_opts, conf, "provider") == 0;
	char why[512], msg[700];

	(void)instance;
	if (twilio && !sid_ok(opts_str(sms_opts, conf, "account_sid"))) {
		report(ctx, "account_sid", "required when provider is twilio (letters and digits)");
		n++;
	}
	if (twilio && !env->public_url) {
		report(ctx, NULL,
		       "http.public_url is not set: Twilio signs the URL it calls, so the "
		       "channel's callbacks could never be verified");
		n++;
	}
	/* Without webhook_secret_file the token verifies the callbacks. */
	if (!json_object_get(conf, "webhook_secret_file") && tokf) {
		char *t = config_read_secret(env->confdir, tokf, why, sizeof why);
		if (!t || !*t) {
			snprintf(
				msg, sizeof msg,
				"it verifies the callbacks (no webhook_secret_file): the channel's "
				"callbacks could never be verified");
			report(ctx, "auth_token_file", msg);
			n++;
		}
		if (t)
			explicit_bzero(t, strlen(t));
		free(t);
	}
	return n;
}

static struct channel *sms_init(const char *instance, json_t *conf, const struct channel_env *env,
				char *err, size_t errlen)
{
	struct channel *ch;
	const char *provider = json_string_value(json_object_get(conf, "provider"));
	const char *base = json_string_value(json_object_get(conf, "api_base"));
	const char *sid = json_string_value(json_object_get(conf, "account_sid"));
	const char *tokf = json_string_value(json_object_get(conf, "auth_token_file"));
	const char *whf = json_string_value(json_object_get(conf, "webhook_secret_file"));
	const char *from = json_string_value(json_object_get(conf, "from"));
	struct httpq_limits lim;
	char why[512];

	ch = calloc(1, sizeof *ch);
	if (!ch) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ch->instance = strdup(instance);
	if (!provider || (strcmp(provider, "twilio") && strcmp(provider, "generic"))) {
		snprintf(err, errlen, "channel '%s': 'provider' must be \"twilio\" or \"generic\"",
			 instance);
		goto fail;
	}
	ch->provider = strcmp(provider, "twilio") == 0 ? SMS_TWILIO : SMS_GENERIC;
	if (!base || curlev_url_ok(base, "api_base", why, sizeof why) != 0) {
		snprintf(err, errlen, "channel '%s': %s", instance,
			 base ? why : "'api_base' is required");
		goto fail;
	}
	if (!from || !*from) {
		snprintf(err, errlen, "channel '%s': 'from' is required", instance);
		goto fail;
	}
	if (!tokf) {
		snprintf(err, errlen, "channel '%s': 'auth_token_file' is required", instance);
		goto fail;
	}
	ch->token = config_read_secret(env->confdir, tokf, why, sizeof why);
	if (!ch->token || !*ch->token) {
		if (ch->token)
			snprintf(why, sizeof why, "'%s' is empty", tokf);
		snprintf(err, errlen, "channel '%s': auth_token_file: %s", instance, why);
		goto fail;
	}
	ch->webhook_secret = whf ? config_read_secret(env->confdir, whf, why, sizeof why)
				 : strdup(ch->token);
	if (!ch->webhook_secret || !*ch->webhook_secret) {
		if (ch->webhook_secret)
			snprintf(why, sizeof why, "'%s' is empty", whf);
		snprintf(err, errlen, "channel '%s': webhook_secret_file: %s", instance, why);
		goto fail;
	}
	if (ch->provider == SMS_TWILIO) {
		char path[160];
		if (!sid_ok(sid)) {
			snprintf(err, errlen,
				 "channel '%s': 'account_sid' is required (letters and "
				 "digits)",
				 instance);
			goto fail;
		}
		ch->account_sid = strdup(sid);
		snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Messages.json", sid);
		ch->url = join_url(base, path);
	} else {
		ch->url = join_url(base, "/messages");
	}
	/* The daemon routes /webhooks/<instance>/status to this instance. */
	ch->status_callback = join_url(env->webhook_url ? env->webhook_url : "", "/status");
	ch->from = strdup(from);
	/* In range: the daemon checked it against sms_opts. */
	ch->max_segments = (int)opts_int(sms_opts, conf, "max_segments");
	if (httpq_limits_read(conf, instance, 64, &lim, err, errlen) != 0)
		goto fail;
	if (!ch->instance || !ch->url || !ch->status_callback || !ch->from ||
	    setup_headers(ch) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ch->q = httpq_new(env->base, &lim, &sms_httpq, ch);
	if (!ch->q) {
		snprintf(err, errlen, "channel '%s': cannot set up curl", instance);
		goto fail;
	}
	return ch;
fail:
	sms_free(ch);
	return NULL;
}

/* ---- provider callbacks ---- */

static void copy_field(char *dst, size_t dstlen, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= dstlen) {
		n = dstlen - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--; /* never cut a UTF-8 sequence in half */
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static int path_is(const char *path, const char *suffix)
{
	size_t pl = path ? strlen(path) : 0, sl = strlen(suffix);

	return pl >= sl && strcmp(path + pl - sl, suffix) == 0;
}

/* Twilio error codes in a status callback that mean the number is bad. */
static int twilio_dead_number(const char *code)
{
	return twilio_bounce_code(code) || !strcmp(code, "30005") || !strcmp(code, "30006");
}

static int twilio_webhook(struct channel *ch, const struct channel_request *req,
			  struct channel_event *ev, size_t max, size_t *n, const char **reply)
{
	struct form f;
	enum form_error fe;
	enum sig_result sr;
	int rc = 200;

	if (req->content_type &&
	    strncasecmp(req->content_type, "application/x-www-form-urlencoded", 33) != 0)
		return 400;
	fe = form_parse(req->body, req->body_len, &f);
	if (fe != FORM_OK)
		return 400;
	sr = sig_twilio_verify(ch->token, req->url, &f, req->signature);
	if (sr != SIG_OK) {
		log_warn("sms", "event=webhook_rejected channel=%s path=%s reason=\"%s\"",
			 ch->instance, req->path ? req->path : "", sig_strerror(sr));
		form_free(&f);
		return 403;
	}
	if (path_is(req->path, "/status")) {
		const char *sid = form_get(&f, "MessageSid");
		const char *st = form_get(&f, "MessageStatus");
		const char *code = form_get(&f, "ErrorCode");
		const char *to = form_get(&f, "To");
		if (!sid)
			sid = form_get(&f, "SmsSid");
		if (!st)
			st = form_get(&f, "SmsStatus");
		if (!sid || !*sid || !st || !*st || max < 1) {
			rc = 400;
			goto out;
		}
		memset(&ev[0], 0, sizeof ev[0]);
		ev[0].kind = CHANNEL_EV_STATUS;
		copy_field(ev[0].provider_id, sizeof ev[0].provider_id, sid);
		copy_field(ev[0].status, sizeof ev[0].status, st);
		copy_field(ev[0].error_code, sizeof ev[0].error_code, code);
		copy_field(ev[0].address, sizeof ev[0].address, to);
		*n = 1;
		if (code && twilio_dead_number(code) && to && *to && max >= 2) {
			ev[1] = ev[0];
			ev[1].kind = CHANNEL_EV_BOUNCE;
			*n = 2;
		}
	} else if (path_is(req->path, "/inbound")) {
		const char *from = form_get(&f, "From"), *body = form_get(&f, "Body");
		if (!from || !*from || !body || max < 1) {
			rc = 400;
			goto out;
		}
		memset(&ev[0], 0, sizeof ev[0]);
		ev[0].kind = CHANNEL_EV_INBOUND;
		copy_field(ev[0].provider_id, sizeof ev[0].provider_id, form_get(&f, "MessageSid"));
		copy_field(ev[0].address, sizeof ev[0].address, from);
		copy_field(ev[0].body, sizeof ev[0].body, body);
		*n = 1;
		*reply = TWIML_EMPTY;
	} else {
		rc = 404;
	}
out:
	form_free(&f);
	return rc;
}

/* Generic provider: JSON bodies signed with X-Dunn-Timestamp and
 * X-Dunn-Signature. status: {"id", "status", "error_code"?, "to"?};
 * inbound: {"from", "body", "id"?}. */
static int generic_webhook(struct channel *ch, const struct channel_request *req,
			   struct channel_event *ev, size_t max, size_t *n)
{
	enum sig_result sr = sig_dunn_verify(ch->webhook_secret, req->timestamp, req->body,
					     req->body_len, req->signature, req->now);
	json_t *j, *code;
	char *clean;
	int rc = 200;

	if (sr != SIG_OK) {
		log_warn("sms", "event=webhook_rejected channel=%s path=%s reason=\"%s\"",
			 ch->instance, req->path ? req->path : "", sig_strerror(sr));
		return 403;
	}
	/* Verified as sent; parsed made valid UTF-8, so that a provider's bad
	 * byte in a reply costs one character, not the reply. */
	clean = utf8_sanitize(req->body, req->body ? req->body_len : 0, (size_t)-1);
	j = clean ? json_loads(clean, 0, NULL) : NULL;
	free(clean);
	if (!json_is_object(j) || max < 1) {
		json_decref(j);
		return 400;
	}
	memset(&ev[0], 0, sizeof ev[0]);
	if (path_is(req->path, "/status")) {
		const char *id = json_string_value(json_object_get(j, "id"));
		const char *st = json_string_value(json_object_get(j, "status"));
		if (!id || !*id || !st || !*st) {
			rc = 400;
			goto out;
		}
		ev[0].kind = CHANNEL_EV_STATUS;
		copy_field(ev[0].provider_id, sizeof ev[0].provider_id, id);
		copy_field(ev[0].status, sizeof ev[0].status, st);
		code = json_object_get(j, "error_code");
		if (json_is_string(code))
			copy_field(ev[0].error_code, sizeof ev[0].error_code,
				   json_string_value(code));
		else if (json_is_integer(code))
			snprintf(ev[0].error_code, sizeof ev[0].error_code, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(code));
		copy_field(ev[0].address, sizeof ev[0].address,
			   json_string_value(json_object_get(j, "to")));
	} else if (path_is(req->path, "/inbound")) {
		const char *from = json_string_value(json_object_get(j, "from"));
		const char *body = json_string_value(json_object_get(j, "body"));
		if (!from || !*from || !body) {
			rc = 400;
			goto out;
		}
		ev[0].kind = CHANNEL_EV_INBOUND;
		copy_field(ev[0].provider_id, sizeof ev[0].provider_id,
			   json_string_value(json_object_get(j, "id")));
		copy_field(ev[0].address, sizeof ev[0].address, from);
		copy_field(ev[0].body, sizeof ev[0].body, body);
	} else {
		rc = 404;
		goto out;
	}
	*n = 1;
out:
	json_decref(j);
	return rc;
}

static int sms_webhook(struct channel *ch, const struct channel_request *req,
		       struct channel_event *ev, size_t max, size_t *n, const char **reply)
{
	*n = 0;
	*reply = NULL;
	if (ch->provider == SMS_TWILIO)
		return twilio_webhook(ch, req, ev, max, n, reply);
	return generic_webhook(ch, req, ev, max, n);
}

/* Twilio takes TwiML back: a <Message> is a reply text to the sender. */
static const char *sms_reply(struct channel *ch, const char *text, char *out, size_t outlen)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>";
	size_t n;

	if (ch->provider != SMS_TWILIO || outlen < sizeof head + 64)
		return NULL;
	n = (size_t)snprintf(out, outlen, "%s%s", head, *text ? "<Message>" : "");
	for (; *text && n + 32 < outlen; text++) {
		const char *rep = htmlesc_entity((unsigned char)*text);
		if (rep)
			n += (size_t)snprintf(out + n, outlen - n, "%s", rep);
		else
			out[n++] = *text;
	}
	snprintf(out + n, outlen - n, "%s</Response>\n", n > sizeof head - 1 ? "</Message>" : "");
	return "text/xml; charset=utf-8";
}

const struct channel_ops channel_module = {
	.name = "sms",
	.abi = CHANNEL_ABI,
	.opts = sms_opts,
	.check = sms_check,
	.caps = CHANNEL_CAP_SEGMENTS,
	.addr = CHANNEL_ADDR_PHONE,
	.optout = CHANNEL_OPTOUT_TEXTS,
	.init = sms_init,
	.send = sms_send,
	.inflight = sms_inflight,
	.close = sms_free, /* httpq_close() first reports every message still held */
	.webhook = sms_webhook,
	.reply = sms_reply,
};
