/* fee.c - see fee.h. */
#include "fee.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jconf.h"
#include "money.h"

#define FEE_DENOM ((int64_t)100 * FEE_RATE_SCALE) /* 10^6: rate is per million */

int64_t fee_percent(int64_t base, uint32_t rate)
{
	if (base <= 0 || rate == 0)
		return 0;
	/* base = q * 10^6 + r: q * rate is exact, and r * rate < 10^12 needs
	 * no wider type; only the remainder part is rounded. */
	int64_t q = base / FEE_DENOM, r = base % FEE_DENOM;
	return q * (int64_t)rate + (r * (int64_t)rate + FEE_DENOM / 2) / FEE_DENOM;
}

int64_t fee_lookup(const struct fee_amount *list, size_t n, const char *currency)
{
	for (size_t i = 0; currency && i < n; i++)
		if (strcmp(list[i].currency, currency) == 0)
			return list[i].minor;
	return -1;
}

int fee_charges_in(const struct fee_rule *r, const char *currency)
{
	return r &&
		(fee_lookup(r->fixed, r->nfixed, currency) > 0 ||
		 (r->rate > 0 && fee_lookup(r->cap, r->ncap, currency) >= 0));
}

const char *fee_kind(const struct fee_rule *r, const char *currency)
{
	int fixed, percent;

	if (!fee_charges_in(r, currency))
		return NULL;
	fixed = fee_lookup(r->fixed, r->nfixed, currency) > 0;
	percent = r->rate > 0 && fee_lookup(r->cap, r->ncap, currency) >= 0;
	return fixed && percent ? "fixed+percent" : fixed ? "fixed" : "percent";
}

int64_t fee_compute(const struct fee_rule *r, const char *currency, int64_t base, int64_t already,
		    int64_t legal_max, struct fee_calc *out)
{
	struct fee_calc k = {0};

	if (fee_charges_in(r, currency)) {
		int64_t fixed = fee_lookup(r->fixed, r->nfixed, currency);
		int64_t cap = fee_lookup(r->cap, r->ncap, currency);
		k.fixed = fixed > 0 ? fixed : 0;
		k.percent = cap >= 0 ? fee_percent(base, r->rate) : 0;
		k.amount = k.fixed + k.percent; /* both <= 10^18: no overflow */
		if (cap >= 0 && k.amount > cap) {
			k.amount = cap;
			k.capped = 1;
		}
		if (legal_max >= 0) {
			int64_t room = legal_max - (already > 0 ? already : 0);
			if (room < 0)
				room = 0;
			if (k.amount > room) {
				k.amount = room;
				k.capped = 2;
			}
		}
	}
	if (out)
		*out = k;
	return k.amount;
}

/* One amount of a currency object: a string in major units as on a bill
 * ("5.00"), or a whole number for a currency without a minor unit. */
static int fee_amount_at(struct jconf *c, const char *path, const char *cur, json_t *v,
			 int64_t *minor)
{
	char err[MONEY_ERR_MAX], num[32];
	const char *text;

	if (money_exponent(cur) < 0) {
		jconf_error(c, path, 1, "unknown currency '%s'", cur);
		return -1;
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		text = num;
	} else if (json_is_string(v)) {
		text = json_string_value(v);
	} else {
		jconf_error(c, path, 0, "amount must be a string in major units, e.g. \"5.00\"");
		return -1;
	}
	if (money_parse(text, cur, minor, err, sizeof err) != 0) {
		jconf_error(c, path, 0, "%s", err);
		return -1;
	}
	if (*minor > 1000000000000000) {
		jconf_error(c, path, 0, "amount too large");
		return -1;
	}
	return 0;
}

/* An object of currency codes to amounts into list; zero is allowed only
 * where zero_ok (a cap of 0 turns a currency's percentage off). */
static size_t fee_amounts(struct jconf *c, json_t *obj, const char *path, const char *key,
			  struct fee_amount *list, int zero_ok)
{
	json_t *o = jconf_obj(c, obj, path, key, 0), *v;
	char *opath = jconf_path(path, key);
	const char *cur;
	size_t n = 0;

