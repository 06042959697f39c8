#include "tuhttp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct tu_resp *r = arg;
	size_t k = sz * n, room = sizeof r->body - 1 - r->len;

	memcpy(r->body + r->len, p, k < room ? k : room);
	r->len += k < room ? k : room;
	r->body[r->len] = '\0';
	return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct tu_resp *r = arg;
	size_t k = sz * n, room = sizeof r->headers - 1 - r->hlen;

	memcpy(r->headers + r->hlen, p, k < room ? k : room);
	r->hlen += k < room ? k : room;
	r->headers[r->hlen] = '\0';
	return k;
}

void tu_http(int port, const char *method, const char *path, const char *ctype, const char *body,
	     size_t len, struct curl_slist *headers, struct tu_resp *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = headers;
	char url[512], ct[128];

	ck_assert(c != NULL);
	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
		h = curl_slist_append(h, ct);
		h = curl_slist_append(h, "Expect:");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

int tu_run_curl(Suite *s)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tu_run(s);
	curl_global_cleanup();
	return rc;
}

void tu_hmac_hex(const char *key, const char *msg, char hex[65])
{
	unsigned char mac[32];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac,
	     &maclen);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

char *tu_signed_post(const char *path, const char *body, const char *key, long long ts)
{
	char hex[65], *msg = NULL, *req = NULL, sig[96] = "";

	ck_assert(asprintf(&msg, "%lld.%s", ts, body) > 0);
	if (key) {
		tu_hmac_hex(key, msg, hex);
		snprintf(sig, sizeof sig, "X-Dunn-Signature: sha256=%s\r\n", hex);
	}
	ck_assert(asprintf(&req,
			   "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			   "Content-Type: application/json\r\nX-Dunn-Timestamp: %lld\r\n%s"
			   "Content-Length: %zu\r\n\r\n%s",
			   path, ts, sig, strlen(body), body) > 0);
	free(msg);
	return req;
}

char *tu_sim_call(const char *method, const char *path, const char *json)
{
	CURL *e = curl_easy_init();
	char url[256], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	long code = 0;

	ck_assert(e != NULL && f != NULL);
	snprintf(url, sizeof url, "%s%s", tu_env("DUNN_GATEWAY"), path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	if (json)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
	ck_assert_int_eq(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	ck_assert_int_eq(code, 200);
	curl_easy_cleanup(e);
	fclose(f);
	return out;
}

void tu_sim_control(const char *json)
{
	free(tu_sim_call("POST", "/_control", json));
}

long long tu_sim_stat(const char *key)
{
	char *s = tu_sim_call("GET", "/_stats", NULL);
	json_t *j = json_loads(s, 0, NULL);
	long long v;

	ck_assert_ptr_nonnull(j);
	v = json_integer_value(json_object_get(j, key));
	json_decref(j);
	free(s);
	return v;
}

json_t *tu_sim_log(void)
{
	FILE *f = fopen(tu_env("DUNN_GATEWAY_LOG"), "r");
	json_t *all = json_array();
	char *line = NULL;
	size_t cap = 0;

	ck_assert_ptr_nonnull(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		ck_assert_msg(j != NULL, "gateway log: %s", err.text);
		json_array_append_new(all, j);
	}
	free(line);
	fclose(f);
	return all;
}

/* dunnd --once at t0 + secs. */
static void run_at(const char *cfg, long long t0_unix, long long secs)
{
	time_t t = (time_t)(t0_unix + secs);
	struct tm tm;
	char at[32];

	gmtime_r(&t, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	tu_run_once(cfg, at);
}

void tu_gw_429_honoured(const char *cfg, PGconn *db, const char *t0, long long t0_unix)
{
	tu_sim_control("{\"mode\": \"429\", \"count\": 1, \"retry_after\": 7200}");
	tu_run_once(cfg, t0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	tu_assert_delivery(db, "A-1", "status", "queued");
	tu_assert_delivery(db, "A-1", "attempts", "1");
	tu_assert_error_has(db, "A-1", "http 429");
	ck_assert_int_ge(tu_next_attempt_in(db, "A-1", t0_unix), 7200);
	/* an hour later: still waiting, no request */
	run_at(cfg, t0_unix, 3600);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	tu_assert_delivery(db, "A-1", "status", "queued");
	/* after Retry-After: delivered */
	run_at(cfg, t0_unix, 7210);
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
	tu_assert_delivery(db, "A-1", "status", "sent");
	tu_assert_delivery(db, "A-1", "attempts", "2");
}

void tu_gw_500_retried(const char *cfg, PGconn *db, const char *t0, long long t0_unix,
		       const char *error)
{
	long long in;

	tu_sim_control("{\"mode\": \"500\", \"count\": 1}");
	tu_run_once(cfg, t0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	tu_assert_delivery(db, "A-1", "status", "queued");
	tu_assert_error_has(db, "A-1", error);
	in = tu_next_attempt_in(db, "A-1", t0_unix);
	ck_assert_int_ge(in, 30); /* the dispatcher's backoff for a first attempt */
	ck_assert_int_le(in, 60);
	run_at(cfg, t0_unix, 20); /* too soon */
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	run_at(cfg, t0_unix, 300);
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
	tu_assert_delivery(db, "A-1", "status", "sent");
}

void tu_gw_reset_retried(const char *cfg, PGconn *db, const char *t0, long long t0_unix)
{
	tu_sim_control("{\"mode\": \"reset\", \"count\": 1}");
	tu_run_once(cfg, t0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	tu_assert_delivery(db, "A-1", "status", "queued");
	tu_assert_error_has(db, "A-1", "curl ");
	run_at(cfg, t0_unix, 300);
	tu_assert_delivery(db, "A-1", "status", "sent");
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
}
