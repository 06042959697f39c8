/* Unit tests for lib/tz.c.  Expected instants were cross-checked against
 * Python's zoneinfo (system tzdata); date strings are what ICU 72 prints. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "tz.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define MIN(h, m) ((h)*60 + (m))

/* Parse an ISO literal in the tables; the parser has its own tests below. */
static int64_t T(const char *iso)
{
	int64_t t = 0;
	ck_assert_msg(tz_parse_iso8601(iso, &t) == 0, "bad test literal %s", iso);
	return t;
}

static const char *iso(int64_t t, char *buf)
{
	tz_format_iso8601(t, buf, TZ_ISO8601_LEN);
	return buf;
}

/* ---- tz_valid ---- */

static const struct {
	const char *zone;
	int valid;
} valid_cases[] = {
	{"Asia/Seoul", 1},
	{"America/New_York", 1},
	{"UTC", 1},
	{"Etc/UTC", 1},
	{"GMT", 1},
	{"Europe/Berlin", 1},
	{"Asia/Kolkata", 1},
	{"Asia/Calcutta", 1},
	{"Asia/Kathmandu", 1},
	{"Australia/Lord_Howe", 1},
	{"Asia/Tokyo", 1},
	{"Asia/Shanghai", 1},
	{"US/Eastern", 1},
	{"Etc/GMT+5", 1},
	{"Pacific/Chatham", 1},
	{"America/Argentina/Buenos_Aires", 1},
	{NULL, 0},
	{"", 0},
	{"Mars/Base", 0},
	{"Etc/Unknown", 0},
	{"GMT+05:00", 0},
	{"GMT+5", 0},
	{"asia/seoul", 0},
	{"ASIA/SEOUL", 0},
	{"Asia/Seoul ", 0},
	{" Asia/Seoul", 0},
	{"America/New York", 0},
	{"Asia/", 0},
	{"/", 0},
	{"Seoul", 0},
	{"+09:00", 0},
	{"Asia/Seoul\xc3\xa9", 0},
	{"Europe/Berlin\n", 0},
	{"America/Argentina/Buenos_Aires/America/Argentina/Buenos_Aires/America",
	 0}, /* > 63 chars */
};

START_TEST(test_valid)
{
	ck_assert_msg(tz_valid(valid_cases[_i].zone) == valid_cases[_i].valid, "tz_valid(%s) != %d",
		      valid_cases[_i].zone ? valid_cases[_i].zone : "NULL", valid_cases[_i].valid);
}
END_TEST

/* ---- tz_local ---- */

static const struct {
	const char *zone, *at;
	struct tz_local want;
} local_cases[] = {
	{"UTC", "1970-01-01T00:00:00Z", {1970, 1, 1, 0, 0, 0, 4}},
	{"UTC", "2026-11-23T09:00:00Z", {2026, 11, 23, 9, 0, 0, 1}},
	/* America/New_York spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
	{"America/New_York", "2026-03-08T06:59:59Z", {2026, 3, 8, 1, 59, 59, 0}},
	{"America/New_York", "2026-03-08T07:00:00Z", {2026, 3, 8, 3, 0, 0, 0}},
	{"America/New_York", "2026-03-08T05:00:00Z", {2026, 3, 8, 0, 0, 0, 0}},
	{"America/New_York", "2026-03-09T04:00:00Z", {2026, 3, 9, 0, 0, 0, 1}}, /* 23 h day */
	/* fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:xx happens twice */
	{"America/New_York", "2026-11-01T05:30:00Z", {2026, 11, 1, 1, 30, 0, 0}},
	{"America/New_York", "2026-11-01T05:59:59Z", {2026, 11, 1, 1, 59, 59, 0}},
	{"America/New_York", "2026-11-01T06:00:00Z", {2026, 11, 1, 1, 0, 0, 0}},
	{"America/New_York", "2026-11-01T06:30:00Z", {2026, 11, 1, 1, 30, 0, 0}},
	{"America/New_York", "2026-11-02T05:00:00Z", {2026, 11, 2, 0, 0, 0, 1}}, /* 25 h day */
	{"America/New_York", "2026-01-01T04:59:59Z", {2025, 12, 31, 23, 59, 59, 3}},
	/* Asia/Seoul: +9 all year */
	{"Asia/Seoul", "2026-11-23T00:00:00Z", {2026, 11, 23, 9, 0, 0, 1}},
	{"Asia/Seoul", "2026-07-01T00:00:00Z", {2026, 7, 1, 9, 0, 0, 3}},
	{"Asia/Seoul", "2026-12-31T15:00:00Z", {2027, 1, 1, 0, 0, 0, 5}},
	{"Asia/Seoul", "2026-03-08T07:00:00Z", {2026, 3, 8, 16, 0, 0, 0}},
	/* non-hour offsets */
	{"Asia/Kolkata", "2026-11-23T00:00:00Z", {2026, 11, 23, 5, 30, 0, 1}},
	{"Asia/Kolkata", "2026-11-22T18:29:59Z", {2026, 11, 22, 23, 59, 59, 0}},
	{"Asia/Kolkata", "2026-11-22T18:30:00Z", {2026, 11, 23, 0, 0, 0, 1}},
	{"Asia/Kathmandu", "2026-11-23T00:00:00Z", {2026, 11, 23, 5, 45, 0, 1}},
	{"Pacific/Chatham", "2026-11-23T00:00:00Z", {2026, 11, 23, 13, 45, 0, 1}},
	{"Pacific/Kiritimati", "2026-11-23T12:00:00Z", {2026, 11, 24, 2, 0, 0, 2}},
	/* Australia/Lord_Howe: half-hour DST. Ends 2026-04-05 02:00 +11 -> 01:30 +10:30 */
	{"Australia/Lord_Howe", "2026-04-04T14:59:59Z", {2026, 4, 5, 1, 59, 59, 0}},
	{"Australia/Lord_Howe", "2026-04-04T15:00:00Z", {2026, 4, 5, 1, 30, 0, 0}},
	/* starts 2026-10-04 02:00 +10:30 -> 02:30 +11 */
	{"Australia/Lord_Howe", "2026-10-03T15:29:59Z", {2026, 10, 4, 1, 59, 59, 0}},
	{"Australia/Lord_Howe", "2026-10-03T15:30:00Z", {2026, 10, 4, 2, 30, 0, 0}},
	{"Australia/Lord_Howe", "2026-11-23T00:00:00Z", {2026, 11, 23, 11, 0, 0, 1}},
	/* Europe/Berlin: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00 */
	{"Europe/Berlin", "2026-03-29T00:59:59Z", {2026, 3, 29, 1, 59, 59, 0}},
	{"Europe/Berlin", "2026-03-29T01:00:00Z", {2026, 3, 29, 3, 0, 0, 0}},
	{"Europe/Berlin", "2026-10-25T00:59:59Z", {2026, 10, 25, 2, 59, 59, 0}},
	{"Europe/Berlin", "2026-10-25T01:00:00Z", {2026, 10, 25, 2, 0, 0, 0}},
	/* proleptic Gregorian, no Julian switch in 1582 */
	{"UTC", "1000-03-01T00:00:00Z", {1000, 3, 1, 0, 0, 0, 6}},
	{"UTC", "1582-10-10T12:00:00Z", {1582, 10, 10, 12, 0, 0, 0}},
	{"UTC", "0001-01-01T00:00:00Z", {1, 1, 1, 0, 0, 0, 1}},
	{"UTC", "9999-12-31T23:59:59Z", {9999, 12, 31, 23, 59, 59, 5}},
};

