/* dunnctl risk: an account's risk score from its own payment history
 * (migrations/0026_risk.sql), with the inputs it was computed from, when,
 * and the band the policy puts it in. A stored score older than the
 * policy's risk.max_age_hours (or any, with --refresh) is recomputed as
 * of --at (default now) and stored, as the poller's claim does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "policy.h"
#include "tz.h"

/* Fresh enough, or computed again and stored; the row is read by a
 * second statement, as a statement does not see what its own functions
 * wrote. */
static const char SQL_RISK[] =
	"SELECT CASE WHEN $3::boolean THEN dunning.account_risk_refresh(a.id, $2)\n"
	"            ELSE dunning.account_risk_at(a.id, $2, $4::int * interval '1 hour') END\n"
	"FROM dunning.accounts a WHERE a.external_ref = $1";

static const char SQL_ROW[] =
	"SELECT r.score, to_char(r.computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"       r.cycles, r.days_late, r.paid_invoices, r.promises_kept, r.promises_broken,\n"
	"       r.plans_kept, r.plans_broken, r.bounces, r.disputes_upheld\n"
	"FROM dunning.accounts a JOIN dunning.account_risk r ON r.account_id = a.id\n"
	"WHERE a.external_ref = $1";

static const char *const INPUTS[] = {"cycles",        "days_late",       "paid_invoices",
				     "promises_kept", "promises_broken", "plans_kept",
				     "plans_broken",  "bounces",         "disputes_upheld"};
#define NINPUTS (sizeof INPUTS / sizeof INPUTS[0])

int ctl_risk(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	int refresh = ctl_take_flag(&argc, argv, "--refresh");
	const struct policy *pol = c->cfg->policy;
	char at_s[32], age[16];
	const char *params[4] = {NULL, at_s, refresh ? "true" : "false", age};
	PGresult *res;
	int64_t at;
	double score;
	int rc = 0;

	if (ctl_take_at(&argc, argv, &at) != 0)
		return 2;
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr,
			"usage: dunnctl risk ACCOUNT_REF [--refresh] [--at ISO8601] [--json]\n");
		return 2;
	}
	params[0] = argv[1];
	tz_format_iso8601(at, at_s, sizeof at_s);
	snprintf(age, sizeof age, "%d", pol->risk_max_age_hours);
	res = ctl_exec(c, SQL_RISK, 4, params);
	if (res && PQntuples(res) == 1) {
		PQclear(res);
		res = ctl_exec(c, SQL_ROW, 1, params);
	}
	if (!res)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", argv[1]);
		PQclear(res);
		return 1;
	}
	score = strtod(PQgetvalue(res, 0, 0), NULL);
	if (as_json) {
		json_t *in = json_object();
		for (size_t i = 0; i < NINPUTS; i++)
			json_object_set_new(
				in, INPUTS[i],
				i == 1 ? json_real(strtod(PQgetvalue(res, 0, 3), NULL))
				       : json_integer(atoll(PQgetvalue(res, 0, 2 + (int)i))));
		rc = ctl_json_print(json_pack(
			"{s:s, s:f, s:s, s:s, s:i, s:o}", "account_ref", argv[1], "score", score,
			"band", policy_risk_band(pol, score), "computed_at", PQgetvalue(res, 0, 1),
			"max_age_hours", pol->risk_max_age_hours, "inputs", in));
	} else {
		printf("%s: risk %.3f (%s; high from %.2f, low below %.2f), computed %s\n",
		       ctl_text(argv[1]), score, policy_risk_band(pol, score), pol->risk_high,
		       pol->risk_low, PQgetvalue(res, 0, 1));
		printf("  over the 12 months before: %s prior cycles; %s invoices paid, %.1f days "
		       "late on average;\n"
		       "  promises %s kept, %s broken; plans %s kept, %s broken; %s bounced "
		       "reminders; %s disputes upheld\n",
		       PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4),
		       strtod(PQgetvalue(res, 0, 3), NULL), PQgetvalue(res, 0, 5),
		       PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 8),
		       PQgetvalue(res, 0, 9), PQgetvalue(res, 0, 10));
	}
	PQclear(res);
	return rc;
}
