/* Helpers for tests that run the real dunnd in daemon mode: start it with
 * a NOTIFY_SOCKET the test owns, read what it tells systemd, signal it,
 * read its log. The child dies with the test process (PR_SET_PDEATHSIG),
 * so a failed assertion never leaves a daemon behind. */
#ifndef DUNN_TUDAEMON_H
#define DUNN_TUDAEMON_H

#include <sys/types.h>

struct tud {
	pid_t pid;
	int nfd;        /* our end of NOTIFY_SOCKET, -1 without */
	char *sock;     /* its path */
	char *log;      /* the daemon's stderr */
	int admin_port; /* http.admin_listen's, set by tud_start_http */
};

/* Start `dunnd -c cfg`. env: NULL-terminated "K=V" (or "K=" to unset
 * K) applied in the child; "WATCHDOG_PID=self" becomes the child's pid. */
void tud_start(struct tud *t, const char *dir, const char *cfg, int notify, const char *const *env);
/* tud_start without notify, with DUNND_HTTP_PORT_FILE=DIR/http.port and
 * DUNND_ADMIN_PORT_FILE=DIR/admin.port added to env (which may be NULL);
 * returns the public port, with t->admin_port set, once /healthz answers
 * 200 (database connected), failing the test if that takes more than 30 s. */
int tud_start_http(struct tud *t, const char *dir, const char *cfg, const char *const *env);
/* GET /healthz on port until it answers want or ms pass; the last status
 * (0: no answer). */
long tud_wait_health(int port, long want, int ms);
/* The next notify datagram within ms (caller frees), or NULL. */
char *tud_recv(struct tud *t, int ms);
/* Next datagram that is not a bare WATCHDOG=1 or STATUS= line (those
 * come at any time); fails the test after ms. Caller frees. */
char *tud_next_state(struct tud *t, int ms);
void tud_kill(struct tud *t, int sig);
/* Exit status after waiting up to ms; fails (and SIGKILLs) past that. */
int tud_wait(struct tud *t, int ms);
/* SIGKILL if still running, close, free. Safe to call twice. */
void tud_cleanup(struct tud *t);
/* Occurrences of needle in the daemon's log so far. */
int tud_log_count(const struct tud *t, const char *needle);
/* Wait up to ms for the log to contain needle; 0 when it does. */
int tud_wait_log(const struct tud *t, const char *needle, int ms);

/* An IANA zone ("Etc/GMT-3") where it is about noon now, so reminders in
 * daemon mode (real clock) fall inside the contact window. */
const char *tud_noon_zone(void);
/* Now as an ISO 8601 UTC instant, for --once --at (static buffer). */
const char *tud_iso_now(void);
/* Today + days (UTC) as YYYY-MM-DD in a static buffer. */
const char *tud_date(int days);
/* Accounts and invoices CSV for n accounts A-<from>.. due 10 days ago,
 * written to DIR/NAME-accounts.csv and DIR/NAME-invoices.csv. */
void tud_book(const char *dir, const char *name, int from, int n);
/* Wait until cond() >= want, polling every 50 ms, up to ms; returns the
 * last value. */
long long tud_until(long long (*cond)(void *), void *arg, long long want, int ms);
/* Current mail count as a tud_until condition (arg unused). */
long long tud_mail_count(void *arg);

#endif
