/* dunnctl simulate: run the policy engine over the real book for N days
 * with no sends and print what would go out per day, track, stage and
 * channel; with --policy, run a candidate policy beside the current one
 * and print where they differ. Nothing is written to the database. The
 * simulation itself is engine/sim.c, which the console's policy page runs
 * too. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "sim.h"

/* The variant column of the text output: "-" for a step without variants. */
static const char *variant_of(const json_t *row)
{
	const json_t *v = json_object_get(row, "variant");

	return v ? json_string_value(v) : "-";
}

/* The risk column: the account's band, "-" when the policy reads no risk. */
static const char *band_of(const json_t *row)
{
	const json_t *v = json_object_get(row, "band");

	return v ? json_string_value(v) : "-";
}

static void print_fees(const json_t *doc, int diff);

static void print_one(const json_t *doc)
{
	json_t *row;
	size_t i;

	printf("%-10s  %-16s %4s  %-12s %-16s %-8s %-5s %8s\n", "day", "track", "step", "channel",
	       "template", "variant", "risk", "messages");
	json_array_foreach(json_object_get(doc, "rows"), i, row) printf(
		"%-10s  %-16s %4d  %-12s %-16s %-8s %-5s %8lld\n",
		json_string_value(json_object_get(row, "day")),
		json_string_value(json_object_get(row, "track")),
		(int)json_integer_value(json_object_get(row, "step")),
		json_string_value(json_object_get(row, "channel")),
		json_string_value(json_object_get(row, "template")), variant_of(row), band_of(row),
		(long long)json_integer_value(json_object_get(row, "messages")));
	if (json_array_size(json_object_get(doc, "deferred")) > 0) {
		printf("\n%-10s  %-16s %4s  %-24s %8s\n", "deferred", "track", "step", "why",
		       "accounts");
		json_array_foreach(json_object_get(doc, "deferred"), i, row)
			printf("%-10s  %-16s %4d  %-24s %8lld\n",
			       json_string_value(json_object_get(row, "day")),
			       json_string_value(json_object_get(row, "track")),
			       (int)json_integer_value(json_object_get(row, "step")),
			       json_string_value(json_object_get(row, "reason")),
			       (long long)json_integer_value(json_object_get(row, "accounts")));
	}
	print_fees(doc, 0);
	printf("days are each customer's local date\n");
	printf("simulate: %lld messages would go out; nothing was sent\n",
	       (long long)json_integer_value(json_object_get(doc, "messages")));
}

/* The late fees a run would charge, or how they change between two. */
static void print_fees(const json_t *doc, int diff)
{
	const json_t *fees = json_object_get(doc, "fees");
	json_t *row;
	size_t i;

	if (json_array_size(fees) == 0)
		return;
	if (diff)
		printf("\nlate fees  %-16s %4s  %-4s %14s %14s %8s %8s\n", "track", "step", "cur",
		       "current", "new", "cases", "new");
	else
		printf("\nlate fees  %-16s %4s  %-4s %8s %14s\n", "track", "step", "cur", "cases",
		       "amount");
	json_array_foreach(fees, i, row)
	{
		if (diff)
			printf("           %-16s %4d  %-4s %14s %14s %8d %8d\n",
			       json_string_value(json_object_get(row, "track")),
			       (int)json_integer_value(json_object_get(row, "step")),
			       json_string_value(json_object_get(row, "currency")),
			       json_string_value(json_object_get(row, "current")),
			       json_string_value(json_object_get(row, "new")),
			       (int)json_integer_value(json_object_get(row, "current_cases")),
			       (int)json_integer_value(json_object_get(row, "new_cases")));
		else
			printf("           %-16s %4d  %-4s %8d %14s\n",
			       json_string_value(json_object_get(row, "track")),
			       (int)json_integer_value(json_object_get(row, "step")),
			       json_string_value(json_object_get(row, "currency")),
			       (int)json_integer_value(json_object_get(row, "cases")),
			       json_string_value(json_object_get(row, "amount")));
	}
}

static void print_diff(const json_t *doc)
{
	json_t *row;
	size_t i;
	long long ta = json_integer_value(json_object_get(doc, "current_messages"));
	long long tb = json_integer_value(json_object_get(doc, "new_messages"));
	long long moved = json_integer_value(json_object_get(doc, "moved_within_day"));

	printf("%-10s  %-16s %4s  %-12s %-16s %-8s %-5s %8s %8s %8s\n", "day", "track", "step",
	       "channel", "template", "variant", "risk", "current", "new", "change");
	json_array_foreach(json_object_get(doc, "rows"), i, row)
		printf("%-10s  %-16s %4d  %-12s %-16s %-8s %-5s %8lld %8lld %+8lld\n",
		       json_string_value(json_object_get(row, "day")),
		       json_string_value(json_object_get(row, "track")),
		       (int)json_integer_value(json_object_get(row, "step")),
		       json_string_value(json_object_get(row, "channel")),
		       json_string_value(json_object_get(row, "template")), variant_of(row),
		       band_of(row), (long long)json_integer_value(json_object_get(row, "current")),
		       (long long)json_integer_value(json_object_get(row, "new")),
		       (long long)json_integer_value(json_object_get(row, "change")));
	if (moved > 0)
		printf("%lld messages go out at another hour of the same day\n", moved);
	print_fees(doc, 1);
	if (!json_is_true(json_object_get(doc, "different")))
		printf("(no difference)\n");
	printf("days are each customer's local date\n");
	printf("simulate: current policy %lld messages, new policy %lld (%+lld); nothing was sent\n",
	       ta, tb, tb - ta);
}

int ctl_simulate(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	const char *days_s = ctl_take_opt(&argc, argv, "--days");
	const char *other = ctl_take_opt(&argc, argv, "--policy");
	struct sim_req r = {0};
	struct sim_params sp;
	struct policy *p2 = NULL;
	char *end = NULL;
	PGresult *book;
	json_t *doc;

	if (ctl_take_at(&argc, argv, &r.at) != 0 || argc != 1) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE simulate [--days N] [--policy FILE] "
			"[--at ISO8601] [--json]\n");
		return 2;
	}
	r.days = days_s ? (int)strtol(days_s, &end, 10) : 30;
	if ((days_s && (!*days_s || *end)) || r.days < 1 || r.days > SIM_MAX_DAYS) {
		fprintf(stderr, "dunnctl: --days must be 1 to %d\n", SIM_MAX_DAYS);
		return 2;
	}
	if (other) {
		struct diag d = {0};
		p2 = policy_load(other, &d);
		diag_print(&d, stderr);
		diag_free(&d);
		if (!p2)
			return 1;
		if (config_bind_calls(c->cfg, p2) != 0) {
			fprintf(stderr, "dunnctl: out of memory\n");
			policy_free(p2);
			return 1;
		}
	}
	r.current = c->cfg->policy;
	r.candidate = p2;
	sim_params(&r, &sp);
	book = ctl_exec(c, SIM_SQL_BOOK, 3, sp.v);
	if (!book) {
		policy_free(p2);
		return 1;
	}
	fprintf(stderr, "simulate: %d accounts with unpaid invoices, %d days from %s\n",
		PQntuples(book), r.days, sp.at);
	doc = sim_run(&r, book);
	PQclear(book);
	policy_free(p2);
	if (as_json)
		return ctl_json_print(doc);
	if (!doc)
		return 1;
	if (r.candidate)
		print_diff(doc);
	else
		print_one(doc);
	json_decref(doc);
	return 0;
}
