/* Unit tests for engine/feedback: reply keywords, statuses, generic bodies. */
#include <check.h>
#include <ctype.h>
#include <string.h>

#include "feedback.h"
#include "smsseg.h"

#define P(f, s, ev) f(s, strlen(s), ev)

START_TEST(keywords)
{
	ck_assert_int_eq(feedback_keyword("STOP"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("  stop \n"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Stop."), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("opt  out"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Opt-Out!"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Unsubscribe"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("STOPALL"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("stop all"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("cancel"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("end"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("quit"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("revoke"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("start"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("UNSTOP"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("yes"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("help"), FEEDBACK_KW_HELP);
	ck_assert_int_eq(feedback_keyword("Info"), FEEDBACK_KW_HELP);
	ck_assert_int_eq(feedback_keyword("stopping"), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword("I will pay on Friday, thank you very much"),
			 FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword(""), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword(" .!? "), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword(NULL), FEEDBACK_KW_NONE);
}
END_TEST

/* Full-width Latin (as CJK keyboards type it), ideographic blanks and
 * CJK punctuation fold away; so do emoji. */
START_TEST(keywords_width_and_punctuation)
{
	ck_assert_int_eq(feedback_keyword("ＳＴＯＰ"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("ｓｔｏｐ"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("\u3000Ｓｔｏｐ！\u3000"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("ＴＤ"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("ｔｄ。"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("「配信停止」"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("配信停止。"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("ｽﾄｯﾌﾟ"), FEEDBACK_KW_STOP); /* half-width kana */
	ck_assert_int_eq(feedback_keyword("수신 거부"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("수신거부!!"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("“退订”"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("退订！"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("STOP 🛑"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Ｈｅｌｐ？"), FEEDBACK_KW_HELP);
	/* Zero-width and other format characters are no disguise. */
	ck_assert_int_eq(feedback_keyword("S\u200bTOP"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("\xef\xbb\xbfstop"), FEEDBACK_KW_STOP);
}
END_TEST

START_TEST(keywords_per_language)
{
	static const struct {
		const char *body;
		enum feedback_keyword kw;
		const char *lang;
	} cases[] = {
		{"STOP", FEEDBACK_KW_STOP, "en"},       {"START", FEEDBACK_KW_START, "en"},
		{"HELP", FEEDBACK_KW_HELP, "en"},       {"수신거부", FEEDBACK_KW_STOP, "ko"},
		{"거부", FEEDBACK_KW_STOP, "ko"},       {"수신중지", FEEDBACK_KW_STOP, "ko"},
		{"시작", FEEDBACK_KW_START, "ko"},      {"수신동의", FEEDBACK_KW_START, "ko"},
		{"도움말", FEEDBACK_KW_HELP, "ko"},     {"配信停止", FEEDBACK_KW_STOP, "ja"},
		{"停止", FEEDBACK_KW_STOP, "ja"},       {"配信解除", FEEDBACK_KW_STOP, "ja"},
		{"開始", FEEDBACK_KW_START, "ja"},      {"再開", FEEDBACK_KW_START, "ja"},
		{"ヘルプ", FEEDBACK_KW_HELP, "ja"},     {"退订", FEEDBACK_KW_STOP, "zh"},
		{"退訂", FEEDBACK_KW_STOP, "zh-Hant"},  {"TD", FEEDBACK_KW_STOP, "zh"},
		{"T", FEEDBACK_KW_STOP, "zh"},          {"t", FEEDBACK_KW_STOP, "zh"},
		{"订阅", FEEDBACK_KW_START, "zh"},      {"帮助", FEEDBACK_KW_HELP, "zh"},
		{"訂閱", FEEDBACK_KW_START, "zh-Hant"}, {"幫助", FEEDBACK_KW_HELP, "zh-Hant"},
	};
	const char *lang;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum feedback_keyword kw = feedback_classify(cases[i].body, &lang);
		ck_assert_msg(kw == cases[i].kw, "%s: %d", cases[i].body, kw);
		ck_assert_msg(lang && !strcmp(lang, cases[i].lang), "%s: lang %s", cases[i].body,
			      lang ? lang : "(null)");
	}
	ck_assert_int_eq(feedback_classify("I will pay on Friday", &lang), FEEDBACK_KW_NONE);
	ck_assert_ptr_null(lang);
}
END_TEST

/* Every documented word (README's table), in every dress a phone keyboard
 * gives it: as typed, upper and lower case, full-width, quoted or
 * bracketed, with CJK or ASCII punctuation, blanks around and between. */
START_TEST(keywords_every_word_every_form)
{
	static const struct {
		const char *word;
		enum feedback_keyword kw;
	} words[] = {
		{"STOP", FEEDBACK_KW_STOP},        {"STOPALL", FEEDBACK_KW_STOP},
		{"UNSUBSCRIBE", FEEDBACK_KW_STOP}, {"CANCEL", FEEDBACK_KW_STOP},
		{"END", FEEDBACK_KW_STOP},         {"QUIT", FEEDBACK_KW_STOP},
		{"REVOKE", FEEDBACK_KW_STOP},      {"OPT OUT", FEEDBACK_KW_STOP},
		{"START", FEEDBACK_KW_START},      {"UNSTOP", FEEDBACK_KW_START},
		{"YES", FEEDBACK_KW_START},        {"HELP", FEEDBACK_KW_HELP},
		{"INFO", FEEDBACK_KW_HELP},        {"수신거부", FEEDBACK_KW_STOP},
		{"거부", FEEDBACK_KW_STOP},        {"수신거절", FEEDBACK_KW_STOP},
		{"수신중지", FEEDBACK_KW_STOP},    {"중지", FEEDBACK_KW_STOP},
		{"시작", FEEDBACK_KW_START},       {"수신동의", FEEDBACK_KW_START},
		{"재개", FEEDBACK_KW_START},       {"도움말", FEEDBACK_KW_HELP},
		{"도움", FEEDBACK_KW_HELP},        {"안내", FEEDBACK_KW_HELP},
		{"配信停止", FEEDBACK_KW_STOP},    {"停止", FEEDBACK_KW_STOP},
		{"配信解除", FEEDBACK_KW_STOP},    {"受信拒否", FEEDBACK_KW_STOP},
		{"ストップ", FEEDBACK_KW_STOP},    {"開始", FEEDBACK_KW_START},
		{"配信再開", FEEDBACK_KW_START},   {"再開", FEEDBACK_KW_START},
		{"スタート", FEEDBACK_KW_START},   {"ヘルプ", FEEDBACK_KW_HELP},
		{"案内", FEEDBACK_KW_HELP},        {"ご案内", FEEDBACK_KW_HELP},
		{"退订", FEEDBACK_KW_STOP},        {"退訂", FEEDBACK_KW_STOP},
		{"TD", FEEDBACK_KW_STOP},          {"T", FEEDBACK_KW_STOP},
		{"取消订阅", FEEDBACK_KW_STOP},    {"订阅", FEEDBACK_KW_START},
		{"重新订阅", FEEDBACK_KW_START},   {"开始", FEEDBACK_KW_START},
		{"帮助", FEEDBACK_KW_HELP},        {"客服", FEEDBACK_KW_HELP},
		{"訂閱", FEEDBACK_KW_START},       {"重新訂閱", FEEDBACK_KW_START},
		{"幫助", FEEDBACK_KW_HELP},
	};
	static const char *const dress[] = {
		"%s",       " %s ", "\t%s\n",         "%s.",
		"%s!",      "%s?",  "%s!!!",          "\"%s\"",
		"'%s'",     "(%s)", "[%s]",           "「%s」",
		"『%s』",   "“%s”", "【%s】",         "%s。",
		"%s！",     "%s？", "\u3000%s\u3000", "%s、",
		"...%s...", "%s 🙏", "%s\u200b",
	};
	char buf[256], forms[4][128];

	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
		const char *word = words[w].word;
		size_t n = 0, l = strlen(word);
		int latin = (unsigned char)word[0] < 0x80;

		snprintf(forms[0], sizeof forms[0], "%s", word);
		/* lower case, and Title case for Latin words */
		for (size_t i = 0; i <= l; i++) {
			forms[1][i] = latin ? (char)tolower((unsigned char)word[i]) : word[i];
			forms[2][i] = latin && i > 0 ? (char)tolower((unsigned char)word[i])
						     : word[i];
		}
		/* full-width Latin: U+FF21.. for A.., U+3000 for a blank */
		forms[3][0] = '\0';
		for (size_t i = 0; latin && i < l; i++) {
			unsigned c = (unsigned char)word[i];
			unsigned u = c == ' ' ? 0x3000 : c + 0xFEE0;
			forms[3][n++] = (char)(0xE0 | (u >> 12));
			forms[3][n++] = (char)(0x80 | ((u >> 6) & 0x3F));
			forms[3][n++] = (char)(0x80 | (u & 0x3F));
			forms[3][n] = '\0';
		}
		for (size_t f = 0; f < 4; f++) {
			if (!forms[f][0])
				continue;
			for (size_t d = 0; d < sizeof dress / sizeof dress[0]; d++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
				snprintf(buf, sizeof buf, dress[d], forms[f]);
#pragma GCC diagnostic pop
				ck_assert_msg(feedback_keyword(buf) == words[w].kw,
					      "'%s': %d, want %d", buf, feedback_keyword(buf),
					      words[w].kw);
			}
		}
		/* A blank inside a CJK word is only a slip of the thumb. */
		if (!latin && l >= 6) {
			snprintf(buf, sizeof buf, "%.3s %s", word, word + 3);
			ck_assert_msg(feedback_keyword(buf) == words[w].kw, "'%s'", buf);
		}
	}
}
END_TEST

/* A reply that names an opt-out but is not one goes to a person. */
START_TEST(keywords_for_review)
{
	static const char *const review[] = {
		"STOP please",
		"please stop",
		"Stop texting me",
		"stop!!! I paid",
		"Can I unsubscribe?",
		"ＳＴＯＰ　ｐｌｅａｓｅ",
		"I want to opt out",
		"opt-out of texts",
		"STOP STOP",
		"수신거부 하려면?",
		"수신거부해주세요",
		"문자 그만 보내세요",
		"STOP해주세요",
		"配信停止してください",
		"配信を停止して",
		"退订谢谢",
		"回复TD",
		"请不要再发短信",
		"我要退订",
		"cancel my texts",
		"quit sending",
	};
	static const char *const ordinary[] = {
		"I will pay at the end of the month",
		"the payment stopped?",
		"I paid yesterday",
		"weekend",
		"Thanks",
		"お支払いしました",
		"내일 납부하겠습니다",
		"我明天付款",
		"Tom",
		"startup",
	};
	const char *lang;

	for (size_t i = 0; i < sizeof review / sizeof review[0]; i++)
		ck_assert_msg(feedback_classify(review[i], &lang) == FEEDBACK_KW_REVIEW && lang,
			      "not for review: %s", review[i]);
	for (size_t i = 0; i < sizeof ordinary / sizeof ordinary[0]; i++)
		ck_assert_msg(feedback_keyword(ordinary[i]) == FEEDBACK_KW_NONE, "not ordinary: %s",
			      ordinary[i]);
	ck_assert_int_eq(feedback_classify("수신거부 하려면?", &lang), FEEDBACK_KW_REVIEW);
	ck_assert_str_eq(lang, "ko");
	ck_assert_int_eq(feedback_classify("STOP please", &lang), FEEDBACK_KW_REVIEW);
	ck_assert_str_eq(lang, "en");
}
END_TEST

/* Broken and hostile input never reads out of bounds (ASan) and never
 * counts as an opt-out by accident. */
START_TEST(keywords_hostile)
{
	char big[10000];

	ck_assert_int_eq(feedback_keyword("\xff\xfe"), FEEDBACK_KW_NONE);
	/* An invalid byte is dropped like a format character: the safe side. */
	ck_assert_int_eq(feedback_keyword("ST\xffOP"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("\xe6\x98"), FEEDBACK_KW_NONE); /* cut sequence */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(feedback_keyword(big), FEEDBACK_KW_NONE);
	memcpy(big, "stop ", 5);
	ck_assert_int_eq(feedback_keyword(big), FEEDBACK_KW_REVIEW);
	/* Ligatures and compatibility forms fold as NFKC does. */
	ck_assert_int_eq(feedback_keyword("\xef\xac\x86op"), FEEDBACK_KW_STOP); /* U+FB06 "st" */
}
END_TEST

START_TEST(languages)
{
	ck_assert_str_eq(feedback_lang("ko-KR"), "ko");
	ck_assert_str_eq(feedback_lang("ko"), "ko");
	ck_assert_str_eq(feedback_lang("KO_kr"), "ko");
	ck_assert_str_eq(feedback_lang("ja-JP"), "ja");
	ck_assert_str_eq(feedback_lang("zh-Hans-CN"), "zh");
	ck_assert_str_eq(feedback_lang("zh-CN"), "zh");
	ck_assert_str_eq(feedback_lang("zh"), "zh");
	ck_assert_str_eq(feedback_lang("zh-TW"), "zh-Hant");
	ck_assert_str_eq(feedback_lang("zh-HK"), "zh-Hant");
	ck_assert_str_eq(feedback_lang("zh-MO"), "zh-Hant");
	ck_assert_str_eq(feedback_lang("zh-Hant"), "zh-Hant");
	ck_assert_str_eq(feedback_lang("zh-Hant-TW"), "zh-Hant");
	ck_assert_str_eq(feedback_lang("zh-Hans-TW"), "zh");
	ck_assert_str_eq(feedback_lang("en-US"), "en");
	ck_assert_str_eq(feedback_lang("fr-FR"), "en");
	ck_assert_str_eq(feedback_lang("kok"), "en"); /* Konkani is not Korean */
	ck_assert_str_eq(feedback_lang(""), "en");
	ck_assert_str_eq(feedback_lang(NULL), "en");
}
END_TEST

/* Each language's confirmation and help text open with the sender's
 * legal identity, name the support contact and the keyword to answer in
 * that language, and that keyword is one dunnd understands. */
START_TEST(replies)
{
	static const struct {
		const char *lang, *stop_says, *start_says, *help_says;
	} want[] = {
		{"en", "START", "STOP", "STOP"},   {"ko", "시작", "수신거부", "수신거부"},
		{"ja", "開始", "停止", "停止"},    {"zh", "订阅", "退订", "TD"},
		{"zh-Hant", "訂閱", "退訂", "TD"},
	};
	static const enum feedback_keyword kws[] = {FEEDBACK_KW_STOP, FEEDBACK_KW_START,
						    FEEDBACK_KW_HELP};
	char out[480], small[8];

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		ck_assert_int_gt(feedback_reply(FEEDBACK_KW_STOP, want[i].lang, "Example Telecom",
						"help@example.test", out, sizeof out),
				 0);
		ck_assert_ptr_nonnull(strstr(out, "Example Telecom"));
		ck_assert_msg(strstr(out, want[i].stop_says), "%s: %s", want[i].lang, out);
		ck_assert_int_eq(feedback_keyword(want[i].stop_says), FEEDBACK_KW_START);
		ck_assert_msg(strstr(out, "help@example.test"), "%s: %s", want[i].lang, out);
		ck_assert_int_gt(feedback_reply(FEEDBACK_KW_START, want[i].lang, "Example Telecom",
						"help@example.test", out, sizeof out),
				 0);
		ck_assert_msg(strstr(out, want[i].start_says), "%s: %s", want[i].lang, out);
		ck_assert_int_eq(feedback_keyword(want[i].start_says), FEEDBACK_KW_STOP);
		ck_assert_msg(strstr(out, "help@example.test"), "%s: %s", want[i].lang, out);
		ck_assert_int_gt(feedback_reply(FEEDBACK_KW_HELP, want[i].lang, "Example Telecom",
						"help@example.test", out, sizeof out),
				 0);
		ck_assert_ptr_nonnull(strstr(out, "help@example.test"));
		ck_assert_msg(strstr(out, want[i].help_says), "%s: %s", want[i].lang, out);
		/* Without a support contact, nothing is left dangling. */
		for (size_t k = 0; k < 3; k++) {
			ck_assert_int_gt(feedback_reply(kws[k], want[i].lang, "Example Telecom", "",
							out, sizeof out),
					 0);
			ck_assert_ptr_null(strstr(out, "%s"));
			ck_assert_ptr_nonnull(strstr(out, "Example Telecom"));
			ck_assert_msg(!strstr(out, "Questions") && !strstr(out, "문의") &&
					      !strstr(out, "お問合せ") && !strstr(out, "客服"),
				      "%s: %s", want[i].lang, out);
		}
	}
	/* Two SMS parts at most, with the longest legal identity brand.sms_name
	 * takes (24 characters, in the script of the language, so UCS-2 for
	 * CJK) and a 24-character support address, the fallback for a phone. */
	static const struct {
		const char *lang, *sender;
	} longest[] = {
		{"en", "Example Telecom Co. Ltd."},
		{"en", "예시텔레콤주식회사예시텔레콤주식회사예시텔레콤주"},
		{"ko", "(주)예시텔레콤예시텔레콤예시텔레콤예시텔레"},
		{"ja", "例示テレコム株式会社例示テレコム株式会社例示テレ"},
		{"zh", "示例电信有限公司示例电信有限公司示例电信有限公"},
		{"zh-Hant", "示例電信股份有限公司示例電信股份有限公司示例電信"},
	};
	for (size_t i = 0; i < sizeof longest / sizeof longest[0]; i++)
		for (size_t k = 0; k < 3; k++) {
			struct smsseg_info info;
			ck_assert_int_gt(feedback_reply(kws[k], longest[i].lang, longest[i].sender,
							"billing-help@example.com", out,
							sizeof out),
					 0);
			ck_assert_ptr_nonnull(strstr(out, longest[i].sender));
			ck_assert_ptr_nonnull(strstr(out, "billing-help@example.com"));
			ck_assert_int_eq(smsseg_count(out, strlen(out), &info), 0);
			ck_assert_msg(info.segments <= 2, "%s: %zu parts: %s", longest[i].lang,
				      info.segments, out);
		}
	feedback_reply(FEEDBACK_KW_STOP, "ko", "(주)예시텔레콤", "1588-0000", out, sizeof out);
	ck_assert_str_eq(out,
			 "[(주)예시텔레콤] 문자 수신거부 처리되었습니다. 다시 받으시려면 "
			 "'시작'이라고 답장해 주세요. 문의 1588-0000");
	feedback_reply(FEEDBACK_KW_STOP, "ja", "例示テレコム(株)", "0120-000-000", out, sizeof out);
	ck_assert_msg(strstr(out, "【例示テレコム(株)】") == out, "%s", out);
	ck_assert_msg(strstr(out, "お問合せ：0120-000-000"), "%s", out);
	feedback_reply(FEEDBACK_KW_STOP, "zh", "示例电信有限公司", "400-000-0000", out, sizeof out);
	ck_assert_msg(strstr(out, "【示例电信有限公司】") == out, "%s", out);
	ck_assert_msg(strstr(out, "客服400-000-0000"), "%s", out);
	feedback_reply(FEEDBACK_KW_STOP, "en", "Example Telecom Inc.", "+1 800 555 0100", out,
		       sizeof out);
	ck_assert_str_eq(out,
			 "Example Telecom Inc.: you are unsubscribed from SMS reminders. Reply "
			 "START to resubscribe. Questions: +1 800 555 0100");
	/* Unknown languages get English; other keywords have no text. */
	ck_assert_int_gt(feedback_reply(FEEDBACK_KW_STOP, "fr", "X", NULL, out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "unsubscribed"));
	ck_assert_int_gt(feedback_reply(FEEDBACK_KW_STOP, NULL, NULL, NULL, out, sizeof out), 0);
	ck_assert_int_eq(feedback_reply(FEEDBACK_KW_REVIEW, "en", "X", NULL, out, sizeof out), -1);
	ck_assert_int_eq(feedback_reply(FEEDBACK_KW_NONE, "en", "X", NULL, out, sizeof out), -1);
	ck_assert_int_eq(feedback_reply(FEEDBACK_KW_STOP, "en", "X", NULL, small, sizeof small),
			 -1);
	ck_assert_str_eq(small, "");
	/* Room for the text but not for the closing line: nothing, never a
	 * reply cut short of its contact. */
	int n = feedback_reply(FEEDBACK_KW_STOP, "en", "X", NULL, out, sizeof out);
	ck_assert_int_eq(
		feedback_reply(FEEDBACK_KW_STOP, "en", "X", "+1 800 555 0100", out, (size_t)n + 4),
		-1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(statuses)
{
	ck_assert_str_eq(feedback_status("delivered"), "delivered");
	ck_assert_str_eq(feedback_status("DELIVERED"), "delivered");
	ck_assert_str_eq(feedback_status("undelivered"), "failed");
	ck_assert_str_eq(feedback_status("sent"), "sent");
	ck_assert_str_eq(feedback_status("accepted"), "queued");
	ck_assert_ptr_null(feedback_status("exploded"));
	ck_assert_ptr_null(feedback_status(NULL));
}
END_TEST

START_TEST(sms_status_bodies)
{
	struct channel_event ev;

	ck_assert_int_eq(P(feedback_parse_sms_status,
			   "{\"id\":\"SM1\",\"status\":\"failed\",\"error_code\":30007}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev.provider_id, "SM1");
	ck_assert_str_eq(ev.status, "failed");
	ck_assert_str_eq(ev.error_code, "30007");
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"SM1\",\"status\":\"sent\"}", &ev),
			 0);
	ck_assert_str_eq(ev.error_code, "");
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"SM1\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"\",\"status\":\"sent\"}", &ev),
			 -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":[1],\"status\":\"sent\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "[1,2]", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"a\",", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "id=SM1&status=sent", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status,
			   "{\"id\":\"a\",\"id\":\"b\",\"status\":\"sent\"}", &ev),
			 -1);
	ck_assert_int_eq(
		P(feedback_parse_sms_status, "{\"id\":\"a\\u0000b\",\"status\":\"sent\"}", &ev),
		-1);
}
END_TEST

START_TEST(sms_inbound_bodies)
{
	struct channel_event ev;
	char big[4000];

	ck_assert_int_eq(
		P(feedback_parse_sms_inbound, "{\"from\":\"+15550001\",\"body\":\"STOP\"}", &ev),
		0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_INBOUND);
	ck_assert_str_eq(ev.address, "+15550001");
	ck_assert_str_eq(ev.body, "STOP");
	ck_assert_int_eq(P(feedback_parse_sms_inbound, "{\"from\":\"+15550001\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_inbound, "{\"body\":\"x\"}", &ev), -1);
	/* A long reply is cut on a character boundary, not refused. */
	strcpy(big, "{\"from\":\"+1\",\"body\":\"");
	for (int i = 0; i < 700; i++)
		strcat(big, "가");
	strcat(big, "\"}");
	ck_assert_int_eq(P(feedback_parse_sms_inbound, big, &ev), 0);
	ck_assert_uint_eq(strlen(ev.body) % 3, 0);
	ck_assert_uint_lt(strlen(ev.body), sizeof ev.body);
}
END_TEST

START_TEST(email_bodies)
{
	struct channel_event ev;

	ck_assert_int_eq(P(feedback_parse_email_event,
			   "{\"type\":\"bounce\",\"address\":\"a@b.test\",\"id\":\"m1\"}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_BOUNCE);
	ck_assert_str_eq(ev.address, "a@b.test");
	ck_assert_str_eq(ev.provider_id, "m1");
	ck_assert_int_eq(P(feedback_parse_email_event,
			   "{\"type\":\"complaint\",\"address\":\"a@b.test\"}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_COMPLAINT);
	ck_assert_int_eq(
		P(feedback_parse_email_event, "{\"type\":\"delivered\",\"id\":\"m1\"}", &ev), 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev.status, "delivered");
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"bounce\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"delivered\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"open\",\"id\":\"m\"}", &ev),
			 -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "", &ev), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("feedback");
	TCase *tc = tcase_create("feedback");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, keywords);
	tcase_add_test(tc, keywords_width_and_punctuation);
	tcase_add_test(tc, keywords_per_language);
	tcase_add_test(tc, keywords_every_word_every_form);
	tcase_add_test(tc, keywords_for_review);
	tcase_add_test(tc, keywords_hostile);
	tcase_add_test(tc, languages);
	tcase_add_test(tc, replies);
	tcase_add_test(tc, statuses);
	tcase_add_test(tc, sms_status_bodies);
	tcase_add_test(tc, sms_inbound_bodies);
	tcase_add_test(tc, email_bodies);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
