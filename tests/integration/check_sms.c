/* The sms channel against the real gateway simulator (tests/servers/
 * gateway_sim.py): through the real daemon (dunnd --once), and the module
 * on its own for its queue and its webhook op. The module's source is
 * compiled into this test (modules resolve lib/ from the binary that loads
 * them, which a test binary does not export), so its ops are called
 * directly, exactly as the daemon calls them. */
#include <check.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../channels/sms.c"
#include "sig.h"
#include "smsseg.h"
#include "testutil.h"
#include "tuhttp.h"

#define SID "ACtest0123456789"
#define TOKEN "sms-test-token-0123456789"
#define T0 "2026-11-10T15:00:00Z" /* 10:00 in New York, 00:00 in Seoul */
#define T0_UNIX 1794322800LL

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char POLICY[] = TU_NY_SEOUL_POLICY("sms");

/* ---- the simulator ---- */

/* The last logged request to a number (To or to), or NULL. */
static json_t *sim_request_to(json_t *log, const char *to)
{
	json_t *hit = NULL, *r;
	size_t i;

	json_array_foreach(log, i, r)
	{
		json_t *fl = json_object_get(r, "fields");
		const char *t = json_string_value(json_object_get(fl, "To"));
		if (!t)
			t = json_string_value(json_object_get(fl, "to"));
		if (t && strcmp(t, to) == 0)
			hit = r;
	}
	return hit;
}

/* ---- the daemon ---- */

static char *sms_channel(const char *provider, const char *more)
{
	char *s = NULL;

	ck_assert(
		asprintf(
			&s,
			"{\"sms\": {\"module\": \"sms\", \"provider\": \"%s\", \"api_base\": \"%s\",\n"
			"  \"account_sid\": \"" SID "\", \"auth_token_file\": \"sms_token\",\n"
			"  \"from\": \"+15005550006\", \"timeout_ms\": 2000%s%s}}",
			provider, tu_env("DUNN_GATEWAY"), more ? ", " : "", more ? more : "") > 0);
	return s;
}

static void write_config(const char *provider, const char *more)
{
	char *ch = sms_channel(provider, more);

	free(cfg);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
}

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("sms");
	free(tu_file(dir, "sms_token", TOKEN "\n"));
	write_config("twilio", NULL);
	db = tu_book_db(cfg, dir, conninfo, tu_ny_seoul_accounts, tu_ny_seoul_invoices);
	free(tu_sim_call("POST", "/_reset", "{}"));
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

/* ---- through the daemon ---- */

START_TEST(twilio_request_is_right)
{
	json_t *log, *r, *f;
	char *id;
	const char *body;

	tu_run_once(cfg, T0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1); /* Seoul is asleep */
	log = tu_sim_log();
	r = sim_request_to(log, "+12025550101");
	ck_assert_ptr_nonnull(r);
	f = json_object_get(r, "fields");
	ck_assert_str_eq(tu_jstr(r, "path"), "/2010-04-01/Accounts/" SID "/Messages.json");
	ck_assert_str_eq(tu_jstr(r, "content_type"), "application/x-www-form-urlencoded");
	ck_assert_str_eq(tu_jstr(r, "user"), SID);
	ck_assert_str_eq(tu_jstr(r, "password"), TOKEN);
	ck_assert_str_eq(tu_jstr(f, "To"), "+12025550101");
	ck_assert_str_eq(tu_jstr(f, "From"), "+15005550006");
	/* the instance's own route (the shared /webhooks/twilio/status still works) */
	ck_assert_str_eq(tu_jstr(f, "StatusCallback"), "https://pay.test/webhooks/sms/status");
	body = tu_jstr(f, "Body");
	ck_assert_msg(strstr(body, "Test Telecom: A friendly reminder that $49.90 is due") == body,
		      "body: %s", body);
	ck_assert_ptr_nonnull(strstr(body, "https://pay.test/p/"));
	ck_assert_msg(strlen(body) > 30 &&
			      !strcmp(body + strlen(body) - 22, "Reply STOP to opt out."),
		      "no opt-out line: %s", body);
	ck_assert_msg(body[strlen(body) - 1] != '\n', "trailing newline sent");
	ck_assert_str_eq(tu_jstr(r, "encoding"), "GSM-7");
	ck_assert_int_le(json_integer_value(json_object_get(r, "segments")), 2);
	tu_assert_delivery(db, "A-1", "status", "sent");
	id = tu_delivery(db, "A-1", "provider_message_id");
	ck_assert_str_eq(id, tu_jstr(r, "sid"));
	free(id);
	json_decref(log);
	/* Same instant again: nothing more goes out. */
	tu_run_once(cfg, T0);
	ck_assert_int_eq(tu_sim_stat("requests"), 1);
}
END_TEST

