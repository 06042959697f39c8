/* Rendering a message: the template, its variables, its parts. Amounts
 * and dates are formatted in the locale of the template chosen
 * (tmplset_format_locale), so they read like the words around them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "fee_text.h"
#include "owed.h"
#include "render.h"
#include "texthtml.h"
#include "tmpl.h"
#include "token.h"
#include "tz.h"

/* How long a pay link in a message stays valid. */
#define LINK_DAYS 45

/* Values a template may use, looked up by name while rendering. */
struct vars {
	const char *name, *account_ref, *pay_url, *company, *support, *invoice_ref, *dispute_ref;
	const char *brand, *legal_name, *sms_name, *support_phone, *privacy_url, *resolution;
	char amount[256], balance[256], due_date[96], days_overdue[24], invoice_count[24];
	char promise_date[96], deadline[96];
	char fee[256], amount_with_fees[256], fee_line[1024];
	char *consequence; /* rendered from the step's text, owned */
};

static const char *var_lookup(void *ctx, const char *name)
{
	struct vars *v = ctx;

	if (!strcmp(name, "name"))
		return v->name;
	if (!strcmp(name, "account_ref"))
		return v->account_ref;
	if (!strcmp(name, "amount"))
		return v->amount;
	if (!strcmp(name, "balance"))
		return v->balance;
	if (!strcmp(name, "due_date"))
		return v->due_date;
	if (!strcmp(name, "days_overdue"))
		return v->days_overdue;
	if (!strcmp(name, "invoice_count"))
		return v->invoice_count;
	if (!strcmp(name, "pay_url"))
		return v->pay_url;
	if (!strcmp(name, "company"))
		return v->company;
	if (!strcmp(name, "support"))
		return v->support;
	if (!strcmp(name, "brand"))
		return v->brand;
	if (!strcmp(name, "deadline"))
		return v->deadline;
	if (!strcmp(name, "consequence"))
		return v->consequence;
	if (!strcmp(name, "legal_name"))
		return v->legal_name;
	if (!strcmp(name, "sms_name"))
		return v->sms_name;
	if (!strcmp(name, "support_phone"))
		return v->support_phone;
	if (!strcmp(name, "privacy_url"))
		return v->privacy_url;
	if (!strcmp(name, "invoice_ref"))
		return v->invoice_ref;
	if (!strcmp(name, "dispute_ref"))
		return v->dispute_ref;
	if (!strcmp(name, "promise_date"))
		return v->promise_date;
	if (!strcmp(name, "fee"))
		return v->fee;
	if (!strcmp(name, "amount_with_fees"))
		return v->amount_with_fees;
	if (!strcmp(name, "fee_line"))
		return v->fee_line;
	if (!strcmp(name, "resolution"))
		return v->resolution;
	return NULL;
}

static int64_t days_between(int y, int m, int d, const struct tz_local *now)
{
	int64_t a, b;

	if (tz_from_local("UTC", y, m, d, 0, 0, 0, &a) != 0 ||
	    tz_from_local("UTC", now->year, now->month, now->day, 0, 0, 0, &b) != 0)
		return 0;
	return (b - a) / 86400;
}

/* What the step that sends the message says beyond the template: its
 * deadline, a date in the customer's zone deadline_days after now, and
 * its consequence in the template's language (which may say the date).
 * --check-config made sure a template using them has them. */
static void fill_step(const struct render_env *env, const struct render_row *row,
		      const struct tmplset_entry *te, const char *locale, struct vars *v)
{
	const struct policy_step *st = policy_step_for(env->cfg->policy, row->track, row->step,
						       row->template_name);
	const struct tmpl *ct;
	struct tz_local lt;

	if (!st)
		return;
	if (st->deadline_days > 0) {
		int64_t yy;
		int m, d;
		if (tz_local(row->timezone, env->now, &lt) != 0)
			tz_local("UTC", env->now, &lt);
		tz_civil_from_days(tz_days_from_civil(lt.year, lt.month, lt.day) +
					   st->deadline_days,
				   &yy, &m, &d);
		if (tz_format_date((int)yy, m, d, locale, v->deadline, sizeof v->deadline) < 0)
			snprintf(v->deadline, sizeof v->deadline, "%04d-%02d-%02d", (int)yy, m, d);
	}
	ct = policy_consequence(st, te->locale);
	if (ct)
		v->consequence = tmpl_render(ct, var_lookup, v, TMPL_RAW);
}

/* {{ fee }}: the case's fees still owed; {{ amount_with_fees }}: what is
 * overdue plus them, per currency; {{ fee_line }}: a sentence saying both
 * in the template's language, empty when there are no fees. Without fees
 * {{ amount_with_fees }} is {{ amount }}. */