START_TEST(test_local)
{
	struct tz_local got = {0};
	const struct tz_local *w = &local_cases[_i].want;
	ck_assert_int_eq(tz_local(local_cases[_i].zone, T(local_cases[_i].at), &got), 0);
	ck_assert_msg(
		got.year == w->year && got.month == w->month && got.day == w->day &&
			got.hour == w->hour && got.minute == w->minute && got.second == w->second &&
			got.wday == w->wday,
		"%s %s: got %04d-%02d-%02d %02d:%02d:%02d w%d, want %04d-%02d-%02d %02d:%02d:%02d w%d",
		local_cases[_i].zone, local_cases[_i].at, got.year, got.month, got.day, got.hour,
		got.minute, got.second, got.wday, w->year, w->month, w->day, w->hour, w->minute,
		w->second, w->wday);
}
END_TEST

START_TEST(test_local_errors)
{
	struct tz_local l = {1, 2, 3, 4, 5, 6, 0};
	ck_assert_int_eq(tz_local("Mars/Base", 0, &l), -1);
	ck_assert_int_eq(tz_local("", 0, &l), -1);
	ck_assert_int_eq(tz_local(NULL, 0, &l), -1);
	ck_assert_int_eq(tz_local("GMT+05:00", 0, &l), -1);
	ck_assert_int_eq(l.year, 1); /* untouched */
	ck_assert_int_eq(tz_local("UTC", 0, NULL), -1);
	ck_assert_int_eq(tz_local("UTC", T("0001-01-01") - 1, &l), -1);
	ck_assert_int_eq(tz_local("UTC", T("9999-12-31T23:59:59Z") + 1, &l), -1);
	ck_assert_int_eq(tz_local("UTC", INT64_MAX, &l), -1);
	ck_assert_int_eq(tz_local("UTC", INT64_MIN, &l), -1);
}
END_TEST

/* ---- tz_from_local ---- */

static const struct {
	const char *zone;
	int y, mo, d, h, mi, s;
	const char *want;
} from_cases[] = {
	{"UTC", 1970, 1, 1, 0, 0, 0, "1970-01-01T00:00:00Z"},
	{"Asia/Seoul", 2026, 11, 23, 9, 0, 0, "2026-11-23T00:00:00Z"},
	{"Asia/Seoul", 2026, 1, 1, 0, 0, 0, "2025-12-31T15:00:00Z"},
	{"Asia/Kolkata", 2026, 11, 23, 8, 0, 0, "2026-11-23T02:30:00Z"},
	{"Asia/Kathmandu", 2026, 11, 23, 8, 0, 0, "2026-11-23T02:15:00Z"},
	/* New York spring forward: 02:00-02:59:59 do not exist */
	{"America/New_York", 2026, 3, 8, 1, 59, 59, "2026-03-08T06:59:59Z"},
	{"America/New_York", 2026, 3, 8, 2, 0, 0, "2026-03-08T07:00:00Z"},
	{"America/New_York", 2026, 3, 8, 2, 30, 0, "2026-03-08T07:00:00Z"},
	{"America/New_York", 2026, 3, 8, 2, 59, 59, "2026-03-08T07:00:00Z"},
	{"America/New_York", 2026, 3, 8, 3, 0, 0, "2026-03-08T07:00:00Z"},
	{"America/New_York", 2026, 3, 8, 8, 0, 0, "2026-03-08T12:00:00Z"},
	/* New York fall back: 01:00-01:59:59 happen twice, the EDT one wins */
	{"America/New_York", 2026, 11, 1, 0, 59, 59, "2026-11-01T04:59:59Z"},
	{"America/New_York", 2026, 11, 1, 1, 0, 0, "2026-11-01T05:00:00Z"},
	{"America/New_York", 2026, 11, 1, 1, 30, 0, "2026-11-01T05:30:00Z"},
	{"America/New_York", 2026, 11, 1, 1, 59, 59, "2026-11-01T05:59:59Z"},
	{"America/New_York", 2026, 11, 1, 2, 0, 0, "2026-11-01T07:00:00Z"},
	/* Berlin: gap 02:00-03:00 on 03-29, overlap 02:00-03:00 on 10-25 */
	{"Europe/Berlin", 2026, 3, 29, 2, 30, 0, "2026-03-29T01:00:00Z"},
	{"Europe/Berlin", 2026, 10, 25, 2, 30, 0, "2026-10-25T00:30:00Z"},
	{"Europe/Berlin", 2026, 10, 25, 3, 0, 0, "2026-10-25T02:00:00Z"},
	/* Lord Howe: 30-minute gap 02:00-02:30 on 10-04, overlap 01:30-02:00 on 04-05 */
	{"Australia/Lord_Howe", 2026, 10, 4, 2, 0, 0, "2026-10-03T15:30:00Z"},
	{"Australia/Lord_Howe", 2026, 10, 4, 2, 15, 0, "2026-10-03T15:30:00Z"},
	{"Australia/Lord_Howe", 2026, 10, 4, 2, 30, 0, "2026-10-03T15:30:00Z"},
	{"Australia/Lord_Howe", 2026, 10, 4, 1, 59, 59, "2026-10-03T15:29:59Z"},
	{"Australia/Lord_Howe", 2026, 4, 5, 1, 45, 0, "2026-04-04T14:45:00Z"},
	{"Australia/Lord_Howe", 2026, 4, 5, 2, 0, 0, "2026-04-04T15:30:00Z"},
	/* a whole skipped calendar day (Samoa, 2011-12-30) */
	{"Pacific/Apia", 2011, 12, 30, 12, 0, 0, "2011-12-30T10:00:00Z"},
	/* leap day, range ends */
	{"UTC", 2028, 2, 29, 12, 0, 0, "2028-02-29T12:00:00Z"},
	{"UTC", 1, 1, 1, 0, 0, 0, "0001-01-01T00:00:00Z"},
	{"UTC", 9999, 12, 31, 23, 59, 59, "9999-12-31T23:59:59Z"},
};

