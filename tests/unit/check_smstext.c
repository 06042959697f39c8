/* Every shipped SMS template, rendered with the shipped configuration and
 * the longest values a reminder plausibly carries, opens with the sender's
 * legal identity (brand.sms_name, which names the brand) in the locale's
 * form, ends with a line naming the support contact and an opt-out word
 * engine/feedback accepts, and costs at most two message parts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "config.h"
#include "diag.h"
#include "feedback.h"
#include "owed.h"
#include "smsseg.h"
#include "tmpl.h"
#include "tmplset.h"
#include "tz.h"

/* 73 characters, as a public_url on a long host plus a link token. */
#define LONG_URL "https://payments.example-telecom.co.kr/p/AbCdEfGhIjKlMnOpQrStUvWxYz012345"

struct sample {
	const struct config *c;
	const char *locale, *brand, *url;
	char amount[256], promise[96];
};

static const char *sample_lookup(void *ctx, const char *name)
{
	struct sample *s = ctx;

	if (!strcmp(name, "brand"))
		return s->brand;
	if (!strcmp(name, "company"))
		return "Example Telecommunications Holdings";
	if (!strcmp(name, "name"))
		return "Maximilian Alexander Fitzgerald-Montgomery";
	if (!strcmp(name, "amount") || !strcmp(name, "balance"))
		return s->amount;
	if (!strcmp(name, "pay_url"))
		return s->url;
	if (!strcmp(name, "days_overdue"))
		return "365";
	if (!strcmp(name, "invoice_count"))
		return "12";
	if (!strcmp(name, "invoice_ref"))
		return "INV-2026-000123";
	if (!strcmp(name, "resolution"))
		return "The charge is for the October plan; nothing was billed twice.";
	if (!strcmp(name, "dispute_ref"))
		return "D-2026-000045";
	if (!strcmp(name, "account_ref"))
		return "ACC-000012345";
	if (!strcmp(name, "promise_date"))
		return s->promise;
	if (!strcmp(name, "support"))
		return "support@example.com";
	if (!strcmp(name, "sms_name"))
		return config_brand_field(s->c, s->locale, BRAND_SMS_NAME);
	if (!strcmp(name, "legal_name"))
		return config_brand_field(s->c, s->locale, BRAND_LEGAL_NAME);
	if (!strcmp(name, "support_phone"))
		return config_brand_field(s->c, s->locale, BRAND_SUPPORT_PHONE);
	if (!strcmp(name, "due_date") || !strcmp(name, "deadline"))
		return s->promise;
	return NULL;
}

/* Per language: how the sender is set off, the closing line (before and after the
 * support phone), its opt-out keyword, and a currency the locale
 * bills in. Korea's and Japan's texts say where to ask and to stop as
 * their bills do, at one number (a reply of the keyword works as well);
 * the others say how to reply. */
static const struct {
	const char *lang, *open, *close, *before, *after, *keyword, *currency;
	int64_t minor;
} forms[] = {
	{"en", "", ": ", "Questions: ", ". Reply STOP to opt out.", "STOP", "USD", 1234567890},
	{"ko", "[", "] ", "문의·수신거부 ", "", "수신거부", "KRW", 123456789},
	{"ja", "【", "】", "お問合せ・配信停止：", "", "配信停止", "JPY", 123456789},
	{"zh-Hant", "【", "】", "客服", "，回覆TD退訂", "TD", "TWD", 1234567890},
	{"zh", "【", "】", "客服", "，回TD退订", "TD", "CNY", 1234567890},
};

