/* The customer's page behind the payment link, served by the real dunnd
 * in daemon mode against the harness's PostgreSQL, read by headless
 * Chromium (what the customer sees) and driven with libcurl (the form
 * POSTs, headers, hostile requests). Screenshots of the page in the four
 * locales (and Traditional Chinese) go to $DUNN_BUILD/samples/, beside the
 * rendered templates, for review. */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "token.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define SECRET "test-link-secret-0123456789abcdef" /* what tu_config writes */
#define PAY_URL "https://pay.example.com/checkout?invoice={invoice_ref}&account={account_ref}"
/* Who is asking, per locale: Korean has its own, the others the default. */
#define BRAND                                                                                           \
	"\"brand\": {\"default\": {\"name\": \"Test Telecom\", \"legal_name\": \"Test Telecom Inc.\", " \
	"\"support_phone\": \"+1 555-0100\", \"privacy_url\": \"https://test.example/privacy\"}, "      \
	"\"ko\": {\"name\": \"테스트텔레콤\", \"legal_name\": \"(주)테스트텔레콤\", "      \
	"\"support_phone\": \"1588-0100\", \"privacy_url\": \"https://test.example/ko/privacy\"}}"

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud dunnd_proc;
static int port;

/* One request, redirects not followed; body NULL = GET (caller frees). */
static struct tu_resp *http(const char *path, const char *body, const char *accept_language)
{
	struct tu_resp *r = malloc(sizeof *r);
	struct curl_slist *h = NULL;
	char al[128];

	ck_assert(r);
	if (accept_language) {
		snprintf(al, sizeof al, "Accept-Language: %s", accept_language);
		h = curl_slist_append(h, al);
	}
	tu_http(port, body ? "POST" : "GET", path, "application/x-www-form-urlencoded", body,
		body ? strlen(body) : 0, h, r);
	return r;
}

/* The value of a response header (static buffer), or "". */
static const char *header(const struct tu_resp *r, const char *name)
{
	static char val[1024];
	size_t n = strlen(name);

	val[0] = '\0';
	for (const char *p = r->headers; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			snprintf(val, sizeof val, "%.*s", (int)strcspn(p, "\r\n"), p);
			break;
		}
	return val;
}

static long long account_id(const char *ref)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT id FROM dunning.accounts WHERE external_ref = '%s'", ref);
	return tu_qint(db, sql);
}

/* A link token for the account, valid for an hour (or expired). */
static char *token_for(const char *ref, int expired)
{
	char *t = malloc(TOKEN_MAX);

	ck_assert(t);
	ck_assert_int_eq(token_make(SECRET, account_id(ref),
				    (long long)time(NULL) + (expired ? -60 : 3600), t, TOKEN_MAX),
			 0);
	return t;
}

static char *path_for(const char *token, const char *rest)
{
	char *p = NULL;

	ck_assert(asprintf(&p, "/p/%s%s", token, rest ? rest : "") > 0);
	return p;
}

/* Headless Chromium: the DOM after load (caller frees); also a phone-sized
 * screenshot into $DUNN_BUILD/samples/NAME.png when name is set. */
static char *browse(const char *path, const char *name)
{
	char url[512], *ud = NULL, *dom;
	const char *flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
			    "--disable-background-networking --disable-component-update "
			    "--disable-sync --disable-dev-shm-usage";
	int rc;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	ck_assert(asprintf(&ud, "%s/chromium.XXXXXX", dir) > 0);
	ck_assert(mkdtemp(ud) != NULL);
	rc = tu_sh("timeout 120 chromium %s --user-data-dir=%s --dump-dom '%s' 2>/dev/null", flags,
		   ud, url);
	ck_assert_msg(rc == 0, "chromium --dump-dom failed (%d)", rc);
	dom = strdup(tu_output());
	if (name) {
		char *shot = NULL;
		struct stat st;
		ck_assert(asprintf(&shot, "%s/samples/%s.png", tu_env("DUNN_BUILD"), name) > 0);
		mkdir(tu_env("DUNN_BUILD"), 0755);
		tu_sh("mkdir -p '%s/samples' && rm -f '%s'", tu_env("DUNN_BUILD"), shot);
		rc = tu_sh("timeout 120 chromium %s --user-data-dir=%s --hide-scrollbars "
			   "--window-size=390,844 --screenshot='%s' '%s' >/dev/null 2>&1",
			   flags, ud, shot, url);
		ck_assert_msg(rc == 0 && stat(shot, &st) == 0 && st.st_size > 2000,
			      "no screenshot %s (%d)", shot, rc);
		/* and the whole page, to read below the fold */
		shot[strlen(shot) - 4] = '\0';
		tu_sh("timeout 120 chromium %s --user-data-dir=%s --hide-scrollbars "
		      "--window-size=390,2400 --screenshot='%s-full.png' '%s' >/dev/null 2>&1",
		      flags, ud, shot, url);
		free(shot);
	}
	tu_sh("rm -rf '%s'", ud);
	free(ud);
	return dom;
}

/* The CSRF value of one form on the page (static buffer). */
static const char *csrf_of(const char *html, const char *token, const char *form)
{
	static char val[64];
	char needle[256];
	const char *p;

	snprintf(needle, sizeof needle,
		 "action=\"/p/%s/%s\"><input type=\"hidden\" name=\"csrf\" value=\"", token, form);
	p = strstr(html, needle);
	ck_assert_msg(p != NULL, "no %s form on the page", form);
	p += strlen(needle);
	snprintf(val, sizeof val, "%.*s", (int)strcspn(p, "\""), p);
	return val;
}

