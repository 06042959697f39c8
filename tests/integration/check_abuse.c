/* Abuse of the real dunnd's HTTP side (daemon mode): thousands of
 * malformed, oversized and unsigned requests from two threads while
 * hundreds of idle and half-sent connections sit open. /healthz must
 * keep answering quickly, memory must stay bounded, nothing in the
 * database may change, idle connections must be closed by the server,
 * and the daemon must still exit 0 on SIGTERM. Figures are printed with
 * an "abuse:" prefix. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define SECRET "abuse-webhook-secret-0123456789"
#define TOKEN "abuse-twilio-token-0123456789"
#define REQUESTS 3000 /* malformed/unsigned requests, over all threads */
#define THREADS 2
#define IDLE 300    /* connections that send nothing or half a request */
#define TIMEOUT_S 3 /* http.timeout_s of this daemon */
#define KINDS 18

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud d;
static int port;

/* A blocking socket to the daemon with generous timeouts; -1 on failure. */
static int dial(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send len bytes and read the status line. Returns the HTTP status, 0
 * when the server closed without one (fine for garbage), -1 when the
 * connection could not be made. A send cut short by the server closing
 * (413 before the body, say) is not an error. */
static int raw(const char *data, size_t len, int read_reply)
{
	char buf[512];
	size_t got = 0, off = 0;
	int fd = dial(), code = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	while (read_reply && got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
		ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) == 0 && got >= 12)
		code = atoi(buf + 9);
	close(fd);
	return code;
}

/* A complete POST with a correct Content-Length (caller frees). */
static char *post_req(const char *path, const char *headers, const char *ctype, const char *body)
{
	char *r = NULL;

	ck_assert(asprintf(&r,
			   "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s"
			   "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
			   path, headers, ctype, strlen(body), body) > 0);
	return r;
}

