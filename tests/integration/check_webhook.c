/* The webhook channel against a real HTTP receiver: the letter vendor of
 * the gateway simulator (tests/servers/gateway_sim.py, /vendor/letters),
 * which verifies X-Dunn-Signature with its own HMAC code and logs every
 * request. Through the real daemon (dunnd --once, and daemon mode for the
 * loop's liveness while a vendor hangs), and the module on its own for
 * its configuration checks and its queue. The module's source is compiled
 * in, as in check_sms.c. */
#include <check.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../channels/webhook.c"
#include "sig.h"
#include "testutil.h"
#include "tuhttp.h"
#include "tudaemon.h"

#define SECRET "letter-vendor-secret-0123456789"
#define T0 "2026-11-10T15:00:00Z" /* 10:00 in New York, 00:00 in Seoul */
#define T0_UNIX 1794322800LL

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char POLICY[] = TU_NY_SEOUL_POLICY("letter");

/* ---- the simulator ---- */

/* The last logged letter to an account, or NULL. */
static json_t *sim_letter_to(json_t *log, const char *to)
{
	json_t *hit = NULL, *r;
	size_t i;

	json_array_foreach(log, i, r)
	{
		const char *t = json_string_value(
			json_object_get(json_object_get(r, "fields"), "to"));
		if (t && strcmp(t, to) == 0 &&
		    !strcmp(json_string_value(json_object_get(r, "path")), "/vendor/letters"))
			hit = r;
	}
	return hit;
}

/* A header as the receiver saw it (names compared case-insensitively). */
static const char *header(json_t *rec, const char *name)
{
	json_t *h = json_object_get(rec, "headers"), *v;
	const char *k;

	json_object_foreach(h, k, v)
	{
		if (!strcasecmp(k, name))
			return json_string_value(v);
	}
	ck_abort_msg("no header %s", name);
	return NULL;
}

/* ---- the daemon ---- */

static char *letter_channel(const char *more)
{
	char *s = NULL;

	ck_assert(
		asprintf(&s,
			 "{\"letter\": {\"module\": \"webhook\", \"url\": \"%s/vendor/letters\",\n"
			 "  \"secret_file\": \"letter_secret\", \"timeout_ms\": 2000,\n"
			 "  \"headers\": {\"X-Vendor-Account\": \"acme-42\"}%s%s}}",
			 tu_env("DUNN_GATEWAY"), more ? ", " : "", more ? more : "") > 0);
	return s;
}

static void write_config(const char *more)
{
	char *ch = letter_channel(more);

	free(cfg);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
}

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("webhook");
	free(tu_file(dir, "letter_secret", SECRET "\n"));
	write_config(NULL);
	db = tu_book_db(cfg, dir, conninfo, tu_ny_seoul_accounts, tu_ny_seoul_invoices);
	free(tu_sim_call("POST", "/_reset", "{}"));
	tu_sim_control("{\"vendor_secret\": \"" SECRET "\"}");
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