/* POST a form with the CSRF value the page carries; returns the response. */
static struct tu_resp *submit(const char *token, const char *form, const char *fields)
{
	char *page = path_for(token, NULL), *action = NULL, *body = NULL;
	struct tu_resp *g = http(page, NULL, NULL), *r;

	ck_assert_int_eq(g->code, 200);
	ck_assert(asprintf(&action, "/%s", form) > 0);
	ck_assert(asprintf(&body, "csrf=%s%s%s", csrf_of(g->body, token, form), fields ? "&" : "",
			   fields ? fields : "") > 0);
	free(page);
	page = path_for(token, action);
	r = http(page, body, NULL);
	free(g);
	free(page);
	free(action);
	free(body);
	return r;
}

#define q(...) tu_qintf(db, __VA_ARGS__)

static void setup(void)
{
	char *accounts = NULL, *invoices = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("page");
	cfg = tu_config_ex(dir, conninfo, NULL, "\"payment_url\": \"" PAY_URL "\"", BRAND);
	tu_migrate(cfg);
	ck_assert(
		asprintf(
			&accounts,
			"account_ref,name,email,phone,locale,timezone,segment\n"
			"P-EN,Alice Example,alice@customer.test,+15551234567,en-US,America/New_York,retail\n"
			"P-KO,김민준,minjun@customer.test,+821012345678,ko-KR,Asia/Seoul,retail\n"
			"P-JA,山田花子,hanako@customer.test,,ja-JP,Asia/Tokyo,retail\n"
			"P-ZH,王伟,wei@customer.test,,zh-CN,Asia/Shanghai,retail\n"
			"P-TW,陳美玲,meiling@customer.test,,zh-TW,Asia/Taipei,retail\n") > 0);
	char d10[16], d9[16];
	snprintf(d10, sizeof d10, "%s", tud_date(-10)); /* tud_date: one static buffer */
	snprintf(d9, sizeof d9, "%s", tud_date(-9));
	ck_assert(asprintf(&invoices,
			   "invoice_ref,account_ref,amount,currency,due_date,description\n"
			   "INV-EN1,P-EN,49.90,USD,%s,Mobile plan October\n"
			   "INV-EN2,P-EN,20.00,USD,%s,Roaming <b>Europe</b> & more\n"
			   "INV-KO1,P-KO,120000,KRW,%s,휴대폰 요금 10월분\n"
			   "INV-JA1,P-JA,5000,JPY,%s,携帯電話料金 10月分\n"
			   "INV-ZH1,P-ZH,123.45,CNY,%s,手机套餐 10月\n"
			   "INV-TW1,P-TW,1500,TWD,%s,行動電話月租費 10月\n",
			   d10, d9, d10, d10, d10, d10) > 0);
	tu_import(cfg, dir, accounts, invoices);
	free(accounts);
	free(invoices);
	/* One cycle opens the cases (and sends what the window allows). */
	ck_assert_msg(tu_sh("dunnd -c %s --once --at %s", cfg, tud_iso_now()) == 0, "%s",
		      tu_output());
	db = tu_connect(conninfo);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.cases WHERE state <> 'resolved'"), 5);
	port = tud_start_http(&dunnd_proc, dir, cfg, NULL);
	/* Listening comes before the page's own database connection is up:
	 * /healthz answers 200 once that connection has answered a ping. */
	for (int i = 0; i < 300; i++) {
		struct tu_resp *r = http("/healthz", NULL, NULL);
		long code = r->code;
		free(r);
		if (code == 200)
			break;
		ck_assert_msg(i < 299, "/healthz never answered 200 (%ld)", code);
		usleep(100000);
	}
}

/* SIGTERM: a clean exit (under SANITIZE=1 also no leak and no sanitizer
 * report), with the daemon's log shown when not. */
static void stop_clean(void)
{
	int rc;

	tud_kill(&dunnd_proc, SIGTERM);
	rc = tud_wait(&dunnd_proc, 30000);
	if (rc != 0 || tud_log_count(&dunnd_proc, "Sanitizer") > 0)
		tu_sh("tail -n 60 '%s' >&2", dunnd_proc.log);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tud_log_count(&dunnd_proc, "Sanitizer"), 0);
	ck_assert_int_eq(tud_log_count(&dunnd_proc, "runtime error"), 0);
}

static void teardown(void)
{
	tud_cleanup(&dunnd_proc);
	tu_teardown(db, dir, cfg, conninfo);
	db = NULL;
}

