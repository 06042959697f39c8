/* dunnd.json: the daemon's configuration, with the policy and templates it
 * names. Loaded whole and validated; a reload swaps a complete new one. */
#ifndef DUNN_CONFIG_H
#define DUNN_CONFIG_H

#include <jansson.h>
#include <stdio.h>

#include "brand.h"
#include "diag.h"
#include "module.h"
#include "policy.h"
#include "tmplset.h"

struct config_channel {
	char *name;   /* key in "channels" */
	char *module; /* "email", "sms", ... */
	json_t *conf; /* the channel's object, owned (a reference) */
	/* What its module declares (channel.h), read when the config was
	 * checked: the template kind (NULL if the module did not load), its
	 * enum channel_cap bits and its enum channel_optout list. */
	char *template_kind;
	unsigned caps;
	int optout;
	/* The module, kept loaded while the config lives: its option rows
	 * (mod.opts, NULL when it has none) and its check hook. */
	struct module mod;
};

/* A payment provider's webhook instance ("payments": {"<name>": {...}}):
 * its events arrive at /webhooks/<name>/events. */
enum config_pay_provider { CONFIG_PAY_STRIPE, CONFIG_PAY_ADYEN, CONFIG_PAY_GENERIC };

struct config_payment {
	char *name;
	enum config_pay_provider provider;
	char *secret_file; /* signing_secret_file, hmac_key_file or secret_file */
	char *ref_field;   /* stripe: the metadata key naming dunnd's invoice */
};

struct config {
	char *path, *dir;
	json_t *root; /* the whole file, as read: what a reload compares */
	char *conninfo, *listen_conninfo;
	char *http_listen, *public_url;
	char *http_admin_listen; /* http: /metrics and operator routes, never public */
	char *policy_path, *templates_dir, *migrations_dir, *module_dir;
	char *company, *support;
	struct brand brand; /* "brand": who sends, per locale (brand.h) */
	/* "money_style": locale tag or "default" -> enum money_style. */
	char **mstyle_locale;
	int *mstyle;
	size_t nmstyle;
	char *link_secret_file;
	char *webhook_secret_file;  /* http: generic webhooks' HMAC key */
	char *sms_help_text;        /* http: the reply to HELP/INFO */
	char *payment_url;          /* http: the customer page's "Pay now" target */
	int http_max_body;          /* http: bytes; larger bodies get 413 */
	int http_timeout_s;         /* http: idle/slow client timeout */
	int http_request_timeout_s; /* http: a request's headers and body within it */
	int http_max_connections;   /* http: open public connections at most */
	/* console: the URL staff open (https: the session cookie is Secure),
	 * and a session's idle and absolute lifetimes in seconds. */
	char *console_url;
	int console_idle_timeout_s, console_absolute_timeout_s;
	/* console: a reverse proxy's user header (SSO), believed only from
	 * these addresses; NULL and 0: off. */
	char *console_user_header;
	char **console_trusted_proxies;
	size_t ntrusted_proxies;
	char *api_keys_file;       /* api: bearer keys; NULL = no /api/v1 */
	int api_max_body;          /* api: bytes of a request body at most */
	int api_idempotency_ttl_s; /* api: how long an answer is replayed */
	int poll_interval_ms;
	int batch_size;
	int send_batch;
	int lease_seconds;
	int max_attempts;
	int retry_base_s, retry_max_s; /* transient failures: capped backoff */
	int shutdown_timeout_ms;       /* how long a stop waits for in-flight sends */
	int retention_days;            /* dunnctl purge: default --older-than */
	int hold_sending;              /* plan and queue, but send nothing (until a reload) */
	int log_level;
	struct config_channel *channels;
	size_t nchannels;
	struct config_payment *payments;
	size_t npayments;
	struct policy *policy;
	char *policy_text; /* the policy file as it was read, or NULL */
	struct tmplset *templates;
	/* locale_fallback, when set (else tmplset_default_chain); owned. */
	struct tmplset_chain *locale_fallback;
	size_t nlocale_fallback;
	/* config_hold's holders beyond the first owner (loop thread only). */
	int holders;
};

