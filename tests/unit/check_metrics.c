/* Unit tests for lib/metrics: the registry and the text exposition format. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void setup(void)
{
	metrics_reset();
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

START_TEST(counter_with_labels)
{
	char *t;

	ck_assert_int_eq(metrics_define("x_total", METRICS_COUNTER, "Things.", NULL, 0), 0);
	ck_assert_int_eq(metrics_inc("x_total", "channel", "email", "status", "sent", NULL), 0);
	ck_assert_int_eq(metrics_inc("x_total", "channel", "email", "status", "sent", NULL), 0);
	ck_assert_int_eq(metrics_add("x_total", 3, "channel", "sms", "status", "failed", NULL), 0);
	ck_assert(metrics_get("x_total", "channel", "email", "status", "sent", NULL) == 2);
	ck_assert(metrics_get("x_total", "channel", "nope", "status", "sent", NULL) == 0);
	/* Counters only go up; undefined families are ignored. */
	ck_assert_int_eq(metrics_add("x_total", -1, "channel", "email", "status", "sent", NULL),
			 -1);
	ck_assert_int_eq(metrics_inc("undefined_total", NULL), -1);
	ck_assert_int_eq(metrics_set("x_total", 1, NULL), -1);
	t = metrics_render();
	ck_assert_ptr_nonnull(t);
	ck_assert(has_line(t, "# HELP x_total Things."));
	ck_assert(has_line(t, "# TYPE x_total counter"));
	ck_assert(has_line(t, "x_total{channel=\"email\",status=\"sent\"} 2"));
	ck_assert(has_line(t, "x_total{channel=\"sms\",status=\"failed\"} 3"));
	/* metrics_get created nothing. */
	ck_assert_ptr_null(strstr(t, "nope"));
	free(t);
}
END_TEST

START_TEST(gauge_and_no_labels)
{
	char *t;

	ck_assert_int_eq(metrics_define("depth", METRICS_GAUGE, "Depth.", NULL, 0), 0);
	ck_assert_int_eq(metrics_set("depth", 42, NULL), 0);
	ck_assert_int_eq(metrics_set("depth", 7.5, NULL), 0);
	ck_assert_int_eq(metrics_define("info", METRICS_GAUGE, "Build.", NULL, 0), 0);
	ck_assert_int_eq(metrics_set("info", 1, "version", "0.1.0", NULL), 0);
	t = metrics_render();
	ck_assert(has_line(t, "# TYPE depth gauge"));
	ck_assert(has_line(t, "depth 7.5"));
	ck_assert(has_line(t, "info{version=\"0.1.0\"} 1"));
	free(t);
}
END_TEST

START_TEST(label_escaping)
{
	char buf[64], *t;

	ck_assert_uint_eq(metrics_escape_label("a\"b\\c\nd", buf, sizeof buf), 10);
	ck_assert_str_eq(buf, "a\\\"b\\\\c\\nd");
	/* Cut but still terminated; the return says what it needs. */
	ck_assert_uint_eq(metrics_escape_label("\"\"\"\"", buf, 4), 8);
	ck_assert_str_eq(buf, "\\\"\\");
	ck_assert_int_eq(
		metrics_define("e_total", METRICS_COUNTER, "Help with \\ and\nnewline.", NULL, 0),
		0);
	metrics_inc("e_total", "path", "/a\"b", NULL);
	t = metrics_render();
	ck_assert(has_line(t, "# HELP e_total Help with \\\\ and\\nnewline."));
	ck_assert(has_line(t, "e_total{path=\"/a\\\"b\"} 1"));
	free(t);
}
END_TEST

START_TEST(histogram_buckets)
{
	static const double b[] = {0.1, 0.5, 1};
	char *t;

	ck_assert_int_eq(metrics_define("lat_seconds", METRICS_HISTOGRAM, "Latency.", b, 3), 0);
	ck_assert_int_eq(metrics_touch("lat_seconds", "channel", "sms", NULL), 0);
	ck_assert_int_eq(metrics_observe("lat_seconds", 0.05, "channel", "email", NULL), 0);
	ck_assert_int_eq(metrics_observe("lat_seconds", 0.5, "channel", "email", NULL), 0);
	ck_assert_int_eq(metrics_observe("lat_seconds", 3, "channel", "email", NULL), 0);
	ck_assert_int_eq(metrics_inc("lat_seconds", NULL), -1);
	t = metrics_render();
	ck_assert(has_line(t, "# TYPE lat_seconds histogram"));
	ck_assert(has_line(t, "lat_seconds_bucket{channel=\"email\",le=\"0.1\"} 1"));
	ck_assert(has_line(t, "lat_seconds_bucket{channel=\"email\",le=\"0.5\"} 2"));
	ck_assert(has_line(t, "lat_seconds_bucket{channel=\"email\",le=\"1\"} 2"));
	ck_assert(has_line(t, "lat_seconds_bucket{channel=\"email\",le=\"+Inf\"} 3"));
	ck_assert(has_line(t, "lat_seconds_sum{channel=\"email\"} 3.55"));
	ck_assert(has_line(t, "lat_seconds_count{channel=\"email\"} 3"));
	ck_assert(has_line(t, "lat_seconds_bucket{channel=\"sms\",le=\"+Inf\"} 0"));
	ck_assert(has_line(t, "lat_seconds_count{channel=\"sms\"} 0"));
	free(t);
}
END_TEST