START_TEST(page_reads_well_in_four_locales)
{
	static const struct {
		const char *ref, *lang, *amount, *words, *masked;
	} acc[] = {
		{"P-EN", "en", "$49.90", "Pay now", "al***@cu***.test"},
		{"P-KO", "ko", "120,000원", "지금 납부하기", "mi***@cu***.test"},
		{"P-JA", "ja", "5,000円", "今すぐお支払い", "ha***@cu***.test"},
		{"P-ZH", "zh", "¥123.45", "逾期金额合计", "we***@cu***.test"},
		{"P-TW", "zh-Hant", "$1,500.00", "逾期金額合計", "me***@cu***.test"},
	};

	for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++) {
		char *tok = token_for(acc[i].ref, 0), *path = path_for(tok, NULL), *name = NULL;
		char *dom;
		ck_assert(asprintf(&name, "page-%s", acc[i].lang) > 0);
		dom = browse(path, name);
		ck_assert_msg(strstr(dom, acc[i].amount), "%s: no %s in\n%s", acc[i].ref,
			      acc[i].amount, dom);
		ck_assert_msg(strstr(dom, acc[i].words), "%s: not in %s", acc[i].ref, acc[i].lang);
		ck_assert_msg(strstr(dom, acc[i].masked), "%s: no masked address", acc[i].ref);
		ck_assert_ptr_null(strstr(dom, "@customer.test"));
		ck_assert_ptr_nonnull(strstr(dom, "name=\"viewport\""));
		free(dom);
		free(name);
		free(path);
		free(tok);
	}
	/* Dates and totals in the customer's words; stored text escaped. */
	{
		char *tok = token_for("P-EN", 0), *path = path_for(tok, NULL), *dom;
		struct tu_resp *r = http(path, NULL, NULL);
		ck_assert_int_eq(r->code, 200);
		ck_assert_ptr_nonnull(strstr(header(r, "Content-Type"), "text/html"));
		ck_assert_ptr_nonnull(
			strstr(header(r, "Content-Security-Policy"), "default-src 'none'"));
		ck_assert_ptr_nonnull(
			strstr(header(r, "Content-Security-Policy"), "style-src 'sha256-"));
		ck_assert_ptr_nonnull(
			strstr(header(r, "Content-Security-Policy"), "form-action 'self'"));
		ck_assert_ptr_nonnull(
			strstr(header(r, "Content-Security-Policy"), "frame-ancestors 'none'"));
		ck_assert_ptr_nonnull(
			strstr(header(r, "Content-Security-Policy"), "base-uri 'none'"));
		ck_assert_str_eq(header(r, "X-Content-Type-Options"), "nosniff");
		ck_assert_str_eq(header(r, "Referrer-Policy"), "no-referrer");
		ck_assert_str_eq(header(r, "Cache-Control"), "no-store");
		ck_assert_ptr_nonnull(
			strstr(r->body, "Roaming &lt;b&gt;Europe&lt;/b&gt; &amp; more"));
		ck_assert_ptr_null(strstr(r->body, "<b>Europe"));
		ck_assert_ptr_nonnull(strstr(r->body, "$69.90")); /* the total */
		ck_assert_ptr_null(strstr(r->body, "<script"));
		/* "Pay now" goes to the provider with the refs, URL-encoded. */
		free(r);
		free(path);
		path = path_for(tok, "/pay?invoice=INV-EN1");
		r = http(path, NULL, NULL);
		ck_assert_int_eq(r->code, 303);
		ck_assert_str_eq(header(r, "Location"),
				 "https://pay.example.com/checkout?invoice=INV-EN1&account=P-EN");
		free(r);
		free(path);
		path = path_for(tok, NULL);
		dom = browse(path, NULL);
		ck_assert_ptr_nonnull(strstr(dom, "Mobile plan October"));
		free(dom);
		free(path);
		free(tok);
	}
	/* Every visit audited, with ids only. */
	ck_assert_int_ge(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'page_view'"), 5);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'page_pay'"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind LIKE 'page%' "
				 "AND (detail::text LIKE '%@%' OR detail::text LIKE '%Alice%')"),
			 0);
	stop_clean();
}
END_TEST

/* A late fee is a line of its own under the total, in the page's
 * language, with the total including it; once waived it is gone. */
START_TEST(late_fee_line_until_waived)
{
	char *tok = token_for("P-KO", 0), *path = path_for(tok, NULL);
	struct tu_resp *r;

	PQclear(tu_q(
		db,
		"INSERT INTO dunning.fees (case_id, account_id, invoice_id, cycle, step, currency, "
		"amount, base, kind, rate, created_at) SELECT c.id, c.account_id, "
		"(SELECT i.id FROM dunning.invoices i WHERE i.account_id = a.id AND i.currency = 'KRW' "
		"ORDER BY i.due_date LIMIT 1), c.cycle, 1, 'KRW', 5000, 120000, 'fixed', 0, now() "
		"FROM dunning.cases c JOIN dunning.accounts a ON a.id = c.account_id "
		"WHERE a.external_ref = 'P-KO'"));
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 200);
	ck_assert_msg(strstr(r->body, "\xec\x97\xb0\xec\xb2\xb4\xeb\xa3\x8c: 5,000\xec\x9b\x90") &&
			      strstr(r->body, "125,000\xec\x9b\x90"),
		      "%s", r->body); /* 연체료: 5,000원, 125,000원 */
	ck_assert_ptr_nonnull(strstr(r->body, "120,000\xec\x9b\x90")); /* the invoice as billed */
	free(r);
	long long case_id = tu_qint(db, "SELECT case_id FROM dunning.fees");
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s fee waive --case %lld --reason goodwill", cfg, case_id), 0);
	r = http(path, NULL, NULL);
	ck_assert_ptr_null(strstr(r->body, "class=\"fee\""));
	free(r);
	free(path);
	free(tok);
}
END_TEST

