/* The billing system's API against the real daemon and PostgreSQL: only
 * on the admin listener, bearer keys, the checks at the door (401, 413,
 * 415, 400) changing nothing, bulk upserts validated as dunnctl import
 * validates (the same messages), Idempotency-Key replays and refusals,
 * payments through the ledger, an account's state and its late fees.
 * Every answer is checked against api/openapi.json by tests/apicheck.py
 * (python3-jsonschema), and the document itself by Redocly's linter from npm
 * (tests/npm.sh openapi; without node or the registry that one test says
 * why and skips). */
#include <check.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define KEY_BILLING "billing-key-0123456789abcdef"
#define KEY_OPS "ops-key-fedcba9876543210"

static char *dir, *cfg, *conninfo, *answers;
static PGconn *db;
static struct tud dunnd_proc;
static int port, admin;
static struct tu_resp resp;

#define q(...) tu_qintf(db, __VA_ARGS__)

/* The Content-Type of the last answer ("" if none). */
static const char *resp_ctype(void)
{
	static char ct[128];
	const char *h = strcasestr(resp.headers, "\nContent-Type:");

	ct[0] = '\0';
	if (h) {
		h += 14;
		h += strspn(h, " ");
		snprintf(ct, sizeof ct, "%.*s", (int)strcspn(h, "\r\n"), h);
	}
	return ct;
}

/* Keep the answer for apicheck.py: template is the document's path. */
static void record(const char *method, const char *template)
{
	json_t *o = json_pack("{ss ss si ss ss}", "method", method, "path", template, "status",
			      (int)resp.code, "ctype", resp_ctype(), "body", resp.body);
	char *line = json_dumps(o, JSON_COMPACT);
	FILE *f = fopen(answers, "a");

	ck_assert(f && line);
	fprintf(f, "%s\n", line);
	fclose(f);
	free(line);
	json_decref(o);
}

/* A request to the admin listener with key (NULL: no Authorization),
 * idem (NULL: no Idempotency-Key) and ctype; recorded unless template is
 * NULL. */
static long call(const char *method, const char *path, const char *template, const char *key,
		 const char *idem, const char *ctype, const char *body)
{
	struct curl_slist *h = NULL;
	char line[512];

	if (key) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", key);
		h = curl_slist_append(h, line);
	}
	if (idem) {
		snprintf(line, sizeof line, "Idempotency-Key: %s", idem);
		h = curl_slist_append(h, line);
	}
	tu_http(admin, method, path, ctype, body, body ? strlen(body) : 0, h, &resp);
	if (template)
		record(method, template);
	return resp.code;
}

static long post(const char *path, const char *idem, const char *body)
{
	return call("POST", path, path, KEY_BILLING, idem, NULL, body);
}

static json_t *resp_json(void)
{
	json_t *o = json_loads(resp.body, 0, NULL);

	ck_assert_msg(o, "not JSON: %s", resp.body);
	return o;
}

/* The answer is a problem whose errors name pointer (detail returned,
 * caller frees), or NULL when it names no such pointer. */
static char *error_at(const char *pointer)
{
	json_t *o = resp_json(), *e;
	char *d = NULL;
	size_t i;

	ck_assert_str_eq(resp_ctype(), "application/problem+json");
	json_array_foreach(json_object_get(o, "errors"), i, e)
	{
		if (!d && !strcmp(json_string_value(json_object_get(e, "pointer")), pointer))
			d = strdup(json_string_value(json_object_get(e, "detail")));
	}
	json_decref(o);
	return d;
}

static void assert_error_at(const char *pointer, const char *needle)
{
	char *d = error_at(pointer);

	ck_assert_msg(d, "no error at %s in %s", pointer, resp.body);
	ck_assert_msg(strstr(d, needle), "%s: '%s' lacks '%s'", pointer, d, needle);
	free(d);
}

