/* The HTTP side of the real dunnd (daemon mode) against the harness's
 * PostgreSQL: health, metrics, signed webhooks and what they change,
 * and hostile requests that must change nothing. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "form.h"
#include "sig.h"
#include "testutil.h"
#include "tuhttp.h"

#define SECRET "webhook-secret-0123456789abcdef"

static char *dir, *cfg, *conninfo;
static PGconn *db;
static pid_t daemon_pid;
static int port, admin; /* http.listen's and http.admin_listen's */

static void get(const char *path, struct tu_resp *r)
{
	tu_http(port, "GET", path, NULL, NULL, 0, NULL, r);
}

/* POST a generic webhook to to_port signed at ts with key (NULL: no
 * signature). */
static void post_signed_to(int to_port, const char *path, const char *body, long long ts,
			   const char *key, struct tu_resp *r)
{
	struct curl_slist *h = NULL;
	char line[160], hex[65], *msg = NULL;

	snprintf(line, sizeof line, "X-Dunn-Timestamp: %lld", ts);
	h = curl_slist_append(h, line);
	if (key) {
		ck_assert(asprintf(&msg, "%lld.%s", ts, body) > 0);
		tu_hmac_hex(key, msg, hex);
		snprintf(line, sizeof line, "X-Dunn-Signature: sha256=%s", hex);
		h = curl_slist_append(h, line);
	}
	tu_http(to_port, "POST", path, "application/json", body, strlen(body), h, r);
	free(msg);
}

static void post_signed(const char *path, const char *body, long long ts, const char *key,
			struct tu_resp *r)
{
	post_signed_to(port, path, body, ts, key, r);
}

/* A callback the provider signs anew: a repeat of the same body is a new
 * callback (another second of the window), not a replay of the last. */
static void post(const char *path, const char *body, struct tu_resp *r)
{
	static long long seq;

	post_signed(path, body, (long long)time(NULL) - 240 + seq++ % 240, SECRET, r);
}

/* fork/exec the real daemon; returns its pid and sets *out_port and, when
 * not NULL, *out_admin (the admin listener's). */
static pid_t start_daemon(const char *config, const char *tag, int *out_port, int *out_admin)
{
	char *pf = NULL, *af = NULL, *log = NULL, *bin = NULL;
	int admin_port;
	pid_t pid;

	ck_assert(asprintf(&pf, "%s/%s.port", dir, tag) > 0);
	ck_assert(asprintf(&af, "%s/%s.admin", dir, tag) > 0);
	ck_assert(asprintf(&log, "%s/%s.log", dir, tag) > 0);
	ck_assert(asprintf(&bin, "%s/dunnd", tu_env("DUNN_BUILD")) > 0);
	unlink(pf);
	unlink(af);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("DUNND_HTTP_PORT_FILE", pf, 1);
		setenv("DUNND_ADMIN_PORT_FILE", af, 1);
		execl(bin, "dunnd", "-c", config, (char *)NULL);
		_exit(127);
	}
	*out_port = tu_wait_port(pf, 10000);
	ck_assert_msg(*out_port > 0, "dunnd did not write its port (see %s)", log);
	admin_port = tu_wait_port(af, 10000);
	ck_assert_msg(admin_port > 0, "dunnd did not write its admin port (see %s)", log);
	if (out_admin)
		*out_admin = admin_port;
	free(pf);
	free(af);
	free(log);
	free(bin);
	return pid;
}

/* SIGTERM and reap; returns the wait status, -1 if it had to be killed. */
static int stop_daemon(pid_t pid)
{
	int st = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static long wait_health(int to_port, long want)
{
	struct tu_resp r;

	for (int i = 0; i < 100; i++) {
		tu_http(to_port, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
		if (r.code == want)
			break;
		usleep(100000);
	}
	return r.code;
}

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("http");
	free(tu_file(dir, "webhook_secret", SECRET "\n"));
	cfg = tu_config_ex(dir, conninfo, NULL,
			   "\"webhook_secret_file\": \"webhook_secret\", \"max_body\": 2048,\n"
			   "            \"timeout_s\": 2",
			   NULL);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	tu_seed_sent(db);
	daemon_pid = start_daemon(cfg, "dunnd", &port, &admin);
	ck_assert_int_eq(wait_health(port, 200), 200);
}

static void teardown(void)
{
	int st = stop_daemon(daemon_pid);

	PQfinish(db);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "dunnd did not exit cleanly on SIGTERM (status %d, log in %s)", st, dir);
	tu_teardown(NULL, dir, cfg, conninfo);
}

