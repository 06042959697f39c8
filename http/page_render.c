/* The customer page's HTML: server-side, no JavaScript, one inline style
 * allowed by its hash, every value escaped. Reads well on a phone. */
#include <event2/buffer.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brand.h"
#include "htmlesc.h"
#include "config.h"
#include "csp.h"
#include "log.h"
#include "money.h"
#include "owed.h"
#include "page.h"
#include "tz.h"

const char *const page_form_names[PAGE_NFORMS] = {"promise", "plan", "dispute", "rate", "prefs"};

static const char CSS[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#f4f5f7;color:#1f2328;font:16px/1.5 system-ui,-apple-system,"
	"'Segoe UI',Roboto,'Noto Sans',sans-serif}"
	/* Han characters are drawn differently in each language: the face of
	 * the page's own language first, never another's. */
	"body:lang(ko){font-family:system-ui,-apple-system,'Apple SD Gothic Neo','Malgun Gothic',"
	"'Noto Sans KR','Noto Sans CJK KR',sans-serif}"
	"body:lang(ja){font-family:system-ui,-apple-system,'Hiragino Sans','Hiragino Kaku Gothic "
	"ProN','Yu Gothic UI','Meiryo','Noto Sans JP','Noto Sans CJK JP',sans-serif}"
	"body:lang(zh-CN){font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',"
	"'Noto Sans SC','Noto Sans CJK SC',sans-serif}"
	"body:lang(zh-Hant){font-family:system-ui,-apple-system,'PingFang TC',"
	"'Microsoft JhengHei','Noto Sans TC','Noto Sans CJK TC',sans-serif}"
	"main{max-width:40rem;margin:0 auto;padding:1rem}"
	"header .co{margin:0;color:#57606a;font-size:.9rem;font-weight:600;letter-spacing:.02em}"
	"h1{font-size:1.4rem;margin:.2rem 0 .4rem}"
	"h2{font-size:1.1rem;margin:0 0 .5rem}"
	"p{margin:.3rem 0}"
	".muted{color:#57606a;font-size:.9rem}"
	"section{background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:1rem;"
	"margin:1rem 0}"
	".flash{border-radius:12px;padding:.8rem 1rem;margin:1rem 0;font-weight:600}"
	".ok{background:#dafbe1;border:1px solid #4ac26b}"
	".err{background:#ffebe9;border:1px solid #ff8182}"
	".total{font-size:2rem;font-weight:700;margin:.2rem 0 .8rem}"
	"ul{list-style:none;margin:0;padding:0}"
	"li{border-top:1px solid #d0d7de;padding:.8rem 0}"
	".row{display:flex;justify-content:space-between;gap:1rem;align-items:baseline}"
	".desc{font-weight:600}"
	".amt{font-weight:700;white-space:nowrap}"
	".meta{color:#57606a;font-size:.9rem}"
	".btn,button{display:block;width:100%;margin-top:.6rem;padding:.8rem 1rem;border:0;"
	"border-radius:10px;background:#0969da;color:#fff;font:inherit;font-weight:600;"
	"text-align:center;text-decoration:none;cursor:pointer}"
	".pay{background:#1a7f37;font-size:1.1rem}"
	".badge{display:inline-block;margin-top:.4rem;padding:.2rem .6rem;border-radius:999px;"
	"background:#fff8c5;border:1px solid #d4a72c;font-size:.9rem}"
	"label{display:block;margin:.6rem 0 .2rem;font-weight:600}"
	"input,select,textarea{width:100%;padding:.6rem;border:1px solid #8c959f;border-radius:8px;"
	"font:inherit;background:#fff}"
	"textarea{min-height:6rem}"
	"fieldset{border:0;margin:.4rem 0;padding:0}"
	"legend{padding:0;margin:.6rem 0 .3rem;font-weight:700}"
	".choices{display:flex;flex-wrap:wrap;gap:.4rem}"
	".choices label{flex:1;margin:0;text-align:center;border:1px solid #8c959f;"
	"border-radius:8px;padding:.4rem .3rem;font-weight:600}"
	".choices input{width:auto;display:block;margin:0 auto}"
	".check{display:flex;gap:.5rem;align-items:center;font-weight:600;margin:.4rem 0}"
	".check input{width:auto;margin:0}"
	".times{display:flex;gap:.6rem}"
	".times div{flex:1}"
	"header .legal{margin:.2rem 0 0;color:#57606a;font-size:.85rem}"
	"header .legal a{color:#0969da}"
	"footer{color:#57606a;font-size:.85rem;text-align:center;margin:1.5rem 0}";

static char csp[256];

const char *page_csp(void)
{
	if (!csp[0])
		csp_for_style(CSS, csp, sizeof csp);
	return csp;
}

static void esc_n(struct evbuffer *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		const char *rep = htmlesc_entity((unsigned char)s[i]);
		if (rep)
			evbuffer_add(b, rep, strlen(rep));
		else
			evbuffer_add(b, &s[i], 1);
	}
}

