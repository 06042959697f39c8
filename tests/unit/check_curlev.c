/* lib/curlev against an HTTP server on the same loop (libevent's evhttp
 * on 127.0.0.1): results, the body cap, Retry-After, concurrency on one
 * loop, abort, and the URL policy. */
#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlev.h"

static struct event_base *base;
static struct evhttp *http;
static struct curlev *cv;
static int port;

struct got {
	int n, want;
	CURLcode rc[8];
	long code[8];
	size_t len[8];
	int retry_after[8];
	char body[8][32];
	char error[8][CURL_ERROR_SIZE];
};

static void reply(struct evhttp_request *req, int code, const char *retry_after, const char *body,
		  size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (retry_after)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
				  retry_after);
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, "X", b);
	evbuffer_free(b);
}

static void serve(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	(void)arg;
	if (!strcmp(uri, "/ok")) {
		reply(req, 200, NULL, "hello", 5);
	} else if (!strcmp(uri, "/429")) {
		reply(req, 429, "120", "{\"error\":\"slow down\"}", 21);
	} else if (!strcmp(uri, "/503-long")) {
		reply(req, 503, "99999999", "", 0);
	} else if (!strcmp(uri, "/503-date")) {
		reply(req, 503, "Wed, 21 Oct 2026 07:28:00 GMT", "", 0);
	} else if (!strcmp(uri, "/big")) {
		size_t n = CURLEV_BODY_MAX + 4096;
		char *big = malloc(n);
		memset(big, 'b', n);
		reply(req, 200, NULL, big, n);
		free(big);
	} else if (!strcmp(uri, "/hold")) {
		/* never answered: evhttp_free() drops it */
	} else {
		reply(req, 404, NULL, "no", 2);
	}
}

static void on_done(CURL *easy, const struct curlev_result *r, void *arg)
{
	struct got *g = arg;
	int i = g->n; /* completion order is what the tests use */

	(void)easy;
	g->rc[i] = r->rc;
	g->code[i] = r->code;
	g->len[i] = r->body_len;
	g->retry_after[i] = r->retry_after;
	snprintf(g->body[i], sizeof g->body[i], "%s", r->body);
	snprintf(g->error[i], sizeof g->error[i], "%s", r->error);
	if (++g->n == g->want)
		event_base_loopexit(base, NULL);
}

static void add(const char *path, struct got *g, long timeout_ms)
{
	CURL *e = curl_easy_init();
	char url[128];

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	ck_assert_int_eq(curlev_add(cv, e, on_done, g), 0);
}

static void run(struct got *g)
{
	struct timeval limit = {20, 0};

	event_base_loopexit(base, &limit); /* bounded, whatever happens */
	event_base_dispatch(base);
	ck_assert_int_eq(g->n, g->want);
}

static void setup(void)
{
	struct evhttp_bound_socket *s;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof ss;

	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, serve, NULL);
	s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&ss, &sl),
			 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	cv = curlev_new(base, 4);
	ck_assert_ptr_nonnull(cv);
}

static void teardown(void)
{
	curlev_free(cv);
	evhttp_free(http);
	event_base_free(base);
}

START_TEST(answers_and_retry_after)
{
	struct got g = {.want = 1};

	add("/ok", &g, 5000);
	ck_assert_uint_eq(curlev_inflight(cv), 1);
	run(&g);
	ck_assert_uint_eq(curlev_inflight(cv), 0);
	ck_assert_int_eq(g.rc[0], CURLE_OK);
	ck_assert_int_eq(g.code[0], 200);
	ck_assert_str_eq(g.body[0], "hello");
	ck_assert_uint_eq(g.len[0], 5);
	ck_assert_str_eq(g.error[0], "");
	ck_assert_int_eq(g.retry_after[0], 0);

	memset(&g, 0, sizeof g);
	g.want = 1;
	add("/429", &g, 5000);
	run(&g);
	ck_assert_int_eq(g.code[0], 429);
	ck_assert_int_eq(g.retry_after[0], 120);
	ck_assert_str_eq(g.body[0], "{\"error\":\"slow down\"}");

	memset(&g, 0, sizeof g);
	g.want = 1;
	add("/503-long", &g, 5000);
	run(&g);
	ck_assert_int_eq(g.code[0], 503);
	ck_assert_int_eq(g.retry_after[0], CURLEV_RETRY_AFTER_MAX);
	ck_assert_uint_eq(g.len[0], 0);
	ck_assert_str_eq(g.body[0], ""); /* never NULL */

	memset(&g, 0, sizeof g);
	g.want = 1;
	add("/503-date", &g, 5000);
	run(&g);
	ck_assert_int_eq(g.retry_after[0], 0); /* the HTTP-date form is ignored */
}
END_TEST

