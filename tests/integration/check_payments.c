/* Payments in: the providers' webhooks against the real daemon and
 * PostgreSQL, every signature computed by the provider's own Node library
 * from the npm registry (stripe's webhooks.generateTestHeaderString,
 * @adyen/api-library's hmacValidator; tests/npm.sh installs them into a
 * cache, tests/paysign.js calls them). Without node or the registry the
 * suite says why and skips. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define WHSEC_OLD "whsec_old_0123456789abcdef0123456789"
#define WHSEC_NEW "whsec_new_fedcba9876543210fedcba9876"
#define ADYEN_KEY "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
#define GENERIC_SECRET "billing-gateway-secret-0123456789"

static char *dir, *cfg, *conninfo, *node_path, *skip_reason;
static PGconn *db;
static struct tud dunnd_proc;
static int port;
static struct tu_resp resp;

static long long healthy(void *arg)
{
	struct tu_resp r;

	(void)arg;
	tu_http(port, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
	return r.code == 200;
}

#define q(...) tu_qintf(db, __VA_ARGS__)

struct cond {
	const char *sql;
};

static long long cond_q(void *arg)
{
	return tu_qint(db, ((struct cond *)arg)->sql);
}

/* Wait until sql's value reaches want (15 s at most); its last value. */
static long long until(const char *sql, long long want)
{
	struct cond c = {sql};

	return tud_until(cond_q, &c, want, 15000);
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

static void setup(void)
{
	if (!node_path) {
		int rc = tu_sh("tests/npm.sh");
		char *out = strdup(tu_output());
		out[strcspn(out, "\n")] = '\0';
		if (rc == 0)
			node_path = out;
		else
			skip_reason = out;
	}
	if (skip_reason)
		return;
	dir = tu_tmpdir();
	conninfo = tu_newdb("payments");
	/* rotation: the old and the new secret, one a line */
	free(tu_file(dir, "stripe_whsec", WHSEC_OLD "\n" WHSEC_NEW "\n"));
	free(tu_file(dir, "adyen_hmac", ADYEN_KEY "\n"));
	free(tu_file(dir, "billing_secret", GENERIC_SECRET "\n"));
	cfg = tu_config(
		dir, conninfo, NULL,
		"  \"poll_interval_ms\": 200,\n"
		"  \"payments\": {\n"
		"    \"stripe\": {\"provider\": \"stripe\", \"signing_secret_file\": \"stripe_whsec\"},\n"
		"    \"adyen\": {\"provider\": \"adyen\", \"hmac_key_file\": \"adyen_hmac\"},\n"
		"    \"billing\": {\"provider\": \"generic\", \"secret_file\": \"billing_secret\"}}");
	tud_book(dir, "pay", 1, 6);
	tu_migrate(cfg);
	tu_import_named(cfg, dir, "pay");
	db = tu_connect(conninfo);
	tu_mail_clear();
	port = tud_start_http(&dunnd_proc, dir, cfg, NULL);
	ck_assert_int_eq(tud_until(healthy, NULL, 1, 30000), 1);
	/* every account has had its first reminder: cases open, at a step */
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 6, 30000), 6);
	/* A provider's event time is whole seconds: let the cases be opened
	 * before the second the events will carry, so their payments count
	 * as made during dunning (and are confirmed). */
	ck_assert_int_eq(until("SELECT count(*) FROM dunning.cases WHERE opened_at < "
			       "date_trunc('second', now())",
			       6),
			 6);
}

