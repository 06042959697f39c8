/* dunnctl report: the funnel per track, step and channel over a period
 * (reminded -> sent -> delivered -> paid). "report disputes" and "report
 * page" live in ctl_report_page.c and are only dispatched from here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "money.h"
#include "report_sql.h"
#include "tz.h"

enum {
	F_TRACK,
	F_STEP,
	F_CHANNEL,
	F_REMINDERS,
	F_SENT,
	F_DELIVERED,
	F_FAILED,
	F_OPTOUT,
	F_PAID7,
	F_PAID30,
	F_RECOVERED
};
static const char *const count_keys[] = {"reminders", "sent",    "delivered", "failed",
					 "opt_outs",  "paid_7d", "paid_30d"};
#define NCOUNTS (sizeof count_keys / sizeof count_keys[0])

/* "YYYY-MM-DD" naming a real day; its midnight UTC in *t. */
static int parse_day(const char *s, int64_t *t)
{
	char buf[32];

	if (strlen(s) != 10 || tz_parse_iso8601(s, t) != 0)
		return -1;
	tz_format_iso8601(*t, buf, sizeof buf);
	return strncmp(buf, s, 10) == 0 ? 0 : -1;
}

static void day_of(int64_t t, char out[11])
{
	char buf[32];

	tz_format_iso8601(t, buf, sizeof buf);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

static double error_rate(json_int_t sent, json_int_t failed)
{
	json_int_t all = sent + failed;

	/* Four decimals, rounded half up, without libm. */
	return all > 0 ? (double)((failed * 10000 + all / 2) / all) / 10000 : 0.0;
}

/* Add "CUR:minor,..." to acc (currency -> minor units as integers). */
static void add_recovered(json_t *acc, const char *list)
{
	char *dup = strdup(list), *save = NULL;

	for (char *tok = dup ? strtok_r(dup, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			continue;
		*colon = '\0';
		json_int_t prev = json_integer_value(json_object_get(acc, tok));
		json_object_set_new(acc, tok, json_integer(prev + strtoll(colon + 1, NULL, 10)));
	}
	free(dup);
}

/* Minor units per currency to money_plain strings ("49.90"). */
static json_t *plain_amounts(const json_t *minor)
{
	json_t *out = json_object();
	const char *cur;
	json_t *v;
	char buf[64];

	json_object_foreach((json_t *)minor, cur, v)
	{
		if (money_plain(json_integer_value(v), cur, buf, sizeof buf) < 0)
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		json_object_set_new(out, cur, json_string(buf));
	}
	return out;
}

static void set_rate(json_t *o)
{
	json_object_set_new(
		o, "error_rate",
		json_real(error_rate(json_integer_value(json_object_get(o, "sent")),
				     json_integer_value(json_object_get(o, "failed")))));
}

static json_t *funnel_json(const PGresult *res, const char *from, const char *to)
{
	json_t *rows = json_array(), *totals = json_object(), *tot_minor = json_object();
	int n = PQntuples(res);

	for (size_t k = 0; k < NCOUNTS; k++)
		json_object_set_new(totals, count_keys[k], json_integer(0));
	for (int r = 0; r < n; r++) {
		json_t *row = json_object(), *minor = json_object();
		json_object_set_new(row, "track", json_string(PQgetvalue(res, r, F_TRACK)));
		json_object_set_new(row, "step", json_integer(atoi(PQgetvalue(res, r, F_STEP))));
		json_object_set_new(row, "channel", json_string(PQgetvalue(res, r, F_CHANNEL)));
		for (size_t k = 0; k < NCOUNTS; k++) {
			json_int_t v = strtoll(PQgetvalue(res, r, F_REMINDERS + (int)k), NULL, 10);
			json_object_set_new(row, count_keys[k], json_integer(v));
			json_object_set_new(totals, count_keys[k],
					    json_integer(json_integer_value(json_object_get(
								 totals, count_keys[k])) +
							 v));
		}
		set_rate(row);
		add_recovered(minor, PQgetvalue(res, r, F_RECOVERED));
		add_recovered(tot_minor, PQgetvalue(res, r, F_RECOVERED));
		json_object_set_new(row, "recovered", plain_amounts(minor));
		json_decref(minor);
		json_array_append_new(rows, row);
	}
	set_rate(totals);
	json_object_set_new(totals, "recovered", plain_amounts(tot_minor));
	json_decref(tot_minor);
	return json_pack("{s:s, s:s, s:o, s:o}", "from", from, "to", to, "rows", rows, "totals",
			 totals);
}

static void print_amounts(const json_t *rec)
{
	const char *cur;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)rec, cur, v)
	{
		printf("%s%s %s", first ? "" : ", ", json_string_value(v), cur);
		first = 0;
	}
	if (first)
		printf("-");
	printf("\n");
}

