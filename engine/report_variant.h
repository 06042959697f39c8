/* The report of an experiment's variants, for dunnctl report --by variant
 * and the console's dashboard: the rows of REPORT_SQL_VARIANTS (one per
 * experiment and variant) made into one document with each rate's 95%
 * Wilson interval and every variant tested against the baseline (the
 * policy's first variant of that experiment, else the first by name) with
 * a two-proportion z-test, and a verdict that says plainly when the
 * difference could be chance. Pure: no database, no output. */
#ifndef DUNN_REPORT_VARIANT_H
#define DUNN_REPORT_VARIANT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct policy;

/* The counts of a row, in the statement's order, and their JSON keys. */
enum report_variant_count {
	RV_CASES,
	RV_REMINDERS,
	RV_SENT,
	RV_DELIVERED,
	RV_OPT_OUTS,
	RV_DISPUTES,
	RV_PAID_7D,
	RV_PAID_30D,
	RV_NCOUNTS
};

struct report_variant_row {
	const char *experiment, *variant;
	int64_t n[RV_NCOUNTS];
	const char *recovered; /* "CUR:minor,..." or "" */
};

/* The document for rows (sorted by experiment, then variant) of the
 * period from .. to (UTC days):
 *   {"from", "to", "unit", "experiments": [{"experiment", "baseline",
 *     "variants": [{"variant", "cases", ..., "paid_30d", "recovered":
 *       {"USD": "12.00"}, "rates": {"paid_7d": {"rate", "low", "high"},
 *       ...}}],
 *     "comparisons": [{"variant", "against", "metric", "difference", "z",
 *       "p", "significant", "verdict"}]}]}
 * Rates are per case, except delivered per reminder; comparisons are made
 * on paid_7d, paid_30d, opt_outs and disputes. pol may be NULL. Caller
 * frees (json_decref); NULL only when out of memory. */
json_t *report_variant_json(const struct policy *pol, const struct report_variant_row *rows,
			    size_t n, const char *from, const char *to);

/* The same from the result of REPORT_SQL_VARIANTS. */
json_t *report_variant_from_result(const struct policy *pol, const PGresult *res, const char *from,
				   const char *to);

#endif