static long long q(const char *sql)
{
	return tu_qint(db, sql);
}

static char *status_of(const char *pid)
{
	char sql[160];

	snprintf(sql, sizeof sql,
		 "SELECT status || '|' || coalesce(last_error, '') FROM dunning.deliveries "
		 "WHERE provider_message_id = '%s'",
		 pid);
	return tu_qstr(db, sql);
}

/* Connect, say nothing for secs, then ask: bytes of answer (0 = closed). */
static ssize_t idle_then_request(int secs)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static const char ask[] = "GET /healthz HTTP/1.0\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[256];
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd >= 0);
	ck_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
	sleep((unsigned)secs);
	if (send(fd, ask, sizeof ask - 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 0;
	}
	n = recv(fd, buf, sizeof buf, 0);
	close(fd);
	return n < 0 ? 0 : n;
}

static int has_header(const struct tu_resp *r, const char *h)
{
	return strcasestr(r->headers, h) != NULL;
}

START_TEST(healthz_and_metrics)
{
	struct tu_resp r;
	char *line, *save = NULL;
	int samples = 0, help = 0, type = 0;

	get("/healthz", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ok\""));
	ck_assert(has_header(&r, "X-Content-Type-Options: nosniff"));
	ck_assert(has_header(&r, "Cache-Control: no-store"));
	/* A webhook first, so that its counter shows. */
	post("/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"delivered\"}", &r);
	ck_assert_int_eq(r.code, 200);
	tu_http(admin, "GET", "/metrics", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert(has_header(&r, "Content-Type: text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE dunnd_build_info gauge\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_build_info{version=\""));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE dunnd_deliveries_total counter\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE dunnd_send_latency_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(
		r.body, "\ndunnd_send_latency_seconds_bucket{channel=\"email\",le=\"+Inf\"} 0\n"));
	ck_assert_ptr_nonnull(
		strstr(r.body, "\ndunnd_send_latency_seconds_count{channel=\"email\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(
		r.body,
		"\ndunnd_webhook_requests_total{path=\"/webhooks/sms/status\",code=\"200\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_config_reloads_total{result=\"ok\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_database_up 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_outbox_depth "));
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_outbox_oldest_due_seconds "));
	/* Every line: a HELP or TYPE comment, or name[{labels}] value. */
	for (line = strtok_r(r.body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], *end;
		if (strncmp(line, "# HELP ", 7) == 0) {
			help++;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			type++;
			continue;
		}
		ck_assert_msg(sscanf(line, "%127[a-zA-Z0-9_:]", name) == 1, "bad line: %s", line);
		ck_assert_msg(line[strlen(name)] == '{' || line[strlen(name)] == ' ',
			      "bad line: %s", line);
		strtod(strrchr(line, ' ') + 1, &end);
		ck_assert_msg(*end == '\0', "bad value: %s", line);
		samples++;
	}
	ck_assert_int_eq(help, type);
	ck_assert_int_ge(help, 8);
	ck_assert_int_gt(samples, 10);
	/* A real parser agrees, when Debian's prometheus client is there. */
	if (tu_sh("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null") == 0)
		ck_assert_msg(tu_sh("curl -sf http://127.0.0.1:%d/metrics | /usr/bin/python3 -c '"
				    "import sys; from prometheus_client.parser import "
				    "text_string_to_metric_families as p; "
				    "print(len(list(p(sys.stdin.read()))))'",
				    admin) == 0,
			      "%s", tu_output());
	tu_http(port, "HEAD", "/healthz", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
}
END_TEST

/* Metrics (volumes, error reasons, the version) only on the admin
 * listener; the customer's and the providers' routes only on the public
 * one; health on both. */
