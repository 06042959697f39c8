/* The policy loader and the pure engine: every rule, table-driven. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tz.h"

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/policy-XXXXXX.json");
	int fd = mkstemps(path, 5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load text; returns the policy or NULL with the first diagnostic in msg. */
static struct policy *load(const char *text, char *msg, size_t len)
{
	char *path = write_tmp(text);
	struct diag d = {0};
	struct policy *p = policy_load(path, &d);

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

static const char BASE[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"min_balance\": {\"USD\": \"1.00\", \"KRW\": \"1000\"},\n"
	"  \"channel_windows\": {\"phone\": {\"start\": \"09:00\", \"end\": \"18:00\",\n"
	"                         \"weekdays_only\": true}},\n"
	"  \"holidays\": [\"2026-12-25\"],\n"
	"  \"caps\": [{\"channel\": \"phone\", \"max\": 7, \"days\": 7},\n"
	"           {\"max\": 3, \"days\": 2}],\n"
	"  \"rest_after_reached\": {\"phone\": 7},\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"vip\", \"when\": {\"segment\": \"vip\"},\n"
	"     \"steps\": [{\"after_days\": 5, \"channels\": [\"phone\"], \"template\": \"vip\"}]},\n"
	"    {\"name\": \"big\", \"when\": {\"currency\": \"USD\", \"min_balance\": \"1000.00\"},\n"
	"     \"steps\": [{\"after_days\": 1, \"channels\": [\"email\", \"phone\"], \"template\": \"big\"}]},\n"
	"    {\"name\": \"repeat\", \"when\": {\"min_prior_cycles\": 1},\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\", \"sms\"], \"template\": \"firm\"},\n"
	"               {\"after_days\": 7, \"channels\": [\"phone\"], \"template\": \"call\"}]},\n"
	"    {\"name\": \"first_time\",\n"
	"     \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"},\n"
	"               {\"after_days\": 10, \"channels\": [\"email\", \"sms\"], \"template\": \"firm\"},\n"
	"               {\"after_days\": 21, \"channels\": [\"phone\"], \"template\": \"call\"}]}\n"
	"  ]\n"
	"}\n";

static struct policy *pol;

static void setup(void)
{
	char msg[256];

	pol = load(BASE, msg, sizeof msg);
	ck_assert_msg(pol != NULL, "%s", msg);
}

static void teardown(void)
{
	policy_free(pol);
}

static int64_t at(const char *iso)
{
	int64_t t;

	ck_assert_msg(tz_parse_iso8601(iso, &t) == 0, "bad instant %s", iso);
	return t;
}

/* A first-time, USD, New York case with an invoice due 2026-11-01. */
static struct policy_case ny(const char *now)
{
	struct policy_case c = {0};

	c.now = at(now);
	c.timezone = "America/New_York";
	c.segment = "retail";
	c.currency = "USD";
	c.balance = 4990;
	c.due_year = 2026;
	c.due_month = 11;
	c.due_day = 1;
	return c;
}

/* ---- loader ---- */

static const struct {
	const char *text;
	const char *error; /* ":line:col: message" */
} bad_policies[] = {
	{"{\"tracks\": [], \"nope\": 1}", "1:16: unknown key 'nope'"},
	{"{\"tracks\": []}", "1:12: at least one track is needed"},
	{"{}", "1:1: missing required key 'tracks'"},
	{"{\"grace_days\": \"3\", \"tracks\": []}", "1:16: 'grace_days' must be an integer"},
	{"{\"tracks\": [{\"name\": \"t\", \"steps\": [\n"
	 "  {\"after_days\": 5, \"channels\": [\"email\"], \"template\": \"a\"},\n"
	 "  {\"after_days\": 5, \"channels\": [\"email\"], \"template\": \"b\"}]}]}",
	 "3:18: step days must increase: 5 does not come after 5"},
	{"{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [], "
	 "\"template\": \"a\"}]}]}",
	 "1:67: 'channels' must list 1 to 8 channel names"},
	{"{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\", \"e\"], "
	 "\"template\": \"a\"}]}]}",
	 "1:73: channel 'e' listed twice"},
	{"{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\"]}]}]}",
	 "1:37: missing required key 'template'"},
	{"{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\"], "
	 "\"template\": \"a\", \"colour\": 1}]}]}",
	 "1:91: unknown key 'colour'"},
	{"{\"min_balance\": {\"XYZ\": \"1\"}, \"tracks\": []}", "1:18: unknown currency 'XYZ'"},
	{"{\"min_balance\": {\"JPY\": \"1.5\"}, \"tracks\": []}",
	 "1:25: JPY has no minor unit: fractional amount not allowed"},
	{"{\"contact_window\": {\"start\": \"8am\"}, \"tracks\": []}",
	 "1:30: 'start' must be a time of day \"HH:MM\""},
	{"{\"holidays\": [\"25/12\"], \"tracks\": []}",
	 "1:15: a holiday is a local date \"YYYY-MM-DD\""},
	{"{\"caps\": [{\"channel\": \"phone\"}], \"tracks\": []}",
	 "1:11: missing required key 'max'"},
	{"{\"tracks\": [{\"name\": \"a\", \"steps\": [{\"after_days\": 1, \"channels\": [\"e\"], "
	 "\"template\": \"x\"}]},\n {\"name\": \"a\", \"steps\": [{\"after_days\": 1, "
	 "\"channels\": [\"e\"], \"template\": \"x\"}]}]}",
	 "2:2: track 'a' defined twice"},
	{"{\"tracks\": [", "1:12: ']' expected near end of file"},
	{"{\"dispute_target_days\": 0, \"tracks\": []}",
	 "1:25: 'dispute_target_days' must be between 1 and 365"},
};

START_TEST(loader_reports_file_line_column)
{
	char msg[256];
	struct policy *p = load(bad_policies[_i].text, msg, sizeof msg);

	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(msg, bad_policies[_i].error) != NULL, "case %d: got '%s', want '%s'",
		      _i, msg, bad_policies[_i].error);
}
END_TEST

