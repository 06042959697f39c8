/* dunnctl promise, pause and resume: ops (or the customer's own page)
 * stopping reminders for a while. Each is one statement: the case change,
 * the acknowledgement in the outbox, and the audit event commit together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pgarr.h"
#include "tz.h"

/* The pause ends at the start of the day after `until`, in the account's
 * own time zone: "I will pay by the 20th" covers all of the 20th. */
static const char SQL_PAUSE[] =
	"WITH a AS (SELECT id, timezone FROM dunning.accounts WHERE external_ref = $1),\n"
	"c AS (\n"
	"  UPDATE dunning.cases c SET state = 'paused', pause_reason = $3::text, pause_note = $4::text,\n"
	"         paused_until = CASE WHEN $2::date IS NULL THEN NULL\n"
	"                        ELSE ($2::date + 1)::timestamp AT TIME ZONE a.timezone END,\n"
	"         next_action_at = CASE WHEN $2::date IS NULL THEN $5::timestamptz + interval '1 day'\n"
	"                        ELSE ($2::date + 1)::timestamp AT TIME ZONE a.timezone END\n"
	"  FROM a WHERE c.account_id = a.id AND c.state <> 'resolved'\n"
	"  RETURNING c.id, c.account_id, c.cycle, c.paused_until),\n"
	"ack AS (\n"
	"  INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, kind, template,\n"
	"                                  status, next_attempt_at, created_at)\n"
	"  SELECT c.id, c.account_id, c.cycle, 0, ch, 'promise_ack', 'promise_ack', 'queued', $5, $5\n"
	"  FROM c, unnest($6::text[]) AS ch WHERE $3::text = 'promise'),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $5, 'case_paused', c.account_id, c.id,\n"
	"         jsonb_build_object('reason', $3::text, 'until', c.paused_until, 'source', $7::text)\n"
	"  FROM c)\n"
	"SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM c),\n"
	"       (SELECT to_char(paused_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')\n"
	"        FROM c LIMIT 1)";

static const char SQL_RESUME[] =
	"WITH a AS (SELECT id FROM dunning.accounts WHERE external_ref = $1),\n"
	"c AS (\n"
	"  UPDATE dunning.cases c SET state = 'active', pause_reason = NULL, pause_note = NULL,\n"
	"         paused_until = NULL, next_action_at = $2\n"
	"  FROM a WHERE c.account_id = a.id AND c.state = 'paused'\n"
	"  RETURNING c.id, c.account_id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $2, 'case_resumed', account_id, id, jsonb_build_object('source', 'dunnctl')\n"
	"  FROM c)\n"
	"SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM c)";

static int valid_date(const char *s, int64_t *midnight)
{
	int64_t t;
	char buf[16];

	if (strlen(s) != 10 || tz_parse_iso8601(s, &t) != 0)
		return 0;
	tz_format_iso8601(t, buf, sizeof buf);
	if (strncmp(buf, s, 10) != 0)
		return 0; /* 2026-02-30 normalised away */
	*midnight = t;
	return 1;
}

static int do_pause(struct ctl *c, const char *ref, const char *until, const char *reason,
		    const char *note, int64_t at, const char *source)
{
	const struct policy *p = c->cfg->policy;
	struct pgarr chans;
	char at_s[32];
	const char *params[7];
	PGresult *res;
	int rc = 1;

	/* The acknowledgement goes where payment confirmations go. */
	pgarr_init(&chans);
	for (size_t i = 0; i < p->nconfirm_channels; i++)
		pgarr_text(&chans, p->confirm_channels[i]);
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = ref;
	params[1] = until;
	params[2] = reason;
	params[3] = note;
	params[4] = at_s;
	params[5] = pgarr_str(&chans);
	params[6] = source;
	res = params[5] ? ctl_exec(c, SQL_PAUSE, 7, params) : NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", ref);
	else if (atoi(PQgetvalue(res, 0, 1)) == 0)
		fprintf(stderr, "dunnctl: account '%s' has no open case: nothing to pause\n", ref);
	else {
		printf("%s: %s paused (%s)%s%s\n", reason, ref, reason,
		       PQgetisnull(res, 0, 2) ? "" : " until ", PQgetvalue(res, 0, 2));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int ctl_promise(struct ctl *c, int argc, char **argv)
{
	const char *until = ctl_take_opt(&argc, argv, "--until");
	int64_t at, day;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2 || !until) {
		fprintf(stderr, "Usage: dunnctl -c FILE promise ACCOUNT_REF --until YYYY-MM-DD "
				"[--at ISO8601]\n");
		return 2;
	}
	if (!valid_date(until, &day)) {
		fprintf(stderr, "dunnctl: --until: not a date YYYY-MM-DD: %s\n", until);
		return 2;
	}
	/* Within the policy's horizon: a promise is a date soon, not "someday". */
	if (day + 86400 <= at || day > at + (int64_t)c->cfg->policy->max_promise_days * 86400) {
		fprintf(stderr,
			"dunnctl: --until must be from today to %d days ahead (max_promise_days)\n",
			c->cfg->policy->max_promise_days);
		return 1;
	}
	return do_pause(c, argv[1], until, "promise", NULL, at, "dunnctl");
}

int ctl_pause(struct ctl *c, int argc, char **argv)
{
	const char *until = ctl_take_opt(&argc, argv, "--until");
	const char *reason = ctl_take_opt(&argc, argv, "--reason");
	const char *note = ctl_take_opt(&argc, argv, "--note");
	int64_t at, day;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2) {
		fprintf(stderr, "Usage: dunnctl -c FILE pause ACCOUNT_REF [--reason hardship|manual] "
				"[--until YYYY-MM-DD] [--note TEXT] [--at ISO8601]\n");
		return 2;
	}
	if (!reason)
		reason = "manual";
	if (strcmp(reason, "hardship") && strcmp(reason, "manual")) {
		fprintf(stderr, "dunnctl: --reason must be hardship or manual\n");
		return 2;
	}
	if (until && !valid_date(until, &day)) {
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

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2) {
		fprintf(stderr, "Usage: dunnctl -c FILE resume ACCOUNT_REF [--at ISO8601]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[1];
	params[1] = at_s;
	res = ctl_exec(c, SQL_RESUME, 2, params);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", argv[1]);
	} else if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		fprintf(stderr, "dunnctl: account '%s' has no paused case\n", argv[1]);
	} else {
		printf("resume: %s active again\n", argv[1]);
		rc = 0;
	}
	PQclear(res);
	return rc;
}
