/* Opt-out in every language, through the real daemon's signed SMS reply
 * webhook, the real gateway simulator and dunnctl: STOP, START and HELP
 * words in en, ko, ja and zh are understood whatever the width, case or
 * punctuation and answered in the account's language, naming that
 * locale's legal identity (brand.sms_name) and support phone in two SMS
 * parts at most; a reply that names
 * an opt-out word but is not one never becomes a call: it waits in the
 * review queue, texts to the number pause, and a person decides. */
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smsseg.h"
#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define SECRET "webhook-secret-0123456789abcdef"

#define EN_ID "Test Telecom Group Inc."
#define EN_PHONE "+1 800 555 0100"
#define KO_ID "(주)테스트텔레콤홀딩스코리아통신서비스"
#define KO_PHONE "1588-0000"
#define JA_ID "テストテレコムホールディングス(株)"
#define JA_PHONE "0120-000-000"
#define ZH_ID "测试电信控股集团中国区有限公司"
#define ZH_PHONE "400-000-0000"
#define TW_ID "測試電信控股股份有限公司"
#define TW_PHONE "0800-000-000"
#define BRAND                                                                                                                             \
	"{\"default\": {\"name\": \"Test Telecom\", \"legal_name\": \"" EN_ID "\",\n"                                                     \
	"             \"support_phone\": \"" EN_PHONE "\"},\n"                                                                            \
	" \"ko\": {\"name\": \"테스트텔레콤\", \"legal_name\": \"" KO_ID "\",\n"                                                          \
	"        \"support_phone\": \"" KO_PHONE "\"},\n"                                                                                 \
	" \"ja\": {\"name\": \"テストテレコム\", \"legal_name\": \"テストテレコムホールディングス株式会社\",\n" \
	"        \"sms_name\": \"" JA_ID "\", \"support_phone\": \"" JA_PHONE "\"},\n"                                                    \
	" \"zh\": {\"name\": \"测试电信\", \"legal_name\": \"" ZH_ID "\",\n"                                                              \
	"        \"support_phone\": \"" ZH_PHONE "\"},\n"                                                                                 \
	" \"zh-Hant\": {\"name\": \"測試電信\", \"legal_name\": \"" TW_ID "\",\n"                                                         \
	"             \"support_phone\": \"" TW_PHONE "\"}}"

static char *dir, *cfg, *conninfo;
static PGconn *db;
static struct tud dunnd_proc;
static int port;

/* Accounts with an open case and an unpaid invoice each, in a zone where
 * it is about noon (so texts are inside the window). */
static void seed(void)
{
	char sql[2048];

	snprintf(
		sql, sizeof sql,
		"INSERT INTO dunning.accounts (external_ref, name, phone, locale, timezone) VALUES\n"
		"  ('A-EN', 'Alice', '+12025550199', 'en-US', '%1$s'),\n"
		"  ('A-KO', '김민수', '+821011112222', 'ko-KR', '%1$s'),\n"
		"  ('A-JA', '佐藤花子', '+819011112222', 'ja-JP', '%1$s'),\n"
		"  ('A-ZH', '王伟', '+8613811112222', 'zh-CN', '%1$s'),\n"
		"  ('A-TW', '陳美玲', '+886912345678', 'zh-TW', '%1$s');\n"
		"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, due_date)\n"
		"SELECT id, 'INV-' || external_ref, 10000, 'USD', current_date - 10\n"
		"FROM dunning.accounts;\n"
		"INSERT INTO dunning.cases (account_id, cycle, opened_at, next_action_at)\n"
		"SELECT id, 1, now(), now() + interval '30 days' FROM dunning.accounts;",
		tud_noon_zone());
	PQclear(tu_q(db, sql));
}

