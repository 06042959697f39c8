/* quiet.c - weekly customer-chosen quiet times (see quiet.h). */
#include "quiet.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tz.h"

static const char *const day_name[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static void set_bit(struct quiet *q, int m)
{
	m %= QUIET_WEEK_MIN;
	q->bit[m / 8] |= (unsigned char)(1u << (m % 8));
}

int quiet_blocked(const struct quiet *q, int m)
{
	if (m < 0 || m >= QUIET_WEEK_MIN)
		return 0;
	return (q->bit[m / 8] >> (m % 8)) & 1;
}

int quiet_minutes(const struct quiet *q)
{
	int n = 0;

	for (size_t i = 0; i < sizeof q->bit; i++)
		n += __builtin_popcount(q->bit[i]);
	return n;
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A day name at *s (three letters or the full English name); its index
 * from Monday, or -1. */
static int take_day(const char **s)
{
	static const char *const full[7] = {"monday", "tuesday",  "wednesday", "thursday",
					    "friday", "saturday", "sunday"};
	for (int d = 0; d < 7; d++) {
		size_t n = strlen(full[d]);
		if (!strncasecmp(*s, full[d], n) && !isalpha((unsigned char)(*s)[n])) {
			*s += n;
			return d;
		}
		if (!strncasecmp(*s, day_name[d], 3) && !isalpha((unsigned char)(*s)[3])) {
			*s += 3;
			return d;
		}
	}
	return -1;
}

/* HH:MM at *s, 00:00..24:00, as minutes; -1 when malformed. */
static int take_time(const char **s)
{
	const char *p = *s;
	int h, m;

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != ':' ||
	    !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*s = p + 5;
	return h * 60 + m;
}

/* The days of one item as a 7-bit mask; -1 when malformed. */
static int take_days(const char **s)
{
	static const struct {
		const char *word;
		int mask;
	} sets[] = {{"daily", 0x7f}, {"weekdays", 0x1f}, {"weekends", 0x60}};
	int a, b, mask = 0;

	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		size_t n = strlen(sets[i].word);
		if (!strncasecmp(*s, sets[i].word, n) && !isalpha((unsigned char)(*s)[n])) {
			*s += n;
			return sets[i].mask;
		}
	}
	if ((a = take_day(s)) < 0)
		return -1;
	b = a;
	if (**s == '-') {
		const char *p = *s + 1;
		if ((b = take_day(&p)) < 0)
			return -1;
		*s = p;
	}
	for (int d = a;; d = (d + 1) % 7) {
		mask |= 1 << d;
		if (d == b)
			break;
	}
	return mask;
}

int quiet_parse(const char *spec, struct quiet *q, char *err, size_t errlen)
{
	const char *s = spec ? spec : "";
	int item = 0;

	memset(q, 0, sizeof *q);
	if (err && errlen)
		err[0] = '\0';
	s = skip_blank(s);
	if (!*s)
		return 0;
	for (;;) {
		int mask, from = 0, to = 1440;
		item++;
		s = skip_blank(s);
		if ((mask = take_days(&s)) < 0)
			return fail(err, errlen,
				    "item %d: expected a day (mon..sun, daily, weekdays, weekends)",
				    item);
		s = skip_blank(s);
		if (isdigit((unsigned char)*s)) {
			if ((from = take_time(&s)) < 0)
				return fail(err, errlen,
					    "item %d: expected a time HH:MM (00:00 to 24:00)",
					    item);
			s = skip_blank(s);
			if (*s != '-')
				return fail(err, errlen,
					    "item %d: expected '-' between the two times", item);
			s = skip_blank(s + 1);
			if ((to = take_time(&s)) < 0)
				return fail(err, errlen,
					    "item %d: expected a time HH:MM (00:00 to 24:00)",
					    item);
			if (from == to)
				return fail(err, errlen, "item %d: the range is empty", item);
			if (from == 1440)
				return fail(err, errlen, "item %d: a range cannot start at 24:00",
					    item);
		}
		/* A range past midnight (22:00-07:00) runs into the next day. */
		int len = to > from ? to - from : 1440 - from + to;
		for (int d = 0; d < 7; d++)
			if (mask & (1 << d))
				for (int m = 0; m < len; m++)
					set_bit(q, d * 1440 + from + m);
		s = skip_blank(s);
		if (!*s)
			return 0;
		if (*s != ',')
			return fail(err, errlen, "item %d: unexpected '%c'", item, *s);
		s++;
	}
}

/* The blocked runs of day d, cut at midnight, into from/to (at most max;
 * -1 when there are more). */
static int day_ranges(const struct quiet *q, int d, int *from, int *to, int max)
{
	int n = 0;

	for (int m = 0; m < 1440;) {
		if (!quiet_blocked(q, d * 1440 + m)) {
			m++;
			continue;
		}
		int e = m;
		while (e < 1440 && quiet_blocked(q, d * 1440 + e))
			e++;
		if (n == max)
			return -1;
		from[n] = m;
		to[n] = e;
		n++;
		m = e;
	}
	return n;
}

static int same_day(const struct quiet *q, int a, int b)
{
	for (int m = 0; m < 1440; m++)
		if (quiet_blocked(q, a * 1440 + m) != quiet_blocked(q, b * 1440 + m))
			return 0;
	return 1;
}

int quiet_format(const struct quiet *q, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	for (int d = 0; d < 7;) {
		int from[720], to[720], n, e = d;
		while (e + 1 < 7 && same_day(q, d, e + 1))
			e++;
		n = day_ranges(q, d, from, to, 720);
		for (int i = 0; i < n; i++) {
			char days[8];
			int w;
			if (e > d)
				snprintf(days, sizeof days, "%s-%s", day_name[d], day_name[e]);
			else
				snprintf(days, sizeof days, "%s", day_name[d]);
			w = snprintf(buf + at, len - at, "%s%s %02d:%02d-%02d:%02d", at ? "," : "",
				     days, from[i] / 60, from[i] % 60, to[i] / 60, to[i] % 60);
			if (w < 0 || (size_t)w >= len - at) {
				buf[0] = '\0';
				return -1;
			}
			at += (size_t)w;
		}
		d = e + 1;
	}
	return (int)at;
}

/* Local wall time of fields l as seconds on a zone-free axis. */
static int64_t wall_seconds(const struct tz_local *l)
{
	return tz_days_from_civil(l->year, l->month, l->day) * 86400 + l->hour * 3600 +
		l->minute * 60 + l->second;
}

/* UTC offset of zone at t in seconds; INT64_MIN on error. */
static int64_t local_offset(const char *zone, int64_t t)
{
	struct tz_local l;

	if (tz_local(zone, t, &l) != 0)
		return INT64_MIN;
	return wall_seconds(&l) - t;
}

int64_t quiet_next_open(const struct quiet *q, const char *zone, int64_t t)
{
	if (!q)
		return t;
	if (quiet_minutes(q) == QUIET_WEEK_MIN)
		return -1;
	/* Each pass leaves one blocked run or moves at least a minute; a week
	 * holds at most 5040 runs, and a DST night adds a few passes. */
	for (int pass = 0; pass < 6000; pass++) {
		struct tz_local l;
		int64_t wall, target, c;
		int m, e;

		if (tz_local(zone, t, &l) != 0)
			return -1;
		m = ((l.wday + 6) % 7) * 1440 + l.hour * 60 + l.minute;
		if (!quiet_blocked(q, m))
			return t;
		for (e = m; quiet_blocked(q, e % QUIET_WEEK_MIN); e++)
			;
		wall = wall_seconds(&l);
		target = wall - l.second + (int64_t)(e - m) * 60;
		{
			int64_t y;
			int mo, d;
			int64_t days = target / 86400, sec = target % 86400;
			tz_civil_from_days(days, &y, &mo, &d);
			if (tz_from_local(zone, (int)y, mo, d, (int)(sec / 3600),
					  (int)(sec / 60 % 60), 0, &c) != 0)
				return -1;
		}
		/* After clocks went back the wall time comes twice and
		 * tz_from_local names the first pass, which may lie behind t:
		 * take the one at t's offset instead. */
		if (c <= t)
			c = target - (wall - t);
		if (c <= t)
			c = t + 60 - l.second;
		/* A change of offset before c (clocks going back) may reopen a
		 * wall time that is not blocked: look again from the change. */
		{
			int64_t off = wall - t, lo = t, hi = c;
			if (local_offset(zone, c) != off) {
				while (hi - lo > 1) {
					int64_t mid = lo + (hi - lo) / 2;
					if (local_offset(zone, mid) == off)
						lo = mid;
					else
						hi = mid;
				}
				c = hi;
			}
		}
		t = c;
	}
	return -1;
}

int quiet_normalize(const char *spec, int max_hours, char *canon, size_t len, int *minutes,
		    char *err, size_t errlen)
{
	struct quiet q;
	int n;

	if (quiet_parse(spec, &q, err, errlen) != 0)
		return -1;
	n = quiet_minutes(&q);
	if (n > max_hours * 60)
		return fail(err, errlen, "%d h %02d min a week blocked; at most %d h are allowed",
			    n / 60, n % 60, max_hours);
	if (quiet_format(&q, canon, len) < 0)
		return fail(err, errlen, "too many separate ranges");
	*minutes = n;
	return 0;
}
