/* HTTP for integration tests: a libcurl client for dunnd's listener,
 * signed Dunn webhooks as raw requests, and the gateway simulator's API
 * (tests/servers/gateway_sim.py at $DUNN_GATEWAY). */
#ifndef DUNN_TUHTTP_H
#define DUNN_TUHTTP_H

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

/* What came back: the status (0 when the exchange failed), the body and
 * the header block, each NUL-terminated and cut to fit. */
struct tu_resp {
	long code;
	char body[65536];
	size_t len;
	char headers[8192];
	size_t hlen;
};

/* One request to 127.0.0.1:port, redirects not followed, 20 s at most,
 * into *r. body NULL: none; else len bytes sent with Content-Type ctype
 * (NULL: application/json). headers: more request header lines or NULL;
 * tu_http frees that list. */
void tu_http(int port, const char *method, const char *path, const char *ctype, const char *body,
	     size_t len, struct curl_slist *headers, struct tu_resp *r);
/* tu_run between curl_global_init and curl_global_cleanup. */
int tu_run_curl(Suite *s);

/* HMAC-SHA256 of msg under key as lowercase hex, computed here with
 * OpenSSL, not with the daemon's sig.c. */
void tu_hmac_hex(const char *key, const char *msg, char hex[65]);
/* A whole raw HTTP/1.1 request (Connection: close): a generic webhook
 * POST of body to path with X-Dunn-Timestamp ts, signed with key (NULL:
 * no X-Dunn-Signature). Caller frees. */
char *tu_signed_post(const char *path, const char *body, const char *key, long long ts);

/* A call to the simulator's API, which must answer 200: the body
 * (caller frees). json NULL: no request body. */
char *tu_sim_call(const char *method, const char *path, const char *json);
/* POST json to /_control. */
void tu_sim_control(const char *json);
/* The integer member key of /_stats. */
long long tu_sim_stat(const char *key);
/* Every request the simulator logged, oldest first (caller decrefs). */
json_t *tu_sim_log(void);

/* Transient gateway faults, as every HTTP channel must take them. Each
 * runs dunnd --once at t0 (unix t0_unix), when account A-1's reminder is
 * due and goes through the channel under test alone, then later. */
/* 429 with Retry-After 7200: nothing before it, sent after it. */
void tu_gw_429_honoured(const char *cfg, PGconn *db, const char *t0, long long t0_unix);
/* 500: retried after the first backoff (30-60 s); last_error has error. */
void tu_gw_500_retried(const char *cfg, PGconn *db, const char *t0, long long t0_unix,
		       const char *error);
/* The connection reset mid-request: retried. */
void tu_gw_reset_retried(const char *cfg, PGconn *db, const char *t0, long long t0_unix);

#endif
