/* tz.c - see tz.h. */
#include "tz.h"

#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include "iculoc.h"

/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: the range four-digit ISO
 * years can express, and far inside what ICU and a double (ms) hold exactly. */
#define TZ_MIN_T INT64_C(-62135596800)
#define TZ_MAX_T INT64_C(253402300799)
#define TZ_DAY 86400
#define TZ_ZONE_MAX 64
/* tz_next_window needs a handful of steps (window start, midnights over a
 * weekend, DST transitions); the cap only guards against a looping bug. */
#define TZ_WINDOW_MAX_STEPS 1000

/* ---- pure calendar arithmetic (proleptic Gregorian) ---- */

static int tz_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int tz_days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && tz_is_leap(y) ? 29 : dim[m - 1];
}

static int tz_date_ok(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= tz_days_in_month(y, m);
}

/* Days since 1970-01-01 (H. Hinnant's algorithm, exact for all years). */
int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t tz_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- ICU helpers ---- */

/* Zone ids are invariant ASCII; anything else cannot be an IANA id and
 * u_charsToUChars is undefined for non-invariant characters. */
static int32_t tz_zone_uchars(const char *zone, UChar *out)
{
	if (zone == NULL)
		return -1;
	int32_t n = 0;
	for (; zone[n] != '\0'; n++) {
		unsigned char c = (unsigned char)zone[n];
		if (n >= TZ_ZONE_MAX - 1 || c <= 0x20 || c >= 0x7f)
			return -1;
		out[n] = (UChar)c;
	}
	out[n] = 0;
	return n > 0 ? n : -1;
}

int tz_valid(const char *zone)
{
	UChar uz[TZ_ZONE_MAX], canon[TZ_ZONE_MAX];
	int32_t n = tz_zone_uchars(zone, uz);
	if (n < 0)
		return 0;
	/* ucal_open silently substitutes "Etc/Unknown" (GMT) for unknown ids;
     * the canonical-id lookup fails instead, and isSystemID separates real
     * zones from custom "GMT+05:00" ids. */
	UBool system = 0;
	UErrorCode st = U_ZERO_ERROR;
	ucal_getCanonicalTimeZoneID(uz, n, canon, TZ_ZONE_MAX, &system, &st);
	return U_SUCCESS(st) && system;
}

/* Gregorian calendar in zone, configured the way tz.h promises. */
static UCalendar *tz_open_new(const char *zone)
{
	UChar uz[TZ_ZONE_MAX];
	int32_t n = tz_zone_uchars(zone, uz);
	if (n < 0 || !tz_valid(zone))
		return NULL;
	UErrorCode st = U_ZERO_ERROR;
	/* en_US_POSIX pins the calendar rules so the process locale cannot
     * change them; UCAL_GREGORIAN forces Gregorian even for th/ja locales. */
	UCalendar *cal = ucal_open(uz, n, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st)) {
		ucal_close(cal);
		return NULL;
	}
	/* Proleptic Gregorian, like the ISO 8601 code: no Julian dates pre-1582. */
	ucal_setGregorianChange(cal, U_DATE_MIN, &st);
	ucal_setAttribute(cal, UCAL_LENIENT, 1); /* wall-time options need it */
	ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
	ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	if (U_FAILURE(st)) {
		ucal_close(cal);
		return NULL;
	}
	return cal;
}

/* Opening a calendar costs ICU zone and locale lookups under locks (about
 * a quarter of dunnd's CPU per reminder, measured by bench/); the poller
 * and dispatcher ask for the same few zones over and over. So each thread
 * keeps its last TZ_CACHE calendars open: callers set the instant or the
 * fields on every use and never close them. */
#define TZ_CACHE 16
/* With each calendar, the last span between two of its zone's transitions
 * that an instant was asked for, and the zone's UTC offset over it: within
 * it local time is t + off, and the fields are the proleptic Gregorian
 * arithmetic above (the calendar's own rules, tz_open_new), without ICU's
 * field computation, which is most of the cost of a policy decision. */
struct tz_entry {
	char zone[TZ_ZONE_MAX];
	UCalendar *cal;
	int64_t from, until; /* [from, until), seconds; empty when from >= until */
	int32_t off;
};
static _Thread_local struct tz_entry tz_cache[TZ_CACHE];
static _Thread_local unsigned tz_cache_next;