	if (o && json_object_size(o) == 0)
		jconf_error(c, opath, 0, "'%s' names no currency", key);
	json_object_foreach(o, cur, v)
	{
		char *cpath = jconf_path(opath, cur);
		int64_t minor;
		if (n == FEE_MAX_CURRENCIES)
			jconf_error(c, cpath, 1, "at most %d currencies", FEE_MAX_CURRENCIES);
		else if (fee_amount_at(c, cpath, cur, v, &minor) != 0)
			;
		else if (minor == 0 && !zero_ok)
			jconf_error(c, cpath, 0, "a fee of 0: leave the currency out");
		else {
			memcpy(list[n].currency, cur, 4);
			list[n++].minor = minor;
		}
		free(cpath);
	}
	free(opath);
	return n;
}

/* "percent": a number above 0 and at most 100, with at most 4 decimals. */
static uint32_t fee_rate(struct jconf *c, json_t *obj, const char *path)
{
	json_t *v = json_object_get(obj, "percent");
	char *ppath = jconf_path(path, "percent");
	uint32_t rate = 0;

	if (!v)
		goto out;
	if (!json_is_number(v)) {
		jconf_error(c, ppath, 0, "'percent' must be a number, e.g. 1.5");
		goto out;
	}
	double pct = json_number_value(v), scaled = pct * FEE_RATE_SCALE;
	if (!(pct > 0) || pct > 100) {
		jconf_error(c, ppath, 0, "'percent' must be above 0 and at most 100, not %g", pct);
		goto out;
	}
	if (fabs(scaled - nearbyint(scaled)) > 1e-6) {
		jconf_error(c, ppath, 0, "'percent' has at most 4 decimals");
		goto out;
	}
	rate = (uint32_t)nearbyint(scaled);
out:
	free(ppath);
	return rate;
}

void fee_load(struct jconf *c, json_t *v, const char *path, struct fee_rule **out)
{
	static const char *const keys[] = {"fixed", "percent", "cap", NULL};
	struct fee_rule *r;

	*out = NULL;
	if (!v)
		return;
	if (!json_is_object(v)) {
		jconf_error(c, path, 0,
			    "a fee is an object {\"fixed\": {CUR: amount}, \"percent\": N, "
			    "\"cap\": {CUR: amount}}");
		return;
	}
	jconf_keys(c, v, path, keys);
	r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->nfixed = fee_amounts(c, v, path, "fixed", r->fixed, 0);
	r->ncap = fee_amounts(c, v, path, "cap", r->cap, 1);
	r->rate = fee_rate(c, v, path);
	if (!json_object_get(v, "fixed") && !json_object_get(v, "percent"))
		jconf_error(c, path, 0, "a fee needs 'fixed', 'percent' or both");
	if (json_object_get(v, "percent") && !json_object_get(v, "cap"))
		jconf_error(c, path, 0,
			    "a percent fee needs 'cap' with an amount per currency it charges in");
	if (r->rate > 0 && r->ncap > 0) {
		/* Every currency the fee charges in has its percentage capped. */
		for (size_t i = 0; i < r->nfixed; i++)
			if (fee_lookup(r->cap, r->ncap, r->fixed[i].currency) < 0) {
				char *cp = jconf_path(path, "cap");
				jconf_error(c, cp, 0, "a percent fee needs a cap in %s too",
					    r->fixed[i].currency);
				free(cp);
			}
	}
	if (json_object_get(v, "cap") && !json_object_get(v, "percent"))
		jconf_error(c, path, 0, "'cap' bounds a percent fee: give 'percent' or drop 'cap'");
	*out = r;
}

void fee_load_limits(struct jconf *c, json_t *root, const char *key, struct fee_limits *out)
{
	memset(out, 0, sizeof *out);
	out->n = fee_amounts(c, root, "", key, out->max, 0);
}

void fee_check_limits(struct jconf *c, const char *path, const struct fee_rule *r,
		      const struct fee_limits *lim)
{
	char *fp;

	if (!r || !lim)
		return;
	for (size_t i = 0; i < lim->n; i++) {
		const char *cur = lim->max[i].currency;
		int64_t fixed = fee_lookup(r->fixed, r->nfixed, cur);
		int64_t cap = fee_lookup(r->cap, r->ncap, cur);
		if (fixed > lim->max[i].minor) {
			fp = jconf_path(path, "fixed");
			jconf_error(c, fp, 0, "the fixed fee in %s is above fee_legal_max", cur);
			free(fp);
		}
		if (r->rate > 0 && cap > lim->max[i].minor) {
			fp = jconf_path(path, "cap");
			jconf_error(c, fp, 0, "the cap in %s is above fee_legal_max", cur);
			free(fp);
		}
	}
}