START_TEST(letter_arrives_signed)
{
	json_t *log, *r, *f;
	char *id, *did, sig[SIG_DUNN_LEN];
	const char *body, *ts, *text;

	tu_run_once(cfg, T0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1); /* Seoul is asleep */
	log = tu_sim_log();
	r = sim_letter_to(log, "A-1");
	ck_assert_ptr_nonnull(r);
	/* the receiver's own HMAC check passed, and ours agrees byte for byte */
	ck_assert(json_is_true(json_object_get(r, "signature_ok")));
	body = tu_jstr(r, "body");
	ts = header(r, "X-Dunn-Timestamp");
	ck_assert_int_eq(sig_dunn_sign(SECRET, ts, body, strlen(body), sig), 0);
	ck_assert_str_eq(header(r, "X-Dunn-Signature"), sig);
	ck_assert_int_eq(sig_dunn_verify(SECRET, ts, body, strlen(body), sig, (int64_t)time(NULL)),
			 SIG_OK);
	/* wall clock, not the run's --at: the vendor's replay window works */
	ck_assert_int_le(llabs(atoll(ts) - (long long)time(NULL)), 120);
	ck_assert_str_eq(header(r, "Content-Type"), "application/json");
	ck_assert_str_eq(header(r, "X-Vendor-Account"), "acme-42");
	did = tu_delivery(db, "A-1", "d.id");
	{
		char want[64];
		snprintf(want, sizeof want, "dunnd-%s", did);
		ck_assert_str_eq(header(r, "Idempotency-Key"), want);
	}
	f = json_object_get(r, "fields");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "delivery_id")), atoll(did));
	ck_assert_int_eq(json_integer_value(json_object_get(f, "reference")), atoll(did));
	ck_assert_str_eq(tu_jstr(f, "to"), "A-1"); /* the account, not a number */
	ck_assert_str_eq(tu_jstr(f, "name"), "Alice Example");
	ck_assert_str_eq(tu_jstr(f, "subject"), "A friendly reminder: $49.90 is due");
	ck_assert_str_eq(tu_jstr(f, "sent_at"), T0);
	text = tu_jstr(f, "text");
	ck_assert_msg(strncmp(text, "Account: A-1\n\nDear Alice Example,\n", 34) == 0, "text: %s",
		      text);
	ck_assert_ptr_nonnull(strstr(text, "https://pay.test/p/"));
	ck_assert_ptr_nonnull(strstr(text, "help@test.example"));
	ck_assert_ptr_null(strstr(text, "Subject:"));
	ck_assert_ptr_nonnull(strstr(tu_jstr(f, "html"), "<p>Dear Alice Example,</p>"));
	tu_assert_delivery(db, "A-1", "status", "sent");
	tu_assert_delivery(db, "A-1", "last_error", "");
	id = tu_delivery(db, "A-1", "provider_message_id");
	ck_assert_str_eq(id, tu_jstr(r, "id"));
	ck_assert_msg(strncmp(id, "lt-", 3) == 0, "id %s", id);
	free(id);
	free(did);
	json_decref(log);
	/* Same instant again: nothing more goes out. */
	tu_run_once(cfg, T0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
}
END_TEST

/* A letter needs neither a phone nor an email, and an SMS STOP or an
 * email unsubscribe does not stop it. */
START_TEST(letter_ignores_phone_and_opt_outs)
{
	json_t *log;

	PQclear(tu_q(db, "UPDATE dunning.accounts SET phone = NULL WHERE external_ref = 'A-1'"));
	PQclear(tu_q(db,
		     "INSERT INTO dunning.suppressions (channel, address, reason, source) "
		     "VALUES ('sms', '+12025550101', 'opt-out', 'sms'), "
		     "('email', 'alice@customer.test', 'opt-out', 'page')"));
	tu_run_once(cfg, T0);
	log = tu_sim_log();
	ck_assert_ptr_nonnull(sim_letter_to(log, "A-1"));
	json_decref(log);
	tu_assert_delivery(db, "A-1", "status", "sent");
	tu_assert_delivery(db, "A-1", "address", "A-1");
}
END_TEST

START_TEST(korean_letter)
{
	json_t *log, *r, *f;

	tu_run_once(cfg, "2026-11-11T01:00:00Z"); /* 10:00 in Seoul, 20:00 in New York */
	log = tu_sim_log();
	r = sim_letter_to(log, "A-2");
	ck_assert_ptr_nonnull(r);
	ck_assert(json_is_true(json_object_get(r, "signature_ok")));
	f = json_object_get(r, "fields");
	ck_assert_str_eq(tu_jstr(f, "name"), "김민수");
	ck_assert_str_eq(tu_jstr(f, "subject"), "납부 안내: 120,000원 결제 기한이 지났습니다");
	ck_assert_ptr_nonnull(strstr(tu_jstr(f, "text"), "김민수 고객님"));
	tu_assert_delivery(db, "A-2", "status", "sent");
	ck_assert_int_eq(tu_sim_stat("requests"), 2); /* and Alice's */
	json_decref(log);
}
END_TEST