/* Request number i of the hostile mix, written to *len (caller frees). */
static char *hostile(int i, size_t *len)
{
	char *r = NULL, *big;
	long long now = (long long)time(NULL);
	int k = i % KINDS;

	switch (k) {
	case 0: /* binary garbage, then an end of headers */
		r = malloc(68);
		ck_assert(r);
		for (int j = 0; j < 64; j++)
			r[j] = (char)((i * 131 + j * 29) & 0xff);
		memcpy(r + 64, "\r\n\r\n", 4);
		*len = 68;
		return r;
	case 1: /* one header over the 16 KiB limit */
		big = malloc(20001);
		ck_assert(big);
		memset(big, 'a', 20000);
		big[20000] = '\0';
		ck_assert(asprintf(&r, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n",
				   big) > 0);
		free(big);
		break;
	case 2: /* a body far over http.max_body (only the start is sent) */
		ck_assert(asprintf(&r,
				   "POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\n"
				   "Content-Type: application/json\r\nContent-Length: 10000000\r\n"
				   "\r\n{\"from\":\"+15550001111\",\"body\":\"STOP") > 0);
		break;
	case 3: /* unsigned STOP */
		r = tu_signed_post("/webhooks/sms/inbound",
				   "{\"from\":\"+15550001111\",\"body\":\"STOP\"}", NULL, now);
		break;
	case 4: /* well-formed but wrong signature */
		ck_assert(asprintf(&big,
				   "X-Dunn-Timestamp: %lld\r\nX-Dunn-Signature: sha256=%064d\r\n",
				   now, 0) > 0);
		r = post_req("/webhooks/sms/status", big, "application/json",
			     "{\"id\":\"SM-1\",\"status\":\"failed\"}");
		free(big);
		break;
	case 5: /* correctly signed, an hour old */
		r = tu_signed_post("/webhooks/email/events",
				   "{\"type\":\"bounce\",\"address\":\"alice@customer.test\"}",
				   SECRET, now - 3600);
		break;
	case 6: /* Twilio reply without a signature */
		r = post_req("/webhooks/twilio/inbound", "", "application/x-www-form-urlencoded",
			     "From=%2B15550001111&Body=STOP");
		break;
	case 7: /* Twilio status with a bogus signature */
		r = post_req("/webhooks/twilio/status",
			     "X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n",
			     "application/x-www-form-urlencoded",
			     "MessageSid=SM-2&MessageStatus=failed");
		break;
	case 8: /* wrong method */
		ck_assert(asprintf(&r,
				   "DELETE /webhooks/sms/status HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n") > 0);
		break;
	case 9: /* path games */
		ck_assert(asprintf(&r,
				   "GET /%%2e%%2e/%%2e%%2e/etc/passwd?%d HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n",
				   i) > 0);
		break;
	case 10: /* nonsense Content-Length */
		ck_assert(asprintf(&r,
				   "POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: %s\r\n\r\n{}",
				   i % 2 ? "-1" : "abc") > 0);
		break;
	case 11: /* broken chunked encoding */
		ck_assert(asprintf(&r,
				   "POST /webhooks/sms/status HTTP/1.1\r\nHost: x\r\n"
				   "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n") > 0);
		break;
	case 12: /* a long query on a webhook, unsigned */
		big = malloc(12001);
		ck_assert(big);
		memset(big, 'q', 12000);
		big[12000] = '\0';
		ck_assert(asprintf(&r,
				   "POST /webhooks/sms/inbound?%s HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\nContent-Length: 2\r\n\r\n{}",
				   big) > 0);
		free(big);
		break;
	case 13: /* HTTP/0.9 and no version at all */
		ck_assert(asprintf(&r, i % 2 ? "GET /\r\n\r\n" : "GET\r\n\r\n") > 0);
		break;
	case 14: /* a NUL and a bare CR inside headers */
		ck_assert(asprintf(&r,
				   "POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\n"
				   "X-Dunn-Timestamp: %lld@\rX-Dunn-Signature: sha256=00\r\n"
				   "Content-Length: 2\r\n\r\n{}",
				   now) > 0);
		r[strchr(r, '@') - r] = '\0';
		*len = strlen(r) + 1 + strlen(r + strlen(r) + 1);
		return r;
	case 15: /* three thousand headers: over the 16 KiB limit */
		big = malloc(1000 * 8 + 1);
		ck_assert(big);
		for (int j = 0; j < 1000; j++)
			memcpy(big + 8 * j, "X-A: b\r\n", 8);
		big[8000] = '\0';
		ck_assert(asprintf(&r, "GET /healthz HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n", big, big,
				   big) > 0);
		free(big);
		break;
	case 16: /* signed with the wrong key */
		r = tu_signed_post("/webhooks/sms/inbound",
				   "{\"from\":\"+15550001111\",\"body\":\"STOP\"}",
				   "not-the-secret-0123456789", now);
		break;
	default: /* JSON that is not an object, unsigned; and deep nesting */
		big = malloc(4001);
		ck_assert(big);
		memset(big, '[', 2000);
		memset(big + 2000, ']', 2000);
		big[4000] = '\0';
		r = tu_signed_post("/webhooks/sms/status", i % 2 ? "[1,2,3]" : big, NULL, now);
		free(big);
		break;
	}
	*len = strlen(r);
	return r;
}

struct load {
	int first, n;
	int codes[600]; /* histogram of status codes (0: closed, 1: connect failed) */
	int ok2xx;      /* a hostile request that was accepted: must stay 0 */
	char why[160];
};

static void *load_thread(void *arg)
{
	struct load *l = arg;

	for (int i = l->first; i < l->first + l->n; i++) {
		size_t len;
		char *r = hostile(i, &len);
		int code = raw(r, len, 1);
		free(r);
		l->codes[code < 0 ? 1 : code < 600 ? code : 0]++;
		if (code >= 200 && code < 300 && !l->ok2xx++)
			snprintf(l->why, sizeof l->why, "kind %d got %d", i % KINDS, code);
	}
	return NULL;
}