START_TEST(promise_to_pay)
{
	char *tok = token_for("P-KO", 0), *fields = NULL, *path, *dom;
	struct tu_resp *r;

	/* Beyond max_promise_days (30): refused, nothing changes. */
	ck_assert(asprintf(&fields, "date=%s", tud_date(60)) > 0);
	r = submit(tok, "promise", fields);
	ck_assert_int_eq(r->code, 303);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_date"));
	free(r);
	free(fields);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state = 'paused'"), 0);

	ck_assert(asprintf(&fields, "date=%s", tud_date(5)) > 0);
	r = submit(tok, "promise", fields);
	ck_assert_int_eq(r->code, 303);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=promised"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			   "a.id = c.account_id WHERE a.external_ref = '%s' AND c.state = 'paused' "
			   "AND c.pause_reason = 'promise' AND c.paused_until > now()",
			   "P-KO"),
			 1);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a ON "
		  "a.id = d.account_id WHERE a.external_ref = '%s' AND d.kind = 'promise_ack'",
		  "P-KO"),
		1);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.events WHERE kind = 'page_promise' "
		  "AND account_id = (SELECT id FROM dunning.accounts WHERE external_ref = '%s')",
		  "P-KO"),
		1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind = 'case_paused' "
				 "AND detail->>'source' = 'page'"),
			 1);
	/* Confirmed on the page, in Korean. */
	path = strdup(header(r, "Location"));
	dom = browse(path, "page-ko-promised");
	ck_assert_msg(strstr(dom, "납부하신다는 말씀 확인했습니다"), "%s", dom);
	free(dom);
	free(path);
	free(r);
	free(fields);
	free(tok);
	stop_clean();
}
END_TEST

START_TEST(payment_plan_becomes_a_task)
{
	char *tok = token_for("P-JA", 0);
	struct tu_resp *r = submit(tok, "plan", NULL);

	ck_assert_int_eq(r->code, 303);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=planned"));
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.phone_tasks t JOIN dunning.cases c ON "
		  "c.id = t.case_id JOIN dunning.accounts a ON a.id = c.account_id "
		  "WHERE a.external_ref = '%s' AND t.due_at <= now() AND t.completed_at IS NULL",
		  "P-JA"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			   "a.id = c.account_id WHERE a.external_ref = '%s' AND c.state = 'paused' "
			   "AND c.pause_reason = 'hardship'",
			   "P-JA"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind = 'page_plan' "
				 "AND detail ? 'phone_task_id'"),
			 1);
	free(r);
	free(tok);
	stop_clean();
}
END_TEST

START_TEST(dispute_follow_and_rate)
{
	char *tok = token_for("P-EN", 0), *path, *dom, *fields = NULL;
	char longtext[1200];
	struct tu_resp *r;

	/* Another account's invoice, an unknown reason, or too much text:
	 * refused, nothing opened. */
	r = submit(tok, "dispute", "invoice=INV-KO1&reason=wrong_amount");
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_form"));
	free(r);
	r = submit(tok, "dispute", "invoice=INV-EN2&reason=because");
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_form"));
	free(r);
	memset(longtext, 'x', 1001);
	longtext[1001] = '\0';
	ck_assert(asprintf(&fields, "invoice=INV-EN2&reason=other&detail=%s", longtext) > 0);
	r = submit(tok, "dispute", fields);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_form"));
	free(r);
	free(fields);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.disputes"), 0);

	r = submit(tok, "dispute",
		   "invoice=INV-EN2&reason=wrong_amount&detail=Charged+twice+%3Cscript%3E");
	ck_assert_int_eq(r->code, 303);
	ck_assert_str_eq(strchr(header(r, "Location"), '?'), "?m=disputed&d=D-1001");
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.disputes WHERE reference = 'D-1001' "
			"AND channel = 'web' AND reason = 'wrong_amount' AND status = 'open'"),
		1);
	/* That invoice only is left out of dunning. */
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.invoices WHERE disputed"), 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.invoices WHERE disputed "
				 "AND external_ref = 'INV-EN2'"),
			 1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE kind = 'dispute_ack'"),
		1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'page_dispute'"), 1);
	path = strdup(header(r, "Location"));
	free(r);
	dom = browse(path, "page-en-disputed");
	ck_assert_msg(strstr(dom, "Your reference is D-1001"), "%s", dom);
	ck_assert_ptr_nonnull(strstr(dom, "Under review (D-1001)"));
	free(dom);
	free(path);
	/* A later visit shows where it stands. */
	path = path_for(tok, NULL);
	dom = browse(path, NULL);
	ck_assert_ptr_nonnull(strstr(dom, "D-1001"));
	ck_assert_ptr_nonnull(strstr(dom, "Received: we will look into it"));
	ck_assert_ptr_null(strstr(dom, "Your reference is"));
	free(dom);

	/* Ops resolve it; the page shows the outcome and asks for a rating. */
	ck_assert_msg(tu_sh("dunnctl -c %s dispute reject D-1001 --note checked", cfg) == 0, "%s",
		      tu_output());
	dom = browse(path, "page-en-resolved");
	ck_assert_ptr_nonnull(strstr(dom, "Reviewed: we found the charge to be correct"));
	ck_assert_ptr_nonnull(strstr(dom, "How satisfied are you"));
	free(dom);
	{
		char *rate = path_for(tok, "/rate"), *body = NULL;
		struct tu_resp *g = http(path, NULL, NULL);
		char csrf[64];
		snprintf(csrf, sizeof csrf, "%s", csrf_of(g->body, tok, "rate"));
		free(g);
		ck_assert(asprintf(&body, "csrf=%s&dispute=D-1001&score=4", csrf) > 0);
		r = http(rate, body, NULL);
		ck_assert_int_eq(r->code, 303);
		ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=rated"));
		free(r);
		free(body);
		ck_assert_int_eq(tu_qint(db, "SELECT satisfaction FROM dunning.disputes"), 4);
		/* Stored once: a second rating changes nothing. */
		ck_assert(asprintf(&body, "csrf=%s&dispute=D-1001&score=1", csrf) > 0);
		r = http(rate, body, NULL);
		ck_assert_int_eq(r->code, 303);
		ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_form"));
		free(r);
		free(body);
		free(rate);
		ck_assert_int_eq(tu_qint(db, "SELECT satisfaction FROM dunning.disputes"), 4);
	}
	r = http(path, NULL, NULL);
	ck_assert_ptr_null(strstr(r->body, "/rate\""));
	ck_assert_ptr_nonnull(strstr(r->body, "Thank you for your rating (4/5)."));
	free(r);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'page_rate'"), 1);

	/* The reports see it. */
	ck_assert_msg(tu_sh("dunnctl -c %s report disputes", cfg) == 0, "%s", tu_output());
	ck_assert_ptr_nonnull(strstr(tu_output(), "wrong_amount"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "rejected"));
	ck_assert_msg(tu_sh("dunnctl -c %s report page --json", cfg) == 0, "%s", tu_output());
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"dispute\": 1"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"rate\": 1"));
	free(path);
	free(tok);
	stop_clean();
}
END_TEST

