/* The channel module interface. A module carries rendered messages to one
 * kind of provider (an SMTP relay, an SMS gateway, ...). The daemon owns
 * the event loop; a module must never block it. */
#ifndef DUNN_CHANNEL_H
#define DUNN_CHANNEL_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* 2: a module says what it is (address, opt-out list, template kind) in
 * its ops; the daemon never looks at its name to decide anything. */
#define CHANNEL_ABI 2

/* What a module can carry. The dispatcher renders and passes only what is
 * declared here. */
enum channel_cap {
	CHANNEL_CAP_SUBJECT = 1 << 0,  /* a subject; its templates may start
					 with "Subject: " */
	CHANNEL_CAP_HTML = 1 << 1,     /* an HTML part beside the text */
	CHANNEL_CAP_SEGMENTS = 1 << 2, /* texts billed per segment */
	/* Kept from ABI 1: the same as .addr = CHANNEL_ADDR_ACCOUNT. */
	CHANNEL_CAP_ACCOUNT = 1 << 3,
	CHANNEL_CAP_SUBJECT_REQUIRED = 1 << 4, /* every template must start
						  with "Subject: " (email) */
	CHANNEL_CAP_UNSUBSCRIBE = 1 << 5,      /* a one-click unsubscribe link
						  in the envelope (RFC 8058) */
};

/* Which of the account's addresses a message goes to. */
enum channel_addr {
	CHANNEL_ADDR_EMAIL = 1, /* accounts.email */
	CHANNEL_ADDR_PHONE,     /* accounts.phone, E.164 */
	/* The account's reference: the vendor holds the postal address or
	 * the device. */
	CHANNEL_ADDR_ACCOUNT,
};

/* Which opt-out list a message is checked against before it goes, and
 * where a bounce reported for it is filed. Each list is one kind of
 * contact the customer can refuse: mail, texts, calls. */
enum channel_optout {
	CHANNEL_OPTOUT_NONE = 0, /* nothing the customer can refuse here */
	CHANNEL_OPTOUT_EMAIL,
	CHANNEL_OPTOUT_TEXTS,
	CHANNEL_OPTOUT_CALLS,
};

/* One message; everything is borrowed for the duration of send(). */
struct channel_msg {
	int64_t delivery_id;
	const char *to_addr;
	const char *to_name;
	const char *subject; /* NULL unless CHANNEL_CAP_SUBJECT */
	const char *text;
	const char *html; /* NULL unless CHANNEL_CAP_HTML */
	const char *unsubscribe_url;
	int64_t now; /* unix seconds, the run's clock */
};

enum channel_status {
	CHANNEL_SENT,   /* accepted by the provider */
	CHANNEL_RETRY,  /* transient: try again later */
	CHANNEL_FAILED, /* permanent: never retry. Also a message refused for
			   its content (a CR in a name, an address the
			   provider cannot carry): it can never go as it is,
			   so it fails at its first attempt, the reason in
			   error */
	CHANNEL_BOUNCE, /* permanent and the address is bad: suppress it */
	CHANNEL_UNSENT, /* never handed to the provider (the channel closed
			   first): due again at once, the attempt undone */
};

struct channel_result {
	int64_t delivery_id;
	enum channel_status status;
	int retry_after; /* seconds the provider asked us to wait, 0 = ours */
	/* Text from the provider (an SMTP reply, an HTTP body) goes in only
	 * as valid UTF-8 cut on a character boundary, controls escaped
	 * (utf8_escape_into): PostgreSQL refuses a whole statement for one
	 * bad byte. The daemon checks again before storing it. */
	char provider_id[128];
	char error[256];
};

/* Called on the loop thread, once per accepted send(). */
typedef void (*channel_done_fn)(const struct channel_result *r, void *arg);

struct channel;

/* What the daemon tells a module at init. base lives as long as the
 * module; copy the strings you keep (a reload frees the config). */
