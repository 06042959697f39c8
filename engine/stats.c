#include "stats.h"

#include <math.h>

void stats_wilson(int64_t k, int64_t n, double z, double *lo, double *hi)
{
	double nn, p, z2, denom, centre, half;

	if (n <= 0 || k < 0 || k > n) {
		*lo = 0.0;
		*hi = 1.0;
		return;
	}
	nn = (double)n;
	p = (double)k / nn;
	z2 = z * z;
	denom = 1.0 + z2 / nn;
	centre = (p + z2 / (2.0 * nn)) / denom;
	half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
	*lo = centre - half < 0.0 ? 0.0 : centre - half;
	*hi = centre + half > 1.0 ? 1.0 : centre + half;
	/* At k == 0 or k == n the bound is exact; rounding must not move it. */
	if (k == 0)
		*lo = 0.0;
	if (k == n)
		*hi = 1.0;
}

int stats_two_prop(int64_t k1, int64_t n1, int64_t k2, int64_t n2, double *z, double *p)
{
	double p1, p2, pool, se;

	*z = 0.0;
	*p = 1.0;
	if (n1 <= 0 || n2 <= 0 || k1 < 0 || k2 < 0 || k1 > n1 || k2 > n2)
		return -1;
	p1 = (double)k1 / (double)n1;
	p2 = (double)k2 / (double)n2;
	pool = (double)(k1 + k2) / (double)(n1 + n2);
	se = sqrt(pool * (1.0 - pool) * (1.0 / (double)n1 + 1.0 / (double)n2));
	if (!(se > 0.0))
		return -1;
	*z = (p2 - p1) / se;
	/* Two-sided: P(|Z| >= |z|) = erfc(|z| / sqrt 2). */
	*p = erfc(fabs(*z) / sqrt(2.0));
	return 0;
}