/* Seconds a /healthz takes and its status (into *code). */
static double healthz(int *code)
{
	static const char ask[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	double t0 = tu_now_s();

	*code = raw(ask, sizeof ask - 1, 1);
	return tu_now_s() - t0;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "dunnd (pid %d) is gone", (int)pid);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Everything the hostile requests could have changed, in one string. */
static char *state(void)
{
	return tu_qstr(
		db,
		"SELECT (SELECT count(*) FROM dunning.deliveries) || '/' ||\n"
		"  (SELECT string_agg(provider_message_id || '=' || status, ',' ORDER BY id)\n"
		"   FROM dunning.deliveries) || '/' ||\n"
		"  (SELECT count(*) FROM dunning.suppressions) || '/' ||\n"
		"  (SELECT count(*) FROM dunning.events) || '/' ||\n"
		"  (SELECT count(*) FROM dunning.inbound_messages) || '/' ||\n"
		"  (SELECT count(*) FROM dunning.phone_tasks)");
}

static void write_config(void)
{
	char *base, *out = NULL;
	json_t *root, *chans;
	json_error_t err;
	FILE *f;

	free(tu_file(dir, "webhook_secret", SECRET "\n"));
	free(tu_file(dir, "sms_token", TOKEN "\n"));
	base = tu_config_ex(dir, conninfo, NULL,
			    "\"webhook_secret_file\": \"webhook_secret\", \"max_body\": 4096,\n"
			    "            \"timeout_s\": 3",
			    NULL);
	/* A Twilio instance too, so its webhooks verify signatures. */
	root = json_load_file(base, 0, &err);
	ck_assert_msg(root != NULL, "%s", err.text);
	chans = json_object_get(root, "channels");
	json_object_set_new(chans, "sms",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "module", "sms", "provider",
				      "twilio", "api_base", tu_env("DUNN_GATEWAY"), "account_sid",
				      "AC0123", "auth_token_file", "sms_token", "from",
				      "+15005550006"));
	out = json_dumps(root, JSON_INDENT(2));
	f = fopen(base, "w");
	ck_assert(f && out && fputs(out, f) >= 0 && fclose(f) == 0);
	free(out);
	json_decref(root);
	cfg = base;
}

static void setup(void)
{
	char *env_asan = NULL;
	int code = 0;

	signal(SIGPIPE, SIG_IGN);
	dir = tu_tmpdir();
	conninfo = tu_newdb("abuse");
	write_config();
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	tu_seed_sent(db);
#ifdef __SANITIZE_ADDRESS__
	/* ASan keeps 256 MB of freed blocks in quarantine: RSS would measure
	 * that, not us. A small quarantine still catches use after free. */
	ck_assert(asprintf(&env_asan, "ASAN_OPTIONS=%s%squarantine_size_mb=4",
			   getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
			   getenv("ASAN_OPTIONS") ? ":" : "") > 0);
#endif
	{
		const char *env[] = {env_asan, NULL};
		port = tud_start_http(&d, dir, cfg, env);
	}
	free(env_asan);
	ck_assert_msg(tud_log_count(&d, "event=listening addr=127.0.0.1:") == 2, "log %s", d.log);
	for (int i = 0; i < 300 && code != 200; i++) {
		healthz(&code);
		if (code != 200)
			usleep(100000);
	}
	ck_assert_msg(code == 200, "/healthz never became 200 (log %s)", d.log);
}

static void teardown(void)
{
	tud_cleanup(&d);
	tu_teardown(db, dir, cfg, conninfo);
}

/* Open the idle crowd: every third sends nothing, the others half a
 * request (headers cut off, or a body shorter than announced). */
static void open_idle(int *fds)
{
	static const char *const half[] = {
		"POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\nContent-Len",
		"POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"fr",
	};

	for (int i = 0; i < IDLE; i++) {
		fds[i] = dial();
		ck_assert_msg(fds[i] >= 0, "idle connection %d refused: %s", i, strerror(errno));
		if (i % 3)
			ck_assert(send(fds[i], half[i % 2], strlen(half[i % 2]), MSG_NOSIGNAL) > 0);
	}
}

