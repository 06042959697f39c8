/* Every shipped template rendered as a customer would read it, for
 * review: build/samples/<locale>/<name>.<kind>.txt (and .html for email),
 * with the shipped brand, money style and policy (a step's deadline and
 * consequence) and plausible values in each language. The test asserts
 * every one was written and says something, and that every one names
 * who is asking: the legal name (an SMS its short legal form, sms_name) and
 * the support contact; a call script the legal name the agent gives. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "config.h"
#include "diag.h"
#include "owed.h"
#include "policy.h"
#include "texthtml.h"
#include "tmpl.h"
#include "tmplset.h"
#include "tz.h"

/* What one customer of each language owes and is called. */
static const struct {
	const char *lang, *name, *currency;
	int64_t minor;
} people[] = {
	{"en", "Alex Morgan", "USD", 12840}, {"ko", "김민지", "KRW", 1289000},
	{"ja", "山田 花子", "JPY", 128400},  {"zh-Hant", "陳美玲", "TWD", 150000},
	{"zh", "王伟", "CNY", 128400},
};

struct sample {
	const struct config *c;
	const char *locale, *name, *brand;
	char amount[128], due[64], promise[64], deadline[64];
	char *consequence;
};

static const char *lookup(void *ctx, const char *var)
{
	struct sample *s = ctx;

	if (!strcmp(var, "name"))
		return s->name;
	if (!strcmp(var, "account_ref"))
		return "ACC-000123";
	if (!strcmp(var, "amount") || !strcmp(var, "balance"))
		return s->amount;
	if (!strcmp(var, "due_date"))
		return s->due;
	if (!strcmp(var, "days_overdue"))
		return "21";
	if (!strcmp(var, "invoice_count"))
		return "2";
	if (!strcmp(var, "pay_url"))
		return "https://pay.example.com/p/SAMPLE-LINK-TOKEN";
	if (!strcmp(var, "company"))
		return s->c->company;
	if (!strcmp(var, "brand"))
		return s->brand;
	if (!strcmp(var, "invoice_ref"))
		return "INV-2026-0042";
	if (!strcmp(var, "resolution"))
		return "The charge is for the October plan; nothing was billed twice.";
	if (!strcmp(var, "dispute_ref"))
		return "D-2026-0007";
	if (!strcmp(var, "promise_date"))
		return s->promise;
	if (!strcmp(var, "deadline"))
		return s->deadline;
	if (!strcmp(var, "consequence"))
		return s->consequence;
	if (!strcmp(var, "support"))
		return config_brand_field(s->c, s->locale, BRAND_SUPPORT);
	if (!strcmp(var, "legal_name"))
		return config_brand_field(s->c, s->locale, BRAND_LEGAL_NAME);
	if (!strcmp(var, "support_phone"))
		return config_brand_field(s->c, s->locale, BRAND_SUPPORT_PHONE);
	if (!strcmp(var, "privacy_url"))
		return config_brand_field(s->c, s->locale, BRAND_PRIVACY_URL);
	if (!strcmp(var, "sms_name"))
		return config_brand_field(s->c, s->locale, BRAND_SMS_NAME);
	return NULL;
}

/* The shipped policy's step that sends template name, if any. */
static const struct policy_step *step_of(const struct policy *p, const char *name)
{
	for (size_t t = 0; p && t < p->ntracks; t++)
		for (size_t s = 0; s < p->tracks[t].nsteps; s++)
			if (!strcmp(p->tracks[t].steps[s].template, name))
				return &p->tracks[t].steps[s];
	return NULL;
}