START_TEST(test_from_local)
{
	int64_t got = 0;
	char b1[TZ_ISO8601_LEN];
	ck_assert_int_eq(tz_from_local(from_cases[_i].zone, from_cases[_i].y, from_cases[_i].mo,
				       from_cases[_i].d, from_cases[_i].h, from_cases[_i].mi,
				       from_cases[_i].s, &got),
			 0);
	ck_assert_str_eq(iso(got, b1), from_cases[_i].want);
}
END_TEST

static const struct {
	const char *zone;
	int y, mo, d, h, mi, s;
} from_bad[] = {
	{"Mars/Base", 2026, 1, 1, 0, 0, 0}, {"", 2026, 1, 1, 0, 0, 0},
	{NULL, 2026, 1, 1, 0, 0, 0},        {"UTC", 2026, 0, 1, 0, 0, 0},
	{"UTC", 2026, 13, 1, 0, 0, 0},      {"UTC", 2026, 1, 0, 0, 0, 0},
	{"UTC", 2026, 1, 32, 0, 0, 0},      {"UTC", 2026, 2, 29, 0, 0, 0},
	{"UTC", 2100, 2, 29, 0, 0, 0},      {"UTC", 2026, 4, 31, 0, 0, 0},
	{"UTC", 2026, 1, 1, 24, 0, 0},      {"UTC", 2026, 1, 1, -1, 0, 0},
	{"UTC", 2026, 1, 1, 0, 60, 0},      {"UTC", 2026, 1, 1, 0, 0, 60},
	{"UTC", 2026, 1, 1, 0, 0, -1},      {"UTC", 0, 1, 1, 0, 0, 0},
	{"UTC", 10000, 1, 1, 0, 0, 0},      {"UTC", -2026, 1, 1, 0, 0, 0},
};

START_TEST(test_from_local_bad)
{
	int64_t got = 42;
	ck_assert_int_eq(tz_from_local(from_bad[_i].zone, from_bad[_i].y, from_bad[_i].mo,
				       from_bad[_i].d, from_bad[_i].h, from_bad[_i].mi,
				       from_bad[_i].s, &got),
			 -1);
	ck_assert_int_eq(got, 42);
}
END_TEST

START_TEST(test_from_local_null_out)
{
	ck_assert_int_eq(tz_from_local("UTC", 2026, 1, 1, 0, 0, 0, NULL), -1);
}
END_TEST

/* Every 15 minutes across DST changes: local -> from_local gives back the
 * instant, except the second pass through a repeated hour, which maps to
 * the first pass (one DST delta earlier). */
static const struct {
	const char *zone, *from;
	int64_t delta; /* DST shift in seconds */
	int repeats;   /* 15-minute samples on the second pass of a repeated span */
} sweep_cases[] = {
	{"America/New_York", "2026-03-07T00:00:00Z", 3600, 0},
	{"America/New_York", "2026-10-31T00:00:00Z", 3600, 4},
	{"Europe/Berlin", "2026-03-28T00:00:00Z", 3600, 0},
	{"Europe/Berlin", "2026-10-24T00:00:00Z", 3600, 4},
	{"Australia/Lord_Howe", "2026-04-03T00:00:00Z", 1800, 2},
	{"Australia/Lord_Howe", "2026-10-02T00:00:00Z", 1800, 0},
	{"Asia/Kolkata", "2026-11-22T00:00:00Z", 0, 0},
};

START_TEST(test_from_local_roundtrip)
{
	int64_t start = T(sweep_cases[_i].from);
	int repeats = 0;
	for (int64_t t = start; t < start + 3 * 86400; t += 900) {
		struct tz_local l;
		int64_t back = 0;
		ck_assert_int_eq(tz_local(sweep_cases[_i].zone, t, &l), 0);
		ck_assert_int_eq(tz_from_local(sweep_cases[_i].zone, l.year, l.month, l.day, l.hour,
					       l.minute, l.second, &back),
				 0);
		if (back != t) {
			ck_assert_int_eq(back, t - sweep_cases[_i].delta);
			repeats++;
		}
	}
	ck_assert_int_eq(repeats, sweep_cases[_i].repeats);
}
END_TEST

/* Every wall-clock minute of a spring-forward day: times in the gap map to
 * the transition, all others map to an instant showing that wall time. */