/* How many of the idle connections the server has closed. */
static int closed_idle(int *fds)
{
	int closed = 0;

	for (int i = 0; i < IDLE; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char buf[256];
		if (fds[i] < 0) {
			closed++;
			continue;
		}
		if (poll(&p, 1, 0) == 1) {
			ssize_t n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
	}
	return closed;
}

START_TEST(hostile_load)
{
	static struct load loads[THREADS];
	pthread_t th[THREADS];
	int joined[THREADS] = {0};
	int fds[IDLE], code, probes = 0, bad_probes = 0, closed = 0;
	double worst = 0, sum = 0, t0, t_idle;
	int slow = 0;
	long rss0, rss1;
	char *before, *after;
	size_t len;

	/* Warm up with one of each kind so one-time allocations are not
	 * counted as growth. */
	for (int i = 0; i < KINDS * 2; i++) {
		char *r = hostile(i, &len);
		raw(r, len, 1);
		free(r);
	}
	before = state();
	rss0 = rss_kib(d.pid);

	open_idle(fds);
	t_idle = tu_now_s();
	for (int i = 0; i < THREADS; i++) {
		memset(&loads[i], 0, sizeof loads[i]);
		loads[i].first = i * (REQUESTS / THREADS);
		loads[i].n = REQUESTS / THREADS;
		ck_assert(pthread_create(&th[i], NULL, load_thread, &loads[i]) == 0);
	}
	/* Probe /healthz while the load runs: every 10 ms until it is done. */
	t0 = tu_now_s();
	for (;;) {
		int done = 1;
		for (int i = 0; i < THREADS; i++) {
			if (!joined[i] && pthread_tryjoin_np(th[i], NULL) == 0)
				joined[i] = 1;
			done &= joined[i];
		}
		double s = healthz(&code);
		probes++;
		sum += s;
		if (s > worst)
			worst = s;
		if (s >= 1.0)
			slow++;
		if (code != 200)
			bad_probes++;
		if (done || tu_now_s() - t0 > 600)
			break;
		usleep(10000);
	}
	fprintf(stderr,
		"abuse: %d hostile requests in %.1f s, %d idle connections; "
		"/healthz max %.1f ms, mean %.1f ms over %d probes (%d not 200)\n",
		REQUESTS, tu_now_s() - t0, IDLE, worst * 1000, sum / probes * 1000, probes,
		bad_probes);
	ck_assert_msg(tu_now_s() - t0 <= 600, "load did not finish in 600 s");
	for (int i = 0; i < THREADS; i++) {
		fprintf(stderr, "abuse: thread %d:", i);
		for (int c = 0; c < 600; c++)
			if (loads[i].codes[c])
				fprintf(stderr, " %s%d=%d",
					c == 1           ? "refused"
						: c == 0 ? "closed"
							 : "",
					c == 1 || c == 0 ? 0 : c, loads[i].codes[c]);
		fputc('\n', stderr);
		ck_assert_msg(loads[i].ok2xx == 0, "%d hostile requests accepted (%s)",
			      loads[i].ok2xx, loads[i].why);
		ck_assert_msg(loads[i].codes[1] == 0, "%d connections refused under load",
			      loads[i].codes[1]);
	}
	ck_assert_msg(bad_probes == 0, "%d of %d /healthz probes failed", bad_probes, probes);
	/* A stalled event loop slows every probe after it; one probe past a
	 * second, on a 2-core machine running the other test pass beside
	 * this one, is the machine's scheduling (seen once: 1017 ms, mean
	 * 11 ms over 112 probes). */
	ck_assert_msg(slow <= 1 && worst < 3.0,
		      "/healthz under load: %d of %d probes over 1 s, the worst %.0f ms", slow,
		      probes, worst * 1000);

	/* Refused requests are logged five per 10 s, the rest summed up in a
	 * line of their own (each used to be a line: enough to make journald
	 * drop real ones). */
	{
		int lines = tud_log_count(&d, "http: event=webhook_rejected") +
			tud_log_count(&d, "page: event=page_refused");
		int most = 5 * (2 + (int)((tu_now_s() - t0) / 10));

		fprintf(stderr, "abuse: %d refused requests logged in full (at most %d)\n", lines,
			most);
		ck_assert_msg(lines <= most, "%d refused requests logged, at most %d", lines, most);
		ck_assert_int_eq(
			tud_wait_log(&d, "event=requests_refused_suppressed count=", 15000), 0);
	}

	/* The server, not the client, ends idle and half-sent connections. */
	while ((closed = closed_idle(fds)) < IDLE && tu_now_s() - t_idle < TIMEOUT_S * 5 + 30)
		usleep(200000);
	fprintf(stderr,
		"abuse: %d of %d idle connections closed by dunnd after %.1f s "
		"(timeout_s %d)\n",
		closed, IDLE, tu_now_s() - t_idle, TIMEOUT_S);
	for (int i = 0; i < IDLE; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ck_assert_msg(closed == IDLE, "%d idle connections still open", IDLE - closed);

	rss1 = rss_kib(d.pid);
	fprintf(stderr, "abuse: VmRSS %ld kB before, %ld kB after (%+ld kB)\n", rss0, rss1,
		rss1 - rss0);
	/* Under valgrind (make valgrind) RSS is valgrind's: its freed-block
	 * queue alone is 20 MB. Its leak check covers that run instead. */
	if (!getenv("DUNN_WRAP") || !*getenv("DUNN_WRAP"))
		ck_assert_msg(rss1 - rss0 < 32 * 1024, "VmRSS grew by %ld kB", rss1 - rss0);

	after = state();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);

	/* Still serving, and a clean stop. */
	healthz(&code);
	ck_assert_int_eq(code, 200);
	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 30000), 0);
}
END_TEST