START_TEST(retry_after_429_is_honoured)
{
	tu_gw_429_honoured(cfg, db, T0, T0_UNIX);
}
END_TEST

START_TEST(server_error_is_retried)
{
	tu_gw_500_retried(cfg, db, T0, T0_UNIX, "http 500: {\"error\": {\"code\": \"internal\"");
}
END_TEST

START_TEST(connection_reset_is_retried)
{
	tu_gw_reset_retried(cfg, db, T0, T0_UNIX);
}
END_TEST

START_TEST(client_error_fails_with_status)
{
	char *e;

	tu_sim_control("{\"mode\": \"400\", \"count\": 1, \"code\": \"invalid_address\", "
		       "\"message\": \"The recipient address is incomplete\"}");
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "A-1", "status", "failed");
	tu_assert_error_has(db, "A-1", "http 400: ");
	tu_assert_error_has(db, "A-1", "The recipient address is incomplete");
	e = tu_delivery(db, "A-1", "last_error");
	ck_assert_int_le(strlen(e), strlen("http 400: ") + 200);
	free(e);
	tu_run_once(cfg, "2026-11-10T18:00:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), 1); /* never again */
}
END_TEST

START_TEST(long_refusal_is_cut_to_200_bytes)
{
	char msg[700], *e;

	memset(msg, 'x', 600);
	msg[600] = '\0';
	{
		char ctl[800];
		snprintf(ctl, sizeof ctl, "{\"mode\": \"400\", \"count\": 1, \"message\": \"%s\"}",
			 msg);
		tu_sim_control(ctl);
	}
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "A-1", "status", "failed");
	e = tu_delivery(db, "A-1", "last_error");
	ck_assert_msg(strlen(e) == strlen("http 400: ") + 200, "last_error (%zu) %s", strlen(e), e);
	free(e);
}
END_TEST

START_TEST(bad_signature_is_refused_by_the_vendor)
{
	tu_sim_control("{\"vendor_secret\": \"another-secret-entirely-0000\"}");
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "A-1", "status", "failed");
	tu_assert_error_has(db, "A-1", "http 401");
	tu_assert_error_has(db, "A-1", "bad_signature");
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
}
END_TEST

START_TEST(hang_times_out_without_blocking)
{
	double took;

	tu_import(
		cfg, dir,
		"account_ref,name,email,phone,locale,timezone,segment\n"
		"A-3,Carol Example,carol@customer.test,+12025550103,en-US,America/New_York,retail\n",
		"invoice_ref,account_ref,amount,currency,due_date,description\n"
		"INV-3,A-3,10.00,USD,2026-11-01,Plan\n");
	tu_sim_control("{\"mode\": \"hang\", \"count\": 1, \"delay\": 15}");
	took = tu_run_once(cfg, T0);
	/* timeout_ms is 2000: one transfer hangs, the other completes meanwhile */
	ck_assert_msg(took < 8.0, "dunnd took %.1f s", took);
	ck_assert_msg(took >= 1.9, "dunnd took only %.1f s", took);
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = "
				 "'queued' AND last_error LIKE 'curl 28:%'"),
			 1);
	tu_run_once(cfg, "2026-11-10T15:05:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), 3);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), 2);
}
END_TEST

/* A vendor that keeps failing gets one request per due attempt, whatever
 * the number of runs: no hot loop. */
START_TEST(failing_vendor_gets_bounded_requests)
{
	static const char *const at[] = {"2026-11-10T15:00:00Z", "2026-11-10T15:00:30Z",
					 "2026-11-10T15:02:00Z", "2026-11-10T15:03:00Z",
					 "2026-11-10T15:06:00Z", "2026-11-10T15:06:30Z"};
	long long reqs, attempts;
	char *a;

	tu_sim_control("{\"mode\": \"500\", \"count\": 1000}");
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
		tu_run_once(cfg, at[i]);
	reqs = tu_sim_stat("requests");
	a = tu_delivery(db, "A-1", "attempts");
	attempts = atoll(a);
	free(a);
	/* every request is an attempt, and backoff spaces them (30-60 s, then
	 * 60-120 s): six runs in 6.5 minutes allow at most four */
	ck_assert_int_eq(reqs, attempts);
	ck_assert_int_ge(reqs, 2);
	ck_assert_int_le(reqs, 4);
	tu_assert_delivery(db, "A-1", "status", "queued");
}
END_TEST