START_TEST(loader_defaults)
{
	struct policy *p = load("{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, "
				"\"channels\": [\"phone\"], \"template\": \"x\"}]}]}",
				NULL, 0);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->window.start, 8 * 60);
	ck_assert_int_eq(p->window.end, 21 * 60);
	ck_assert_int_eq(p->grace_days, 0);
	/* The collections norm: 7 calls in 7 days, a week's rest once reached. */
	ck_assert_int_eq((int)p->ncaps, 1);
	ck_assert_str_eq(p->caps[0].channel, "phone");
	ck_assert_int_eq(p->caps[0].max, 7);
	ck_assert_int_eq(p->caps[0].days, 7);
	ck_assert_int_eq((int)p->nrests, 1);
	ck_assert_int_eq(p->rests[0].days, 7);
	ck_assert_int_eq(p->quiet_max_hours, 28);
	ck_assert_int_eq(p->dispute_target_days, 14);
	policy_free(p);
}
END_TEST

/* The default call caps go to whichever channels make calls, by data
 * from their modules; caps the policy sets itself are never replaced. */
START_TEST(default_caps_bind_to_call_channels)
{
	static const char *const calls[] = {"agents", "dialer"};
	struct policy *p = load("{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, "
				"\"channels\": [\"agents\"], \"template\": \"x\"}]}]}",
				NULL, 0);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(policy_bind_calls(p, calls, 2), 0);
	ck_assert_int_eq((int)p->ncaps, 2);
	ck_assert_int_eq((int)p->nrests, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq(p->caps[i].channel, calls[i]);
		ck_assert_int_eq(p->caps[i].max, 7);
		ck_assert_int_eq(p->caps[i].days, 7);
		ck_assert_str_eq(p->rests[i].channel, calls[i]);
		ck_assert_int_eq(p->rests[i].days, 7);
	}
	/* bound once: a second binding changes nothing */
	ck_assert_int_eq(policy_bind_calls(p, calls, 1), 0);
	ck_assert_int_eq((int)p->ncaps, 2);
	policy_free(p);

	/* no channel makes calls: no default caps at all */
	p = load("{\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, "
		 "\"channels\": [\"mail\"], \"template\": \"x\"}]}]}",
		 NULL, 0);
	ck_assert_int_eq(policy_bind_calls(p, NULL, 0), 0);
	ck_assert_int_eq((int)p->ncaps, 0);
	ck_assert_int_eq((int)p->nrests, 0);
	policy_free(p);

	/* the policy's own caps stay as written */
	p = load("{\"caps\": [{\"channel\": \"sms\", \"max\": 2, \"days\": 7}],"
		 " \"rest_after_reached\": {\"sms\": 3},"
		 " \"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1, "
		 "\"channels\": [\"sms\"], \"template\": \"x\"}]}]}",
		 NULL, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(policy_bind_calls(p, calls, 2), 0);
	ck_assert_int_eq((int)p->ncaps, 1);
	ck_assert_str_eq(p->caps[0].channel, "sms");
	ck_assert_int_eq((int)p->nrests, 1);
	ck_assert_str_eq(p->rests[0].channel, "sms");
	policy_free(p);
}
END_TEST

START_TEST(shipped_policy_loads)
{
	struct diag d = {0};
	const char *src = getenv("DUNN_SRCDIR");
	char path[1024];
	struct policy *p;

	snprintf(path, sizeof path, "%s/config/policy.json", src ? src : ".");
	p = policy_load(path, &d);
	ck_assert_msg(p != NULL, "%s", d.n ? d.msgs[0] : "?");
	/* Repeat defaulters get the stricter track, first-timers the gentler. */
	struct policy_case c = ny("2026-11-10T15:00:00Z");
	ck_assert_str_eq(policy_track_for(p, &c)->name, "first_time");
	c.prior_cycles = 1;
	ck_assert_str_eq(policy_track_for(p, &c)->name, "repeat");
	ck_assert_int_lt(policy_track_for(p, &c)->steps[0].after_days,
			 policy_track_named(p, "first_time")->steps[1].after_days);
	/* Each step of a track has its own template: no message is sent
	 * twice under one name (a "final" that is not final). */
	for (size_t t = 0; t < p->ntracks; t++)
		for (size_t i = 0; i < p->tracks[t].nsteps; i++)
			for (size_t k = i + 1; k < p->tracks[t].nsteps; k++)
				ck_assert_msg(strcmp(p->tracks[t].steps[i].template,
						     p->tracks[t].steps[k].template) != 0,
					      "track %s: steps %zu and %zu both send %s",
					      p->tracks[t].name, i + 1, k + 1,
					      p->tracks[t].steps[i].template);
	policy_free(p);
	diag_free(&d);
}
END_TEST

/* ---- track choice ---- */

START_TEST(track_rules)
{
	struct policy_case c = ny("2026-11-10T15:00:00Z");

	ck_assert_str_eq(policy_track_for(pol, &c)->name, "first_time");
	c.prior_cycles = 2;
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "repeat");
	c.balance = 100000; /* $1000.00: the high-value rule comes first */
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "big");
	c.currency = "KRW";
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "repeat");
	c.segment = "vip";
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "vip");
}
END_TEST