START_TEST(refusals_change_nothing)
{
	char *tok = token_for("P-ZH", 0), *bad = strdup(tok), *old = token_for("P-ZH", 1);
	char *path, *dom, *body = NULL;
	long long events = tu_qint(db, "SELECT count(*) FROM dunning.events");
	struct tu_resp *r, *g;
	int limited = 0;

	/* An altered token: the polite page, 403, nothing recorded. */
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	path = path_for(bad, NULL);
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 403);
	ck_assert_ptr_nonnull(strstr(r->body, "help@test.example"));
	ck_assert_ptr_nonnull(strstr(header(r, "Content-Security-Policy"), "default-src 'none'"));
	free(r);
	r = http(path, NULL, "ja-JP,ja;q=0.9,en;q=0.5");
	ck_assert_int_eq(r->code, 403);
	ck_assert_ptr_nonnull(strstr(r->body, "このリンクを確認できませんでした"));
	free(r);
	dom = browse(path, "page-refused");
	ck_assert_ptr_nonnull(strstr(dom, "We could not verify this link"));
	free(dom);
	free(path);
	/* An expired one: 410, same politeness. */
	path = path_for(old, NULL);
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 410);
	ck_assert_ptr_nonnull(strstr(r->body, "This link has expired"));
	ck_assert_ptr_nonnull(strstr(r->body, "help@test.example"));
	free(r);
	free(path);
	/* A POST with a forged token, none or the wrong CSRF value: 403. */
	path = path_for(tok, NULL);
	g = http(path, NULL, NULL);
	free(path);
	ck_assert(asprintf(&body, "csrf=%s&date=%s", csrf_of(g->body, tok, "promise"),
			   tud_date(3)) > 0);
	path = path_for(bad, "/promise");
	r = http(path, body, NULL);
	ck_assert_int_eq(r->code, 403);
	free(r);
	free(path);
	free(body);
	path = path_for(tok, "/promise");
	ck_assert(asprintf(&body, "date=%s", tud_date(3)) > 0);
	r = http(path, body, NULL);
	ck_assert_int_eq(r->code, 403);
	free(r);
	free(body);
	ck_assert(asprintf(&body, "csrf=%s&date=%s", csrf_of(g->body, tok, "plan"), tud_date(3)) >
		  0);
	r = http(path, body, NULL);
	ck_assert_int_eq(r->code, 403);
	free(r);
	free(body);
	free(path);
	free(g);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.cases WHERE state = 'paused'"),
			 0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind <> 'page_view'"),
		events);
	/* A GET is not a POST. */
	path = path_for(tok, "/promise");
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 405);
	free(r);
	free(path);
	/* Too many requests for one account: 429, politely. */
	path = path_for(tok, NULL);
	for (int i = 0; i < 40 && !limited; i++) {
		r = http(path, NULL, NULL);
		if (r->code == 429) {
			limited = 1;
			ck_assert_str_eq(header(r, "Retry-After"), "60");
		} else {
			ck_assert_int_eq(r->code, 200);
		}
		free(r);
	}
	ck_assert_msg(limited, "no 429 after 40 requests");
	free(path);
	/* Another account is not affected. */
	free(tok);
	tok = token_for("P-EN", 0);
	path = path_for(tok, NULL);
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 200);
	free(r);
	free(path);
	free(tok);
	free(bad);
	free(old);
	stop_clean();
}
END_TEST

/* Messages at the sink whose envelope goes to addr alone. */
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

static long long ko_ack_sent(void *arg)
{
	(void)arg;
	return q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a ON "
		 "a.id = d.account_id WHERE a.external_ref = 'P-KO' AND d.kind = 'promise_ack' "
		 "AND d.status = 'sent'");
}

static long long ko_mails(void *arg)
{
	(void)arg;
	return mails_to("minjun@customer.test");
}

/* Pressing the button again (a double click, a reload, an impatient
 * customer) while the first promise or plan holds changes nothing and
 * sends nothing more. */