static void setup(void)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char keys[256], hex[65];

	dir = tu_tmpdir();
	conninfo = tu_newdb("api");
	/* one key in the clear, one stored as its SHA-256 */
	SHA256((const unsigned char *)KEY_OPS, strlen(KEY_OPS), h);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(keys, sizeof keys, "# name:key\nbilling:%s\nops:sha256:%s\n", KEY_BILLING, hex);
	free(tu_file(dir, "api_keys", keys));
	cfg = tu_config(dir, conninfo, NULL,
			"  \"poll_interval_ms\": 200,\n"
			"  \"api\": {\"keys_file\": \"api_keys\", \"max_body\": 262144}");
	ck_assert(asprintf(&answers, "%s/answers.jsonl", dir) > 0);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	port = tud_start_http(&dunnd_proc, dir, cfg, NULL);
	admin = dunnd_proc.admin_port;
}

static void teardown(void)
{
	int rc;

	tud_kill(&dunnd_proc, SIGTERM);
	ck_assert_int_eq(tud_wait(&dunnd_proc, 20000), 0);
	tud_cleanup(&dunnd_proc);
	/* every answer the test got, against the document */
	rc = tu_sh("[ ! -e '%s' ] || /usr/bin/python3 tests/apicheck.py api/openapi.json '%s'",
		   answers, answers);
	ck_assert_msg(rc == 0, "%s", tu_output());
	free(answers);
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = answers = NULL;
}

static const char ONE_ACCOUNT[] =
	"{\"accounts\":[{\"account_ref\":\"A-1\",\"name\":\"Alice\",\"email\":\"Alice@Example.com\","
	"\"phone\":\"+1 202 555 0101\",\"locale\":\"en-US\",\"timezone\":\"America/New_York\"}]}";

static void add_alice(void)
{
	ck_assert_int_eq(post("/api/v1/accounts", "acct-alice", ONE_ACCOUNT), 200);
	ck_assert_int_eq(
		post("/api/v1/invoices", "inv-alice",
		     "{\"invoices\":[{\"invoice_ref\":\"INV-1\",\"account_ref\":\"A-1\","
		     "\"amount\":\"49.90\",\"currency\":\"usd\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"INV-2\",\"account_ref\":\"A-1\",\"amount\":120000,"
		     "\"currency\":\"KRW\",\"due_date\":\"2026-11-01\"}]}"),
		200);
}

START_TEST(test_admin_listener_only)
{
	/* the public listener has no /api at all */
	tu_http(port, "GET", "/api/v1/openapi.json", NULL, NULL, 0, NULL, &resp);
	ck_assert_int_eq(resp.code, 404);
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " KEY_BILLING);
	h = curl_slist_append(h, "Idempotency-Key: pub-1");
	tu_http(port, "POST", "/api/v1/accounts", NULL, ONE_ACCOUNT, strlen(ONE_ACCOUNT), h, &resp);
	ck_assert_int_eq(resp.code, 404);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 0);
	/* the admin one serves the document in the tree, byte for byte */
	ck_assert_int_eq(
		call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", NULL, NULL, NULL, NULL),
		200);
	FILE *f = fopen("api/openapi.json", "rb");
	static char want[65536];
	size_t n = f ? fread(want, 1, sizeof want, f) : 0;
	if (f)
		fclose(f);
	ck_assert_uint_eq(resp.len, n);
	ck_assert(memcmp(resp.body, want, n) == 0);
	ck_assert_int_eq(call("DELETE", "/api/v1/openapi.json", "/api/v1/openapi.json", NULL, NULL,
			      NULL, NULL),
			 405);
}
END_TEST

START_TEST(test_keys)
{
	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", NULL, "k-1", NULL,
			      ONE_ACCOUNT),
			 401);
	ck_assert_ptr_nonnull(strcasestr(resp.headers, "WWW-Authenticate: Bearer"));
	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", "billing-key-wrong",
			      "k-1", NULL, ONE_ACCOUNT),
			 401);
	/* the hash itself is no key */
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1", "/api/v1/accounts/{account_ref}", NULL,
			      NULL, NULL, NULL),
			 401);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.api_requests"), 0);
	/* the key stored hashed works, and is named in the audit trail */
	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", KEY_OPS, "k-1", NULL,
			      ONE_ACCOUNT),
			 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'api_write' "
			   "AND detail->>'api_key' = 'ops' AND detail->>'op' = 'accounts'"),
			 1);
	/* the keys never reach the log */
	ck_assert_int_eq(tud_log_count(&dunnd_proc, KEY_OPS), 0);
	ck_assert_int_eq(tud_log_count(&dunnd_proc, KEY_BILLING), 0);
}
END_TEST