START_TEST(test_from_local_gap_sweep)
{
	static const struct {
		const char *zone;
		int y, mo, d, gap_start, gap_end; /* minutes of day */
		const char *transition;
	} c[] = {
		{"America/New_York", 2026, 3, 8, MIN(2, 0), MIN(3, 0), "2026-03-08T07:00:00Z"},
		{"Europe/Berlin", 2026, 3, 29, MIN(2, 0), MIN(3, 0), "2026-03-29T01:00:00Z"},
		{"Australia/Lord_Howe", 2026, 10, 4, MIN(2, 0), MIN(2, 30), "2026-10-03T15:30:00Z"},
	};
	for (int i = 0; i < N(c); i++) {
		for (int m = 0; m < 24 * 60; m += 5) {
			int64_t t = 0;
			struct tz_local l;
			ck_assert_int_eq(tz_from_local(c[i].zone, c[i].y, c[i].mo, c[i].d, m / 60,
						       m % 60, 0, &t),
					 0);
			if (m >= c[i].gap_start && m < c[i].gap_end) {
				ck_assert_int_eq(t, T(c[i].transition));
			} else {
				ck_assert_int_eq(tz_local(c[i].zone, t, &l), 0);
				ck_assert_int_eq(l.day, c[i].d);
				ck_assert_int_eq(l.hour * 60 + l.minute, m);
			}
		}
	}
}
END_TEST

/* ---- tz_next_window ---- */

