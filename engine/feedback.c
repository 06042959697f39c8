#include "feedback.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

/* Whole replies, after folding (see fold): each word once, lower case
 * and without blanks or punctuation. en first, so that a word two
 * languages share is credited to the first listed. */
static const struct kw_word {
	const char *word;
	enum feedback_keyword kw;
	const char *lang;
} kw_words[] = {
	{"stop", FEEDBACK_KW_STOP, "en"},        {"stopall", FEEDBACK_KW_STOP, "en"},
	{"unsubscribe", FEEDBACK_KW_STOP, "en"}, {"cancel", FEEDBACK_KW_STOP, "en"},
	{"end", FEEDBACK_KW_STOP, "en"},         {"quit", FEEDBACK_KW_STOP, "en"},
	{"revoke", FEEDBACK_KW_STOP, "en"},      {"optout", FEEDBACK_KW_STOP, "en"},
	{"start", FEEDBACK_KW_START, "en"},      {"unstop", FEEDBACK_KW_START, "en"},
	{"yes", FEEDBACK_KW_START, "en"},        {"help", FEEDBACK_KW_HELP, "en"},
	{"info", FEEDBACK_KW_HELP, "en"},        {"수신거부", FEEDBACK_KW_STOP, "ko"},
	{"거부", FEEDBACK_KW_STOP, "ko"},        {"수신거절", FEEDBACK_KW_STOP, "ko"},
	{"수신중지", FEEDBACK_KW_STOP, "ko"},    {"중지", FEEDBACK_KW_STOP, "ko"},
	{"시작", FEEDBACK_KW_START, "ko"},       {"수신동의", FEEDBACK_KW_START, "ko"},
	{"재개", FEEDBACK_KW_START, "ko"},       {"도움말", FEEDBACK_KW_HELP, "ko"},
	{"도움", FEEDBACK_KW_HELP, "ko"},        {"안내", FEEDBACK_KW_HELP, "ko"},
	{"配信停止", FEEDBACK_KW_STOP, "ja"},    {"停止", FEEDBACK_KW_STOP, "ja"},
	{"配信解除", FEEDBACK_KW_STOP, "ja"},    {"受信拒否", FEEDBACK_KW_STOP, "ja"},
	{"ストップ", FEEDBACK_KW_STOP, "ja"},    {"開始", FEEDBACK_KW_START, "ja"},
	{"配信再開", FEEDBACK_KW_START, "ja"},   {"再開", FEEDBACK_KW_START, "ja"},
	{"スタート", FEEDBACK_KW_START, "ja"},   {"ヘルプ", FEEDBACK_KW_HELP, "ja"},
	{"案内", FEEDBACK_KW_HELP, "ja"},        {"ご案内", FEEDBACK_KW_HELP, "ja"},
	{"退订", FEEDBACK_KW_STOP, "zh"},        {"退訂", FEEDBACK_KW_STOP, "zh-Hant"},
	{"td", FEEDBACK_KW_STOP, "zh"},          {"t", FEEDBACK_KW_STOP, "zh"},
	{"取消订阅", FEEDBACK_KW_STOP, "zh"},    {"订阅", FEEDBACK_KW_START, "zh"},
	{"重新订阅", FEEDBACK_KW_START, "zh"},   {"开始", FEEDBACK_KW_START, "zh"},
	{"帮助", FEEDBACK_KW_HELP, "zh"},        {"客服", FEEDBACK_KW_HELP, "zh"},
	{"訂閱", FEEDBACK_KW_START, "zh-Hant"},  {"重新訂閱", FEEDBACK_KW_START, "zh-Hant"},
	{"幫助", FEEDBACK_KW_HELP, "zh-Hant"},
};

/* Opt-out words that send a longer reply to review. Latin ones must be a
 * whole word of the reply ("stopped", "weekend" are not), so the short
 * and common END and T are left out; CJK ones count anywhere, as those
 * scripts do not separate words. */
static const struct kw_word review_latin[] = {
	{"stop", 0, "en"}, {"stopall", 0, "en"}, {"unsubscribe", 0, "en"}, {"cancel", 0, "en"},
	{"quit", 0, "en"}, {"revoke", 0, "en"},  {"optout", 0, "en"},      {"td", 0, "zh"},
};
static const struct kw_word review_cjk[] = {
	{"수신거부", 0, "ko"}, {"거부", 0, "ko"},      {"수신거절", 0, "ko"}, {"수신중지", 0, "ko"},
	{"중지", 0, "ko"},     {"그만", 0, "ko"},      {"配信停止", 0, "ja"}, {"停止", 0, "ja"},
	{"配信解除", 0, "ja"}, {"受信拒否", 0, "ja"},  {"拒否", 0, "ja"},     {"ストップ", 0, "ja"},
	{"退订", 0, "zh"},     {"退訂", 0, "zh-Hant"}, {"取消", 0, "zh"},     {"不要再发", 0, "zh"},
};