static struct tz_entry *tz_entry(const char *zone)
{
	if (zone == NULL || strlen(zone) >= TZ_ZONE_MAX)
		return NULL;
	for (int i = 0; i < TZ_CACHE; i++)
		if (tz_cache[i].cal && strcmp(tz_cache[i].zone, zone) == 0)
			return &tz_cache[i];
	UCalendar *cal = tz_open_new(zone);
	if (cal == NULL)
		return NULL;
	unsigned slot = tz_cache_next++ % TZ_CACHE;
	if (tz_cache[slot].cal)
		ucal_close(tz_cache[slot].cal);
	tz_cache[slot].cal = cal;
	tz_cache[slot].from = tz_cache[slot].until = 0;
	strcpy(tz_cache[slot].zone, zone);
	return &tz_cache[slot];
}

static UCalendar *tz_open(const char *zone)
{
	struct tz_entry *e = tz_entry(zone);

	return e ? e->cal : NULL;
}

/* The span around t, from the calendar set to t; left empty when the
 * zone's offset is not whole seconds or ICU says no. */
static void tz_span(struct tz_entry *e, int64_t t)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t off;
	UDate tr;

	e->from = e->until = 0;
	off = ucal_get(e->cal, UCAL_ZONE_OFFSET, &st) + ucal_get(e->cal, UCAL_DST_OFFSET, &st);
	if (U_FAILURE(st) || off % 1000 != 0)
		return;
	int64_t from = TZ_MIN_T, until = TZ_MAX_T + 1;
	/* Transitions in ms; the first second at or after one has the new
	 * offset: ceil to seconds. */
	if (ucal_getTimeZoneTransitionDate(e->cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE, &tr,
					   &st) &&
	    U_SUCCESS(st))
		from = -tz_floor_div(-(int64_t)tr, 1000);
	st = U_ZERO_ERROR;
	if (ucal_getTimeZoneTransitionDate(e->cal, UCAL_TZ_TRANSITION_NEXT, &tr, &st) &&
	    U_SUCCESS(st))
		until = -tz_floor_div(-(int64_t)tr, 1000);
	if (U_FAILURE(st) || from > t || until <= t)
		return;
	e->from = from;
	e->until = until;
	e->off = off / 1000;
}

static int tz_in_span(const struct tz_entry *e, int64_t t)
{
	return t >= e->from && t < e->until;
}

static void tz_span_fields(const struct tz_entry *e, int64_t t, struct tz_local *out)
{
	int64_t local = t + e->off, days = tz_floor_div(local, TZ_DAY), y;
	int64_t tod = local - days * TZ_DAY;
	int m, d;

	tz_civil_from_days(days, &y, &m, &d);
	out->year = (int)y;
	out->month = m;
	out->day = d;
	out->hour = (int)(tod / 3600);
	out->minute = (int)(tod / 60 % 60);
	out->second = (int)(tod % 60);
	out->wday = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
}

static int tz_fields(struct tz_entry *e, int64_t t, struct tz_local *out)
{
	UCalendar *cal = e->cal;
	UErrorCode st = U_ZERO_ERROR;

	if (tz_in_span(e, t)) {
		tz_span_fields(e, t, out);
		return 0;
	}
	ucal_setMillis(cal, (UDate)t * 1000.0, &st);
	/* EXTENDED_YEAR avoids the BC era flip for local dates in year 0. */
	out->year = ucal_get(cal, UCAL_EXTENDED_YEAR, &st);
	out->month = ucal_get(cal, UCAL_MONTH, &st) + 1;
	out->day = ucal_get(cal, UCAL_DATE, &st);
	out->hour = ucal_get(cal, UCAL_HOUR_OF_DAY, &st);
	out->minute = ucal_get(cal, UCAL_MINUTE, &st);
	out->second = ucal_get(cal, UCAL_SECOND, &st);
	out->wday = ucal_get(cal, UCAL_DAY_OF_WEEK, &st) - UCAL_SUNDAY;
	if (U_FAILURE(st))
		return -1;
	tz_span(e, t);
	return 0;
}

int tz_local(const char *zone, int64_t t, struct tz_local *out)
{
	if (out == NULL || t < TZ_MIN_T || t > TZ_MAX_T)
		return -1;
	struct tz_entry *e = tz_entry(zone);
	if (e == NULL)
		return -1;
	struct tz_local tmp;
	int rc = tz_fields(e, t, &tmp);
	if (rc == 0)
		*out = tmp;
	return rc;
}

