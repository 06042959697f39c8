/* Late fees: what a step of the policy charges, in integer minor units.
 *
 * A step's "fee" is a fixed amount per currency, a percentage of what is
 * overdue in that currency, or both, with a cap per currency on the
 * step's fee; the policy's "fee_legal_max" bounds the fees of one case per
 * currency (waived ones do not count). The percentage applies to the
 * overdue remainder of the invoices only, never to earlier fees: fees are
 * ledger lines of their own (dunning.fees) and never change an invoice.
 *
 * Rounding: the percentage is rounded half up (half away from zero: the
 * amounts are never negative) to the currency's minor unit, whatever its
 * exponent (JPY 0, USD 2, KWD 3); the fixed part is added, then the cap,
 * then the legal maximum's room are applied to the rounded sum. */
#ifndef DUNN_FEE_H
#define DUNN_FEE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define FEE_MAX_CURRENCIES 16
/* percent is held as percent * 10^4 (1.5% = 15000): at most four
 * decimals, so the arithmetic stays in integers. */
#define FEE_RATE_SCALE 10000
#define FEE_RATE_MAX (100 * FEE_RATE_SCALE)

struct fee_amount {
	char currency[4];
	int64_t minor;
};

struct fee_rule {
	struct fee_amount fixed[FEE_MAX_CURRENCIES];
	size_t nfixed;
	struct fee_amount cap[FEE_MAX_CURRENCIES];
	size_t ncap;
	uint32_t rate; /* percent * FEE_RATE_SCALE; 0 = no percentage */
};

/* The per-currency bound of a case's fees (the policy's fee_legal_max). */
struct fee_limits {
	struct fee_amount max[FEE_MAX_CURRENCIES];
	size_t n;
};

/* How one fee came about, for simulate and the tests. */
struct fee_calc {
	int64_t fixed;   /* the fixed part */
	int64_t percent; /* the percentage of base, rounded */
	int64_t amount;  /* what is charged: after cap and legal maximum */
	int capped;      /* 1: the cap cut it, 2: the legal maximum did */
};

/* base * rate / (100 * FEE_RATE_SCALE), rounded half up; base >= 0,
 * rate <= FEE_RATE_MAX. Exact for every base up to INT64_MAX / 100. */
int64_t fee_percent(int64_t base, uint32_t rate);
/* The amount for currency in list, or -1 when the list does not name it. */
int64_t fee_lookup(const struct fee_amount *list, size_t n, const char *currency);
/* 1 if r charges anything in currency: a fixed amount there, or a
 * percentage with a cap there (a percentage is never charged uncapped). */
int fee_charges_in(const struct fee_rule *r, const char *currency);
/* What r charges in currency, as dunning.fees.kind: "fixed", "percent",
 * "fixed+percent", or NULL when it charges nothing there. A static string. */
const char *fee_kind(const struct fee_rule *r, const char *currency);
/* The fee r charges in currency on base (the overdue invoices' remainder,
 * minor units), when the case already carries `already` of unwaived fees
 * in that currency and the legal maximum is legal_max (-1: none).
 * Returns the amount (0: nothing to charge) and fills *out if non-NULL. */
int64_t fee_compute(const struct fee_rule *r, const char *currency, int64_t base, int64_t already,
		    int64_t legal_max, struct fee_calc *out);

struct jconf;
/* Load a step's "fee" object at path into a new rule (*out; left NULL
 * when v is NULL); every problem goes to the jconf's diag at its
 * file:line:column. */
void fee_load(struct jconf *c, json_t *v, const char *path, struct fee_rule **out);
/* Check rule r, loaded from path, against the policy's legal maximum: a
 * fixed amount or cap above it is an error. */
void fee_check_limits(struct jconf *c, const char *path, const struct fee_rule *r,
		      const struct fee_limits *lim);
/* Load the member key of root (the policy's "fee_legal_max"), if any. */
void fee_load_limits(struct jconf *c, json_t *root, const char *key, struct fee_limits *out);

#endif
