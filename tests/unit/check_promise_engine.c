/* The engine on a lapsed promise: the case moves to its track's
 * on_broken_promise (or the policy's), keeps its steps taken, and says
 * where it came from; a hardship pause or a promise still running does
 * nothing of the kind. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tz.h"

static const char POLICY[] =
	"{\"on_broken_promise\": \"strict\", \"tracks\": [\n"
	"  {\"name\": \"soft\", \"on_broken_promise\": \"firm\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"    {\"after_days\": 30, \"channels\": [\"email\"], \"template\": \"firm\"}]},\n"
	"  {\"name\": \"other\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"}]},\n"
	"  {\"name\": \"firm\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"firm\"},\n"
	"    {\"after_days\": 5, \"channels\": [\"email\", \"sms\"], \"template\": \"final\"}]},\n"
	"  {\"name\": \"strict\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"final\"}]}]}\n";

static struct policy *pol;

static void setup(void)
{
	char path[] = "/tmp/promise-XXXXXX.json";
	int fd = mkstemps(path, 5);
	struct diag d = {0};

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, POLICY, strlen(POLICY)), (ssize_t)strlen(POLICY));
	close(fd);
	pol = policy_load(path, &d);
	ck_assert_msg(pol != NULL, "%s", d.n ? d.msgs[0] : "?");
	diag_free(&d);
	unlink(path);
}

static void teardown(void)
{
	policy_free(pol);
}

static void lapsed(struct policy_case *c, const char *track, const char *reason)
{
	memset(c, 0, sizeof *c);
	c->timezone = "UTC";
	c->currency = "USD";
	c->balance = 5000;
	c->due_year = 2026;
	c->due_month = 11;
	c->due_day = 1;
	c->track = track;
	c->stage = 1;
	c->paused = 1;
	c->pause_reason = reason;
	ck_assert_int_eq(tz_from_local("UTC", 2026, 11, 9, 12, 0, 0, &c->now), 0);
	c->paused_until = c->now - 3600;
}

START_TEST(moves_to_the_tracks_own)
{
	struct policy_case c;
	struct policy_action a;

	lapsed(&c, "soft", "promise");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_str_eq(a.broken_from, "soft");
	ck_assert_str_eq(a.track->name, "firm");
	ck_assert_str_eq(a.state, "active");
	/* One step taken: firm's second (day 5, passed) goes now. */
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq(a.step_no, 2);
	ck_assert_str_eq(a.step->template, "final");
	ck_assert_uint_eq(a.nchannels, 2);
}
END_TEST

START_TEST(falls_back_to_the_policys)
{
	struct policy_case c;
	struct policy_action a;

	lapsed(&c, "other", "promise");
	c.stage = 0;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_str_eq(a.broken_from, "other");
	ck_assert_str_eq(a.track->name, "strict");
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_str_eq(a.step->template, "final");
}
END_TEST

START_TEST(nothing_broken_otherwise)
{
	struct policy_case c;
	struct policy_action a;

	/* A lapsed hardship pause (a plan) resumes on its own track. */
	lapsed(&c, "soft", "hardship");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_ptr_null(a.broken_from);
	ck_assert_str_eq(a.track->name, "soft");
	/* A promise still running keeps the pause. */
	lapsed(&c, "soft", "promise");
	c.paused_until = c.now + 3600;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_ptr_null(a.broken_from);
	ck_assert_str_eq(a.state, "paused");
	/* Paid meanwhile: resolved, not broken. */
	lapsed(&c, "soft", "promise");
	c.balance = 0;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_ptr_null(a.broken_from);
	ck_assert_int_eq(a.verdict, POLICY_RESOLVE);
	/* Not paused any more (the break was recorded): nothing again. */
	lapsed(&c, "firm", "promise");
	c.paused = 0;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_ptr_null(a.broken_from);
	ck_assert_str_eq(a.track->name, "firm");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("promise_engine");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, moves_to_the_tracks_own);
	tcase_add_test(tc, falls_back_to_the_policys);
	tcase_add_test(tc, nothing_broken_otherwise);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