/* CPU seconds the daemon has used so far (user + system). */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	ck_assert(f != NULL);
	ck_assert(fgets(buf, sizeof buf, f) != NULL);
	fclose(f);
	p = strrchr(buf, ')'); /* fields after the command name */
	ck_assert(p &&
		  sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) ==
			  2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* More connections than the daemon has descriptors: it must neither spin
 * on accept() nor stop serving once they are gone. */
START_TEST(descriptor_exhaustion)
{
	struct rlimit lim = {128, 128};
	int fds[IDLE], code = 0;
	double c0, c1, t0;

	ck_assert_msg(prlimit(d.pid, RLIMIT_NOFILE, &lim, NULL) == 0, "prlimit: %s",
		      strerror(errno));
	for (int i = 0; i < 200; i++) {
		fds[i] = dial();
		ck_assert_msg(fds[i] >= 0, "connection %d: %s", i, strerror(errno));
	}
	sleep(1);
	c0 = cpu_s(d.pid);
	sleep(2);
	c1 = cpu_s(d.pid);
	fprintf(stderr,
		"abuse: at the descriptor limit dunnd used %.2f s CPU in 2 s (%d accept errors logged)\n",
		c1 - c0, tud_log_count(&d, "accept"));
	for (int i = 0; i < 200; i++)
		close(fds[i]);
	t0 = tu_now_s();
	while (tu_now_s() - t0 < TIMEOUT_S * 5 + 10) {
		healthz(&code);
		if (code == 200)
			break;
		usleep(100000);
	}
	fprintf(stderr, "abuse: /healthz %d %.1f s after the crowd left\n", code, tu_now_s() - t0);
	ck_assert_int_eq(code, 200);
	ck_assert_msg(c1 - c0 < 1.0, "dunnd spun at the descriptor limit (%.2f s CPU in 2 s)",
		      c1 - c0);
	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 30000), 0);
}
END_TEST

/* The admin /healthz, timed, every 50 ms until told to stop. */
struct probe {
	int port;
	volatile int stop;
	int n, bad, slow; /* slow: over 100 ms */
	double worst;
};

static void *probe_run(void *arg)
{
	struct probe *p = arg;
	struct tu_resp *r = malloc(sizeof *r);

	while (r && !p->stop) {
		double t0 = tu_now_s(), dt;

		tu_http(p->port, "GET", "/healthz", NULL, NULL, 0, NULL, r);
		dt = tu_now_s() - t0;
		p->n++;
		if (r->code != 200)
			p->bad++;
		if (dt > p->worst)
			p->worst = dt;
		if (dt >= 0.1)
			p->slow++;
		usleep(50000);
	}
	free(r);
	return NULL;
}