START_TEST(define_rules)
{
	static const double bad[] = {1, 0.5};

	ck_assert_int_eq(metrics_define("9bad", METRICS_COUNTER, "", NULL, 0), -1);
	ck_assert_int_eq(metrics_define("a-b", METRICS_COUNTER, "", NULL, 0), -1);
	ck_assert_int_eq(metrics_define("h", METRICS_HISTOGRAM, "", bad, 2), -1);
	ck_assert_int_eq(metrics_define("h", METRICS_HISTOGRAM, "", NULL, 0), -1);
	ck_assert_int_eq(metrics_define("ok:name_1", METRICS_COUNTER, "", NULL, 0), 0);
	ck_assert_int_eq(metrics_define("ok:name_1", METRICS_COUNTER, "", NULL, 0), 0);
	ck_assert_int_eq(metrics_define("ok:name_1", METRICS_GAUGE, "", NULL, 0), -1);
	/* Bad label names are refused. */
	ck_assert_int_eq(metrics_inc("ok:name_1", "bad-label", "x", NULL), -1);
	ck_assert_int_eq(metrics_inc("ok:name_1", "a:b", "x", NULL), -1);
	ck_assert_int_eq(
		metrics_inc("ok:name_1", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", NULL),
		-1);
}
END_TEST

START_TEST(series_table_fills_up)
{
	char v[16];
	int fails = 0;

	metrics_define("many_total", METRICS_COUNTER, "", NULL, 0);
	for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
		snprintf(v, sizeof v, "%d", i);
		fails += metrics_inc("many_total", "i", v, NULL) != 0;
	}
	ck_assert_int_eq(fails, 10);
	/* Existing series keep counting. */
	ck_assert_int_eq(metrics_inc("many_total", "i", "0", NULL), 0);
	ck_assert(metrics_get("many_total", "i", "0", NULL) == 2);
}
END_TEST

START_TEST(value_format)
{
	char b[64];

	metrics_format_value(0, b, sizeof b);
	ck_assert_str_eq(b, "0");
	metrics_format_value(12345678, b, sizeof b);
	ck_assert_str_eq(b, "12345678");
	metrics_format_value(0.1, b, sizeof b);
	ck_assert_str_eq(b, "0.1");
	metrics_format_value(0.025, b, sizeof b);
	ck_assert_str_eq(b, "0.025");
	metrics_format_value(INFINITY, b, sizeof b);
	ck_assert_str_eq(b, "+Inf");
	metrics_format_value(-INFINITY, b, sizeof b);
	ck_assert_str_eq(b, "-Inf");
	metrics_format_value(NAN, b, sizeof b);
	ck_assert_str_eq(b, "NaN");
	metrics_format_value(1.0 / 3, b, sizeof b);
	ck_assert(strtod(b, NULL) == 1.0 / 3);
}
END_TEST

/* Every line is a comment or name{labels} value, and each family's
 * HELP and TYPE come before its samples. */
START_TEST(render_is_well_formed)
{
	static const double b[] = {0.01, 0.1};
	char *t, *line, *save = NULL;
	int samples = 0;

	metrics_define("a_total", METRICS_COUNTER, "A.", NULL, 0);
	metrics_define("b", METRICS_HISTOGRAM, "B.", b, 2);
	metrics_inc("a_total", "k", "v w", NULL);
	metrics_observe("b", 0.05, NULL);
	t = metrics_render();
	ck_assert_ptr_nonnull(t);
	ck_assert(t[strlen(t) - 1] == '\n');
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sp;
		if (line[0] == '#') {
			ck_assert(strncmp(line, "# HELP ", 7) == 0 ||
				  strncmp(line, "# TYPE ", 7) == 0);
			continue;
		}
		sp = strrchr(line, ' ');
		ck_assert_ptr_nonnull(sp);
		ck_assert(strtod(sp + 1, NULL) >= 0);
		samples++;
	}
	ck_assert_int_eq(samples, 1 + 3 + 2);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("registry");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, counter_with_labels);
	tcase_add_test(tc, gauge_and_no_labels);
	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, histogram_buckets);
	tcase_add_test(tc, define_rules);
	tcase_add_test(tc, series_table_fills_up);
	tcase_add_test(tc, value_format);
	tcase_add_test(tc, render_is_well_formed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