#define FOLD_MAX_IN 4096

/* A separator between words: whitespace, punctuation, symbols (emoji
 * too), controls, format characters, unassigned code points. */
static int fold_separator(UChar32 c)
{
	int8_t t = u_charType(c);

	return u_isUWhiteSpace(c) ||
		(U_GET_GC_MASK(c) & (U_GC_Z_MASK | U_GC_P_MASK | U_GC_S_MASK | U_GC_C_MASK)) ||
		t == U_UNASSIGNED || c == 0xFFFD;
}

/* body folded (NFKC_Casefold) into two UTF-8 strings, both malloc'ed:
 * *tight without any separator, *words with one blank for each run of
 * separators and between ASCII and other characters, so that "STOP해" or
 * "回复TD" still show STOP and TD as words. 0, or -1 (out of memory or
 * ICU failure; nothing allocated). */
static int fold(const char *body, char **tight, char **words)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&st);
	int32_t inlen = (int32_t)strnlen(body, FOLD_MAX_IN), n16 = 0, nn;
	UChar *src = NULL, *dst = NULL;
	char *t = NULL, *w = NULL;
	size_t nt = 0, nw = 0;
	int prev_ascii = -1, gap = 0;

	if (U_FAILURE(st))
		return -1;
	/* Cut a sequence the 4096 bytes split; the substitute stands for it. */
	src = malloc(((size_t)inlen + 1) * sizeof *src);
	if (!src)
		return -1;
	u_strFromUTF8WithSub(src, inlen + 1, &n16, body, inlen, 0xFFFD, NULL, &st);
	if (U_FAILURE(st))
		goto fail;
	nn = unorm2_normalize(nfkc, src, n16, NULL, 0, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		goto fail;
	st = U_ZERO_ERROR;
	dst = malloc(((size_t)nn + 1) * sizeof *dst);
	if (!dst)
		goto fail;
	nn = unorm2_normalize(nfkc, src, n16, dst, nn + 1, &st);
	if (U_FAILURE(st))
		goto fail;
	/* A UTF-16 unit becomes at most 3 UTF-8 bytes (a pair 4 for 2), and
	 * words adds at most one blank before each. */
	t = malloc((size_t)nn * 3 + 1);
	w = malloc((size_t)nn * 4 + 1);
	if (!t || !w)
		goto fail;
	for (int32_t i = 0; i < nn;) {
		UChar32 c;
		U16_NEXT(dst, i, nn, c);
		if (fold_separator(c)) {
			gap = nw > 0;
			continue;
		}
		int ascii = c < 0x80;
		if (nw > 0 && (gap || ascii != prev_ascii))
			w[nw++] = ' ';
		gap = 0;
		prev_ascii = ascii;
		U8_APPEND_UNSAFE(t, nt, c);
		U8_APPEND_UNSAFE(w, nw, c);
	}
	t[nt] = '\0';
	w[nw] = '\0';
	free(src);
	free(dst);
	*tight = t;
	*words = w;
	return 0;
fail:
	free(src);
	free(dst);
	free(t);
	free(w);
	return -1;
}

/* Is word one of the blank-separated words of words? "opt out" written
 * as two words counts as "optout". */
static int has_word(const char *words, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = words; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == wl && !memcmp(p, word, wl))
			return 1;
		if (!strcmp(word, "optout") && l == 3 && !memcmp(p, "opt", 3) && e &&
		    !strncmp(e + 1, "out", 3) && (e[4] == ' ' || e[4] == '\0'))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

enum feedback_keyword feedback_classify(const char *body, const char **lang)
{
	enum feedback_keyword kw = FEEDBACK_KW_NONE;
	const char *found = NULL;
	char *tight = NULL, *words = NULL;