START_TEST(test_every_sms_template)
{
	const char *src = getenv("DUNN_SRCDIR");
	char path[4096];
	struct diag diag = {0};
	struct config cfg = {0}, *c;
	struct tmplset *ts;
	size_t nsms = 0;
	int bad = 0;

	/* The shipped brand map (loading the whole file needs the channel
	 * modules, which load only into the daemon) and the shipped templates. */
	snprintf(path, sizeof path, "%s/config/dunnd.json", src ? src : ".");
	json_t *root = json_load_file(path, 0, NULL), *brand, *v;
	const char *key;
	ck_assert_ptr_nonnull(root);
	brand = json_object_get(root, "brand");
	ck_assert_msg(json_is_object(brand), "%s has no \"brand\" object", path);
	cfg.company = (char *)json_string_value(json_object_get(root, "company"));
	cfg.brand.e = calloc(json_object_size(brand), sizeof *cfg.brand.e);
	ck_assert(cfg.company && cfg.brand.e);
	json_object_foreach(brand, key, v)
	{
		struct brand_entry *be = &cfg.brand.e[cfg.brand.n++];
		be->locale = (char *)key;
		ck_assert_msg(json_object_get(v, "sms_name"), "%s: brand.%s sets no sms_name", path,
			      key);
		be->f[BRAND_NAME] = (char *)json_string_value(
			json_is_object(v) ? json_object_get(v, "name") : v);
		if (json_is_object(v))
			for (int bf = 0; bf < BRAND_NFIELDS; bf++)
				be->f[bf] = (char *)json_string_value(
					json_object_get(v, brand_field_key((enum brand_field)bf)));
	}
	snprintf(path, sizeof path, "%s/config/templates", src ? src : ".");
	ts = tmplset_load(path, &diag);
	if (!ts)
		diag_print(&diag, stderr);
	ck_assert_msg(ts != NULL, "%s does not load", path);
	c = &cfg;
	ck_assert_uint_eq(strlen(LONG_URL), 73);
	for (size_t i = 0; i < tmplset_count(ts); i++) {
		const struct tmplset_entry *e = tmplset_entry_at(ts, i);
		struct sample s = {.c = &cfg, .locale = e->locale, .url = LONG_URL};
		struct smsseg_info info;
		size_t f = 0, len;
		char *text;

		if (strcmp(e->kind, "sms") != 0)
			continue;
		nsms++;
		while (f < sizeof forms / sizeof forms[0] &&
		       strncmp(e->locale, forms[f].lang, strlen(forms[f].lang)) != 0)
			f++;
		ck_assert_msg(f < sizeof forms / sizeof forms[0], "%s: no form for its locale",
			      e->path);
		s.brand = config_brand(c, e->locale);
		ck_assert_msg(strcmp(s.brand, c->company) != 0 || !strcmp(forms[f].lang, "en"),
			      "%s: no brand of its own for %s", e->path, e->locale);
		struct owed o = {.minor = forms[f].minor};
		snprintf(o.currency, sizeof o.currency, "%s", forms[f].currency);
		ck_assert_int_gt(owed_format_style(&o, 1, e->locale,
						   config_money_style(c, e->locale), s.amount,
						   sizeof s.amount),
				 0);
		if (tz_format_date(2026, 12, 31, e->locale, s.promise, sizeof s.promise) < 0)
			snprintf(s.promise, sizeof s.promise, "2026-12-31");
		text = tmpl_render(e->body, sample_lookup, &s, TMPL_RAW);
		ck_assert_ptr_nonnull(text);
		len = strlen(text);
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';

		/* The legal identity is configured for every shipped locale and
		 * names the brand the customer knows. */
		const char *sms_name = config_brand_field(c, e->locale, BRAND_SMS_NAME);
		const char *phone = config_brand_field(c, e->locale, BRAND_SUPPORT_PHONE);
		ck_assert_msg(*phone, "%s: no support_phone for %s", e->path, e->locale);
		ck_assert_msg(strstr(sms_name, s.brand) != NULL,
			      "%s: sms_name \"%s\" does not name the brand \"%s\"", e->path,
			      sms_name, s.brand);
		char head[128], tail[160];
		snprintf(head, sizeof head, "%s%s%s", forms[f].open, sms_name, forms[f].close);
		if (strncmp(text, head, strlen(head)) != 0)
			bad += fprintf(stderr, "%s does not start with \"%s\": %s\n", e->path, head,
				       text) > 0;
		snprintf(tail, sizeof tail, "%s%s%s", forms[f].before, phone, forms[f].after);
		size_t ol = strlen(tail);
		if (len < ol || strcmp(text + len - ol, tail) != 0)
			bad += fprintf(stderr, "%s does not end with \"%s\": %s\n", e->path, tail,
				       text) > 0;
		if (!strstr(tail, forms[f].keyword))
			bad += fprintf(stderr, "%s: \"%s\" lacks \"%s\"\n", e->path, tail,
				       forms[f].keyword) > 0;
		ck_assert_int_eq(feedback_keyword(forms[f].keyword), FEEDBACK_KW_STOP);
		ck_assert_int_eq(smsseg_count(text, len, &info), 0);
		if (info.segments > 2)
			bad += fprintf(stderr, "%s: %zu parts (%zu %s units): %s\n", e->path,
				       info.segments, info.units,
				       smsseg_encoding_name(info.encoding), text) > 0;
		free(text);
	}
	ck_assert_uint_ge(nsms, 40);
	ck_assert_msg(bad == 0, "%d SMS texts out of form (listed above)", bad);
	tmplset_free(ts);
	free(cfg.brand.e);
	json_decref(root);
	diag_free(&diag);
}
END_TEST