START_TEST(metrics_only_on_the_admin_listener)
{
	static const char *const admin_only[] = {"/metrics", "/metrics?x=1", "/metrics/", NULL};
	static const char *const public_only[] = {"/p/x", "/webhooks/sms/status",
						  "/webhooks/twilio/inbound", NULL};
	struct tu_resp r;

	for (const char *const *p = admin_only; *p; p++) {
		get(*p, &r);
		ck_assert_msg(r.code == 404, "public %s: %ld", *p, r.code);
		ck_assert_ptr_null(strstr(r.body, "dunnd_build_info"));
		tu_http(port, "HEAD", *p, NULL, NULL, 0, NULL, &r);
		ck_assert_msg(r.code == 404, "public HEAD %s: %ld", *p, r.code);
	}
	tu_http(admin, "GET", "/metrics?x=1", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "dunnd_build_info"));
	for (const char *const *p = public_only; *p; p++) {
		tu_http(admin, "GET", *p, NULL, NULL, 0, NULL, &r);
		ck_assert_msg(r.code == 404, "admin GET %s: %ld", *p, r.code);
		tu_http(admin, "POST", *p, "application/json", "{}", 2, NULL, &r);
		ck_assert_msg(r.code == 404, "admin POST %s: %ld", *p, r.code);
	}
	tu_http(admin, "POST", "/metrics", "application/json", "{}", 2, NULL, &r);
	ck_assert_int_eq(r.code, 405);
	ck_assert(has_header(&r, "Allow: GET, HEAD"));
	get("/healthz", &r);
	ck_assert_int_eq(r.code, 200);
	tu_http(admin, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ok\""));
	ck_assert(has_header(&r, "Cache-Control: no-store"));
}
END_TEST

START_TEST(healthz_503_without_database)
{
	char *bad_cfg, *bad_dir = NULL;
	struct tu_resp r;
	pid_t pid;
	int p, a;

	ck_assert(asprintf(&bad_dir, "%s/nodb", dir) > 0);
	ck_assert(mkdir(bad_dir, 0755) == 0);
	free(tu_file(bad_dir, "webhook_secret", SECRET "\n"));
	bad_cfg = tu_config_ex(bad_dir,
			       "host=/nonexistent/socket/dir port=5432 user=postgres "
			       "dbname=x connect_timeout=1",
			       NULL, NULL, NULL);
	pid = start_daemon(bad_cfg, "nodb", &p, &a);
	ck_assert_int_eq(wait_health(p, 503), 503);
	tu_http(p, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "\"database\":\"down\""));
	ck_assert_int_eq(wait_health(a, 503), 503);
	tu_http(a, "GET", "/metrics", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\ndunnd_database_up 0\n"));
	stop_daemon(pid);
	free(bad_cfg);
	free(bad_dir);
}
END_TEST

START_TEST(signatures_are_required)
{
	const char *body = "{\"id\":\"SM-1\",\"status\":\"delivered\"}";
	long long now = (long long)time(NULL);
	struct tu_resp r;
	char *s;

	post_signed("/webhooks/sms/status", body, now, NULL, &r); /* no signature */
	ck_assert_int_eq(r.code, 403);
	post_signed("/webhooks/sms/status", body, now, "wrong-secret-0123456789", &r);
	ck_assert_int_eq(r.code, 403);
	post_signed("/webhooks/sms/status", body, now - 330, SECRET, &r); /* too old */
	ck_assert_int_eq(r.code, 403);
	post_signed("/webhooks/sms/status", body, now + 330, SECRET, &r); /* from the future */
	ck_assert_int_eq(r.code, 403);
	tu_http(port, "POST", "/webhooks/sms/inbound", NULL,
		"{\"from\":\"+15550001111\",\"body\":\"STOP\"}", 37, NULL, &r);
	ck_assert_int_eq(r.code, 403);
	post_signed("/webhooks/email/events",
		    "{\"type\":\"bounce\",\"address\":\"alice@customer.test\"}", now, "x", &r);
	ck_assert_int_eq(r.code, 403);
	s = status_of("SM-1");
	ck_assert_str_eq(s, "sent|");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events"), 0);
	/* The same body, signed now: applied. */
	post("/webhooks/sms/status", body, &r);
	ck_assert_int_eq(r.code, 200);
	s = status_of("SM-1");
	ck_assert_str_eq(s, "delivered|");
	free(s);
}
END_TEST

