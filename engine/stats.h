/* The statistics of an experiment's report: a confidence interval for a
 * rate and a test of two rates against each other. Pure arithmetic. */
#ifndef DUNN_STATS_H
#define DUNN_STATS_H

#include <stdint.h>

/* z for a two-sided 95% interval: the 0.975 quantile of N(0, 1). */
#define STATS_Z95 1.959963984540054

/* Wilson score interval for k successes in n trials at the given z
 * (Wilson 1927): unlike the normal approximation it stays inside [0, 1]
 * and is honest for small n and rates near 0 or 1. n == 0: [0, 1]. */
void stats_wilson(int64_t k, int64_t n, double z, double *lo, double *hi);

/* Two-proportion z-test with the pooled variance: z is positive when
 * k2/n2 is the higher rate; *p is the two-sided p-value. Returns -1
 * (z = 0, p = 1) when a side has no trials or the pooled rate is 0 or 1,
 * where the test says nothing. */
int stats_two_prop(int64_t k1, int64_t n1, int64_t k2, int64_t n2, double *z, double *p);

#endif
