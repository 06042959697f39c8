/* The channel module interface. A module carries rendered messages to one
 * kind of provider (an SMTP relay, an SMS gateway, ...). The daemon owns
 * the event loop; a module must never block it. */
#ifndef DUNN_CHANNEL_H
#define DUNN_CHANNEL_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNEL_ABI 1

enum channel_cap {
	CHANNEL_CAP_SUBJECT = 1 << 0,
	CHANNEL_CAP_HTML = 1 << 1,
	CHANNEL_CAP_SEGMENTS = 1 << 2,
};

/* One message; everything is borrowed for the duration of send(). */
struct channel_msg {
	int64_t delivery_id;
	const char *to_addr;
	const char *to_name;
	const char *subject; /* NULL unless CHANNEL_CAP_SUBJECT */
	const char *text;
	const char *html;    /* NULL unless CHANNEL_CAP_HTML */
	const char *unsubscribe_url;
	int64_t now;         /* unix seconds, the run's clock */
};

enum channel_status {
	CHANNEL_SENT,   /* accepted by the provider */
	CHANNEL_RETRY,  /* transient: try again later */
	CHANNEL_FAILED, /* permanent: never retry */
	CHANNEL_BOUNCE, /* permanent and the address is bad: suppress it */
};

struct channel_result {
	int64_t delivery_id;
	enum channel_status status;
	int retry_after; /* seconds the provider asked us to wait, 0 = ours */
	char provider_id[128];
	char error[256];
};

/* Called on the loop thread, once per accepted send(). */
typedef void (*channel_done_fn)(const struct channel_result *r, void *arg);

struct channel;

struct channel_ops {
	const char *name; /* module name, "email" */
	int abi;          /* CHANNEL_ABI */
	unsigned caps;    /* enum channel_cap */
	/* conf is the channel's JSON object; confdir resolves relative files. */
	struct channel *(*init)(const char *instance, json_t *conf, const char *confdir,
				struct event_base *base, char *err, size_t errlen);
	/* Queue a message; 0 = accepted (done will be called), -1 = refused now. */
	int (*send)(struct channel *ch, const struct channel_msg *m, channel_done_fn done,
		    void *arg);
	/* Messages accepted but not yet completed. */
	size_t (*inflight)(const struct channel *ch);
	/* Stop accepting, finish what is queued, free everything. */
	void (*close)(struct channel *ch);
};

/* Every module (a shared object, <module_dir>/<name>.so) exports its ops
 * under this one name. */
#define CHANNEL_SYMBOL "channel_module"

#endif
