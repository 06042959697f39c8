#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_MAX_LEN 64

struct family {
	char name[NAME_MAX_LEN];
	char help[160];
	enum metrics_type type;
	double bounds[METRICS_MAX_BUCKETS];
	size_t nbounds;
};

struct series {
	int fam;
	size_t nlabels;
	char keys[METRICS_MAX_LABELS][32];
	char vals[METRICS_MAX_LABELS][METRICS_MAX_VALUE];
	double value; /* counter, gauge; histogram: sum */
	unsigned long long count;
	unsigned long long buckets[METRICS_MAX_BUCKETS]; /* cumulative */
};

static struct family fams[METRICS_MAX_FAMILIES];
static size_t nfams;
static struct series series[METRICS_MAX_SERIES];
static size_t nseries;

/* [a-zA-Z_:][a-zA-Z0-9_:]*; label names may not hold ':'. */
static int valid_name(const char *s, int label)
{
	if (!s || !*s || strlen(s) >= NAME_MAX_LEN)
		return 0;
	for (const char *p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			(!label && *p == ':');
		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

static int find_family(const char *name)
{
	for (size_t i = 0; i < nfams; i++)
		if (strcmp(fams[i].name, name) == 0)
			return (int)i;
	return -1;
}

int metrics_define(const char *name, enum metrics_type type, const char *help,
		   const double *buckets, size_t nbuckets)
{
	struct family *f;
	int i = valid_name(name, 0) ? find_family(name) : -2;

	if (i == -2)
		return -1;
	if (i >= 0)
		return fams[i].type == type ? 0 : -1;
	if (nfams == METRICS_MAX_FAMILIES || nbuckets > METRICS_MAX_BUCKETS ||
	    (type == METRICS_HISTOGRAM && nbuckets == 0))
		return -1;
	for (size_t k = 1; k < nbuckets; k++)
		if (!(buckets[k] > buckets[k - 1]))
			return -1;
	f = &fams[nfams];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	snprintf(f->help, sizeof f->help, "%s", help ? help : "");
	f->type = type;
	if (type == METRICS_HISTOGRAM) {
		memcpy(f->bounds, buckets, nbuckets * sizeof *buckets);
		f->nbounds = nbuckets;
	}
	nfams++;
	return 0;
}

/* Find or create the series named by the label pairs in ap. */
static struct series *lookup(int fam, va_list ap, int create)
{
	const char *keys[METRICS_MAX_LABELS], *vals[METRICS_MAX_LABELS];
	size_t n = 0;
	const char *k;
	struct series *s;

	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		if (n == METRICS_MAX_LABELS || !valid_name(k, 1) || strlen(k) >= sizeof s->keys[0])
			return NULL;
		keys[n] = k;
		vals[n++] = v ? v : "";
	}
	for (size_t i = 0; i < nseries; i++) {
		size_t j;
		s = &series[i];
		if (s->fam != fam || s->nlabels != n)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(s->keys[j], keys[j]) != 0 ||
			    strncmp(s->vals[j], vals[j], sizeof s->vals[j] - 1) != 0)
				break;
		if (j == n)
			return s;
	}
	if (!create || nseries == METRICS_MAX_SERIES)
		return NULL;
	s = &series[nseries++];
	memset(s, 0, sizeof *s);
	s->fam = fam;
	s->nlabels = n;
	for (size_t j = 0; j < n; j++) {
		snprintf(s->keys[j], sizeof s->keys[j], "%s", keys[j]);
		snprintf(s->vals[j], sizeof s->vals[j], "%s", vals[j]);
	}
	return s;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE, OP_TOUCH, OP_GET };

static int apply(const char *name, enum op op, double v, va_list ap, double *out)
{
	int fam = find_family(name);
	struct series *s;
	struct family *f;

	if (fam < 0)
		return -1;
	f = &fams[fam];
	if ((op == OP_ADD && (f->type == METRICS_HISTOGRAM || v < 0 || isnan(v))) ||
	    (op == OP_SET && f->type != METRICS_GAUGE) ||
	    (op == OP_OBSERVE && f->type != METRICS_HISTOGRAM) ||
	    (op == OP_GET && f->type == METRICS_HISTOGRAM))
		return -1;
	s = lookup(fam, ap, op != OP_GET);
	if (!s)
		return -1;
	switch (op) {
	case OP_ADD:
		s->value += v;
		break;
	case OP_SET:
		s->value = v;
		break;
	case OP_OBSERVE:
		s->value += v;
		s->count++;
		for (size_t i = 0; i < f->nbounds; i++)
			if (v <= f->bounds[i])
				s->buckets[i]++;
		break;
	case OP_TOUCH:
		break;
	case OP_GET:
		*out = s->value;
		break;
	}
	return 0;
}

int metrics_inc(const char *name, ...)
{
	va_list ap;
	int r;

	va_start(ap, name);
	r = apply(name, OP_ADD, 1, ap, NULL);
	va_end(ap);
	return r;
}

int metrics_add(const char *name, double v, ...)
{
	va_list ap;
	int r;

	va_start(ap, v);
	r = apply(name, OP_ADD, v, ap, NULL);
	va_end(ap);
	return r;
}