/* A slow client: its socket and what it has still to drip. */
struct drip {
	int fd;
	int body; /* a half-sent 60 KB body, else headers that never end */
};

#define DRIP_N 1000
#define DRIP_BODY 61440

static void drip_open(struct drip *s)
{
	static char chunk[DRIP_BODY / 2];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char head[160];
	int n;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(s->fd >= 0, "socket: %s", strerror(errno));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s->fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	if (s->body) {
		memset(chunk, 'x', sizeof chunk);
		n = snprintf(head, sizeof head,
			     "POST /webhooks/sms/inbound HTTP/1.1\r\nHost: x\r\n"
			     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			     DRIP_BODY);
		send(s->fd, head, (size_t)n, MSG_NOSIGNAL);
		send(s->fd, chunk, sizeof chunk, MSG_NOSIGNAL);
	} else {
		send(s->fd, "GET /healthz HTTP/1.1\r\nX-Slow: ", 32, MSG_NOSIGNAL);
	}
}

/* One more byte; 0 when dunnd has closed the connection (or answered). */
static int drip_byte(struct drip *s)
{
	char buf[256];
	ssize_t n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || n > 0)
		return 0;
	return send(s->fd, "a", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 || errno == EAGAIN ||
		errno == EWOULDBLOCK;
}

static double metric_of(int admin_port, const char *sample)
{
	static struct tu_resp r;
	const char *p;

	tu_http(admin_port, "GET", "/metrics", NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.code, 200);
	p = strstr(r.body, sample);
	return p ? strtod(p + strlen(sample), NULL) : -1;
}

/* 1,000 clients that send a byte every 2 s (some of them half of a 60 KB
 * body), reconnecting whenever dunnd closes them, against a dunnd that
 * has 256 descriptors: before the cap and the deadline, they took every
 * descriptor, /healthz timed out and mail failed with "Too many open
 * files". Now health answers within 100 ms throughout, mail goes out,
 * memory stays bounded and the refusals show in /metrics. */
START_TEST(slow_clients_under_a_low_descriptor_limit)
{
	static struct drip slots[DRIP_N];
	struct rlimit own;
	struct probe pr = {0};
	pthread_t th;
	char *wrap = NULL, *env_asan = NULL, *cfg2;
	int opened = 0, closed = 0, mails0, mails = 0, imported = 0;
	long rss0, rss_max = 0;
	double t0, tick = 0, refused, deadline;

	/* This test's own side needs more than 1,000 descriptors. */
	ck_assert(getrlimit(RLIMIT_NOFILE, &own) == 0);
	own.rlim_cur = own.rlim_max;
	ck_assert(setrlimit(RLIMIT_NOFILE, &own) == 0);
	ck_assert_msg(own.rlim_cur > DRIP_N + 64, "nofile hard limit %llu",
		      (unsigned long long)own.rlim_cur);

	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 30000), 0);
	tud_cleanup(&d);
	/* Bodies up to 64 KiB, the default connection cap, and a deadline
	 * (5 s) well inside an idle timeout (30 s): the drip keeps every
	 * connection busy, so only the deadline can end it, however late a
	 * busy machine runs the drip. */
	cfg2 = tu_config_ex(dir, conninfo, NULL,
			    "\"webhook_secret_file\": \"webhook_secret\", \"timeout_s\": 30, "
			    "\"request_timeout_s\": 5",
			    NULL);
	ck_assert(asprintf(&wrap, "DUNN_WRAP=prlimit --nofile=256:256 %s",
			   getenv("DUNN_WRAP") ? getenv("DUNN_WRAP") : "") > 0);
#ifdef __SANITIZE_ADDRESS__
	/* As in setup: RSS should measure us, not ASan's quarantine. */
	ck_assert(asprintf(&env_asan, "ASAN_OPTIONS=%s%squarantine_size_mb=4",
			   getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
			   getenv("ASAN_OPTIONS") ? ":" : "") > 0);
