/* Unit tests for lib/money.c.  Expected display strings are what ICU 72
 * (CLDR 42) prints; note the non-ASCII bytes spelled out below. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "money.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* UTF-8 spellings of the non-ASCII characters ICU emits. */
#define NBSP "\xc2\xa0"       /* U+00A0 between ISO codes and digits */
#define YEN "\xc2\xa5"        /* U+00A5 ¥ */
#define FW_YEN "\xef\xbf\xa5" /* U+FFE5 ￥ fullwidth, ja for JPY */
#define WON "\xe2\x82\xa9"    /* U+20A9 ₩ */
#define FW_WON "\xef\xbf\xa6" /* U+FFE6 ￦ fullwidth, zh for KRW */
#define YUAN "\xe5\x85\x83"   /* U+5143 元, ja for CNY */

/* ---- money_exponent ---- */

static const struct {
	const char *code;
	int exp;
} exp_cases[] = {
	{"USD", 2},
	{"EUR", 2},
	{"CNY", 2},
	{"GBP", 2},
	{"CHF", 2},
	{"JPY", 0},
	{"KRW", 0},
	{"ISK", 0},
	{"VND", 0},
	{"CLP", 0},
	{"KWD", 3},
	{"BHD", 3},
	{"OMR", 3},
	{"JOD", 3},
	{"TND", 3},
	{"CLF", 4},
	{"UYW", 4},
	{"DEM", 2}, /* historic currencies are still known to ICU */
	/* not currencies, or no ISO minor unit */
	{NULL, -1},
	{"", -1},
	{"usd", -1},
	{"Usd", -1},
	{"US", -1},
	{"USDX", -1},
	{"USD ", -1},
	{" USD", -1},
	{"U$D", -1},
	{"123", -1},
	{"ZZZ", -1},
	{"ABC", -1},
	{"QQQ", -1},
	{"XXX", -1},
	{"XTS", -1},
	{"XAU", -1},
	{"XAG", -1},
	{"XDR", -1},
	{"XPT", -1},
	{"XPD", -1},
	{"XBA", -1},
	{"XSU", -1},
	{"XUA", -1},
	{"\xc3\x9cSD", -1},
};

START_TEST(test_exponent)
{
	ck_assert_msg(money_exponent(exp_cases[_i].code) == exp_cases[_i].exp,
		      "money_exponent(%s) = %d, want %d",
		      exp_cases[_i].code ? exp_cases[_i].code : "NULL",
		      money_exponent(exp_cases[_i].code), exp_cases[_i].exp);
}
END_TEST

/* ---- money_parse: accepted ---- */

static const struct {
	const char *text, *cur;
	int64_t minor;
} parse_ok[] = {
	/* 2 decimals */
	{"49.90", "USD", 4990},
	{"49.9", "USD", 4990},
	{"49", "USD", 4900},
	{"0", "USD", 0},
	{"0.0", "USD", 0},
	{"0.00", "USD", 0},
	{"0.5", "USD", 50},
	{"0.05", "USD", 5},
	{"0.01", "USD", 1},
	{"007", "USD", 700},
	{"1.10", "EUR", 110},
	{"123.45", "CNY", 12345},
	{"10000000000000.00", "USD", INT64_C(1000000000000000)},
	{"92233720368547758.07", "USD", INT64_MAX},
	/* 0 decimals */
	{"120000", "KRW", 120000},
	{"5000", "JPY", 5000},
	{"0", "JPY", 0},
	{"1", "KRW", 1},
	{"1000000000000000", "KRW", INT64_C(1000000000000000)},
	{"9223372036854775807", "JPY", INT64_MAX},
	{"0000000000000000000000000001", "JPY", 1},
	/* 3 decimals */
	{"1.234", "KWD", 1234},
	{"1.23", "KWD", 1230},
	{"1.2", "KWD", 1200},
	{"1", "BHD", 1000},
	{"0.001", "BHD", 1},
	{"9223372036854775.807", "KWD", INT64_MAX},
	/* 4 decimals */
	{"0.0001", "CLF", 1},
	{"12.5", "CLF", 125000},
};

