/* dunnctl quiet: the weekly times an account's customer does not want to
 * be contacted, in the account's own time zone. The same statement as the
 * customer's page sets them (caseops.h), so each change is an event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "ctl.h"
#include "quiet.h"
#include "tz.h"

static const char SQL_SHOW[] =
	"SELECT a.timezone, q.spec, q.minutes, q.source,\n"
	"       to_char(q.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')\n"
	"FROM dunning.accounts a LEFT JOIN dunning.quiet_times q ON q.account_id = a.id\n"
	"WHERE a.external_ref = $1";

static int show(struct ctl *c, const char *ref, int as_json)
{
	const char *params[1] = {ref};
	PGresult *res = ctl_exec(c, SQL_SHOW, 1, params);
	int rc = 0, none;

	if (!res)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", ref);
		PQclear(res);
		return 1;
	}
	none = PQgetisnull(res, 0, 1);
	if (as_json) {
		rc = ctl_json_print(json_pack(
			"{s:s, s:s, s:s, s:i, s:i, s:o, s:o}", "account_ref", ref, "timezone",
			PQgetvalue(res, 0, 0), "quiet", none ? "" : PQgetvalue(res, 0, 1),
			"minutes", none ? 0 : atoi(PQgetvalue(res, 0, 2)), "max_hours_per_week",
			c->cfg->policy->quiet_max_hours, "source",
			none ? json_null() : json_string(PQgetvalue(res, 0, 3)), "updated_at",
			none ? json_null() : json_string(PQgetvalue(res, 0, 4))));
	} else if (none) {
		printf("%s: no quiet times (%s)\n", ctl_text(ref), ctl_text(PQgetvalue(res, 0, 0)));
	} else {
		int m = atoi(PQgetvalue(res, 0, 2));
		printf("%s: %s (%s; %d h %02d min a week of %d h allowed; set by %s at %s)\n",
		       ctl_text(ref), PQgetvalue(res, 0, 1), ctl_text(PQgetvalue(res, 0, 0)),
		       m / 60, m % 60, c->cfg->policy->quiet_max_hours, PQgetvalue(res, 0, 3),
		       PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return rc;
}

int ctl_quiet(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	int clear = ctl_take_flag(&argc, argv, "--clear");
	int want_show = ctl_take_flag(&argc, argv, "--show");
	const char *set = ctl_take_opt(&argc, argv, "--set");
	char canon[QUIET_SPEC_MAX], err[160], at_s[32], min_s[16];
	const char *params[CASEOPS_QUIET_NPARAMS];
	PGresult *res;
	int64_t at;
	int minutes = 0, rc;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2 || (set && clear) ||
	    (want_show && (set || clear))) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE quiet ACCOUNT_REF [--show] | --set SPEC | "
			"--clear [--at ISO8601] [--json]\n");
		return 2;
	}
	if (!set && !clear)
		return show(c, argv[1], as_json);
	if (clear) {
		canon[0] = '\0';
	} else if (quiet_normalize(set, c->cfg->policy->quiet_max_hours, canon, sizeof canon,
				   &minutes, err, sizeof err) != 0) {
		fprintf(stderr, "dunnctl: --set: %s\n", err);
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	snprintf(min_s, sizeof min_s, "%d", minutes);
	params[0] = argv[1];
	params[1] = NULL;
	params[2] = canon;
	params[3] = min_s;
	params[4] = "operator";
	params[5] = at_s;
	res = ctl_exec(c, CASEOPS_SQL_QUIET_SET, CASEOPS_QUIET_NPARAMS, params);
	if (!res)
		return 1;
	rc = atoi(PQgetvalue(res, 0, 0)) == 0;
	if (rc)
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", argv[1]);
	else if (!as_json)
		printf("%s: quiet times %s\n", ctl_text(argv[1]),
		       atoi(PQgetvalue(res, 0, 1)) == 0 ? "unchanged"
			       : clear                  ? "cleared"
							: "set");
	PQclear(res);
	if (rc)
		return 1;
	return as_json ? show(c, argv[1], 1) : show(c, argv[1], 0);
}