START_TEST(korean_is_ucs2)
{
	json_t *log, *r;
	struct smsseg_info info;
	const char *body;

	tu_run_once(cfg, "2026-11-11T01:00:00Z"); /* 10:00 in Seoul, 20:00 in New York */
	log = tu_sim_log();
	r = sim_request_to(log, "+821012345678");
	ck_assert_ptr_nonnull(r);
	body = tu_jstr(json_object_get(r, "fields"), "Body");
	ck_assert_msg(strstr(body, "[Test Telecom] 120,000원 납부 기한이 지났습니다.") == body,
		      "body: %s", body);
	ck_assert_msg(
		strlen(body) > 30 &&
			!strcmp(body + strlen(body) - strlen("문의·수신거부 help@test.example"),
				"문의·수신거부 help@test.example"),
		"no opt-out line: %s", body);
	ck_assert_ptr_nonnull(strstr(body, "https://pay.test/p/"));
	/* the simulator's own count and ours agree: UCS-2, two parts */
	ck_assert_str_eq(tu_jstr(r, "encoding"), "UCS-2");
	ck_assert_int_eq(smsseg_count(body, strlen(body), &info), 0);
	ck_assert_int_eq(info.encoding, SMSSEG_UCS2);
	ck_assert_int_eq((long long)info.units, json_integer_value(json_object_get(r, "units")));
	ck_assert_int_eq((long long)info.segments,
			 json_integer_value(json_object_get(r, "segments")));
	ck_assert_int_eq(info.segments, 2);
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
	tu_gw_500_retried(cfg, db, T0, T0_UNIX, "http 500");
}
END_TEST

START_TEST(connection_reset_is_retried)
{
	tu_gw_reset_retried(cfg, db, T0, T0_UNIX);
}
END_TEST

START_TEST(client_error_fails_with_code)
{
	tu_sim_control("{\"mode\": \"400\", \"count\": 1, \"code\": 21408}");
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "A-1", "status", "failed");
	tu_assert_error_has(db, "A-1", "http 400 code 21408: Permission to send an SMS");
	tu_run_once(cfg, "2026-11-10T18:00:00Z");
	ck_assert_int_eq(tu_sim_stat("requests"), 1); /* never again */
}
END_TEST

START_TEST(invalid_number_bounces_and_is_suppressed)
{
	tu_import(cfg, dir,
		  "account_ref,name,email,phone,locale,timezone,segment\n"
		  "B-1,Bad Number,bad@customer.test,+15005550001,en-US,America/New_York,retail\n",
		  "invoice_ref,account_ref,amount,currency,due_date,description\n"
		  "INV-B1,B-1,20.00,USD,2026-11-01,Plan\n");
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "B-1", "status", "bounced");
	tu_assert_error_has(db, "B-1", "code 21211");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.suppressions WHERE channel = "
				 "'sms' AND address = '+15005550001'"),
			 1);
	tu_assert_delivery(db, "A-1", "status", "sent");
	ck_assert_int_eq(tu_sim_stat("requests"), 2);
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
	ck_assert_msg(took < 6.0, "dunnd took %.1f s", took);
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

START_TEST(too_many_segments_fails_unsent)
{
	write_config("twilio", "\"max_segments\": 1");
	tu_run_once(cfg, T0);
	tu_assert_delivery(db, "A-1", "status", "failed");
	tu_assert_error_has(db, "A-1", "segments (GSM-7");
	tu_assert_error_has(db, "A-1", "max_segments is 1");
	ck_assert_int_eq(tu_sim_stat("requests"), 0);
}
END_TEST

START_TEST(generic_provider)
{
	json_t *log, *r, *f;
	char *id, *did;

	write_config("generic", NULL);
	tu_run_once(cfg, T0);
	log = tu_sim_log();
	ck_assert_int_eq(json_array_size(log), 1);
	r = json_array_get(log, 0);
	f = json_object_get(r, "fields");
	ck_assert_str_eq(tu_jstr(r, "path"), "/messages");
	ck_assert_str_eq(tu_jstr(r, "content_type"), "application/json");
	ck_assert_str_eq(tu_jstr(r, "bearer"), TOKEN);
	ck_assert_str_eq(tu_jstr(f, "to"), "+12025550101");
	ck_assert_str_eq(tu_jstr(f, "from"), "+15005550006");
	ck_assert_str_eq(tu_jstr(f, "callback_url"), "https://pay.test/webhooks/sms/status");
	ck_assert_ptr_nonnull(strstr(tu_jstr(f, "body"), "$49.90"));
	did = tu_delivery(db, "A-1", "d.id");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "reference")), atoll(did));
	id = tu_delivery(db, "A-1", "provider_message_id");
	ck_assert_str_eq(id, tu_jstr(r, "id"));
	tu_assert_delivery(db, "A-1", "status", "sent");
	free(id);
	free(did);
	json_decref(log);
}
END_TEST

