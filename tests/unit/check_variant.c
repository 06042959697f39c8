/* Variants of a step: the loader's checks, the assignment (even over
 * many accounts, stable, recomputable outside dunnd) and the engine
 * sending each account its variant's step. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tz.h"

static struct policy *load(const char *text, char *msg, size_t len)
{
	char path[] = "/tmp/variant-XXXXXX.json";
	int fd = mkstemps(path, 5);
	struct diag d = {0};
	struct policy *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	p = policy_load(path, &d);
	msg[0] = '\0';
	if (d.n) {
		const char *colon = strchr(d.msgs[0], ':'); /* drop the temp path */
		snprintf(msg, len, "%s", colon ? colon + 1 : d.msgs[0]);
	}
	diag_free(&d);
	unlink(path);
	return p;
}

static const char POLICY[] =
	"{\"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n"
	"   \"variants\": [{\"name\": \"A\", \"weight\": 50},\n"
	"                {\"name\": \"B\", \"weight\": 50, \"template\": \"gentle_short\",\n"
	"                 \"after_days\": 5, \"channels\": [\"email\", \"sms\"]}]},\n"
	"  {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"firm\",\n"
	"   \"experiment\": \"subject-test\",\n"
	"   \"variants\": [{\"name\": \"plain\", \"weight\": 70},\n"
	"                {\"name\": \"bold\", \"weight\": 20, \"template\": \"firm_bold\"},\n"
	"                {\"name\": \"short\", \"weight\": 10, \"template\": \"firm_short\"}]}\n"
	"]}]}\n";

START_TEST(loads_with_overrides)
{
	char msg[256];
	struct policy *p = load(POLICY, msg, sizeof msg);
	const struct policy_step *s0, *s1;

	ck_assert_msg(p != NULL, "%s", msg);
	s0 = &p->tracks[0].steps[0];
	s1 = &p->tracks[0].steps[1];
	ck_assert_str_eq(s0->experiment, "first_time/1"); /* named after its place */
	ck_assert_str_eq(s1->experiment, "subject-test");
	ck_assert_uint_eq(s0->nvariants, 2);
	ck_assert_uint_eq(s0->total_weight, 100);
	/* A keeps the step as it is; B overrides all three. */
	ck_assert_str_eq(s0->variants[0].step.template, "gentle");
	ck_assert_int_eq(s0->variants[0].step.after_days, 3);
	ck_assert_uint_eq(s0->variants[0].step.nchannels, 1);
	ck_assert_str_eq(s0->variants[1].step.template, "gentle_short");
	ck_assert_int_eq(s0->variants[1].step.after_days, 5);
	ck_assert_uint_eq(s0->variants[1].step.nchannels, 2);
	ck_assert_str_eq(s0->variants[1].step.channels[1], "sms");
	ck_assert_str_eq(s1->variants[2].step.template, "firm_short");
	policy_free(p);
}
END_TEST

/* Each bad policy and the file:line:column its first error must name. */
static const struct {
	const char *variants, *experiment, *want;
} bad[] = {
	{"[{\"name\": \"A\", \"weight\": 50}]", NULL, "2:73: 'variants' must list 2"},
	{"[{\"name\": \"A\", \"weight\": 50}, {\"name\": \"A\", \"weight\": 5}]", NULL,
	 "2:103: variant 'A' named twice"},
	{"[{\"name\": \"A\", \"weight\": 0}, {\"name\": \"B\", \"weight\": 5}]", NULL,
	 "2:98: 'weight' must be between 1 and"},
	{"[{\"name\": \"A\", \"weight\": -3}, {\"name\": \"B\", \"weight\": 5}]", NULL,
	 "2:98: 'weight' must be between 1 and"},
	{"[{\"name\": \"A\"}, {\"name\": \"B\", \"weight\": 5}]", NULL,
	 "2:74: missing required key 'weight'"},
	{"[{\"weight\": 1}, {\"name\": \"B\", \"weight\": 5}]", NULL,
	 "2:74: missing required key 'name'"},
	{"[{\"name\": \"A b\", \"weight\": 1}, {\"name\": \"B\", \"weight\": 5}]", NULL,
	 "2:83: a variant's name is 1 to 64"},
	{"[{\"name\": \"A\", \"weight\": 1, \"colour\": 1}, {\"name\": \"B\", \"weight\": 5}]",
	 NULL, "2:101: unknown key 'colour'"},
	{"[{\"name\": \"A\", \"weight\": 1, \"template\": \"\"}, {\"name\": \"B\", \"weight\": 5}]",
	 NULL, "2:113: 'template' must be a non-empty string"},
	{"[{\"name\": \"A\", \"weight\": 1, \"channels\": []}, {\"name\": \"B\", \"weight\": 5}]",
	 NULL, "2:113: 'channels' must list 1 to"},
	{"[{\"name\": \"A\", \"weight\": 1, \"after_days\": 12}, {\"name\": \"B\", \"weight\": 5}]",
	 NULL, "3: with its variants this step may come on day 10, not after day 12"},
	{"\"x\"", NULL, "2:73: 'variants' must be an array"},
	{NULL, "\"lonely\"", "2:3: 'experiment' needs 'variants' beside it"},
	{"[{\"name\": \"A\", \"weight\": 1}, {\"name\": \"B\", \"weight\": 5}]", "\"a b\"",
	 "has the wrong name"},
};