START_TEST(hostile_requests_change_nothing)
{
	char big[4096];
	struct tu_resp r;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "{\"id\":\"", 7);
	post("/webhooks/sms/status", big, &r);
	ck_assert_int_eq(r.code, 413);
	post("/webhooks/sms/status", "{\"id\":\"SM-1\",", &r);
	ck_assert_int_eq(r.code, 400);
	post("/webhooks/sms/status", "id=SM-1&status=delivered", &r);
	ck_assert_int_eq(r.code, 400);
	post("/webhooks/email/events", "{\"type\":\"bounce\"}", &r);
	ck_assert_int_eq(r.code, 400);
	ck_assert(has_header(&r, "X-Content-Type-Options: nosniff"));
	get("/webhooks/sms/status", &r);
	ck_assert_int_eq(r.code, 405);
	ck_assert(has_header(&r, "Allow: POST"));
	ck_assert(has_header(&r, "Cache-Control: no-store"));
	tu_http(port, "DELETE", "/healthz", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 405);
	ck_assert(has_header(&r, "Allow: GET, HEAD"));
	get("/nope", &r);
	ck_assert_int_eq(r.code, 404);
	ck_assert(has_header(&r, "X-Content-Type-Options: nosniff"));
	get("/webhooks/sms/status/../../etc/passwd", &r);
	ck_assert_int_eq(r.code, 404);
	/* Twilio paths without a Twilio channel configured. */
	tu_http(port, "POST", "/webhooks/twilio/status", "application/x-www-form-urlencoded",
		"MessageSid=SM-1&MessageStatus=delivered", 39, NULL, &r);
	ck_assert_int_eq(r.code, 404);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE status <> 'sent'"), 0);
	/* An idle client is cut off (timeout_s 2); the daemon keeps serving. */
	ck_assert_int_eq(idle_then_request(3), 0);
	get("/healthz", &r);
	ck_assert_int_eq(r.code, 200);
}
END_TEST

START_TEST(sms_keywords_and_replies)
{
	struct tu_resp r;

	post("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\" Stop \"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"reply\":\"Test Telecom: you are unsubscribed"));
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' "
		  "AND address = '+15550001111' AND reason = 'opt-out' AND source = 'reply'"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_out' "
			   "AND account_id IS NOT NULL AND detail::text NOT LIKE '%5550001111%'"),
			 1);
	/* Said twice: nothing new, no second confirmation. */
	post("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\"OPT OUT\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"result\":\"unchanged\"}");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_out'"), 1);
	/* START lifts it, once. */
	post("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\"start\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "subscribed to SMS reminders again"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_in'"), 1);
	/* HELP: the help text naming the company and support. */
	post("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\"HELP\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Test Telecom"));
	ck_assert_ptr_nonnull(strstr(r.body, "help@test.example"));
	/* Anything else: kept, and a task for the call team due now. */
	post("/webhooks/sms/inbound",
	     "{\"from\":\"+15550001111\",\"body\":\"I will pay on Friday\",\"id\":\"IN-1\"}", &r);
	ck_assert_int_eq(r.code, 200);
	post("/webhooks/sms/inbound",
	     "{\"from\":\"+15550001111\",\"body\":\"I will pay on Friday\",\"id\":\"IN-1\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.inbound_messages m "
			   "JOIN dunning.accounts a ON a.id = m.account_id "
			   "WHERE a.external_ref = 'A-1' AND m.body = 'I will pay on Friday' "
			   "AND m.case_id IS NOT NULL"),
			 1);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.phone_tasks t JOIN dunning.inbound_messages m "
		  "ON m.id = t.inbound_message_id WHERE t.case_id = m.case_id "
		  "AND t.due_at <= now() AND t.completed_at IS NULL"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_inbound' "
			   "AND detail::text NOT LIKE '%Friday%'"),
			 1);
	/* An unknown number is kept too, without a task. */
	post("/webhooks/sms/inbound", "{\"from\":\"+15559999999\",\"body\":\"who is this\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.inbound_messages WHERE account_id IS NULL"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 1);
}
END_TEST