START_TEST(test_door)
{
	static char big[600000];

	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", KEY_BILLING, "d-1",
			      "text/plain", ONE_ACCOUNT),
			 415);
	/* over api.max_body: a problem; over twice that, refused before it
	 * is read */
	memset(big, ' ', sizeof big - 1);
	memcpy(big, ONE_ACCOUNT, strlen(ONE_ACCOUNT));
	big[262145] = '\0';
	ck_assert_int_eq(post("/api/v1/accounts", "d-2", big), 413);
	ck_assert_str_eq(resp_ctype(), "application/problem+json");
	big[262145] = ' ';
	ck_assert_int_eq(post("/api/v1/accounts", "d-2", big), 413);
	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", KEY_BILLING, NULL,
			      NULL, ONE_ACCOUNT),
			 400);
	ck_assert_int_eq(post("/api/v1/accounts", "d-3", "{\"accounts\": [}"), 400);
	ck_assert_ptr_nonnull(strstr(resp.body, "line 1"));
	ck_assert_int_eq(post("/api/v1/accounts", "d-4", "[1]"), 400);
	ck_assert_int_eq(call("PUT", "/api/v1/accounts", NULL, KEY_BILLING, "d-5", NULL, "{}"),
			 405);
	ck_assert_int_eq(call("GET", "/api/v1/nothing", NULL, KEY_BILLING, NULL, NULL, NULL), 404);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.api_requests"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events"), 0);
	/* and the API still answers */
	ck_assert_int_eq(post("/api/v1/accounts", "d-6", ONE_ACCOUNT), 200);
}
END_TEST

/* n invoices INV-<from>.. for A-1, amount as given. */
static char *invoices_body(int from, int n, const char *amount)
{
	size_t cap = (size_t)n * 160 + 64, len = 0;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	len += (size_t)snprintf(b, cap, "{\"invoices\":[");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(
			b + len, cap - len,
			"%s{\"invoice_ref\":\"INV-%d\",\"account_ref\":\"A-1\","
			"\"amount\":\"%s\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\","
			"\"description\":\"Plan\"}",
			i ? "," : "", from + i, amount);
	snprintf(b + len, cap - len, "]}");
	return b;
}

START_TEST(test_bulk)
{
	char *body;

	ck_assert_int_eq(post("/api/v1/accounts", "b-0", ONE_ACCOUNT), 200);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.accounts WHERE email = 'alice@example.com' "
		  "AND phone = '+12025550101' AND segment = ''"),
		1);
	body = invoices_body(1, 1000, "10.00");
	ck_assert_int_eq(post("/api/v1/invoices", "b-1", body), 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"upserted\":1000"));
	free(body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE amount_due = 1000"), 1000);
	/* an upsert: the same refs again change those rows */
	body = invoices_body(1, 10, "12.50");
	ck_assert_int_eq(post("/api/v1/invoices", "b-2", body), 200);
	free(body);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices"), 1000);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE amount_due = 1250"), 10);
	/* 1,001 is one too many */
	body = invoices_body(2000, 1001, "1.00");
	ck_assert_int_eq(post("/api/v1/invoices", "b-3", body), 422);
	assert_error_at("/invoices", "1 to 1000");
	free(body);
	ck_assert_int_eq(post("/api/v1/invoices", "b-4", "{\"invoices\":[]}"), 422);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices"), 1000);
}
END_TEST