/* Two currencies are judged each on its own, never as a sum. */
START_TEST(two_currencies_each_on_its_own)
{
	struct policy_case c = ny("2026-11-10T15:00:00Z");
	struct owed v[2] = {{"KRW", 500}, {"USD", 50}};
	struct policy_action a;

	c.owed = v;
	c.nowed = 2;
	/* KRW 500 < 1000 and USD 0.50 < 1.00: 550 "minor units" must not pass. */
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_str_eq(a.reason, "balance below minimum");
	v[1].minor = 100; /* USD 1.00 reaches its own minimum */
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	/* The USD rule of "big" sees USD alone: KRW 100,000 is not $1000. */
	v[0].minor = 100000;
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "first_time");
	v[1].minor = 100000;
	ck_assert_str_eq(policy_track_for(pol, &c)->name, "big");
	/* Nothing overdue in any currency: resolved. */
	c.nowed = 0;
	c.balance = 0;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_RESOLVE);
}
END_TEST

/* ---- decisions ---- */

struct decide_case {
	const char *name;
	const char *now;
	const char *tz;
	int stage;
	int64_t balance, disputed;
	int prior;
	int paused;
	const char *paused_until;
	const char *track;
	/* expected */
	enum policy_verdict verdict;
	const char *state;
	const char *reason;
	const char *next_at; /* NULL: don't check */
	int step_no;
};