START_TEST(status_callbacks_only_move_forward)
{
	struct tu_resp r;
	long long events;
	char *s;

	post("/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"delivered\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"result\":\"updated\"}");
	events = q("SELECT count(*) FROM dunning.events");
	ck_assert_int_eq(events, 1);
	/* Repeated: nothing changes, nothing recorded. */
	post("/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"delivered\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"result\":\"unchanged\"}");
	/* Late 'sent' and even 'failed' after 'delivered': ignored. */
	post("/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"sent\"}", &r);
	ck_assert_int_eq(r.code, 200);
	post("/webhooks/sms/status",
	     "{\"id\":\"SM-1\",\"status\":\"failed\",\"error_code\":\"30003\"}", &r);
	ck_assert_int_eq(r.code, 200);
	s = status_of("SM-1");
	ck_assert_str_eq(s, "delivered|");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events"), events);
	/* A failure with the provider's code, stored. */
	post("/webhooks/sms/status",
	     "{\"id\":\"SM-2\",\"status\":\"undelivered\",\"error_code\":30007}", &r);
	ck_assert_int_eq(r.code, 200);
	s = status_of("SM-2");
	ck_assert_str_eq(s, "failed|sms:30007");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'delivery_failed' "
			   "AND detail->>'error_code' = '30007' AND delivery_id IS NOT NULL"),
			 1);
	/* Unknown provider id: 200, recorded. */
	post("/webhooks/sms/status", "{\"id\":\"SM-404\",\"status\":\"delivered\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"result\":\"unknown_id\"}");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'webhook_unknown_id' "
			   "AND detail->>'provider_id' = 'SM-404'"),
			 1);
	/* A status nobody knows: 200, ignored. */
	post("/webhooks/sms/status", "{\"id\":\"SM-2\",\"status\":\"teleported\"}", &r);
	ck_assert_int_eq(r.code, 200);
}
END_TEST

START_TEST(email_bounces_and_complaints)
{
	struct tu_resp r;
	char *s;

	post("/webhooks/email/events",
	     "{\"type\":\"bounce\",\"address\":\"Alice@Customer.test\",\"id\":\"EM-1\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'email' "
			   "AND address = 'alice@customer.test' AND reason = 'bounce'"),
			 1);
	s = status_of("EM-1");
	ck_assert_str_eq(s, "bounced|email:bounce");
	free(s);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind IN "
			   "('suppressed', 'delivery_bounced') AND account_id IS NOT NULL "
			   "AND detail::text NOT LIKE '%alice%'"),
			 2);
	post("/webhooks/email/events",
	     "{\"type\":\"bounce\",\"address\":\"alice@customer.test\",\"id\":\"EM-1\"}", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events"), 2);
	post("/webhooks/email/events", "{\"type\":\"complaint\",\"address\":\"bob@customer.test\"}",
	     &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'email' "
			   "AND address = 'bob@customer.test' AND reason = 'complaint'"),
			 1);
}
END_TEST

/* POST a Twilio callback signed with token over public_url + path. */
static void post_twilio(int to_port, const char *token, const char *path, const char *body,
			struct tu_resp *r)
{
	struct curl_slist *h = NULL;
	struct form f = {0};
	char url[256], sig[SIG_TWILIO_LEN], line[160];

	snprintf(url, sizeof url, "https://pay.test%s", path);
	ck_assert_int_eq(form_parse(body, strlen(body), &f), FORM_OK);
	ck_assert_int_eq(sig_twilio_compute(token, url, &f, sig), 0);
	form_free(&f);
	snprintf(line, sizeof line, "X-Twilio-Signature: %s", sig);
	h = curl_slist_append(h, line);
	tu_http(to_port, "POST", path, "application/x-www-form-urlencoded", body, strlen(body), h,
		r);
}

/* Twilio's callbacks reach the sms module that owns the auth token, which
 * verifies X-Twilio-Signature; the daemon applies what they mean. */
