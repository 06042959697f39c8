/* engine/quiet.c: the spec grammar, the canonical form, the weekly bound, and
 * the next open instant checked minute by minute against a brute-force
 * model over week boundaries and DST nights (America/New_York) and in
 * zones without DST (Asia/Seoul, UTC). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "quiet.h"
#include "tz.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int64_t at(const char *iso)
{
	int64_t t;

	ck_assert_msg(tz_parse_iso8601(iso, &t) == 0, "bad instant %s", iso);
	return t;
}

/* ---- grammar and canonical form ---- */

static const struct {
	const char *spec, *canon;
	int minutes;
} good[] = {
	{"", "", 0},
	{"   ", "", 0},
	{"mon-fri 12:00-13:00,sun 00:00-24:00", "mon-fri 12:00-13:00,sun 00:00-24:00",
	 5 * 60 + 1440},
	{"mon-fri 12:00-13:00, sun", "mon-fri 12:00-13:00,sun 00:00-24:00", 5 * 60 + 1440},
	{"MON-Fri 12:00 - 13:00", "mon-fri 12:00-13:00", 300},
	{"Monday 09:00-10:00", "mon 09:00-10:00", 60},
	{"weekdays 12:00-13:00", "mon-fri 12:00-13:00", 300},
	{"weekends 20:00-22:00", "sat-sun 20:00-22:00", 240},
	{"daily 01:00-02:00", "mon-sun 01:00-02:00", 7 * 60},
	/* Overlaps merge and count once. */
	{"mon 12:00-13:00,mon 12:30-14:00", "mon 12:00-14:00", 120},
	/* Past midnight: into the next day, cut at midnight when written. */
	{"fri 22:00-02:00", "fri 22:00-24:00,sat 00:00-02:00", 240},
	/* Sunday into Monday wraps the week. */
	{"sun 23:00-01:00", "mon 00:00-01:00,sun 23:00-24:00", 120},
	{"fri-mon 00:30-01:15", "mon 00:30-01:15,fri-sun 00:30-01:15", 4 * 45},
	/* Two ranges on one day are two items. */
	{"tue 08:00-09:00,tue 18:00-19:00", "tue 08:00-09:00,tue 18:00-19:00", 120},
};

