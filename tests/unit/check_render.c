/* Unit tests for engine/render.c: render_message called directly with
 * rows built by hand, a configuration, templates and a policy written
 * here, in en, ko, ja and zh. Each test says what a customer reads: the
 * variables filled in the template's language and money style, the
 * step's deadline and consequence, {{ sms_name }} and the support phone
 * falling back to the support address, the fees and the total with them,
 * and only the parts the channel carries. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel.h"
#include "config.h"
#include "diag.h"
#include "policy.h"
#include "render.h"
#include "tmplset.h"
#include "token.h"
#include "tz.h"

#define SECRET "render-test-secret-0123456789"

static char dir[64];
static struct config cfg;
static struct brand_entry brands[5];
static int64_t now; /* 2026-12-01 12:00 UTC */

/* Every variable, labelled, so a test can find each one. */
#define ALL_VARS                                                                             \
	"name={{ name }}|ref={{ account_ref }}|amount={{ amount }}|balance={{ balance }}|"   \
	"due={{ due_date }}|days={{ days_overdue }}|count={{ invoice_count }}|"              \
	"url={{ pay_url }}|company={{ company }}|support={{ support }}|brand={{ brand }}|"   \
	"legal={{ legal_name }}|sms_name={{ sms_name }}|phone={{ support_phone }}|"          \
	"privacy={{ privacy_url }}|inv={{ invoice_ref }}|dispute={{ dispute_ref }}|"         \
	"promise={{ promise_date }}|fee={{ fee }}|with_fees={{ amount_with_fees }}|"         \
	"deadline={{ deadline }}|consequence={{ consequence }}|resolution={{ resolution }}|" \
	"fee_line=[{{ fee_line }}]\n"

static void put(const char *locale, const char *file, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, locale);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/%s/%s", dir, locale, file);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(body, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void setup(void)
{
	static const char *const locales[] = {"en", "ko", "ja", "zh"};
	static const struct tmplset_kind kinds[] = {
		{"email", CHANNEL_CAP_SUBJECT | CHANNEL_CAP_SUBJECT_REQUIRED},
		{"sms", 0},
	};
	struct diag diag = {0};
	char path[256];
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/check_render.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < 4; i++) {
		put(locales[i], "final.email", "Subject: {{ brand }}: {{ amount }}\n\n" ALL_VARS);
		put(locales[i], "final.sms", "{{ sms_name }}: {{ amount }} {{ support_phone }}\n");
		put(locales[i], "dispute_rejected.email",
		    "Subject: {{ dispute_ref }}\n\n" ALL_VARS);
	}
	/* Every name a template may use (tmplset_vars), one a line. */
	{
		char body[4096];
		size_t n = 0;
		for (size_t i = 0; tmplset_vars[i]; i++)
			n += (size_t)snprintf(body + n, sizeof body - n, "%s=[{{ %s }}]\n",
					      tmplset_vars[i], tmplset_vars[i]);
		ck_assert_uint_lt(n, sizeof body);
		put("en", "final.push", body);
	}
	snprintf(path, sizeof path, "%s/policy.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
	      " {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	      " {\"after_days\": 9, \"channels\": [\"email\"], \"template\": \"final\",\n"
	      "  \"deadline_days\": 7, \"consequence\": {\n"
	      "   \"en\": \"After {{ deadline }} the service stops.\",\n"
	      "   \"ko\": \"{{ deadline }}까지 납부되지 않으면 정지됩니다.\",\n"
	      "   \"ja\": \"{{ deadline }}を過ぎると停止します。\",\n"
	      "   \"zh\": \"{{ deadline }} 后将暂停服务。\"}}]}]}\n",
	      f);
	ck_assert_int_eq(fclose(f), 0);

	memset(&cfg, 0, sizeof cfg);
	cfg.company = "Example Ltd";
	cfg.support = "help@example.com";
	cfg.public_url = "https://pay.example.com";
	memset(brands, 0, sizeof brands);
	brands[0].locale = "default";
	brands[0].f[BRAND_NAME] = "Example";
	brands[0].f[BRAND_LEGAL_NAME] = "Example Holdings Limited";
	brands[0].f[BRAND_SUPPORT_PHONE] = "+1 555 0100";
	brands[0].f[BRAND_PRIVACY_URL] = "https://example.com/privacy";
	brands[1].locale = "ko";
	brands[1].f[BRAND_NAME] = "예시";
	brands[1].f[BRAND_LEGAL_NAME] = "주식회사 예시";
	brands[1].f[BRAND_SUPPORT] = "help-ko@example.com";
	brands[1].f[BRAND_SUPPORT_PHONE] = "";
	brands[2].locale = "ja";
	brands[2].f[BRAND_NAME] = "例";
	brands[2].f[BRAND_LEGAL_NAME] = "例株式会社";
	brands[2].f[BRAND_SMS_NAME] = "例(株)";
	brands[3].locale = "zh";
	brands[3].f[BRAND_NAME] = "示例";
	brands[3].f[BRAND_LEGAL_NAME] = "示例有限公司";
	cfg.brand.e = brands;
	cfg.brand.n = 4;
	cfg.policy = policy_load(path, &diag);
	cfg.templates = tmplset_load_kinds(dir, kinds, 2, &diag);
	diag_print(&diag, stderr);
	ck_assert_ptr_nonnull(cfg.policy);
	ck_assert_ptr_nonnull(cfg.templates);
	ck_assert_int_eq(tz_from_local("UTC", 2026, 12, 1, 12, 0, 0, &now), 0);
}