static const struct decide_case decisions[] = {
	{"paid", "2026-11-10T15:00:00Z", NULL, 0, 0, 0, 0, 0, NULL, NULL, POLICY_RESOLVE,
	 "resolved", "balance cleared", NULL, 0},
	{"all disputed", "2026-11-10T15:00:00Z", NULL, 0, 0, 4990, 0, 0, NULL, NULL, POLICY_WAIT,
	 "disputed", "balance under dispute", "2026-11-11T15:00:00Z", 0},
	{"part disputed still dunned", "2026-11-10T15:00:00Z", NULL, 0, 4990, 1000, 0, 0, NULL,
	 NULL, POLICY_SEND, "active", "step due", NULL, 1},
	{"below minimum", "2026-11-10T15:00:00Z", NULL, 0, 50, 0, 0, 0, NULL, NULL, POLICY_WAIT,
	 "active", "balance below minimum", "2026-11-11T15:00:00Z", 0},
	{"promise pending", "2026-11-10T15:00:00Z", NULL, 0, 4990, 0, 0, 1, "2026-11-20T05:00:00Z",
	 NULL, POLICY_WAIT, "paused", "paused", "2026-11-20T05:00:00Z", 0},
	{"promise lapsed resumes", "2026-11-21T15:00:00Z", NULL, 0, 4990, 0, 0, 1,
	 "2026-11-20T05:00:00Z", NULL, POLICY_SEND, "active", "step due", NULL, 1},
	{"manual pause without end", "2026-11-10T15:00:00Z", NULL, 0, 4990, 0, 0, 1, NULL, NULL,
	 POLICY_WAIT, "paused", "paused", "2026-11-11T15:00:00Z", 0},
	{"within grace", "2026-11-03T15:00:00Z", NULL, 0, 4990, 0, 0, 0, NULL, NULL, POLICY_WAIT,
	 "active", "not yet due", "2026-11-04T13:00:00Z", 0},
	{"first step in window", "2026-11-10T15:00:00Z", NULL, 0, 4990, 0, 0, 0, NULL, NULL,
	 POLICY_SEND, "active", "step due", "2026-11-11T15:00:00Z", 1},
	{"first step on time: next at day 10 08:00 EST", "2026-11-04T13:00:00Z", NULL, 0, 4990, 0,
	 0, 0, NULL, NULL, POLICY_SEND, "active", "step due", "2026-11-11T13:00:00Z", 1},
	{"night in New York waits for 08:00", "2026-11-10T07:00:00Z", NULL, 0, 4990, 0, 0, 0, NULL,
	 NULL, POLICY_WAIT, "active", "outside contact window", "2026-11-10T13:00:00Z", 0},
	{"after 21:00 waits for the next morning", "2026-11-11T02:30:00Z", NULL, 0, 4990, 0, 0, 0,
	 NULL, NULL, POLICY_WAIT, "active", "outside contact window", "2026-11-11T13:00:00Z", 0},
	{"Seoul has no DST: 08:00 KST is 23:00Z", "2026-11-10T15:00:00Z", "Asia/Seoul", 0, 4990, 0,
	 0, 0, NULL, NULL, POLICY_WAIT, "active", "outside contact window", "2026-11-10T23:00:00Z",
	 0},
	{"Tokyo morning sends", "2026-11-10T00:30:00Z", "Asia/Tokyo", 0, 4990, 0, 0, 0, NULL, NULL,
	 POLICY_SEND, "active", "step due", NULL, 1},
	{"Shanghai night waits", "2026-11-10T15:00:00Z", "Asia/Shanghai", 0, 4990, 0, 0, 0, NULL,
	 NULL, POLICY_WAIT, "active", "outside contact window", "2026-11-11T00:00:00Z", 0},
	{"second step waits for day 10", "2026-11-06T15:00:00Z", NULL, 1, 4990, 0, 0, 0, NULL,
	 "first_time", POLICY_WAIT, "active", "not yet due", "2026-11-11T13:00:00Z", 0},
	{"second step sends", "2026-11-11T15:00:00Z", NULL, 1, 4990, 0, 0, 0, NULL, "first_time",
	 POLICY_SEND, "active", "step due", NULL, 2},
	{"call step waits for the phone window (09:00)", "2026-11-23T13:30:00Z", NULL, 2, 4990, 0,
	 0, 0, NULL, "first_time", POLICY_WAIT, "active", "outside contact window",
	 "2026-11-23T14:00:00Z", 0},
	{"calls are weekdays only: Saturday waits for Monday", "2026-11-28T15:00:00Z", NULL, 2,
	 4990, 0, 0, 0, NULL, "first_time", POLICY_WAIT, "active", "outside contact window",
	 "2026-11-30T14:00:00Z", 0},
	{"holiday: no contact on Christmas", "2026-12-25T15:00:00Z", NULL, 2, 4990, 0, 0, 0, NULL,
	 "first_time", POLICY_WAIT, "active", "outside contact window", "2026-12-28T14:00:00Z", 0},
	{"track complete", "2026-12-01T15:00:00Z", NULL, 3, 4990, 0, 0, 0, NULL, "first_time",
	 POLICY_WAIT, "active", "track complete", "2026-12-02T15:00:00Z", 0},
	{"repeat defaulter track", "2026-11-05T15:00:00Z", NULL, 0, 4990, 0, 1, 0, NULL, NULL,
	 POLICY_SEND, "active", "step due", NULL, 1},
	{"a kept track survives rule changes", "2026-11-05T15:00:00Z", NULL, 0, 4990, 0, 1, 0, NULL,
	 "first_time", POLICY_SEND, "active", "step due", NULL, 1},
};