static void teardown(void)
{
	if (skip_reason)
		return;
	tud_kill(&dunnd_proc, SIGTERM);
	ck_assert_int_eq(tud_wait(&dunnd_proc, 20000), 0);
	tud_cleanup(&dunnd_proc);
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

#define SKIP_WITHOUT_NODE()                                                               \
	do {                                                                              \
		if (skip_reason) {                                                        \
			fprintf(stderr, "check_payments: SKIPPED %s: %s\n", __func__ + 5, \
				skip_reason);                                             \
			return;                                                           \
		}                                                                         \
	} while (0)

/* What a provider library computes for body: mode stripe (key, ts) or
 * adyen (key; the notification comes back signed). Caller frees. */
static char *node(const char *mode, const char *key, long long ts, const char *body)
{
	char *f = tu_file(dir, "node-in.json", body), *out;

	ck_assert_msg(tu_sh("NODE_PATH='%s' node tests/paysign.js %s '%s' %lld < '%s'", node_path,
			    mode, key, ts, f) == 0,
		      "paysign.js: %s", tu_output());
	free(f);
	out = strdup(tu_output());
	ck_assert_ptr_nonnull(out);
	return out;
}

/* POST body to /webhooks/<inst>/events with one header line (or none);
 * the answer in resp, and how long it took in ms. */
static double post(const char *inst, const char *body, const char *header)
{
	struct curl_slist *h = header ? curl_slist_append(NULL, header) : NULL;
	char path[64];
	double t0 = tu_now_s();

	snprintf(path, sizeof path, "/webhooks/%s/events", inst);
	tu_http(port, "POST", path, "application/json", body, strlen(body), h, &resp);
	return (tu_now_s() - t0) * 1000;
}

/* A Stripe event signed by stripe-node with secret at ts. */
static double stripe_post(const char *body, const char *secret, long long ts)
{
	char *sig = node("stripe", secret, ts, body), line[256];
	double ms;

	snprintf(line, sizeof line, "Stripe-Signature: %s", sig);
	free(sig);
	ms = post("stripe", body, line);
	return ms;
}

static char *stripe_event(const char *id, const char *type, const char *object)
{
	char *s = NULL;

	ck_assert(asprintf(&s,
			   "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\",\"created\":%lld,"
			   "\"livemode\":false,\"data\":{\"object\":%s}}",
			   id, type, (long long)time(NULL), object) > 0);
	return s;
}

static void assert_result(const char *want)
{
	char needle[64];

	snprintf(needle, sizeof needle, "\"result\":\"%s\"", want);
	ck_assert_msg(resp.code == 200 && strstr(resp.body, needle), "%ld %s (want %s)", resp.code,
		      resp.body, want);
}

START_TEST(stripe_payment_resolves_case_once)
{
	SKIP_WITHOUT_NODE();
	char *paid = stripe_event(
		"evt_paid_1", "invoice.paid",
		"{\"id\":\"in_1\",\"object\":\"invoice\",\"number\":\"STR-0001\","
		"\"amount_paid\":4990,\"currency\":\"usd\",\"payment_intent\":\"pi_1\","
		"\"metadata\":{\"invoice_ref\":\"INV-1\"}}");
	char *pi = stripe_event("evt_pi_1", "payment_intent.succeeded",
				"{\"id\":\"pi_1\",\"object\":\"payment_intent\",\"amount\":4990,"
				"\"amount_received\":4990,\"currency\":\"usd\","
				"\"metadata\":{\"invoice_ref\":\"INV-1\"}}");
	long long now = (long long)time(NULL);
	double ms;

	/* signed with the new secret of the two the file holds */
	ms = stripe_post(paid, WHSEC_NEW, now);
	assert_result("recorded");
	fprintf(stderr, "check_payments: invoice.paid answered in %.1f ms\n", ms);
	ck_assert_msg(ms < 1000, "answered in %.1f ms", ms);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments WHERE source = 'stripe:stripe' "
			   "AND source_id = 'pi_1' AND amount = 4990"),
			 1);
	/* resolved within a poll, and one confirmation */
	ck_assert_int_eq(until("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			       "a.id = c.account_id WHERE a.external_ref = 'A-1' AND c.state = "
			       "'resolved'",
			       1),
			 1);
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 7, 15000), 7);
	ck_assert_int_eq(mails_to("c1@customer.test"), 2); /* the reminder, the receipt */
	/* the same payment told by another event, and the first event again */
	stripe_post(pi, WHSEC_OLD, now);
	assert_result("already_recorded");
	stripe_post(paid, WHSEC_NEW, now);
	assert_result("duplicate");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments WHERE source LIKE 'stripe:%%'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_events"), 2);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'confirmation'"),
			 1);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.deliveries WHERE account_id = (SELECT id "
		  "FROM dunning.accounts WHERE external_ref = 'A-1') AND status = 'queued'"),
		0);
	free(paid);
	free(pi);
}
END_TEST