START_TEST(max_inflight_limits_concurrency_reusing_connections)
{
	char acc[4096] = "account_ref,name,email,phone,locale,timezone,segment\n";
	char inv[4096] = "invoice_ref,account_ref,amount,currency,due_date,description\n";

	for (int i = 0; i < 12; i++) {
		snprintf(
			acc + strlen(acc), sizeof acc - strlen(acc),
			"N-%02d,N %d,n%d@customer.test,+120255503%02d,en-US,America/New_York,retail\n",
			i, i, i, i);
		snprintf(inv + strlen(inv), sizeof inv - strlen(inv),
			 "INV-N%02d,N-%02d,15.00,USD,2026-11-01,Plan\n", i, i);
	}
	tu_import(cfg, dir, acc, inv);
	write_config("twilio", "\"max_inflight\": 3");
	tu_sim_control("{\"mode\": \"slow\", \"count\": 13, \"delay\": 0.3}");
	tu_run_once(cfg, T0);
	ck_assert_int_eq(tu_sim_stat("requests"), 13);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), 13);
	/* never more than 3 at once, and 3 kept-alive connections carried all 13 */
	ck_assert_int_le(tu_sim_stat("max_concurrent"), 3);
	ck_assert_int_ge(tu_sim_stat("max_concurrent"), 2);
	ck_assert_int_le(tu_sim_stat("connections"), 3);
}
END_TEST

START_TEST(bad_config_is_refused)
{
	write_config("twilio", "\"max_segments\": 0");
	ck_assert_int_ne(tu_sh("dunnd -c %s --once --at %s", cfg, T0), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "max_segments"));
	free(cfg);
	cfg = tu_config_channels(
		dir, conninfo, POLICY,
		"{\"sms\": {\"module\": \"sms\", \"provider\": \"twilio\", "
		"\"api_base\": \"http://api.twilio.example\", \"account_sid\": \"AC1\", "
		"\"auth_token_file\": \"sms_token\", \"from\": \"+15005550006\"}}");
	ck_assert_int_ne(tu_sh("dunnd -c %s --once --at %s", cfg, T0), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "https"));
	ck_assert_int_eq(tu_sim_stat("requests"), 0);
	/* the token never shows up in what the daemon prints */
	write_config("twilio", NULL);
	tu_run_once(cfg, T0);
	ck_assert_ptr_null(strstr(tu_output(), TOKEN));
	ck_assert_ptr_null(strstr(tu_output(), "+12025550101"));
}
END_TEST

/* ---- the module on its own ---- */

static const struct channel_ops *const ops = &channel_module;
static struct channel *mch;
static struct event_base *base;

static struct channel *open_module(const char *provider, const char *more)
{
	char *ch = sms_channel(provider, more), err[256] = "";
	json_t *all = json_loads(ch, 0, NULL);
	struct channel_env env = {.base = base, .confdir = dir, .public_url = "https://pay.test"};
	struct channel *c;

	ck_assert_str_eq(ops->name, "sms");
	ck_assert_int_eq(ops->abi, CHANNEL_ABI);
	ck_assert_ptr_nonnull(ops->webhook);
	c = ops->init("sms", json_object_get(all, "sms"), &env, err, sizeof err);
	ck_assert_msg(c != NULL, "init: %s", err);
	json_decref(all);
	free(ch);
	return c;
}

static void msetup(void)
{
	dir = tu_tmpdir();
	free(tu_file(dir, "sms_token", TOKEN "\n"));
	base = event_base_new();
	free(tu_sim_call("POST", "/_reset", "{}"));
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
	int n;
	int status[64];
	char provider_id[64][128];
};

static void on_done(const struct channel_result *r, void *arg)
{
	struct outcome *o = arg;

	o->status[r->delivery_id] = (int)r->status;
	snprintf(o->provider_id[r->delivery_id], 128, "%s", r->provider_id);
	if (++o->n == 12)
		event_base_loopexit(base, NULL);
}

