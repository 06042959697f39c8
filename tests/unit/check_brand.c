/* Unit tests for lib/brand.c: "brand" and "money_style" read from a real
 * file through jconf (every bad key and field reported, the good ones
 * kept), each field's chain of locales down to "default" and the
 * top-level company and support, and the warnings when a channel texts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brand.h"
#include "channel.h"
#include "config.h"
#include "diag.h"
#include "jconf.h"
#include "money.h"

static char path[64];
static struct config c;
static struct diag d;
static struct jconf j;

/* Write json to a temporary file, open it and load brand and
 * money_style into c; problems in d. */
static void load(const char *json)
{
	int fd;

	strcpy(path, "/tmp/check_brand.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	memset(&c, 0, sizeof c);
	memset(&d, 0, sizeof d);
	ck_assert_int_eq(jconf_open(&j, path, &d), 0);
	c.path = path;
	brand_load(&j, &c);
	money_style_load(&j, &c);
}

static void unload(void)
{
	brand_free(&c.brand);
	ck_assert_ptr_null(c.brand.e);
	ck_assert_uint_eq(c.brand.n, 0);
	money_style_free(&c);
	jconf_close(&j);
	diag_free(&d);
	unlink(path);
}

/* Some message in d contains s. */
static int said(const char *s)
{
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.msgs[i], s))
			return 1;
	return 0;
}

START_TEST(test_field_keys)
{
	static const char *const want[] = {"name",          "legal_name",  "support",
					   "support_phone", "privacy_url", "sms_name"};

	for (int f = 0; f < BRAND_NFIELDS; f++)
		ck_assert_str_eq(brand_field_key((enum brand_field)f), want[f]);
	ck_assert_str_eq(brand_field_key(BRAND_NFIELDS), "");
}
END_TEST

static const char *full =
	"{\"company\": \"Top Co\", \"support\": \"top@example.com\",\n"
	" \"brand\": {\n"
	"  \"default\": {\"name\": \"Acme\", \"legal_name\": \"Acme Ltd\",\n"
	"              \"support\": \"help@acme.example\", \"support_phone\": \"+1 555 0100\",\n"
	"              \"privacy_url\": \"https://acme.example/privacy\", \"sms_name\": \"ACME\"},\n"
	"  \"ko\": \"\xec\x97\x90\xec\x9d\xb4\xed\x81\xac\xeb\xaf\xb8\",\n"
	"  \"ko-KR\": {\"support_phone\": \"02-555-0100\"},\n"
	"  \"zh-Hant\": {\"name\": \"Acme TW\"},\n"
	"  \"en\": {\"privacy_url\": \"http://acme.example/en\"}\n"
	" }}\n";

START_TEST(test_load_and_chain)
{
	load(full);
	diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(c.brand.n, 5);
	/* The exact tag, any case, then the shorter tags, then default. */
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_SUPPORT_PHONE), "02-555-0100");
	ck_assert_str_eq(config_brand_field(&c, "KO-kr", BRAND_SUPPORT_PHONE), "02-555-0100");
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_NAME),
			 "\xec\x97\x90\xec\x9d\xb4\xed\x81\xac\xeb\xaf\xb8");
	ck_assert_str_eq(config_brand_field(&c, "ko_KR", BRAND_NAME),
			 "\xec\x97\x90\xec\x9d\xb4\xed\x81\xac\xeb\xaf\xb8");
	ck_assert_str_eq(config_brand_field(&c, "ko", BRAND_SUPPORT_PHONE), "+1 555 0100");
	ck_assert_str_eq(config_brand_field(&c, "ko-KR", BRAND_LEGAL_NAME), "Acme Ltd");
	ck_assert_str_eq(config_brand_field(&c, "en-GB-oxendict", BRAND_PRIVACY_URL),
			 "http://acme.example/en");
	ck_assert_str_eq(config_brand_field(&c, "fr", BRAND_PRIVACY_URL),
			 "https://acme.example/privacy");
	ck_assert_str_eq(config_brand_field(&c, NULL, BRAND_NAME), "Acme");
	ck_assert_str_eq(config_brand_field(&c, "", BRAND_NAME), "Acme");
	/* Traditional characters for Taiwan, Hong Kong and Macau only. */
	ck_assert_str_eq(config_brand_field(&c, "zh-TW", BRAND_NAME), "Acme TW");
	ck_assert_str_eq(config_brand_field(&c, "zh-hk", BRAND_NAME), "Acme TW");
	ck_assert_str_eq(config_brand_field(&c, "zh-MO-x-y", BRAND_NAME), "Acme TW");
	ck_assert_str_eq(config_brand_field(&c, "zh-Hant-CN", BRAND_NAME), "Acme TW");
	ck_assert_str_eq(config_brand_field(&c, "zh-CN", BRAND_NAME), "Acme");
	ck_assert_str_eq(config_brand_field(&c, "zh-TWN", BRAND_NAME), "Acme");
	ck_assert_str_eq(config_brand_field(&c, "zh", BRAND_NAME), "Acme");
	ck_assert_str_eq(config_brand_field(&c, "ko", BRAND_SMS_NAME), "ACME");
	ck_assert_str_eq(config_brand_field(&c, "ko", BRAND_NFIELDS), "");
	unload();
}
END_TEST