START_TEST(decide_table)
{
	const struct decide_case *t = &decisions[_i];
	struct policy_case c = ny(t->now);
	struct policy_action a;

	if (t->tz)
		c.timezone = t->tz;
	c.stage = t->stage;
	c.balance = t->balance;
	c.disputed = t->disputed;
	c.prior_cycles = t->prior;
	c.paused = t->paused;
	c.paused_until = t->paused_until ? at(t->paused_until) : 0;
	c.track = t->track;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_msg(a.verdict == t->verdict, "%s: verdict %d (%s), want %d", t->name, a.verdict,
		      a.reason, t->verdict);
	ck_assert_msg(strcmp(a.state, t->state) == 0, "%s: state %s", t->name, a.state);
	ck_assert_msg(strcmp(a.reason, t->reason) == 0, "%s: reason %s", t->name, a.reason);
	if (t->next_at) {
		char got[32];
		tz_format_iso8601(a.next_at, got, sizeof got);
		ck_assert_msg(a.next_at == at(t->next_at), "%s: next_at %s, want %s", t->name, got,
			      t->next_at);
	}
	if (t->verdict == POLICY_SEND) {
		ck_assert_int_eq(a.step_no, t->step_no);
		ck_assert_ptr_nonnull(a.step);
		ck_assert_int_gt((int)a.nchannels, 0);
	}
}
END_TEST

/* Same inputs, same answer: the engine is a pure function. */
START_TEST(decide_is_pure)
{
	struct policy_case c = ny("2026-11-10T15:00:00Z");
	struct policy_action a, b;

	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(policy_decide(pol, &c, &b), 0);
	ck_assert_int_eq(a.verdict, b.verdict);
	ck_assert_int_eq(a.next_at, b.next_at);
	ck_assert_ptr_eq(a.step, b.step);
}
END_TEST

START_TEST(unknown_zone_is_an_error)
{
	struct policy_case c = ny("2026-11-10T15:00:00Z");
	struct policy_action a;

	c.timezone = "Mars/Olympus";
	ck_assert_int_eq(policy_decide(pol, &c, &a), -1);
}
END_TEST

/* ---- DST ---- */

