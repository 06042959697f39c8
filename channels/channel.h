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
 * its ops; the daemon never looks at its name to decide anything.
 * 3: it may also describe its options as rows (struct channel_opt) and
 * check what rows cannot say (check). A module built for 2 still loads:
 * its object is then checked by its init alone. */
#define CHANNEL_ABI 3
#define CHANNEL_ABI_MIN 2

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

/* An option's type, as the daemon checks it before init. */
enum channel_opt_type {
	CHANNEL_OPT_BOOL = 1, /* true or false */
	CHANNEL_OPT_INT,      /* an integer from min to max */
	CHANNEL_OPT_SECONDS,  /* an integer number of seconds, min to max */
	CHANNEL_OPT_MILLIS,   /* an integer number of milliseconds, min to max */
	CHANNEL_OPT_BYTES,    /* an integer number of bytes, min to max */
	CHANNEL_OPT_STRING,   /* a string of min to max bytes (max 0: any) */
	CHANNEL_OPT_ENUM,     /* one of choices, "a|b|c" */
	CHANNEL_OPT_URL,      /* an http:// or https:// URL */
	CHANNEL_OPT_PATH,     /* a file or directory, relative to the config */
	/* A file holding a secret, read as config_read_secret reads it
	 * (never group or world readable): --check-config reads it. */
	CHANNEL_OPT_SECRET_FILE,
	CHANNEL_OPT_OBJECT, /* an object the module reads itself */
	CHANNEL_OPT_ARRAY,  /* an array the module reads itself */
};

enum channel_opt_flag {
	CHANNEL_OPT_REQUIRED = 1 << 0, /* must be there */
	/* A reload may change it and the new value is used. Without it the
	 * option is restart-only: a reload that changes it is refused, and
	 * the old configuration stays in force. A channel's instance lives
	 * as long as the daemon, so a module's options are restart-only. */
	CHANNEL_OPT_RELOADABLE = 1 << 1,
	/* The secret file verifies the provider's callbacks: when it cannot
	 * be read, --check-config says they could never be verified. */
	CHANNEL_OPT_VERIFIES = 1 << 2,
};

/* One option of a module's object (besides "module"), a row of a table
 * ending with a row whose name is NULL. Before init the daemon refuses,
 * at the option's file:line:column, an unknown key, a value of the wrong
 * type and one out of range; init sees only values the rows allow (an
 * absent option's default is def, which init applies itself). */
struct channel_opt {
	const char *name;
	enum channel_opt_type type;
	const char *def; /* the default as a JSON value's text ("60",
			    "if-available", "true"); NULL: none */
	long long min, max;
	const char *choices; /* CHANNEL_OPT_ENUM: "required|if-available|off" */
	unsigned flags;      /* enum channel_opt_flag */
	const char *doc;     /* one line, for dunnd --dump-options and the man page */
};

/* What a module's check reports: one problem with the key it is about
 * (NULL: the instance as a whole). */
typedef void (*channel_report_fn)(void *ctx, const char *key, const char *why);

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

	/* From ABI 3; a module of ABI 2 has neither. */
	/* The options of its object, NULL-name terminated; NULL: no table,
	 * its init checks the object alone. */
	const struct channel_opt *opts;
	/* Optional: what the rows cannot say (a key required when another
	 * has some value, a callback URL a provider needs), checked by
	 * dunnd --check-config on an object the rows accepted. env has
	 * confdir, public_url and webhook_url; base is NULL. Reports each
	 * problem through report and returns how many. */
	int (*check)(const char *instance, json_t *conf, const struct channel_env *env,
		     channel_report_fn report, void *ctx);
};

/* Every module (a shared object, <module_dir>/<name>.so) exports its ops
 * under this one name. */
#define CHANNEL_SYMBOL "channel_module"

#endif