static const char BAD_FMT[] =
	"{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
	"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"g\"%s%s%s%s},\n"
	"  {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"f\"}\n"
	"]}]}\n";

START_TEST(loader_rejects_with_position)
{
	char text[1024], msg[256];
	struct policy *p;

	snprintf(text, sizeof text, BAD_FMT, bad[_i].variants ? ", \"variants\": " : "",
		 bad[_i].variants ? bad[_i].variants : "",
		 bad[_i].experiment ? ", \"experiment\": " : "",
		 bad[_i].experiment ? bad[_i].experiment : "");
	p = load(text, msg, sizeof msg);
	ck_assert_msg(p == NULL, "accepted: %s", text);
	if (strcmp(bad[_i].want, "has the wrong name") == 0)
		ck_assert_msg(strstr(msg, "an experiment's name is") != NULL, "got '%s'", msg);
	else
		ck_assert_msg(strstr(msg, bad[_i].want) != NULL, "want '%s', got '%s'",
			      bad[_i].want, msg);
}
END_TEST

START_TEST(shared_experiment_must_agree)
{
	static const char text[] =
		"{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
		"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"g\", \"experiment\": \"e\",\n"
		"   \"variants\": [{\"name\": \"A\", \"weight\": 1}, {\"name\": \"B\", \"weight\": 1}]},\n"
		"  {\"after_days\": 9, \"channels\": [\"email\"], \"template\": \"f\", \"experiment\": \"e\",\n"
		"   \"variants\": [{\"name\": \"A\", \"weight\": 1}, {\"name\": \"B\", \"weight\": 2}]}\n"
		"]}]}\n";
	char msg[256], same[sizeof text];
	struct policy *p = load(text, msg, sizeof msg);
	char *w;

	ck_assert(p == NULL);
	ck_assert_msg(strstr(msg, "5:16: experiment 'e' is used before with other") != NULL, "%s",
		      msg);
	/* The same variants and weights: one experiment over both steps, so
	 * an account keeps its variant from one to the next. */
	memcpy(same, text, sizeof text);
	w = strstr(same, "\"weight\": 2");
	w[10] = '1';
	p = load(same, msg, sizeof msg);
	ck_assert_msg(p != NULL, "%s", msg);
	for (int i = 0; i < 1000; i++) {
		char key[32];
		snprintf(key, sizeof key, "acct-%d", i);
		ck_assert_int_eq(policy_variant_index(&p->tracks[0].steps[0], key),
				 policy_variant_index(&p->tracks[0].steps[1], key));
	}
	policy_free(p);
}
END_TEST

/* Over 100,000 accounts each variant's share is within 2 points of its
 * weight, for an even split and an uneven one. */
START_TEST(distribution_follows_weights)
{
	char msg[256], key[32];
	struct policy *p = load(POLICY, msg, sizeof msg);
	long n0[2] = {0}, n1[3] = {0};
	const int N = 100000;

	ck_assert_msg(p != NULL, "%s", msg);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof key, "CUST%07d", i);
		int a = policy_variant_index(&p->tracks[0].steps[0], key);
		int b = policy_variant_index(&p->tracks[0].steps[1], key);
		ck_assert(a >= 0 && a < 2 && b >= 0 && b < 3);
		n0[a]++;
		n1[b]++;
	}
	ck_assert_msg(labs(n0[0] - N / 2) < N / 50, "A %ld of %d", n0[0], N);
	ck_assert_msg(labs(n1[0] - N * 7 / 10) < N / 50, "plain %ld", n1[0]);
	ck_assert_msg(labs(n1[1] - N * 2 / 10) < N / 50, "bold %ld", n1[1]);
	ck_assert_msg(labs(n1[2] - N / 10) < N / 50, "short %ld", n1[2]);
	policy_free(p);
}
END_TEST