START_TEST(stripe_forgeries_refused)
{
	SKIP_WITHOUT_NODE();
	char *body = stripe_event("evt_f", "invoice.paid",
				  "{\"id\":\"in_2\",\"amount_paid\":4990,\"currency\":\"usd\","
				  "\"metadata\":{\"invoice_ref\":\"INV-2\"}}");
	long long now = (long long)time(NULL);
	char *sig = node("stripe", WHSEC_NEW, now, body), line[256], *tampered = strdup(body);

	/* a tampered body under a real signature */
	*strstr(tampered, "4990") = '1';
	snprintf(line, sizeof line, "Stripe-Signature: %s", sig);
	post("stripe", tampered, line);
	ck_assert_int_eq(resp.code, 403);
	/* a wrong secret */
	stripe_post(body, "whsec_someone_elses_0123456789", now);
	ck_assert_int_eq(resp.code, 403);
	/* stale and future timestamps, clear of the 300 s window by 30 s */
	stripe_post(body, WHSEC_NEW, now - 330);
	ck_assert_int_eq(resp.code, 403);
	stripe_post(body, WHSEC_NEW, now + 330);
	ck_assert_int_eq(resp.code, 403);
	/* no signature at all, and the signature of another instance */
	post("stripe", body, NULL);
	ck_assert_int_eq(resp.code, 403);
	post("adyen", body, line);
	ck_assert_int_eq(resp.code, 400);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_events"), 0);
	/* during a roll Stripe signs with both secrets: two v1 in one header,
	 * each from stripe-node; one the file does not hold is not enough */
	{
		char *a = node("stripe", WHSEC_OLD, now, body);
		char *b = node("stripe", "whsec_unknown_0123456789", now, body);
		char *c = node("stripe", "whsec_other_0123456789", now, body);
		snprintf(line, sizeof line, "Stripe-Signature: %s,%s", c, strstr(b, ",v1=") + 1);
		post("stripe", body, line);
		ck_assert_int_eq(resp.code, 403);
		snprintf(line, sizeof line, "Stripe-Signature: %s,%s", b, strstr(a, ",v1=") + 1);
		post("stripe", body, line);
		assert_result("recorded");
		free(a);
		free(b);
		free(c);
	}
	/* and the same event once more is a duplicate */
	stripe_post(body, WHSEC_NEW, now);
	assert_result("duplicate");
	free(sig);
	free(tampered);
	free(body);
}
END_TEST

