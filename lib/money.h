/* money.h - currency amounts as integer minor units (ISO 4217 + ICU).
 *
 * Amounts are int64_t counts of the currency's minor unit (cents for USD,
 * fils for KWD, whole won for KRW) so arithmetic is exact; only parsing and
 * display deal with decimal points.  All functions are thread-safe: ICU
 * objects are opened per call and no mutable globals exist.
 */
#ifndef DUNND_MONEY_H
#define DUNND_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Longest message money_parse() writes into err, including the NUL. */
#define MONEY_ERR_MAX 96

/* Number of minor-unit digits of an ISO 4217 currency (0 for KRW and JPY,
 * 2 for USD/EUR, 3 for KWD/BHD, 4 for CLF); -1 if the code is not a known
 * currency.  The code must be exactly 3 uppercase ASCII letters.  Codes that
 * ISO 4217 lists with no minor unit at all ("N.A.": XXX, XTS, XAU, XDR, ...)
 * are not billable and also give -1, although ICU knows them. */
int money_exponent(const char *currency);

/* Parse an amount written in major units as on a bill ("49.90", "120000",
 * "0.5") into minor units.  Fewer fraction digits than the exponent are fine
 * ("49.9" USD = 4990).  Rejected: NULL/empty, negative, '+', spaces,
 * thousands separators, a bare or trailing '.', any fraction for 0-exponent
 * currencies ("5000.5" and "5000.00" JPY), more fraction digits than the
 * exponent, non-digits, values above INT64_MAX, unknown currency.
 * Returns 0 and sets *minor on success; -1 with a short human message in
 * err (if err is non-NULL and errlen > 0) on failure, *minor untouched. */
int money_parse(const char *text, const char *currency, int64_t *minor, char *err, size_t errlen);

/* Format minor units for a customer in a BCP 47 locale ("en", "ko-KR",
 * "zh-CN"; ICU ids such as "en_US" are accepted too) with ICU's currency
 * formatter, e.g. "en" USD 4990 -> "$49.90", "ja" JPY 5000 -> "￥5,000".
 * Exact for every int64_t (the number goes to ICU as a decimal string).
 * Negative amounts (credits) are formatted with the locale's minus sign.
 * A language ICU has no data for ("xx") is an error rather than ICU's
 * silent fallback to the process default locale.  UTF-8, NUL-terminated.
 * Returns the length in bytes, or -1 (unknown currency, malformed or
 * unsupported locale, buffer too small; buf is then "" if len > 0). */
int money_format(int64_t minor, const char *currency, const char *locale, char *buf, size_t len);

/* How an amount is written: with the currency's symbol as ICU has it
 * ("₩1,289,000", "￥5,000", "$49.90"), or as local bills write their own
 * currency, the number and then the unit ("1,289,000원", "5,000円",
 * "128.40元"). The unit form exists for KRW in Korean, JPY in Japanese and
 * CNY in Chinese; any other pair is written with the symbol. */
enum money_style { MONEY_STYLE_SYMBOL, MONEY_STYLE_UNIT };
/* "symbol" or "unit" -> the style; -1 for anything else. */
int money_style_parse(const char *s);
/* The style a locale uses when the configuration names none: unit for
 * Korean and Japanese, symbol for the rest. */
enum money_style money_style_default(const char *locale);
/* money_format in style; same contract. */
int money_format_style(int64_t minor, const char *currency, const char *locale,
		       enum money_style style, char *buf, size_t len);
/* Plain, locale-free major-unit string for CSV/logs: 4990 USD -> "49.90",
 * 120000 KRW -> "120000", -5 USD -> "-0.05".  Returns length or -1 (unknown
 * currency, buffer too small; buf is then "" if len > 0). */
int money_plain(int64_t minor, const char *currency, char *buf, size_t len);

#endif