/* SHA-256(experiment NUL key), first 8 bytes big-endian, modulo the total
 * weight: these were computed with Python's hashlib, outside dunnd. The
 * same answers after a reload, and whatever other steps there are. */
START_TEST(assignment_is_stable_and_recomputable)
{
	static const struct {
		const char *key;
		int first, second;
	} want[] = {{"ACME-1", 0, 2}, {"ACME-2", 0, 0}, {"ACME-3", 0, 0}, {"ACME-4", 1, 0},
		    {"ACME-5", 1, 1}, {"ACME-6", 0, 0}, {"ACME-7", 0, 0}, {"ACME-8", 1, 0}};
	char msg[256];

	for (int round = 0; round < 2; round++) {
		struct policy *p = load(POLICY, msg, sizeof msg);
		ck_assert_msg(p != NULL, "%s", msg);
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
			const struct policy_variant *v;
			ck_assert_int_eq(policy_variant_index(&p->tracks[0].steps[0], want[i].key),
					 want[i].first);
			ck_assert_int_eq(policy_variant_index(&p->tracks[0].steps[1], want[i].key),
					 want[i].second);
			policy_variant_for(&p->tracks[0].steps[0], want[i].key, &v);
			ck_assert_str_eq(v->name, want[i].first ? "B" : "A");
		}
		/* A step without variants is itself. */
		policy_free(p);
	}
}
END_TEST

/* The engine sends each account its variant: B's day, template and
 * channels for a B account, the step as written for an A account. */
START_TEST(engine_applies_the_variant)
{
	char msg[256];
	struct policy *p = load(POLICY, msg, sizeof msg);
	struct policy_case c = {0};
	struct policy_action a;

	ck_assert_msg(p != NULL, "%s", msg);
	c.timezone = "UTC";
	c.currency = "USD";
	c.balance = 5000;
	c.due_year = 2026;
	c.due_month = 11;
	c.due_day = 1;
	c.track = "first_time";
	/* Day 3 (Nov 4), noon: A is due, B waits for day 5. */
	ck_assert_int_eq(tz_from_local("UTC", 2026, 11, 4, 12, 0, 0, &c.now), 0);
	c.account_key = "ACME-1"; /* A */
	ck_assert_int_eq(policy_decide(p, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_str_eq(a.step->template, "gentle");
	ck_assert_uint_eq(a.nchannels, 1);
	ck_assert_str_eq(a.experiment, "first_time/1");
	ck_assert_str_eq(a.variant->name, "A");
	c.account_key = "ACME-4"; /* B */
	ck_assert_int_eq(policy_decide(p, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_str_eq(a.reason, "not yet due");
	ck_assert_str_eq(a.variant->name, "B");
	{
		int64_t want;
		ck_assert_int_eq(tz_from_local("UTC", 2026, 11, 6, 8, 0, 0, &want), 0);
		ck_assert_int_eq(a.next_at, want);
	}
	c.now += 2 * 86400;
	ck_assert_int_eq(policy_decide(p, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_str_eq(a.step->template, "gentle_short");
	ck_assert_uint_eq(a.nchannels, 2);
	ck_assert_str_eq(a.channels[1], "sms");
	/* The second step's own experiment: ACME-1 takes "short". */
	c.stage = 1;
	c.account_key = "ACME-1";
	ck_assert_int_eq(tz_from_local("UTC", 2026, 11, 11, 12, 0, 0, &c.now), 0);
	ck_assert_int_eq(policy_decide(p, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_str_eq(a.step->template, "firm_short");
	ck_assert_str_eq(a.experiment, "subject-test");
	policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("variant");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, loads_with_overrides);
	tcase_add_loop_test(tc, loader_rejects_with_position, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, shared_experiment_must_agree);
	tcase_add_test(tc, distribution_follows_weights);
	tcase_add_test(tc, assignment_is_stable_and_recomputable);
	tcase_add_test(tc, engine_applies_the_variant);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