/* The brand an SMS starts with for a BCP 47 locale: the exact tag, then
 * zh-Hant for zh-TW/zh-HK/zh-MO, then the shorter tags ("ko-KR" -> "ko"),
 * then "default", then company. Never NULL. */
const char *config_brand(const struct config *c, const char *locale);
/* How amounts are written for a locale: the configured style of the
 * exact tag, then of its shorter tags, then "default", else
 * money_style_default (unit for ko and ja). An enum money_style. */
int config_money_style(const struct config *c, const char *locale);
/* Load file, its policy and templates. NULL with diag filled on any error. */
struct config *config_load(const char *file, struct diag *diag);
void config_free(struct config *c);
/* addr in one textual form (an IPv4-mapped IPv6 address as IPv4); 0, or
 * -1 when it is not an IP address. */
int config_addr_norm(const char *addr, char *out, size_t len);
/* 1 when the console believes console.user_header from peer (a client
 * address as text): SSO is on and peer is one of console.trusted_proxies. */
int config_trusted_proxy(const struct config *c, const char *peer);
/* One more holder of c: config_free then frees it only when the last
 * holder lets go. Held and freed on one thread (dunnd's loop), so the
 * count needs no lock: the console hands a held configuration to a
 * worker for the policy page and frees it when the answer is sent. */
struct config *config_hold(struct config *c);
/* A candidate policy loaded from file as config_load loads the policy c
 * names: the same checks (its channels and templates must exist in c),
 * its call caps bound to c's channels. NULL with diag filled. */
struct policy *config_load_policy(const struct config *c, const char *file, struct diag *diag);
const struct config_channel *config_channel(const struct config *c, const char *name);
const struct config_payment *config_payment(const struct config *c, const char *name);
/* "stripe", "adyen" or "generic". */
const char *config_pay_provider_name(enum config_pay_provider p);
/* Resolve a path relative to the config file's directory. Caller frees. */
char *config_relpath(const char *dir, const char *path);
/* Read a secret from a file named by a "*_file" key; relative names are
 * looked up in $CREDENTIALS_DIRECTORY first. Trailing newline stripped.
 * Caller frees. NULL with the reason in err (naming the file) when it
 * cannot be read, is open to group or others (mode & 077, as ssh refuses
 * a private key), holds a NUL byte or is longer than CONFIG_SECRET_MAX. */
#define CONFIG_SECRET_MAX 4095
char *config_read_secret(const char *dir, const char *file, char *err, size_t errlen);
/* Read now every secret file the daemon will read at start (http's link
 * and webhook keys, each channel's *_file secrets), reporting each one it
 * would refuse to out as "CONFIG: KEY: why"; an sms channel whose
 * callbacks could never be verified (no key, or one it cannot read) is
 * named as such, and so is a Twilio one without http.public_url (Twilio
 * signs the URL it calls). Returns the number of problems. */
int config_check_secrets(const struct config *c, FILE *out);
/* An optional integer key of a channel module's object: def when absent;
 * -1 with a reason naming instance when not an integer from min to max
 * (so min must not be negative). */
int config_channel_int(json_t *conf, const char *key, int def, int min, int max,
		       const char *instance, char *err, size_t errlen);

/* 1 when b changes an option a running daemon cannot take from a reload
 * (a restart-only row of config_opts.c or of a channel's module, a
 * channel added, removed or given another module), with its key
 * ("http.listen", "channels.sms") in key; else 0. */
int config_restart_diff(const struct config *a, const struct config *b, char *key, size_t keylen);

/* Bind p's default call caps and rests to c's channels that make calls
 * (policy_bind_calls); 0 or -1 when memory ran out. */
int config_bind_calls(const struct config *c, struct policy *p);

#endif
