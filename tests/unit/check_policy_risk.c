/* Risk in the policy: min_risk and max_risk choose a track, cadence
 * scales the gaps between steps by the account's risk band, and the
 * loader reports bad values at file:line:column. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tz.h"

static struct policy *load(const char *text, char *msg, size_t len)
{
	char *path = strdup("/tmp/policy-risk-XXXXXX.json");
	int fd = mkstemps(path, 5);
	struct diag d = {0};
	struct policy *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	p = policy_load(path, &d);
	if (msg) {
		msg[0] = '\0';
		if (d.n) {
			const char *colon = strchr(d.msgs[0], ':'); /* drop the temp path */
			snprintf(msg, len, "%s", colon ? colon + 1 : d.msgs[0]);
		}
	}
	diag_free(&d);
	unlink(path);
	free(path);
	return p;
}

static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 2,\n"
	"  \"contact_window\": {\"start\": \"00:00\", \"end\": \"23:59\"},\n"
	"  \"risk\": {\"high_from\": 0.6, \"low_below\": 0.2},\n"
	"  \"cadence\": {\"high\": 0.5, \"low\": 2},\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"risky\", \"when\": {\"min_risk\": 0.6},\n"
	"     \"cadence\": {\"high\": 0.7},\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"firm\"},\n"
	"               {\"after_days\": 13, \"channels\": [\"email\"], \"template\": \"firm\"},\n"
	"               {\"after_days\": 23, \"channels\": [\"email\"], \"template\": \"final\"}]},\n"
	"    {\"name\": \"middling\", \"when\": {\"min_risk\": 0.2, \"max_risk\": 0.59},\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"firm\"}]},\n"
	"    {\"name\": \"steady\",\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 4, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"firm\"}]}\n"
	"  ]\n"
	"}\n";

static struct policy *pol;

static void setup(void)
{
	char msg[256];

	pol = load(POLICY, msg, sizeof msg);
	ck_assert_msg(pol != NULL, "%s", msg);
}

static void teardown(void)
{
	policy_free(pol);
}

static int64_t at(const char *iso)
{
	int y, mo, d, h, mi, s;
	int64_t t;

	ck_assert_int_eq(sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6);
	ck_assert_int_eq(tz_from_local("UTC", y, mo, d, h, mi, s, &t), 0);
	return t;
}

static struct policy_case base_case(double risk)
{
	struct policy_case c = {0};

	c.now = at("2026-11-01T12:00:00Z");
	c.timezone = "UTC";
	c.currency = "USD";
	c.balance = 5000;
	c.due_year = 2026;
	c.due_month = 11;
	c.due_day = 1;
	c.account_key = "ACME-1";
	c.risk = risk;
	return c;
}

START_TEST(bands_and_thresholds)
{
	ck_assert_str_eq(policy_risk_band(pol, 0), "low");
	ck_assert_str_eq(policy_risk_band(pol, 0.199), "low");
	ck_assert_str_eq(policy_risk_band(pol, 0.2), "mid");
	ck_assert_str_eq(policy_risk_band(pol, 0.599), "mid");
	ck_assert_str_eq(policy_risk_band(pol, 0.6), "high");
	ck_assert_str_eq(policy_risk_band(pol, 1), "high");
	ck_assert_int_eq(pol->risk_max_age_hours, 24);
	ck_assert_int_eq(pol->uses_risk, 1);
}
END_TEST

/* The first track whose bounds hold the score: min inclusive, max too. */
START_TEST(min_and_max_risk_choose_the_track)
{
	static const struct {
		double risk;
		const char *track;
	} want[] = {{0, "steady"},     {0.19, "steady"}, {0.2, "middling"}, {0.59, "middling"},
		    {0.595, "steady"}, {0.6, "risky"},   {0.95, "risky"},   {1, "risky"}};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct policy_case c = base_case(want[i].risk);
		const struct policy_track *t = policy_track_for(pol, &c);
		ck_assert_ptr_nonnull(t);
		ck_assert_msg(!strcmp(t->name, want[i].track), "risk %g: %s, want %s", want[i].risk,
			      t->name, want[i].track);
	}
}
END_TEST

/* Scaled days against an independent computation: first day kept, each
 * later one first + round((day - first) * f), at least a day after the
 * one before. */
static int oracle_day(const int *days, size_t idx, double f)
{
	int prev = days[0];

	for (size_t i = 1; i <= idx; i++) {
		int d = days[0] + (int)floor((days[i] - days[0]) * f + 0.5);
		prev = d <= prev ? prev + 1 : d;
	}
	return prev;
}

START_TEST(cadence_scales_the_gaps)
{
	static const double risks[] = {0, 0.1, 0.3, 0.5, 0.6, 0.9};
	static const char *const tracks[] = {"risky", "middling", "steady"};

	for (size_t t = 0; t < 3; t++) {
		const struct policy_track *tr = policy_track_named(pol, tracks[t]);
		int days[8];
		for (size_t s = 0; s < tr->nsteps; s++)
			days[s] = tr->steps[s].after_days;
		for (size_t r = 0; r < sizeof risks / sizeof risks[0]; r++) {
			/* The track's own cadence (risky: high only) else the policy's. */
			double f = policy_cadence_factor(pol, tr, risks[r]);
			double want_f = risks[r] >= 0.6 ? (t == 0 ? 0.7 : 0.5)
				: risks[r] < 0.2        ? (t == 0 ? 1 : 2)
							: 1;
			ck_assert_msg(fabs(f - want_f) < 1e-12, "%s at %g: factor %g, want %g",
				      tracks[t], risks[r], f, want_f);
			for (size_t s = 0; s < tr->nsteps; s++)
				ck_assert_int_eq(policy_step_day(pol, tr, s, "ACME-1", risks[r]),
						 oracle_day(days, s, f));
		}
	}
	/* Named values: risky at high risk, 3, 10, 17; steady at low, 3, 5, 17. */
	ck_assert_int_eq(policy_step_day(pol, policy_track_named(pol, "risky"), 1, "k", 0.9), 10);
	ck_assert_int_eq(policy_step_day(pol, policy_track_named(pol, "risky"), 2, "k", 0.9), 17);
	ck_assert_int_eq(policy_step_day(pol, policy_track_named(pol, "steady"), 1, "k", 0), 5);
	ck_assert_int_eq(policy_step_day(pol, policy_track_named(pol, "steady"), 2, "k", 0), 17);
}
END_TEST

