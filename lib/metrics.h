/* A small Prometheus metrics registry: counters, gauges and histograms
 * with string labels, rendered in the text exposition format (0.0.4).
 * Fixed-size and process-wide; touched only on the loop thread. Calls on
 * a family that was never defined do nothing, so code shared with
 * --once mode (where nothing is exported) may call them freely. */
#ifndef DUNN_METRICS_H
#define DUNN_METRICS_H

#include <stddef.h>

#define METRICS_MAX_FAMILIES 32
#define METRICS_MAX_SERIES 512
#define METRICS_MAX_LABELS 4
#define METRICS_MAX_BUCKETS 16
#define METRICS_MAX_VALUE 96 /* bytes of one label value, longer is cut */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* Define a family. buckets (ascending upper bounds, +Inf implied) only
 * for histograms. Returns 0, or -1 when full, invalid or defined again
 * with another type. Redefining with the same type is a no-op. */
int metrics_define(const char *name, enum metrics_type type, const char *help,
		   const double *buckets, size_t nbuckets);

/* The label arguments are key, value pairs ended by NULL:
 *   metrics_inc("dunnd_deliveries_total", "channel", ch, "status", st, NULL);
 * A NULL value is rendered as "". Return 0, or -1 when the family is
 * unknown, the type does not fit or the series table is full. */
int metrics_inc(const char *name, ...) __attribute__((sentinel));
int metrics_add(const char *name, double v, ...) __attribute__((sentinel));
int metrics_set(const char *name, double v, ...) __attribute__((sentinel));
int metrics_observe(const char *name, double v, ...) __attribute__((sentinel));
/* Create the series at zero so that it is exported before its first event. */
int metrics_touch(const char *name, ...) __attribute__((sentinel));

/* The current value of a counter or gauge series (tests); 0 if absent. */
double metrics_get(const char *name, ...) __attribute__((sentinel));

/* The whole registry as exposition text; caller frees. NULL on OOM. */
char *metrics_render(void);
/* Forget every family and series. */
void metrics_reset(void);
/* Seconds on a monotonic clock, for latencies. */
double metrics_now(void);

/* Pure helpers, exported for tests: append to buf (NUL-terminated, cut at
 * len) and return the length the whole result needs. */
size_t metrics_escape_label(const char *s, char *buf, size_t len);
size_t metrics_format_value(double v, char *buf, size_t len);

#endif