START_TEST(bad_config_is_refused)
{
	static const char *const bad[][2] = {
		{"\"url\": \"http://vendor.example/letters\"", "https"},
		{"\"timeout_ms\": 5", "timeout_ms"},
		{"\"max_inflight\": 0", "max_inflight"},
		{"\"secret_file\": \"missing_secret\"", "missing_secret"},
		{"\"headers\": {\"Content-Type\": \"text/plain\"}", "Content-Type"},
		{"\"headers\": {\"X-A\": \"one\\r\\nX-B: two\"}", "one-line"},
		{"\"headers\": {\"Authorization\": \"Bearer inline\"}", "Authorization"},
		{"\"retries\": 3", "unknown key 'retries'"},
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *ch = NULL;
		ck_assert(asprintf(&ch,
				   "{\"letter\": {\"module\": \"webhook\", \"url\": "
				   "\"%s/vendor/letters\", \"secret_file\": \"letter_secret\"}}",
				   tu_env("DUNN_GATEWAY")) > 0);
		/* later keys replace earlier ones in jansson: append the bad one */
		ch[strlen(ch) - 2] = '\0';
		{
			char *full = NULL;
			ck_assert(asprintf(&full, "%s, %s}}", ch, bad[i][0]) > 0);
			free(cfg);
			cfg = tu_config_channels(dir, conninfo, POLICY, full);
			free(full);
		}
		free(ch);
		ck_assert_int_ne(tu_sh("dunnd -c %s --once --at %s", cfg, T0), 0);
		ck_assert_msg(strstr(tu_output(), bad[i][1]) != NULL, "%s: %s", bad[i][0],
			      tu_output());
	}
	free(tu_file(dir, "short_secret", "short\n"));
	write_config("\"secret_file\": \"short_secret\"");
	ck_assert_int_ne(tu_sh("dunnd -c %s --once --at %s", cfg, T0), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "shorter than 16 bytes"));
	ck_assert_int_eq(tu_sim_stat("requests"), 0);
	/* the secret never shows up in what the daemon prints */
	write_config(NULL);
	tu_run_once(cfg, T0);
	ck_assert_ptr_null(strstr(tu_output(), SECRET));
	ck_assert_ptr_null(strstr(tu_output(), "+12025550101"));
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
}
END_TEST

/* ---- daemon mode: the loop stays live while the vendor hangs ---- */

static long healthz(int port, double *took)
{
	CURL *e = curl_easy_init();
	char url[64];
	long code = 0;
	FILE *devnull = fopen("/dev/null", "w");
	double t = tu_now_s();

	snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, devnull);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	fclose(devnull);
	*took = tu_now_s() - t;
	return code;
}

static long long sim_requests_cond(void *arg)
{
	(void)arg;
	return tu_sim_stat("requests");
}

