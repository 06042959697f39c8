/* quiet.h - times a customer has blocked for contact, weekly, in their
 * own local wall-clock time ("mon-fri 12:00-13:00,sun").
 *
 * A week is 7 * 1440 minutes from Monday 00:00 local; a set is one bit per
 * minute, so overlapping ranges merge and the total is exact.  The wall
 * clock rules: on the night clocks go back, "01:00-02:00" blocks both
 * passes through that hour; a range that starts in a spring-forward gap
 * begins when the clock shows a later time.  Pure C except
 * quiet_next_open(), which reads the zone through tz.h (ICU).
 */
#ifndef DUNND_QUIET_H
#define DUNND_QUIET_H

#include <stddef.h>
#include <stdint.h>

#define QUIET_WEEK_MIN (7 * 1440)
/* The default weekly bound on blocked time: the debtor protection rule
 * in Korea lets a debtor block up to 28 hours a week. */
#define QUIET_DEFAULT_MAX_HOURS 28
/* Longest canonical spec quiet_format() can write (every other minute
 * blocked is far past any bound; 4 KiB holds any set within 168 h of
 * ranges of at least a few minutes). */
#define QUIET_SPEC_MAX 4096

struct quiet {
	unsigned char bit[QUIET_WEEK_MIN / 8];
};

/* Parse a spec into q (cleared first).  Grammar, case-insensitive, blanks
 * around separators ignored:
 *   spec  = "" | item *("," item)
 *   item  = days [range]          (no range: the whole day)
 *   days  = day ["-" day]          (mon..sun; "fri-mon" wraps the week),
 *         | "daily" | "weekdays" | "weekends"
 *   range = HH:MM "-" HH:MM        (00:00..24:00; start < end blocks that
 *                                   day; start > end runs into the next
 *                                   day, "22:00-07:00")
 * 0 ok, -1 with a reason in err ("item 2: unknown day 'mo'"). */
int quiet_parse(const char *spec, struct quiet *q, char *err, size_t errlen);

/* Blocked minutes per week. */
int quiet_minutes(const struct quiet *q);

/* 1 if minute-of-week m (0 = Monday 00:00) is blocked. */
int quiet_blocked(const struct quiet *q, int m);

/* The canonical spec of q: days with the same ranges in a row share one
 * item ("mon-fri 12:00-13:00,sun 00:00-24:00"), ranges are cut at
 * midnight, "" for none.  Parsing it gives q back.  Returns the length,
 * or -1 when len is too small (buf is then ""). */
int quiet_format(const struct quiet *q, char *buf, size_t len);

/* Parse spec, refuse more than max_hours blocked per week, and write its
 * canonical form into canon (QUIET_SPEC_MAX bytes) and the blocked
 * minutes into *minutes.  "" (nothing blocked) is valid.  0 ok, -1 with
 * a reason in err. */
int quiet_normalize(const char *spec, int max_hours, char *canon, size_t len, int *minutes,
		    char *err, size_t errlen);

/* Earliest instant >= t whose local wall time in zone is not blocked.
 * t itself when q is NULL or nothing is blocked at t.  -1 on an unknown
 * zone or a week blocked whole. */
int64_t quiet_next_open(const struct quiet *q, const char *zone, int64_t t);

#endif
