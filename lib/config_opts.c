/* dunnd.json's options, one row each: what config_load reads, what a
 * reload may change, what dunnd --dump-options prints and what the man
 * page and the README list (make options-doc). A row is restart-only
 * unless it says CHANNEL_OPT_RELOADABLE: the value is used once, when
 * the daemon starts (a listener, a connection, a secret read then). */
#include "config_opts.h"

#define R CHANNEL_OPT_RELOADABLE
#define REQ CHANNEL_OPT_REQUIRED

const struct channel_opt config_opts_top[] = {
	{"database", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, REQ, "the PostgreSQL connection"},
	{"http", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, 0, "the HTTP servers"},
	{"console", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, 0, "the staff console"},
	{"api", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, 0, "the billing API"},
	{"channels", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, REQ,
	 "named channel instances, each with a module (adding or removing one needs a restart)"},
	{"payments", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, R,
	 "named payment-provider instances (stripe, adyen, generic)"},
	{"policy", CHANNEL_OPT_PATH, "policy.json", 0, 0, NULL, R, "the escalation policy file"},
	{"templates", CHANNEL_OPT_PATH, "templates", 0, 0, NULL, R, "the templates directory"},
	{"migrations", CHANNEL_OPT_PATH, DUNN_DATADIR "/migrations", 0, 0, NULL, R,
	 "the SQL migrations dunnctl migrate applies"},
	{"module_dir", CHANNEL_OPT_PATH, DUNN_MODULEDIR, 0, 0, NULL, 0,
	 "where channel modules (<module>.so) are loaded from"},
	{"company", CHANNEL_OPT_STRING, "dunnd", 0, 0, NULL, R, "the company's name, in templates"},
	{"support", CHANNEL_OPT_STRING, "", 0, 0, NULL, R, "how to reach support, in templates"},
	{"brand", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, R,
	 "who sends, per locale tag or default: a short name or name, legal_name, support, "
	 "support_phone, privacy_url"},
	{"money_style", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, R,
	 "how amounts are written, per locale tag or default: symbol or unit"},
	{"locale_fallback", CHANNEL_OPT_OBJECT, NULL, 0, 0, NULL, R,
	 "template locales to try after a customer's own, e.g. {\"*\": [\"en\"]}"},
	{"poll_interval_ms", CHANNEL_OPT_MILLIS, "5000", 10, 3600000, NULL, R,
	 "how often the poller looks for due work without a wakeup"},
	{"batch_size", CHANNEL_OPT_INT, "500", 1, 100000, NULL, R, "cases claimed per transaction"},
	{"send_batch", CHANNEL_OPT_INT, "200", 1, 100000, NULL, R, "outbox rows leased at once"},
	{"lease_seconds", CHANNEL_OPT_SECONDS, "300", 5, 86400, NULL, R,
	 "how long a leased outbox row is reserved"},
	{"max_attempts", CHANNEL_OPT_INT, "8", 1, 100, NULL, R,
	 "transient failures before a delivery fails for good"},
	{"retry_base_s", CHANNEL_OPT_SECONDS, "60", 1, 86400, NULL, R,
	 "the first wait after a transient failure, doubling"},
	{"retry_max_s", CHANNEL_OPT_SECONDS, "3600", 1, 7 * 86400, NULL, R,
	 "the longest wait after a transient failure"},
	{"shutdown_timeout_ms", CHANNEL_OPT_MILLIS, "10000", 0, 3600000, NULL, R,
	 "how long a stop waits for sends in flight"},
	{"retention_days", CHANNEL_OPT_INT, "730", 1, 36500, NULL, R,
	 "default age for dunnctl purge, in days"},
	{"hold_sending", CHANNEL_OPT_BOOL, "false", 0, 0, NULL, R,
	 "true stops every send while planning goes on; a reload back to false sends what waited"},
	{"log_level", CHANNEL_OPT_ENUM, "info", 0, 0, "error|warning|notice|info|debug", R,
	 "the least severe message logged"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_database[] = {
	{"conninfo", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, REQ,
	 "libpq connection string, never with a password (use a passfile)"},
	{"listen_conninfo", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, 0,
	 "a direct connection for LISTEN when conninfo goes through a transaction pooler"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_http[] = {
	{"listen", CHANNEL_OPT_STRING, "127.0.0.1:8080", 1, 0, NULL, 0,
	 "host:port of the public server: customer page, provider callbacks, /healthz"},
	{"admin_listen", CHANNEL_OPT_STRING, "127.0.0.1:9180", 1, 0, NULL, 0,
	 "host:port of /metrics, the console, the API and the operator's routes"},
	{"public_url", CHANNEL_OPT_URL, NULL, 0, 0, NULL, 0,
	 "the URL customers and gateways see (default http://<listen>)"},
	{"link_secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, 0,
	 "the key (16 bytes or more) that signs payment links; required to run"},
	{"webhook_secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, 0,
	 "the key (16 bytes or more) of the generic webhooks' X-Dunn-Signature"},
	{"max_body", CHANNEL_OPT_BYTES, "65536", 1024, 16777216, NULL, 0,
	 "request body limit; larger gets 413"},
	{"timeout_s", CHANNEL_OPT_SECONDS, "5", 1, 300, NULL, 0, "idle or slow client timeout"},
	{"request_timeout_s", CHANNEL_OPT_SECONDS, "10", 1, 300, NULL, 0,
	 "a request's headers and body must arrive whole within it"},
	{"max_connections", CHANNEL_OPT_INT, "1024", 1, 1000000, NULL, 0,
	 "open client connections on http.listen at most"},
	{"sms_help_text", CHANNEL_OPT_STRING, NULL, 0, 0, NULL, R,
	 "the reply to an SMS HELP in every language (unset: in the account's language)"},
	{"payment_url", CHANNEL_OPT_URL, NULL, 0, 0, NULL, R,
	 "where Pay now sends customers, {invoice_ref} and {account_ref} replaced"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_console[] = {
	{"url", CHANNEL_OPT_URL, NULL, 0, 0, NULL, R,
	 "the URL staff open (default http://<admin_listen>; https makes the cookie Secure)"},
	{"idle_timeout_s", CHANNEL_OPT_SECONDS, "1800", 60, 86400, NULL, R,
	 "a session ends after this long without a request"},
	{"absolute_timeout_s", CHANNEL_OPT_SECONDS, "43200", 300, 30 * 86400, NULL, R,
	 "a session ends this long after sign-in"},
	{"trusted_proxies", CHANNEL_OPT_ARRAY, NULL, 0, 0, NULL, R,
	 "addresses of the reverse proxies whose user_header is believed (SSO; with user_header)"},
	{"user_header", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, R,
	 "the proxy's header naming the signed-in staff member (with trusted_proxies)"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_api[] = {
	{"keys_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, 0,
	 "the API's bearer keys, name:key or name:sha256:HEX a line (unset: no /api/v1)"},
	{"max_body", CHANNEL_OPT_BYTES, "1048576", 1024, 67108864, NULL, 0,
	 "bytes of an API request body at most"},
	{"idempotency_ttl_s", CHANNEL_OPT_SECONDS, "86400", 60, 30 * 86400, NULL, R,
	 "how long the answer to a POST is replayed for its Idempotency-Key"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

#define PROVIDER_ROW                                                                       \
	{                                                                                  \
		"provider", CHANNEL_OPT_ENUM, NULL, 0, 0, "stripe|adyen|generic", R | REQ, \
			"the payment provider"                                             \
	}

const struct channel_opt config_opts_pay_stripe[] = {
	PROVIDER_ROW,
	{"signing_secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL,
	 R | REQ | CHANNEL_OPT_VERIFIES, "the endpoint's signing secrets (whsec_...), one a line"},
	{"invoice_ref_field", CHANNEL_OPT_STRING, "invoice_ref", 1, 0, NULL, R,
	 "the metadata key naming dunnd's invoice reference"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_pay_adyen[] = {
	PROVIDER_ROW,
	{"hmac_key_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, R | REQ | CHANNEL_OPT_VERIFIES,
	 "the webhook's HMAC key, hex"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_opt config_opts_pay_generic[] = {
	PROVIDER_ROW,
	{"secret_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, R | REQ | CHANNEL_OPT_VERIFIES,
	 "the key (16 bytes or more) of X-Dunn-Signature"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct config_section config_sections[] = {
	{"", config_opts_top},
	{"database", config_opts_database},
	{"http", config_opts_http},
	{"console", config_opts_console},
	{"api", config_opts_api},
	{"payments.<name> (stripe)", config_opts_pay_stripe},
	{"payments.<name> (adyen)", config_opts_pay_adyen},
	{"payments.<name> (generic)", config_opts_pay_generic},
	{NULL, NULL},
};