static const struct {
	const char *name, *zone, *at;
	int start, end, weekdays;
	const char *want; /* NULL: same as at */
} win_cases[] = {
	/* Asia/Seoul (+9), Mon 2026-11-23, window 08:00-21:00 */
	{"inside", "Asia/Seoul", "2026-11-23T01:00:00Z", MIN(8, 0), MIN(21, 0), 0, NULL},
	{"at start", "Asia/Seoul", "2026-11-22T23:00:00Z", MIN(8, 0), MIN(21, 0), 0, NULL},
	{"last second", "Asia/Seoul", "2026-11-23T11:59:59Z", MIN(8, 0), MIN(21, 0), 0, NULL},
	{"before 08:00", "Asia/Seoul", "2026-11-22T20:00:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-22T23:00:00Z"},
	{"07:59:59", "Asia/Seoul", "2026-11-22T22:59:59Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-22T23:00:00Z"},
	{"local midnight", "Asia/Seoul", "2026-11-22T15:00:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-22T23:00:00Z"},
	{"at end", "Asia/Seoul", "2026-11-23T12:00:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-23T23:00:00Z"},
	{"after 21:00", "Asia/Seoul", "2026-11-23T13:30:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-23T23:00:00Z"},
	{"23:59:59", "Asia/Seoul", "2026-11-23T14:59:59Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-23T23:00:00Z"},
	{"month end", "Asia/Seoul", "2026-11-30T13:00:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-30T23:00:00Z"},
	{"window to midnight", "Asia/Seoul", "2026-11-23T14:59:59Z", MIN(8, 0), 24 * 60, 0, NULL},
	{"window to midnight, 00:30", "Asia/Seoul", "2026-11-23T15:30:00Z", MIN(8, 0), 24 * 60, 0,
	 "2026-11-23T23:00:00Z"},
	{"window from midnight", "Asia/Seoul", "2026-11-23T15:00:00Z", 0, MIN(6, 0), 0, NULL},
	{"whole day (start == end)", "Asia/Seoul", "2026-11-23T17:00:00Z", MIN(9, 0), MIN(9, 0), 0,
	 NULL},
	{"one-minute window", "Asia/Seoul", "2026-11-23T00:01:00Z", MIN(9, 0), MIN(9, 1), 0,
	 "2026-11-24T00:00:00Z"},
	/* wrapping window 22:00-06:00 */
	{"wrap: 23:00", "Asia/Seoul", "2026-11-23T14:00:00Z", MIN(22, 0), MIN(6, 0), 0, NULL},
	{"wrap: 03:00", "Asia/Seoul", "2026-11-22T18:00:00Z", MIN(22, 0), MIN(6, 0), 0, NULL},
	{"wrap: 05:59:59", "Asia/Seoul", "2026-11-22T20:59:59Z", MIN(22, 0), MIN(6, 0), 0, NULL},
	{"wrap: 06:00", "Asia/Seoul", "2026-11-22T21:00:00Z", MIN(22, 0), MIN(6, 0), 0,
	 "2026-11-23T13:00:00Z"},
	{"wrap: 12:00", "Asia/Seoul", "2026-11-23T03:00:00Z", MIN(22, 0), MIN(6, 0), 0,
	 "2026-11-23T13:00:00Z"},
	{"wrap: 21:59:59", "Asia/Seoul", "2026-11-23T12:59:59Z", MIN(22, 0), MIN(6, 0), 0,
	 "2026-11-23T13:00:00Z"},
	/* weekdays only (Sat 2026-11-21, Sun 11-22, Mon 11-23) */
	{"wk: Saturday noon", "Asia/Seoul", "2026-11-21T03:00:00Z", MIN(8, 0), MIN(21, 0), 1,
	 "2026-11-22T23:00:00Z"},
	{"wk: Saturday noon, not restricted", "Asia/Seoul", "2026-11-21T03:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, NULL},
	{"wk: Friday 21:30", "Asia/Seoul", "2026-11-20T12:30:00Z", MIN(8, 0), MIN(21, 0), 1,
	 "2026-11-22T23:00:00Z"},
	{"wk: Friday 20:00", "Asia/Seoul", "2026-11-20T11:00:00Z", MIN(8, 0), MIN(21, 0), 1, NULL},
	{"wk: Sunday 23:59:59", "Asia/Seoul", "2026-11-22T14:59:59Z", MIN(8, 0), MIN(21, 0), 1,
	 "2026-11-22T23:00:00Z"},
	{"wk: Monday 07:00", "Asia/Seoul", "2026-11-22T22:00:00Z", MIN(8, 0), MIN(21, 0), 1,
	 "2026-11-22T23:00:00Z"},
	{"wk: Thursday 22:00", "Asia/Seoul", "2026-11-19T13:00:00Z", MIN(8, 0), MIN(21, 0), 1,
	 "2026-11-19T23:00:00Z"},
	/* the weekday is the local one: Sat 01:00 UTC is still Fri 20:00 in New York */
	{"wk: local weekday", "America/New_York", "2026-11-21T01:00:00Z", MIN(8, 0), MIN(21, 0), 1,
	 NULL},
	{"wk: Fri 22:00 EST -> Mon", "America/New_York", "2026-11-21T03:00:00Z", MIN(8, 0),
	 MIN(21, 0), 1, "2026-11-23T13:00:00Z"},
	{"wk+wrap: Friday 23:00", "Asia/Seoul", "2026-11-20T14:00:00Z", MIN(22, 0), MIN(6, 0), 1,
	 NULL},
	{"wk+wrap: Saturday 03:00", "Asia/Seoul", "2026-11-20T18:00:00Z", MIN(22, 0), MIN(6, 0), 1,
	 "2026-11-22T15:00:00Z"},
	{"wk+wrap: Saturday 23:00", "Asia/Seoul", "2026-11-21T14:00:00Z", MIN(22, 0), MIN(6, 0), 1,
	 "2026-11-22T15:00:00Z"},
	/* America/New_York spring forward, Sun 2026-03-08 (23 h day) */
	{"NY spring: midnight -> 08:00 EDT", "America/New_York", "2026-03-08T05:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, "2026-03-08T12:00:00Z"},
	{"NY spring: Sat 21:30 EST -> Sun 08:00 EDT", "America/New_York", "2026-03-08T02:30:00Z",
	 MIN(8, 0), MIN(21, 0), 0, "2026-03-08T12:00:00Z"},
	{"NY spring: start in gap -> end of gap", "America/New_York", "2026-03-08T05:00:00Z",
	 MIN(2, 30), MIN(21, 0), 0, "2026-03-08T07:00:00Z"},
	{"NY spring: window inside gap -> next day", "America/New_York", "2026-03-08T05:00:00Z",
	 MIN(2, 0), MIN(2, 30), 0, "2026-03-09T06:00:00Z"},
	{"NY spring: in window after jump", "America/New_York", "2026-03-08T07:00:00Z", MIN(3, 0),
	 MIN(4, 0), 0, NULL},
	{"NY spring: wrap 22-06 crossing gap", "America/New_York", "2026-03-08T06:59:59Z",
	 MIN(22, 0), MIN(6, 0), 0, NULL},
	{"NY spring: wrap ends 06:00 EDT", "America/New_York", "2026-03-08T10:00:00Z", MIN(22, 0),
	 MIN(6, 0), 0, "2026-03-09T02:00:00Z"},
	/* America/New_York fall back, Sun 2026-11-01 (25 h day) */
	{"NY fall: Sat 21:30 EDT -> Sun 08:00 EST", "America/New_York", "2026-11-01T01:30:00Z",
	 MIN(8, 0), MIN(21, 0), 0, "2026-11-01T13:00:00Z"},
	{"NY fall: first 01:30", "America/New_York", "2026-11-01T04:00:00Z", MIN(1, 30), MIN(1, 40),
	 0, "2026-11-01T05:30:00Z"},
	{"NY fall: missed first pass -> second 01:30", "America/New_York", "2026-11-01T05:45:00Z",
	 MIN(1, 30), MIN(1, 40), 0, "2026-11-01T06:30:00Z"},
	{"NY fall: jump back into window", "America/New_York", "2026-11-01T05:45:00Z", MIN(0, 0),
	 MIN(1, 30), 0, "2026-11-01T06:00:00Z"},
	/* Europe/Berlin */
	{"Berlin spring: Sat 22:00 CET -> Sun 08:00 CEST", "Europe/Berlin", "2026-03-28T21:00:00Z",
	 MIN(8, 0), MIN(21, 0), 0, "2026-03-29T06:00:00Z"},
	{"Berlin spring: start 02:30 in gap", "Europe/Berlin", "2026-03-28T23:30:00Z", MIN(2, 30),
	 MIN(21, 0), 0, "2026-03-29T01:00:00Z"},
	{"Berlin fall: Sat 22:00 CEST -> Sun 08:00 CET", "Europe/Berlin", "2026-10-24T20:00:00Z",
	 MIN(8, 0), MIN(21, 0), 0, "2026-10-25T07:00:00Z"},
	{"Berlin fall: weekdays from Fri night", "Europe/Berlin", "2026-10-23T20:00:00Z", MIN(8, 0),
	 MIN(21, 0), 1, "2026-10-26T07:00:00Z"},
	/* non-hour offsets */
	{"Kolkata 05:30 -> 08:00", "Asia/Kolkata", "2026-11-23T00:00:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-23T02:30:00Z"},
	{"Kolkata after 21:00", "Asia/Kolkata", "2026-11-23T15:45:00Z", MIN(8, 0), MIN(21, 0), 0,
	 "2026-11-24T02:30:00Z"},
	{"Kathmandu 05:45 -> 08:00", "Asia/Kathmandu", "2026-11-23T00:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, "2026-11-23T02:15:00Z"},
	{"Chatham +13:45 DST, 21:45 -> 08:00", "Pacific/Chatham", "2026-11-23T08:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, "2026-11-23T18:15:00Z"},
	/* Australia/Lord_Howe half-hour DST */
	{"Lord Howe spring: start in 30-min gap", "Australia/Lord_Howe", "2026-10-03T14:00:00Z",
	 MIN(2, 15), MIN(21, 0), 0, "2026-10-03T15:30:00Z"},
	{"Lord Howe spring: 08:00 +11", "Australia/Lord_Howe", "2026-10-03T14:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, "2026-10-03T21:00:00Z"},
	{"Lord Howe fall: second 01:30", "Australia/Lord_Howe", "2026-04-04T14:50:00Z", MIN(1, 30),
	 MIN(1, 40), 0, "2026-04-04T15:00:00Z"},
	{"Lord Howe fall: 08:00 +10:30", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", MIN(8, 0),
	 MIN(21, 0), 0, "2026-04-04T21:30:00Z"},
};

START_TEST(test_window)
{
	char b1[TZ_ISO8601_LEN], b2[TZ_ISO8601_LEN];
	int64_t at = T(win_cases[_i].at);
	int64_t want = win_cases[_i].want ? T(win_cases[_i].want) : at;
	int64_t got = tz_next_window(win_cases[_i].zone, at, win_cases[_i].start, win_cases[_i].end,
				     win_cases[_i].weekdays);
	ck_assert_msg(got == want, "%s: got %s, want %s", win_cases[_i].name,
		      got < 0 ? "-1" : iso(got, b1), iso(want, b2));
}
END_TEST

/* Independent check by brute force: the result is allowed, the second
 * before it is not (unless it is t), and no whole minute in between is. */
static int allowed(const char *zone, int64_t t, int start, int end, int weekdays)
{
	struct tz_local l;
	ck_assert_int_eq(tz_local(zone, t, &l), 0);
	if (weekdays && (l.wday == 0 || l.wday == 6))
		return 0;
	int tod = l.hour * 3600 + l.minute * 60 + l.second;
	int lo = start * 60, hi = end * 60;
	return lo < hi ? tod >= lo && tod < hi : tod >= lo || tod < hi;
}

static const struct {
	const char *zone, *at;
	int start, end, weekdays;
} brute_cases[] = {
	{"America/New_York", "2026-03-07T23:17:00Z", MIN(8, 0), MIN(21, 0), 0},
	{"America/New_York", "2026-03-08T03:00:00Z", MIN(2, 10), MIN(2, 50), 0},
	{"America/New_York", "2026-11-01T05:31:00Z", MIN(1, 0), MIN(1, 15), 0},
	{"America/New_York", "2026-10-30T23:00:00Z", MIN(23, 30), MIN(1, 30), 1},
	{"Europe/Berlin", "2026-10-24T23:59:00Z", MIN(2, 30), MIN(2, 45), 0},
	{"Australia/Lord_Howe", "2026-10-02T13:00:00Z", MIN(2, 10), MIN(2, 40), 1},
	{"Australia/Lord_Howe", "2026-04-04T14:45:00Z", MIN(1, 35), MIN(1, 45), 0},
	{"Asia/Kathmandu", "2026-11-20T16:00:00Z", MIN(9, 0), MIN(17, 30), 1},
};

START_TEST(test_window_brute)
{
	const char *z = brute_cases[_i].zone;
	int s = brute_cases[_i].start, e = brute_cases[_i].end, wk = brute_cases[_i].weekdays;
	int64_t at = T(brute_cases[_i].at);
	int64_t got = tz_next_window(z, at, s, e, wk);
	ck_assert_int_ge(got, at);
	ck_assert_int_le(got, at + 4 * 86400);
	ck_assert(allowed(z, got, s, e, wk));
	if (got > at)
		ck_assert(!allowed(z, got - 1, s, e, wk));
	for (int64_t t = at; t < got; t += 60)
		ck_assert_msg(!allowed(z, t, s, e, wk), "allowed earlier at %lld", (long long)t);
}
END_TEST

START_TEST(test_window_errors)
{
	int64_t t = T("2026-11-23T00:00:00Z");
	ck_assert_int_eq(tz_next_window("Mars/Base", t, MIN(8, 0), MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window("", t, MIN(8, 0), MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window(NULL, t, MIN(8, 0), MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", t, -1, MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", t, 24 * 60, MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", t, MIN(8, 0), -1, 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", t, MIN(8, 0), 24 * 60 + 1, 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", INT64_MIN, MIN(8, 0), MIN(21, 0), 0), -1);
	ck_assert_int_eq(tz_next_window("Asia/Seoul", INT64_MAX, MIN(8, 0), MIN(21, 0), 0), -1);
}
END_TEST

/* ---- tz_format_date ---- */

static const struct {
	int y, m, d;
	const char *loc, *want;
} date_cases[] = {
	{2026, 11, 23, "en", "November 23, 2026"},
	{2026, 11, 23, "en-US", "November 23, 2026"},
	{2026, 11, 23, "en-GB", "23 November 2026"},
	{2026, 11, 23, "ko",
	 "2026\xeb\x85\x84 11\xec\x9b\x94 23\xec\x9d\xbc"}, /* 2026년 11월 23일 */
	{2026, 11, 23, "ko-KR", "2026\xeb\x85\x84 11\xec\x9b\x94 23\xec\x9d\xbc"},
	{2026, 11, 23, "ja",
	 "2026\xe5\xb9\xb4"
	 "11\xe6\x9c\x88"
	 "23\xe6\x97\xa5"}, /* 2026年11月23日 */
	{2026, 11, 23, "ja-JP",
	 "2026\xe5\xb9\xb4"
	 "11\xe6\x9c\x88"
	 "23\xe6\x97\xa5"},
	{2026, 11, 23, "zh",
	 "2026\xe5\xb9\xb4"
	 "11\xe6\x9c\x88"
	 "23\xe6\x97\xa5"},
	{2026, 11, 23, "zh-CN",
	 "2026\xe5\xb9\xb4"
	 "11\xe6\x9c\x88"
	 "23\xe6\x97\xa5"},
	{2026, 1, 1, "en", "January 1, 2026"},
	{2026, 1, 1, "ko", "2026\xeb\x85\x84 1\xec\x9b\x94 1\xec\x9d\xbc"},
	{2026, 1, 1, "ja",
	 "2026\xe5\xb9\xb4"
	 "1\xe6\x9c\x88"
	 "1\xe6\x97\xa5"},
	{2026, 12, 31, "zh",
	 "2026\xe5\xb9\xb4"
	 "12\xe6\x9c\x88"
	 "31\xe6\x97\xa5"},
	{2028, 2, 29, "en", "February 29, 2028"},
	{2026, 11, 23, "de", "23. November 2026"},
	{2026, 11, 23, "en_US", "November 23, 2026"},
	/* the locale's calendar applies unless the tag picks one */
	{2026, 11, 23, "ja-JP-u-ca-japanese",
	 "\xe4\xbb\xa4\xe5\x92\x8c"
	 "8\xe5\xb9\xb4"
	 "11\xe6\x9c\x88"
	 "23\xe6\x97\xa5"},
	/* proleptic Gregorian far back (no Julian dates before 1582) */
	{1500, 3, 1, "en", "March 1, 1500"},
	{1, 1, 1, "en", "January 1, 1"},
	{9999, 12, 31, "en", "December 31, 9999"},
};

START_TEST(test_format_date)
{
	char buf[128];
	int n = tz_format_date(date_cases[_i].y, date_cases[_i].m, date_cases[_i].d,
			       date_cases[_i].loc, buf, sizeof buf);
	ck_assert_msg(n >= 0, "tz_format_date(%d-%d-%d, %s) failed", date_cases[_i].y,
		      date_cases[_i].m, date_cases[_i].d, date_cases[_i].loc);
	ck_assert_str_eq(buf, date_cases[_i].want);
	ck_assert_int_eq(n, (int)strlen(date_cases[_i].want));

	char *exact = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(exact);
	ck_assert_int_eq(tz_format_date(date_cases[_i].y, date_cases[_i].m, date_cases[_i].d,
					date_cases[_i].loc, exact, (size_t)n + 1),
			 n);
	ck_assert_str_eq(exact, date_cases[_i].want);
	ck_assert_int_eq(tz_format_date(date_cases[_i].y, date_cases[_i].m, date_cases[_i].d,
					date_cases[_i].loc, exact, (size_t)n),
			 -1);
	ck_assert_str_eq(exact, "");
	free(exact);
}
END_TEST

/* Thai uses the Buddhist era by default: same day, year 2569. */
START_TEST(test_format_date_thai)
{
	char buf[128];
	ck_assert_int_gt(tz_format_date(2026, 11, 23, "th", buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "2569"));
	ck_assert_int_gt(tz_format_date(2026, 11, 23, "th-u-ca-gregory", buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "2026"));
}
END_TEST

static const struct {
	int y, m, d;
	const char *loc;
} date_bad[] = {
	{2026, 2, 29, "en"},  {2026, 0, 1, "en"},      {2026, 13, 1, "en"},
	{2026, 1, 0, "en"},   {2026, 1, 32, "en"},     {2026, 4, 31, "en"},
	{0, 1, 1, "en"},      {10000, 1, 1, "en"},     {2100, 2, 29, "en"},
	{2026, 11, 23, NULL}, {2026, 11, 23, ""},      {2026, 11, 23, "en--US"},
	{2026, 11, 23, "xx"}, {2026, 11, 23, "en US"}, {2026, 11, 23, "-"},
};

START_TEST(test_format_date_bad)
{
	char buf[64] = "junk";
	ck_assert_int_eq(tz_format_date(date_bad[_i].y, date_bad[_i].m, date_bad[_i].d,
					date_bad[_i].loc, buf, sizeof buf),
			 -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_format_date_bad_buffer)
{
	char buf[4];
	ck_assert_int_eq(tz_format_date(2026, 11, 23, "en", NULL, 0), -1);
	ck_assert_int_eq(tz_format_date(2026, 11, 23, "en", buf, 0), -1);
	ck_assert_int_eq(tz_format_date(2026, 11, 23, "ko", buf, sizeof buf), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- ISO 8601 ---- */

static const struct {
	const char *in;
	int64_t t;
	const char *canon; /* tz_format_iso8601 of the result */
} iso_ok[] = {
	{"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"},
	{"1970-01-01", 0, "1970-01-01T00:00:00Z"},
	{"1969-12-31T23:59:59Z", -1, "1969-12-31T23:59:59Z"},
	{"2026-11-23T09:00:00Z", INT64_C(1795424400), "2026-11-23T09:00:00Z"},
	{"2026-11-23T09:00Z", INT64_C(1795424400), "2026-11-23T09:00:00Z"},
	{"2026-11-23T09:00:00+09:00", INT64_C(1795392000), "2026-11-23T00:00:00Z"},
	{"2026-11-23T09:00+09:00", INT64_C(1795392000), "2026-11-23T00:00:00Z"},
	{"2026-11-23T09:00:00-05:00", INT64_C(1795442400), "2026-11-23T14:00:00Z"},
	{"2026-11-23T09:00:00+05:30", INT64_C(1795404600), "2026-11-23T03:30:00Z"},
	{"2026-11-23T09:00:00+05:45", INT64_C(1795403700), "2026-11-23T03:15:00Z"},
	{"2026-11-23T09:00:00+00:00", INT64_C(1795424400), "2026-11-23T09:00:00Z"},
	{"2026-11-23T09:00:00-00:00", INT64_C(1795424400), "2026-11-23T09:00:00Z"},
	{"2026-11-23T00:30:00+01:00", INT64_C(1795390200), "2026-11-22T23:30:00Z"},
	{"2026-12-31T23:00:00-02:00", INT64_C(1798765200), "2027-01-01T01:00:00Z"},
	{"2026-11-23T09:00:00.999Z", INT64_C(1795424400), "2026-11-23T09:00:00Z"},
	{"2026-11-23T09:00:00.1+09:00", INT64_C(1795392000), "2026-11-23T00:00:00Z"},
	{"2026-11-23", INT64_C(1795392000), "2026-11-23T00:00:00Z"},
	{"2028-02-29", INT64_C(1835395200), "2028-02-29T00:00:00Z"},
	{"2000-02-29T12:00:00Z", INT64_C(951825600), "2000-02-29T12:00:00Z"},
	{"2038-01-19T03:14:08Z", INT64_C(2147483648), "2038-01-19T03:14:08Z"},
	{"0001-01-01", INT64_C(-62135596800), "0001-01-01T00:00:00Z"},
	{"9999-12-31T23:59:59Z", INT64_C(253402300799), "9999-12-31T23:59:59Z"},
};

START_TEST(test_iso_parse)
{
	int64_t t = 12345;
	char buf[TZ_ISO8601_LEN];
	ck_assert_msg(tz_parse_iso8601(iso_ok[_i].in, &t) == 0, "rejected %s", iso_ok[_i].in);
	ck_assert_int_eq(t, iso_ok[_i].t);
	ck_assert_str_eq(iso(t, buf), iso_ok[_i].canon);
}
END_TEST

static const char *iso_bad[] = {
	"",
	"2026",
	"2026-11",
	"2026-11-2",
	"26-11-23",
	"2026/11/23",
	"20261123",
	"+2026-11-23",
	"-2026-11-23",
	"2026-13-01",
	"2026-00-01",
	"2026-11-00",
	"2026-11-31",
	"2026-02-29",
	"2100-02-29",
	"0000-01-01",
	"2026-11-23T09:00:00",  /* no offset: not an instant */
	"2026-11-23T09:00",     /* ditto */
	"2026-11-23 09:00:00Z", /* space instead of T */
	"2026-11-23t09:00:00z",
	"2026-11-23T09:00:00z",
	"2026-11-23Z",
	"2026-11-23T",
	"2026-11-23TZ",
	"2026-11-23T09Z",
	"2026-11-23T9:00:00Z",
	"2026-11-23T09:0Z",
	"2026-11-23T09:00:0Z",
	"2026-11-23T24:00:00Z",
	"2026-11-23T09:60:00Z",
	"2026-11-23T09:00:60Z",
	"2026-11-23T23:59:60Z",
	"2026-11-23T09:00:00.Z",
	"2026-11-23T09:00:00.5",
	"2026-11-23T09:00.5Z",
	"2026-11-23T09:00:00+9:00",
	"2026-11-23T09:00:00+0900",
	"2026-11-23T09:00:00+09",
	"2026-11-23T09:00:00+24:00",
	"2026-11-23T09:00:00+09:60",
	"2026-11-23T09:00:00+09:00Z",
	"2026-11-23T09:00:00Zjunk",
	"2026-11-23junk",
	"2026-11-23T09:00:00Z ",
	" 2026-11-23",
	"2026-11-23\n",
	"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-23",
};

START_TEST(test_iso_bad)
{
	int64_t t = 42;
	ck_assert_msg(tz_parse_iso8601(iso_bad[_i], &t) == -1, "accepted \"%s\"", iso_bad[_i]);
	ck_assert_int_eq(t, 42);
}
END_TEST

START_TEST(test_iso_null)
{
	int64_t t;
	ck_assert_int_eq(tz_parse_iso8601(NULL, &t), -1);
	ck_assert_int_eq(tz_parse_iso8601("2026-11-23", NULL), -1);
}
END_TEST

/* format -> parse is the identity across the whole supported range. */
START_TEST(test_iso_roundtrip)
{
	const int64_t lo = INT64_C(-62135596800), hi = INT64_C(253402300799);
	char buf[TZ_ISO8601_LEN];
	for (int64_t t = lo; t <= hi; t += INT64_C(9999991) /* prime: varies every field */) {
		int64_t back = 0;
		tz_format_iso8601(t, buf, sizeof buf);
		ck_assert_int_eq(strlen(buf), 20);
		ck_assert_msg(tz_parse_iso8601(buf, &back) == 0, "cannot parse %s", buf);
		ck_assert_int_eq(back, t);
	}
	/* and it agrees with ICU's UTC calendar fields */
	for (int64_t t = lo; t <= hi; t += INT64_C(999999937)) {
		struct tz_local l;
		char want[32];
		ck_assert_int_eq(tz_local("UTC", t, &l), 0);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", l.year, l.month,
			 l.day, l.hour, l.minute, l.second);
		ck_assert_str_eq(iso(t, buf), want);
	}
}
END_TEST

START_TEST(test_iso_format_buffer)
{
	char buf[32];
	memset(buf, 'Z', sizeof buf);
	tz_format_iso8601(INT64_C(1795424400), buf, 10);
	ck_assert_str_eq(buf, "2026-11-2");
	ck_assert_int_eq(buf[10], 'Z');
	memset(buf, 'Z', sizeof buf);
	tz_format_iso8601(INT64_C(1795424400), buf, 0);
	ck_assert_int_eq(buf[0], 'Z');
	tz_format_iso8601(0, NULL, 0); /* must not crash */
	tz_format_iso8601(INT64_C(1795424400), buf, TZ_ISO8601_LEN);
	ck_assert_str_eq(buf, "2026-11-23T09:00:00Z");
}
END_TEST

static Suite *tz_suite(void)
{
	Suite *s = suite_create("tz");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_valid, 0, N(valid_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_add_loop_test(tc, test_local, 0, N(local_cases));
	tcase_add_test(tc, test_local_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("from_local");
	tcase_add_loop_test(tc, test_from_local, 0, N(from_cases));
	tcase_add_loop_test(tc, test_from_local_bad, 0, N(from_bad));
	tcase_add_test(tc, test_from_local_null_out);
	tcase_add_loop_test(tc, test_from_local_roundtrip, 0, N(sweep_cases));
	tcase_add_test(tc, test_from_local_gap_sweep);
	tcase_set_timeout(tc, 120); /* valgrind */
	suite_add_tcase(s, tc);

	tc = tcase_create("next_window");
	tcase_add_loop_test(tc, test_window, 0, N(win_cases));
	tcase_add_loop_test(tc, test_window_brute, 0, N(brute_cases));
	tcase_add_test(tc, test_window_errors);
	tcase_set_timeout(tc, 300); /* brute force under valgrind */
	suite_add_tcase(s, tc);

	tc = tcase_create("format_date");
	tcase_add_loop_test(tc, test_format_date, 0, N(date_cases));
	tcase_add_test(tc, test_format_date_thai);
	tcase_add_loop_test(tc, test_format_date_bad, 0, N(date_bad));
	tcase_add_test(tc, test_format_date_bad_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("iso8601");
	tcase_add_loop_test(tc, test_iso_parse, 0, N(iso_ok));
	tcase_add_loop_test(tc, test_iso_bad, 0, N(iso_bad));
	tcase_add_test(tc, test_iso_null);
	tcase_add_test(tc, test_iso_roundtrip);
	tcase_add_test(tc, test_iso_format_buffer);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tz_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Release ICU's process-wide caches so valgrind reports only our leaks
     * (cached formatters otherwise show as "possibly lost"). */
	u_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