START_TEST(test_fields)
{
	ck_assert_int_eq(post("/api/v1/accounts", "f-0", ONE_ACCOUNT), 200);
	ck_assert_int_eq(
		post("/api/v1/invoices", "f-1",
		     "{\"invoices\":["
		     "{\"invoice_ref\":\"OK-0\",\"account_ref\":\"A-1\",\"amount\":\"1.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"OK-1\",\"account_ref\":\"A-1\",\"amount\":\"1.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"BAD-2\",\"account_ref\":\"A-1\",\"amount\":\"1.00\",\"currency\":\"XYZ\",\"due_date\":\"2026-02-30\"},"
		     "{\"invoice_ref\":\"BAD-3\",\"account_ref\":\"A-1\",\"amount\":\"49.999\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"BAD-4\",\"account_ref\":\"A-1\",\"amount\":49.9,\"currency\":\"USD\",\"due_date\":\"2026-11-01\",\"colour\":\"red\"},"
		     "{\"invoice_ref\":\"BAD\\u001b5\",\"account_ref\":\"A-1\",\"amount\":\"5000.5\",\"currency\":\"JPY\",\"due_date\":\"2026-11-01\"}"
		     "]}"),
		422);
	assert_error_at("/invoices/2/currency", "unknown currency 'XYZ'");
	assert_error_at("/invoices/2/due_date", "YYYY-MM-DD");
	assert_error_at("/invoices/3/amount", "amount:");
	assert_error_at("/invoices/4/amount", "must be a string");
	assert_error_at("/invoices/4", "unknown member 'colour'");
	assert_error_at("/invoices/5/invoice_ref", "control character (U+001B)");
	assert_error_at("/invoices/5/amount", "amount:");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices"), 0);

	/* the same row through dunnctl import gets the same words */
	char *d = error_at("/invoices/3/amount");
	free(tu_file(dir, "bad.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "BAD-3,A-1,49.999,USD,2026-11-01,\n"));
	ck_assert_int_ne(
		tu_sh("$DUNN_BUILD/dunnctl -c '%s' import invoices '%s/bad.csv'", cfg, dir), 0);
	char want[512];
	snprintf(want, sizeof want, "bad.csv:2: %s", d);
	ck_assert_msg(strstr(tu_output(), want), "'%s' not in: %s", want, tu_output());
	free(d);

	/* found in the database: a duplicate and an account that is not there */
	ck_assert_int_eq(
		post("/api/v1/invoices", "f-2",
		     "{\"invoices\":["
		     "{\"invoice_ref\":\"D-1\",\"account_ref\":\"A-1\",\"amount\":\"1.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"D-1\",\"account_ref\":\"A-1\",\"amount\":\"2.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"}"
		     "]}"),
		422);
	assert_error_at("/invoices/1/invoice_ref",
			"duplicate invoice_ref 'D-1' (first at /invoices/0)");
	ck_assert_int_eq(
		post("/api/v1/invoices", "f-3",
		     "{\"invoices\":["
		     "{\"invoice_ref\":\"N-1\",\"account_ref\":\"A-1\",\"amount\":\"1.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"},"
		     "{\"invoice_ref\":\"N-2\",\"account_ref\":\"A-404\",\"amount\":\"2.00\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"}"
		     "]}"),
		422);
	assert_error_at("/invoices/1/account_ref", "account_ref 'A-404' does not exist");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices"), 0);
	/* a refusal keeps no idempotency record: the fixed request may reuse the key */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.api_requests"), 1);
	ck_assert_int_eq(
		post("/api/v1/invoices", "f-3",
		     "{\"invoices\":[{\"invoice_ref\":\"N-1\",\"account_ref\":\"A-1\",\"amount\":\"1.00\","
		     "\"currency\":\"USD\",\"due_date\":\"2026-11-01\"}]}"),
		200);

	/* accounts: each field as import checks it */
	ck_assert_int_eq(
		post("/api/v1/accounts", "f-4",
		     "{\"accounts\":[{\"account_ref\":\"\",\"name\":\"X\",\"email\":\"nope\","
		     "\"phone\":\"12\",\"locale\":\"english!\",\"timezone\":\"Mars/Base\"}],"
		     "\"extra\":1}"),
		422);
	assert_error_at("/accounts/0/account_ref", "account_ref is empty");
	assert_error_at("/accounts/0/email", "not an email address");
	assert_error_at("/accounts/0/phone", "E.164");
	assert_error_at("/accounts/0/locale", "BCP 47");
	assert_error_at("/accounts/0/timezone", "unknown IANA time zone");
	assert_error_at("/extra", "unknown member");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 1);
}
END_TEST