static long long healthy(void *arg)
{
	struct tu_resp r;

	(void)arg;
	tu_http(port, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
	return r.code == 200;
}

static void setup(void)
{
	char *ch = NULL;
	json_error_t err;
	json_t *root, *more;

	dir = tu_tmpdir();
	conninfo = tu_newdb("optout");
	free(tu_file(dir, "webhook_secret", SECRET "\n"));
	free(tu_file(dir, "sms_token", "sms-test-token-0123456789\n"));
	cfg = tu_config_ex(dir, conninfo, NULL, "\"webhook_secret_file\": \"webhook_secret\"",
			   "  \"poll_interval_ms\": 200");
	ck_assert(
		asprintf(&ch,
			 "{\"sms\": {\"module\": \"sms\", \"provider\": \"generic\", \"api_base\": "
			 "\"%s\", \"auth_token_file\": \"sms_token\", \"from\": \"+15005550006\", "
			 "\"timeout_ms\": 2000}}",
			 tu_env("DUNN_GATEWAY")) > 0);
	root = json_load_file(cfg, 0, &err);
	ck_assert_msg(root != NULL, "%s", err.text);
	more = json_loads(ch, 0, &err);
	ck_assert_ptr_nonnull(more);
	ck_assert_int_eq(json_object_update(json_object_get(root, "channels"), more), 0);
	json_decref(more);
	/* Who sends, per locale, with long legal identities: every answer
	 * must name them and the support phone and still fit two parts. */
	more = json_loads(BRAND, 0, &err);
	ck_assert_msg(more != NULL, "%s", err.text);
	ck_assert_int_eq(json_object_set_new(root, "brand", more), 0);
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
	free(ch);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	seed();
	free(tu_sim_call("POST", "/_reset", "{}"));
	port = tud_start_http(&dunnd_proc, dir, cfg, NULL);
	/* Listening comes before the database connection: wait for both. */
	ck_assert_int_eq(tud_until(healthy, NULL, 1, 30000), 1);
}

static void teardown(void)
{
	tud_kill(&dunnd_proc, SIGTERM);
	ck_assert_int_eq(tud_wait(&dunnd_proc, 20000), 0);
	tud_cleanup(&dunnd_proc);
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

static long long q(const char *sql)
{
	return tu_qint(db, sql);
}

/* A reply from number, signed now; *r gets the answer, which must be 200.
 * Without an id each gets its own, as a provider gives every message one
 * (the same signed body twice would be a duplicate). */
static void reply_from(const char *number, const char *text, const char *id, struct tu_resp *r)
{
	json_t *o = json_pack("{ss ss}", "from", number, "body", text);
	struct curl_slist *h = NULL;
	char line[160], hex[65], *body, *msg = NULL, auto_id[32];
	long long ts = (long long)time(NULL);
	static int seq;

	if (!id) {
		snprintf(auto_id, sizeof auto_id, "MSG-%d", ++seq);
		id = auto_id;
	}
	json_object_set_new(o, "id", json_string(id));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	snprintf(line, sizeof line, "X-Dunn-Timestamp: %lld", ts);
	h = curl_slist_append(h, line);
	ck_assert(asprintf(&msg, "%lld.%s", ts, body) > 0);
	tu_hmac_hex(SECRET, msg, hex);
	snprintf(line, sizeof line, "X-Dunn-Signature: sha256=%s", hex);
	h = curl_slist_append(h, line);
	tu_http(port, "POST", "/webhooks/sms/inbound", "application/json", body, strlen(body), h,
		r);
	ck_assert_msg(r->code == 200, "%s: %ld %s", text, r->code, r->body);
	free(msg);
	free(body);
}

/* The reply text dunnd answered with ("" for none; static buffer). */
static const char *answer_text(const struct tu_resp *r)
{
	static char out[1024];
	json_t *o = json_loads(r->body, 0, NULL);
	const char *s = json_string_value(json_object_get(o, "reply"));

	snprintf(out, sizeof out, "%s", s ? s : "");
	json_decref(o);
	return out;
}

static void assert_answer_has(const struct tu_resp *r, const char *needle)
{
	const char *a = answer_text(r);

	ck_assert_msg(strstr(a, needle) != NULL, "answer '%s' lacks '%s'", a, needle);
}

/* An answer opens with who sends it, names where to ask and fits two
 * SMS parts. */
static void assert_answer_signed(const struct tu_resp *r, const char *open, const char *phone)
{
	const char *a = answer_text(r);
	struct smsseg_info info;

	ck_assert_msg(strncmp(a, open, strlen(open)) == 0, "answer '%s' does not open with '%s'", a,
		      open);
	ck_assert_msg(strstr(a, phone) != NULL, "answer '%s' lacks '%s'", a, phone);
	ck_assert_int_eq(smsseg_count(a, strlen(a), &info), 0);
	ck_assert_msg(info.segments <= 2, "%zu parts: %s", info.segments, a);
}

static long long suppressed(const char *number, const char *reason)
{
	char sql[256];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.suppressions WHERE channel = 'sms' "
		 "AND address = '%s' AND reason = '%s'",
		 number, reason);
	return q(sql);
}

/* The finding: 수신거부, 配信停止, 退订 and TD became phone tasks due now.
 * Now each is an opt-out, confirmed in the account's language. */
START_TEST(opt_out_words_in_each_language)
{
	struct tu_resp r;

	reply_from("+821011112222", "수신거부", NULL, &r);
	assert_answer_has(&r, "[" KO_ID "] 문자 수신거부 처리되었습니다.");
	assert_answer_has(&r, "'시작'");
	assert_answer_signed(&r, "[" KO_ID "] ", "문의 " KO_PHONE);
	ck_assert_int_eq(suppressed("+821011112222", "opt-out"), 1);
	/* Said again, in another form: nothing new, no second confirmation. */
	reply_from("+821011112222", "수신 거부!", NULL, &r);
	ck_assert_str_eq(r.body, "{\"result\":\"unchanged\"}");
	/* The word the confirmation names brings texts back. */
	reply_from("+821011112222", "시작", NULL, &r);
	assert_answer_has(&r, "[" KO_ID "] 문자 안내 수신이 다시 시작되었습니다.");
	assert_answer_signed(&r, "[" KO_ID "] ", "문의 " KO_PHONE);
	ck_assert_int_eq(suppressed("+821011112222", "opt-out"), 0);
	reply_from("+821011112222", "도움말", NULL, &r);
	assert_answer_has(&r, "[" KO_ID "] 요금 납부 안내입니다. 문의 " KO_PHONE ".");
	assert_answer_signed(&r, "[" KO_ID "] ", KO_PHONE);

	reply_from("+819011112222", "「配信停止」", NULL, &r);
	assert_answer_has(&r, "【" JA_ID "】SMSでのご案内を停止しました。");
	assert_answer_signed(&r, "【" JA_ID "】", "お問合せ：" JA_PHONE);
	ck_assert_int_eq(suppressed("+819011112222", "opt-out"), 1);
	reply_from("+819011112222", "開始", NULL, &r);
	assert_answer_has(&r, "【" JA_ID "】SMSでのご案内を再開しました。");
	assert_answer_signed(&r, "【" JA_ID "】", "お問合せ：" JA_PHONE);
	/* Full-width Latin, as a Japanese keyboard types it. */
	reply_from("+819011112222", "ＳＴＯＰ", NULL, &r);
	assert_answer_has(&r, "【" JA_ID "】");
	ck_assert_int_eq(suppressed("+819011112222", "opt-out"), 1);
	reply_from("+819011112222", "ヘルプ", NULL, &r);
	assert_answer_signed(&r, "【" JA_ID "】お支払いのご案内です。", "お問合せ：" JA_PHONE);

	reply_from("+8613811112222", "退订", NULL, &r);
	assert_answer_has(&r, "【" ZH_ID "】您已成功退订");
	assert_answer_signed(&r, "【" ZH_ID "】", "客服" ZH_PHONE);
	reply_from("+8613811112222", "订阅", NULL, &r);
	assert_answer_has(&r, "【" ZH_ID "】您已重新订阅短信提醒");
	assert_answer_signed(&r, "【" ZH_ID "】", "客服" ZH_PHONE);
	reply_from("+8613811112222", "帮助", NULL, &r);
	assert_answer_signed(&r, "【" ZH_ID "】账单缴费提醒。", "客服" ZH_PHONE);
	reply_from("+8613811112222", "TD", NULL, &r);
	assert_answer_has(&r, "您已成功退订");
	reply_from("+8613811112222", "订阅", NULL, &r);
	reply_from("+8613811112222", "ｔ", NULL, &r);
	assert_answer_has(&r, "您已成功退订");
	ck_assert_int_eq(suppressed("+8613811112222", "opt-out"), 1);

	/* The account's language, not the keyword's, decides the answer. */
	reply_from("+12025550199", "配信停止", NULL, &r);
	assert_answer_has(&r, EN_ID ": you are unsubscribed");
	assert_answer_signed(&r, EN_ID ": ", "Questions: " EN_PHONE);
	reply_from("+12025550199", "START", NULL, &r);
	assert_answer_signed(&r, EN_ID ": you are subscribed", "Questions: " EN_PHONE);
	reply_from("+12025550199", "help", NULL, &r);
	assert_answer_signed(&r, EN_ID " billing reminders.", "Questions: " EN_PHONE);
	reply_from("+821011112222", "STOP", NULL, &r);
	assert_answer_has(&r, "[" KO_ID "] 문자 수신거부 처리되었습니다.");
	/* Taiwan reads Traditional characters: its brand, its words. */
	reply_from("+886912345678", "TD", NULL, &r);
	assert_answer_signed(&r, "【" TW_ID "】您已成功退訂", "客服" TW_PHONE);
	assert_answer_has(&r, "「訂閱」");
	reply_from("+886912345678", "訂閱", NULL, &r);
	assert_answer_signed(&r, "【" TW_ID "】您已重新訂閱簡訊提醒", "客服" TW_PHONE);
	ck_assert_int_eq(suppressed("+886912345678", "opt-out"), 0);
	/* A number we do not know is answered in the keyword's language. */
	reply_from("+8613899990000", "退订", NULL, &r);
	assert_answer_signed(&r, "【" ZH_ID "】您已成功退订", "客服" ZH_PHONE);
	ck_assert_int_eq(suppressed("+8613899990000", "opt-out"), 1);
	reply_from("+88691111222", "退訂", NULL, &r);
	assert_answer_signed(&r, "【" TW_ID "】您已成功退訂", "客服" TW_PHONE);

	/* Nobody is to be called about any of it. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_out'"), 11);
}
END_TEST

static long long sim_requests_to(const char *number)
{
	json_t *log = tu_sim_log(), *r;
	long long n = 0;
	size_t i;

	json_array_foreach(log, i, r)
	{
		const char *to = json_string_value(
			json_object_get(json_object_get(r, "fields"), "to"));
		n += to && !strcmp(to, number);
	}
	json_decref(log);
	return n;
}

/* Queue an SMS reminder to ref, due now, as the engine would. */
static void queue_sms(const char *ref, int step)
{
	char sql[512];

	snprintf(
		sql, sizeof sql,
		"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, template,\n"
		"  status, next_attempt_at, created_at)\n"
		"SELECT c.id, a.id, 1, %d, 'sms', 'gentle', 'queued', now(), now()\n"
		"FROM dunning.accounts a JOIN dunning.cases c ON c.account_id = a.id\n"
		"WHERE a.external_ref = '%s'",
		step, ref);
	PQclear(tu_q(db, sql));
}

struct settled {
	const char *ref;
	int step;
};

/* 1 once that reminder is no longer waiting (sent, suppressed, ...). */
static long long reminder_settled(void *arg)
{
	const struct settled *s = arg;
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.step = %d "
		 "AND d.status NOT IN ('queued', 'sending')",
		 s->ref, s->step);
	return tu_qint(db, sql);
}

static char *reminder_status(const char *ref, int step)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT d.status FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.step = %d",
		 ref, step);
	return tu_qstr(db, sql);
}