	if (lang)
		*lang = NULL;
	if (!body || !*body || fold(body, &tight, &words) != 0)
		return FEEDBACK_KW_NONE;
	for (size_t i = 0; i < sizeof kw_words / sizeof kw_words[0] && !found; i++)
		if (!strcmp(tight, kw_words[i].word)) {
			kw = kw_words[i].kw;
			found = kw_words[i].lang;
		}
	for (size_t i = 0; i < sizeof review_latin / sizeof review_latin[0] && !found; i++)
		if (has_word(words, review_latin[i].word)) {
			kw = FEEDBACK_KW_REVIEW;
			found = review_latin[i].lang;
		}
	for (size_t i = 0; i < sizeof review_cjk / sizeof review_cjk[0] && !found; i++)
		if (strstr(tight, review_cjk[i].word)) {
			kw = FEEDBACK_KW_REVIEW;
			found = review_cjk[i].lang;
		}
	free(tight);
	free(words);
	if (lang)
		*lang = found;
	return kw;
}

enum feedback_keyword feedback_keyword(const char *body)
{
	return feedback_classify(body, NULL);
}

const char *feedback_lang(const char *locale)
{
	static const char *const langs[] = {"ko", "ja", "zh"};

	for (size_t i = 0; locale && i < sizeof langs / sizeof langs[0]; i++)
		if (!strncasecmp(locale, langs[i], 2) &&
		    (locale[2] == '\0' || locale[2] == '-' || locale[2] == '_')) {
			/* Taiwan, Hong Kong and Macau read Traditional characters,
			 * as the templates' and the brand's zh-Hant do. */
			if (i == 2 && (locale[2] == '-' || locale[2] == '_') &&
			    (!strncasecmp(locale + 3, "Hant", 4) ||
			     !strncasecmp(locale + 3, "TW", 2) ||
			     !strncasecmp(locale + 3, "HK", 2) ||
			     !strncasecmp(locale + 3, "MO", 2)) &&
			    (locale[5] == '\0' || locale[5] == '-' || locale[5] == '_' ||
			     !strncasecmp(locale + 3, "Hant", 4)))
				return "zh-Hant";
			return langs[i];
		}
	return "en";
}

/* Replies per language: STOP, START, HELP with support, HELP without,
 * and the closing line STOP and START end with when there is a support
 * contact. The first %s is the sender's legal identity (brand.sms_name,
 * set off as the locale sets a sender, as the shipped SMS templates do),
 * the second the support contact: every text must say who sent it and
 * where to ask, the confirmations too. Each names the keyword to answer
 * in its own language. Kept short: with a 24-character identity and a
 * 24-character contact every one fits two SMS parts (134 UCS-2
 * characters, which en needs too when the name is in Hangul or kana;
 * 306 GSM-7), which check_feedback asserts. */
static const struct {
	const char *lang;
	const char *text[4];
	const char *tail;
} replies[] = {
	{"en",
	 {"%s: you are unsubscribed from SMS reminders. Reply START to resubscribe.",
	  "%s: you are subscribed to SMS reminders again. Reply STOP to opt out.",
	  "%s billing reminders. Questions: %s. Reply STOP to opt out.",
	  "%s billing reminders. Reply STOP to opt out."},
	 " Questions: %s"},
	{"ko",
	 {"[%s] 문자 수신거부 처리되었습니다. 다시 받으시려면 '시작'이라고 답장해 주세요.",
	  "[%s] 문자 안내 수신이 다시 시작되었습니다. 원하지 않으시면 '수신거부'라고 답장해 "
	  "주세요.",
	  "[%s] 요금 납부 안내입니다. 문의 %s. 수신거부는 '수신거부'라고 답장해 주세요.",
	  "[%s] 요금 납부 안내입니다. 수신거부는 '수신거부'라고 답장해 주세요."},
	 " 문의 %s"},
	{"ja",
	 {"【%s】SMSでのご案内を停止しました。今後SMSはお送りしません。"
	  "再開をご希望の場合は「開始」とご返信ください。",
	  "【%s】SMSでのご案内を再開しました。停止をご希望の場合は「停止」とご返信ください。",
	  "【%s】お支払いのご案内です。お問合せ：%s。配信停止は「停止」とご返信ください。",
	  "【%s】お支払いのご案内です。配信停止は「停止」とご返信ください。"},
	 "お問合せ：%s"},
	{"zh",
	 {"【%s】您已成功退订，今后将不再收到短信提醒。如需重新订阅，请回复“订阅”。",
	  "【%s】您已重新订阅短信提醒。如需退订，请回复“退订”或“TD”。",
	  "【%s】账单缴费提醒。客服%s。回复“TD”退订。", "【%s】账单缴费提醒。回复“TD”退订。"},
	 "客服%s"},
	{"zh-Hant",
	 {"【%s】您已成功退訂，今後將不再收到簡訊提醒。如需重新訂閱，請回覆「訂閱」。",
	  "【%s】您已重新訂閱簡訊提醒。如需退訂，請回覆「退訂」或「TD」。",
	  "【%s】帳單繳費提醒。客服%s。回覆「TD」退訂。", "【%s】帳單繳費提醒。回覆「TD」退訂。"},
	 "客服%s"},
};

