/* Late fee arithmetic (engine/fee.c): caps, rounding per currency
 * exponent (JPY 0, USD 2, KWD and BHD 3) and the legal maximum, by hand
 * and against an independent oracle (tests/unit/fee_oracle.py, Decimal in
 * major units) over random amounts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fee.h"
#include "money.h"
#include "policy.h"

static struct fee_rule rule(const char *cur, int64_t fixed, uint32_t rate, int64_t cap)
{
	struct fee_rule r = {0};

	if (fixed > 0) {
		memcpy(r.fixed[0].currency, cur, 4);
		r.fixed[0].minor = fixed;
		r.nfixed = 1;
	}
	if (cap >= 0) {
		memcpy(r.cap[0].currency, cur, 4);
		r.cap[0].minor = cap;
		r.ncap = 1;
	}
	r.rate = rate;
	return r;
}

START_TEST(percent_rounds_half_up_in_minor_units)
{
	/* 1.5% of $10.10 = $0.1515 -> $0.15; of $10.30 = 0.1545 -> 0.15;
	 * of $10.50 = 0.1575 -> 0.16; 2.5% of 1.00 = 0.025 -> 0.03 (half up). */
	ck_assert_int_eq(fee_percent(1010, 15000), 15);
	ck_assert_int_eq(fee_percent(1030, 15000), 15);
	ck_assert_int_eq(fee_percent(1050, 15000), 16);
	ck_assert_int_eq(fee_percent(100, 25000), 3);
	/* JPY (exponent 0): 1.5% of 12,345 yen = 185.175 -> 185 yen. */
	ck_assert_int_eq(fee_percent(12345, 15000), 185);
	/* KWD (3): 1.5% of 10.101 KWD = 0.1515150 -> 0.152 (151.515 fils). */
	ck_assert_int_eq(fee_percent(10101, 15000), 152);
	/* BHD 0.5% of 0.100 = 0.0005 -> 0.001 */
	ck_assert_int_eq(fee_percent(100, 5000), 1);
	ck_assert_int_eq(fee_percent(0, 15000), 0);
	ck_assert_int_eq(fee_percent(1000, 0), 0);
	/* 100% of the largest total is itself: no overflow. */
	ck_assert_int_eq(fee_percent(INT64_C(1000000000000000000), FEE_RATE_MAX),
			 INT64_C(1000000000000000000));
}
END_TEST

START_TEST(cap_after_rounding_and_legal_max)
{
	struct fee_rule r = rule("USD", 500, 15000, 2500); /* $5 + 1.5%, cap $25 */
	struct fee_calc k;

	ck_assert_int_eq(fee_compute(&r, "USD", 100000, 0, -1, &k), 2000); /* 5 + 15 */
	ck_assert_int_eq(k.capped, 0);
	ck_assert_int_eq(fee_compute(&r, "USD", 200000, 0, -1, &k), 2500); /* 5+30 cut */
	ck_assert_int_eq(k.capped, 1);
	/* Legal max $50 with $40 already charged: $10 of room. */
	ck_assert_int_eq(fee_compute(&r, "USD", 200000, 4000, 5000, &k), 1000);
	ck_assert_int_eq(k.capped, 2);
	ck_assert_int_eq(fee_compute(&r, "USD", 200000, 5000, 5000, &k), 0);
	/* Another currency: the rule charges nothing there. */
	ck_assert_int_eq(fee_compute(&r, "EUR", 200000, 0, -1, &k), 0);
	/* Fixed only: no percentage even without a cap. */
	struct fee_rule f = rule("KRW", 5000, 0, -1);
	ck_assert_int_eq(fee_compute(&f, "KRW", 1234567, 0, -1, NULL), 5000);
	/* A percentage without a cap in the currency is never charged. */
	struct fee_rule p = rule("USD", 0, 15000, -1);
	ck_assert_int_eq(fee_compute(&p, "USD", 100000, 0, -1, NULL), 0);
	ck_assert_int_eq(fee_compute(NULL, "USD", 100000, 0, -1, NULL), 0);
	/* The kind written on each fee line. */
	ck_assert_str_eq(fee_kind(&r, "USD"), "fixed+percent");
	ck_assert_str_eq(fee_kind(&f, "KRW"), "fixed");
	struct fee_rule pc = rule("USD", 0, 15000, 2500);
	ck_assert_str_eq(fee_kind(&pc, "USD"), "percent");
	ck_assert_ptr_null(fee_kind(&p, "USD"));
	ck_assert_ptr_null(fee_kind(&r, "EUR"));
	ck_assert_ptr_null(fee_kind(NULL, "USD"));
}
END_TEST

static const char *srcdir(void)
{
	const char *s = getenv("DUNN_SRCDIR");
	return s && *s ? s : ".";
}