static void esc(struct evbuffer *b, const char *s)
{
	if (s)
		esc_n(b, s, strlen(s));
}

/* text with its "{}" replaced by value; both escaped. */
static void fill(struct evbuffer *b, const char *text, const char *value)
{
	const char *at = strstr(text, "{}");

	if (!at) {
		esc(b, text);
		return;
	}
	esc_n(b, text, (size_t)(at - text));
	esc(b, value);
	esc(b, at + 2);
}

static void lit(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Written in the style the configuration gives the page's locale
 * ("1,289,000원" for ko), as the customer's reminders are. */
static void money(const struct config *cfg, int64_t minor, const char *cur, const char *locale,
		  const char *fallback, char *out, size_t len)
{
	if (money_format_style(minor, cur, locale,
			       (enum money_style)config_money_style(cfg, locale), out, len) < 0 &&
	    money_format(minor, cur, fallback, out, len) < 0)
		snprintf(out, len, "%" PRId64 " %s", minor, cur ? cur : "");
}

/* "YYYY-MM-DD" in the customer's words. */
static void date(const char *ymd, const char *locale, const char *fallback, char *out, size_t len)
{
	int y, m, d;

	if (!ymd || sscanf(ymd, "%d-%d-%d", &y, &m, &d) != 3) {
		snprintf(out, len, "%s", ymd ? ymd : "");
		return;
	}
	if (tz_format_date(y, m, d, locale, out, len) < 0 &&
	    tz_format_date(y, m, d, fallback, out, len) < 0)
		snprintf(out, len, "%s", ymd);
}

static void head(struct evbuffer *b, const char *lang, const char *title, const char *value)
{
	lit(b, "<!DOCTYPE html>\n<html lang=\"");
	esc(b, lang);
	lit(b,
	    "\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	fill(b, title, value);
	lit(b, "</title><style>");
	lit(b, CSS);
	lit(b, "</style></head>\n<body><main>\n");
}

static void form_open(struct evbuffer *b, const struct page_view *v, enum page_form f)
{
	lit(b, "<form method=\"post\" action=\"/p/");
	esc(b, v->token);
	lit(b, "/");
	lit(b, page_form_names[f]);
	lit(b, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
	esc(b, v->csrf[f]);
	lit(b, "\">");
}

struct ctx {
	const struct page_view *v;
	const struct page_text *t;
	const char *locale, *fallback;
	const json_t *acct;
	struct evbuffer *b;
};

static void flash(struct ctx *c)
{
	const struct page_view *v = c->v;
	const struct page_text *t = c->t;
	const json_t *cs = json_object_get(c->acct, "case");
	char buf[128], days[16];
	const char *ok = NULL, *err = NULL, *val = NULL;

	if (!v->flash)
		return;
	snprintf(days, sizeof days, "%d", v->cfg->policy->max_promise_days);
	if (!strcmp(v->flash, "promised")) {
		date(jstr(cs, "promise_date"), c->locale, c->fallback, buf, sizeof buf);
		ok = t->promised;
		val = buf;
	} else if (!strcmp(v->flash, "planned")) {
		ok = t->planned;
	} else if (!strcmp(v->flash, "disputed") && v->flash_ref) {
		ok = t->dispute_ok;
		val = v->flash_ref;
	} else if (!strcmp(v->flash, "rated")) {
		ok = t->rate_ok;
	} else if (!strcmp(v->flash, "prefs")) {
		ok = t->prefs_ok;
	} else if (!strcmp(v->flash, "quiet_long")) {
		snprintf(days, sizeof days, "%d", v->cfg->policy->quiet_max_hours);
		err = t->quiet_long;
		val = days;
	} else if (!strcmp(v->flash, "bad_date")) {
		err = t->bad_date;
		val = days;
	} else if (!strcmp(v->flash, "no_case")) {
		err = t->no_case;
	} else if (!strcmp(v->flash, "dispute_dup") && v->flash_ref) {
		err = t->dispute_dup;
		val = v->flash_ref;
	} else if (!strcmp(v->flash, "error")) {
		err = t->error;
	} else {
		err = t->bad_form;
	}
	lit(c->b,
	    ok ? "<p class=\"flash ok\" role=\"status\">"
	       : "<p class=\"flash err\" role=\"alert\">");
	fill(c->b, ok ? ok : err, val);
	lit(c->b, "</p>\n");
}

/* The pause the customer asked for, while it lasts. */
static void case_notice(struct ctx *c)
{
	const json_t *cs = json_object_get(c->acct, "case");
	const char *reason = jstr(cs, "pause_reason");
	char buf[128];

	if (!reason ||
	    (c->v->flash && (!strcmp(c->v->flash, "promised") || !strcmp(c->v->flash, "planned"))))
		return;
	if (!strcmp(reason, "promise") && jstr(cs, "promise_date")) {
		date(jstr(cs, "promise_date"), c->locale, c->fallback, buf, sizeof buf);
		lit(c->b, "<p class=\"flash ok\">");
		fill(c->b, c->t->promised, buf);
		lit(c->b, "</p>\n");
	} else if (!strcmp(reason, "hardship")) {
		lit(c->b, "<p class=\"flash ok\">");
		esc(c->b, c->t->planned);
		lit(c->b, "</p>\n");
	}
}

#define MAX_CUR 8

struct total {
	const char *cur;
	int64_t sum;
	int over; /* past the bound: shown as a dash, never wrapped */
};

/* The case's late fees, a line under the total ("Late fee: $5.00"), and
 * the total with them; nothing when there are none. */
static void fees(struct ctx *c, const struct total *tot, size_t ntot)
{
	const json_t *fl = json_object_get(c->acct, "fees"), *x;
	struct evbuffer *b = c->b;
	char amt[64];
	size_t i, n = 0;

	if (json_array_size(fl) == 0)
		return;
	lit(b, "<p class=\"fee\">");
	esc(b, c->t->late_fee);
	lit(b, ": ");
	json_array_foreach(fl, i, x)
	{
		if (i)
			lit(b, " + ");
		money(c->v->cfg, jint(x, "amount"), jstr(x, "currency"), c->locale, c->fallback,
		      amt, sizeof amt);
		esc(b, amt);
	}
	lit(b, "<br>");
	esc(b, c->t->with_fees);
	lit(b, ": ");
	/* Per currency: the invoices' total plus the fees in it. */
	for (size_t k = 0; k < ntot; k++) {
		int64_t sum = tot[k].sum;
		json_array_foreach(fl, i, x)
		{
			const char *fc = jstr(x, "currency");
			if (fc && !strcmp(fc, tot[k].cur) && owed_add(&sum, jint(x, "amount")) != 0)
				sum = -1;
		}
		if (sum < 0) {
			lit(b, "&mdash;");
			continue;
		}
		if (n++)
			lit(b, " + ");
		if (tot[k].over) {
			lit(b, "&mdash;");
			continue;
		}
		money(c->v->cfg, sum, tot[k].cur, c->locale, c->fallback, amt, sizeof amt);
		esc(b, amt);
	}
	json_array_foreach(fl, i, x)
	{
		size_t k;
		for (k = 0; k < ntot && strcmp(tot[k].cur, jstr(x, "currency")); k++)
			;
		if (k < ntot)
			continue;
		if (n++)
			lit(b, " + ");
		money(c->v->cfg, jint(x, "amount"), jstr(x, "currency"), c->locale, c->fallback,
		      amt, sizeof amt);
		esc(b, amt);
	}
	lit(b, "</p>\n");
}

/* Overdue invoices, the total per currency, "Pay now" on each one not
 * under review. Returns how many may still be disputed. */
static int invoices(struct ctx *c)
{
	const json_t *inv = json_object_get(c->acct, "invoices");
	const struct page_text *t = c->t;
	struct evbuffer *b = c->b;
	struct total tot[MAX_CUR];
	size_t ntot = 0, i;
	const json_t *x;
	char amt[64], due[128];
	int open = 0;

	if (json_array_size(inv) == 0) {
		lit(b, "<section><p>");
		esc(b, t->nothing_due);
		lit(b, "</p></section>\n");
		return 0;
	}
	json_array_foreach(inv, i, x)
	{
		const char *cur = jstr(x, "currency");
		size_t k;
		if (json_is_true(json_object_get(x, "disputed")) || !cur)
			continue;
		for (k = 0; k < ntot && strcmp(tot[k].cur, cur); k++)
			;
		if (k == ntot && ntot < MAX_CUR)
			tot[ntot++] = (struct total){cur, 0, 0};
		if (k < ntot && owed_add(&tot[k].sum, jint(x, "amount")) != 0)
			tot[k].over = 1;
	}
	lit(b, "<section class=\"due\"><h2>");
	esc(b, t->total);
	lit(b, "</h2><p class=\"total\">");
	for (size_t k = 0; k < ntot; k++) {
		if (k)
			lit(b, " + ");
		if (tot[k].over) {
			lit(b, "&mdash;");
			continue;
		}
		money(c->v->cfg, tot[k].sum, tot[k].cur, c->locale, c->fallback, amt, sizeof amt);
		esc(b, amt);
	}
	if (ntot == 0)
		lit(b, "&mdash;");
	lit(b, "</p>\n");
	fees(c, tot, ntot);
	lit(b, "<ul>\n");
	json_array_foreach(inv, i, x)
	{
		const char *ref = jstr(x, "ref");
		money(c->v->cfg, jint(x, "amount"), jstr(x, "currency"), c->locale, c->fallback,
		      amt, sizeof amt);
		date(jstr(x, "due"), c->locale, c->fallback, due, sizeof due);
		lit(b, "<li><div class=\"row\"><span class=\"desc\">");
		esc(b,
		    jstr(x, "description") && *jstr(x, "description") ? jstr(x, "description")
								      : ref);
		lit(b, "</span><span class=\"amt\">");
		esc(b, amt);
		lit(b, "</span></div><div class=\"meta\">");
		esc(b, t->th_invoice);
		lit(b, " ");
		esc(b, ref);
		lit(b, " &middot; ");
		esc(b, t->th_due);
		lit(b, " ");
		esc(b, due);
		lit(b, "</div>");
		if (json_is_true(json_object_get(x, "disputed"))) {
			lit(b, "<span class=\"badge\">");
			fill(b, t->under_review, jstr(x, "dispute_ref"));
			lit(b, "</span>");
		} else {
			open++;
			if (c->v->cfg->payment_url) {
				lit(b, "<a class=\"btn pay\" href=\"/p/");
				esc(b, c->v->token);
				lit(b, "/pay?invoice=");
				/* refs go into the query as they are: escape what a URL needs */
				for (const char *p = ref; p && *p; p++) {
					if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
					    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
						evbuffer_add(b, p, 1);
					else
						evbuffer_add_printf(b, "%%%02X", (unsigned char)*p);
				}
				lit(b, "\">");
				esc(b, t->pay_now);
				lit(b, "</a>");
			}
		}
		lit(b, "</li>\n");
	}
	lit(b, "</ul></section>\n");
	return open;
}

static void rating_form(struct ctx *c, const char *ref)
{
	struct evbuffer *b = c->b;

	form_open(b, c->v, PAGE_F_RATE);
	lit(b, "<input type=\"hidden\" name=\"dispute\" value=\"");
	esc(b, ref);
	lit(b, "\"><fieldset><legend>");
	esc(b, c->t->rate_q);
	lit(b, "</legend><div class=\"choices\">");
	for (int s = 1; s <= 5; s++)
		evbuffer_add_printf(b,
				    "<label>%d<input type=\"radio\" name=\"score\" value=\"%d\" "
				    "required></label>",
				    s, s);
	lit(b, "</div></fieldset><p class=\"muted\">");
	esc(b, c->t->rate_lo);
	lit(b, " &middot; ");
	esc(b, c->t->rate_hi);
	lit(b, "</p><button type=\"submit\">");
	esc(b, c->t->rate_btn);
	lit(b, "</button></form>");
}

static void disputes(struct ctx *c)
{
	const json_t *ds = json_object_get(c->acct, "disputes");
	const struct page_text *t = c->t;
	struct evbuffer *b = c->b;
	const json_t *x;
	size_t i;
	char amt[64], day[128], n[8];

	if (json_array_size(ds) == 0)
		return;
	lit(b, "<section class=\"disputes\"><h2>");
	esc(b, t->disputes_h);
	lit(b, "</h2><ul>\n");
	json_array_foreach(ds, i, x)
	{
		const char *st = jstr(x, "status"), *ref = jstr(x, "ref");
		int k;
		for (k = 0; k < PAGE_NSTATUS && (!st || strcmp(st, page_status_codes[k])); k++)
			;
		money(c->v->cfg, jint(x, "amount"), jstr(x, "currency"), c->locale, c->fallback,
		      amt, sizeof amt);
		lit(b, "<li><div class=\"row\"><span class=\"desc\">");
		esc(b, ref);
		lit(b, "</span><span class=\"amt\">");
		esc(b, amt);
		lit(b, "</span></div><div class=\"meta\">");
		fill(b, t->dispute_on, jstr(x, "invoice"));
		lit(b, " &middot; ");
		date(jstr(x, "opened"), c->locale, c->fallback, day, sizeof day);
		fill(b, t->opened, day);
		if (jstr(x, "resolved")) {
			lit(b, " &middot; ");
			date(jstr(x, "resolved"), c->locale, c->fallback, day, sizeof day);
			fill(b, t->resolved, day);
		}
		lit(b, "</div><p class=\"status\"><strong>");
		esc(b, k < PAGE_NSTATUS ? t->status[k] : st);
		lit(b, "</strong></p>");
		if (st && (!strcmp(st, "upheld") || !strcmp(st, "rejected"))) {
			if (jint(x, "satisfaction") > 0) {
				snprintf(n, sizeof n, "%" PRId64, jint(x, "satisfaction"));
				lit(b, "<p class=\"muted\">");
				fill(b, t->rated, n);
				lit(b, "</p>");
			} else {
				rating_form(c, ref);
			}
		}
		lit(b, "</li>\n");
	}
	lit(b, "</ul></section>\n");
}

/* Today and today + max_promise_days in the customer's zone. */
static void promise_range(struct ctx *c, char *lo, char *hi, size_t len)
{
	const char *zone = jstr(c->acct, "tz");
	struct tz_local l;
	int64_t t;

	if (!zone || tz_local(zone, c->v->now, &l) != 0)
		tz_local("UTC", c->v->now, &l);
	snprintf(lo, len, "%04d-%02d-%02d", l.year, l.month, l.day);
	if (tz_from_local("UTC", l.year, l.month, l.day, 0, 0, 0, &t) != 0)
		t = c->v->now;
	tz_format_iso8601(t + (int64_t)c->v->cfg->policy->max_promise_days * 86400, hi, len);
	hi[10] = '\0';
}

static void actions(struct ctx *c, int disputable)
{
	const struct page_text *t = c->t;
	const json_t *inv = json_object_get(c->acct, "invoices");
	struct evbuffer *b = c->b;
	char lo[TZ_ISO8601_LEN], hi[TZ_ISO8601_LEN], days[16];
	const json_t *x;
	size_t i;

	if (!json_is_object(json_object_get(c->acct, "case")) || json_array_size(inv) == 0)
		return;
	promise_range(c, lo, hi, sizeof lo);
	snprintf(days, sizeof days, "%d", c->v->cfg->policy->max_promise_days);
	lit(b, "<section><h2>");
	esc(b, t->promise_h);
	lit(b, "</h2><p>");
	fill(b, t->promise_p, days);
	lit(b, "</p>");
	form_open(b, c->v, PAGE_F_PROMISE);
	lit(b, "<label for=\"date\">");
	esc(b, t->promise_lbl);
	evbuffer_add_printf(b,
			    "</label><input type=\"date\" id=\"date\" name=\"date\" min=\"%s\" "
			    "max=\"%s\" value=\"%s\" required><button type=\"submit\">",
			    lo, hi, lo);
	esc(b, t->promise_btn);
	lit(b, "</button></form></section>\n<section><h2>");
	esc(b, t->plan_h);
	lit(b, "</h2><p>");
	esc(b, t->plan_p);
	lit(b, "</p>");
	form_open(b, c->v, PAGE_F_PLAN);
	lit(b, "<button type=\"submit\">");
	esc(b, t->plan_btn);
	lit(b, "</button></form></section>\n");
	if (!disputable)
		return;
	lit(b, "<section><h2>");
	esc(b, t->dispute_h);
	lit(b, "</h2><p>");
	esc(b, t->dispute_p);
	lit(b, "</p>");
	form_open(b, c->v, PAGE_F_DISPUTE);
	lit(b, "<label for=\"invoice\">");
	esc(b, t->lbl_invoice);
	lit(b, "</label><select id=\"invoice\" name=\"invoice\" required>");
	json_array_foreach(inv, i, x)
	{
		char amt[64];
		if (json_is_true(json_object_get(x, "disputed")))
			continue;
		money(c->v->cfg, jint(x, "amount"), jstr(x, "currency"), c->locale, c->fallback,
		      amt, sizeof amt);
		lit(b, "<option value=\"");
		esc(b, jstr(x, "ref"));
		lit(b, "\">");
		esc(b, jstr(x, "ref"));
		lit(b, " &middot; ");
		esc(b, amt);
		lit(b, "</option>");
	}
	lit(b, "</select><label for=\"reason\">");
	esc(b, t->lbl_reason);
	lit(b, "</label><select id=\"reason\" name=\"reason\" required>");
	for (int k = 0; k < PAGE_NREASONS; k++) {
		lit(b, "<option value=\"");
		lit(b, page_reason_codes[k]);
		lit(b, "\">");
		esc(b, t->reasons[k]);
		lit(b, "</option>");
	}
	lit(b, "</select><label for=\"detail\">");
	esc(b, t->lbl_detail);
	lit(b,
	    "</label><textarea id=\"detail\" name=\"detail\" maxlength=\"1000\"></textarea>"
	    "<button type=\"submit\">");
	esc(b, t->dispute_btn);
	lit(b, "</button></form></section>\n");
}

/* text with its "{}" replaced by a link to href showing value. */
static void fill_link(struct evbuffer *b, const char *text, const char *href, const char *value)
{
	const char *at = strstr(text, "{}");

	esc_n(b, text, at ? (size_t)(at - text) : strlen(text));
	lit(b, "<a href=\"");
	esc(b, href);
	lit(b, "\">");
	esc(b, value);
	lit(b, "</a>");
	if (at)
		esc(b, at + 2);
}

/* Who is asking, under the name: the legal name, the support phone and
 * the privacy notice, each as configured for the locale (brand.h). */
static void identity(struct evbuffer *b, const struct config *cfg, const char *locale,
		     const struct page_text *t)
{
	const char *legal = config_brand_field(cfg, locale, BRAND_LEGAL_NAME);
	const char *phone = config_brand_field(cfg, locale, BRAND_SUPPORT_PHONE);
	const char *privacy = config_brand_field(cfg, locale, BRAND_PRIVACY_URL);
	char tel[64];
	size_t n = 0;

	if (!*legal && !*phone && !*privacy)
		return;
	lit(b, "<p class=\"legal\">");
	esc(b, legal);
	if (*phone) {
		/* tel: takes the digits and a leading plus only. */
		n = (size_t)snprintf(tel, sizeof tel, "tel:");
		for (const char *p = phone; *p && n + 1 < sizeof tel; p++)
			if ((*p >= '0' && *p <= '9') || (*p == '+' && n == 4))
				tel[n++] = *p;
		tel[n] = '\0';
		if (*legal)
			lit(b, " &middot; ");
		fill_link(b, t->support_phone, tel, phone);
	}
	if (*privacy) {
		if (*legal || *phone)
			lit(b, " &middot; ");
		fill_link(b, "{}", privacy, t->privacy);
	}
	lit(b, "</p>");
}

static const char *const day_codes[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t n)
{
	for (int d = 0; d < 7; d++)
		if (n == 3 && !strncmp(s, day_codes[d], 3))
			return d;
	return -1;
}

/* The canonical quiet-times spec (quiet.h) in the customer's words:
 * "mon-fri 12:00-13:00,sun 00:00-24:00" -> "Mon-Fri 12:00-13:00, Sun ...". */
static void quiet_words(struct evbuffer *b, const struct page_text *t, const char *spec)
{
	for (const char *p = spec; *p;) {
		size_t item = strcspn(p, ","), days = strcspn(p, " ");
		size_t dash = strcspn(p, "-");
		int a, z = -1;
		if (days > item)
			days = item;
		if (dash < days) {
			a = day_index(p, dash);
			z = day_index(p + dash + 1, days - dash - 1);
		} else {
			a = day_index(p, days);
		}
		if (p != spec)
			lit(b, ", ");
		if (a < 0) {
			esc_n(b, p, item);
		} else {
			esc(b, t->days[a]);
			if (z >= 0) {
				lit(b, "&ndash;");
				esc(b, t->days[z]);
			}
			esc_n(b, p + days, item - days);
		}
		p += item;
		if (*p == ',')
			p++;
	}
}

static void time_select(struct evbuffer *b, const char *id, const char *label)
{
	evbuffer_add_printf(b, "<div><label for=\"%s\">", id);
	esc(b, label);
	evbuffer_add_printf(b,
			    "</label><select id=\"%s\" name=\"%s\"><option value=\"\">"
			    "&mdash;</option>",
			    id, id);
	for (int m = 0; m <= 1440; m += 30)
		evbuffer_add_printf(b, "<option>%02d:%02d</option>", m / 60, m % 60);
	lit(b, "</select></div>");
}

/* Contact preferences: stop email, stop SMS (recorded as the opt-outs a
 * STOP reply makes), and up to two weekly quiet times. */
static void preferences(struct ctx *c)
{
	const struct page_text *t = c->t;
	struct evbuffer *b = c->b;
	const char *email = jstr(c->acct, "email"), *phone = jstr(c->acct, "phone");
	const char *quiet = jstr(c->acct, "quiet");
	int has_email = email && *email, has_phone = phone && *phone;
	int email_off = json_is_true(json_object_get(c->acct, "email_stopped"));
	int sms_off = json_is_true(json_object_get(c->acct, "sms_stopped"));
	char hours[16], id[16], legend[8];

	lit(b, "<section class=\"prefs\"><h2>");
	esc(b, t->prefs_h);
	lit(b, "</h2><p>");
	esc(b, t->prefs_p);
	lit(b, "</p>");
	form_open(b, c->v, PAGE_F_PREFS);
	if (has_email && email_off) {
		lit(b, "<p class=\"muted\">");
		esc(b, t->email_stopped);
		lit(b, "</p>");
	}
	if (has_phone && sms_off) {
		lit(b, "<p class=\"muted\">");
		esc(b, t->sms_stopped);
		lit(b, "</p>");
	}
	if ((has_email && !email_off) || (has_phone && !sms_off)) {
		lit(b, "<fieldset><legend>");
		esc(b, t->stop_legend);
		lit(b, "</legend>");
		if (has_email && !email_off) {
			lit(b,
			    "<label class=\"check\"><input type=\"checkbox\" name=\"stop_email\" "
			    "value=\"1\">");
			esc(b, t->stop_email);
			lit(b, "</label>");
		}
		if (has_phone && !sms_off) {
			lit(b,
			    "<label class=\"check\"><input type=\"checkbox\" name=\"stop_sms\" "
			    "value=\"1\">");
			esc(b, t->stop_sms);
			lit(b, "</label>");
		}
		lit(b, "</fieldset>");
	}
	lit(b, "<p>");
	fill(b, t->quiet_p, jstr(c->acct, "tz"));
	snprintf(hours, sizeof hours, "%d", c->v->cfg->policy->quiet_max_hours);
	lit(b, "</p><p class=\"muted\">");
	fill(b, t->quiet_max, hours);
	lit(b, "</p>");
	if (quiet && *quiet) {
		const char *at = strstr(t->quiet_now, "{}");
		lit(b, "<p class=\"quiet-now\"><strong>");
		esc_n(b, t->quiet_now, at ? (size_t)(at - t->quiet_now) : strlen(t->quiet_now));
		quiet_words(b, t, quiet);
		if (at)
			esc(b, at + 2);
		lit(b, "</strong></p>");
	}
	for (int r = 1; r <= 2; r++) {
		snprintf(legend, sizeof legend, "%d", r);
		lit(b, "<fieldset><legend>");
		fill(b, t->quiet_legend, legend);
		lit(b, "</legend><div class=\"choices\">");
		for (int d = 0; d < 7; d++) {
			lit(b, "<label>");
			esc(b, t->days[d]);
			evbuffer_add_printf(b,
					    "<input type=\"checkbox\" name=\"q%d_%s\" value=\"1\">"
					    "</label>",
					    r, day_codes[d]);
		}
		lit(b, "</div><div class=\"times\">");
		snprintf(id, sizeof id, "q%d_from", r);
		time_select(b, id, t->quiet_from);
		snprintf(id, sizeof id, "q%d_to", r);
		time_select(b, id, t->quiet_to);
		lit(b, "</div></fieldset>");
	}
	if (quiet && *quiet) {
		lit(b,
		    "<label class=\"check\"><input type=\"checkbox\" name=\"quiet_clear\" "
		    "value=\"1\">");
		esc(b, t->quiet_clear);
		lit(b, "</label>");
	}
	lit(b, "<button type=\"submit\">");
	esc(b, t->prefs_btn);
	lit(b, "</button></form></section>\n");
}

static char *finish(struct evbuffer *b, size_t *len)
{
	size_t n = evbuffer_get_length(b);
	char *out = malloc(n + 1);

	if (out) {
		evbuffer_copyout(b, out, n);
		out[n] = '\0';
		*len = n;
	}
	evbuffer_free(b);
	return out;
}

static void footer(struct evbuffer *b, const struct config *cfg)
{
	lit(b, "<footer>");
	esc(b, cfg->company);
	if (cfg->support && *cfg->support) {
		lit(b, " &middot; ");
		esc(b, cfg->support);
	}
	lit(b, "</footer>\n</main></body></html>\n");
}

char *page_render(const struct page_view *v, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	const char *tag = jstr(v->data, "locale");
	enum page_lang lang = page_lang_of(tag);
	struct ctx c = {v, page_text(lang), tag, page_text(lang)->lang, v->data, b};
	char mask[128], mask2[64], contact[200] = "";
	int disputable;

	if (!b)
		return NULL;
	/* The customer's own tag ("ko-KR", "en-US") formats amounts and dates
	 * when it is a language we speak; otherwise the page is in English. */
	c.locale = tag &&
			(lang != PAGE_EN ||
			 (!strncasecmp(tag, "en", 2) &&
			  (tag[2] == '\0' || tag[2] == '-' || tag[2] == '_')))
		? tag
		: c.fallback;
	if (jstr(v->data, "email") && *jstr(v->data, "email"))
		snprintf(contact, sizeof contact, "%s",
			 log_mask_email(jstr(v->data, "email"), mask, sizeof mask));
	if (jstr(v->data, "phone") && *jstr(v->data, "phone"))
		snprintf(contact + strlen(contact), sizeof contact - strlen(contact), "%s%s",
			 contact[0] ? ", " : "",
			 log_mask_phone(jstr(v->data, "phone"), mask2, sizeof mask2));
	head(b, c.t->html_lang, c.t->title, config_brand_field(v->cfg, c.locale, BRAND_NAME));
	lit(b, "<header><p class=\"co\">");
	esc(b, config_brand_field(v->cfg, c.locale, BRAND_NAME));
	lit(b, "</p>");
	identity(b, v->cfg, c.locale, c.t);
	lit(b, "<h1>");
	fill(b, c.t->hello, jstr(v->data, "name"));
	lit(b, "</h1><p>");
	esc(b, c.t->intro);
	lit(b, "</p>");
	if (contact[0]) {
		lit(b, "<p class=\"muted\">");
		fill(b, c.t->contact, contact);
		lit(b, "</p>");
	}
	lit(b, "</header>\n");
	flash(&c);
	case_notice(&c);
	disputable = invoices(&c);
	disputes(&c);
	actions(&c, disputable);
	preferences(&c);
	footer(b, v->cfg);
	return finish(b, len);
}

char *page_render_refusal(enum page_lang lang, const struct config *cfg, int code, size_t *len)
{
	const struct page_text *t = page_text(lang);
	struct evbuffer *b = evbuffer_new();
	const char *h = code == 410 ? t->expired_h
		: code == 429       ? t->too_many
		: code >= 500       ? t->error
				    : t->forged_h;

	if (!b)
		return NULL;
	head(b, t->html_lang, h, NULL);
	lit(b, "<header><p class=\"co\">");
	esc(b, config_brand_field(cfg, t->lang, BRAND_NAME));
	lit(b, "</p>");
	identity(b, cfg, t->lang, t);
	lit(b, "<h1>");
	esc(b, h);
	lit(b, "</h1></header>\n<section><p>");
	if (code == 429 || code >= 500)
		esc(b, code == 429 ? t->too_many : t->error);
	else if (cfg->support && *cfg->support)
		fill(b, t->refused_p, cfg->support);
	else
		esc(b, t->refused_nosupport);
	lit(b, "</p></section>\n");
	footer(b, cfg);
	return finish(b, len);
}
