/* The console's HTML: server-rendered, no JavaScript, one stylesheet
 * allowed by its hash (the Content-Security-Policy forbids everything
 * else), every value escaped. Readable on a laptop and a tablet. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "htmlesc.h"
#include "csp.h"
#include "money.h"
#include "owed.h"

static const char CSS[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 system-ui,-apple-system,"
	"'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK KR','Noto Sans CJK JP','Noto Sans CJK SC',"
	"sans-serif}"
	"header{background:#24292f;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;"
	"gap:.8rem;align-items:center}"
	"header a{color:#fff}"
	"header .who{margin-left:auto}"
	"header form{display:inline;margin:0}"
	"header button,header select{padding:.25rem .6rem;margin:0;width:auto}"
	"main{max-width:64rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.35rem;margin:.3rem 0 .6rem}"
	"h2{font-size:1.1rem;margin:0 0 .5rem}"
	"section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:1rem;"
	"margin:1rem 0;min-width:0}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.4rem .5rem;border-top:1px solid #d0d7de;vertical-align:top}"
	/* A wide table narrows to the window (a tablet's included): values
	 * may break, headings break between words. */
	"td{overflow-wrap:anywhere}"
	".funnel{font-size:.9rem}.funnel th,.funnel td{padding:.3rem .35rem}"
	".variants{font-size:.9rem;margin-top:.6rem}.variants th,.variants td{padding:.3rem .35rem}"
	/* A count over its rate and interval: eight such columns fit a
	 * tablet only if the interval may go to a line of its own. */
	".variants .num{white-space:normal}"
	"caption{text-align:left;font-weight:600;padding:.3rem 0}"
	"th{background:#f6f8fa}"
	".num{text-align:right;white-space:nowrap}"
	".muted{color:#57606a}"
	".flash{border-radius:10px;padding:.7rem 1rem;margin:1rem 0;font-weight:600;"
	"background:#dafbe1;border:1px solid #4ac26b}"
	".err{background:#ffebe9;border:1px solid #ff8182}"
	".late{color:#a40e26;font-weight:600}"
	".late-row{background:#fff5f5}"
	".tag{display:inline-block;padding:0 .35rem;border:1px solid #a40e26;border-radius:4px;"
	"font-size:.8rem}"
	"label{display:block;margin:.5rem 0 .2rem;font-weight:600}"
	"input,select,textarea{width:100%;max-width:28rem;padding:.5rem;border:1px solid #8c959f;"
	"border-radius:6px;font:inherit;background:#fff;color:#1f2328}"
	"button{margin-top:.6rem;padding:.55rem 1rem;border:0;border-radius:6px;"
	"background:#0969da;color:#fff;font:inherit;font-weight:600;cursor:pointer}"
	".row{display:flex;flex-wrap:wrap;gap:1rem}"
	".row>section{flex:1 1 26rem}"
	"pre{white-space:pre-wrap;background:#f6f8fa;padding:.6rem;border-radius:6px;margin:0}"
	"a{color:#0550ae}"
	"h3{font-size:1rem;margin:.8rem 0 .3rem}"
	".chart{display:block;max-width:48rem;margin:.4rem 0 .8rem}"
	".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:0 1rem}"
	"figure{margin:0;min-width:0}";

static char csp[256];

const char *con_csp(void)
{
	if (!csp[0])
		csp_for_style(CSS, csp, sizeof csp);
	return csp;
}

void con_add(struct con_out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 8192;
		char *p;
		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->body, cap);
		if (!p) {
			o->oom = 1;
			return;
		}
		o->body = p;
		o->cap = cap;
	}
	memcpy(o->body + o->len, s, n);
	o->len += n;
	o->body[o->len] = '\0';
}

void con_lit(struct con_out *o, const char *s)
{
	con_add(o, s, strlen(s));
}

void con_esc(struct con_out *o, const char *s)
{
	for (; s && *s; s++) {
		const char *rep = htmlesc_entity((unsigned char)*s);
		if (rep)
			con_lit(o, rep);
		else
			con_add(o, s, 1);
	}
}