START_TEST(test_parse_ok)
{
	char err[MONEY_ERR_MAX] = "untouched";
	int64_t minor = -1;
	int rc = money_parse(parse_ok[_i].text, parse_ok[_i].cur, &minor, err, sizeof err);
	ck_assert_msg(rc == 0, "money_parse(\"%s\", %s) failed: %s", parse_ok[_i].text,
		      parse_ok[_i].cur, err);
	ck_assert_int_eq(minor, parse_ok[_i].minor);
	ck_assert_str_eq(err, ""); /* cleared on success */
}
END_TEST

/* ---- money_parse: rejected, with the exact message ---- */

static const struct {
	const char *text, *cur, *msg;
} parse_bad[] = {
	{NULL, "USD", "missing amount"},
	{"", "USD", "empty amount"},
	{"", "JPY", "empty amount"},
	/* negative */
	{"-1", "USD", "negative amounts are not allowed"},
	{"-0", "USD", "negative amounts are not allowed"},
	{"-49.90", "USD", "negative amounts are not allowed"},
	/* spaces anywhere */
	{" 49.90", "USD", "amount contains spaces"},
	{"49.90 ", "USD", "amount contains spaces"},
	{"49 .90", "USD", "amount contains spaces"},
	{"1 000", "KRW", "amount contains spaces"},
	{"\t1", "USD", "amount contains spaces"},
	{"1\n", "USD", "amount contains spaces"},
	{" ", "USD", "amount contains spaces"},
	/* thousands separators */
	{"1,000.00", "USD", "thousands separators are not allowed"},
	{"120,000", "KRW", "thousands separators are not allowed"},
	{"1'000", "CHF", "thousands separators are not allowed"},
	{"1_000", "USD", "thousands separators are not allowed"},
	{"49,90", "EUR", "thousands separators are not allowed"},
	/* any fraction with a 0-exponent currency, even zeros or nothing */
	{"5000.5", "JPY", "JPY has no minor unit: fractional amount not allowed"},
	{"5000.", "JPY", "JPY has no minor unit: fractional amount not allowed"},
	{"5000.0", "JPY", "JPY has no minor unit: fractional amount not allowed"},
	{"120000.00", "KRW", "KRW has no minor unit: fractional amount not allowed"},
	{"0.5", "KRW", "KRW has no minor unit: fractional amount not allowed"},
	/* trailing point */
	{"5000.", "USD", "no digits after the decimal point"},
	{"0.", "KWD", "no digits after the decimal point"},
	/* too many decimals */
	{"49.999", "USD", "amount has 3 decimals but USD allows 2"},
	{"49.900", "USD", "amount has 3 decimals but USD allows 2"},
	{"0.001", "EUR", "amount has 3 decimals but EUR allows 2"},
	{"1.2345", "KWD", "amount has 4 decimals but KWD allows 3"},
	{"1.00000", "CLF", "amount has 5 decimals but CLF allows 4"},
	{"1.00000000000000000000", "USD", "amount has 20 decimals but USD allows 2"},
	/* not numbers */
	{"+1", "USD", "not a number"},
	{".5", "USD", "not a number"},
	{".", "USD", "not a number"},
	{"abc", "USD", "not a number"},
	{"1e5", "USD", "not a number"},
	{"0x10", "USD", "not a number"},
	{"1.2.3", "USD", "not a number"},
	{"1.5a", "USD", "not a number"},
	{"49.90USD", "USD", "not a number"},
	{"$49.90", "USD", "not a number"},
	{"49.-9", "USD", "not a number"},
	{"1-", "USD", "not a number"},
	{"NaN", "USD", "not a number"},
	{"inf", "USD", "not a number"},
	{"\xd9\xa1\xd9\xa2", "USD", "not a number"}, /* Arabic-Indic digits */
	{"1\xc2\xa0"
	 "000",
	 "KRW", "not a number"},                 /* NBSP separator */
	{"\xef\xbc\x91", "JPY", "not a number"}, /* fullwidth 1 */
	/* overflow */
	{"92233720368547758.08", "USD", "amount too large"},
	{"92233720368547759", "USD", "amount too large"},
	{"9223372036854775808", "JPY", "amount too large"},
	{"99999999999999999999", "KRW", "amount too large"},
	{"9223372036854775.808", "KWD", "amount too large"},
	{"100000000000000000000000000000", "USD", "amount too large"},
	/* unknown currency */
	{"49.90", "ZZZ", "unknown currency \"ZZZ\""},
	{"49.90", "usd", "unknown currency \"usd\""},
	{"49.90", "XXX", "unknown currency \"XXX\""},
	{"49.90", "", "unknown currency \"\""},
	{"49.90", NULL, "unknown currency \"(null)\""},
	{"49.90", "USDOLLARS", "unknown currency \"USDOLLAR\""}, /* echo is capped */
};