static void send_and_settle(const char *ref, int step, const char *want)
{
	struct settled s = {ref, step};
	char *st;

	queue_sms(ref, step);
	ck_assert_int_eq(tud_until(reminder_settled, &s, 1, 30000), 1);
	st = reminder_status(ref, step);
	ck_assert_msg(!strcmp(st, want), "%s step %d: %s, want %s", ref, step, st, want);
	free(st);
}

static long long review_task(const char *ref)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT t.id FROM dunning.phone_tasks t JOIN dunning.cases c ON c.id = t.case_id "
		 "JOIN dunning.accounts a ON a.id = c.account_id "
		 "WHERE a.external_ref = '%s' AND t.kind = 'review' AND t.completed_at IS NULL",
		 ref);
	return q(sql);
}

static json_t *json_out(void)
{
	json_error_t err;
	json_t *j = json_loads(tu_output(), 0, &err);

	ck_assert_msg(j != NULL, "not JSON: %s", tu_output());
	return j;
}

/* "STOP please" and "수신거부 하려면?" were call tasks due now. Now they
 * wait for a person, and texts to the number pause until one decides. */
START_TEST(ambiguous_reply_goes_to_review)
{
	struct tu_resp r;
	long long ko, en;
	json_t *j;

	/* Texts go out before anything is said. */
	send_and_settle("A-KO", 1, "sent");
	send_and_settle("A-EN", 1, "sent");

	reply_from("+821011112222", "수신거부 하려면?", "IN-1", &r);
	ck_assert_str_eq(answer_text(&r), "");
	reply_from("+12025550199", "STOP please", "IN-2", &r);
	ck_assert_str_eq(answer_text(&r), "");
	/* A provider's retry raises nothing twice. */
	reply_from("+12025550199", "STOP please", "IN-2", &r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'call'"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'review' "
			   "AND due_at <= now() AND completed_at IS NULL"),
			 2);
	ck_assert_int_eq(suppressed("+821011112222", "review"), 1);
	ck_assert_int_eq(suppressed("+12025550199", "review"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_review' "
			   "AND (detail->>'paused')::boolean AND detail::text NOT LIKE '%please%'"),
			 2);
	ko = review_task("A-KO");
	en = review_task("A-EN");

	/* The queue: reviews apart from calls. */
	ck_assert_msg(tu_sh("dunnctl -c %s tasks list --kind review --json", cfg) == 0, "%s",
		      tu_output());
	j = json_out();
	ck_assert_int_eq(json_array_size(json_object_get(j, "tasks")), 2);
	ck_assert_str_eq(tu_jstr(json_array_get(json_object_get(j, "tasks"), 0), "kind"), "review");
	json_decref(j);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list --kind call --json", cfg), 0);
	j = json_out();
	ck_assert_int_eq(json_array_size(json_object_get(j, "tasks")), 0);
	json_decref(j);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list --kind review", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "수신거부 하려면?"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list --kind robot", cfg), 2);

	/* Meanwhile nothing is texted to either number. */
	send_and_settle("A-KO", 2, "suppressed");
	send_and_settle("A-EN", 2, "suppressed");
	ck_assert_int_eq(sim_requests_to("+821011112222"), 1);
	ck_assert_int_eq(sim_requests_to("+12025550199"), 1);

	/* A review is decided, not called. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome reached", cfg, ko), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "opt_out or not_opt_out"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome maybe", cfg, ko), 2);
	/* It was an opt-out: the pause becomes one. */
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome opt_out --as mina", cfg,
			    ko) == 0,
		      "%s", tu_output());
	ck_assert_int_eq(suppressed("+821011112222", "opt-out"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions WHERE address = "
			   "'+821011112222' AND source = 'review'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'sms_opt_out' "
			   "AND detail->>'source' = 'review'"),
			 1);
	/* It was not: texts resume, and the reply reaches the call team. */
	ck_assert_msg(tu_sh("dunnctl -c %s tasks complete %lld --outcome not_opt_out --json", cfg,
			    en) == 0,
		      "%s", tu_output());
	j = json_out();
	ck_assert(json_is_true(json_object_get(j, "sms_resumed")));
	ck_assert(json_integer_value(json_object_get(j, "call_task_id")) > 0);
	json_decref(j);
	ck_assert_int_eq(suppressed("+12025550199", "review"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'call' "
			   "AND note = 'SMS reply: STOP please' AND completed_at IS NULL"),
			 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome opt_out", cfg, en), 1);
	send_and_settle("A-EN", 3, "sent");
	send_and_settle("A-KO", 3, "suppressed");
	ck_assert_int_eq(sim_requests_to("+12025550199"), 2);
	ck_assert_int_eq(sim_requests_to("+821011112222"), 1);
	/* A call task takes no review decision. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome not_opt_out", cfg,
			       q("SELECT id FROM dunning.phone_tasks WHERE kind = 'call'")),
			 1);
}
END_TEST

/* A plain STOP after an unclear reply settles the review: opted out,
 * and the review is closed, so nobody can turn it into a call later. */
START_TEST(plain_stop_decides_an_open_review)
{
	struct tu_resp r;
	long long id;

	reply_from("+819011112222", "配信停止してください", NULL, &r);
	ck_assert_str_eq(answer_text(&r), "");
	id = review_task("A-JA");
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(suppressed("+819011112222", "review"), 1);
	reply_from("+819011112222", "停止", NULL, &r);
	assert_answer_has(&r, "【" JA_ID "】SMSでのご案内を停止しました。");
	ck_assert_int_eq(suppressed("+819011112222", "opt-out"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE completed_at IS NULL"),
			 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'review' "
			   "AND outcome = 'opt_out' AND completed_at IS NOT NULL"),
			 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks complete %lld --outcome not_opt_out", cfg, id),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'call'"), 0);
}
END_TEST

/* Ordinary replies still reach the call team at once. */
START_TEST(ordinary_reply_is_a_call)
{
	struct tu_resp r;

	reply_from("+819011112222", "明日支払います", NULL, &r);
	reply_from("+12025550199", "I will pay at the end of the month", NULL, &r);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.phone_tasks WHERE kind = 'call' "
			   "AND due_at <= now()"),
			 2);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.suppressions"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("optout");
	TCase *tc = tcase_create("replies");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, opt_out_words_in_each_language);
	tcase_add_test(tc, ambiguous_reply_goes_to_review);
	tcase_add_test(tc, plain_stop_decides_an_open_review);
	tcase_add_test(tc, ordinary_reply_is_a_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
