/* tz.h - IANA time zones, local calendar fields and contact windows (ICU),
 * plus ISO 8601 instants (pure C).
 *
 * Instants are int64_t unix seconds.  ICU-backed functions accept instants
 * and dates in years 1..9999 (proleptic Gregorian, matching the ISO 8601
 * helpers) and fail outside that range.  All functions are thread-safe:
 * ICU objects are opened per call and no mutable globals exist.
 */
#ifndef DUNND_TZ_H
#define DUNND_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Smallest buffer tz_format_iso8601() needs: "YYYY-MM-DDTHH:MM:SSZ" + NUL. */
#define TZ_ISO8601_LEN 21

struct tz_local {
	int year, month, day, hour, minute, second, wday; /* wday 0=Sunday..6 */
};

/* 1 if zone is a zone id ICU knows as a system zone ("Asia/Seoul",
 * "America/New_York", "UTC", and legacy links like "US/Eastern"), 0
 * otherwise ("Mars/Base", "", NULL, custom ids like "GMT+05:00",
 * "Etc/Unknown").  Ids are case-sensitive, as in the IANA database. */
int tz_valid(const char *zone);

/* Local calendar fields of unix instant t (seconds) in zone.  0 ok, -1 on
 * unknown zone, NULL out or t outside years 1..9999. */
int tz_local(const char *zone, int64_t t, struct tz_local *out);

/* Unix seconds of a local wall-clock time in zone.  A wall time inside a
 * DST gap resolves to the first valid instant after the gap (the transition
 * itself: 02:30 on a spring-forward day at 02:00 gives 03:00 new time); an
 * ambiguous one (fall-back) to the earlier instant.  Fields are validated
 * strictly (no 2026-02-30, no 24:00, no leap second).  0 ok, -1 error. */
int tz_from_local(const char *zone, int year, int month, int day, int hour, int minute, int second,
		  int64_t *out);

/* Earliest instant >= t at which the local time of day in zone lies within
 * the allowed window [start_min, end_min) (minutes after local midnight;
 * 0 <= start_min < 1440, 0 <= end_min <= 1440).  If start_min >= end_min
 * the window wraps midnight (22:00-06:00 allows 22:00-24:00 and
 * 00:00-06:00); start_min == end_min therefore allows the whole day.  If
 * weekdays_only is non-zero, instants whose local date is a Saturday or
 * Sunday are not allowed either, so a weekend moves to Monday's window
 * start (for a wrapping window that is Monday 00:00, since Monday's early
 * part of the window is on a weekday).  DST gaps and overlaps are followed
 * instant by instant, so a window start inside a gap yields the end of the
 * gap and a window re-entered after a fall-back is found.  Returns -1 on
 * unknown zone or invalid arguments. */
int64_t tz_next_window(const char *zone, int64_t t, int start_min, int end_min, int weekdays_only);

/* Format a calendar date (no time, no zone) in a BCP 47 locale with ICU's
 * long date style: en -> "November 23, 2026", ko -> "2026년 11월 23일",
 * ja/zh -> "2026年11月23日".  The locale's own default calendar is used
 * (th shows Buddhist years) unless the tag selects one ("-u-ca-gregory").
 * A language ICU has no data for ("xx") is an error, as in money_format.
 * UTF-8 into buf.  Returns length, or -1 (invalid date, malformed or
 * unsupported locale, buffer too small; buf is then "" if len > 0). */
int tz_format_date(int year, int month, int day, const char *locale, char *buf, size_t len);

/* Parse an ISO 8601 / RFC 3339 instant into unix seconds:
 * "2026-11-23T09:00:00Z", "2026-11-23T09:00:00+09:00", "2026-11-23T09:00Z",
 * "2026-11-23T09:00:00.250Z" (fraction truncated), or a plain date
 * "2026-11-23" (= midnight UTC).  The offset is mandatory when a time is
 * given (a bare local time names no instant).  0 ok, -1 malformed. */
int tz_parse_iso8601(const char *s, int64_t *out);

/* Format unix seconds as "2026-11-23T09:00:00Z" into buf (>= TZ_ISO8601_LEN
 * bytes; shorter buffers get a truncated, NUL-terminated string). */
void tz_format_iso8601(int64_t t, char *buf, size_t len);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (exact
 * for every year; no time zone involved). */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

#endif