START_TEST(test_parse_bad)
{
	char err[MONEY_ERR_MAX] = "";
	int64_t minor = 777;
	int rc = money_parse(parse_bad[_i].text, parse_bad[_i].cur, &minor, err, sizeof err);
	ck_assert_msg(rc == -1, "money_parse(\"%s\", %s) accepted: %lld",
		      parse_bad[_i].text ? parse_bad[_i].text : "NULL",
		      parse_bad[_i].cur ? parse_bad[_i].cur : "NULL", (long long)minor);
	ck_assert_str_eq(err, parse_bad[_i].msg);
	ck_assert_int_eq(minor, 777); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_err_buffer)
{
	int64_t minor = 0;
	/* No message buffer at all is fine. */
	ck_assert_int_eq(money_parse("-1", "USD", &minor, NULL, 0), -1);
	ck_assert_int_eq(money_parse("1", "USD", &minor, NULL, 0), 0);
	ck_assert_int_eq(minor, 100);

	/* A short buffer is truncated, NUL-terminated, and nothing past it is written. */
	char err[16];
	memset(err, 'Z', sizeof err);
	ck_assert_int_eq(money_parse("-1", "USD", &minor, err, 8), -1);
	ck_assert_str_eq(err, "negativ");
	ck_assert_int_eq(err[8], 'Z');

	memset(err, 'Z', sizeof err);
	ck_assert_int_eq(money_parse("1", "USD", &minor, err, 1), 0);
	ck_assert_int_eq(err[0], '\0');
	ck_assert_int_eq(err[1], 'Z');

	/* Missing output pointer. */
	char e2[MONEY_ERR_MAX];
	ck_assert_int_eq(money_parse("1", "USD", NULL, e2, sizeof e2), -1);
	ck_assert_str_eq(e2, "missing amount");

	/* The longest message fits MONEY_ERR_MAX. */
	ck_assert_int_eq(money_parse("1.1", "JPY", &minor, e2, sizeof e2), -1);
	ck_assert_uint_lt(strlen(e2), MONEY_ERR_MAX - 1);
}
END_TEST

/* ---- money_plain ---- */

static const struct {
	int64_t minor;
	const char *cur, *want;
} plain_cases[] = {
	{4990, "USD", "49.90"},
	{0, "USD", "0.00"},
	{5, "USD", "0.05"},
	{50, "USD", "0.50"},
	{100, "USD", "1.00"},
	{-5, "USD", "-0.05"},
	{-4990, "EUR", "-49.90"},
	{INT64_C(1000000000000000), "USD", "10000000000000.00"},
	{INT64_MAX, "USD", "92233720368547758.07"},
	{INT64_MIN, "USD", "-92233720368547758.08"},
	{120000, "KRW", "120000"},
	{0, "JPY", "0"},
	{5000, "JPY", "5000"},
	{-1, "KRW", "-1"},
	{INT64_C(1000000000000000), "KRW", "1000000000000000"},
	{INT64_MAX, "JPY", "9223372036854775807"},
	{INT64_MIN, "JPY", "-9223372036854775808"},
	{1234, "KWD", "1.234"},
	{1, "BHD", "0.001"},
	{0, "KWD", "0.000"},
	{-1000, "BHD", "-1.000"},
	{1, "CLF", "0.0001"},
	{125000, "CLF", "12.5000"},
};

START_TEST(test_plain)
{
	char buf[64];
	int n = money_plain(plain_cases[_i].minor, plain_cases[_i].cur, buf, sizeof buf);
	ck_assert_str_eq(buf, plain_cases[_i].want);
	ck_assert_int_eq(n, (int)strlen(plain_cases[_i].want));

	/* Exactly enough room works; one byte less fails with an empty string. */
	char *exact = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(exact);
	ck_assert_int_eq(
		money_plain(plain_cases[_i].minor, plain_cases[_i].cur, exact, (size_t)n + 1), n);
	ck_assert_str_eq(exact, plain_cases[_i].want);
	ck_assert_int_eq(money_plain(plain_cases[_i].minor, plain_cases[_i].cur, exact, (size_t)n),
			 -1);
	ck_assert_str_eq(exact, "");
	free(exact);
}
END_TEST

