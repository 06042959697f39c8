/* The customer's own page behind the personal payment link (/p/<token>):
 * what is owed, "Pay now", promise a date, ask for a plan, dispute a
 * charge, rate how it was handled, and choose how we may contact them. Served by dunnd's HTTP server. */
#ifndef DUNN_PAGE_H
#define DUNN_PAGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http_int.h"

/* page.c: http.c routes every path under /p/ here. */
void page_request(struct http *h, struct evhttp_request *req, const char *path);
/* On shutdown: answer every request waiting for the database 503; the
 * jobs are freed when pgq fails their queries. */
void page_abort_all(void);

/* page_strings.c: the page's words in en, ko, ja, zh (Simplified) and
 * zh-Hant (Traditional: zh-TW, zh-HK, zh-MO, zh-Hant-*). "{}" in a string
 * marks where one value goes. */
enum page_lang { PAGE_EN, PAGE_KO, PAGE_JA, PAGE_ZH, PAGE_ZH_HANT, PAGE_NLANG };

#define PAGE_NREASONS 5
#define PAGE_NSTATUS 5

struct page_text {
	const char *lang; /* BCP 47 language, also the formatting locale fallback */
	const char *title, *hello, *intro, *contact;
	const char *th_invoice, *th_due, *th_amount, *total, *pay_now, *under_review;
	const char *nothing_due;
	/* The case's late fees (dunning.fees) under the total, and the sum
	 * of both: a line of their own, never added into the invoices. */
	const char *late_fee, *with_fees;
	const char *promise_h, *promise_p, *promise_lbl, *promise_btn, *promised;
	const char *plan_h, *plan_p, *plan_btn, *planned;
	const char *dispute_h, *dispute_p, *lbl_invoice, *lbl_reason, *lbl_detail, *dispute_btn;
	const char *reasons[PAGE_NREASONS];
	const char *disputes_h, *dispute_on, *opened, *resolved;
	const char *status[PAGE_NSTATUS];
	const char *rate_q, *rate_lo, *rate_hi, *rate_btn, *rated;
	const char *dispute_ok, *rate_ok, *bad_date, *bad_form, *no_case, *dispute_dup, *error;
	const char *expired_h, *forged_h, *refused_p, *refused_nosupport, *too_many;
	/* The header: who is asking and how to reach them. */
	const char *support_phone, *privacy;
	/* Contact preferences: opt-outs and quiet times. */
	const char *prefs_h, *prefs_p, *stop_legend, *stop_email, *stop_sms;
	const char *email_stopped, *sms_stopped;
	const char *quiet_legend, *quiet_p, *quiet_max, *quiet_from, *quiet_to, *quiet_now;
	const char *quiet_clear, *prefs_btn, *prefs_ok, *quiet_long;
	const char *days[7]; /* Monday first */
	/* The lang attribute and Content-Language: "zh-CN", not "zh". */
	const char *html_lang;
};

/* Reason codes stored in disputes.reason, in the order of reasons[]. */
extern const char *const page_reason_codes[PAGE_NREASONS];
/* Dispute statuses, in the order of status[]. */
extern const char *const page_status_codes[PAGE_NSTATUS];

const struct page_text *page_text(enum page_lang lang);
/* The language of a BCP 47 tag ("ko-KR" -> ko, "zh-TW" -> zh-Hant);
 * anything else is en. */
enum page_lang page_lang_of(const char *tag);
/* The best of our languages in an Accept-Language header (q-values
 * honoured), else en. */
enum page_lang page_lang_accept(const char *header);

/* page_limit.c: a token bucket per account, 30 requests a minute (burst
 * 30). 1 when the request may go on, 0 when over the limit. */
int page_limit_take(int64_t account_id, double now);

/* page_render.c */
enum page_form {
	PAGE_F_PROMISE,
	PAGE_F_PLAN,
	PAGE_F_DISPUTE,
	PAGE_F_RATE,
	PAGE_F_PREFS,
	PAGE_NFORMS
};
extern const char *const page_form_names[PAGE_NFORMS];

struct page_view {
	const struct config *cfg;
	const json_t *data; /* the view query's JSON object */
	const char *token;
	const char *flash;     /* message code from ?m=, or NULL */
	const char *flash_ref; /* dispute reference from ?d=, or NULL */
	int64_t now;
	char csrf[PAGE_NFORMS][48];
};

/* The page as HTML (caller frees), NULL when out of memory. */
char *page_render(const struct page_view *v, size_t *len);
/* The polite refusal (expired: 410, else forged) or the 429 page. */
char *page_render_refusal(enum page_lang lang, const struct config *cfg, int code, size_t *len);
/* The Content-Security-Policy header value (the style's hash inside). */
const char *page_csp(void);

#endif
