/* dunnctl dispute: intake, investigation and resolution of a disputed
 * charge. A dispute pauses dunning of that invoice only; the customer is
 * acknowledged with a reference and told the outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "ctl.h"
#include "pgarr.h"
#include "tz.h"

static int json_out; /* --json: one JSON document on stdout */

static int dispute_open(struct ctl *c, int argc, char **argv, int64_t at)
{
	const char *reason = ctl_take_opt(&argc, argv, "--reason");
	const char *detail = ctl_take_opt(&argc, argv, "--detail");
	const char *channel = ctl_take_opt(&argc, argv, "--channel");
	struct pgarr chans;
	char at_s[32];
	const char *params[CASEOPS_DISPUTE_OPEN_NPARAMS] = {NULL};
	PGresult *res;
	int rc = 1;

	if (argc != 2 || !reason || !*reason) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE dispute INVOICE_REF --reason TEXT "
			"[--detail TEXT] [--channel ops|web|phone]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[1];
	params[1] = reason;
	params[2] = detail;
	params[3] = channel ? channel : "ops";
	params[4] = at_s;
	params[5] = caseops_notice_channels(c->cfg->policy, &chans);
	res = params[5]
		? ctl_exec(c, CASEOPS_SQL_DISPUTE_OPEN, CASEOPS_DISPUTE_OPEN_NPARAMS, params)
		: NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no unpaid invoice with reference '%s'\n", argv[1]);
	else if (!PQgetisnull(res, 0, 1))
		fprintf(stderr, "dunnctl: invoice '%s' is already under dispute %s\n", argv[1],
			PQgetvalue(res, 0, 1));
	else if (json_out) {
		rc = ctl_json_print(json_pack("{s:s, s:s, s:s}", "dispute", PQgetvalue(res, 0, 2),
					      "invoice_ref", argv[1], "status", "open"));
	} else {
		printf("dispute: %s opened on %s (dunning of this invoice paused)\n",
		       PQgetvalue(res, 0, 2), argv[1]);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static int dispute_resolve(struct ctl *c, int argc, char **argv, int64_t at)
{
	const char *note = ctl_take_opt(&argc, argv, "--note");
	const char *status;
	struct pgarr chans;
	char at_s[32];
	const char *params[5];
	PGresult *res;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE dispute investigate|uphold|reject DISPUTE_REF "
			"[--note TEXT]\n");
		return 2;
	}
	status = !strcmp(argv[1], "investigate") ? "investigating"
		: !strcmp(argv[1], "uphold")     ? "upheld"
						 : "rejected";
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[2];
	params[1] = status;
	params[2] = note;
	params[3] = at_s;
	params[4] = caseops_notice_channels(c->cfg->policy, &chans);
	res = params[4]
		? ctl_exec(c, CASEOPS_SQL_DISPUTE_RESOLVE, CASEOPS_DISPUTE_RESOLVE_NPARAMS, params)
		: NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		fprintf(stderr, "dunnctl: no open dispute '%s'\n", argv[2]);
	} else if (json_out) {
		rc = ctl_json_print(json_pack("{s:s, s:s}", "dispute", argv[2], "status", status));
	} else {
		printf("dispute: %s %s\n", argv[2], status);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static int dispute_show(struct ctl *c, const char *ref)
{
	const char *params[1] = {ref};
	PGresult *res = ctl_exec(c, CASEOPS_SQL_DISPUTE_SHOW, 1, params);

	if (!res)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no dispute '%s'\n", ref);
		PQclear(res);
		return 1;
	}
	if (json_out) {
		json_t *doc = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "dispute", PQgetvalue(res, 0, 0),
			"status", PQgetvalue(res, 0, 1), "invoice_ref", PQgetvalue(res, 0, 2),
			"reason", PQgetvalue(res, 0, 3), "note", PQgetvalue(res, 0, 4), "opened",
			PQgetvalue(res, 0, 5), "resolved", PQgetvalue(res, 0, 6));
		PQclear(res);
		return ctl_json_print(doc);
	}
	printf("dispute %s\n  status:   %s\n  invoice:  %s\n  reason:   %s\n  note:     %s\n"
	       "  opened:   %s\n  resolved: %s\n",
	       PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), ctl_text(PQgetvalue(res, 0, 2)),
	       ctl_text(PQgetvalue(res, 0, 3)), ctl_text(PQgetvalue(res, 0, 4)),
	       PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6));
	PQclear(res);
	return 0;
}

int ctl_dispute(struct ctl *c, int argc, char **argv)
{
	int64_t at;

	json_out = ctl_take_flag(&argc, argv, "--json");
	if (ctl_take_at(&argc, argv, &at) != 0)
		return 2;
	if (argc >= 2 &&
	    (!strcmp(argv[1], "investigate") || !strcmp(argv[1], "uphold") ||
	     !strcmp(argv[1], "reject")))
		return dispute_resolve(c, argc, argv, at);
	if (argc == 3 && !strcmp(argv[1], "show"))
		return dispute_show(c, argv[2]);
	return dispute_open(c, argc, argv, at);
}
