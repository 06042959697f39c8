/* money.c - see money.h. */
#include "money.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucurr.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include "iculoc.h"

/* Enough for "-" + 19 digits + "." + padding zeros + NUL at any exponent
 * ICU reports (at most 4 today; 9 is our own cap). */
#define MONEY_DEC_MAX 40
#define MONEY_MAX_EXPONENT 9

/* ISO 4217 gives these codes no minor unit ("N.A."); ICU still answers 2
 * for them, which would silently invent cents for gold or test codes. */
static const char money_no_minor_unit[][4] = {
	"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
};

static int money_code_ok(const char *c)
{
	if (c == NULL)
		return 0;
	for (int i = 0; i < 3; i++)
		if (c[i] < 'A' || c[i] > 'Z')
			return 0;
	return c[3] == '\0';
}

int money_exponent(const char *currency)
{
	if (!money_code_ok(currency))
		return -1;
	for (size_t i = 0; i < sizeof money_no_minor_unit / sizeof money_no_minor_unit[0]; i++)
		if (memcmp(currency, money_no_minor_unit[i], 3) == 0)
			return -1;

	UChar code[4];
	u_charsToUChars(currency, code, 4);

	/* ucurr_getDefaultFractionDigits answers 2 for any string, so existence
     * must be checked separately; the whole date range admits historic
     * currencies (DEM) as ICU knows them. */
	UErrorCode st = U_ZERO_ERROR;
	UBool known = ucurr_isAvailable(code, U_DATE_MIN, U_DATE_MAX, &st);
	if (U_FAILURE(st) || !known)
		return -1;

	st = U_ZERO_ERROR;
	int32_t digits = ucurr_getDefaultFractionDigits(code, &st);
	if (U_FAILURE(st) || digits < 0 || digits > MONEY_MAX_EXPONENT)
		return -1;
	return (int)digits;
}

__attribute__((format(printf, 3, 4))) static void money_seterr(char *err, size_t errlen,
							       const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int money_parse(const char *text, const char *currency, int64_t *minor, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL || minor == NULL) {
		money_seterr(err, errlen, "missing amount");
		return -1;
	}
	int exp = money_exponent(currency);
	if (exp < 0) {
		money_seterr(err, errlen, "unknown currency \"%.8s\"",
			     currency ? currency : "(null)");
		return -1;
	}
	if (text[0] == '\0') {
		money_seterr(err, errlen, "empty amount");
		return -1;
	}
	if (text[0] == '-') {
		money_seterr(err, errlen, "negative amounts are not allowed");
		return -1;
	}
	/* Diagnose the common human mistakes by name before the generic error. */
	for (const char *p = text; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
		    *p == '\f') {
			money_seterr(err, errlen, "amount contains spaces");
			return -1;
		}
	}
	for (const char *p = text; *p; p++) {
		if (*p == ',' || *p == '\'' || *p == '_') {
			money_seterr(err, errlen, "thousands separators are not allowed");
			return -1;
		}
	}

	const char *p = text;
	uint64_t ipart = 0;
	size_t idigits = 0;
	int overflow = 0;
	for (; *p >= '0' && *p <= '9'; p++, idigits++) {
		unsigned d = (unsigned)(*p - '0');
		if (ipart > ((uint64_t)INT64_MAX - d) / 10)
			overflow = 1; /* keep scanning so syntax errors win */
		else
			ipart = ipart * 10 + d;
	}
	if (idigits == 0 || (*p != '.' && *p != '\0')) {
		money_seterr(err, errlen, "not a number");
		return -1;
	}

	uint64_t fpart = 0;
	size_t fdigits = 0; /* size_t: a hostile input may be gigabytes long */
	if (*p == '.') {
		if (exp == 0) {
			money_seterr(err, errlen,
				     "%s has no minor unit: fractional amount not allowed",
				     currency);
			return -1;
		}
		p++;
		for (; *p >= '0' && *p <= '9'; p++, fdigits++)
			if (fdigits <= MONEY_MAX_EXPONENT) /* excess is an error below */
				fpart = fpart * 10 + (unsigned)(*p - '0');
		if (*p != '\0') {
			money_seterr(err, errlen, "not a number");
			return -1;
		}
		if (fdigits == 0) {
			money_seterr(err, errlen, "no digits after the decimal point");
			return -1;
		}
		if (fdigits > (size_t)exp) {
			money_seterr(err, errlen, "amount has %zu decimals but %s allows %d",
				     fdigits, currency, exp);
			return -1;
		}
	}

	/* minor = ipart * 10^exp + fpart * 10^(exp - fdigits), overflow-checked. */
	uint64_t v = ipart;
	for (int i = 0; i < exp && !overflow; i++) {
		if (v > (uint64_t)INT64_MAX / 10)
			overflow = 1;
		else
			v *= 10;
	}
	for (size_t i = fdigits; i < (size_t)exp; i++)
		fpart *= 10; /* fpart < 10^exp <= 10^9: cannot overflow */
	if (!overflow && v > (uint64_t)INT64_MAX - fpart)
		overflow = 1;
	if (overflow) {
		money_seterr(err, errlen, "amount too large");
		return -1;
	}
	*minor = (int64_t)(v + fpart);
	return 0;
}

