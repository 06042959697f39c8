#include "smsfit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brand.h"
#include "channel.h"
#include "config.h"
#include "jconf.h"
#include "owed.h"
#include "smsseg.h"
#include "tmpl.h"
#include "tmplset.h"
#include "tz.h"

/* 73 characters, as a public_url on a long host plus a link token. */
#define LONG_URL "https://payments.example-telecom.co.kr/p/AbCdEfGhIjKlMnOpQrStUvWxYz012345"

/* A currency each language bills in and a large amount of it: the
 * values check_smstext measures the shipped texts with. */
static const struct {
	const char *lang, *currency;
	int64_t minor;
} amounts[] = {
	{"ko", "KRW", 123456789},  {"ja", "JPY", 123456789},  {"zh-Hant", "TWD", 1234567890},
	{"zh", "CNY", 1234567890}, {"en", "USD", 1234567890},
};

struct fit {
	const struct config *c;
	const char *locale;
	char amount[256], date[96];
};

static const char *fit_lookup(void *ctx, const char *name)
{
	struct fit *s = ctx;
	const char *v;

	if (!strcmp(name, "sms_name"))
		return config_brand_field(s->c, s->locale, BRAND_SMS_NAME);
	if (!strcmp(name, "support_phone")) {
		v = config_brand_field(s->c, s->locale, BRAND_SUPPORT_PHONE);
		return *v ? v : config_brand_field(s->c, s->locale, BRAND_SUPPORT);
	}
	if (!strcmp(name, "support"))
		return config_brand_field(s->c, s->locale, BRAND_SUPPORT);
	if (!strcmp(name, "legal_name"))
		return config_brand_field(s->c, s->locale, BRAND_LEGAL_NAME);
	if (!strcmp(name, "brand"))
		return config_brand(s->c, s->locale);
	if (!strcmp(name, "company"))
		return s->c->company ? s->c->company : "";
	if (!strcmp(name, "privacy_url"))
		return config_brand_field(s->c, s->locale, BRAND_PRIVACY_URL);
	if (!strcmp(name, "name"))
		return "Maximilian Alexander Fitzgerald-Montgomery";
	if (!strcmp(name, "amount") || !strcmp(name, "balance") ||
	    !strcmp(name, "amount_with_fees"))
		return s->amount;
	if (!strcmp(name, "pay_url"))
		return LONG_URL;
	if (!strcmp(name, "days_overdue"))
		return "365";
	if (!strcmp(name, "invoice_count"))
		return "12";
	if (!strcmp(name, "invoice_ref"))
		return "INV-2026-000123";
	if (!strcmp(name, "dispute_ref"))
		return "D-2026-000045";
	if (!strcmp(name, "account_ref"))
		return "ACC-000012345";
	if (!strcmp(name, "promise_date") || !strcmp(name, "due_date") || !strcmp(name, "deadline"))
		return s->date;
	return "";
}

static void check_one(const struct config *c, const struct tmplset_entry *e, const char *locale,
		      const struct jconf *j, struct diag *warn)
{
	struct fit s = {.c = c, .locale = locale};
	struct smsseg_info info;
	size_t a = 0, len;
	char *text, *jp;

	while (a + 1 < sizeof amounts / sizeof amounts[0] &&
	       strncasecmp(e->locale, amounts[a].lang, strlen(amounts[a].lang)))
		a++;
	struct owed o = {.minor = amounts[a].minor};
	snprintf(o.currency, sizeof o.currency, "%s", amounts[a].currency);
	if (owed_format_style(&o, 1, e->locale, config_money_style(c, locale), s.amount,
			      sizeof s.amount) < 0)
		snprintf(s.amount, sizeof s.amount, "%s 12,345,678.90", amounts[a].currency);
	if (tz_format_date(2026, 9, 30, e->locale, s.date, sizeof s.date) < 0)
		snprintf(s.date, sizeof s.date, "2026-09-30");
	text = tmpl_render(e->body, fit_lookup, &s, TMPL_RAW);
	if (!text)
		return;
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	if (smsseg_count(text, len, &info) == 0 && info.segments > 2) {
		const char *name = config_brand_field(c, locale, BRAND_SMS_NAME);
		char *entry = jconf_path("brand", locale);
		jp = entry ? jconf_path(entry, "sms_name") : NULL;
		json_t *be = json_object_get(json_object_get(j->root, "brand"), locale);
		diag_at(warn, c->path, j->text,
			json_object_get(be, "sms_name") && jp ? jp
				: be && entry                 ? entry
							      : "brand",
			1,
			"warning: %s for %s takes %zu SMS parts (%zu %s units) with sms_name '%s', "
			"a large amount and a 73-character link; the texts are written for two (a "
			"shorter sms_name or support_phone would fit them)",
			e->path, locale, info.segments, info.units,
			smsseg_encoding_name(info.encoding), name);
		free(jp);
		free(entry);
	}
	free(text);
}

void smsfit_warnings(const struct config *c, struct diag *warn)
{
	struct diag ignore = {0};
	struct jconf j;
	const char *kinds[8];
	size_t nk = 0;

	for (size_t i = 0; i < c->nchannels && nk < sizeof kinds / sizeof kinds[0]; i++)
		if ((c->channels[i].caps & CHANNEL_CAP_SEGMENTS) && c->channels[i].template_kind)
			kinds[nk++] = c->channels[i].template_kind;
	if (nk == 0 || !c->templates)
		return;
	jconf_open(&j, c->path, &ignore);
	for (size_t i = 0; i < tmplset_count(c->templates); i++) {
		const struct tmplset_entry *e = tmplset_entry_at(c->templates, i);
		size_t k = 0;
		while (k < nk && strcmp(kinds[k], e->kind))
			k++;
		if (k == nk)
			continue;
		check_one(c, e, e->locale, &j, warn);
		for (size_t b = 0; b < c->brand.n; b++)
			/* A brand locale whose customers read this template. */
			if (strcasecmp(c->brand.e[b].locale, e->locale) &&
			    strcmp(c->brand.e[b].locale, "default") &&
			    tmplset_find(c->templates, c->brand.e[b].locale, e->name, e->kind) == e)
				check_one(c, e, c->brand.e[b].locale, &j, warn);
	}
	jconf_close(&j);
	diag_free(&ignore);
}