static void write_file(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	if (a)
		fprintf(f, "Subject: %s\n\n", a);
	fputs(b, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(every_template_rendered_for_review)
{
	const char *src = getenv("DUNN_SRCDIR"), *build = getenv("DUNN_BUILD");
	char path[4096], out[2048];
	struct diag diag = {0};
	struct config cfg = {0};
	size_t written = 0, bad = 0;
	json_t *root, *brand, *v;
	const char *key;

	snprintf(path, sizeof path, "%s/config/dunnd.json", src ? src : ".");
	root = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(root);
	cfg.company = (char *)json_string_value(json_object_get(root, "company"));
	cfg.support = (char *)json_string_value(json_object_get(root, "support"));
	brand = json_object_get(root, "brand");
	cfg.brand.e = calloc(json_object_size(brand) + 1, sizeof *cfg.brand.e);
	ck_assert_ptr_nonnull(cfg.brand.e);
	json_object_foreach(brand, key, v)
	{
		struct brand_entry *be = &cfg.brand.e[cfg.brand.n++];
		be->locale = (char *)key;
		if (json_is_string(v))
			be->f[BRAND_NAME] = (char *)json_string_value(v);
		for (int f = 0; json_is_object(v) && f < BRAND_NFIELDS; f++)
			be->f[f] = (char *)json_string_value(
				json_object_get(v, brand_field_key((enum brand_field)f)));
	}
	snprintf(path, sizeof path, "%s/config/policy.json", src ? src : ".");
	struct policy *pol = policy_load(path, &diag);
	snprintf(path, sizeof path, "%s/config/templates", src ? src : ".");
	struct tmplset *ts = tmplset_load(path, &diag);
	diag_print(&diag, stderr);
	ck_assert(pol && ts);

	snprintf(out, sizeof out, "%s/samples", build ? build : "build");
	mkdir(out, 0755);
	for (size_t i = 0; i < tmplset_count(ts); i++) {
		const struct tmplset_entry *e = tmplset_entry_at(ts, i);
		const struct policy_step *st = step_of(pol, e->name);
		struct sample s = {.c = &cfg, .locale = e->locale};
		size_t k = 0;
		char *subject = NULL, *text, *html;
		char file[4096];

		while (k < sizeof people / sizeof people[0] &&
		       strncmp(e->locale, people[k].lang, strlen(people[k].lang)))
			k++;
		ck_assert_msg(k < sizeof people / sizeof people[0], "%s: no sample person",
			      e->path);
		s.name = people[k].name;
		s.brand = config_brand(&cfg, e->locale);
		struct owed o = {.minor = people[k].minor};
		snprintf(o.currency, sizeof o.currency, "%s", people[k].currency);
		ck_assert_int_gt(owed_format_style(&o, 1, e->locale,
						   config_money_style(&cfg, e->locale), s.amount,
						   sizeof s.amount),
				 0);
		/* As local bills write their own currency (the shipped money_style). */
		if (!strcmp(e->locale, "ko"))
			ck_assert_str_eq(s.amount, "1,289,000원");
		if (!strcmp(e->locale, "ja"))
			ck_assert_str_eq(s.amount, "128,400円");
		ck_assert_int_ge(tz_format_date(2026, 11, 10, e->locale, s.due, sizeof s.due), 0);
		ck_assert_int_ge(
			tz_format_date(2026, 12, 5, e->locale, s.promise, sizeof s.promise), 0);
		if (st && st->deadline_days)
			ck_assert_int_ge(tz_format_date(2026, 12, 1 + st->deadline_days, e->locale,
							s.deadline, sizeof s.deadline),
					 0);
		if (st && policy_consequence(st, e->locale))
			s.consequence = tmpl_render(policy_consequence(st, e->locale), lookup, &s,
						    TMPL_RAW);

		snprintf(file, sizeof file, "%s/%s", out, e->locale);
		mkdir(file, 0755);
		text = tmpl_render(e->body, lookup, &s, TMPL_RAW);
		if (e->subject)
			subject = tmpl_render(e->subject, lookup, &s, TMPL_RAW);
		ck_assert_ptr_nonnull(text);
		/* A placeholder left over, or a variable that rendered empty,
		 * would reach a customer as such. */
		if (strstr(text, "{{") || strstr(text, "  ") || (subject && !*subject)) {
			fprintf(stderr, "%s: reads badly:\n%s\n", e->path, text);
			bad++;
		}
		/* Who is asking, and where to ask. */
		int sms = !strcmp(e->kind, "sms"), call = !strcmp(e->kind, "phone_task");
		const char *legal = config_brand_field(&cfg, e->locale,
						       sms ? BRAND_SMS_NAME : BRAND_LEGAL_NAME);
		const char *phone = config_brand_field(&cfg, e->locale, BRAND_SUPPORT_PHONE);
		const char *support = config_brand_field(&cfg, e->locale, BRAND_SUPPORT);
		if (!*legal || !strstr(text, legal)) {
			fprintf(stderr, "%s: does not name \"%s\":\n%s\n", e->path, legal, text);
			bad++;
		}
		if (!*phone || !strstr(text, phone) ||
		    (!sms && !call && (!*support || !strstr(text, support)))) {
			fprintf(stderr, "%s: does not name the support contact (%s, %s):\n%s\n",
				e->path, phone, support, text);
			bad++;
		}
		snprintf(file, sizeof file, "%s/%s/%s.%s.txt", out, e->locale, e->name, e->kind);
		write_file(file, subject, text);
		written++;
		if (!strcmp(e->kind, "email")) {
			html = texthtml_from_text(text);
			ck_assert_ptr_nonnull(html);
			snprintf(file, sizeof file, "%s/%s/%s.%s.html", out, e->locale, e->name,
				 e->kind);
			write_file(file, NULL, html);
			free(html);
			written++;
		}
		struct stat sb;
		ck_assert_int_eq(stat(file, &sb), 0);
		ck_assert_int_gt(sb.st_size, 20);
		free(subject);
		free(text);
		free(s.consequence);
	}
	printf("samples: %zu files in %s\n", written, out);
	ck_assert_uint_ge(written, 5 * 36);
	ck_assert_msg(bad == 0, "%zu samples read badly (above)", bad);
	tmplset_free(ts);
	policy_free(pol);
	free(cfg.brand.e);
	json_decref(root);
	diag_free(&diag);
}
END_TEST

/* A whole file's text, or NULL. Caller frees. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* The wording a native reader of each language flagged (issue 17) stays
 * fixed: none of it in any shipped template or the page's words, and the
 * replacements where they belong. Same-day deadlines on a message that may
 * be read tomorrow, and threats no shipped step backs, are gone too. */
START_TEST(flagged_wording_stays_fixed)
{
	static const char *const never[] = {
		"本メールは破棄",
		"延滞しております",
		"精算が必要です",
		"お知らせいただく",
		"1 = 不満",
		"(으)로",
		"지났음을 알려 드립니다",
		"谢谢您，请忽略",
		"敬请谅解",
		"我不认识这笔费用",
		"오늘 중",
		"本日中",
		"请于今天",
		"請於今天",
		"avoid a call",
		"询问",
		"₩",
		"￥",
		"query",
	};
	static const struct {
		const char *file, *says;
	} want[] = {
		{"http/page_strings.c", "お支払い予定日のご連絡"},
		{"http/page_strings.c", "1 = 大変不満"},
		{"http/page_strings.c", "我不清楚这笔费用的来由"},
		{"config/templates/ja/gentle.email", "行き違い"},
		{"config/templates/ja/final.email", "ご入金が確認できておりません"},
		{"config/templates/ko/gentle.email", "지났습니다"},
		{"config/templates/zh/gentle.email", "如您已付款，请忽略本提醒"},
		{"config/templates/zh/dispute_upheld.email", "深表歉意"},
		/* One word for a dispute, in the mails as on the page. */
		{"config/templates/ko/dispute_ack.email", "이의 신청"},
		{"http/page_strings.c", "이의 신청"},
		{"config/templates/zh/dispute_ack.email", "异议"},
		{"http/page_strings.c", "异议"},
		{"config/templates/en/dispute_ack.email", "dispute"},
	};
	static const char *const locales[] = {"en", "ko", "ja", "zh", "zh-Hant"};
	static const char *const names[] = {
		"gentle",      "firm",           "urgent",           "final",
		"dispute_ack", "dispute_upheld", "dispute_rejected", "payment_received",
		"promise_ack",
	};
	static const char *const kinds[] = {"email", "sms", "phone_task", "webhook"};
	const char *src = getenv("DUNN_SRCDIR");
	char path[4096];
	size_t files = 0;

	if (!src)
		src = ".";
	for (size_t l = 0; l < sizeof locales / sizeof locales[0]; l++)
		for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
			for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
				snprintf(path, sizeof path, "%s/config/templates/%s/%s.%s", src,
					 locales[l], names[n], kinds[k]);
				char *t = slurp(path);
				ck_assert_msg(t != NULL, "%s: %s", path, strerror(errno));
				for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
					ck_assert_msg(!strstr(t, never[i]), "%s says \"%s\"", path,
						      never[i]);
				free(t);
				files++;
			}
	snprintf(path, sizeof path, "%s/http/page_strings.c", src);
	char *page = slurp(path);
	ck_assert_ptr_nonnull(page);
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		ck_assert_msg(!strstr(page, never[i]), "%s says \"%s\"", path, never[i]);
	free(page);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", src, want[i].file);
		char *t = slurp(path);
		ck_assert_msg(t != NULL, "%s: %s", path, strerror(errno));
		ck_assert_msg(strstr(t, want[i].says), "%s does not say \"%s\"", path,
			      want[i].says);
		free(t);
	}
	ck_assert_uint_eq(files, 5 * 9 * 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("samples");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_template_rendered_for_review);
	tcase_add_test(tc, flagged_wording_stays_fixed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