#endif
	{
		const char *env[] = {wrap, env_asan, NULL};
		port = tud_start_http(&d, dir, cfg2, env);
	}
	ck_assert_int_eq(tud_wait_log(&d, "event=connection_cap", 5000), 0);
	rss0 = rss_kib(d.pid);
	mails0 = tu_mail_count();
	pr.port = d.admin_port;
	ck_assert_int_eq(pthread_create(&th, NULL, probe_run, &pr), 0);

	for (int i = 0; i < DRIP_N; i++) {
		slots[i].body = i % 2;
		drip_open(&slots[i]);
		opened++;
	}
	t0 = tu_now_s();
	/* At least two deadlines long, and until the reminders are out. */
	while (tu_now_s() - t0 < 25 || (mails < 20 && tu_now_s() - t0 < 120)) {
		long rss;

		if (tu_now_s() - tick >= 2) {
			tick = tu_now_s();
			for (int i = 0; i < DRIP_N; i++) {
				if (slots[i].fd >= 0 && drip_byte(&slots[i]))
					continue;
				if (slots[i].fd >= 0) {
					close(slots[i].fd);
					closed++;
				}
				drip_open(&slots[i]);
				opened++;
			}
		}
		if (!imported && tu_now_s() - t0 > 3) {
			tud_book(dir, "drip", 7001, 20);
			tu_import_named(cfg2, dir, "drip");
			imported = 1;
		}
		rss = rss_kib(d.pid);
		if (rss > rss_max)
			rss_max = rss;
		mails = tu_mail_count() - mails0;
		usleep(100000);
	}
	pr.stop = 1;
	pthread_join(th, NULL);
	refused = metric_of(d.admin_port,
			    "\ndunnd_http_connections_refused_total{listener=\"public\"} ");
	deadline = metric_of(d.admin_port,
			     "\ndunnd_http_connections_closed_total{listener="
			     "\"public\",reason=\"deadline\"} ");
	fprintf(stderr,
		"abuse: %d slow clients (%d connections made, %d closed by dunnd) for %.0f s "
		"under nofile 256: admin /healthz max %.1f ms over %d probes (%d over 100 ms, "
		"%d not 200); "
		"%d reminders mailed; VmRSS %ld kB before, max %ld kB; refused %.0f, "
		"closed at the deadline %.0f\n",
		DRIP_N, opened, closed, tu_now_s() - t0, pr.worst * 1000, pr.n, pr.slow, pr.bad,
		mails, rss0, rss_max, refused, deadline);
	for (int i = 0; i < DRIP_N; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	ck_assert_int_eq(pr.bad, 0);
	if (!getenv("DUNN_WRAP") || !*getenv("DUNN_WRAP")) {
		/* Within 100 ms throughout, but for the odd probe a busy shared
		 * machine delays (each is printed above); never near a second.
		 * Instrumented builds are several times slower on every request. */
#ifndef __SANITIZE_ADDRESS__
		ck_assert_msg(pr.slow * 100 <= pr.n, "%d of %d /healthz probes over 100 ms",
			      pr.slow, pr.n);
#endif
		ck_assert_msg(pr.worst < 1.0, "/healthz took %.0f ms", pr.worst * 1000);
		ck_assert_msg(rss_max - rss0 < 32 * 1024, "VmRSS grew by %ld kB", rss_max - rss0);
	}
	ck_assert_int_ge(mails, 20);
	ck_assert_msg(tud_log_count(&d, "Too many open files") == 0, "log %s", d.log);
	ck_assert_msg(refused > 0, "no refused connection counted");
	ck_assert_msg(deadline > 0, "no connection closed at the deadline");
	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 30000), 0);
	free(wrap);
	free(env_asan);
	free(cfg2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abuse");
	TCase *tc = tcase_create("abuse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, hostile_load);
	tcase_add_test(tc, descriptor_exhaustion);
	tcase_add_test(tc, slow_clients_under_a_low_descriptor_limit);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