START_TEST(test_brand_fallback)
{
	struct config c = {.company = "Co"};
	struct brand_entry e[] = {
		{.locale = "default", .f = {[BRAND_NAME] = "Def", [BRAND_SUPPORT] = "help@def"}},
		{.locale = "ko", .f = {[BRAND_NAME] = "KO", [BRAND_LEGAL_NAME] = "KO Ltd"}},
		{.locale = "zh", .f = {[BRAND_NAME] = "ZH"}},
		{.locale = "zh-Hant", .f = {[BRAND_NAME] = "HANT"}},
		{.locale = "ja-JP", .f = {[BRAND_NAME] = "JAJP"}},
	};

	ck_assert_str_eq(config_brand(&c, "ko-KR"), "Co");
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_LEGAL_NAME), "Co");
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SUPPORT_PHONE), "");
	c.brand.e = e;
	c.brand.n = 5;
	/* Each field follows the chain on its own. */
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_LEGAL_NAME), "KO Ltd");
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SUPPORT), "help@def");
	ck_assert_str_eq(config_brand_field(&c, "ja", BRAND_LEGAL_NAME), "Co");
	ck_assert_str_eq(config_brand(&c, "ko-KR"), "KO");
	ck_assert_str_eq(config_brand(&c, "KO"), "KO");
	ck_assert_str_eq(config_brand(&c, "zh-CN"), "ZH");
	ck_assert_str_eq(config_brand(&c, "zh-Hans-CN"), "ZH");
	ck_assert_str_eq(config_brand(&c, "zh-TW"), "HANT");
	ck_assert_str_eq(config_brand(&c, "zh-HK"), "HANT");
	ck_assert_str_eq(config_brand(&c, "zh-Hant-TW"), "HANT");
	ck_assert_str_eq(config_brand(&c, "ja-JP"), "JAJP");
	/* An SMS opens with the legal name when it is short enough, else the
	 * name; an sms_name set anywhere on the chain wins. */
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SMS_NAME), "KO Ltd");
	ck_assert_str_eq(config_brand_field(&c, "ja-JP", BRAND_SMS_NAME), "Co");
	e[1].f[BRAND_LEGAL_NAME] = "KO Telecommunications Holdings Ltd";
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SMS_NAME), "KO");
	e[0].f[BRAND_SMS_NAME] = "Def Ltd";
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SMS_NAME), "Def Ltd");
	ck_assert_str_eq(config_brand(&c, "ja"), "Def");
	ck_assert_str_eq(config_brand(&c, "en-US"), "Def");
	ck_assert_str_eq(config_brand(&c, NULL), "Def");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smstext");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_sms_template);
	tcase_add_test(tc, test_brand_fallback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