struct channel_env {
	struct event_base *base; /* the daemon's loop: never block it */
	const char *confdir;     /* resolves relative *_file names */
	const char *public_url;  /* http.public_url: what providers call back */
	const char *conninfo;    /* database.conninfo, for modules that record
				    (phone_task): use lib/pgq.h on base */
	/* public_url + "/webhooks/<instance>": this instance's callbacks,
	 * <webhook_url>/<kind> ("status", "inbound", ...), reach its
	 * webhook op. Give providers these, never a path of your own. */
	const char *webhook_url;
};

/* A provider callback as the HTTP server received it. */
struct channel_request {
	const char *url;  /* public_url + path + query, as signed */
	const char *path; /* "/webhooks/twilio/status" */
	const char *content_type;
	const char *body;
	size_t body_len;
	const char *signature; /* X-Twilio-Signature or X-Dunn-Signature */
	const char *timestamp; /* X-Dunn-Timestamp */
	int64_t now;
	/* The last segment of /webhooks/<instance>/<kind>; NULL on the
	 * daemon's older shared routes, where path tells. */
	const char *kind;
	/* Any request header by name (case-insensitive), NULL if absent:
	 * for providers that sign with headers of their own. */
	const char *(*header)(const struct channel_request *req, const char *name);
	void *header_ctx; /* the daemon's, for header() */
};

/* What a callback means, in the daemon's terms. */
enum channel_event_kind {
	CHANNEL_EV_STATUS,    /* delivery status of provider_id */
	CHANNEL_EV_INBOUND,   /* a reply from address */
	CHANNEL_EV_BOUNCE,    /* address is permanently bad */
	CHANNEL_EV_COMPLAINT, /* address marked us as spam */
};

struct channel_event {
	enum channel_event_kind kind;
	char provider_id[128];
	char status[32]; /* queued, sent, delivered, undelivered, failed */
	char error_code[32];
	char address[256]; /* E.164 number or email address */
	char body[1600];   /* inbound text, UTF-8 */
};

struct channel_ops {
	const char *name; /* module name, "email": for logs and loading only */
	int abi;          /* CHANNEL_ABI */
	unsigned caps;    /* enum channel_cap */
	enum channel_addr addr;
	enum channel_optout optout;
	/* Templates are <locale>/<template>.<template_kind>; NULL = name. */
	const char *template_kind;
	/* conf is the channel's JSON object. NULL with a reason on bad config. */
	struct channel *(*init)(const char *instance, json_t *conf, const struct channel_env *env,
				char *err, size_t errlen);
	/* Queue a message; 0 = accepted (done will be called), -1 = cannot
	 * take it now (queue full, closing): the daemon retries it later. A
	 * message refused for its content is accepted and reported through
	 * done as CHANNEL_FAILED with the reason, never -1. */
	int (*send)(struct channel *ch, const struct channel_msg *m, channel_done_fn done,
		    void *arg);
	/* Messages accepted but not yet completed. */
	size_t (*inflight)(const struct channel *ch);
	/* Stop accepting, finish what is on the wire, report what never left
	 * as CHANNEL_UNSENT, free everything. */
	void (*close)(struct channel *ch);
	/* Optional (NULL): verify and parse a provider callback addressed to
	 * this instance. Returns an HTTP status: 200 with *n events filled
	 * (at most max), 403 for a bad signature, 400 for a malformed body.
	 * *reply may be set to a static or ch-owned response body (TwiML). */
	int (*webhook)(struct channel *ch, const struct channel_request *req,
		       struct channel_event *ev, size_t max, size_t *n, const char **reply);
	/* Optional: write the answer to a callback of this instance in the
	 * provider's own format (TwiML), text being a message back to the
	 * sender or "" for none; returns its content type. NULL (or no op):
	 * the daemon answers in JSON, {"reply": text} or {"result": ...}. */
	const char *(*reply)(struct channel *ch, const char *text, char *out, size_t outlen);
};

/* Every module (a shared object, <module_dir>/<name>.so) exports its ops
 * under this one name. */
#define CHANNEL_SYMBOL "channel_module"

#endif