START_TEST(stripe_unknown_invoice_recorded)
{
	SKIP_WITHOUT_NODE();
	char *body = stripe_event(
		"evt_unknown", "invoice.paid",
		"{\"id\":\"in_9\",\"number\":\"STR-9\",\"amount_paid\":100,"
		"\"currency\":\"usd\",\"metadata\":{\"invoice_ref\":\"INV-999\"}}");
	char *other = stripe_event("evt_cust", "customer.created", "{\"id\":\"cus_1\"}");

	stripe_post(body, WHSEC_OLD, (long long)time(NULL));
	assert_result("unknown_invoice");
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.payment_events WHERE event_id = "
		  "'evt_unknown' AND outcome = 'unknown_invoice' AND invoice_ref = 'INV-999'"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'payment_webhook' AND "
			   "detail->>'outcome' = 'unknown_invoice'"),
			 1);
	stripe_post(other, WHSEC_OLD, (long long)time(NULL));
	assert_result("ignored");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 0);
	/* what ops see */
	ck_assert_int_eq(tu_sh("dunnctl -c '%s' payments list", cfg), 0);
	ck_assert_msg(strstr(tu_output(), "evt_unknown") && strstr(tu_output(), "INV-999") &&
			      strstr(tu_output(), "unknown_invoice") &&
			      strstr(tu_output(), "customer.created"),
		      "%s", tu_output());
	ck_assert_int_eq(tu_sh("dunnctl -c '%s' payments list --limit 1 --json", cfg), 0);
	{
		json_error_t je;
		json_t *o = json_loads(tu_output(), 0, &je), *ev;
		ck_assert_msg(o != NULL, "%s", tu_output());
		ev = json_array_get(json_object_get(o, "events"), 0);
		ck_assert_uint_eq(json_array_size(json_object_get(o, "events")), 1);
		ck_assert_str_eq(tu_jstr(ev, "event_id"), "evt_cust");
		ck_assert_str_eq(tu_jstr(ev, "outcome"), "ignored");
		ck_assert_str_eq(tu_jstr(ev, "source"), "stripe:stripe");
		json_decref(o);
	}
	free(body);
	free(other);
}
END_TEST

/* The refund comes before the payment it refunds: the end state is the
 * same as in order (paid 49.90, 10.00 refunded: 10.00 owed, case open). */
START_TEST(stripe_out_of_order_refund)
{
	SKIP_WITHOUT_NODE();
	char *refund = stripe_event("evt_re_3", "charge.refunded",
				    "{\"id\":\"ch_3\",\"object\":\"charge\",\"amount\":4990,"
				    "\"amount_captured\":4990,\"amount_refunded\":1000,"
				    "\"currency\":\"usd\",\"payment_intent\":\"pi_3\","
				    "\"metadata\":{\"invoice_ref\":\"INV-3\"}}");
	char *paid = stripe_event(
		"evt_paid_3", "invoice.paid",
		"{\"id\":\"in_3\",\"amount_paid\":4990,\"currency\":\"usd\","
		"\"payment_intent\":\"pi_3\",\"metadata\":{\"invoice_ref\":\"INV-3\"}}");
	long long now = (long long)time(NULL);

	stripe_post(refund, WHSEC_NEW, now);
	assert_result("recorded");
	stripe_post(paid, WHSEC_NEW, now);
	assert_result("already_recorded");
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices WHERE external_ref = 'INV-3'"),
			 3990);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE external_ref = 'INV-3' AND "
			   "paid_at IS NULL"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
			   "c.account_id WHERE a.external_ref = 'A-3' AND c.state <> 'resolved'"),
			 1);
	free(refund);
	free(paid);
}
END_TEST