/* No brand: the top-level company and support; the SMS name is the
 * legal name when it is at most 24 characters, else the name. */
START_TEST(test_fallbacks)
{
	load("{\"brand\": {\"default\": {\"support_phone\": \"555\"}}}");
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_NAME), "");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SMS_NAME), "");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SUPPORT), "");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_PRIVACY_URL), "");
	c.company = "Top Co";
	c.support = "top@example.com";
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_NAME), "Top Co");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_LEGAL_NAME), "Top Co");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SMS_NAME), "Top Co");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SUPPORT), "top@example.com");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SUPPORT_PHONE), "555");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_PRIVACY_URL), "");
	c.company = c.support = NULL;
	unload();

	/* 24 characters of legal name (UTF-8 counted as characters) open
	 * a text; 25 do not. */
	load("{\"brand\": {\"default\": {\"name\": \"Short\", \"legal_name\": "
	     "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 Twenty Four Chars!!\"},"
	     " \"de\": {\"legal_name\": \"Twenty-five characters Ab\"}}}");
	diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SMS_NAME),
			 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 Twenty Four Chars!!");
	ck_assert_str_eq(config_brand_field(&c, "de-AT", BRAND_SMS_NAME), "Short");
	unload();
}
END_TEST

/* Locale keys: "default" or subtags of 1 to 8 letters and digits, the
 * first 2 or 3 letters. A refused key is reported and not kept. */
START_TEST(test_locale_keys)
{
	static const struct {
		const char *key;
		int ok;
	} k[] = {
		{"default", 1}, {"ko", 1},           {"fil", 1},         {"zh-Hant-TW", 1},
		{"es-419", 1},  {"de-1996", 1},      {"x", 0},           {"engl", 0},
		{"", 0},        {"ko-", 0},          {"-ko", 0},         {"ko--KR", 0},
		{"12", 0},      {"ko_KR", 0},        {"ko KR", 0},       {"Default", 0},
		{"en-a", 1},    {"en-abcdefghi", 0}, {"en-abcdefgh", 1},
	};
	char json[256];

	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		snprintf(json, sizeof json,
			 "{\"brand\": {\"%s\": \"N\"}, \"money_style\": {\"%s\": \"unit\"}}",
			 k[i].key, k[i].key);
		load(json);
		ck_assert_msg(c.brand.n == (size_t)k[i].ok, "brand key '%s'", k[i].key);
		ck_assert_msg(c.nmstyle == (size_t)k[i].ok, "money_style key '%s'", k[i].key);
		ck_assert_msg(d.n == (k[i].ok ? 0u : 2u), "key '%s': %zu messages", k[i].key, d.n);
		if (!k[i].ok)
			ck_assert(said("is not a locale"));
		unload();
	}
}
END_TEST

START_TEST(test_bad_fields)
{
	load("{\"brand\": {\n"
	     "  \"default\": {\"name\": \"Twenty-five characters Ab\", \"legal_name\": 7,\n"
	     "              \"support\": \"a\\nb\", \"support_phone\": \"\",\n"
	     "              \"privacy_url\": \"ftp://x\", \"sms_name\": \"OK\", \"slogan\": \"x\"},\n"
	     "  \"ko\": 5,\n"
	     "  \"ja\": {\"name\": \"\\u007f\"},\n"
	     "  \"de\": \"Twenty-four characters A\"\n"
	     "}}\n");
	diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 8);
	ck_assert(said("brand.default.name must be 1 to 24 characters on one line"));
	ck_assert(said("brand.default.legal_name must be a string"));
	ck_assert(said("brand.default.support must be 1 to 80 characters"));
	ck_assert(said("brand.default.support_phone must be 1 to 32 characters"));
	ck_assert(said("brand.default.privacy_url must be an http(s) URL"));
	ck_assert(said("unknown key 'slogan'"));
	ck_assert(said("brand.ko must be a string (the name) or an object"));
	ck_assert(said("brand.ja.name must be 1 to 24"));
	/* Each message points into the file. */
	for (size_t i = 0; i < d.n; i++)
		ck_assert_msg(!strncmp(d.msgs[i], path, strlen(path)) &&
				      d.msgs[i][strlen(path)] == ':',
			      "%s", d.msgs[i]);
	ck_assert(said(":2:"));
	/* What was good is kept: the entries and the one good field. */
	ck_assert_uint_eq(c.brand.n, 4);
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_SMS_NAME), "OK");
	ck_assert_str_eq(config_brand_field(&c, "de", BRAND_NAME), "Twenty-four characters A");
	ck_assert_str_eq(config_brand_field(&c, "en", BRAND_NAME), "");
	unload();
}
END_TEST