START_TEST(test_idempotency)
{
	static char first[sizeof resp.body];

	ck_assert_int_eq(post("/api/v1/accounts", "i-1", ONE_ACCOUNT), 200);
	snprintf(first, sizeof first, "%s", resp.body);
	ck_assert_ptr_null(strcasestr(resp.headers, "Idempotent-Replayed"));
	/* the same again: the stored answer, nothing written twice */
	ck_assert_int_eq(post("/api/v1/accounts", "i-1", ONE_ACCOUNT), 200);
	ck_assert_str_eq(resp.body, first);
	ck_assert_ptr_nonnull(strcasestr(resp.headers, "Idempotent-Replayed: true"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'api_write'"), 1);
	/* another body under the same key is refused, and changes nothing */
	ck_assert_int_eq(post("/api/v1/accounts", "i-1",
			      "{\"accounts\":[{\"account_ref\":\"A-2\",\"name\":\"Bob\"}]}"),
			 422);
	ck_assert_ptr_nonnull(strstr(resp.body, "different request"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 1);
	/* keys are per API key: the other key may use the same one */
	ck_assert_int_eq(call("POST", "/api/v1/accounts", "/api/v1/accounts", KEY_OPS, "i-1", NULL,
			      "{\"accounts\":[{\"account_ref\":\"A-2\",\"name\":\"Bob\"}]}"),
			 200);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.accounts"), 2);

	/* a payment sent three times is one payment */
	ck_assert_int_eq(
		post("/api/v1/invoices", "i-2",
		     "{\"invoices\":[{\"invoice_ref\":\"INV-1\",\"account_ref\":\"A-1\","
		     "\"amount\":\"49.90\",\"currency\":\"USD\",\"due_date\":\"2026-11-01\"}]}"),
		200);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(post("/api/v1/payments", "i-3",
				      "{\"invoice_ref\":\"INV-1\",\"amount\":\"10.00\"}"),
				 201);
		ck_assert_ptr_nonnull(strstr(resp.body, "\"owed\":\"39.90\""));
	}
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 1);
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices WHERE external_ref = 'INV-1'"),
			 1000);
	/* an expired record is claimed afresh; the payment's own key still
	 * counts it once */
	PQclear(tu_q(db, "UPDATE dunning.api_requests SET expires_at = now() - interval '1 s'"));
	ck_assert_int_eq(
		post("/api/v1/payments", "i-3", "{\"invoice_ref\":\"INV-1\",\"amount\":\"10.00\"}"),
		200);
	ck_assert_ptr_nonnull(strstr(resp.body, "counted once"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 1);
}
END_TEST

START_TEST(test_payments)
{
	add_alice();
	ck_assert_int_eq(post("/api/v1/payments", "p-1", "{\"invoice_ref\":\"INV-404\"}"), 422);
	assert_error_at("/invoice_ref", "no invoice with reference 'INV-404'");
	ck_assert_int_eq(
		post("/api/v1/payments", "p-2", "{\"invoice_ref\":\"INV-1\",\"amount\":\"50.00\"}"),
		422);
	assert_error_at("/amount", "is more than the 49.90 USD owed");
	ck_assert_int_eq(
		post("/api/v1/payments", "p-3", "{\"invoice_ref\":\"INV-1\",\"currency\":\"KRW\"}"),
		422);
	assert_error_at("/currency", "is in USD, not KRW");
	ck_assert_int_eq(
		post("/api/v1/payments", "p-4",
		     "{\"invoice_ref\":\"INV-1\",\"amount\":\"1.001\",\"at\":\"yesterday\","
		     "\"tip\":1}"),
		422);
	assert_error_at("/at", "ISO 8601");
	assert_error_at("/tip", "unknown member");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 0);

	/* the rest of the invoice, under the billing system's own reference */
	ck_assert_int_eq(post("/api/v1/payments", "p-5",
			      "{\"invoice_ref\":\"INV-1\",\"payment_ref\":\"bank-77\","
			      "\"at\":\"2026-11-20T10:00:00Z\"}"),
			 201);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"amount\":\"49.90\""));
	ck_assert_ptr_nonnull(strstr(resp.body, "\"settled\":true"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments WHERE source = 'api' "
			   "AND source_id = 'bank-77' AND amount = 4990 "
			   "AND at = '2026-11-20T10:00:00Z'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'payment_recorded' "
			   "AND detail->>'source' = 'api' AND detail->>'api_key' = 'billing'"),
			 1);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.events WHERE kind = 'api_write' "
		  "AND detail->>'op' = 'payment' AND detail->>'api_key' = 'billing' "
		  "AND account_id = (SELECT id FROM dunning.accounts WHERE external_ref = 'A-1')"),
		1);
	/* the same payment_ref under another request key counts once */
	ck_assert_int_eq(post("/api/v1/payments", "p-6",
			      "{\"invoice_ref\":\"INV-1\",\"payment_ref\":\"bank-77\"}"),
			 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "counted once"));
	/* and for another invoice it is a conflict */
	ck_assert_int_eq(post("/api/v1/payments", "p-7",
			      "{\"invoice_ref\":\"INV-2\",\"payment_ref\":\"bank-77\"}"),
			 409);
	ck_assert_int_eq(post("/api/v1/payments", "p-8", "{\"invoice_ref\":\"INV-1\"}"), 422);
	assert_error_at("/invoice_ref", "nothing is owed");
	/* KRW has no minor unit: an integer amount is whole won */
	ck_assert_int_eq(
		post("/api/v1/payments", "p-9", "{\"invoice_ref\":\"INV-2\",\"amount\":20000}"),
		201);
	ck_assert_ptr_nonnull(strstr(resp.body, "\"owed\":\"100000\""));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 2);
}
END_TEST