int tz_from_local(const char *zone, int year, int month, int day, int hour, int minute, int second,
		  int64_t *out)
{
	if (out == NULL || !tz_date_ok(year, month, day) || hour < 0 || hour > 23 || minute < 0 ||
	    minute > 59 || second < 0 || second > 59)
		return -1;
	UCalendar *cal = tz_open(zone);
	if (cal == NULL)
		return -1;
	UErrorCode st = U_ZERO_ERROR;
	ucal_clear(cal);
	ucal_setDateTime(cal, year, month - 1, day, hour, minute, second, &st);
	UDate ms = ucal_getMillis(cal, &st);
	if (U_FAILURE(st))
		return -1;
	int64_t t = tz_floor_div((int64_t)ms, 1000);
	/* Local year 1 in a zone east of UTC is still year 0 in UTC. */
	if (t < TZ_MIN_T - TZ_DAY || t > TZ_MAX_T + TZ_DAY)
		return -1;
	*out = t;
	return 0;
}

static int tz_in_window(int64_t tod, int64_t lo, int64_t hi)
{
	return lo < hi ? (tod >= lo && tod < hi) : (tod >= lo || tod < hi);
}

int64_t tz_next_window(const char *zone, int64_t t, int start_min, int end_min, int weekdays_only)
{
	if (start_min < 0 || start_min >= 24 * 60 || end_min < 0 || end_min > 24 * 60)
		return -1;
	if (t < TZ_MIN_T || t > TZ_MAX_T)
		return -1;
	struct tz_entry *e = tz_entry(zone);
	if (e == NULL)
		return -1;

	const int64_t lo = (int64_t)start_min * 60, hi = (int64_t)end_min * 60;
	int64_t x = t, result = -1;
	/* Walk forward from t.  Between two UTC-offset transitions local time
     * runs linearly, so the next instant where "allowed" can flip on is the
     * nearest of: the window start, local midnight (weekday changes), or
     * the next transition (local time jumps, possibly into the window). */
	for (int step = 0; step < TZ_WINDOW_MAX_STEPS && x <= TZ_MAX_T; step++) {
		struct tz_local l;
		if (tz_fields(e, x, &l) != 0)
			break;
		int64_t tod = (int64_t)l.hour * 3600 + l.minute * 60 + l.second;
		int weekend = weekdays_only && (l.wday == 0 || l.wday == 6);
		if (!weekend && tz_in_window(tod, lo, hi)) {
			result = x;
			break;
		}
		int64_t adv = TZ_DAY - tod;
		if (!weekend) {
			int64_t to_start = lo - tod;
			if (to_start <= 0)
				to_start += TZ_DAY;
			if (to_start < adv)
				adv = to_start;
		}
		if (tz_in_span(e, x)) {
			/* the span ends at the next transition */
			if (e->until <= TZ_MAX_T && e->until - x < adv)
				adv = e->until - x;
		} else {
			/* tz_fields left the calendar at x */
			UErrorCode st = U_ZERO_ERROR;
			UDate tr;
			if (ucal_getTimeZoneTransitionDate(e->cal, UCAL_TZ_TRANSITION_NEXT, &tr,
							   &st) &&
			    U_SUCCESS(st)) {
				int64_t trs = -tz_floor_div(-(int64_t)tr, 1000); /* ceil */
				if (trs > x && trs - x < adv)
					adv = trs - x;
			}
		}
		x += adv;
	}
	return result;
}


/* A long-date format for an ICU locale id, or NULL when ICU has no data
 * for its language. */
static UDateFormat *tz_df_open(const char *loc)
{
	/* The date is rendered as midnight UTC formatted in UTC, so no zone
     * offset can move it to a neighbouring day. */
	static const UChar utc[] = {'U', 'T', 'C', 0};
	UErrorCode st = U_ZERO_ERROR;
	UDateFormat *df = udat_open(UDAT_NONE, UDAT_LONG, loc, utc, -1, NULL, 0, &st);
	if (U_SUCCESS(st)) {
		const char *valid = udat_getLocaleByType(df, ULOC_VALID_LOCALE, &st);
		if (U_SUCCESS(st) && (valid == NULL || iculoc_fell_back(loc, valid)))
			st = U_UNSUPPORTED_ERROR;
	}
	if (U_FAILURE(st)) {
		udat_close(df);
		return NULL;
	}
	/* Proleptic Gregorian as elsewhere; non-Gregorian calendars (th, fa)
     * reject this with an error that is deliberately ignored. */
	UCalendar *cal = ucal_clone(udat_getCalendar(df), &st);
	if (U_SUCCESS(st)) {
		UErrorCode ignored = U_ZERO_ERROR;
		ucal_setGregorianChange(cal, U_DATE_MIN, &ignored);
		udat_setCalendar(df, cal);
	}
	ucal_close(cal);
	if (U_FAILURE(st)) {
		udat_close(df);
		return NULL;
	}
	return df;
}