static void teardown(void)
{
	char cmd[128];

	tmplset_free(cfg.templates);
	policy_free(cfg.policy);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A reminder of the final step for account 7, 21 days overdue. */
static struct render_row reminder(const char *locale, const char *overdue)
{
	struct render_row r = {
		.account_id = 7,
		.name = "Alex Morgan",
		.account_ref = "ACC-7",
		.locale = locale,
		.timezone = "UTC",
		.template_name = "final",
		.overdue = overdue,
		.balance = overdue,
		.oldest_due = "2026-11-10",
		.invoice_count = 2,
		.invoice_currency = "",
		.invoice_ref = "",
		.dispute_ref = "",
		.resolution = "",
		.promise_date = "",
		.receipt = "",
		.fees = "",
		.track = "t",
		.step = 2,
	};
	return r;
}

static int render(const struct render_row *row, const char *kind, unsigned caps,
		  struct render_out *out)
{
	struct render_env env = {&cfg, cfg.templates, SECRET, now};

	return render_message(&env, row, kind, caps, out);
}

#define has(text, s) ck_assert_msg(strstr((text), (s)) != NULL, "no \"%s\" in:\n%s", (s), (text))

START_TEST(en_email_every_variable)
{
	struct render_row row = reminder("en-US", "USD:12840");
	struct render_out out;
	char token[TOKEN_MAX], url[256];
	int64_t id = 0;

	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT | CHANNEL_CAP_HTML, &out),
			 RENDER_OK);
	ck_assert_str_eq(out.subject, "Example: $128.40");
	has(out.text, "name=Alex Morgan|ref=ACC-7|amount=$128.40|balance=$128.40|");
	has(out.text, "|due=November 10, 2026|days=21|count=2|");
	has(out.text, "|company=Example Ltd|support=help@example.com|brand=Example|");
	has(out.text, "|legal=Example Holdings Limited|sms_name=Example Holdings Limited|");
	has(out.text, "|phone=+1 555 0100|privacy=https://example.com/privacy|");
	has(out.text, "|deadline=December 8, 2026|");
	has(out.text, "|consequence=After December 8, 2026 the service stops.|");
	/* No fees: the total with them is the amount, and no sentence. */
	has(out.text, "|fee=|with_fees=$128.40|");
	has(out.text, "|fee_line=[]");
	/* The pay link is signed for the account and valid for 45 days. */
	ck_assert_int_eq(strncmp(out.pay_url, "https://pay.example.com/p/", 26), 0);
	ck_assert_int_eq(token_check(SECRET, out.pay_url + 26, now + 44 * 86400, &id), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(token_check(SECRET, out.pay_url + 26, now + 46 * 86400, &id), -2);
	ck_assert_int_eq(token_make(SECRET, 7, now + 45 * 86400, token, sizeof token), 0);
	snprintf(url, sizeof url, "|url=https://pay.example.com/p/%s|", token);
	has(out.text, url);
	ck_assert_ptr_nonnull(out.html);
	has(out.html, "Alex Morgan");
	render_out_free(&out);
	ck_assert_ptr_null(out.text);
}
END_TEST

START_TEST(ko_unit_style_and_support_fallback)
{
	struct render_row row = reminder("ko-KR", "KRW:1289000");
	struct render_out out;

	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	ck_assert_str_eq(out.subject, "예시: 1,289,000원");
	has(out.text, "|due=2026년 11월 10일|days=21|");
	has(out.text, "|support=help-ko@example.com|brand=예시|legal=주식회사 예시|");
	/* ko sets an empty phone: where to ask is the support address. */
	has(out.text, "|phone=help-ko@example.com|");
	has(out.text, "|consequence=2026년 12월 8일까지 납부되지 않으면 정지됩니다.|");
	ck_assert_ptr_null(out.html);
	render_out_free(&out);
}
END_TEST

START_TEST(ja_sms_name_and_sms_parts)
{
	struct render_row row = reminder("ja", "JPY:128400");
	struct render_out out;

	/* An SMS channel: no subject, no HTML, whatever the template. */
	ck_assert_int_eq(render(&row, "sms", CHANNEL_CAP_SEGMENTS, &out), RENDER_OK);
	ck_assert_ptr_null(out.subject);
	ck_assert_ptr_null(out.html);
	ck_assert_str_eq(out.text, "例(株): 128,400円 +1 555 0100\n");
	render_out_free(&out);
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	has(out.text, "|due=2026年11月10日|");
	has(out.text, "|sms_name=例(株)|");
	has(out.text, "|consequence=2026年12月8日を過ぎると停止します。|");
	render_out_free(&out);
}
END_TEST

