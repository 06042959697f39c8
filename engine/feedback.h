/* What provider feedback means in dunnd's terms: the generic webhooks'
 * JSON bodies, SMS reply keywords (STOP, START, HELP) and provider
 * delivery statuses. Pure: no I/O, unit-tested. */
#ifndef DUNN_FEEDBACK_H
#define DUNN_FEEDBACK_H

#include <stddef.h>

#include "channel.h"

enum feedback_keyword {
	FEEDBACK_KW_NONE,   /* an ordinary reply: a task for the call team */
	FEEDBACK_KW_STOP,   /* an opt-out: STOP, 수신거부, 配信停止, 退订, TD, ... */
	FEEDBACK_KW_START,  /* an opt-in: START, 시작, 開始, 订阅, ... */
	FEEDBACK_KW_HELP,   /* HELP, 도움말, ヘルプ, 帮助, ... */
	FEEDBACK_KW_REVIEW, /* names an opt-out word but is not one ("STOP please",
			     * "수신거부 하려면?"): a person decides, nobody calls */
};

/* What a whole reply is. The reply is folded first with ICU's
 * NFKC_Casefold (full-width Latin and half-width katakana become plain,
 * case is folded), then whitespace, punctuation, symbols and controls
 * are dropped ("  Ｓｔｏｐ！", "opt-out", "「配信停止」", "수신 거부" are
 * keywords). Anything else that contains an opt-out word (a whole Latin
 * word, or a CJK one anywhere) is FEEDBACK_KW_REVIEW. *lang, when lang is
 * not NULL, is set to the language of the word matched ("en", "ko", "ja",
 * "zh", "zh-Hant" for a Traditional one such as 退訂), or NULL for
 * FEEDBACK_KW_NONE. Only the first 4096 bytes count;
 * invalid UTF-8 counts as U+FFFD. */
enum feedback_keyword feedback_classify(const char *body, const char **lang);
/* feedback_classify without the language. */
enum feedback_keyword feedback_keyword(const char *body);

/* The language dunnd replies in for a BCP 47 locale: "ko", "ja", "zh" for
 * those languages, "zh-Hant" for Traditional Chinese (zh-Hant, zh-TW,
 * zh-HK, zh-MO and their subtags), else "en". NULL gives "en". */
const char *feedback_lang(const char *locale);

/* The text answering a keyword (STOP, START or HELP; others give -1) in
 * lang (as feedback_lang returns; unknown ones get English): it opens
 * with sender, the legal identity texts open with (brand.sms_name), in
 * the locale's form ("[(주)예시텔레콤] ", "【例示テレコム(株)】",
 * "Example Telecom Inc.: "), and names support, the support phone or
 * address (NULL or "" leaves it out). Returns the bytes written to out,
 * or -1 when kw has no text or out is too small (out is then ""). */
int feedback_reply(enum feedback_keyword kw, const char *lang, const char *sender,
		   const char *support, char *out, size_t len);

/* A provider's delivery status as a deliveries.status value: queued,
 * sending, sent, delivered, failed (also for undelivered) or bounced.
 * NULL when unknown. */
const char *feedback_status(const char *provider_status);

/* Parse a generic webhook body into ev. 0, or -1 when it is not JSON, not
 * an object, or lacks a required string member:
 *   /webhooks/sms/status   {"id", "status", "error_code"?}  -> CHANNEL_EV_STATUS
 *   /webhooks/sms/inbound  {"from", "body", "id"?}          -> CHANNEL_EV_INBOUND
 *   /webhooks/email/events {"type": "bounce"|"complaint"|"delivered",
 *                           "address"?, "id"?}              -> BOUNCE, COMPLAINT, STATUS
 * (bounce and complaint need "address", delivered needs "id"). */
int feedback_parse_sms_status(const char *body, size_t len, struct channel_event *ev);
int feedback_parse_sms_inbound(const char *body, size_t len, struct channel_event *ev);
int feedback_parse_email_event(const char *body, size_t len, struct channel_event *ev);

#endif