START_TEST(twilio_callbacks_verified_by_the_module)
{
	char *tdir = tu_tmpdir(), *tcfg, chans[512];
	struct tu_resp r;
	pid_t tpid;
	int tport;

	free(tu_file(tdir, "tw_token", "tw-auth-token-0123456789\n"));
	snprintf(chans, sizeof chans,
		 "{\"tw\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": \"%s\", "
		 "\"account_sid\": \"ACtest\", \"auth_token_file\": \"tw_token\", "
		 "\"from\": \"+15550009999\"}}",
		 tu_env("DUNN_GATEWAY"));
	tcfg = tu_config_channels(tdir, conninfo, NULL, chans);
	tpid = start_daemon(tcfg, "twilio", &tport, NULL);
	ck_assert_int_eq(wait_health(tport, 200), 200);

	post_twilio(tport, "tw-auth-token-0123456789", "/webhooks/twilio/status",
		    "MessageSid=SM-1&MessageStatus=delivered&AccountSid=ACtest", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-1' AND status = 'delivered'"),
			 1);
	/* Signed with the wrong token: 403, nothing changes. */
	post_twilio(tport, "not-the-token", "/webhooks/twilio/status",
		    "MessageSid=SM-2&MessageStatus=delivered&AccountSid=ACtest", &r);
	ck_assert_int_eq(r.code, 403);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-2' AND status = 'sent'"),
			 1);
	/* STOP by text: suppressed at once, one confirmation in TwiML. */
	post_twilio(tport, "tw-auth-token-0123456789", "/webhooks/twilio/inbound",
		    "MessageSid=SMin1&From=%2B15550001111&To=%2B15550009999&Body=%20stop%20", &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "<Response>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<Message>"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' "
			   "AND address = '+15550001111'"),
			 1);

	ck_assert_int_eq(WEXITSTATUS(stop_daemon(tpid)), 0);
	free(tcfg);
	free(tdir);
}
END_TEST

/* /webhooks/<instance>/<kind> reaches that instance's module alone: a
 * callback signed with another instance's key is refused there, the
 * module answers in its own format, and only configured instances with
 * callbacks have routes. */
START_TEST(webhooks_routed_by_instance)
{
	char *tdir = tu_tmpdir(), *tcfg, chans[1024];
	struct tu_resp r;
	long long now = (long long)time(NULL);
	pid_t tpid;
	int tport;

	free(tu_file(tdir, "tw_token", "tw-auth-token-0123456789\n"));
	free(tu_file(tdir, "tw2_token", "tw2-auth-token-0123456789\n"));
	free(tu_file(tdir, "gs_token", "generic-sms-token-0123456789\n"));
	snprintf(chans, sizeof chans,
		 "{\"tw\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": \"%s\", "
		 "\"account_sid\": \"ACtest\", \"auth_token_file\": \"tw_token\", "
		 "\"from\": \"+15550009999\"}, "
		 "\"tw2\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": \"%s\", "
		 "\"account_sid\": \"ACtest2\", \"auth_token_file\": \"tw2_token\", "
		 "\"from\": \"+15550009998\"}, "
		 "\"gs\": {\"module\": \"sms\", \"provider\": \"generic\", \"api_base\": \"%s\", "
		 "\"auth_token_file\": \"gs_token\", \"from\": \"+15550009997\"}}",
		 tu_env("DUNN_GATEWAY"), tu_env("DUNN_GATEWAY"), tu_env("DUNN_GATEWAY"));
	tcfg = tu_config_channels(tdir, conninfo, NULL, chans);
	tpid = start_daemon(tcfg, "routed", &tport, NULL);
	ck_assert_int_eq(wait_health(tport, 200), 200);

	post_twilio(tport, "tw-auth-token-0123456789", "/webhooks/tw/status",
		    "MessageSid=SM-1&MessageStatus=delivered&AccountSid=ACtest", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-1' AND status = 'delivered'"),
			 1);
	/* tw2's own key on tw's route: not tw's callback. */
	post_twilio(tport, "tw2-auth-token-0123456789", "/webhooks/tw/status",
		    "MessageSid=SM-2&MessageStatus=delivered&AccountSid=ACtest2", &r);
	ck_assert_int_eq(r.code, 403);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-2' AND status = 'sent'"),
			 1);
	/* The module answers Twilio in TwiML, with the confirmation. */
	post_twilio(tport, "tw2-auth-token-0123456789", "/webhooks/tw2/inbound",
		    "MessageSid=SMin1&From=%2B15550001111&To=%2B15550009998&Body=STOP", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "<Response><Message>"));
	ck_assert_ptr_nonnull(strstr(r.body, "</Message></Response>"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' "
			   "AND address = '+15550001111'"),
			 1);
	/* A generic instance: its own key, JSON back; the http-wide key is
	 * not the instance's. */
	post_signed_to(tport, "/webhooks/gs/inbound",
		       "{\"from\":\"+15550002222\",\"body\":\"STOP\"}", now, SECRET, &r);
	ck_assert_int_eq(r.code, 403);
	post_signed_to(tport, "/webhooks/gs/inbound",
		       "{\"from\":\"+15550002222\",\"body\":\"STOP\"}", now,
		       "generic-sms-token-0123456789", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"reply\""));
	/* No route for a channel without callbacks, or for no channel; only
	 * POST on those that exist. */
	tu_http(tport, "POST", "/webhooks/email/status", "application/json", "{}", 2, NULL, &r);
	ck_assert_int_eq(r.code, 404);
	tu_http(tport, "POST", "/webhooks/nobody/status", "application/json", "{}", 2, NULL, &r);
	ck_assert_int_eq(r.code, 404);
	tu_http(tport, "GET", "/webhooks/tw/status", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 405);
	tu_http(tport, "POST", "/webhooks/tw/status/x", "application/json", "{}", 2, NULL, &r);
	ck_assert_int_eq(r.code, 404);
	ck_assert_int_eq(WEXITSTATUS(stop_daemon(tpid)), 0);
	free(tcfg);
	tu_sh("rm -rf '%s'", tdir);
	free(tdir);
}
END_TEST