START_TEST(module_queues_past_max_inflight)
{
	struct outcome o = {0};
	char to[32];
	struct channel_msg m = {0};

	mch = open_module("twilio", "\"max_inflight\": 3, \"max_queued\": 8");
	tu_sim_control("{\"mode\": \"slow\", \"count\": 12, \"delay\": 0.3}");
	m.text = "Your bill of $10.00 is due.";
	/* a bad number is accepted and fails without a request */
	m.to_addr = "2025550100";
	m.delivery_id = 11;
	ck_assert_int_eq(ops->send(mch, &m, on_done, &o), 0);
	m.to_addr = to;
	for (int i = 0; i < 11; i++) {
		snprintf(to, sizeof to, "+120255502%02d", i);
		m.delivery_id = i;
		ck_assert_int_eq(ops->send(mch, &m, on_done, &o), 0);
	}
	/* 3 on the wire + 8 queued (+ the bad one): the next is refused */
	ck_assert_uint_eq(ops->inflight(mch), 12);
	m.delivery_id = 12;
	ck_assert_int_eq(ops->send(mch, &m, on_done, &o), -1);
	event_base_dispatch(base);
	ck_assert_int_eq(o.n, 12);
	ck_assert_uint_eq(ops->inflight(mch), 0);
	for (int i = 0; i < 11; i++) {
		ck_assert_int_eq(o.status[i], CHANNEL_SENT);
		ck_assert_msg(strncmp(o.provider_id[i], "SM", 2) == 0, "id %s", o.provider_id[i]);
	}
	ck_assert_int_eq(o.status[11], CHANNEL_FAILED);
	ck_assert_int_eq(tu_sim_stat("requests"), 11);
	ck_assert_int_le(tu_sim_stat("max_concurrent"), 3);
	ck_assert_int_ge(tu_sim_stat("max_concurrent"), 2);
	/* keep-alive: three connections carried eleven messages */
	ck_assert_int_le(tu_sim_stat("connections"), 3);
}
END_TEST

static int call_webhook(const char *path, const char *ctype, const char *body, const char *sig,
			const char *ts, struct channel_event *ev, size_t *n, const char **reply)
{
	struct channel_request req = {0};
	char url[256];

	snprintf(url, sizeof url, "https://pay.test%s", path);
	req.url = url;
	req.path = path;
	req.content_type = ctype;
	req.body = body;
	req.body_len = strlen(body);
	req.signature = sig;
	req.timestamp = ts;
	req.now = 1800000000;
	return ops->webhook(mch, &req, ev, 4, n, reply);
}

static const char *twilio_sign(const char *path, const char *body, char out[SIG_TWILIO_LEN])
{
	struct form f;
	char url[256];

	snprintf(url, sizeof url, "https://pay.test%s", path);
	ck_assert_int_eq(form_parse(body, strlen(body), &f), FORM_OK);
	ck_assert_int_eq(sig_twilio_compute(TOKEN, url, &f, out), 0);
	form_free(&f);
	return out;
}

#define FORM "application/x-www-form-urlencoded"

START_TEST(module_twilio_webhook)
{
	struct channel_event ev[4];
	const char *reply = NULL;
	char sig[SIG_TWILIO_LEN];
	size_t n = 0;
	const char *st =
		"MessageSid=SM42&MessageStatus=delivered&To=%2B12025550101&From=%2B15005550006";
	const char *und =
		"MessageSid=SM43&MessageStatus=undelivered&ErrorCode=30006&To=%2B12025550101";
	const char *in = "MessageSid=SM44&From=%2B12025550101&To=%2B15005550006&Body=STOP+please";

	mch = open_module("twilio", NULL);
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, st,
				      twilio_sign("/webhooks/twilio/status", st, sig), NULL, ev, &n,
				      &reply),
			 200);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev[0].provider_id, "SM42");
	ck_assert_str_eq(ev[0].status, "delivered");
	ck_assert_str_eq(ev[0].error_code, "");
	ck_assert_str_eq(ev[0].address, "+12025550101");
	/* a dead number also comes back as a bounce */
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, und,
				      twilio_sign("/webhooks/twilio/status", und, sig), NULL, ev,
				      &n, &reply),
			 200);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ev[0].status, "undelivered");
	ck_assert_str_eq(ev[0].error_code, "30006");
	ck_assert_int_eq(ev[1].kind, CHANNEL_EV_BOUNCE);
	ck_assert_str_eq(ev[1].address, "+12025550101");
	/* inbound */
	ck_assert_int_eq(call_webhook("/webhooks/twilio/inbound", FORM "; charset=utf-8", in,
				      twilio_sign("/webhooks/twilio/inbound", in, sig), NULL, ev,
				      &n, &reply),
			 200);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].kind, CHANNEL_EV_INBOUND);
	ck_assert_str_eq(ev[0].address, "+12025550101");
	ck_assert_str_eq(ev[0].body, "STOP please");
	ck_assert_str_eq(ev[0].provider_id, "SM44");
	ck_assert_ptr_nonnull(reply);
	ck_assert_ptr_nonnull(strstr(reply, "<Response>"));
	/* signed for another path, missing, or wrong: 403 */
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, in,
				      twilio_sign("/webhooks/twilio/inbound", in, sig), NULL, ev,
				      &n, &reply),
			 403);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(
		call_webhook("/webhooks/twilio/status", FORM, st, NULL, NULL, ev, &n, &reply), 403);
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, st,
				      "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", NULL, ev, &n, &reply),
			 403);
	/* malformed form data, wrong content type, missing fields: 400 */
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, "MessageSid=%zz",
				      "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", NULL, ev, &n, &reply),
			 400);
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", "application/json", st,
				      twilio_sign("/webhooks/twilio/status", st, sig), NULL, ev, &n,
				      &reply),
			 400);
	ck_assert_int_eq(call_webhook("/webhooks/twilio/status", FORM, "MessageSid=SM1",
				      twilio_sign("/webhooks/twilio/status", "MessageSid=SM1", sig),
				      NULL, ev, &n, &reply),
			 400);
}
END_TEST