static void print_row(const json_t *o, const char *label)
{
	printf("%-28s", label);
	for (size_t k = 0; k < NCOUNTS; k++)
		printf(" %9lld", (long long)json_integer_value(json_object_get(o, count_keys[k])));
	printf(" %6.1f%%  ", json_real_value(json_object_get(o, "error_rate")) * 100);
	print_amounts(json_object_get(o, "recovered"));
}

static void funnel_print(const json_t *doc)
{
	const json_t *rows = json_object_get(doc, "rows");
	json_t *row;
	size_t i;
	char label[160];

	printf("funnel %s .. %s (UTC days; payments and opt-outs by last touch)\n\n",
	       json_string_value(json_object_get(doc, "from")),
	       json_string_value(json_object_get(doc, "to")));
	printf("%-28s %9s %9s %9s %9s %9s %9s %9s %7s  %s\n", "track/step/channel", "reminders",
	       "sent", "delivered", "failed", "opt-outs", "paid 7d", "paid 30d", "errors",
	       "recovered");
	json_array_foreach(rows, i, row)
	{
		snprintf(label, sizeof label, "%s/%lld/%s",
			 json_string_value(json_object_get(row, "track")),
			 (long long)json_integer_value(json_object_get(row, "step")),
			 json_string_value(json_object_get(row, "channel")));
		print_row(row, label);
	}
	print_row(json_object_get(doc, "totals"), "total");
}

int ctl_report(struct ctl *c, int argc, char **argv)
{
	const char *from_s, *to_s, *by, *params[2];
	char from[11], to[11];
	int64_t tf, tt;
	int as_json;
	PGresult *res;
	json_t *doc;

	if (argc >= 2 && !strcmp(argv[1], "disputes"))
		return ctl_report_disputes(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "page"))
		return ctl_report_page(c, argc - 1, argv + 1);
	as_json = ctl_take_flag(&argc, argv, "--json");
	from_s = ctl_take_opt(&argc, argv, "--from");
	to_s = ctl_take_opt(&argc, argv, "--to");
	by = ctl_take_opt(&argc, argv, "--by");
	if (argc != 1 || (by && strcmp(by, "variant") != 0)) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE report [--by variant] [--from YYYY-MM-DD] "
			"[--to YYYY-MM-DD] [--json]\n");
		return 2;
	}
	tt = (int64_t)time(NULL);
	if ((to_s && parse_day(to_s, &tt) != 0) || (from_s && parse_day(from_s, &tf) != 0)) {
		fprintf(stderr, "dunnctl: --from and --to are days YYYY-MM-DD\n");
		return 2;
	}
	if (!from_s) /* the last 30 days, today included; an experiment's whole life */
		tf = by ? 0 : tt - 29 * 86400;
	day_of(tf, from);
	day_of(tt, to);
	if (strcmp(from, to) > 0) {
		fprintf(stderr, "dunnctl: --from %s is after --to %s\n", from, to);
		return 2;
	}
	if (by)
		return ctl_report_variants(c, from, to, as_json);
	params[0] = from;
	params[1] = to;
	res = ctl_exec(c, REPORT_SQL_FUNNEL, 2, params);
	if (!res)
		return 1;
	doc = funnel_json(res, from, to);
	PQclear(res);
	if (doc) {
		json_t *fees = ctl_report_fees(c, from, to);
		if (!fees) {
			json_decref(doc);
			return 1;
		}
		json_object_set_new(doc, "fees", fees);
	}
	if (as_json)
		return ctl_json_print(doc);
	if (!doc)
		return 1;
	funnel_print(doc);
	ctl_report_fees_print(json_object_get(doc, "fees"));
	json_decref(doc);
	return 0;
}