static void fill_fees(const char *list, const struct owed *over, int nover, const char *tlocale,
		      const char *locale, int style, struct vars *v)
{
	struct owed fees[OWED_MAX_CURRENCIES], sum[2 * OWED_MAX_CURRENCIES];
	int nfees = owed_parse(list, fees, OWED_MAX_CURRENCIES);
	size_t n = 0;

	for (int i = 0; i < nover; i++)
		sum[n++] = over[i];
	for (int i = 0; i < nfees; i++) {
		size_t k;
		for (k = 0; k < n && strcmp(sum[k].currency, fees[i].currency) != 0; k++)
			;
		if (k == n)
			sum[n++] = (struct owed){{0}, 0};
		memcpy(sum[k].currency, fees[i].currency, 4);
		if (owed_add(&sum[k].minor, fees[i].minor) != 0)
			nfees = -1; /* past the bound: say nothing of fees */
	}
	/* Currency-code order, as every list of amounts is shown. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(sum[k - 1].currency, sum[k].currency) > 0; k--) {
			struct owed t = sum[k];
			sum[k] = sum[k - 1];
			sum[k - 1] = t;
		}
	if (nfees <= 0) {
		snprintf(v->amount_with_fees, sizeof v->amount_with_fees, "%s", v->amount);
		return;
	}
	owed_format_style(fees, (size_t)nfees, locale, style, v->fee, sizeof v->fee);
	owed_format_style(sum, n, locale, style, v->amount_with_fees, sizeof v->amount_with_fees);
	fee_line_format(tlocale, v->fee, v->amount_with_fees, v->fee_line, sizeof v->fee_line);
}

/* Every variable, formatted in locale (the template's format locale). */
static void fill_vars(const struct render_env *env, const struct render_row *row,
		      const struct tmplset_entry *te, const char *locale, struct vars *v, char *url,
		      size_t urllen)
{
	const struct config *c = env->cfg;
	const char *due = row->oldest_due;
	struct owed over[OWED_MAX_CURRENCIES], bal[OWED_MAX_CURRENCIES];
	int nover = owed_parse(row->overdue, over, OWED_MAX_CURRENCIES);
	int nbal = owed_parse(row->balance, bal, OWED_MAX_CURRENCIES);
	/* A notice about one invoice (a payment, a dispute) shows its amount. */
	if (row->has_invoice) {
		snprintf(over[0].currency, sizeof over[0].currency, "%s", row->invoice_currency);
		over[0].minor = row->invoice_amount;
		nover = 1;
	}
	if (*row->receipt) {
		struct owed paid[OWED_MAX_CURRENCIES];
		int npaid = owed_parse(row->receipt, paid, OWED_MAX_CURRENCIES);
		if (npaid > 0) {
			memcpy(over, paid, sizeof paid);
			nover = npaid;
		}
	}
	int64_t now = env->now;
	char token[TOKEN_MAX];
	struct tz_local lt;
	int y = 0, m = 0, d = 0;

	memset(v, 0, sizeof *v);
	v->name = row->name;
	v->account_ref = row->account_ref;
	v->company = c->company;
	v->support = config_brand_field(c, locale, BRAND_SUPPORT);
	v->brand = config_brand(c, locale);
	v->legal_name = config_brand_field(c, locale, BRAND_LEGAL_NAME);
	v->sms_name = config_brand_field(c, locale, BRAND_SMS_NAME);
	v->support_phone = config_brand_field(c, locale, BRAND_SUPPORT_PHONE);
	/* Every text closes with where to ask and stop: with no phone, the
	 * support address is that place. */
	if (!*v->support_phone)
		v->support_phone = v->support;
	v->privacy_url = config_brand_field(c, locale, BRAND_PRIVACY_URL);
	/* The dispatcher refused lists that did not parse. */
	int style = config_money_style(c, locale);
	owed_format_style(over, nover > 0 ? (size_t)nover : 0, locale, style, v->amount,
			  sizeof v->amount);
	owed_format_style(bal, nbal > 0 ? (size_t)nbal : 0, locale, style, v->balance,
			  sizeof v->balance);
	if (sscanf(due, "%d-%d-%d", &y, &m, &d) == 3) {
		if (tz_format_date(y, m, d, locale, v->due_date, sizeof v->due_date) < 0)
			snprintf(v->due_date, sizeof v->due_date, "%s", due);
		if (tz_local(row->timezone, now, &lt) != 0)
			tz_local("UTC", now, &lt);
		snprintf(v->days_overdue, sizeof v->days_overdue, "%" PRId64,
			 days_between(y, m, d, &lt));
	}
	snprintf(v->invoice_count, sizeof v->invoice_count, "%" PRId64, row->invoice_count);
	v->invoice_ref = row->invoice_ref;
	v->dispute_ref = row->dispute_ref;
	v->resolution = row->resolution;
	due = row->promise_date;
	if (sscanf(due, "%d-%d-%d", &y, &m, &d) == 3 &&
	    tz_format_date(y, m, d, locale, v->promise_date, sizeof v->promise_date) < 0)
		snprintf(v->promise_date, sizeof v->promise_date, "%s", due);
	if (!env->link_secret ||
	    token_make(env->link_secret, row->account_id, now + LINK_DAYS * 86400, token,
		       sizeof token) != 0)
		token[0] = '\0';
	snprintf(url, urllen, "%s/p/%s", c->public_url, token);
	v->pay_url = url;
	fill_fees(row->fees, over, nover, te->locale, locale, style, v);
	fill_step(env, row, te, locale, v);
}

void render_out_free(struct render_out *out)
{
	free(out->subject);
	free(out->text);
	free(out->html);
	out->subject = out->text = out->html = NULL;
}

int render_message(const struct render_env *env, const struct render_row *row, const char *kind,
		   unsigned caps, struct render_out *out)
{
	const struct tmplset_entry *te;
	int subject = 0;
	struct vars v;

	memset(out, 0, sizeof *out);
	te = tmplset_find(env->templates, row->locale, row->template_name, kind);
	if (!te)
		return RENDER_NO_TEMPLATE;
	subject = te->subject && (caps & CHANNEL_CAP_SUBJECT);
	fill_vars(env, row, te, tmplset_format_locale(te, row->locale), &v, out->pay_url,
		  sizeof out->pay_url);
	out->text = tmpl_render(te->body, var_lookup, &v, TMPL_RAW);
	if (subject)
		out->subject = tmpl_render(te->subject, var_lookup, &v, TMPL_RAW);
	if (out->text && (caps & CHANNEL_CAP_HTML))
		out->html = texthtml_from_text(out->text);
	free(v.consequence);
	if (!out->text || (subject && !out->subject)) {
		render_out_free(out);
		return RENDER_NOMEM;
	}
	return RENDER_OK;
}