START_TEST(repeated_actions_change_nothing)
{
	char *tok = token_for("P-KO", 0), *fields = NULL, *until;
	struct tu_resp *r;
	long long events;

	tu_mail_clear();
	ck_assert(asprintf(&fields, "date=%s", tud_date(5)) > 0);
	for (int i = 0; i < 5; i++) {
		r = submit(tok, "promise", fields);
		ck_assert_int_eq(r->code, 303);
		ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=promised"));
		free(r);
	}
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a ON "
			   "a.id = d.account_id WHERE a.external_ref = 'P-KO' "
			   "AND d.kind = 'promise_ack'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind IN ('page_promise', "
			   "'case_paused')"),
			 2);
	/* The one acknowledgement goes out, and it is the only message. */
	ck_assert_int_eq(tud_until(ko_ack_sent, NULL, 1, 60000), 1);
	ck_assert_int_eq(tud_until(ko_mails, NULL, 1, 60000), 1);
	ck_assert_int_eq(mails_to("minjun@customer.test"), 1);
	/* A different date is a new promise: it is acknowledged. */
	until = tu_qstr(db,
			"SELECT paused_until FROM dunning.cases c JOIN dunning.accounts a ON "
			"a.id = c.account_id WHERE a.external_ref = 'P-KO'");
	free(fields);
	ck_assert(asprintf(&fields, "date=%s", tud_date(6)) > 0);
	r = submit(tok, "promise", fields);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=promised"));
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON "
			   "a.id = c.account_id WHERE a.external_ref = 'P-KO' "
			   "AND c.paused_until > '%s'",
			   until),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'promise_ack'"),
			 2);
	free(until);
	free(tok);

	/* Three plan requests: one call task while it is open. */
	tok = token_for("P-JA", 0);
	for (int i = 0; i < 3; i++) {
		r = submit(tok, "plan", NULL);
		ck_assert_int_eq(r->code, 303);
		ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=planned"));
		free(r);
	}
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks t JOIN dunning.cases c ON "
			   "c.id = t.case_id JOIN dunning.accounts a ON a.id = c.account_id "
			   "WHERE a.external_ref = 'P-JA'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'page_plan'"), 1);
	/* Once the call team has dealt with it, a new request is a new task. */
	PQclear(tu_q(db,
		     "UPDATE dunning.phone_tasks SET completed_at = now(), outcome = 'reached'"));
	events = q("SELECT count(*) FROM dunning.events WHERE kind = 'page_plan'");
	r = submit(tok, "plan", NULL);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=planned"));
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE completed_at IS NULL"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'page_plan'"),
			 events + 1);
	free(fields);
	free(tok);
	stop_clean();
}
END_TEST

/* The one-click unsubscribe draws on the account's requests like every
 * other: a flood of them is refused, and writes no event rows. */
START_TEST(unsubscribe_is_rate_limited)
{
	char *tok = token_for("P-EN", 0), *path = path_for(tok, "/unsubscribe");
	int ok = 0, limited = 0;

	for (int i = 0; i < 60; i++) {
		struct tu_resp *r = http(path, "List-Unsubscribe=One-Click", NULL);
		if (r->code == 429) {
			limited++;
			ck_assert_str_eq(header(r, "Retry-After"), "60");
		} else {
			ck_assert_int_eq(r->code, 200);
			ok++;
		}
		free(r);
	}
	ck_assert_msg(limited > 0, "no 429 in 60 unsubscribe requests");
	ck_assert_int_le(ok, 31);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'email_unsubscribed'"),
			 ok);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions"), 1);
	free(path);
	free(tok);
	stop_clean();
}
END_TEST

/* RFC 8058: a mail client POSTs "List-Unsubscribe=One-Click" to the URL
 * in List-Unsubscribe; the signed token alone authorises it. */
START_TEST(one_click_unsubscribe)
{
	char *tok = token_for("P-EN", 0), *path = path_for(tok, "/unsubscribe");
	struct tu_resp *r;

	r = http(path, "List-Unsubscribe=One-Click", NULL);
	ck_assert_int_eq(r->code, 200);
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'email' "
			   "AND address = 'alice@customer.test' AND source = 'list-unsubscribe'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'email_unsubscribed'"),
			 1);
	/* Again: harmless. A person following the link lands on the page. */
	r = http(path, "List-Unsubscribe=One-Click", NULL);
	ck_assert_int_eq(r->code, 200);
	free(r);
	r = http(path, NULL, NULL);
	ck_assert_int_eq(r->code, 303);
	free(r);
	free(path);
	/* An altered token changes nothing. */
	tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
	path = path_for(tok, "/unsubscribe");
	r = http(path, "List-Unsubscribe=One-Click", NULL);
	ck_assert_int_eq(r->code, 403);
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions"), 1);
	free(path);
	free(tok);
}
END_TEST

/* Every radio button and checkbox sits in a <fieldset> whose <legend>
 * comes before it; returns how many were checked. */