START_TEST(module_generic_webhook)
{
	struct channel_event ev[4];
	const char *reply = NULL;
	char sig[SIG_DUNN_LEN];
	size_t n = 0;
	const char *st =
		"{\"id\":\"gm-7\",\"status\":\"failed\",\"error_code\":42,\"to\":\"+12025550101\"}";
	const char *in = "{\"id\":\"gm-8\",\"from\":\"+821012345678\",\"body\":\"중지\"}";

	mch = open_module("generic", NULL);
	ck_assert_int_eq(sig_dunn_sign(TOKEN, "1800000000", st, strlen(st), sig), 0);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", st, sig,
				      "1800000000", ev, &n, &reply),
			 200);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev[0].provider_id, "gm-7");
	ck_assert_str_eq(ev[0].status, "failed");
	ck_assert_str_eq(ev[0].error_code, "42");
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(sig_dunn_sign(TOKEN, "1799999990", in, strlen(in), sig), 0);
	ck_assert_int_eq(call_webhook("/webhooks/sms/inbound", "application/json", in, sig,
				      "1799999990", ev, &n, &reply),
			 200);
	ck_assert_int_eq(ev[0].kind, CHANNEL_EV_INBOUND);
	ck_assert_str_eq(ev[0].address, "+821012345678");
	ck_assert_str_eq(ev[0].body, "중지");
	/* stale, unsigned or tampered: 403; signed garbage: 400 */
	ck_assert_int_eq(sig_dunn_sign(TOKEN, "1799999000", st, strlen(st), sig), 0);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", st, sig,
				      "1799999000", ev, &n, &reply),
			 403);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", st, NULL,
				      "1800000000", ev, &n, &reply),
			 403);
	ck_assert_int_eq(sig_dunn_sign(TOKEN, "1800000000", "{}", 2, sig), 0);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", "{} ", sig,
				      "1800000000", ev, &n, &reply),
			 403);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", "{}", sig,
				      "1800000000", ev, &n, &reply),
			 400);
	ck_assert_int_eq(sig_dunn_sign(TOKEN, "1800000000", "nope", 4, sig), 0);
	ck_assert_int_eq(call_webhook("/webhooks/sms/status", "application/json", "nope", sig,
				      "1800000000", ev, &n, &reply),
			 400);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sms");
	TCase *tc = tcase_create("daemon");
	TCase *tm = tcase_create("module");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, twilio_request_is_right);
	tcase_add_test(tc, korean_is_ucs2);
	tcase_add_test(tc, retry_after_429_is_honoured);
	tcase_add_test(tc, server_error_is_retried);
	tcase_add_test(tc, connection_reset_is_retried);
	tcase_add_test(tc, client_error_fails_with_code);
	tcase_add_test(tc, invalid_number_bounces_and_is_suppressed);
	tcase_add_test(tc, hang_times_out_without_blocking);
	tcase_add_test(tc, too_many_segments_fails_unsent);
	tcase_add_test(tc, generic_provider);
	tcase_add_test(tc, max_inflight_limits_concurrency_reusing_connections);
	tcase_add_test(tc, bad_config_is_refused);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tm, msetup, mteardown);
	tcase_set_timeout(tm, 60);
	tcase_add_test(tm, module_queues_past_max_inflight);
	tcase_add_test(tm, module_twilio_webhook);
	tcase_add_test(tm, module_generic_webhook);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