START_TEST(daemon_stays_live_while_vendor_hangs)
{
	struct tud d = {.pid = 0, .nfd = -1};
	int port;
	long code = 0;
	double took = 0, worst = 0;

	tud_book(dir, "live", 100, 1); /* A-100, in a zone where it is noon */
	tu_import_named(cfg, dir, "live");
	write_config("\"timeout_ms\": 3000");
	tu_sim_control("{\"mode\": \"hang\", \"count\": 1, \"delay\": 20}");
	port = tud_start_http(&d, dir, cfg, NULL);
	/* the letter goes out and hangs at the vendor */
	ck_assert_msg(tud_until(sim_requests_cond, NULL, 1, 30000) >= 1, "no request (log %s)",
		      d.log);
	/* meanwhile the loop answers at once, until curl gives up (3 s) */
	for (int i = 0; i < 10; i++) {
		code = healthz(port, &took);
		ck_assert_msg(code == 200, "/healthz %ld while the vendor hangs (log %s)", code,
			      d.log);
		if (took > worst)
			worst = took;
		usleep(100000);
	}
	ck_assert_msg(worst < 1.0, "/healthz took %.2f s while the vendor hangs", worst);
	ck_assert_msg(tud_wait_log(&d, "event=retry channel=letter", 15000) == 0,
		      "no timeout logged (log %s)", d.log);
	ck_assert_int_eq(tud_log_count(&d, "curl 28:"), 1);
	/* and no hot loop: each delivery was tried once (A-2 too, when it is
	 * day in Seoul); the one that timed out waits out its backoff (30 s
	 * or more) */
	sleep(2);
	ck_assert_int_eq(tu_sim_stat("requests"),
			 tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE attempts = 1"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE attempts > 1"),
			 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = "
				 "'queued' AND last_error LIKE 'curl 28:%'"),
			 1);
	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 20000), 0);
	tud_cleanup(&d);
}
END_TEST

/* A stop whose grace runs out while letters wait behind a hung one: those
 * that never left come back queued, due at once, the attempt undone; the
 * one on the wire is a retry (the vendor may have it). */
START_TEST(stop_gives_back_what_never_left)
{
	struct tud d = {.pid = 0, .nfd = -1};
	long long total;
	char *all;

	tud_book(dir, "stop", 100, 6); /* A-100..A-105, where it is noon */
	tu_import_named(cfg, dir, "stop");
	write_config("\"timeout_ms\": 20000, \"max_inflight\": 1");
	tu_sim_control("{\"mode\": \"hang\", \"count\": 1, \"delay\": 13}");
	tud_start(&d, dir, cfg, 0, NULL);
	ck_assert_msg(tud_until(sim_requests_cond, NULL, 1, 30000) >= 1, "no request (log %s)",
		      d.log);
	ck_assert_int_eq(tud_wait_log(&d, "event=cycle_done", 10000), 0);
	usleep(300 * 1000);
	tud_kill(&d, SIGTERM); /* the grace (10 s) ends before the vendor lets go */
	ck_assert_int_eq(tud_wait(&d, 40000), 0);
	/* The first letter (whichever account: A-2 too when it is day in
	 * Seoul) hung and is a retry; the others never left. */
	total = tu_qint(db, "SELECT count(*) FROM dunning.deliveries");
	all = tu_qstr(
		db,
		"SELECT string_agg(a.external_ref || ' ' || d.status || ' ' || d.attempts, "
		"', ') FROM dunning.deliveries d JOIN dunning.accounts a ON a.id = d.account_id");
	ck_assert_msg(total >= 6, "%s", all);
	ck_assert_msg(tu_qint(db,
			      "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued' "
			      "AND attempts = 1 AND last_error LIKE 'curl %'") == 1,
		      "%s (log %s)", all, d.log);
	ck_assert_msg(tu_qint(db,
			      "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued' "
			      "AND attempts = 0 AND next_attempt_at <= now()") == total - 1,
		      "%s (log %s)", all, d.log);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events "
				 "WHERE kind = 'delivery_deferred'"),
			 total - 1);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
	free(all);
	tud_cleanup(&d);
}
END_TEST

/* ---- the module on its own ---- */

static const struct channel_ops *const ops = &channel_module;
static struct channel *mch;
static struct event_base *base;

static struct channel *try_open(const char *more, char *err, size_t errlen)
{
	char *ch = letter_channel(more);
	json_t *all = json_loads(ch, 0, NULL);
	struct channel_env env = {.base = base, .confdir = dir, .public_url = "https://pay.test"};
	struct channel *c;

	ck_assert_ptr_nonnull(all);
	c = ops->init("letter", json_object_get(all, "letter"), &env, err, errlen);
	json_decref(all);
	free(ch);
	return c;
}