/* A generic sms instance verifies its callbacks with its own key: the
 * token by default, or its webhook_secret_file; no http-wide key needed. */
START_TEST(sms_instances_verify_with_their_own_secret)
{
	char *tdir = tu_tmpdir(), *tcfg, chans[1024];
	struct tu_resp r;
	long long now = (long long)time(NULL);
	pid_t tpid;
	int tport;

	free(tu_file(tdir, "gs_token", "generic-sms-token-0123456789\n"));
	free(tu_file(tdir, "gs2_token", "other-sms-token-0123456789\n"));
	free(tu_file(tdir, "gs2_hook", "other-sms-hook-key-0123456789\n"));
	snprintf(chans, sizeof chans,
		 "{\"gs\": {\"module\": \"sms\", \"provider\": \"generic\", \"api_base\": \"%s\", "
		 "\"auth_token_file\": \"gs_token\", \"from\": \"+15550009999\"}, "
		 "\"gs2\": {\"module\": \"sms\", \"provider\": \"generic\", \"api_base\": \"%s\", "
		 "\"auth_token_file\": \"gs2_token\", \"webhook_secret_file\": \"gs2_hook\", "
		 "\"from\": \"+15550009998\"}}",
		 tu_env("DUNN_GATEWAY"), tu_env("DUNN_GATEWAY"));
	tcfg = tu_config_channels(tdir, conninfo, NULL, chans);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", tcfg) == 0, "%s", tu_output());
	tpid = start_daemon(tcfg, "generic", &tport, NULL);
	ck_assert_int_eq(wait_health(tport, 200), 200);

	/* gs: signed with its token. */
	post_signed_to(tport, "/webhooks/sms/inbound",
		       "{\"from\":\"+15550001111\",\"body\":\"STOP\"}", now,
		       "generic-sms-token-0123456789", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' "
			   "AND address = '+15550001111' AND reason = 'opt-out'"),
			 1);
	/* gs2: its webhook_secret_file, not its token. */
	post_signed_to(tport, "/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"delivered\"}",
		       now, "other-sms-token-0123456789", &r);
	ck_assert_int_eq(r.code, 403);
	post_signed_to(tport, "/webhooks/sms/status", "{\"id\":\"SM-1\",\"status\":\"delivered\"}",
		       now, "other-sms-hook-key-0123456789", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-1' AND status = 'delivered'"),
			 1);
	/* Any other key: 403, nothing changes. */
	post_signed_to(tport, "/webhooks/sms/status", "{\"id\":\"SM-2\",\"status\":\"delivered\"}",
		       now, SECRET, &r);
	ck_assert_int_eq(r.code, 403);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE provider_message_id = "
			   "'SM-2' AND status = 'sent'"),
			 1);
	ck_assert_int_eq(WEXITSTATUS(stop_daemon(tpid)), 0);
	free(tcfg);
	tu_sh("rm -rf '%s'", tdir);
	free(tdir);
}
END_TEST

/* The same signed callback sent again inside the 5-minute window: 200
 * "duplicate", nothing written a second time. */