/* Paid, resolved, then refunded in full: owed again, dunning goes on. */
START_TEST(stripe_refund_reopens)
{
	SKIP_WITHOUT_NODE();
	char *paid = stripe_event(
		"evt_paid_4", "invoice.paid",
		"{\"id\":\"in_4\",\"amount_paid\":4990,\"currency\":\"usd\","
		"\"payment_intent\":\"pi_4\",\"metadata\":{\"invoice_ref\":\"INV-4\"}}");
	/* a refund's charge carries no invoice_ref: found by its payment */
	char *refund = stripe_event(
		"evt_re_4", "charge.refunded",
		"{\"id\":\"ch_4\",\"amount_captured\":4990,\"amount_refunded\":4990,"
		"\"currency\":\"usd\",\"payment_intent\":\"pi_4\",\"metadata\":{}}");
	long long now = (long long)time(NULL), stage;

	stage = q("SELECT c.stage FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
		  "c.account_id WHERE a.external_ref = 'A-4'");
	ck_assert_int_ge(stage, 1);
	stripe_post(paid, WHSEC_NEW, now);
	assert_result("recorded");
	ck_assert_int_eq(until("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			       "a.id = c.account_id WHERE a.external_ref = 'A-4' AND c.state = "
			       "'resolved'",
			       1),
			 1);
	stripe_post(refund, WHSEC_NEW, now);
	assert_result("recorded");
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices WHERE external_ref = 'INV-4'"),
			 0);
	/* the same case goes on, at the step it had reached: no new cycle */
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
		  "c.account_id WHERE a.external_ref = 'A-4' AND c.state <> 'resolved' AND "
		  "c.cycle = 1 AND c.stage = %lld AND c.closed_at IS NULL",
		  stage),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
			   "c.account_id WHERE a.external_ref = 'A-4'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'case_reopened'"), 1);
	/* the poller looks at it again and keeps it open: it is overdue */
	ck_assert_int_ge(
		until("SELECT count(*) FROM dunning.events e JOIN dunning.accounts a ON "
		      "a.id = e.account_id WHERE a.external_ref = 'A-4' AND e.kind <> "
		      "'case_reopened' AND e.id > (SELECT max(id) FROM dunning.events WHERE "
		      "kind = 'case_reopened') AND e.case_id IS NOT NULL",
		      1),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
			   "c.account_id WHERE a.external_ref = 'A-4' AND c.state = 'active'"),
			 1);
	free(paid);
	free(refund);
}
END_TEST

START_TEST(stripe_dispute_opens)
{
	SKIP_WITHOUT_NODE();
	char *paid = stripe_event("evt_paid_5", "payment_intent.succeeded",
				  "{\"id\":\"pi_5\",\"amount_received\":4990,\"currency\":\"usd\","
				  "\"metadata\":{\"invoice_ref\":\"INV-5\"}}");
	char *dispute = stripe_event("evt_dp_5", "charge.dispute.created",
				     "{\"id\":\"dp_5\",\"object\":\"dispute\",\"amount\":4990,"
				     "\"charge\":\"ch_5\",\"payment_intent\":\"pi_5\","
				     "\"currency\":\"usd\",\"reason\":\"fraudulent\"}");
	long long now = (long long)time(NULL);

	stripe_post(paid, WHSEC_NEW, now);
	assert_result("recorded");
	stripe_post(dispute, WHSEC_NEW, now);
	assert_result("dispute");
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.disputes d JOIN dunning.invoices i ON i.id "
		  "= d.invoice_id WHERE i.external_ref = 'INV-5' AND d.resolved_at IS NULL"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE external_ref = 'INV-5' AND "
			   "disputed AND amount_paid = 0"),
			 1);
	stripe_post(dispute, WHSEC_NEW, now);
	assert_result("duplicate");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.disputes"), 1);
	free(paid);
	free(dispute);
}
END_TEST

static char *adyen_item(const char *psp, const char *orig, const char *code, const char *ref,
			long long value, const char *success)
{
	char *s = NULL;

	ck_assert(asprintf(&s,
			   "{\"NotificationRequestItem\":{\"pspReference\":\"%s\",%s%s%s"
			   "\"merchantAccountCode\":\"TestMerchant\",\"merchantReference\":\"%s\","
			   "\"amount\":{\"value\":%lld,\"currency\":\"USD\"},\"eventCode\":\"%s\","
			   "\"eventDate\":\"2026-11-10T15:00:00+01:00\",\"success\":\"%s\","
			   "\"additionalData\":{}}}",
			   psp, orig ? "\"originalReference\":\"" : "", orig ? orig : "",
			   orig ? "\"," : "", ref, value, code, success) > 0);
	return s;
}

