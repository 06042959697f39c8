/* Every way a payment is recorded ends the same way, against the real
 * daemon, PostgreSQL and the SMTP sink: four accounts, each at its first
 * reminder with the next one queued, paid through the API, a provider's
 * webhook (generic, signed), dunnctl pay and the billing system's own
 * write of paid_at. Each case resolves at the poll the payment wakes (the
 * poll interval is far longer than the test waits), its queued reminder
 * is cancelled and exactly one receipt reaches the sink. Then each is
 * refunded, again four ways (webhook twice, a ledger row written
 * directly, paid_at cleared): the same case goes on from the step it had
 * reached, no new cycle and no first reminder again. */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define SECRET "billing-gateway-secret-0123456789"
#define KEY "billing-key-0123456789abcdef"
#define N 4

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud dunnd_proc;
static int port;
static struct tu_resp resp;

#define q(...) tu_qintf(db, __VA_ARGS__)

struct cond {
	char *sql;
};

static long long cond_q(void *arg)
{
	return tu_qint(db, ((struct cond *)arg)->sql);
}

/* Wait until the query's value reaches want (20 s at most); its last. */
static long long until(long long want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long until(long long want, const char *fmt, ...)
{
	struct cond c = {NULL};
	va_list ap;
	long long v;

	va_start(ap, fmt);
	ck_assert(vasprintf(&c.sql, fmt, ap) > 0);
	va_end(ap);
	v = tud_until(cond_q, &c, want, 20000);
	free(c.sql);
	return v;
}

static long long mails_to(const char *addr)
{
	long long n = 0;

	for (int i = 1; i <= tu_mail_count(); i++) {
		char *rcpt = tu_mail_rcpt(i);
		n += strcmp(rcpt, addr) == 0;
		free(rcpt);
	}
	return n;
}

static long long mail_total(void *arg)
{
	(void)arg;
	return tu_mail_count();
}

/* A generic provider event, signed with the instance's secret. */
static void webhook(const char *body)
{
	long long ts = (long long)time(NULL);
	char msg[1024], hex[65], h1[64];
	struct curl_slist *h = NULL;

	snprintf(msg, sizeof msg, "%lld.%s", ts, body);
	tu_hmac_hex(SECRET, msg, hex);
	snprintf(h1, sizeof h1, "X-Dunn-Timestamp: %lld", ts);
	h = curl_slist_append(h, h1);
	snprintf(msg, sizeof msg, "X-Dunn-Signature: sha256=%s", hex);
	h = curl_slist_append(h, msg);
	tu_http(port, "POST", "/webhooks/billing/events", "application/json", body, strlen(body), h,
		&resp);
	ck_assert_msg(resp.code == 200 && strstr(resp.body, "\"recorded\""), "%ld %s", resp.code,
		      resp.body);
}

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("paths");
	free(tu_file(dir, "billing_secret", SECRET "\n"));
	free(tu_file(dir, "api_keys", "billing:" KEY "\n"));
	/* a poll every 10 minutes: anything within the test's waits happens
	 * at the poll a change wakes */
	cfg = tu_config(dir, conninfo, NULL,
			"  \"poll_interval_ms\": 600000,\n"
			"  \"api\": {\"keys_file\": \"api_keys\"},\n"
			"  \"payments\": {\"billing\": {\"provider\": \"generic\", "
			"\"secret_file\": \"billing_secret\"}}");
	tud_book(dir, "paths", 1, N);
	tu_migrate(cfg);
	tu_import_named(cfg, dir, "paths");
	db = tu_connect(conninfo);
	tu_mail_clear();
	port = tud_start_http(&dunnd_proc, dir, cfg, NULL);
	/* every account has had its first reminder */
	ck_assert_int_eq(tud_until(mail_total, NULL, N, 30000), N);
}