void con_printf(struct con_out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		con_add(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void con_csrf_field(struct con_out *o, const struct con_session *s)
{
	con_lit(o, "<input type=\"hidden\" name=\"csrf\" value=\"");
	con_esc(o, s->csrf);
	con_lit(o, "\">");
}

void con_head(struct con_out *o, enum con_lang lang, const char *title, const struct con_session *s,
	      const char *flash)
{
	o->code = o->code ? o->code : 200;
	o->ctype = "text/html; charset=utf-8";
	o->lang = con_lang_code(lang);
	con_printf(o,
		   "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		   "<title>",
		   con_lang_code(lang));
	con_esc(o, title);
	con_lit(o, " - dunnd</title><style>");
	con_lit(o, CSS);
	con_lit(o, "</style></head><body><header>");
	if (s) {
		con_lit(o, "<nav aria-label=\"");
		con_esc(o, con_t(lang, "nav"));
		con_lit(o, "\"><a href=\"/console/queue\">");
		con_esc(o, con_t(lang, "queue"));
		con_lit(o, "</a> &middot; <a href=\"/console/find\">");
		con_esc(o, con_t(lang, "find"));
		con_lit(o, "</a> &middot; <a href=\"/console/policy\">");
		con_esc(o, con_t(lang, "policy"));
		con_lit(o, "</a>");
		if (s->role >= CON_SUPERVISOR) {
			con_lit(o, " &middot; <a href=\"/console/disputes\">");
			con_esc(o, con_t(lang, "disputes"));
			con_lit(o, "</a> &middot; <a href=\"/console/dashboard\">");
			con_esc(o, con_t(lang, "dashboard"));
			con_lit(o, "</a>");
		}
		con_lit(o, "</nav><span class=\"who\">");
		con_esc(o, s->name);
		con_lit(o, " (");
		con_esc(o,
			con_t(lang,
			      s->role == CON_ADMIN                ? "role_admin"
				      : s->role == CON_SUPERVISOR ? "role_supervisor"
								  : "role_agent"));
		con_lit(o, ")</span><form method=\"post\" action=\"/console/prefs\">");
		con_csrf_field(o, s);
		con_lit(o, "<select id=\"lang\" name=\"lang\" aria-label=\"");
		con_esc(o, con_t(lang, "language"));
		con_lit(o, "\">");
		for (int l = 0; l < CON_NLANG; l++)
			con_printf(o, "<option value=\"%s\"%s>%s</option>", con_lang_code(l),
				   (int)lang == l ? " selected" : "", con_t(l, "lang_name"));
		con_lit(o, "</select> <button type=\"submit\">");
		con_esc(o, con_t(lang, "set_language"));
		con_lit(o, "</button></form><form method=\"post\" action=\"/console/logout\">");
		con_csrf_field(o, s);
		con_lit(o, "<button type=\"submit\">");
		con_esc(o, con_t(lang, "logout"));
		con_lit(o, "</button></form>");
	} else {
		con_lit(o, "<span>dunnd</span>");
	}
	con_lit(o, "</header><main>");
	if (flash) {
		const char *m = con_t(lang, flash);
		con_printf(o, "<p class=\"flash%s\" role=\"status\">",
			   strncmp(flash, "err_", 4) == 0 ? " err" : "");
		con_esc(o, m);
		con_lit(o, "</p>");
	}
}

void con_foot(struct con_out *o)
{
	con_lit(o, "</main></body></html>\n");
}

void con_redirect(struct con_out *o, const char *location)
{
	o->code = 303;
	o->ctype = "text/plain; charset=utf-8";
	free(o->location);
	o->location = strdup(location);
	if (!o->location)
		o->oom = 1;
}

void con_error_page(struct con_out *o, int code, enum con_lang lang, const struct con_session *s,
		    const char *msg)
{
	o->len = 0;
	o->code = code;
	con_head(o, lang, con_t(lang, msg), s, NULL);
	con_lit(o, "<h1>");
	con_esc(o, con_t(lang, msg));
	con_lit(o, "</h1>");
	con_foot(o);
}

void con_mask_phone(const char *s, char *out, size_t len)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 6) {
		snprintf(out, len, "%s", n ? "****" : "-");
		return;
	}
	snprintf(out, len, "%.3s****%s", s, s + n - 2);
}

void con_mask_email(const char *s, char *out, size_t len)
{
	const char *at = s ? strchr(s, '@') : NULL;

	if (!at) {
		snprintf(out, len, "%s", s && *s ? "***" : "-");
		return;
	}
	snprintf(out, len, "%.1s***@***%s", s, strrchr(at, '.') ? strrchr(at, '.') : "");
}

void con_money(const char *minor, const char *currency, enum con_lang lang, char *out, size_t len)
{
	static const char *const loc[CON_NLANG] = {"en-US", "ko-KR", "ja-JP", "zh-CN"};
	int64_t m = strtoll(minor ? minor : "0", NULL, 10);

	if (money_format(m, currency, loc[lang], out, len) < 0)
		snprintf(out, len, "%" PRId64 " %s", m, currency ? currency : "");
}

void con_contact(struct con_out *o, enum con_lang lang, const char *phone, const char *email,
		 int reveal)
{
	char mask[128];

	con_esc(o, con_t(lang, "phone"));
	con_lit(o, ": <span class=\"contact\">");
	if (reveal) {
		con_esc(o, phone);
	} else {
		con_mask_phone(phone, mask, sizeof mask);
		con_esc(o, mask);
	}
	con_lit(o, "</span> &middot; ");
	con_esc(o, con_t(lang, "email"));
	con_lit(o, ": <span class=\"contact\">");
	if (reveal) {
		con_esc(o, email);
	} else {
		con_mask_email(email, mask, sizeof mask);
		con_esc(o, mask);
	}
	con_lit(o, "</span>");
}

void con_owed(const char *list, enum con_lang lang, char *out, size_t len)
{
	static const char *const loc[CON_NLANG] = {"en-US", "ko-KR", "ja-JP", "zh-CN"};
	struct owed v[OWED_MAX_CURRENCIES];
	int n = owed_parse(list, v, OWED_MAX_CURRENCIES);

	if (n < 0 || owed_format(v, (size_t)n, loc[lang], out, len) < 0)
		snprintf(out, len, "-");
	else if (n == 0)
		snprintf(out, len, "0");
}

void con_account_facts(struct con_out *o, enum con_lang lang, const char *locale, const char *tz,
		       const char *phone, const char *email, int reveal, const char *owed,
		       const char *state)
{
	char text[256];

	con_esc(o, locale);
	con_lit(o, " &middot; ");
	con_esc(o, tz);
	con_lit(o, "</p><p>");
	con_contact(o, lang, phone, email, reveal);
	con_lit(o, "</p><p>");
	con_esc(o, con_t(lang, "overdue"));
	con_lit(o, ": <strong>");
	con_owed(owed, lang, text, sizeof text);
	con_esc(o, text);
	con_lit(o, "</strong> &middot; ");
	con_esc(o, con_t(lang, "case_state"));
	con_lit(o, ": ");
	con_esc(o, state);
}

void con_title(struct con_out *o, const char *title, const char *why)
{
	if (why) {
		con_lit(o, "<p class=\"flash err\">");
		con_esc(o, why);
		con_lit(o, "</p>");
	}
	con_lit(o, "<h1>");
	con_esc(o, title);
	con_lit(o, "</h1>");
}