START_TEST(adyen_notifications)
{
	SKIP_WITHOUT_NODE();
	char *a = adyen_item("PSP6", NULL, "AUTHORISATION", "INV-6", 4990, "true");
	char *c = adyen_item("PSP6C", "PSP6", "CAPTURE", "INV-6", 4990, "true");
	char *f = adyen_item("PSP7", NULL, "AUTHORISATION", "INV-2", 4990, "false");
	char *body = NULL, *signed_body, *forged;

	ck_assert(asprintf(&body, "{\"live\":\"false\",\"notificationItems\":[%s,%s,%s]}", a, c,
			   f) > 0);
	signed_body = node("adyen", ADYEN_KEY, 0, body);
	/* one item's amount changed after signing: the whole batch refused */
	forged = strdup(signed_body);
	*strstr(forged, "4990") = '9';
	post("adyen", forged, NULL);
	ck_assert_int_eq(resp.code, 403);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_events"), 0);
	post("adyen", signed_body, NULL);
	ck_assert_int_eq(resp.code, 200);
	ck_assert_str_eq(resp.body, "[accepted]");
	/* authorisation and capture are one payment; a failed one pays nothing */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments WHERE source = 'adyen:adyen'"),
			 1);
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices WHERE external_ref = 'INV-2'"),
			 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_events WHERE outcome = 'ignored'"),
			 1);
	ck_assert_int_eq(until("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			       "a.id = c.account_id WHERE a.external_ref = 'A-6' AND c.state = "
			       "'resolved'",
			       1),
			 1);
	/* sent again: accepted, nothing changes */
	post("adyen", signed_body, NULL);
	ck_assert_str_eq(resp.body, "[accepted]");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_events"), 3);
	/* a partial refund re-opens what it refunds */
	free(body);
	free(signed_body);
	free(a);
	a = adyen_item("PSP6R", "PSP6", "REFUND", "INV-6", 1000, "true");
	ck_assert(asprintf(&body, "{\"live\":\"false\",\"notificationItems\":[%s]}", a) > 0);
	signed_body = node("adyen", ADYEN_KEY, 0, body);
	post("adyen", signed_body, NULL);
	ck_assert_str_eq(resp.body, "[accepted]");
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices WHERE external_ref = 'INV-6'"),
			 3990);
	free(a);
	free(c);
	free(f);
	free(body);
	free(signed_body);
	free(forged);
}
END_TEST

START_TEST(generic_provider)
{
	SKIP_WITHOUT_NODE();
	static const char body[] = "{\"id\":\"g-1\",\"type\":\"payment\",\"invoice_ref\":\"INV-2\","
				   "\"payment_id\":\"gp-1\",\"amount\":4990,\"currency\":\"USD\"}";
	long long ts = (long long)time(NULL);
	char msg[512], hex[65], h1[64];
	struct curl_slist *h = NULL;

	snprintf(msg, sizeof msg, "%lld.%s", ts, body);
	tu_hmac_hex(GENERIC_SECRET, msg, hex);
	snprintf(h1, sizeof h1, "X-Dunn-Timestamp: %lld", ts);
	h = curl_slist_append(h, h1);
	snprintf(msg, sizeof msg, "X-Dunn-Signature: sha256=%s", hex);
	h = curl_slist_append(h, msg);
	tu_http(port, "POST", "/webhooks/billing/events", "application/json", body, strlen(body), h,
		&resp);
	assert_result("recorded");
	ck_assert_int_eq(until("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			       "a.id = c.account_id WHERE a.external_ref = 'A-2' AND c.state = "
			       "'resolved'",
			       1),
			 1);
	/* unsigned: refused */
	tu_http(port, "POST", "/webhooks/billing/events", "application/json", body, strlen(body),
		NULL, &resp);
	ck_assert_int_eq(resp.code, 403);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("payments");
	TCase *tc = tcase_create("payments");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stripe_payment_resolves_case_once);
	tcase_add_test(tc, stripe_forgeries_refused);
	tcase_add_test(tc, stripe_unknown_invoice_recorded);
	tcase_add_test(tc, stripe_out_of_order_refund);
	tcase_add_test(tc, stripe_refund_reopens);
	tcase_add_test(tc, stripe_dispute_opens);
	tcase_add_test(tc, adyen_notifications);
	tcase_add_test(tc, generic_provider);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