int metrics_set(const char *name, double v, ...)
{
	va_list ap;
	int r;

	va_start(ap, v);
	r = apply(name, OP_SET, v, ap, NULL);
	va_end(ap);
	return r;
}

int metrics_observe(const char *name, double v, ...)
{
	va_list ap;
	int r;

	va_start(ap, v);
	r = apply(name, OP_OBSERVE, v, ap, NULL);
	va_end(ap);
	return r;
}

int metrics_touch(const char *name, ...)
{
	va_list ap;
	int r;

	va_start(ap, name);
	r = apply(name, OP_TOUCH, 0, ap, NULL);
	va_end(ap);
	return r;
}

double metrics_get(const char *name, ...)
{
	va_list ap;
	double v = 0;

	va_start(ap, name);
	apply(name, OP_GET, 0, ap, &v);
	va_end(ap);
	return v;
}

void metrics_reset(void)
{
	nfams = 0;
	nseries = 0;
}

double metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Label values escape \, " and newline; HELP text escapes \ and newline. */
static size_t escape(const char *s, int quote, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		const char *rep = NULL;
		char one[2] = {*s, 0};
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && quote)
			rep = "\\\"";
		else
			rep = one;
		for (; *rep; rep++, n++)
			if (n + 1 < len)
				buf[n] = *rep;
	}
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return n;
}

size_t metrics_escape_label(const char *s, char *buf, size_t len)
{
	return escape(s, 1, buf, len);
}

/* Shortest text that reads back as the same double; integers plainly. */
size_t metrics_format_value(double v, char *buf, size_t len)
{
	int n = 0;

	if (isnan(v))
		n = snprintf(buf, len, "NaN");
	else if (isinf(v))
		n = snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		n = snprintf(buf, len, "%.0f", v);
	else
		for (int p = 1; p <= 17; p++) {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%.*g", p, v);
			if (strtod(tmp, NULL) == v || p == 17) {
				n = snprintf(buf, len, "%s", tmp);
				break;
			}
		}
	return n < 0 ? 0 : (size_t)n;
}

struct out {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_escaped(struct out *o, const char *s, int quote)
{
	char small[256];
	size_t n = escape(s, quote, small, sizeof small);

	if (n < sizeof small) {
		put(o, small, n);
	} else {
		char *big = malloc(n + 1);
		if (!big) {
			o->oom = 1;
			return;
		}
		escape(s, quote, big, n + 1);
		put(o, big, n);
		free(big);
	}
}

static void put_value(struct out *o, double v)
{
	char b[64];

	put(o, b, metrics_format_value(v, b, sizeof b));
}

/* name{k="v",...,le="x"} value */
static void put_sample(struct out *o, const struct family *f, const char *suffix,
		       const struct series *s, const char *le, double v)
{
	size_t nl = s->nlabels + (le ? 1 : 0);

	puts_(o, f->name);
	puts_(o, suffix);
	if (nl) {
		puts_(o, "{");
		for (size_t j = 0; j < s->nlabels; j++) {
			if (j)
				puts_(o, ",");
			puts_(o, s->keys[j]);
			puts_(o, "=\"");
			put_escaped(o, s->vals[j], 1);
			puts_(o, "\"");
		}
		if (le) {
			puts_(o, s->nlabels ? ",le=\"" : "le=\"");
			puts_(o, le);
			puts_(o, "\"");
		}
		puts_(o, "}");
	}
	puts_(o, " ");
	put_value(o, v);
	puts_(o, "\n");
}

static const char *type_name(enum metrics_type t)
{
	switch (t) {
	case METRICS_COUNTER:
		return "counter";
	case METRICS_GAUGE:
		return "gauge";
	case METRICS_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

char *metrics_render(void)
{
	struct out o = {0};

	puts_(&o, "");
	for (size_t fi = 0; fi < nfams; fi++) {
		const struct family *f = &fams[fi];
		puts_(&o, "# HELP ");
		puts_(&o, f->name);
		puts_(&o, " ");
		put_escaped(&o, f->help, 0);
		puts_(&o, "\n# TYPE ");
		puts_(&o, f->name);
		puts_(&o, " ");
		puts_(&o, type_name(f->type));
		puts_(&o, "\n");
		for (size_t i = 0; i < nseries; i++) {
			const struct series *s = &series[i];
			if (s->fam != (int)fi)
				continue;
			if (f->type != METRICS_HISTOGRAM) {
				put_sample(&o, f, "", s, NULL, s->value);
				continue;
			}
			for (size_t b = 0; b < f->nbounds; b++) {
				char le[64];
				metrics_format_value(f->bounds[b], le, sizeof le);
				put_sample(&o, f, "_bucket", s, le, (double)s->buckets[b]);
			}
			put_sample(&o, f, "_bucket", s, "+Inf", (double)s->count);
			put_sample(&o, f, "_sum", s, NULL, s->value);
			put_sample(&o, f, "_count", s, NULL, (double)s->count);
		}
	}
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	return o.p;
}