START_TEST(test_plain_errors)
{
	char buf[32] = "junk";
	ck_assert_int_eq(money_plain(100, "ZZZ", buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(money_plain(100, NULL, buf, sizeof buf), -1);
	ck_assert_int_eq(money_plain(100, "USD", NULL, 0), -1);
	ck_assert_int_eq(money_plain(100, "USD", buf, 0), -1);
}
END_TEST

/* Every plain string parses back to the same value (non-negative only:
 * money_parse rejects negatives by design). */
START_TEST(test_plain_parse_roundtrip)
{
	static const char *curs[] = {"USD", "JPY", "KRW", "KWD", "BHD", "CLF", "EUR"};
	static const int64_t vals[] = {
		0,
		1,
		9,
		10,
		99,
		100,
		101,
		999,
		1000,
		4990,
		12345,
		120000,
		999999999,
		INT64_C(1000000000000000),
		INT64_C(999999999999999999),
		INT64_MAX - 1,
		INT64_MAX,
	};
	for (int c = 0; c < N(curs); c++) {
		for (int v = 0; v < N(vals); v++) {
			char buf[64], err[MONEY_ERR_MAX];
			int64_t back = -1;
			ck_assert_int_gt(money_plain(vals[v], curs[c], buf, sizeof buf), 0);
			ck_assert_msg(money_parse(buf, curs[c], &back, err, sizeof err) == 0,
				      "%s %s: %s", buf, curs[c], err);
			ck_assert_int_eq(back, vals[v]);
		}
	}
}
END_TEST

/* ---- money_format ---- */

static const struct {
	int64_t minor;
	const char *cur, *loc, *want;
} fmt_cases[] = {
	/* the headline cases */
	{4990, "USD", "en", "$49.90"},
	{120000, "KRW", "ko", WON "120,000"},
	{5000, "JPY", "ja", FW_YEN "5,000"},
	{12345, "CNY", "zh", YEN "123.45"},
	/* en / en-US */
	{0, "USD", "en", "$0.00"},
	{1, "USD", "en", "$0.01"},
	{5, "USD", "en-US", "$0.05"},
	{120000, "USD", "en-US", "$1,200.00"},
	{-4990, "USD", "en", "-$49.90"},
	{INT64_C(1000000000000000), "USD", "en", "$10,000,000,000,000.00"},
	{INT64_MAX, "USD", "en", "$92,233,720,368,547,758.07"},
	{INT64_MIN, "USD", "en", "-$92,233,720,368,547,758.08"},
	{120000, "KRW", "en", WON "120,000"},
	{5000, "JPY", "en", YEN "5,000"},
	{12345, "CNY", "en", "CN" YEN "123.45"},
	{1234, "KWD", "en", "KWD" NBSP "1.234"},
	{0, "KWD", "en-US", "KWD" NBSP "0.000"},
	{1, "BHD", "en", "BHD" NBSP "0.001"},
	{12345, "CLF", "en", "CLF" NBSP "1.2345"},
	{4990, "EUR", "en",
	 "\xe2\x82\xac"
	 "49.90"},
	/* ko / ko-KR */
	{120000, "KRW", "ko-KR", WON "120,000"},
	{0, "KRW", "ko", WON "0"},
	{INT64_C(1000000000000000), "KRW", "ko", WON "1,000,000,000,000,000"},
	{-120000, "KRW", "ko", "-" WON "120,000"},
	{4990, "USD", "ko", "US$49.90"},
	{5000, "JPY", "ko", "JP" YEN "5,000"},
	{1234, "KWD", "ko-KR", "KWD" NBSP "1.234"},
	/* ja */
	{0, "JPY", "ja", FW_YEN "0"},
	{5000, "JPY", "ja-JP", FW_YEN "5,000"},
	{INT64_C(1000000000000000), "JPY", "ja", FW_YEN "1,000,000,000,000,000"},
	{4990, "USD", "ja", "$49.90"},
	{120000, "KRW", "ja", WON "120,000"},
	{12345, "CNY", "ja", YUAN NBSP "123.45"},
	{1234, "KWD", "ja", "KWD" NBSP "1.234"},
	/* zh / zh-CN */
	{12345, "CNY", "zh-CN", YEN "123.45"},
	{0, "CNY", "zh", YEN "0.00"},
	{INT64_C(1000000000000000), "CNY", "zh", YEN "10,000,000,000,000.00"},
	{4990, "USD", "zh", "US$49.90"},
	{120000, "KRW", "zh", FW_WON "120,000"},
	{5000, "JPY", "zh-CN", "JP" YEN "5,000"},
	{1234, "BHD", "zh", "BHD" NBSP "1.234"},
	/* other conventions: suffix symbol, different separators */
	{4990, "USD", "de", "49,90" NBSP "$"},
	{INT64_C(123456789), "EUR", "de-DE", "1.234.567,89" NBSP "\xe2\x82\xac"},
	{INT64_C(12000000), "EUR", "fr",
	 "120"
	 "\xe2\x80\xaf"
	 "000,00" NBSP "\xe2\x82\xac"}, /* U+202F */
	/* ICU-style ids are accepted as well as BCP 47 */
	{4990, "USD", "en_US", "$49.90"},
};

START_TEST(test_format)
{
	char buf[128];
	memset(buf, 'Z', sizeof buf);
	int n = money_format(fmt_cases[_i].minor, fmt_cases[_i].cur, fmt_cases[_i].loc, buf,
			     sizeof buf);
	ck_assert_msg(n >= 0, "money_format(%lld, %s, %s) failed", (long long)fmt_cases[_i].minor,
		      fmt_cases[_i].cur, fmt_cases[_i].loc);
	ck_assert_str_eq(buf, fmt_cases[_i].want);
	ck_assert_int_eq(n, (int)strlen(fmt_cases[_i].want));

	/* Buffer boundary: n+1 bytes fit, n bytes do not. */
	char *exact = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(exact);
	ck_assert_int_eq(money_format(fmt_cases[_i].minor, fmt_cases[_i].cur, fmt_cases[_i].loc,
				      exact, (size_t)n + 1),
			 n);
	ck_assert_str_eq(exact, fmt_cases[_i].want);
	ck_assert_int_eq(money_format(fmt_cases[_i].minor, fmt_cases[_i].cur, fmt_cases[_i].loc,
				      exact, (size_t)n),
			 -1);
	ck_assert_str_eq(exact, "");
	free(exact);
}
END_TEST

/* Exactness: every minor unit must survive formatting, which a double
 * (53-bit mantissa) would not guarantee past 2^53. */
START_TEST(test_format_exact_large)
{
	static const struct {
		int64_t minor;
		const char *want;
	} c[] = {
		{INT64_C(999999999999999), "$9,999,999,999,999.99"},
		{INT64_C(1000000000000001), "$10,000,000,000,000.01"},
		{INT64_C(9007199254740993), "$90,071,992,547,409.93"}, /* 2^53 + 1 */
		{INT64_C(9223372036854775806), "$92,233,720,368,547,758.06"},
	};
	for (int i = 0; i < N(c); i++) {
		char buf[64];
		ck_assert_int_gt(money_format(c[i].minor, "USD", "en", buf, sizeof buf), 0);
		ck_assert_str_eq(buf, c[i].want);
	}
}
END_TEST

static const struct {
	const char *cur, *loc;
} fmt_bad[] = {
	{"ZZZ", "en"},
	{"usd", "en"},
	{NULL, "en"},
	{"XXX", "en"}, /* currency */
	{"USD", NULL},
	{"USD", ""},
	{"USD", "en--US"},
	{"USD", "-en"}, /* malformed tag */
	{"USD", "en-"},
	{"USD", "e"},
	{"USD", "english-language-tag"},
	{"USD", "en US"},
	{"USD", "xx"},
	{"USD", "qq-QQ"}, /* well-formed but no ICU data: no silent fallback */
};

START_TEST(test_format_bad)
{
	char buf[64] = "junk";
	ck_assert_int_eq(money_format(4990, fmt_bad[_i].cur, fmt_bad[_i].loc, buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_format_bad_buffer)
{
	char buf[4];
	ck_assert_int_eq(money_format(4990, "USD", "en", NULL, 0), -1);
	ck_assert_int_eq(money_format(4990, "USD", "en", buf, 0), -1);
	ck_assert_int_eq(money_format(4990, "USD", "en", buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "");
	/* Multi-byte output: "￥5,000" is 8 bytes, so 8 bytes leave no room for
     * the NUL, and 2 bytes would split the 3-byte yen sign. */
	char b8[9];
	ck_assert_int_eq(money_format(5000, "JPY", "ja", b8, 2), -1);
	ck_assert_str_eq(b8, "");
	ck_assert_int_eq(money_format(5000, "JPY", "ja", b8, 8), -1);
	ck_assert_str_eq(b8, "");
	ck_assert_int_eq(money_format(5000, "JPY", "ja", b8, 9), 8);
}
END_TEST

/* Local bills' style: the number, then the unit, for a locale's own
 * currency; the symbol for every other pair. */
START_TEST(test_format_style)
{
	static const struct {
		int64_t minor;
		const char *cur, *loc;
		int style;
		const char *want;
	} c[] = {
		{1289000, "KRW", "ko-KR", MONEY_STYLE_UNIT, "1,289,000\xec\x9b\x90"},
		{1289000, "KRW", "ko", MONEY_STYLE_SYMBOL,
		 "\xe2\x82\xa9"
		 "1,289,000"},
		{5000, "JPY", "ja", MONEY_STYLE_UNIT, "5,000\xe5\x86\x86"},
		{128400, "JPY", "ja-JP", MONEY_STYLE_UNIT, "128,400\xe5\x86\x86"},
		{12840, "CNY", "zh-CN", MONEY_STYLE_UNIT, "128.40\xe5\x85\x83"},
		{999, "KRW", "ko", MONEY_STYLE_UNIT, "999\xec\x9b\x90"},
		{-1000, "KRW", "ko", MONEY_STYLE_UNIT, "-1,000\xec\x9b\x90"},
		{INT64_C(1000000000000000), "JPY", "ja", MONEY_STYLE_UNIT,
		 "1,000,000,000,000,000\xe5\x86\x86"},
		/* Another currency in Korean keeps its symbol. */
		{4990, "USD", "ko", MONEY_STYLE_UNIT, "US$49.90"},
		{4990, "USD", "en", MONEY_STYLE_UNIT, "$49.90"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int n = money_format_style(c[i].minor, c[i].cur, c[i].loc,
					   (enum money_style)c[i].style, buf, sizeof buf);
		ck_assert_msg(n > 0 && !strcmp(buf, c[i].want), "%zu: %s, want %s", i, buf,
			      c[i].want);
		ck_assert_int_eq(n, (int)strlen(buf));
	}
	ck_assert_int_eq(money_format_style(1289000, "KRW", "ko", MONEY_STYLE_UNIT, buf, 5), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(money_style_default("ko-KR"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(money_style_default("ja"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(money_style_default("zh-CN"), MONEY_STYLE_SYMBOL);
	ck_assert_int_eq(money_style_default("kok"), MONEY_STYLE_SYMBOL);
	ck_assert_int_eq(money_style_parse("unit"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(money_style_parse("Unit"), -1);
}
END_TEST

static Suite *money_suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc;

	tc = tcase_create("exponent");
	tcase_add_loop_test(tc, test_exponent, 0, N(exp_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_ok, 0, N(parse_ok));
	tcase_add_loop_test(tc, test_parse_bad, 0, N(parse_bad));
	tcase_add_test(tc, test_parse_err_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("plain");
	tcase_add_loop_test(tc, test_plain, 0, N(plain_cases));
	tcase_add_test(tc, test_plain_errors);
	tcase_add_test(tc, test_plain_parse_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format, 0, N(fmt_cases));
	tcase_add_test(tc, test_format_exact_large);
	tcase_add_loop_test(tc, test_format_bad, 0, N(fmt_bad));
	tcase_add_test(tc, test_format_bad_buffer);
	tcase_add_test(tc, test_format_style);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(money_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Release ICU's process-wide caches so valgrind reports only our leaks
     * (cached formatters otherwise show as "possibly lost"). */
	u_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
