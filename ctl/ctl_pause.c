/* dunnctl promise, pause and resume: ops (or the customer's own page)
 * stopping reminders for a while. Each is one statement: the case change,
 * the acknowledgement in the outbox, and the audit event commit together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "ctl.h"
#include "pgarr.h"
#include "tz.h"

static int json_out; /* --json: one JSON document on stdout */

static int do_pause(struct ctl *c, const char *ref, const char *until, const char *reason,
		    const char *note, int64_t at, const char *source)
{
	struct pgarr chans;
	char at_s[32];
	const char *params[CASEOPS_PAUSE_NPARAMS] = {NULL};
	PGresult *res;
	int rc = 1;

	/* The acknowledgement goes where payment confirmations go. */
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = ref;
	params[1] = until;
	params[2] = reason;
	params[3] = note;
	params[4] = at_s;
	params[5] = caseops_notice_channels(c->cfg->policy, &chans);
	params[6] = source;
	res = params[5] ? ctl_exec(c, CASEOPS_SQL_PAUSE, CASEOPS_PAUSE_NPARAMS, params) : NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", ref);
	else if (atoi(PQgetvalue(res, 0, 1)) == 0)
		fprintf(stderr, "dunnctl: account '%s' has no open case: nothing to pause\n", ref);
	else if (json_out) {
		rc = ctl_json_print(json_pack(
			"{s:s, s:s, s:o}", "account_ref", ref, "reason", reason, "paused_until",
			PQgetisnull(res, 0, 2) ? json_null() : json_string(PQgetvalue(res, 0, 2))));
	} else {
		printf("%s: %s paused (%s)%s%s\n", reason, ref, reason,
		       PQgetisnull(res, 0, 2) ? "" : " until ", PQgetvalue(res, 0, 2));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int ctl_promise(struct ctl *c, int argc, char **argv)
{
	json_out = ctl_take_flag(&argc, argv, "--json");
	const char *until = ctl_take_opt(&argc, argv, "--until");
	int64_t at, day;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2 || !until) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE promise ACCOUNT_REF --until YYYY-MM-DD "
			"[--at ISO8601]\n");
		return 2;
	}
	if (!caseops_date(until, &day)) {
		fprintf(stderr, "dunnctl: --until: not a date YYYY-MM-DD: %s\n", until);
		return 2;
	}
	/* Within the policy's horizon: a promise is a date soon, not "someday". */
	if (!caseops_promise_in_range(day, at, c->cfg->policy->max_promise_days)) {
		fprintf(stderr,
			"dunnctl: --until must be from today to %d days ahead (max_promise_days)\n",
			c->cfg->policy->max_promise_days);
		return 1;
	}
	return do_pause(c, argv[1], until, "promise", NULL, at, "dunnctl");
}

int ctl_pause(struct ctl *c, int argc, char **argv)
{
	json_out = ctl_take_flag(&argc, argv, "--json");
	const char *until = ctl_take_opt(&argc, argv, "--until");
	const char *reason = ctl_take_opt(&argc, argv, "--reason");
	const char *note = ctl_take_opt(&argc, argv, "--note");
	int64_t at, day;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE pause ACCOUNT_REF [--reason hardship|manual] "
			"[--until YYYY-MM-DD] [--note TEXT] [--at ISO8601]\n");
		return 2;
	}
	if (!reason)
		reason = "manual";
	if (strcmp(reason, "hardship") && strcmp(reason, "manual")) {
		fprintf(stderr, "dunnctl: --reason must be hardship or manual\n");
		return 2;
	}
	if (until && !caseops_date(until, &day)) {
		fprintf(stderr, "dunnctl: --until: not a date YYYY-MM-DD: %s\n", until);
		return 2;
	}
	return do_pause(c, argv[1], until, reason, note, at, "dunnctl");
}

int ctl_resume(struct ctl *c, int argc, char **argv)
{
	char at_s[32];
	const char *params[2];
	int64_t at;
	PGresult *res;
	int rc = 1;

	json_out = ctl_take_flag(&argc, argv, "--json");
	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2) {
		fprintf(stderr, "Usage: dunnctl -c FILE resume ACCOUNT_REF [--at ISO8601]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[1];
	params[1] = at_s;
	res = ctl_exec(c, CASEOPS_SQL_RESUME, CASEOPS_RESUME_NPARAMS, params);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", argv[1]);
	} else if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		fprintf(stderr, "dunnctl: account '%s' has no paused case\n", argv[1]);
	} else if (json_out) {
		rc = ctl_json_print(
			json_pack("{s:s, s:s}", "account_ref", argv[1], "state", "active"));
	} else {
		printf("resume: %s active again\n", argv[1]);
		rc = 0;
	}
	PQclear(res);
	return rc;
}