/* Date formats are kept open per thread too (udat_open costs more than
 * ucal_open), by locale id. */
#define TZ_DF_CACHE 8
static _Thread_local struct {
	char loc[ULOC_FULLNAME_CAPACITY];
	UDateFormat *df;
} tz_df_cache[TZ_DF_CACHE];
static _Thread_local unsigned tz_df_next;

static UDateFormat *tz_df_get(const char *loc)
{
	for (int i = 0; i < TZ_DF_CACHE; i++)
		if (tz_df_cache[i].df && strcmp(tz_df_cache[i].loc, loc) == 0)
			return tz_df_cache[i].df;
	UDateFormat *df = tz_df_open(loc);
	if (df == NULL)
		return NULL;
	unsigned slot = tz_df_next++ % TZ_DF_CACHE;
	if (tz_df_cache[slot].df)
		udat_close(tz_df_cache[slot].df);
	tz_df_cache[slot].df = df;
	snprintf(tz_df_cache[slot].loc, sizeof tz_df_cache[slot].loc, "%s", loc);
	return df;
}

int tz_format_date(int year, int month, int day, const char *locale, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	char loc[ULOC_FULLNAME_CAPACITY];
	if (!tz_date_ok(year, month, day) || iculoc_from_tag(locale, loc, (int32_t)sizeof loc) != 0)
		return -1;
	UDateFormat *df = tz_df_get(loc);
	if (df == NULL)
		return -1;

	UErrorCode st = U_ZERO_ERROR;
	UChar u[128];
	UDate when = (UDate)tz_days_from_civil(year, month, day) * (TZ_DAY * 1000.0);
	int32_t ulen = udat_format(df, when, u, (int32_t)(sizeof u / sizeof u[0]), NULL, &st);

	int32_t cap = len > INT32_MAX ? INT32_MAX : (int32_t)len;
	int32_t out = 0;
	if (U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING)
		u_strToUTF8(buf, cap, &out, u, ulen, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || out >= cap) {
		buf[0] = '\0';
		return -1;
	}
	return (int)out;
}

/* ---- ISO 8601 (pure C) ---- */

/* Exactly n ASCII digits at *p; advances *p. */
static int tz_digits(const char **p, int n, int *val)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*val = v;
	return 0;
}

int tz_parse_iso8601(const char *s, int64_t *out)
{
	if (s == NULL || out == NULL)
		return -1;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t offset = 0;
	if (tz_digits(&p, 4, &y) || *p++ != '-' || tz_digits(&p, 2, &mo) || *p++ != '-' ||
	    tz_digits(&p, 2, &d))
		return -1;
	if (!tz_date_ok(y, mo, d))
		return -1;
	if (*p == 'T') {
		p++;
		if (tz_digits(&p, 2, &h) || *p++ != ':' || tz_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (tz_digits(&p, 2, &sec))
				return -1;
			if (*p == '.') { /* sub-second precision is dropped, not rejected */
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			int oh, om;
			if (tz_digits(&p, 2, &oh) || *p++ != ':' || tz_digits(&p, 2, &om) ||
			    oh > 23 || om > 59)
				return -1;
			offset = sign * ((int64_t)oh * 3600 + om * 60);
		} else {
			return -1;
		}
	}
	if (*p != '\0')
		return -1;
	*out = tz_days_from_civil(y, mo, d) * TZ_DAY + h * 3600 + mi * 60 + sec - offset;
	return 0;
}

void tz_format_iso8601(int64_t t, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return;
	int64_t days = tz_floor_div(t, TZ_DAY);
	int64_t secs = t - days * TZ_DAY;
	int64_t y;
	int m, d;
	tz_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
