/* owed.c - see owed.h. */
#include "owed.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "money.h"

int owed_add(int64_t *sum, int64_t add)
{
	int64_t r;

	if (__builtin_add_overflow(*sum, add, &r) || r > OWED_MAX_TOTAL || r < -OWED_MAX_TOTAL)
		return -1;
	*sum = r;
	return 0;
}

/* A non-negative decimal integer up to OWED_MAX_TOTAL; end at the first
 * non-digit. PostgreSQL may print a numeric sum with a fraction of zeros
 * ("12.000") only after division, never for a sum of bigints. */
static int parse_minor(const char **s, int64_t *out)
{
	const char *p = *s;
	int64_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (OWED_MAX_TOTAL - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

int owed_parse(const char *list, struct owed *out, size_t max)
{
	const char *p = list;
	size_t n = 0;

	if (!list || !*list)
		return 0;
	for (;;) {
		int64_t v;
		if (strlen(p) < 4 || p[3] != ':')
			return -1;
		for (int i = 0; i < 3; i++)
			if (p[i] < 'A' || p[i] > 'Z')
				return -1;
		const char *q = p + 4;
		if (parse_minor(&q, &v) != 0 || (*q != ',' && *q != '\0'))
			return -1;
		if (v > 0) {
			if (n == max)
				return -1;
			memcpy(out[n].currency, p, 3);
			out[n].currency[3] = '\0';
			out[n].minor = v;
			n++;
		}
		if (*q == '\0')
			break;
		p = q + 1;
	}
	return (int)n;
}

int owed_format(const struct owed *v, size_t n, const char *locale, char *buf, size_t len)
{
	return owed_format_style(v, n, locale, MONEY_STYLE_SYMBOL, buf, len);
}

int owed_format_style(const struct owed *v, size_t n, const char *locale, int style, char *buf,
		      size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[96];
		int k;
		if (money_format_style(v[i].minor, v[i].currency, locale, (enum money_style)style,
				       one, sizeof one) < 0)
			snprintf(one, sizeof one, "%" PRId64 " %s", v[i].minor, v[i].currency);
		k = snprintf(buf + used, len - used, "%s%s", i ? " + " : "", one);
		if (k < 0 || (size_t)k >= len - used) {
			buf[0] = '\0';
			return -1;
		}
		used += (size_t)k;
	}
	return (int)used;
}