/* 20,000 random cases per currency through fee_compute and the oracle. */
START_TEST(property_against_oracle)
{
	static const char *const curs[] = {"JPY", "KRW", "USD", "EUR", "KWD", "BHD", "CLF"};
	char in[] = "/tmp/fee-in-XXXXXX", out[] = "/tmp/fee-out-XXXXXX", cmd[1024];
	int fi = mkstemp(in), fo = mkstemp(out);
	FILE *f;
	size_t n = 0, N = 20000;
	int64_t *want;

	ck_assert(fi >= 0 && fo >= 0);
	close(fo);
	f = fdopen(fi, "w");
	want = calloc(N * (sizeof curs / sizeof curs[0]), sizeof *want);
	srandom(20261202);
	for (size_t c = 0; c < sizeof curs / sizeof curs[0]; c++)
		for (size_t i = 0; i < N; i++, n++) {
			/* Amounts over many magnitudes: small ones hit the rounding. */
			int mag = (int)(random() % 16);
			int64_t base = (int64_t)(((uint64_t)random() << 31 | (uint64_t)random()) %
						 ((uint64_t)1 << (mag * 3 + 4)));
			uint32_t rate = (uint32_t)(random() % 4 == 0 ? 0 : random() % 300001);
			int64_t fixed = random() % 3 == 0 ? 0 : random() % 100000;
			int64_t cap = random() % 4 == 0 ? -1 : random() % 1000000;
			int64_t legal = random() % 2 ? -1 : random() % 2000000;
			int64_t already = random() % 2 ? 0 : random() % 2000000;
			struct fee_rule r = rule(curs[c], fixed, rate, cap);
			want[n] = fee_compute(&r, curs[c], base, already, legal, NULL);
			fprintf(f, "%s %d %lld %u %lld %lld %lld %lld\n", curs[c],
				money_exponent(curs[c]), (long long)base, rate, (long long)fixed,
				(long long)cap, (long long)legal, (long long)already);
		}
	fclose(f);
	snprintf(cmd, sizeof cmd, "python3 %s/tests/unit/fee_oracle.py < %s > %s", srcdir(), in,
		 out);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++) {
		long long got;
		ck_assert_int_eq(fscanf(f, "%lld", &got), 1);
		ck_assert_msg(got == want[i], "case %zu: fee.c %lld, oracle %lld", i,
			      (long long)want[i], got);
	}
	fclose(f);
	unlink(in);
	unlink(out);
	free(want);
}
END_TEST

/* The policy's fee configuration, each error at its place. */
static char *load_msg(const char *text)
{
	char path[] = "/tmp/fee-policy-XXXXXX.json";
	int fd = mkstemps(path, 5);
	struct diag d = {0};
	struct policy *p;
	char *msg;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	p = policy_load(path, &d);
	msg = d.n ? strdup(strchr(d.msgs[0], ':') + 1) : NULL;
	if (p) {
		ck_assert_int_eq(p->tracks[0].steps[0].fee != NULL, 1);
		policy_free(p);
	}
	diag_free(&d);
	unlink(path);
	return msg;
}

#define POLICY_WITH_FEE(fee, extra)                                                    \
	"{" extra "\"tracks\": [{\"name\": \"t\", \"steps\": [\n"                      \
	"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n" \
	"   \"fee\": " fee "}]}]}\n"

static const struct {
	const char *text, *want; /* want: a piece of the first diagnostic, NULL = loads */
} cfgs[] = {
	{POLICY_WITH_FEE("{\"fixed\": {\"USD\": \"5.00\", \"KRW\": 5000}}", ""), NULL},
	{POLICY_WITH_FEE("{\"percent\": 1.5, \"cap\": {\"USD\": \"25.00\"}}",
			 "\"fee_legal_max\": {\"USD\": \"50.00\"},"),
	 NULL},
	{POLICY_WITH_FEE("{\"fixed\": {\"XYZ\": \"5.00\"}}", ""), "unknown currency 'XYZ'"},
	{POLICY_WITH_FEE("{\"fixed\": {\"USD\": \"-5.00\"}}", ""), "negative"},
	{POLICY_WITH_FEE("{\"fixed\": {\"JPY\": \"5.5\"}}", ""), "no minor unit"},
	{POLICY_WITH_FEE("{\"percent\": 101, \"cap\": {\"USD\": \"1.00\"}}", ""), "at most 100"},
	{POLICY_WITH_FEE("{\"percent\": -1, \"cap\": {\"USD\": \"1.00\"}}", ""), "above 0"},
	{POLICY_WITH_FEE("{\"percent\": 1.23456, \"cap\": {\"USD\": \"1.00\"}}", ""), "4 decimals"},
	{POLICY_WITH_FEE("{\"percent\": 1.5}", ""), "needs 'cap'"},
	{POLICY_WITH_FEE("{\"fixed\": {\"EUR\": \"2.00\"}, \"percent\": 1, \"cap\": {\"USD\": "
			 "\"1.00\"}}",
			 ""),
	 "cap in EUR"},
	{POLICY_WITH_FEE("{\"fixed\": {\"USD\": \"60.00\"}}",
			 "\"fee_legal_max\": {\"USD\": \"50\"},"),
	 "above fee_legal_max"},
	{POLICY_WITH_FEE("{\"cap\": {\"USD\": \"1.00\"}}", ""), "needs 'fixed', 'percent'"},
	{POLICY_WITH_FEE("{\"fixed\": {\"USD\": \"1.00\"}, \"typo\": 1}", ""), "typo"},
	{POLICY_WITH_FEE("{\"fixed\": {\"USD\": \"1.00\"}}",
			 "\"fee_legal_max\": {\"QQQ\": \"1\"},"),
	 "unknown currency 'QQQ'"},
};

START_TEST(config_checked)
{
	char *msg = load_msg(cfgs[_i].text);

	if (!cfgs[_i].want)
		ck_assert_msg(msg == NULL, "case %d: %s", _i, msg);
	else {
		ck_assert_msg(msg && strstr(msg, cfgs[_i].want), "case %d: want '%s', got '%s'", _i,
			      cfgs[_i].want, msg ? msg : "(loaded)");
		/* file:line:column: the message starts with "LINE:COL:". */
		int line = 0, col = 0;
		ck_assert_msg(sscanf(msg, "%d:%d:", &line, &col) == 2 && line >= 1 && col >= 1,
			      "case %d: no line:column in '%s'", _i, msg);
	}
	free(msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fee");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, percent_rounds_half_up_in_minor_units);
	tcase_add_test(tc, cap_after_rounding_and_legal_max);
	tcase_add_test(tc, property_against_oracle);
	tcase_add_loop_test(tc, config_checked, 0, (int)(sizeof cfgs / sizeof cfgs[0]));
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