static void msetup(void)
{
	dir = tu_tmpdir();
	free(tu_file(dir, "letter_secret", SECRET "\n"));
	free(tu_file(dir, "vendor_token", "tok-0123456789\n"));
	base = event_base_new();
	free(tu_sim_call("POST", "/_reset", "{}"));
	tu_sim_control("{\"vendor_secret\": \"" SECRET "\"}");
}

static void mteardown(void)
{
	if (mch)
		ops->close(mch);
	mch = NULL;
	event_base_free(base);
	free(dir);
	dir = NULL;
}

struct outcome {
	int n, want;
	int status[64];
	char provider_id[64][128];
	char error[64][256];
};

static void on_done(const struct channel_result *r, void *arg)
{
	struct outcome *o = arg;

	o->status[r->delivery_id] = (int)r->status;
	snprintf(o->provider_id[r->delivery_id], 128, "%s", r->provider_id);
	snprintf(o->error[r->delivery_id], 256, "%s", r->error);
	if (++o->n == o->want)
		event_base_loopexit(base, NULL);
}

START_TEST(module_declares_caps)
{
	char err[256] = "";

	ck_assert_str_eq(ops->name, "webhook");
	ck_assert_int_eq(ops->abi, CHANNEL_ABI);
	ck_assert_uint_eq(ops->caps, CHANNEL_CAP_SUBJECT | CHANNEL_CAP_HTML | CHANNEL_CAP_ACCOUNT);
	ck_assert_ptr_null(ops->webhook);
	mch = try_open("\"url\": \"http://localhost:1/x\"", err, sizeof err);
	ck_assert_msg(mch != NULL, "init: %s", err);
	ops->close(mch);
	mch = try_open("\"url\": \"https://letters.example/v1/letters\"", err, sizeof err);
	ck_assert_msg(mch != NULL, "init: %s", err);
	ops->close(mch);
	mch = try_open("\"url\": \"http://10.0.0.1/x\"", err, sizeof err);
	ck_assert_ptr_null(mch);
	ck_assert_ptr_nonnull(strstr(err, "'url' must be https://"));
	mch = try_open("\"headers\": [\"X-A: b\"]", err, sizeof err);
	ck_assert_ptr_null(mch);
	ck_assert_ptr_nonnull(strstr(err, "'headers' must be an object"));
	mch = try_open("\"headers\": {\"Bad Name\": \"x\"}", err, sizeof err);
	ck_assert_ptr_null(mch);
	ck_assert_ptr_nonnull(strstr(err, "not a valid name"));
}
END_TEST