START_TEST(parse_and_format)
{
	struct quiet q, q2;
	char buf[QUIET_SPEC_MAX], err[128];

	ck_assert_msg(quiet_parse(good[_i].spec, &q, err, sizeof err) == 0, "%s: %s", good[_i].spec,
		      err);
	ck_assert_int_eq(quiet_minutes(&q), good[_i].minutes);
	ck_assert_int_ge(quiet_format(&q, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, good[_i].canon);
	/* The canonical form parses back to the same set. */
	ck_assert_int_eq(quiet_parse(buf, &q2, err, sizeof err), 0);
	ck_assert_mem_eq(q.bit, q2.bit, sizeof q.bit);
}
END_TEST

static const struct {
	const char *spec, *err;
} bad[] = {
	{"mo 12:00-13:00", "item 1: expected a day"},
	{"mon 12:00-13:00,", "item 2: expected a day"},
	{"mon 12-13", "item 1: expected a time"},
	{"mon 12:00", "item 1: expected '-'"},
	{"mon 12:00-12:00", "item 1: the range is empty"},
	{"mon 24:00-02:00", "item 1: a range cannot start at 24:00"},
	{"mon 12:60-13:00", "item 1: expected a time"},
	{"mon 25:00-26:00", "item 1: expected a time"},
	{"mon 12:00-24:01", "item 1: expected a time"},
	{"mon 12:00-13:00 tue", "item 1: unexpected 't'"},
	{"mon-", "item 1: expected a day"},
	{"mon;tue", "item 1: unexpected ';'"},
};

START_TEST(parse_refuses)
{
	struct quiet q;
	char err[128];

	ck_assert_int_eq(quiet_parse(bad[_i].spec, &q, err, sizeof err), -1);
	ck_assert_msg(strncmp(err, bad[_i].err, strlen(bad[_i].err)) == 0, "%s: got '%s'",
		      bad[_i].spec, err);
}
END_TEST

START_TEST(weekly_bound)
{
	char canon[QUIET_SPEC_MAX], err[128];
	int m = -1;

	/* 28 h exactly is allowed, a minute more is not. */
	ck_assert_int_eq(quiet_normalize("sun,mon 00:00-04:00", 28, canon, sizeof canon, &m, err,
					 sizeof err),
			 0);
	ck_assert_int_eq(m, 28 * 60);
	ck_assert_str_eq(canon, "mon 00:00-04:00,sun 00:00-24:00");
	ck_assert_int_eq(quiet_normalize("sun,mon 00:00-04:01", 28, canon, sizeof canon, &m, err,
					 sizeof err),
			 -1);
	ck_assert_str_eq(err, "28 h 01 min a week blocked; at most 28 h are allowed");
	ck_assert_int_eq(quiet_normalize("daily", 167, canon, sizeof canon, &m, err, sizeof err),
			 -1);
	ck_assert_int_eq(quiet_normalize("", 0, canon, sizeof canon, &m, err, sizeof err), 0);
	ck_assert_str_eq(canon, "");
	ck_assert_int_eq(m, 0);
}
END_TEST

START_TEST(format_too_small)
{
	struct quiet q;
	char buf[8];

	ck_assert_int_eq(quiet_parse("mon-fri 12:00-13:00", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_format(&q, buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- next open instant, against a brute-force model ---- */

static const char *const specs[] = {
	"mon-fri 12:00-13:00,sun",
	"sun 22:00-24:00,mon 00:00-02:00", /* across the week boundary */
	"sat 23:00-03:00",                 /* into Sunday */
	"daily 01:00-03:00",               /* both NY DST nights: gap and repeat */
	"sun 01:30-02:30",                 /* begins before, ends inside the gap */
	"sun 01:15-01:45",                 /* entirely inside the repeated hour */
	"weekends 20:00-24:00,fri-mon 00:30-01:15",
	"mon 00:00-00:01,sun 23:59-24:00", /* one-minute edges */
};

static const struct {
	const char *zone, *from; /* 10 days from here, minute by minute */
} spans[] = {
	{"America/New_York", "2026-03-03T00:00:00Z"}, /* spring forward Sun 8 March */
	{"America/New_York", "2026-10-27T00:00:00Z"}, /* fall back Sun 1 November */
	{"Asia/Seoul", "2026-11-26T00:00:00Z"},
	{"UTC", "2026-12-26T00:00:00Z"}, /* and a year boundary */
};

#define SPAN_MIN (10 * 1440)
#define PROBE_MIN (SPAN_MIN - 2 * 1440) /* probes leave room to find the end */

START_TEST(next_open_matches_model)
{
	int64_t t0 = at(spans[_i].from);
	static unsigned char blocked[SPAN_MIN];
	const char *zone = spans[_i].zone;

	for (int s = 0; s < N(specs); s++) {
		struct quiet q;
		long checked = 0;

		ck_assert_int_eq(quiet_parse(specs[s], &q, NULL, 0), 0);
		/* The model: each UTC minute is blocked when its local wall
		 * minute is (these zones' offsets are whole minutes). */
		for (int m = 0; m < SPAN_MIN; m++) {
			struct tz_local l;
			ck_assert_int_eq(tz_local(zone, t0 + (int64_t)m * 60, &l), 0);
			blocked[m] = (unsigned char)quiet_blocked(
				&q, ((l.wday + 6) % 7) * 1440 + l.hour * 60 + l.minute);
		}
		/* Every minute boundary and a second inside each minute. */
		for (int m = 0; m < PROBE_MIN; m++) {
			for (int sec = 0; sec < 60; sec += 37) {
				int64_t t = t0 + (int64_t)m * 60 + sec, want;
				int e = m;
				if (!blocked[m]) {
					want = t;
				} else {
					while (e < SPAN_MIN && blocked[e])
						e++;
					ck_assert_int_lt(e, SPAN_MIN);
					want = t0 + (int64_t)e * 60;
				}
				int64_t got = quiet_next_open(&q, zone, t);
				if (got != want) {
					char a[TZ_ISO8601_LEN], b[TZ_ISO8601_LEN],
						c[TZ_ISO8601_LEN];
					tz_format_iso8601(t, a, sizeof a);
					tz_format_iso8601(want, b, sizeof b);
					tz_format_iso8601(got, c, sizeof c);
					ck_abort_msg("%s '%s' at %s: want %s, got %s", zone,
						     specs[s], a, b, c);
				}
				checked++;
			}
		}
		ck_assert_int_eq(checked, (long)PROBE_MIN * 2);
	}
}
END_TEST

START_TEST(next_open_dst_examples)
{
	struct quiet q;

	/* Spring forward: 02:00 EST becomes 03:00 EDT. Blocked 01:30-02:30:
	 * the wall clock never shows 02:30, so it opens at 03:00 EDT. */
	ck_assert_int_eq(quiet_parse("sun 01:30-02:30", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_next_open(&q, "America/New_York", at("2026-03-08T06:45:00Z")),
			 at("2026-03-08T07:00:00Z"));
	/* Fall back: 01:00-02:00 comes twice; blocking it blocks both. */
	ck_assert_int_eq(quiet_parse("sun 01:00-02:00", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_next_open(&q, "America/New_York", at("2026-11-01T05:10:00Z")),
			 at("2026-11-01T07:00:00Z"));
	/* In the second pass, 01:15 EST, a block ending 01:30 ends at 01:30 EST,
	 * not at the first 01:30 (EDT), which is already past. */
	ck_assert_int_eq(quiet_parse("sun 00:00-01:30", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_next_open(&q, "America/New_York", at("2026-11-01T06:15:00Z")),
			 at("2026-11-01T06:30:00Z"));
	/* Seoul, no DST: Sunday all day ends at Monday 00:00 KST. */
	ck_assert_int_eq(quiet_parse("sun", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_next_open(&q, "Asia/Seoul", at("2026-11-29T03:00:00Z")),
			 at("2026-11-29T15:00:00Z"));
	/* No quiet times, an unknown zone, a week blocked whole. */
	ck_assert_int_eq(quiet_next_open(NULL, "Asia/Seoul", 12345), 12345);
	ck_assert_int_eq(quiet_next_open(&q, "Nowhere/City", at("2026-11-29T03:00:00Z")), -1);
	ck_assert_int_eq(quiet_parse("daily", &q, NULL, 0), 0);
	ck_assert_int_eq(quiet_next_open(&q, "UTC", 0), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("quiet");
	TCase *tc = tcase_create("unit");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, parse_and_format, 0, N(good));
	tcase_add_loop_test(tc, parse_refuses, 0, N(bad));
	tcase_add_test(tc, weekly_bound);
	tcase_add_test(tc, format_too_small);
	tcase_add_loop_test(tc, next_open_matches_model, 0, N(spans));
	tcase_add_test(tc, next_open_dst_examples);
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
	u_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