/* Exact decimal rendering of minor/10^exp ("-0.05"); this is both the plain
 * form and what ICU gets, so no double ever touches the amount. */
static int money_decimal(int64_t minor, int exp, char *out, size_t len)
{
	char digits[24];
	int n = 0;
	/* Negate in unsigned arithmetic so INT64_MIN works. */
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	do {
		digits[n++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	while (n < exp + 1) /* at least one integer digit: "0.05" */
		digits[n++] = '0';

	size_t need = (size_t)n + (minor < 0) + (exp > 0) + 1;
	if (out == NULL || need > len)
		return -1;
	char *w = out;
	if (minor < 0)
		*w++ = '-';
	for (int i = n - 1; i >= 0; i--) {
		*w++ = digits[i];
		if (i == exp && exp > 0)
			*w++ = '.';
	}
	*w = '\0';
	return (int)(w - out);
}

int money_plain(int64_t minor, const char *currency, char *buf, size_t len)
{
	if (buf != NULL && len > 0)
		buf[0] = '\0';
	int exp = money_exponent(currency);
	if (exp < 0)
		return -1;
	int n = money_decimal(minor, exp, buf, len);
	if (n < 0 && buf != NULL && len > 0)
		buf[0] = '\0';
	return n;
}


/* A currency format for an ICU locale id and currency, or NULL when ICU
 * has no data for the language. */
static UNumberFormat *money_fmt_open(const char *loc, const char *currency, int exp)
{
	UErrorCode st = U_ZERO_ERROR;
	UNumberFormat *fmt = unum_open(UNUM_CURRENCY, NULL, 0, loc, NULL, &st);
	if (U_SUCCESS(st)) {
		const char *valid = unum_getLocaleByType(fmt, ULOC_VALID_LOCALE, &st);
		if (U_SUCCESS(st) && (valid == NULL || iculoc_fell_back(loc, valid)))
			st = U_UNSUPPORTED_ERROR;
	}
	if (U_FAILURE(st)) {
		unum_close(fmt);
		return NULL;
	}
	UChar code[4];
	u_charsToUChars(currency, code, 4);
	unum_setTextAttribute(fmt, UNUM_CURRENCY_CODE, code, 3, &st);
	/* Pin the digits to the exponent and forbid rounding: the amount is
     * already exact, so any rounding ICU wanted to do would be a bug. */
	unum_setAttribute(fmt, UNUM_MIN_FRACTION_DIGITS, exp);
	unum_setAttribute(fmt, UNUM_MAX_FRACTION_DIGITS, exp);
	unum_setAttribute(fmt, UNUM_ROUNDING_MODE, UNUM_ROUND_UNNECESSARY);
	if (U_FAILURE(st)) {
		unum_close(fmt);
		return NULL;
	}
	return fmt;
}

/* unum_open costs ICU locale lookups under locks, about a tenth of dunnd's
 * CPU per reminder (measured by bench/), and a book has few locale and
 * currency pairs: each thread keeps its last MONEY_CACHE formats open. */
#define MONEY_CACHE 16
static _Thread_local struct {
	char loc[ULOC_FULLNAME_CAPACITY];
	char currency[4];
	UNumberFormat *fmt;
} money_cache[MONEY_CACHE];
static _Thread_local unsigned money_cache_next;

static UNumberFormat *money_fmt_get(const char *loc, const char *currency, int exp)
{
	for (int i = 0; i < MONEY_CACHE; i++)
		if (money_cache[i].fmt && strcmp(money_cache[i].currency, currency) == 0 &&
		    strcmp(money_cache[i].loc, loc) == 0)
			return money_cache[i].fmt;
	UNumberFormat *fmt = money_fmt_open(loc, currency, exp);
	if (fmt == NULL)
		return NULL;
	unsigned slot = money_cache_next++ % MONEY_CACHE;
	if (money_cache[slot].fmt)
		unum_close(money_cache[slot].fmt);
	money_cache[slot].fmt = fmt;
	snprintf(money_cache[slot].loc, sizeof money_cache[slot].loc, "%s", loc);
	snprintf(money_cache[slot].currency, sizeof money_cache[slot].currency, "%s", currency);
	return fmt;
}

int money_format(int64_t minor, const char *currency, const char *locale, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';

	int exp = money_exponent(currency);
	if (exp < 0)
		return -1;
	char loc[ULOC_FULLNAME_CAPACITY];
	if (iculoc_from_tag(locale, loc, (int32_t)sizeof loc) != 0)
		return -1;
	char dec[MONEY_DEC_MAX];
	int declen = money_decimal(minor, exp, dec, sizeof dec);
	if (declen < 0)
		return -1;

	UErrorCode st = U_ZERO_ERROR;
	UNumberFormat *fmt = money_fmt_get(loc, currency, exp);
	if (fmt == NULL)
		return -1;

	UChar ustack[128];
	UChar *u = ustack;
	int32_t ulen = 0;
	if (U_SUCCESS(st)) {
		ulen = unum_formatDecimal(fmt, dec, declen, u,
					  (int32_t)(sizeof ustack / sizeof ustack[0]), NULL, &st);
		if (st == U_BUFFER_OVERFLOW_ERROR) {
			/* Unlikely (long currency names); retry at the reported size. */
			st = U_ZERO_ERROR;
			u = malloc(((size_t)ulen + 1) * sizeof *u);
			if (u == NULL)
				st = U_MEMORY_ALLOCATION_ERROR;
			else
				ulen = unum_formatDecimal(fmt, dec, declen, u, ulen + 1, NULL, &st);
		}
	}

	int result = -1;
	if (U_SUCCESS(st)) {
		int32_t cap = len > INT32_MAX ? INT32_MAX : (int32_t)len;
		int32_t out = 0;
		u_strToUTF8(buf, cap, &out, u, ulen, &st);
		/* NOT_TERMINATED means it fitted without the NUL: still too small. */
		if (U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING && out < cap)
			result = (int)out;
	}
	if (u != ustack)
		free(u);
	if (result < 0)
		buf[0] = '\0';
	return result;
}

int money_style_parse(const char *s)
{
	if (s && !strcmp(s, "symbol"))
		return MONEY_STYLE_SYMBOL;
	if (s && !strcmp(s, "unit"))
		return MONEY_STYLE_UNIT;
	return -1;
}

/* 1 if locale's language subtag is lang (2 letters), any case. */
static int money_lang_is(const char *locale, const char *lang)
{
	return locale && strncasecmp(locale, lang, 2) == 0 &&
		(locale[2] == '\0' || locale[2] == '-' || locale[2] == '_');
}

enum money_style money_style_default(const char *locale)
{
	return money_lang_is(locale, "ko") || money_lang_is(locale, "ja") ? MONEY_STYLE_UNIT
									  : MONEY_STYLE_SYMBOL;
}

/* The word a bill in locale writes after an amount of its own currency. */
static const char *money_unit(const char *currency, const char *locale)
{
	if (!strcmp(currency, "KRW") && money_lang_is(locale, "ko"))
		return "\xec\x9b\x90"; /* 원 */
	if (!strcmp(currency, "JPY") && money_lang_is(locale, "ja"))
		return "\xe5\x86\x86"; /* 円 */
	if (!strcmp(currency, "CNY") && money_lang_is(locale, "zh"))
		return "\xe5\x85\x83"; /* 元 */
	return NULL;
}

int money_format_style(int64_t minor, const char *currency, const char *locale,
		       enum money_style style, char *buf, size_t len)
{
	char dec[MONEY_DEC_MAX];
	const char *unit;
	int exp, n;
	size_t o = 0, intlen;

	if (style != MONEY_STYLE_UNIT || !currency || !(unit = money_unit(currency, locale)))
		return money_format(minor, currency, locale, buf, len);
	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	exp = money_exponent(currency);
	n = exp < 0 ? -1 : money_decimal(minor, exp, dec, sizeof dec);
	if (n < 0)
		return -1;
	/* Korean, Japanese and Chinese bills group by thousands with a comma
     * and mark the fraction with a point. */
	const char *digits = dec[0] == '-' ? dec + 1 : dec;
	intlen = strcspn(digits, ".");
	char out[MONEY_DEC_MAX * 2 + 8];
	if (dec[0] == '-')
		out[o++] = '-';
	for (size_t i = 0; i < intlen; i++) {
		if (i > 0 && (intlen - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	n = snprintf(out + o, sizeof out - o, "%s%s", digits + intlen, unit);
	if (n < 0 || (size_t)n >= sizeof out - o)
		return -1;
	o += (size_t)n;
	if (o >= len)
		return -1;
	memcpy(buf, out, o + 1);
	return (int)o;
}