static int assert_groups_in_fieldsets(const char *html)
{
	int n = 0;

	for (const char *p = html; (p = strstr(p, "<input")) != NULL; p++) {
		const char *end = strchr(p, '>'), *fs = NULL, *close = NULL, *lg = NULL;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!memmem(p, len, "type=\"checkbox\"", 15) &&
		    !memmem(p, len, "type=\"radio\"", 12))
			continue;
		for (const char *x = html; (x = strstr(x, "<fieldset")) && x < p; x++)
			fs = x;
		ck_assert_msg(fs != NULL, "an input outside any fieldset: %.80s", p);
		close = strstr(fs, "</fieldset>");
		lg = strstr(fs, "<legend>");
		ck_assert_msg(close && close > p, "an input after its fieldset closed: %.80s", p);
		ck_assert_msg(lg && lg < p, "a fieldset without a legend before %.80s", p);
		n++;
	}
	return n;
}

static char *get_body(const char *ref, const char *accept, char *lang_out, size_t len)
{
	char *tok = token_for(ref, 0), *path = path_for(tok, NULL), *body;
	struct tu_resp *r = http(path, NULL, accept);

	ck_assert_int_eq(r->code, 200);
	snprintf(lang_out, len, "%s", header(r, "Content-Language"));
	body = strdup(r->body);
	free(r);
	free(path);
	free(tok);
	return body;
}

/* The header names who is asking (the locale's legal name, support phone
 * and privacy notice); the lang attribute names the page's language; the
 * fonts follow it; every choice group has a legend; still no script. */
START_TEST(header_names_who_asks)
{
	static const struct {
		const char *ref, *lang, *legal, *tel, *privacy;
	} acc[] = {
		{"P-EN", "en", "Test Telecom Inc.", "tel:+15550100",
		 "https://test.example/privacy"},
		{"P-KO", "ko", "(주)테스트텔레콤", "tel:15880100",
		 "https://test.example/ko/privacy"},
		{"P-JA", "ja", "Test Telecom Inc.", "tel:+15550100",
		 "https://test.example/privacy"},
		{"P-ZH", "zh-CN", "Test Telecom Inc.", "tel:+15550100",
		 "https://test.example/privacy"},
		{"P-TW", "zh-Hant", "Test Telecom Inc.", "tel:+15550100",
		 "https://test.example/privacy"},
	};
	char lang[64], want[128];

	for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++) {
		char *body = get_body(acc[i].ref, NULL, lang, sizeof lang);
		const char *hdr = strstr(body, "<header>"), *hend = strstr(body, "</header>");
		ck_assert(hdr && hend);
		snprintf(want, sizeof want, "<html lang=\"%s\">", acc[i].lang);
		ck_assert_msg(strstr(body, want), "%s: no %s", acc[i].ref, want);
		ck_assert_str_eq(lang, acc[i].lang);
		snprintf(want, sizeof want, "href=\"%s\"", acc[i].tel);
		ck_assert_msg(memmem(hdr, (size_t)(hend - hdr), want, strlen(want)), "%s: no %s",
			      acc[i].ref, want);
		snprintf(want, sizeof want, "href=\"%s\"", acc[i].privacy);
		ck_assert_msg(memmem(hdr, (size_t)(hend - hdr), want, strlen(want)), "%s: no %s",
			      acc[i].ref, want);
		ck_assert_msg(memmem(hdr, (size_t)(hend - hdr), acc[i].legal, strlen(acc[i].legal)),
			      "%s: no legal name", acc[i].ref);
		ck_assert_ptr_null(strstr(body, "<script"));
		ck_assert_int_ge(assert_groups_in_fieldsets(body), 14);
		free(body);
	}
	/* The Korean page's words and name; the font for each language first. */
	{
		char *body = get_body("P-KO", NULL, lang, sizeof lang);
		ck_assert_ptr_nonnull(strstr(body, "<p class=\"co\">테스트텔레콤</p>"));
		ck_assert_ptr_nonnull(
			strstr(body, "고객센터 <a href=\"tel:15880100\">1588-0100</a>"));
		ck_assert_ptr_nonnull(strstr(body, ">개인정보 처리방침</a>"));
		ck_assert_ptr_nonnull(strstr(body,
					     "body:lang(ko){font-family:system-ui,-apple-system,"
					     "'Apple SD Gothic Neo'"));
		ck_assert_ptr_nonnull(strstr(body,
					     "body:lang(ja){font-family:system-ui,-apple-system,"
					     "'Hiragino Sans'"));
		ck_assert_ptr_nonnull(strstr(body,
					     "body:lang(zh-CN){font-family:system-ui,"
					     "-apple-system,'PingFang SC'"));
		free(body);
	}
	/* A refused link names the company too, in the browser's language. */
	{
		struct tu_resp *r = http("/p/not-a-token", NULL, "ko-KR,ko;q=0.9");
		ck_assert_int_eq(r->code, 403);
		ck_assert_ptr_nonnull(strstr(r->body, "<html lang=\"ko\">"));
		ck_assert_ptr_nonnull(strstr(r->body, "(주)테스트텔레콤"));
		free(r);
	}
	stop_clean();
}
END_TEST

static long long en_mails(void *arg)
{
	(void)arg;
	return mails_to("alice@customer.test");
}

/* Stop email, stop SMS and quiet times from the page: recorded as STOP
 * records an opt-out (suppression, event), confirmed in the customer's
 * language; the next reminder is suppressed, never sent. */
