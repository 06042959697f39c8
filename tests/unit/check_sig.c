/* Unit tests for lib/sig.c. Expected values are Twilio's published example
 * and vectors computed with Python's hmac module (see the comments). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A form from name/value literals, in the given order. */
static struct form mkform(const char *const *kv, size_t n)
{
	struct form f = {NULL, n};

	if (n) {
		f.pairs = calloc(n, sizeof *f.pairs);
		ck_assert_ptr_nonnull(f.pairs);
	}
	for (size_t i = 0; i < n; i++) {
		f.pairs[i].name = strdup(kv[2 * i]);
		f.pairs[i].value = strdup(kv[2 * i + 1]);
	}
	return f;
}

#define EXAMPLE_URL "https://mycompany.com/myapp.php?foo=1&bar=2"

/* python3: base64(hmac.new(token, url + "".join(k + v for k, v in
 * sorted(params, key=name)), sha1)), a stable sort. */
static const struct tw_case {
	const char *token, *url;
	size_t n;
	const char *kv[12];
	const char *sig;
} tw_cases[] = {
	/* Twilio's documented example */
	{"12345",
	 EXAMPLE_URL,
	 5,
	 {"CallSid", "CA1234567890ABCDE", "Caller", "+12349013030", "Digits", "1234", "From",
	  "+12349013030", "To", "+18005551212"},
	 "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
	/* the same parameters in another order sign the same */
	{"12345",
	 EXAMPLE_URL,
	 5,
	 {"To", "+18005551212", "Digits", "1234", "From", "+12349013030", "CallSid",
	  "CA1234567890ABCDE", "Caller", "+12349013030"},
	 "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
	{"12345", EXAMPLE_URL, 0, {NULL}, "zYQTYrRWXE7LtzbG4PfP7/bkkGo="},
	{"tok",
	 "https://pay.test/webhooks/twilio/status",
	 2,
	 {"MessageSid", "SM1", "MessageStatus", "delivered"},
	 "nWScdlZp+WT/4DQiJWhTYieZ6jg="},
	/* repeated names keep their arrival order */
	{"tok",
	 "https://pay.test/webhooks/twilio/status",
	 3,
	 {"b", "2", "a", "1", "a", "0"},
	 "5Le/VoiwUdVFwM9bp4HxWW62ilw="},
	{"tok",
	 "https://pay.test/webhooks/twilio/status",
	 3,
	 {"a", "0", "b", "2", "a", "1"},
	 "1YyTkM1KNHgh1SGPgZoMncwrOqE="},
	/* bytewise, case-sensitive: "B" < "_" < "a" */
	{"tok",
	 "https://pay.test/x",
	 3,
	 {"a", "1", "B", "2", "_", "3"},
	 "cRtil7xqbJXHsb3eQ4BVqTukGAA="},
	{"tok",
	 "https://pay.test/x",
	 2,
	 {"Body", "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94 STOP \xe2\x82\xac",
	  "From", "+821012345678"},
	 "7yy1ctpPm2MovGKfC8GQwGrsge0="},
	{"tok", "https://pay.test/x", 2, {"k", "", "", "v"}, "a8kK8c8Ht6P9nvKVvt9I2j1gHEg="},
};

START_TEST(test_twilio_compute)
{
	const struct tw_case *c = &tw_cases[_i];
	struct form f = mkform(c->kv, c->n);
	char out[SIG_TWILIO_LEN];

	ck_assert_int_eq(sig_twilio_compute(c->token, c->url, &f, out), 0);
	ck_assert_str_eq(out, c->sig);
	ck_assert_int_eq(sig_twilio_verify(c->token, c->url, &f, c->sig), SIG_OK);
	form_free(&f);
}
END_TEST

START_TEST(test_twilio_null_params)
{
	char out[SIG_TWILIO_LEN];

	ck_assert_int_eq(sig_twilio_compute("12345", EXAMPLE_URL, NULL, out), 0);
	ck_assert_str_eq(out, "zYQTYrRWXE7LtzbG4PfP7/bkkGo=");
	ck_assert_int_eq(sig_twilio_verify("12345", EXAMPLE_URL, NULL, out), SIG_OK);
}
END_TEST

/* Everything that must not verify against the published example. */
static const struct {
	const char *token, *url, *header;
	int tamper; /* 1: change a value, 2: drop a parameter, 3: add one */
	enum sig_result want;
} tw_bad[] = {
	{"12345", EXAMPLE_URL, NULL, 0, SIG_EMISSING},
	{"12345", EXAMPLE_URL, "", 0, SIG_EMISSING},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ", 0, SIG_EMALFORMED},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ==", 0, SIG_EMALFORMED},
	{"12345", EXAMPLE_URL, "1/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0, SIG_EMISMATCH},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgq=", 0, SIG_EMISMATCH},
	{"12346", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0, SIG_EMISMATCH},
	{"12345", "https://mycompany.com/myapp.php?foo=1&bar=3", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0,
	 SIG_EMISMATCH},
	{"12345", "http://mycompany.com/myapp.php?foo=1&bar=2", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0,
	 SIG_EMISMATCH},
	{"12345", "https://mycompany.com/myapp.php", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0,
	 SIG_EMISMATCH},
	{"12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
	 "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0, SIG_EMISMATCH},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 1, SIG_EMISMATCH},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 2, SIG_EMISMATCH},
	{"12345", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 3, SIG_EMISMATCH},
	{"", EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0, SIG_EINTERNAL},
	{NULL, EXAMPLE_URL, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", 0, SIG_EINTERNAL},
};

START_TEST(test_twilio_reject)
{
	const char *kv[] = {
		"CallSid", "CA1234567890ABCDE", "Caller", "+12349013030", "Digits", "1234",
		"From",    "+12349013030",      "To",     "+18005551212", "Extra",  "1"};
	size_t n = tw_bad[_i].tamper == 2 ? 4 : tw_bad[_i].tamper == 3 ? 6 : 5;
	struct form f = mkform(kv, n);

	if (tw_bad[_i].tamper == 1) {
		free(f.pairs[2].value);
		f.pairs[2].value = strdup("1235");
	}
	ck_assert_int_eq(sig_twilio_verify(tw_bad[_i].token, tw_bad[_i].url, &f, tw_bad[_i].header),
			 tw_bad[_i].want);
	form_free(&f);
}
END_TEST

/* A default port spelled out or left off matches the other spelling. */
static const struct {
	const char *signed_url, *seen_url;
	enum sig_result want;
} ports[] = {
	{"https://mycompany.com:443/myapp.php?foo=1&bar=2", EXAMPLE_URL, SIG_OK},
	{EXAMPLE_URL, "https://mycompany.com:443/myapp.php?foo=1&bar=2", SIG_OK},
	{"http://mycompany.com:80/a", "http://mycompany.com/a", SIG_OK},
	{"http://mycompany.com/a", "http://mycompany.com:80/a", SIG_OK},
	{"https://mycompany.com", "https://mycompany.com:443", SIG_OK},
	{"https://mycompany.com:443?x=1", "https://mycompany.com?x=1", SIG_OK},
	{"https://mycompany.com:80/a", "https://mycompany.com/a", SIG_EMISMATCH},
	{"http://mycompany.com:443/a", "http://mycompany.com/a", SIG_EMISMATCH},
	{"https://mycompany.com:4430/a", "https://mycompany.com:443/a", SIG_EMISMATCH},
	{"https://mycompany.com:44/a", "https://mycompany.com/a", SIG_EMISMATCH},
};

START_TEST(test_twilio_ports)
{
	const char *kv[] = {"MessageSid", "SM1"};
	struct form f = mkform(kv, 1);
	char sig[SIG_TWILIO_LEN];

	ck_assert_int_eq(sig_twilio_compute("tok", ports[_i].signed_url, &f, sig), 0);
	ck_assert_int_eq(sig_twilio_verify("tok", ports[_i].seen_url, &f, sig), ports[_i].want);
	form_free(&f);
}
END_TEST

/* python3: "sha256=" + hmac.new(secret, ts + "." + body, sha256).hexdigest() */
#define D_SECRET "whsec_test"
#define D_TS "1700000000"
#define D_BODY "{\"id\":\"gm-1\",\"status\":\"delivered\"}"
#define D_SIG "sha256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8"
#define D_SIG_EMPTY "sha256=5967f3c560522fa40cf2876ebc3c3a08551dd6959aaade3b413460591895bdcc"

START_TEST(test_dunn_sign)
{
	char out[SIG_DUNN_LEN];

	ck_assert_int_eq(sig_dunn_sign(D_SECRET, D_TS, D_BODY, strlen(D_BODY), out), 0);
	ck_assert_str_eq(out, D_SIG);
	ck_assert_int_eq(sig_dunn_sign(D_SECRET, D_TS, "", 0, out), 0);
	ck_assert_str_eq(out, D_SIG_EMPTY);
	ck_assert_int_eq(sig_dunn_sign(D_SECRET, D_TS, NULL, 0, out), 0);
	ck_assert_str_eq(out, D_SIG_EMPTY);
	/* the body is length-delimited: a NUL inside counts */
	ck_assert_int_eq(sig_dunn_sign("k", "0", "a\0b", 3, out), 0);
	ck_assert_str_eq(out,
			 "sha256=5e0c9fdfbb557e51690e239845daa5135f902b8f1a0c161828b94b4438c18113");
	ck_assert_int_eq(sig_dunn_sign(NULL, D_TS, "", 0, out), -1);
	ck_assert_int_eq(sig_dunn_sign(D_SECRET, NULL, "", 0, out), -1);
}
END_TEST

static const struct {
	const char *secret, *ts, *body, *header;
	int64_t now;
	enum sig_result want;
} dunn_cases[] = {
	{D_SECRET, D_TS, D_BODY, D_SIG, 1700000000, SIG_OK},
	/* the replay window, both ways */
	{D_SECRET, D_TS, D_BODY, D_SIG, 1700000300, SIG_OK},
	{D_SECRET, D_TS, D_BODY, D_SIG, 1700000301, SIG_ESTALE},
	{D_SECRET, D_TS, D_BODY, D_SIG, 1699999700, SIG_OK},
	{D_SECRET, D_TS, D_BODY, D_SIG, 1699999699, SIG_ESTALE},
	{D_SECRET, D_TS, D_BODY, D_SIG, 0, SIG_ESTALE},
	/* hex case does not matter */
	{D_SECRET, D_TS, D_BODY,
	 "sha256=E15B37996F85DBFFB1D12BC035117D476256B60AB1A011E1FEF8E2597C92B3C8", 1700000000,
	 SIG_OK},
	{D_SECRET, D_TS, "", D_SIG_EMPTY, 1700000000, SIG_OK},
	/* wrong */
	{D_SECRET, D_TS, "{\"id\":\"gm-1\",\"status\":\"failed\"}", D_SIG, 1700000000,
	 SIG_EMISMATCH},
	{"whsec_tesT", D_TS, D_BODY, D_SIG, 1700000000, SIG_EMISMATCH},
	{D_SECRET, "1700000001", D_BODY, D_SIG, 1700000000, SIG_EMISMATCH},
	{D_SECRET, D_TS, D_BODY,
	 "sha256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c9", 1700000000,
	 SIG_EMISMATCH},
	/* a stale but forged request is a mismatch first */
	{D_SECRET, D_TS, "x", D_SIG, 1800000000, SIG_EMISMATCH},
	/* malformed */
	{D_SECRET, D_TS, D_BODY, "e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8",
	 1700000000, SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 "sha1=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 "SHA256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 "sha256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 "sha256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c80", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 "sha256=g15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, D_TS, D_BODY,
	 " sha256=e15b37996f85dbffb1d12bc035117d476256b60ab1a011e1fef8e2597c92b3c8", 1700000000,
	 SIG_EMALFORMED},
	{D_SECRET, "+1700000000", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	{D_SECRET, " 1700000000", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	{D_SECRET, "1700000000.5", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	{D_SECRET, "-1", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	{D_SECRET, "1.7e9", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	{D_SECRET, "9999999999999", D_BODY, D_SIG, 1700000000, SIG_EMALFORMED},
	/* missing */
	{D_SECRET, D_TS, D_BODY, NULL, 1700000000, SIG_EMISSING},
	{D_SECRET, D_TS, D_BODY, "", 1700000000, SIG_EMISSING},
	{D_SECRET, NULL, D_BODY, D_SIG, 1700000000, SIG_EMISSING},
	{D_SECRET, "", D_BODY, D_SIG, 1700000000, SIG_EMISSING},
	{"", D_TS, D_BODY, D_SIG, 1700000000, SIG_EINTERNAL},
};

START_TEST(test_dunn_verify)
{
	ck_assert_int_eq(sig_dunn_verify(dunn_cases[_i].secret, dunn_cases[_i].ts,
					 dunn_cases[_i].body, strlen(dunn_cases[_i].body),
					 dunn_cases[_i].header, dunn_cases[_i].now),
			 dunn_cases[_i].want);
}
END_TEST

/* sign then verify agree, for bodies of many sizes. */
START_TEST(test_dunn_roundtrip)
{
	char body[2048], sig[SIG_DUNN_LEN];

	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (char)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof body; len += 97) {
		ck_assert_int_eq(sig_dunn_sign("s3cret", "1800000000", body, len, sig), 0);
		ck_assert_int_eq(
			sig_dunn_verify("s3cret", "1800000000", body, len, sig, 1800000100),
			SIG_OK);
		if (len)
			ck_assert_int_eq(sig_dunn_verify("s3cret", "1800000000", body, len - 1, sig,
							 1800000100),
					 SIG_EMISMATCH);
	}
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(sig_strerror(SIG_OK), "valid");
	ck_assert_str_eq(sig_strerror(SIG_EMISSING), "missing signature");
	ck_assert_str_eq(sig_strerror(SIG_EMALFORMED), "malformed signature");
	ck_assert_str_eq(sig_strerror(SIG_ESTALE), "timestamp outside the replay window");
	ck_assert_str_eq(sig_strerror(SIG_EMISMATCH), "signature mismatch");
	ck_assert_str_eq(sig_strerror(SIG_EINTERNAL), "internal error");
	ck_assert_str_eq(sig_strerror((enum sig_result)7), "unknown");
}
END_TEST

/* Stripe: the header stripe-node's generateTestHeaderString gives for
 * payload {"a":1}, secret whsec_abc, t=1700000000 (computed with stripe
 * 23 from the npm registry). */
#define ST_BODY "{\"a\":1}"
#define ST_V1 "3b843bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b"
#define ST_T 1700000000

START_TEST(test_stripe_vector)
{
	const char *one[] = {"whsec_abc"}, *rotated[] = {"whsec_new", "whsec_abc"};
	const char *wrong[] = {"whsec_abd"};
	char h[128];

	ck_assert_int_eq(sig_stripe_verify(one, 1, "t=1700000000,v1=" ST_V1, ST_BODY, 7, ST_T),
			 SIG_OK);
	ck_assert_int_eq(sig_stripe_sign("whsec_abc", ST_T, ST_BODY, 7, h, sizeof h), 0);
	ck_assert_str_eq(h, "t=1700000000,v1=" ST_V1);
	/* rotation: either secret configured, either v1 sent, a v0 ignored */
	ck_assert_int_eq(sig_stripe_verify(rotated, 2, h, ST_BODY, 7, ST_T), SIG_OK);
	ck_assert_int_eq(sig_stripe_verify(one, 1,
					   "t=1700000000,v1="
					   "00000000000000000000000000000000"
					   "00000000000000000000000000000000,v0=ab,v1=" ST_V1,
					   ST_BODY, 7, ST_T + 299),
			 SIG_OK);
	ck_assert_int_eq(sig_stripe_verify(wrong, 1, h, ST_BODY, 7, ST_T), SIG_EMISMATCH);
	ck_assert_int_eq(sig_stripe_verify(one, 1, h, "{\"a\":2}", 7, ST_T), SIG_EMISMATCH);
	ck_assert_int_eq(sig_stripe_verify(one, 1, h, ST_BODY, 7, ST_T + 301), SIG_ESTALE);
	ck_assert_int_eq(sig_stripe_verify(one, 1, h, ST_BODY, 7, ST_T - 301), SIG_ESTALE);
	/* the timestamp is signed: another t with the same v1 is a mismatch */
	ck_assert_int_eq(sig_stripe_verify(one, 1, "t=1700000001,v1=" ST_V1, ST_BODY, 7, ST_T),
			 SIG_EMISMATCH);
}
END_TEST

static const char *const stripe_bad[] = {
	"",
	"t=1700000000",
	"v1=" ST_V1,
	"t=,v1=" ST_V1,
	"t=17x,v1=" ST_V1,
	"t=1700000000,v1=abc",
	"t=1700000000,v1=" ST_V1 "00",
	"t=1,t=1700000000,v1=" ST_V1,
	"t=1700000000,v1=" ST_V1 ",garbage",
	"t=1700000000,v0=" ST_V1,
	"t=1700000000,v1=zz43bacfb18cc5554542fdcc84d815b399c52758e508a6fcecf0a2af4efea2b",
};

START_TEST(test_stripe_malformed)
{
	const char *one[] = {"whsec_abc"};
	enum sig_result r = sig_stripe_verify(one, 1, stripe_bad[_i], ST_BODY, 7, ST_T);

	ck_assert_msg(r == SIG_EMALFORMED || (r == SIG_EMISSING && !*stripe_bad[_i]), "'%s': %d",
		      stripe_bad[_i], r);
	ck_assert_int_eq(sig_stripe_verify(one, 1, NULL, ST_BODY, 7, ST_T), SIG_EMISSING);
}
END_TEST

/* Adyen's own published vector (adyen-php-api-library HmacSignatureTest). */
START_TEST(test_adyen_vector)
{
	static const char data[] = "7914073381342284::TestMerchant:TestPayment-1407325143704:"
				   "1130:EUR:AUTHORISATION:true";
	unsigned char key[SIG_ADYEN_KEY_MAX];
	char out[SIG_ADYEN_LEN];
	int n = sig_adyen_key("DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00",
			      key);

	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(sig_adyen_sign(key, (size_t)n, data, strlen(data), out), 0);
	ck_assert_str_eq(out, "Ny9gS2veKo5E4w8/OL6xz1/wvT/hYkAXy1xNc/QvO4I=");
	ck_assert_int_eq(sig_adyen_verify(key, (size_t)n, data, strlen(data), out), SIG_OK);
	ck_assert_int_eq(sig_adyen_verify(key, (size_t)n, data, strlen(data) - 1, out),
			 SIG_EMISMATCH);
	ck_assert_int_eq(sig_adyen_verify(key, (size_t)n, data, strlen(data), "Ny9g"),
			 SIG_EMALFORMED);
	ck_assert_int_eq(sig_adyen_verify(key, (size_t)n, data, strlen(data), NULL), SIG_EMISSING);
	ck_assert_int_eq(sig_adyen_key("DFB1", key), -1);
	ck_assert_int_eq(
		sig_adyen_key("XFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00",
			      key),
		-1);
	ck_assert_int_eq(
		sig_adyen_key("FB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00",
			      key),
		-1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("sig");

	tcase_add_loop_test(tc, test_twilio_compute, 0, N(tw_cases));
	tcase_add_test(tc, test_twilio_null_params);
	tcase_add_loop_test(tc, test_twilio_reject, 0, N(tw_bad));
	tcase_add_loop_test(tc, test_twilio_ports, 0, N(ports));
	tcase_add_test(tc, test_dunn_sign);
	tcase_add_loop_test(tc, test_dunn_verify, 0, N(dunn_cases));
	tcase_add_test(tc, test_dunn_roundtrip);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_stripe_vector);
	tcase_add_loop_test(tc, test_stripe_malformed, 0, N(stripe_bad));
	tcase_add_test(tc, test_adyen_vector);
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