START_TEST(module_queues_past_max_inflight)
{
	struct outcome o = {.want = 12};
	char to[32];
	struct channel_msg m = {0};
	char err[256] = "";
	json_t *log, *r;
	size_t i;
	int bearer = 0;

	mch = try_open("\"max_inflight\": 3, \"max_queued\": 8, \"auth_token_file\": "
		       "\"vendor_token\"",
		       err, sizeof err);
	ck_assert_msg(mch != NULL, "init: %s", err);
	tu_sim_control("{\"mode\": \"slow\", \"count\": 12, \"delay\": 0.3}");
	m.text = "Dear customer, your bill of $10.00 is due.\n";
	m.now = T0_UNIX;
	/* text that is not UTF-8 is accepted and fails without a request */
	m.to_addr = "+12025550100";
	m.text = "caf\xe9";
	m.delivery_id = 11;
	ck_assert_int_eq(ops->send(mch, &m, on_done, &o), 0);
	m.text = "Dear customer, your bill of $10.00 is due.\n";
	m.to_addr = to;
	for (int k = 0; k < 11; k++) {
		snprintf(to, sizeof to, "+120255502%02d", k);
		m.delivery_id = k;
		ck_assert_int_eq(ops->send(mch, &m, on_done, &o), 0);
	}
	/* 3 on the wire + 8 queued (+ the bad one): the next is refused */
	ck_assert_uint_eq(ops->inflight(mch), 12);
	m.delivery_id = 12;
	ck_assert_int_eq(ops->send(mch, &m, on_done, &o), -1);
	event_base_dispatch(base);
	ck_assert_int_eq(o.n, 12);
	ck_assert_uint_eq(ops->inflight(mch), 0);
	for (int k = 0; k < 11; k++) {
		ck_assert_int_eq(o.status[k], CHANNEL_SENT);
		ck_assert_msg(strncmp(o.provider_id[k], "lt-", 3) == 0, "id %s", o.provider_id[k]);
	}
	ck_assert_int_eq(o.status[11], CHANNEL_FAILED);
	ck_assert_ptr_nonnull(strstr(o.error[11], "UTF-8"));
	ck_assert_int_eq(tu_sim_stat("requests"), 11);
	log = tu_sim_log();
	json_array_foreach(log, i, r)
	{
		ck_assert(json_is_true(json_object_get(r, "signature_ok")));
		bearer += !strcmp(header(r, "Authorization"), "Bearer tok-0123456789");
		/* no subject or html given: none sent */
		ck_assert_ptr_null(json_object_get(json_object_get(r, "fields"), "subject"));
		ck_assert_ptr_null(json_object_get(json_object_get(r, "fields"), "html"));
	}
	ck_assert_int_eq(bearer, 11);
	json_decref(log);
	{
		char *s = tu_sim_call("GET", "/_stats", NULL);
		json_t *j = json_loads(s, 0, NULL);
		ck_assert_int_le(json_integer_value(json_object_get(j, "max_concurrent")), 3);
		ck_assert_int_le(json_integer_value(json_object_get(j, "connections")), 3);
		json_decref(j);
		free(s);
	}
}
END_TEST

/* close() with a transfer on the wire: it is reported (a retry), freed. */
START_TEST(module_close_reports_inflight)
{
	struct outcome o = {.want = 1};
	struct channel_msg m = {0};
	char err[256] = "";

	mch = try_open("\"timeout_ms\": 500", err, sizeof err);
	ck_assert_msg(mch != NULL, "init: %s", err);
	tu_sim_control("{\"mode\": \"hang\", \"count\": 1, \"delay\": 5}");
	m.to_addr = "+12025550100";
	m.text = "hello";
	m.delivery_id = 3;
	ck_assert_int_eq(ops->send(mch, &m, on_done, &o), 0);
	ck_assert_uint_eq(ops->inflight(mch), 1);
	/* let the request reach the simulator, then close mid-flight */
	for (int i = 0; i < 100 && tu_sim_stat("requests") < 1; i++)
		event_base_loop(base, EVLOOP_NONBLOCK), usleep(20000);
	ops->close(mch);
	mch = NULL;
	ck_assert_int_eq(o.n, 1);
	ck_assert_int_eq(o.status[3], CHANNEL_RETRY);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("daemon");
	TCase *tm = tcase_create("module");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, letter_arrives_signed);
	tcase_add_test(tc, korean_letter);
	tcase_add_test(tc, letter_ignores_phone_and_opt_outs);
	tcase_add_test(tc, retry_after_429_is_honoured);
	tcase_add_test(tc, server_error_is_retried);
	tcase_add_test(tc, connection_reset_is_retried);
	tcase_add_test(tc, client_error_fails_with_status);
	tcase_add_test(tc, long_refusal_is_cut_to_200_bytes);
	tcase_add_test(tc, bad_signature_is_refused_by_the_vendor);
	tcase_add_test(tc, hang_times_out_without_blocking);
	tcase_add_test(tc, failing_vendor_gets_bounded_requests);
	tcase_add_test(tc, bad_config_is_refused);
	tcase_add_test(tc, daemon_stays_live_while_vendor_hangs);
	tcase_add_test(tc, stop_gives_back_what_never_left);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tm, msetup, mteardown);
	tcase_set_timeout(tm, 60);
	tcase_add_test(tm, module_declares_caps);
	tcase_add_test(tm, module_queues_past_max_inflight);
	tcase_add_test(tm, module_close_reports_inflight);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