START_TEST(test_state)
{
	json_t *o, *owed;

	add_alice();
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-404", "/api/v1/accounts/{account_ref}",
			      KEY_BILLING, NULL, NULL, NULL),
			 404);
	/* overdue since November: the daemon opens a case */
	for (int i = 0; i < 300 && q("SELECT count(*) FROM dunning.cases") == 0; i++)
		usleep(50000);
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1", "/api/v1/accounts/{account_ref}",
			      KEY_BILLING, NULL, NULL, NULL),
			 200);
	o = resp_json();
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "case"), "state")),
			 "active");
	owed = json_object_get(o, "owed");
	ck_assert_int_eq(json_array_size(owed), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(owed, 0), "currency")),
			 "KRW");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(owed, 1), "overdue"), "amount")),
			 "49.90");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(owed, 0), "overdue"), "amount")),
			 "120000");
	json_decref(o);
	/* a promise, a dispute, a payment: all in the state */
	ck_assert_int_eq(
		tu_sh("$DUNN_BUILD/dunnctl -c '%s' promise A-1 --until %s", cfg, tud_date(5)), 0);
	ck_assert_int_eq(
		tu_sh("$DUNN_BUILD/dunnctl -c '%s' dispute INV-2 --reason 'not mine'", cfg), 0);
	ck_assert_int_eq(post("/api/v1/payments", "s-1", "{\"invoice_ref\":\"INV-1\"}"), 201);
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1", "/api/v1/accounts/{account_ref}",
			      KEY_BILLING, NULL, NULL, NULL),
			 200);
	o = resp_json();
	ck_assert_int_eq(json_array_size(json_object_get(o, "promises")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(o, "disputes")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(o, "disputes"), 0), "invoice_ref")),
			 "INV-2");
	/* nothing overdue is left but the disputed won */
	owed = json_object_get(o, "owed");
	ck_assert_int_eq(json_array_size(owed), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(owed, 0), "disputed"), "amount")),
			 "120000");
	json_decref(o);
}
END_TEST

/* Late fees are ledger lines of their own the billing system reads: the
 * open case's in the account's state, every line of the account at
 * /fees; the invoices' amounts stay as billed. */