static void teardown(void)
{
	tud_kill(&dunnd_proc, SIGTERM);
	ck_assert_int_eq(tud_wait(&dunnd_proc, 20000), 0);
	tud_cleanup(&dunnd_proc);
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

START_TEST(test_every_path)
{
	static const char *const path[N] = {"API", "webhook", "dunnctl pay", "paid_at written"};
	long long stage[N];
	char addr[64];

	/* at a step, with the next reminder queued for later */
	ck_assert_int_eq(until(N,
			       "SELECT count(*) FROM dunning.cases WHERE stage >= 1 AND "
			       "opened_at < date_trunc('second', now())"),
			 N);
	for (int k = 1; k <= N; k++)
		stage[k - 1] = q(
			"SELECT c.stage FROM dunning.cases c WHERE c.id = (SELECT c.id FROM "
			"dunning.cases c JOIN dunning.accounts a ON a.id = c.account_id "
			"WHERE a.external_ref = 'A-%d')",
			k);
	PQclear(tu_q(db,
		     "INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel,"
		     " kind, template, status, next_attempt_at, created_at)"
		     " SELECT c.id, c.account_id, c.cycle, c.stage + 1, d.channel, 'reminder',"
		     " d.template, 'queued', now() + interval '1 hour', now()"
		     " FROM dunning.cases c JOIN dunning.deliveries d ON d.case_id = c.id"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE status = 'queued'"), N);

	/* four ways to pay */
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " KEY);
	h = curl_slist_append(h, "Idempotency-Key: pay-a1");
	tu_http(dunnd_proc.admin_port, "POST", "/api/v1/payments", NULL,
		"{\"invoice_ref\":\"INV-1\"}", 23, h, &resp);
	ck_assert_msg(resp.code == 201, "%ld %s", resp.code, resp.body);
	webhook("{\"id\":\"evt-2\",\"type\":\"payment\",\"invoice_ref\":\"INV-2\","
		"\"payment_id\":\"p-2\",\"amount\":4990,\"currency\":\"USD\"}");
	ck_assert_int_eq(tu_sh("$DUNN_BUILD/dunnctl -c '%s' pay INV-3", cfg), 0);
	PQclear(tu_q(db,
		     "UPDATE dunning.invoices SET paid_at = now() WHERE external_ref = 'INV-4'"));

	for (int k = 1; k <= N; k++) {
		ck_assert_msg(
			until(1,
			      "SELECT count(*) FROM dunning.cases WHERE id = (SELECT c.id FROM "
			      "dunning.cases c JOIN dunning.accounts a ON a.id = c.account_id "
			      "WHERE a.external_ref = 'A-%d') AND state = 'resolved'",
			      k) == 1,
			"paid through %s: the case did not resolve", path[k - 1]);
		ck_assert_msg(
			q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a ON "
			  "a.id = d.account_id WHERE a.external_ref = 'A-%d' AND d.status = "
			  "'cancelled' AND d.kind = 'reminder'",
			  k) == 1,
			"paid through %s: the queued reminder was not cancelled", path[k - 1]);
	}
	/* one receipt each, at the sink */
	ck_assert_int_eq(tud_until(mail_total, NULL, 2 * N, 30000), 2 * N);
	ck_assert_int_eq(until(N,
			       "SELECT count(*) FROM dunning.deliveries WHERE kind = "
			       "'confirmation' AND status = 'sent'"),
			 N);
	for (int k = 1; k <= N; k++) {
		snprintf(addr, sizeof addr, "c%d@customer.test", k);
		ck_assert_msg(mails_to(addr) == 2,
			      "paid through %s: %lld mails, want reminder + receipt", path[k - 1],
			      mails_to(addr));
		ck_assert_int_eq(
			q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
			  "ON a.id = d.account_id WHERE a.external_ref = 'A-%d' AND d.kind = "
			  "'confirmation'",
			  k),
			1);
	}

	/* four ways to refund: each is overdue again */
	webhook("{\"id\":\"evt-r1\",\"type\":\"refund\",\"invoice_ref\":\"INV-1\","
		"\"payment_id\":\"r-1\",\"amount\":4990,\"currency\":\"USD\"}");
	webhook("{\"id\":\"evt-r2\",\"type\":\"refund\",\"invoice_ref\":\"INV-2\","
		"\"payment_id\":\"p-2\",\"amount\":4990,\"currency\":\"USD\"}");
	PQclear(tu_q(db,
		     "INSERT INTO dunning.payments (invoice_id, account_id, kind, amount, "
		     "currency, at, source, source_id) SELECT id, account_id, 'refund', -4990, "
		     "currency, now(), 'bank', 'chargeback-3' FROM dunning.invoices "
		     "WHERE external_ref = 'INV-3'"));
	PQclear(tu_q(db,
		     "UPDATE dunning.invoices SET paid_at = NULL WHERE external_ref = 'INV-4'"));
	for (int k = 1; k <= N; k++) {
		ck_assert_msg(
			q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			  "a.id = c.account_id WHERE a.external_ref = 'A-%d' AND c.cycle = 1 AND "
			  "c.state = 'active' AND c.stage >= %lld AND c.closed_at IS NULL",
			  k, stage[k - 1]) == 1,
			"refund after %s: the case did not go on at step %lld", path[k - 1],
			stage[k - 1]);
	}
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'case_reopened'"), N);
	/* the poller looks at each again (the reopen woke it) and keeps it:
	 * still one case each, and no first reminder a second time */
	for (int k = 1; k <= N; k++)
		ck_assert_int_ge(
			until(1,
			      "WITH c AS (SELECT c.id FROM dunning.cases c JOIN dunning.accounts "
			      "a ON a.id = c.account_id WHERE a.external_ref = 'A-%d') "
			      "SELECT count(*) FROM dunning.events e, c WHERE e.case_id = c.id "
			      "AND e.kind <> 'case_reopened' AND e.id > (SELECT max(r.id) FROM "
			      "dunning.events r WHERE r.kind = 'case_reopened' AND r.case_id = c.id)",
			      k),
			1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases"), N);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state = 'active'"), N);
	/* and the next reminder at the sink is the next step's, not the
	 * first one again: the one the payment cancelled goes out now */
	ck_assert_int_eq(tud_until(mail_total, NULL, 3 * N, 30000), 3 * N);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'reminder' AND "
			   "step = 1"),
			 N);
	for (int k = 1; k <= N; k++) {
		snprintf(addr, sizeof addr, "c%d@customer.test", k);
		ck_assert_msg(mails_to(addr) == 3, "refund after %s: %lld mails", path[k - 1],
			      mails_to(addr));
		ck_assert_msg(
			q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a ON "
			  "a.id = d.account_id WHERE a.external_ref = 'A-%d' AND d.kind = "
			  "'reminder' AND d.step = %lld AND d.status = 'sent'",
			  k, stage[k - 1] + 1) == 1,
			"refund after %s: step %lld was not sent", path[k - 1], stage[k - 1] + 1);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paths");
	TCase *tc = tcase_create("paths");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_every_path);
	suite_add_tcase(s, tc);
	return tu_run_curl(s);
}