/* Nothing, or a brand that is not an object (its type is checked with
 * the top-level options): nothing loaded, nothing said. */
START_TEST(test_absent)
{
	load("{}");
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(c.brand.n, 0);
	ck_assert_str_eq(config_brand_field(&c, "ko", BRAND_NAME), "");
	ck_assert_int_eq(config_money_style(&c, "ko"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(config_money_style(&c, "en"), money_style_default("en"));
	unload();
	load("{\"brand\": \"Acme\", \"money_style\": []}");
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(c.brand.n, 0);
	unload();
	load("{\"brand\": {}, \"money_style\": {}}");
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(c.brand.n, 0);
	ck_assert_uint_eq(c.nmstyle, 0);
	unload();
}
END_TEST

START_TEST(test_money_style)
{
	load("{\"money_style\": {\"default\": \"symbol\", \"ja\": \"symbol\", \"en-US\": \"unit\","
	     " \"de\": \"bogus\", \"fr\": 3}}");
	ck_assert_uint_eq(d.n, 2);
	ck_assert(said("money_style.de must be \"symbol\" or \"unit\""));
	ck_assert(said("money_style.fr must be"));
	ck_assert_uint_eq(c.nmstyle, 3);
	ck_assert_int_eq(config_money_style(&c, "en-US"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(config_money_style(&c, "EN-us-x"), MONEY_STYLE_UNIT);
	ck_assert_int_eq(config_money_style(&c, "en"), MONEY_STYLE_SYMBOL);
	ck_assert_int_eq(config_money_style(&c, "ja-JP"), MONEY_STYLE_SYMBOL);
	/* default wins over the locale's own style (ko is unit by itself). */
	ck_assert_int_eq(config_money_style(&c, "ko"), MONEY_STYLE_SYMBOL);
	ck_assert_int_eq(config_money_style(&c, NULL), MONEY_STYLE_SYMBOL);
	unload();
}
END_TEST

static struct config_channel ch;

static size_t warnings(struct diag *w)
{
	memset(w, 0, sizeof *w);
	c.channels = &ch;
	c.nchannels = 1;
	brand_warnings(&c, w);
	c.channels = NULL;
	c.nchannels = 0;
	return w->n;
}

static int wsaid(const struct diag *w, const char *s)
{
	for (size_t i = 0; i < w->n; i++)
		if (strstr(w->msgs[i], s))
			return 1;
	return 0;
}

START_TEST(test_warnings)
{
	struct diag w;

	load("{\"brand\": {\"default\": {\"name\": \"Acme\"},\n"
	     "  \"ko\": {\"legal_name\": \"Acme Korea\", \"support_phone\": \"02-555\"}}}\n");
	ck_assert_uint_eq(d.n, 0);

	/* A channel that neither texts nor writes letters: nothing. */
	memset(&ch, 0, sizeof ch);
	ck_assert_uint_eq(warnings(&w), 0);
	diag_free(&w);

	ch.optout = CHANNEL_OPTOUT_TEXTS;
	ck_assert_uint_eq(warnings(&w), 2);
	diag_print(&w, stderr);
	ck_assert(wsaid(&w, "warning: brand.default sets no legal_name: every text must"));
	ck_assert(
		wsaid(&w, "warning: brand.default sets no support_phone and there is no support"));
	ck_assert(wsaid(&w, ":1:"));
	diag_free(&w);

	/* A long support address would close every text. */
	c.support = "a-support-address-of-forty-characters@ex";
	ck_assert_uint_eq(warnings(&w), 2);
	ck_assert(wsaid(&w, "texts would close with the support address (40 characters"));
	diag_free(&w);

	/* Letters: the same identity, but no text closes with support. */
	ch.optout = CHANNEL_OPTOUT_NONE;
	ch.caps = CHANNEL_CAP_ACCOUNT;
	ck_assert_uint_eq(warnings(&w), 1);
	ck_assert(wsaid(&w, "every letter must name"));
	diag_free(&w);
	c.support = NULL;
	memset(&ch, 0, sizeof ch);
	unload();

	/* Nothing to say when every locale names both. */
	load("{\"brand\": {\"default\": {\"legal_name\": \"Acme Ltd\", \"support\": \"a@b\"}}}");
	ch.optout = CHANNEL_OPTOUT_TEXTS;
	ck_assert_uint_eq(warnings(&w), 0);
	diag_free(&w);
	memset(&ch, 0, sizeof ch);
	unload();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("brand");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_field_keys);
	tcase_add_test(tc, test_load_and_chain);
	tcase_add_test(tc, test_fallbacks);
	tcase_add_test(tc, test_locale_keys);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_absent);
	tcase_add_test(tc, test_money_style);
	tcase_add_test(tc, test_warnings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