/* The engine's next_at follows the scaled day; the action says the band
 * and factor. */
START_TEST(decide_uses_the_scaled_day)
{
	struct policy_case c = base_case(0.9);
	struct policy_action a;

	c.now = at("2026-11-04T12:00:00Z"); /* day 3: the first step */
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_str_eq(a.track->name, "risky");
	ck_assert_str_eq(a.band, "high");
	ck_assert_msg(fabs(a.cadence - 0.7) < 1e-12, "cadence %g", a.cadence);
	ck_assert_int_eq(a.next_at, at("2026-11-11T00:00:00Z")); /* day 10, not 13 */
	c.track = "risky";
	c.stage = 1;
	c.now = at("2026-11-10T12:00:00Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_int_eq(a.next_at, at("2026-11-11T00:00:00Z"));
	c.now = at("2026-11-11T00:00:00Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq(a.next_at, at("2026-11-18T00:00:00Z")); /* day 17 */
	/* A low-risk account on steady: its second step on day 5, not 4. */
	c = base_case(0.05);
	c.now = at("2026-11-04T12:00:00Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_str_eq(a.track->name, "steady");
	ck_assert_str_eq(a.band, "low");
	ck_assert_int_eq(a.next_at, at("2026-11-06T00:00:00Z"));
}
END_TEST

/* Without any cadence nothing moves, whatever the score. */
START_TEST(no_cadence_no_change)
{
	static const char plain[] =
		"{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
		"  {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"a\"},\n"
		"  {\"after_days\": 9, \"channels\": [\"email\"], \"template\": \"b\"}]}]}";
	char msg[256];
	struct policy *p = load(plain, msg, sizeof msg);

	ck_assert_msg(p != NULL, "%s", msg);
	ck_assert_int_eq(p->uses_risk, 0);
	for (double r = 0; r <= 1; r += 0.25)
		ck_assert_int_eq(policy_step_day(p, &p->tracks[0], 1, "x", r), 9);
	policy_free(p);
}
END_TEST

static const struct {
	const char *text;
	const char *error; /* ":line:col: message" */
} bad[] = {
	{"{\"tracks\": [{\"name\": \"t\", \"when\": {\"min_risk\": 1.5}, \"steps\": [\n"
	 "  {\"after_days\": 3, \"channels\": [\"e\"], \"template\": \"a\"}]}]}",
	 "1:48: 'min_risk' must be a number from 0 to 1 (a risk score)"},
	{"{\"tracks\": [{\"name\": \"t\", \"when\": {\"max_risk\": \"high\"}, \"steps\": [\n"
	 "  {\"after_days\": 3, \"channels\": [\"e\"], \"template\": \"a\"}]}]}",
	 "1:48: 'max_risk' must be a number from 0 to 1 (a risk score)"},
	{"{\"tracks\": [{\"name\": \"t\", \"when\": {\"min_risk\": 0.7,\n"
	 "  \"max_risk\": 0.3}, \"steps\": [\n"
	 "  {\"after_days\": 3, \"channels\": [\"e\"], \"template\": \"a\"}]}]}",
	 "2:15: 'max_risk' 0.3 is below 'min_risk' 0.7: no account matches"},
	{"{\"cadence\": {\"high\": 0}, \"tracks\": []}",
	 "1:22: 'high' must be a number above 0 and at most 10 (it multiplies gaps)"},
	{"{\"cadence\": {\"fast\": 0.5}, \"tracks\": []}", "1:14: unknown key 'fast'"},
	{"{\"risk\": {\"high_from\": 0.2, \"low_below\": 0.5},\n"
	 "  \"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\"], \"template\": \"a\"}]}]}",
	 "1:42: 'low_below' 0.5 is above 'high_from' 0.2: the bands overlap"},
	{"{\"risk\": {\"max_age_hours\": 0},\n"
	 "  \"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\"], \"template\": \"a\"}]}]}",
	 "1:28: 'max_age_hours' must be between 1 and 744"},
};

START_TEST(loader_reports_file_line_column)
{
	char msg[256];
	struct policy *p = load(bad[_i].text, msg, sizeof msg);

	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(msg, bad[_i].error) != NULL, "case %d: got '%s', want '%s'", _i, msg,
		      bad[_i].error);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy_risk");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bands_and_thresholds);
	tcase_add_test(tc, min_and_max_risk_choose_the_track);
	tcase_add_test(tc, cadence_scales_the_gaps);
	tcase_add_test(tc, decide_uses_the_scaled_day);
	tcase_add_test(tc, no_cadence_no_change);
	tcase_add_loop_test(tc, loader_reports_file_line_column, 0,
			    (int)(sizeof bad / sizeof bad[0]));
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