START_TEST(replayed_callbacks_change_nothing)
{
	static const char reply[] = "{\"from\":\"+15550001111\",\"body\":\"I will pay on Friday\"}";
	long long now = (long long)time(NULL);
	struct tu_resp r;

	PQclear(tu_q(db,
		     "INSERT INTO dunning.webhook_seen VALUES ('sha256=expired', "
		     "now() - interval '1 hour')"));
	post_signed("/webhooks/sms/inbound", reply, now, SECRET, &r);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"updated\""));
	for (int i = 0; i < 3; i++) {
		post_signed("/webhooks/sms/inbound", reply, now, SECRET, &r);
		ck_assert_int_eq(r.code, 200);
		ck_assert_str_eq(r.body, "{\"result\":\"duplicate\"}");
	}
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.inbound_messages"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_inbound'"), 1);
	/* A STOP replayed: one opt-out, one confirmation. */
	post_signed("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\"STOP\"}", now,
		    SECRET, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "unsubscribed"));
	post_signed("/webhooks/sms/inbound", "{\"from\":\"+15550001111\",\"body\":\"STOP\"}", now,
		    SECRET, &r);
	ck_assert_str_eq(r.body, "{\"result\":\"duplicate\"}");
	/* The provider sending it anew, signed at another second, is another
	 * callback: the customer may well text the same words twice. */
	post_signed("/webhooks/sms/inbound", reply, now + 1, SECRET, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "\"updated\""));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.inbound_messages"), 2);
	/* Expired signatures are forgotten on the way. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.webhook_seen WHERE signature = "
			   "'sha256=expired'"),
			 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.webhook_seen"), 3);
}
END_TEST

/* A reply whose text is not valid UTF-8 is kept, each bad byte replaced
 * with U+FFFD: Twilio's form and a generic provider's JSON alike. */
START_TEST(invalid_utf8_replies_are_kept)
{
	char *tdir = tu_tmpdir(), *tcfg, chans[512], *body;
	struct tu_resp r;
	pid_t tpid;
	int tport;

	post("/webhooks/sms/inbound",
	     "{\"from\":\"+15550001111\",\"body\":\"Requ\xeate invalide\"}", &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	body = tu_qstr(db, "SELECT body FROM dunning.inbound_messages");
	ck_assert_str_eq(body, "Requ\xef\xbf\xbdte invalide");
	free(body);

	free(tu_file(tdir, "tw_token", "tw-auth-token-0123456789\n"));
	snprintf(chans, sizeof chans,
		 "{\"tw\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": \"%s\", "
		 "\"account_sid\": \"ACtest\", \"auth_token_file\": \"tw_token\", "
		 "\"from\": \"+15550009999\"}}",
		 tu_env("DUNN_GATEWAY"));
	tcfg = tu_config_channels(tdir, conninfo, NULL, chans);
	tpid = start_daemon(tcfg, "twilio-utf8", &tport, NULL);
	ck_assert_int_eq(wait_health(tport, 200), 200);
	/* Latin-1 "Café", and a Korean character cut in half. */
	post_twilio(tport, "tw-auth-token-0123456789", "/webhooks/twilio/inbound",
		    "MessageSid=SMbad1&From=%2B15550001111&To=%2B15550009999&Body=Caf%E9+%ED%95",
		    &r);
	ck_assert_msg(r.code == 200, "%ld %s", r.code, r.body);
	body = tu_qstr(db,
		       "SELECT body FROM dunning.inbound_messages WHERE provider_message_id = "
		       "'SMbad1'");
	ck_assert_str_eq(body, "Caf\xef\xbf\xbd \xef\xbf\xbd");
	free(body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 2);
	ck_assert_int_eq(WEXITSTATUS(stop_daemon(tpid)), 0);
	free(tcfg);
	tu_sh("rm -rf '%s'", tdir);
	free(tdir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, healthz_and_metrics);
	tcase_add_test(tc, metrics_only_on_the_admin_listener);
	tcase_add_test(tc, healthz_503_without_database);
	tcase_add_test(tc, signatures_are_required);
	tcase_add_test(tc, hostile_requests_change_nothing);
	tcase_add_test(tc, sms_keywords_and_replies);
	tcase_add_test(tc, status_callbacks_only_move_forward);
	tcase_add_test(tc, email_bounces_and_complaints);
	tcase_add_test(tc, twilio_callbacks_verified_by_the_module);
	tcase_add_test(tc, webhooks_routed_by_instance);
	tcase_add_test(tc, sms_instances_verify_with_their_own_secret);
	tcase_add_test(tc, replayed_callbacks_change_nothing);
	tcase_add_test(tc, invalid_utf8_replies_are_kept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