START_TEST(body_is_capped)
{
	struct got g = {.want = 1};

	add("/big", &g, 5000);
	run(&g);
	ck_assert_int_eq(g.rc[0], CURLE_OK);
	ck_assert_int_eq(g.code[0], 200);
	ck_assert_uint_eq(g.len[0], CURLEV_BODY_MAX);
}
END_TEST

/* A held request times out on its own while others complete on the same
 * loop: nothing blocks. */
START_TEST(timeout_does_not_block_others)
{
	struct got g = {.want = 4};

	add("/hold", &g, 800);
	add("/ok", &g, 5000);
	add("/ok", &g, 5000);
	add("/ok", &g, 5000);
	ck_assert_uint_eq(curlev_inflight(cv), 4);
	run(&g);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(g.rc[i], CURLE_OK);
		ck_assert_int_eq(g.code[i], 200);
	}
	ck_assert_int_eq(g.rc[3], CURLE_OPERATION_TIMEDOUT);
	ck_assert_int_eq(g.code[3], 0);
	ck_assert_msg(strstr(g.error[3], "timed out") != NULL, "error: %s", g.error[3]);
	ck_assert_ptr_null(strchr(g.error[3], '\n'));
}
END_TEST

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

START_TEST(abort_reports_each_once)
{
	struct got g = {.want = 100};
	struct event *t = evtimer_new(base, stop_loop, NULL);
	struct timeval tv = {0, 300000};

	add("/hold", &g, 60000);
	add("/hold", &g, 60000);
	evtimer_add(t, &tv);
	event_base_dispatch(base); /* both requests reach the server */
	event_free(t);
	ck_assert_int_eq(g.n, 0);
	ck_assert_uint_eq(curlev_inflight(cv), 2);
	curlev_abort(cv);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.rc[0], CURLE_ABORTED_BY_CALLBACK);
	ck_assert_int_eq(g.rc[1], CURLE_ABORTED_BY_CALLBACK);
	ck_assert_uint_eq(curlev_inflight(cv), 0);
	ck_assert_uint_eq(curlev_drain(cv, 100), 0);
}
END_TEST

/* curlev_free with transfers still running drops them quietly. */
START_TEST(free_with_transfers_running)
{
	struct got g = {.want = 100};

	add("/hold", &g, 60000);
	add("/ok", &g, 60000);
	curlev_free(cv);
	cv = NULL;
	ck_assert_int_eq(g.n, 0);
}
END_TEST

START_TEST(url_policy)
{
	char why[160];

	ck_assert_int_eq(curlev_url_ok("https://vendor.example/v1", "url", why, sizeof why), 0);
	ck_assert_int_eq(curlev_url_ok("http://127.0.0.1:8080/x", "url", why, sizeof why), 0);
	ck_assert_int_eq(curlev_url_ok("http://localhost/x", "url", why, sizeof why), 0);
	ck_assert_int_eq(curlev_url_ok("http://[::1]:99/x", "url", why, sizeof why), 0);
	ck_assert_int_eq(curlev_url_ok("http://vendor.example/v1", "url", why, sizeof why), -1);
	ck_assert_str_eq(why, "'url' must be https:// (http:// only for 127.0.0.1 or localhost)");
	ck_assert_int_eq(
		curlev_url_ok("http://127.0.0.1.evil.example/", "api_base", why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "'api_base'"));
	ck_assert_int_eq(curlev_url_ok("ftp://127.0.0.1/", "url", why, sizeof why), -1);
	ck_assert_int_eq(curlev_url_ok("not a url", "url", why, sizeof why), -1);
	ck_assert_str_eq(why, "'url' is not a valid URL");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("curlev");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, answers_and_retry_after);
	tcase_add_test(tc, body_is_capped);
	tcase_add_test(tc, timeout_does_not_block_others);
	tcase_add_test(tc, abort_reports_each_once);
	tcase_add_test(tc, free_with_transfers_running);
	tcase_add_test(tc, url_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
