#include "tudaemon.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tuhttp.h"

static int now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void child_env(const char *const *env)
{
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		char name[128];
		if (!eq || (size_t)(eq - env[i]) >= sizeof name)
			continue;
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		if (!eq[1]) {
			unsetenv(name);
		} else if (strcmp(env[i], "WATCHDOG_PID=self") == 0) {
			char pid[32];
			snprintf(pid, sizeof pid, "%d", (int)getpid());
			setenv(name, pid, 1);
		} else {
			setenv(name, eq + 1, 1);
		}
	}
}

void tud_start(struct tud *t, const char *dir, const char *cfg, int notify, const char *const *env)
{
	char *bin = NULL;

	memset(t, 0, sizeof *t);
	t->nfd = -1;
	ck_assert(asprintf(&t->log, "%s/dunnd.%d.log", dir, now_ms()) > 0);
	ck_assert(asprintf(&bin, "%s/dunnd", tu_env("DUNN_BUILD")) > 0);
	if (notify) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		ck_assert(asprintf(&t->sock, "%s/notify.%d", dir, now_ms()) > 0);
		ck_assert(strlen(t->sock) < sizeof sa.sun_path);
		strcpy(sa.sun_path, t->sock);
		t->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ck_assert(t->nfd >= 0);
		unlink(t->sock);
		ck_assert_msg(bind(t->nfd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s",
			      t->sock, strerror(errno));
	}
	t->pid = fork();
	ck_assert(t->pid >= 0);
	if (t->pid == 0) {
		FILE *f = fopen(t->log, "w");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (f)
			dup2(fileno(f), 2);
		if (t->sock)
			setenv("NOTIFY_SOCKET", t->sock, 1);
		child_env(env);
		/* make valgrind: the wrapper execs dunnd in this same pid. */
		if (getenv("DUNN_WRAP") && *getenv("DUNN_WRAP"))
			execl("/bin/sh", "sh", "-c", "exec $DUNN_WRAP \"$0\" \"$@\"", bin, "-c",
			      cfg, (char *)NULL);
		execl(bin, "dunnd", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	free(bin);
}

long tud_wait_health(int port, long want, int ms)
{
	struct tu_resp r = {0};
	int end = now_ms() + ms;

	for (;;) {
		tu_http(port, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
		if (r.code == want || now_ms() >= end)
			return r.code;
		usleep(20000);
	}
}

int tud_start_http(struct tud *t, const char *dir, const char *cfg, const char *const *env)
{
	const char *all[16];
	char *pf = NULL, *kv = NULL, *af = NULL, *akv = NULL;
	size_t n = 0;
	int port;

	ck_assert(asprintf(&pf, "%s/http.port", dir) > 0);
	ck_assert(asprintf(&kv, "DUNND_HTTP_PORT_FILE=%s", pf) > 0);
	ck_assert(asprintf(&af, "%s/admin.port", dir) > 0);
	ck_assert(asprintf(&akv, "DUNND_ADMIN_PORT_FILE=%s", af) > 0);
	unlink(pf);
	unlink(af);
	all[n++] = kv;
	all[n++] = akv;
	for (; env && *env; env++) {
		ck_assert(n < sizeof all / sizeof all[0] - 1);
		all[n++] = *env;
	}
	all[n] = NULL;
	tud_start(t, dir, cfg, 0, all);
	port = tu_wait_port(pf, 30000);
	ck_assert_msg(port > 0, "dunnd wrote no port (log %s)", t->log);
	t->admin_port = tu_wait_port(af, 30000);
	ck_assert_msg(t->admin_port > 0, "dunnd wrote no admin port (log %s)", t->log);
	/* The listener opens before the database connection is up: a busy
	 * machine would otherwise see the page's 503 for "not yet". */
	ck_assert_msg(tud_wait_health(port, 200, 30000) == 200,
		      "dunnd never answered /healthz with 200 (log %s)", t->log);
	free(kv);
	free(pf);
	free(akv);
	free(af);
	return port;
}

char *tud_recv(struct tud *t, int ms)
{
	struct pollfd p = {.fd = t->nfd, .events = POLLIN};
	char buf[1024];
	ssize_t n;

	if (t->nfd < 0 || poll(&p, 1, ms) != 1)
		return NULL;
	n = recv(t->nfd, buf, sizeof buf - 1, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

char *tud_next_state(struct tud *t, int ms)
{
	int end = now_ms() + ms;

	while (now_ms() < end) {
		char *m = tud_recv(t, end - now_ms());
		if (!m)
			break;
		if (strcmp(m, "WATCHDOG=1") != 0 && strncmp(m, "STATUS=", 7) != 0)
			return m;
		free(m);
	}
	ck_abort_msg("no notify message within %d ms", ms);
	return NULL;
}

void tud_kill(struct tud *t, int sig)
{
	ck_assert(t->pid > 0);
	kill(t->pid, sig);
}

int tud_wait(struct tud *t, int ms)
{
	int end = now_ms() + ms, st;

	while (t->pid > 0) {
		pid_t r = waitpid(t->pid, &st, WNOHANG);
		if (r == t->pid) {
			t->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (now_ms() >= end) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &st, 0);
			t->pid = 0;
			ck_abort_msg("dunnd did not exit within %d ms", ms);
		}
		usleep(10000);
	}
	return -1;
}

void tud_cleanup(struct tud *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	if (t->nfd >= 0)
		close(t->nfd);
	t->nfd = -1;
	if (t->sock)
		unlink(t->sock);
	free(t->sock);
	free(t->log);
	t->sock = t->log = NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	fclose(f);
	return buf;
}

int tud_log_count(const struct tud *t, const char *needle)
{
	char *text = slurp(t->log), *p = text;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(text);
	return n;
}

int tud_wait_log(const struct tud *t, const char *needle, int ms)
{
	int end = now_ms() + ms;

	do {
		if (tud_log_count(t, needle) > 0)
			return 0;
		usleep(50000);
	} while (now_ms() < end);
	return -1;
}

const char *tud_noon_zone(void)
{
	static char zone[32];
	time_t now = time(NULL);
	struct tm tm;
	int off;

	gmtime_r(&now, &tm);
	off = 12 - tm.tm_hour; /* local = UTC + off */
	if (off == 0)
		snprintf(zone, sizeof zone, "UTC");
	else /* POSIX signs: Etc/GMT-3 is three hours east of UTC */
		snprintf(zone, sizeof zone, "Etc/GMT%+d", -off);
	return zone;
}

const char *tud_iso_now(void)
{
	static char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *tud_date(int days)
{
	static char buf[16];
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	return buf;
}

void tud_book(const char *dir, const char *name, int from, int n)
{
	char *path = NULL;
	FILE *a, *i;

	ck_assert(asprintf(&path, "%s/%s-accounts.csv", dir, name) > 0);
	a = fopen(path, "w");
	free(path);
	ck_assert(asprintf(&path, "%s/%s-invoices.csv", dir, name) > 0);
	i = fopen(path, "w");
	free(path);
	ck_assert(a && i);
	fprintf(a, "account_ref,name,email,phone,locale,timezone,segment\n");
	fprintf(i, "invoice_ref,account_ref,amount,currency,due_date,description\n");
	for (int k = from; k < from + n; k++) {
		fprintf(a, "A-%d,Customer %d,c%d@customer.test,+1202555%04d,en-US,%s,retail\n", k,
			k, k, k % 10000, tud_noon_zone());
		fprintf(i, "INV-%d,A-%d,49.90,USD,%s,Plan\n", k, k, tud_date(-10));
	}
	fclose(a);
	fclose(i);
}

long long tud_until(long long (*cond)(void *), void *arg, long long want, int ms)
{
	int end = now_ms() + ms;
	long long v;

	while ((v = cond(arg)) < want && now_ms() < end)
		usleep(50000);
	return v;
}

long long tud_mail_count(void *arg)
{
	(void)arg;
	return tu_mail_count();
}