START_TEST(preferences_opt_out_and_quiet_times)
{
	char *tok = token_for("P-EN", 0), *ko = token_for("P-KO", 0), *path, *dom, *at = NULL;
	struct tu_resp *r;
	long long sent;

	/* Over the weekly bound: refused, in the customer's words; nothing kept. */
	r = submit(ko, "prefs",
		   "q1_mon=1&q1_tue=1&q1_wed=1&q1_thu=1&q1_fri=1&q1_from=08:00&q1_to=14:00");
	ck_assert_int_eq(r->code, 303);
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=quiet_long"));
	free(r);
	path = path_for(ko, "?m=quiet_long");
	dom = browse(path, NULL);
	ck_assert_msg(strstr(dom, "일주일에 28시간을 넘습니다"), "%s", dom);
	free(dom);
	free(path);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.quiet_times"), 0);
	/* Malformed times: refused. */
	r = submit(ko, "prefs", "q1_mon=1&q1_from=08:15&q1_to=09:00");
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=bad_form"));
	free(r);
	/* Mon-Fri 12:00-13:00 and Sunday all day (29 h) is over; Saturday
	 * 20:00 to Sunday 10:00 with the weekday lunches is 19 h. */
	r = submit(ko, "prefs",
		   "q1_mon=1&q1_tue=1&q1_wed=1&q1_thu=1&q1_fri=1&q1_from=12:00&q1_to=13:00"
		   "&q2_sat=1&q2_from=20:00&q2_to=10:00");
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=prefs"));
	free(r);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.quiet_times WHERE spec = "
		  "'mon-fri 12:00-13:00,sat 20:00-24:00,sun 00:00-10:00' AND minutes = 1140 "
		  "AND source = 'page'"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'quiet_times_set' "
			   "AND detail->>'source' = 'page'"),
			 1);
	path = path_for(ko, "?m=prefs");
	dom = browse(path, "page-ko-preferences");
	ck_assert_msg(strstr(dom, "감사합니다. 설정이 저장되었으며 지금부터 적용됩니다."), "%s",
		      dom);
	ck_assert_ptr_nonnull(strstr(dom,
				     "현재 연락 금지 시간: 월–금 12:00-13:00, 토 20:00-24:00, "
				     "일 00:00-10:00"));
	free(dom);
	free(path);
	/* The same again changes nothing; clearing is an event too. */
	r = submit(ko, "prefs",
		   "q1_mon=1&q1_tue=1&q1_wed=1&q1_thu=1&q1_fri=1&q1_from=12:00&q1_to=13:00"
		   "&q2_sat=1&q2_from=20:00&q2_to=10:00");
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind LIKE 'quiet_times%%'"),
			 1);
	r = submit(ko, "prefs", "quiet_clear=1");
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.quiet_times"), 0);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.events WHERE kind = 'quiet_times_cleared'"), 1);

	/* Stop email and SMS for P-EN: suppressions and events as STOP makes. */
	r = submit(tok, "prefs", "stop_email=1&stop_sms=1");
	ck_assert_ptr_nonnull(strstr(header(r, "Location"), "?m=prefs"));
	free(r);
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'email' AND "
		  "address = 'alice@customer.test' AND reason = 'opt-out' AND source = 'page'"),
		1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' AND "
			   "address = '+15551234567' AND reason = 'opt-out' AND source = 'page'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'email_unsubscribed' "
			   "AND detail->>'source' = 'page'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_out' "
			   "AND detail->>'source' = 'page'"),
			 1);
	path = path_for(tok, NULL);
	dom = browse(path, NULL);
	ck_assert_ptr_nonnull(strstr(dom, "You will not receive reminders by email."));
	ck_assert_ptr_nonnull(strstr(dom, "You will not receive text messages from us."));
	ck_assert_ptr_null(strstr(dom, "name=\"stop_email\""));
	free(dom);
	free(path);
	/* Sent again: nothing more recorded. */
	r = submit(tok, "prefs", "stop_email=1&stop_sms=1");
	free(r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind IN "
			   "('email_unsubscribed', 'sms_opt_out')"),
			 2);
	/* Without the CSRF value: 403, nothing recorded. */
	path = path_for(tok, "/prefs");
	r = http(path, "stop_email=1", NULL);
	ck_assert_int_eq(r->code, 403);
	free(r);
	free(path);

	/* The next step, two days on at 10:00 in New York: suppressed, and
	 * nothing reaches the sink. */
	sent = en_mails(NULL);
	ck_assert(asprintf(&at, "%sT15:00:00Z", tud_date(2)) > 0);
	ck_assert_msg(tu_sh("dunnd -c %s --once --at %s", cfg, at) == 0, "%s", tu_output());
	ck_assert_int_ge(q("SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
			   "ON a.id = d.account_id WHERE a.external_ref = 'P-EN' AND d.kind = "
			   "'reminder' AND d.status = 'suppressed' AND d.created_at = '%s'",
			   at),
			 1);
	ck_assert_int_eq(mails_to("alice@customer.test"), sent);
	free(at);
	free(tok);
	free(ko);
	stop_clean();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("customer page");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, page_reads_well_in_four_locales);
	tcase_add_test(tc, promise_to_pay);
	tcase_add_test(tc, late_fee_line_until_waived);
	tcase_add_test(tc, payment_plan_becomes_a_task);
	tcase_add_test(tc, dispute_follow_and_rate);
	tcase_add_test(tc, refusals_change_nothing);
	tcase_add_test(tc, one_click_unsubscribe);
	tcase_add_test(tc, repeated_actions_change_nothing);
	tcase_add_test(tc, unsubscribe_is_rate_limited);
	tcase_add_test(tc, header_names_who_asks);
	tcase_add_test(tc, preferences_opt_out_and_quiet_times);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
