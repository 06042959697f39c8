/* dunnctl report --by variant: each experiment's variants side by side,
 * from the statement and the report the console's dashboard shows too
 * (engine/report_sql.h, engine/report_variant.h); here only the text
 * form. */
#include <stdio.h>

#include "ctl.h"
#include "report_sql.h"
#include "report_variant.h"

static json_int_t geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_rate(const json_t *v, const char *name)
{
	const json_t *r = json_object_get(json_object_get(v, "rates"), name);

	printf(" %5.1f%% [%5.1f-%5.1f]", json_real_value(json_object_get(r, "rate")) * 100,
	       json_real_value(json_object_get(r, "low")) * 100,
	       json_real_value(json_object_get(r, "high")) * 100);
}

static void report_print(const json_t *doc)
{
	json_t *e, *v, *c;
	size_t i, j;

	printf("variants: cases that joined an experiment %s .. %s (UTC days)\n",
	       json_string_value(json_object_get(doc, "from")),
	       json_string_value(json_object_get(doc, "to")));
	printf("rates per case (delivered: per reminder), 95%% Wilson interval in brackets\n");
	if (json_array_size(json_object_get(doc, "experiments")) == 0)
		printf("\n(no case has joined an experiment in this period)\n");
	json_array_foreach(json_object_get(doc, "experiments"), i, e)
	{
		printf("\nexperiment %s (baseline %s)\n",
		       json_string_value(json_object_get(e, "experiment")),
		       json_string_value(json_object_get(e, "baseline")));
		printf("%-12s %7s %9s %9s %9s %21s %21s %21s %21s %21s  %s\n", "variant", "cases",
		       "reminders", "sent", "delivered", "paid 7d", "paid 30d", "opt-outs",
		       "disputes", "delivered/reminder", "recovered");
		json_array_foreach(json_object_get(e, "variants"), j, v)
		{
			const char *cur;
			json_t *amt;
			int first = 1;
			printf("%-12s %7lld %9lld %9lld %9lld",
			       json_string_value(json_object_get(v, "variant")),
			       (long long)geti(v, "cases"), (long long)geti(v, "reminders"),
			       (long long)geti(v, "sent"), (long long)geti(v, "delivered"));
			print_rate(v, "paid_7d");
			print_rate(v, "paid_30d");
			print_rate(v, "opt_outs");
			print_rate(v, "disputes");
			print_rate(v, "delivered");
			printf("  ");
			json_object_foreach(json_object_get(v, "recovered"), cur, amt)
			{
				printf("%s%s %s", first ? "" : ", ", json_string_value(amt), cur);
				first = 0;
			}
			printf("%s\n", first ? "-" : "");
		}
		json_array_foreach(json_object_get(e, "comparisons"), j, c)
			printf("  %s\n", json_string_value(json_object_get(c, "verdict")));
	}
}

int ctl_report_variants(struct ctl *c, const char *from, const char *to, int as_json)
{
	const char *params[2] = {from, to};
	PGresult *res = ctl_exec(c, REPORT_SQL_VARIANTS, 2, params);
	json_t *doc;

	if (!res)
		return 1;
	doc = report_variant_from_result(c->cfg->policy, res, from, to);
	PQclear(res);
	if (as_json)
		return ctl_json_print(doc);
	if (!doc)
		return 1;
	report_print(doc);
	json_decref(doc);
	return 0;
}
