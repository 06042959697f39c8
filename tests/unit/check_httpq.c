/* lib/httpq against an evhttp server on the same loop. */
#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpq.h"
#include "utf8.h"

static struct event_base *base;
static struct evhttp *http;
static int port;

struct item {
	struct httpq_item q;
	char path[32];
};

struct got {
	int n, want, logs, answers;
	enum channel_status st[8];
	int64_t id[8];
	int retry_after[8];
	char error[8][256];
	long logged_http[8];
};
static struct got g;

static void serve(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	if (!strcmp(uri, "/hold")) {
		evbuffer_free(b);
		return;
	}
	if (!strcmp(uri, "/429"))
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "120");
	evbuffer_add_printf(b, "{}");
	evhttp_send_reply(req,
			  !strcmp(uri, "/429")           ? 429
				  : !strcmp(uri, "/404") ? 404
							 : 200,
			  "X", b);
	evbuffer_free(b);
}

static int t_start(void *ctx, struct httpq_item *it, CURL *e)
{
	struct item *x = (struct item *)it;
	char url[128];

	(void)ctx;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, x->path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	return 0;
}

static enum channel_status t_answer(void *ctx, struct httpq_item *it,
				    const struct curlev_result *cr)
{
	(void)ctx;
	g.answers++;
	if (cr->code == 200)
		return CHANNEL_SENT;
	/* as a careless module would: the body's bytes as they came */
	snprintf(it->result.error, sizeof it->result.error, "http %ld Requ\xeate\r\n", cr->code);
	return httpq_refusal(cr, &it->result);
}

static void t_log(void *ctx, const struct httpq_item *it, long code)
{
	(void)ctx;
	g.logged_http[g.logs++] = code;
	/* logged only once made safe */
	ck_assert(utf8_valid(it->result.error, strlen(it->result.error)));
	ck_assert(!strpbrk(it->result.error, "\r\n"));
	ck_assert_int_eq(it->result.status == CHANNEL_SENT || it->result.status == CHANNEL_RETRY ||
				 it->result.status == CHANNEL_FAILED,
			 1);
}

static void t_free(struct httpq_item *it)
{
	free(it);
}

static const struct httpq_ops ops = {t_start, t_answer, t_log, t_free};

static void on_done(const struct channel_result *r, void *arg)
{
	int i = g.n++;

	(void)arg;
	g.st[i] = r->status;
	g.id[i] = r->delivery_id;
	g.retry_after[i] = r->retry_after;
	snprintf(g.error[i], sizeof g.error[i], "%s", r->error);
	if (g.n == g.want)
		event_base_loopexit(base, NULL);
}

static struct item *mk(const char *path, int64_t id)
{
	struct item *x = calloc(1, sizeof *x);
	struct channel_msg m = {.delivery_id = id};

	httpq_item_init(&x->q, &m, on_done, NULL);
	snprintf(x->path, sizeof x->path, "%s", path);
	return x;
}

static void setup(void)
{
	struct evhttp_bound_socket *s;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof ss;

	memset(&g, 0, sizeof g);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, serve, NULL);
	s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&ss, &sl),
			 0);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void teardown(void)
{
	evhttp_free(http);
	event_base_free(base);
}

static void run(void)
{
	struct timeval limit = {20, 0};

	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	ck_assert_int_eq(g.n, g.want);
}

START_TEST(answers_and_rejects)
{
	struct httpq_limits lim = {2, 10, 5000};
	struct httpq *q = httpq_new(base, &lim, &ops, NULL);
	struct item *r;

	g.want = 4;
	httpq_push(q, &mk("/ok", 1)->q);
	httpq_push(q, &mk("/429", 2)->q);
	httpq_push(q, &mk("/404", 3)->q);
	r = mk("/x", 4);
	snprintf(r->q.result.error, sizeof r->q.result.error, "bad \x1b[2J");
	httpq_reject(q, &r->q, CHANNEL_FAILED);
	ck_assert_int_eq(g.n, 0); /* never from inside send() */
	ck_assert_uint_eq(httpq_inflight(q), 4);
	run();
	ck_assert_uint_eq(httpq_inflight(q), 0);
	ck_assert_int_eq(g.answers, 3);
	ck_assert_int_eq(g.logs, 4);
	ck_assert_int_eq(g.id[0], 4); /* the reject finished first */
	ck_assert_int_eq(g.st[0], CHANNEL_FAILED);
	ck_assert_str_eq(g.error[0], "bad \\x1b[2J");
	for (int i = 1; i < 4; i++) {
		if (g.id[i] == 1)
			ck_assert_int_eq(g.st[i], CHANNEL_SENT);
		if (g.id[i] == 2) {
			ck_assert_int_eq(g.st[i], CHANNEL_RETRY);
			ck_assert_int_eq(g.retry_after[i], 120);
		}
		if (g.id[i] == 3) {
			ck_assert_int_eq(g.st[i], CHANNEL_FAILED);
			ck_assert_str_eq(g.error[i], "http 404 Requ" UTF8_REPLACEMENT "te\\r\\n");
		}
	}
	httpq_close(q);
}
END_TEST

START_TEST(flow_control_and_close)
{
	struct httpq_limits lim = {2, 1, 300};
	struct httpq *q = httpq_new(base, &lim, &ops, NULL);

	ck_assert_int_eq(httpq_full(q), 0);
	httpq_push(q, &mk("/hold", 1)->q);
	httpq_push(q, &mk("/hold", 2)->q);
	ck_assert_int_eq(httpq_full(q), 0);
	httpq_push(q, &mk("/hold", 3)->q);
	ck_assert_int_eq(httpq_full(q), 1);
	ck_assert_uint_eq(httpq_inflight(q), 3);
	g.want = 99;
	httpq_close(q); /* every done callback before it returns */
	ck_assert_int_eq(g.n, 3);
	ck_assert_int_eq(g.id[0], 3);
	/* The queued one never left: unsent. Those on the wire may have
	 * reached the gateway: retried. */
	ck_assert_str_eq(g.error[0], "channel closed before sending");
	ck_assert_int_eq(g.st[0], CHANNEL_UNSENT);
	for (int i = 1; i < 3; i++)
		ck_assert_int_eq(g.st[i], CHANNEL_RETRY);
}
END_TEST

START_TEST(limits)
{
	json_t *c = json_pack("{s:i}", "max_queued", -1);
	struct httpq_limits lim;
	char err[200] = "";

	ck_assert_int_eq(httpq_limits_read(c, "x", 16, &lim, err, sizeof err), -1);
	ck_assert_str_eq(err, "channel 'x': 'max_queued' must be an integer from 0 to 1048576");
	json_decref(c);
	c = json_object();
	ck_assert_int_eq(httpq_limits_read(c, "x", 16, &lim, err, sizeof err), 0);
	ck_assert_int_eq(lim.max_inflight, 16);
	ck_assert_int_eq(lim.max_queued, 4096);
	ck_assert_int_eq(lim.timeout_ms, 10000);
	json_decref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("httpq");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, answers_and_rejects);
	tcase_add_test(tc, flow_control_and_close);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