START_TEST(zh_fees_and_total)
{
	struct render_row row = reminder("zh-CN", "CNY:128400");
	struct render_out out;

	row.fees = "CNY:2500";
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	has(out.text, "|amount=¥1,284.00|");
	has(out.text, "|fee=¥25.00|with_fees=¥1,309.00|");
	has(out.text, "|due=2026年11月10日|");
	/* zh sets no sms_name: the legal name fits in 24 characters. */
	has(out.text, "|sms_name=示例有限公司|");
	ck_assert_msg(strstr(out.text, "fee_line=[]") == NULL, "%s", out.text);
	has(out.text, "¥25.00");
	render_out_free(&out);
}
END_TEST

/* Fees in a currency not overdue join the total in currency-code order. */
START_TEST(fees_in_another_currency)
{
	struct render_row row = reminder("en", "USD:10000");
	struct render_out out;

	row.fees = "EUR:500,USD:1500";
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	has(out.text, "|amount=$100.00|");
	has(out.text, "|with_fees=€5.00 + $115.00|");
	render_out_free(&out);
}
END_TEST

/* A notice about one dispute shows that invoice's amount and the
 * handler's resolution; a receipt what its clearing settled. */
START_TEST(dispute_notice_and_receipt)
{
	struct render_row row = reminder("en", "USD:99900");
	struct render_out out;

	row.template_name = "dispute_rejected";
	row.has_invoice = 1;
	row.invoice_amount = 4200;
	row.invoice_currency = "USD";
	row.invoice_ref = "INV-42";
	row.dispute_ref = "D-7";
	row.resolution = "Billed once, as agreed.";
	row.promise_date = "2026-12-05";
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	ck_assert_str_eq(out.subject, "D-7");
	has(out.text, "|amount=$42.00|balance=$999.00|");
	has(out.text, "|inv=INV-42|dispute=D-7|promise=December 5, 2026|");
	has(out.text, "|resolution=Billed once, as agreed.|");
	/* Not a step's template: no deadline, no consequence. */
	has(out.text, "|deadline=|consequence=|");
	render_out_free(&out);

	row.receipt = "EUR:100,USD:4200";
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	has(out.text, "|amount=€1.00 + $42.00|");
	render_out_free(&out);
}
END_TEST

/* A channel that carries no subject gets none from a template that has
 * one; a template missing for the kind is said so. */
START_TEST(parts_and_missing_template)
{
	struct render_row row = reminder("en", "USD:100");
	struct render_out out;

	ck_assert_int_eq(render(&row, "email", 0, &out), RENDER_OK);
	ck_assert_ptr_null(out.subject);
	ck_assert_ptr_null(out.html);
	ck_assert_ptr_nonnull(out.text);
	render_out_free(&out);
	ck_assert_int_eq(render(&row, "webhook", 0, &out), RENDER_NO_TEMPLATE);
	ck_assert_ptr_null(out.text);
	row.template_name = "gentle";
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_NO_TEMPLATE);
}
END_TEST

/* A locale without templates reads English, amounts formatted like it. */
START_TEST(fallback_locale_formats_like_template)
{
	struct render_row row = reminder("fr-FR", "EUR:123450");
	struct render_out out;

	row.timezone = "Not/AZone"; /* read as UTC */
	ck_assert_int_eq(render(&row, "email", CHANNEL_CAP_SUBJECT, &out), RENDER_OK);
	has(out.text, "|amount=€1,234.50|");
	has(out.text, "|due=November 10, 2026|days=21|");
	render_out_free(&out);
}
END_TEST

/* Each variable a template may name is filled by render.c: with a row
 * that has something for every one, none renders empty. */
START_TEST(every_template_variable_filled)
{
	struct render_row row = reminder("en", "USD:12840");
	struct render_out out;
	size_t i;

	row.fees = "USD:1500";
	row.has_invoice = 1;
	row.invoice_amount = 4200;
	row.invoice_currency = "USD";
	row.invoice_ref = "INV-42";
	row.dispute_ref = "D-7";
	row.resolution = "Billed once.";
	row.promise_date = "2026-12-05";
	ck_assert_int_eq(render(&row, "push", 0, &out), RENDER_OK);
	for (i = 0; tmplset_vars[i]; i++) {
		char empty[64];
		snprintf(empty, sizeof empty, "%s=[]", tmplset_vars[i]);
		ck_assert_msg(strstr(out.text, empty) == NULL, "{{ %s }} rendered empty:\n%s",
			      tmplset_vars[i], out.text);
	}
	ck_assert_uint_gt(i, 20);
	render_out_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, en_email_every_variable);
	tcase_add_test(tc, ko_unit_style_and_support_fallback);
	tcase_add_test(tc, ja_sms_name_and_sms_parts);
	tcase_add_test(tc, zh_fees_and_total);
	tcase_add_test(tc, fees_in_another_currency);
	tcase_add_test(tc, dispute_notice_and_receipt);
	tcase_add_test(tc, parts_and_missing_template);
	tcase_add_test(tc, fallback_locale_formats_like_template);
	tcase_add_test(tc, every_template_variable_filled);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