START_TEST(test_fees)
{
	json_t *o, *l;

	add_alice();
	for (int i = 0; i < 300 && q("SELECT count(*) FROM dunning.cases") == 0; i++)
		usleep(50000);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases"), 1);
	/* what a step with a fee writes (check_fees drives the real one) */
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.fees (case_id, account_id, invoice_id, cycle, step, "
		"currency, amount, base, kind, rate, created_at) "
		"SELECT c.id, c.account_id, i.id, c.cycle, 1, i.currency, "
		"CASE i.currency WHEN 'USD' THEN 500 ELSE 1800 END, "
		"i.amount_due, CASE i.currency WHEN 'USD' THEN 'fixed' ELSE 'percent' END, "
		"CASE i.currency WHEN 'USD' THEN 0 ELSE 15000 END, now() "
		"FROM dunning.cases c JOIN dunning.invoices i ON i.account_id = c.account_id"));
	ck_assert_int_eq(tu_sh("$DUNN_BUILD/dunnctl -c '%s' fee waive %lld --reason goodwill", cfg,
			       q("SELECT id FROM dunning.fees WHERE currency = 'KRW'")),
			 0);
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1", "/api/v1/accounts/{account_ref}",
			      KEY_BILLING, NULL, NULL, NULL),
			 200);
	o = resp_json();
	ck_assert_int_eq(json_array_size(json_object_get(o, "fees")), 2);
	l = json_array_get(json_object_get(o, "fees"), 0);
	ck_assert_str_eq(tu_jstr(l, "invoice_ref"), "INV-1");
	ck_assert_str_eq(tu_jstr(l, "kind"), "fixed");
	ck_assert_str_eq(tu_jstr(l, "state"), "owed");
	ck_assert_str_eq(tu_jstr(json_object_get(l, "amount"), "amount"), "5.00");
	ck_assert(json_is_null(json_object_get(l, "percent")));
	l = json_array_get(json_object_get(o, "fees"), 1);
	ck_assert_str_eq(tu_jstr(l, "invoice_ref"), "INV-2");
	ck_assert_str_eq(tu_jstr(l, "percent"), "1.5");
	ck_assert_str_eq(tu_jstr(l, "state"), "waived");
	ck_assert_str_eq(tu_jstr(l, "waive_reason"), "goodwill");
	ck_assert_str_eq(tu_jstr(json_object_get(l, "base"), "amount"), "120000");
	/* the invoice as billed */
	ck_assert_str_eq(tu_jstr(json_object_get(json_array_get(json_object_get(o, "invoices"), 0),
						 "amount_due"),
				 "amount"),
			 "49.90");
	json_decref(o);
	/* every line of the account, in all cycles */
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1/fees",
			      "/api/v1/accounts/{account_ref}/fees", KEY_BILLING, NULL, NULL, NULL),
			 200);
	o = resp_json();
	ck_assert_str_eq(tu_jstr(o, "account_ref"), "A-1");
	ck_assert(json_is_false(json_object_get(o, "truncated")));
	ck_assert_int_eq(json_array_size(json_object_get(o, "fees")), 2);
	ck_assert_str_eq(tu_jstr(json_array_get(json_object_get(o, "fees"), 0), "created_at"),
			 tu_jstr(json_array_get(json_object_get(o, "fees"), 1), "created_at"));
	json_decref(o);
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-404/fees",
			      "/api/v1/accounts/{account_ref}/fees", KEY_BILLING, NULL, NULL, NULL),
			 404);
	ck_assert_int_eq(call("GET", "/api/v1/accounts/A-1/fees",
			      "/api/v1/accounts/{account_ref}/fees", NULL, NULL, NULL, NULL),
			 401);
	ck_assert_int_eq(call("POST", "/api/v1/accounts/A-1/fees",
			      "/api/v1/accounts/{account_ref}/fees", KEY_BILLING, "x-1", NULL,
			      "{}"),
			 405);
}
END_TEST

START_TEST(test_redocly_lint)
{
	int rc = tu_sh("tests/npm.sh openapi");
	char *mods = strdup(tu_output());

	mods[strcspn(mods, "\n")] = '\0';
	if (rc != 0) {
		fprintf(stderr, "check_api: SKIPPED redocly_lint: %s\n", mods);
		free(mods);
		return;
	}
	rc = tu_sh("'%s/.bin/redocly' lint --format=stylish api/openapi.json 2>&1", mods);
	ck_assert_msg(rc == 0, "redocly lint: %s", tu_output());
	free(mods);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_admin_listener_only);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_door);
	tcase_add_test(tc, test_bulk);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_idempotency);
	tcase_add_test(tc, test_payments);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_fees);
	suite_add_tcase(s, tc);
	TCase *lint = tcase_create("lint");
	tcase_set_timeout(lint, 600);
	tcase_add_test(lint, test_redocly_lint);
	suite_add_tcase(s, lint);
	return tu_run_curl(s);
}
