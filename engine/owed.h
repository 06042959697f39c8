/* What an account owes, per currency, as the database reports it:
 * "USD:1000,KRW:5000" (dunning.account_owed's numeric sums, aggregated
 * by the caller's SQL). Amounts of different currencies are never added;
 * a list is shown as each total in its own currency, joined by " + ". */
#ifndef DUNN_OWED_H
#define DUNN_OWED_H

#include <stddef.h>
#include <stdint.h>

/* The bound of one amount (an invoice, a ledger entry), in minor units:
 * import and dunnctl pay refuse more, and the schema checks it. */
#define OWED_MAX_AMOUNT INT64_C(1000000000000000)
/* The bound of any total: more is refused as out of range, never wrapped
 * (a thousand invoices at the bound). */
#define OWED_MAX_TOTAL INT64_C(1000000000000000000)
#define OWED_MAX_CURRENCIES 8

struct owed {
	char currency[4];
	int64_t minor;
};

/* Parse "CUR:N,CUR:N" (N a non-negative integer, as PostgreSQL prints a
 * numeric sum) into out[max]; NULL or "" is an empty list. Entries of 0
 * are dropped. Returns how many, or -1 on a malformed list, more than max
 * currencies or a total above OWED_MAX_TOTAL. */
int owed_parse(const char *list, struct owed *out, size_t max);

/* Each amount formatted for locale (money_format), joined by " + ";
 * "0 CUR"-style plain text for a currency ICU cannot format. Returns the
 * length, or -1 when buf is too small. An empty list gives "". */
int owed_format(const struct owed *v, size_t n, const char *locale, char *buf, size_t len);
/* owed_format with each amount in style (money_format_style); style is
 * an enum money_style. */
int owed_format_style(const struct owed *v, size_t n, const char *locale, int style, char *buf,
		      size_t len);

/* *sum += add, refused (-1, *sum untouched) past OWED_MAX_TOTAL or on
 * overflow. */
int owed_add(int64_t *sum, int64_t add);

#endif