START_TEST(dst_new_york_spring_forward)
{
	/* Due 2026-03-05, step 1 on day 3 = 2026-03-08, the day clocks
	 * jump: 08:00 EDT is 12:00Z (not 13:00Z). */
	struct policy_case c = ny("2026-03-08T11:30:00Z"); /* 07:30 EDT */
	struct policy_action a;

	c.due_month = 3;
	c.due_day = 5;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_int_eq(a.next_at, at("2026-03-08T12:00:00Z"));
	c.now = at("2026-03-08T12:00:00Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
}
END_TEST

START_TEST(dst_new_york_fall_back)
{
	/* 2026-11-01: 08:00 EST is 13:00Z; 12:30Z is 07:30 EST. */
	struct policy_case c = ny("2026-11-01T12:30:00Z");
	struct policy_action a;

	c.due_month = 10;
	c.due_day = 29;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_int_eq(a.next_at, at("2026-11-01T13:00:00Z"));
}
END_TEST

START_TEST(dst_berlin)
{
	/* Berlin springs forward 2026-03-29: 08:00 CEST = 06:00Z; the day
	 * before, 08:00 CET = 07:00Z. */
	struct policy_case c = ny("2026-03-28T06:30:00Z");
	struct policy_action a;

	c.timezone = "Europe/Berlin";
	c.currency = "USD";
	c.due_month = 3;
	c.due_day = 20;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_int_eq(a.next_at, at("2026-03-28T07:00:00Z"));
	c.now = at("2026-03-29T05:30:00Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.next_at, at("2026-03-29T06:00:00Z"));
}
END_TEST

/* ---- caps and rests ---- */

START_TEST(phone_cap_seven_in_seven_days)
{
	struct policy_contact h[7];
	struct policy_case c = ny("2026-11-23T15:00:00Z"); /* Monday 10:00 EST */
	struct policy_action a;

	for (int i = 0; i < 7; i++)
		h[i] = (struct policy_contact){"phone", at("2026-11-17T15:00:00Z") + i * 3600, 0};
	c.stage = 2;
	c.track = "first_time";
	c.history = h;
	c.nhistory = 7;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_str_eq(a.reason, "contact cap reached");
	/* Free once the oldest attempt leaves the 7-day window. */
	ck_assert_int_eq(a.next_at, at("2026-11-24T15:00:00Z"));
	c.nhistory = 6;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
}
END_TEST

START_TEST(capped_channel_dropped_others_kept)
{
	/* The step uses email and sms; the total cap (3 in 2 days) is not hit,
	 * but a rest on sms would not exist: use the phone rest on the big
	 * track's email+phone step instead. */
	struct policy_contact h[1] = {{"phone", at("2026-11-20T15:00:00Z"), 1}};
	struct policy_case c = ny("2026-11-23T15:00:00Z");
	struct policy_action a;

	c.balance = 200000;
	c.history = h;
	c.nhistory = 1;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq((int)a.nchannels, 1);
	ck_assert_str_eq(a.channels[0], "email");
}
END_TEST

START_TEST(rest_after_reached)
{
	struct policy_contact h[1] = {{"phone", at("2026-11-20T15:00:00Z"), 1}};
	struct policy_case c = ny("2026-11-23T15:00:00Z");
	struct policy_action a;

	c.stage = 2;
	c.track = "first_time";
	c.history = h;
	c.nhistory = 1;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_int_eq(a.next_at, at("2026-11-27T15:00:00Z"));
	/* Not reached (no answer): no rest. */
	h[0].reached = 0;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
}
END_TEST

START_TEST(total_cap_all_channels)
{
	struct policy_contact h[3] = {{"email", at("2026-11-22T15:00:00Z"), 0},
				      {"sms", at("2026-11-22T16:00:00Z"), 0},
				      {"email", at("2026-11-23T13:00:00Z"), 0}};
	struct policy_case c = ny("2026-11-23T15:00:00Z");
	struct policy_action a;

	c.stage = 1;
	c.track = "first_time";
	c.history = h;
	c.nhistory = 3;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_str_eq(a.reason, "contact cap reached");
	ck_assert_int_eq(a.next_at, at("2026-11-24T15:00:00Z"));
	/* Contacts older than the window do not count. */
	c.now = at("2026-11-24T15:00:01Z");
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
}
END_TEST

START_TEST(total_cap_counts_channels_of_the_same_step)
{
	/* Two contacts in the window and a total cap of 3: the email+sms step
	 * may use one of its channels, not both (that would be a 4th contact). */
	struct policy_contact h[2] = {{"email", at("2026-11-22T15:00:00Z"), 0},
				      {"sms", at("2026-11-22T16:00:00Z"), 0}};
	struct policy_case c = ny("2026-11-23T15:00:00Z");
	struct policy_action a;

	c.stage = 1;
	c.track = "first_time";
	c.history = h;
	c.nhistory = 2;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq((int)a.nchannels, 1);
	ck_assert_str_eq(a.channels[0], "email");
	/* With one contact in the window both fit (2 + 1 = 3). */
	c.nhistory = 1;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq((int)a.nchannels, 2);
}
END_TEST

START_TEST(history_covers_the_longest_cap)
{
	char msg[256];
	struct policy *p;

	ck_assert_int_eq(policy_history_days(pol), 7);
	p = load("{\"caps\": [{\"max\": 3, \"days\": 60}], \"rest_after_reached\": {\"phone\": 90},"
		 " \"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 1,"
		 " \"channels\": [\"email\"], \"template\": \"gentle\"}]}]}",
		 msg, sizeof msg);
	ck_assert_msg(p != NULL, "%s", msg);
	ck_assert_int_eq(policy_history_days(p), 90);
	policy_free(p);
}
END_TEST

START_TEST(catch_up_one_step_per_gap)
{
	/* Step 1 sent long after due: step 2 (day 10) is already past, but
	 * waits at least step_gap_hours (default 24). */
	struct policy_case c = ny("2026-11-15T15:00:00Z");
	struct policy_action a;

	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	ck_assert_int_eq(a.next_at, at("2026-11-16T15:00:00Z"));
}
END_TEST

START_TEST(next_allowed_per_channel)
{
	/* Email 08:00-21:00 daily; phone 09:00-18:00 weekdays. Friday 19:00 EST. */
	int64_t t = at("2026-11-28T00:00:00Z");

	ck_assert_int_eq(policy_next_allowed(pol, "email", "America/New_York", t), t);
	ck_assert_int_eq(policy_next_allowed(pol, "phone", "America/New_York", t),
			 at("2026-11-30T14:00:00Z"));
	ck_assert_int_eq(policy_next_allowed(pol, "email", "Nowhere/City", t), -1);
}
END_TEST

START_TEST(quiet_times_defer_with_reason)
{
	/* The step of catch_up_one_step_per_gap, due Sunday 10:00 EST, while
	 * the customer has blocked Sunday mornings. */
	struct policy_case c = ny("2026-11-15T15:00:00Z");
	struct policy_action a;
	struct quiet q;

	ck_assert_int_eq(quiet_parse("sun 09:00-12:00", &q, NULL, 0), 0);
	c.quiet = &q;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_WAIT);
	ck_assert_str_eq(a.reason, POLICY_REASON_QUIET);
	ck_assert_int_eq(a.next_at, at("2026-11-15T17:00:00Z"));
	c.now = a.next_at;
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_int_eq(a.verdict, POLICY_SEND);
	/* Outside the window first: the window's reason, not the customer's. */
	c.now = at("2026-11-16T03:00:00Z"); /* Sunday 22:00 EST */
	ck_assert_int_eq(policy_decide(pol, &c, &a), 0);
	ck_assert_str_eq(a.reason, "outside contact window");
}
END_TEST

START_TEST(next_open_window_and_quiet)
{
	struct quiet q;

	/* Sunday 19:00 EST; blocked until Monday 09:00, window opens 08:00. */
	ck_assert_int_eq(quiet_parse("sun 18:00-24:00,mon 00:00-09:00", &q, NULL, 0), 0);
	ck_assert_int_eq(
		policy_next_open(pol, "email", "America/New_York", &q, at("2026-11-30T00:00:00Z")),
		at("2026-11-30T14:00:00Z"));
	/* Blocked until the window closes: the next day's opening. */
	ck_assert_int_eq(quiet_parse("mon 08:00-21:00", &q, NULL, 0), 0);
	ck_assert_int_eq(
		policy_next_open(pol, "email", "America/New_York", &q, at("2026-11-30T14:00:00Z")),
		at("2026-12-01T13:00:00Z"));
	ck_assert_int_eq(policy_next_open(pol, "email", "America/New_York", NULL,
					  at("2026-11-30T14:00:00Z")),
			 at("2026-11-30T14:00:00Z"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("unit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, loader_reports_file_line_column, 0,
			    (int)(sizeof bad_policies / sizeof bad_policies[0]));
	tcase_add_test(tc, loader_defaults);
	tcase_add_test(tc, quiet_times_defer_with_reason);
	tcase_add_test(tc, next_open_window_and_quiet);
	tcase_add_test(tc, default_caps_bind_to_call_channels);
	tcase_add_test(tc, shipped_policy_loads);
	tcase_add_test(tc, track_rules);
	tcase_add_test(tc, two_currencies_each_on_its_own);
	tcase_add_loop_test(tc, decide_table, 0, (int)(sizeof decisions / sizeof decisions[0]));
	tcase_add_test(tc, decide_is_pure);
	tcase_add_test(tc, unknown_zone_is_an_error);
	tcase_add_test(tc, dst_new_york_spring_forward);
	tcase_add_test(tc, dst_new_york_fall_back);
	tcase_add_test(tc, dst_berlin);
	tcase_add_test(tc, phone_cap_seven_in_seven_days);
	tcase_add_test(tc, capped_channel_dropped_others_kept);
	tcase_add_test(tc, rest_after_reached);
	tcase_add_test(tc, total_cap_all_channels);
	tcase_add_test(tc, total_cap_counts_channels_of_the_same_step);
	tcase_add_test(tc, history_covers_the_longest_cap);
	tcase_add_test(tc, catch_up_one_step_per_gap);
	tcase_add_test(tc, next_allowed_per_channel);
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