int feedback_reply(enum feedback_keyword kw, const char *lang, const char *sender,
		   const char *support, char *out, size_t len)
{
	size_t l = 0, k;
	int n, m = 0, with_support = support && *support;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; lang && i < sizeof replies / sizeof replies[0]; i++)
		if (!strcmp(lang, replies[i].lang))
			l = i;
	switch (kw) {
	case FEEDBACK_KW_STOP:
		k = 0;
		break;
	case FEEDBACK_KW_START:
		k = 1;
		break;
	case FEEDBACK_KW_HELP:
		k = with_support ? 2 : 3;
		break;
	default:
		return -1;
	}
	if (!sender)
		sender = "";
		/* The formats are the fixed table above. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = k == 2 ? snprintf(out, len, replies[l].text[k], sender, support)
		   : snprintf(out, len, replies[l].text[k], sender);
	if (n >= 0 && (size_t)n < len && k < 2 && with_support)
		m = snprintf(out + n, len - (size_t)n, replies[l].tail, support);
#pragma GCC diagnostic pop
	if (n < 0 || m < 0 || (size_t)n + (size_t)m >= len) {
		out[0] = '\0';
		return -1;
	}
	return n + m;
}

const char *feedback_status(const char *s)
{
	static const char *const map[][2] = {
		{"accepted", "queued"}, {"scheduled", "queued"},   {"queued", "queued"},
		{"sending", "sending"}, {"sent", "sent"},          {"delivered", "delivered"},
		{"read", "delivered"},  {"undelivered", "failed"}, {"failed", "failed"},
		{"canceled", "failed"}, {"bounced", "bounced"},
	};

	for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(s, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Copy a string member; -1 if absent (when required), not a string, or
 * too long. Numbers are accepted where providers send codes as numbers. */
static int member(json_t *o, const char *key, char *out, size_t len, int required)
{
	json_t *v = json_object_get(o, key);
	int n;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (json_is_integer(v))
		n = snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		n = snprintf(out, len, "%s", json_string_value(v));
	else
		return -1;
	if (n < 0 || (size_t)n >= len || (required && n == 0))
		return -1;
	return 0;
}

/* Cut text to fit, never inside a UTF-8 sequence (long replies are kept
 * in part rather than refused: the provider would retry forever). */
static int text_member(json_t *o, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s);
	if (n != json_string_length(v))
		return -1; /* embedded NUL */
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static json_t *load(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);

	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int feedback_parse_sms_status(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	ev->kind = CHANNEL_EV_STATUS;
	if (j && member(j, "id", ev->provider_id, sizeof ev->provider_id, 1) == 0 &&
	    member(j, "status", ev->status, sizeof ev->status, 1) == 0 &&
	    member(j, "error_code", ev->error_code, sizeof ev->error_code, 0) == 0)
		rc = 0;
	json_decref(j);
	return rc;
}

int feedback_parse_sms_inbound(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	ev->kind = CHANNEL_EV_INBOUND;
	if (j && member(j, "from", ev->address, sizeof ev->address, 1) == 0 &&
	    text_member(j, "body", ev->body, sizeof ev->body) == 0 &&
	    member(j, "id", ev->provider_id, sizeof ev->provider_id, 0) == 0)
		rc = 0;
	json_decref(j);
	return rc;
}

int feedback_parse_email_event(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	char type[32];
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	if (!j || member(j, "type", type, sizeof type, 1) != 0 ||
	    member(j, "address", ev->address, sizeof ev->address, 0) != 0 ||
	    member(j, "id", ev->provider_id, sizeof ev->provider_id, 0) != 0)
		goto out;
	if (strcmp(type, "bounce") == 0 && ev->address[0]) {
		ev->kind = CHANNEL_EV_BOUNCE;
		snprintf(ev->status, sizeof ev->status, "bounced");
		rc = 0;
	} else if (strcmp(type, "complaint") == 0 && ev->address[0]) {
		ev->kind = CHANNEL_EV_COMPLAINT;
		rc = 0;
	} else if (strcmp(type, "delivered") == 0 && ev->provider_id[0]) {
		ev->kind = CHANNEL_EV_STATUS;
		snprintf(ev->status, sizeof ev->status, "delivered");
		rc = 0;
	}
out:
	json_decref(j);
	return rc;
}
