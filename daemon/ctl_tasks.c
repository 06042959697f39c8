/* dunnctl tasks: the call team's queue. The phone_task module (and the SMS
 * reply webhook) create dunning.phone_tasks rows; callers list, claim and
 * complete them here, and each outcome acts on the case: a promise pauses
 * it and a dispute opens one through the statements 'dunnctl promise' and
 * 'dunnctl dispute' use (lib/caseops), a wrong number is suppressed, and "reached" is history the
 * poller hands to the engine (rest_after_reached). Review tasks are SMS
 * replies that named an opt-out word without being one: nobody calls on
 * them; a person decides opt_out or not_opt_out, and texts to the number
 * wait meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "ctl.h"
#include "money.h"
#include "owed.h"
#include "pgarr.h"
#include "tz.h"

static const char SQL_LIST[] =
	"SELECT t.id,\n"
	"       to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"       coalesce(t.assignee, ''), coalesce(t.outcome, ''),\n"
	"       coalesce(to_char(t.completed_at AT TIME ZONE 'UTC',\n"
	"                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),\n"
	"       a.external_ref, a.name, coalesce(a.phone, ''), a.timezone, a.locale,\n"
	"       c.id, c.state, coalesce(d.channel, ''), coalesce(d.step, 0),\n"
	"       coalesce(t.note, ''), coalesce(b.owed, ''), t.kind\n"
	"FROM dunning.phone_tasks t\n"
	"JOIN dunning.cases c ON c.id = t.case_id\n"
	"JOIN dunning.accounts a ON a.id = c.account_id\n"
	"LEFT JOIN dunning.deliveries d ON d.id = t.delivery_id\n"
	"LEFT JOIN LATERAL (\n"
	"  SELECT string_agg(o.currency || ':' || o.overdue, ',' ORDER BY o.currency) AS owed\n"
	"  FROM dunning.account_owed(a.id, now()) o WHERE o.overdue > 0) b ON true\n"
	"WHERE ($1::boolean OR t.completed_at IS NULL) AND ($2::text IS NULL OR t.kind = $2)\n"
	"ORDER BY t.completed_at IS NOT NULL, t.due_at, t.id";

enum { L_ID, L_DUE, L_ASSIGNEE, L_OUTCOME, L_DONE, L_REF, L_NAME, L_PHONE, L_TZ, L_LOCALE,
       L_CASE, L_STATE, L_CHANNEL, L_STEP, L_NOTE, L_OWED, L_KIND };

/* Only one caller per task: a claim by someone else is refused. The last
 * two columns are read before the update (the statement's snapshot). */
static const char SQL_CLAIM[] =
	"WITH t AS (\n"
	"  UPDATE dunning.phone_tasks SET assignee = $2\n"
	"  WHERE id = $1 AND completed_at IS NULL AND (assignee IS NULL OR assignee = $2)\n"
	"  RETURNING id, case_id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $3, 'phone_task_claimed', c.account_id, t.case_id,\n"
	"         jsonb_build_object('phone_task_id', t.id, 'assignee', $2::text)\n"
	"  FROM t JOIN dunning.cases c ON c.id = t.case_id)\n"
	"SELECT (SELECT count(*) FROM t),\n"
	"       (SELECT count(*) FROM dunning.phone_tasks WHERE id = $1),\n"
	"       (SELECT coalesce(assignee, '') FROM dunning.phone_tasks WHERE id = $1),\n"
	"       (SELECT completed_at IS NOT NULL FROM dunning.phone_tasks WHERE id = $1)";

static const char SQL_TASK[] =
	"SELECT t.case_id, c.account_id, a.external_ref, coalesce(a.phone, ''),\n"
	"       t.completed_at IS NOT NULL, t.delivery_id, t.kind,\n"
	"       coalesce(m.address, a.phone, '')\n"
	"FROM dunning.phone_tasks t JOIN dunning.cases c ON c.id = t.case_id\n"
	"JOIN dunning.accounts a ON a.id = c.account_id\n"
	"LEFT JOIN dunning.inbound_messages m ON m.id = t.inbound_message_id\n"
	"WHERE t.id = $1 FOR UPDATE OF t";

/* A reviewed reply was an opt-out after all: the pause becomes one (an
 * opt-out wins over any other reason, as a STOP does). $1 the number,
 * $2 the clock, $3 the account, $4 the task. */
static const char SQL_REVIEW_OPT_OUT[] =
	"WITH sup AS (\n"
	"  INSERT INTO dunning.suppressions AS s (channel, address, reason, source, created_at)\n"
	"  SELECT 'sms', $1, 'opt-out', 'review', $2 WHERE $1 <> ''\n"
	"  ON CONFLICT (channel, address) DO UPDATE\n"
	"    SET reason = 'opt-out', source = 'review', created_at = $2\n"
	"    WHERE s.reason <> 'opt-out'\n"
	"  RETURNING 1)\n"
	"INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"SELECT $2, 'sms_opt_out', $3::bigint,\n"
	"       jsonb_build_object('source', 'review', 'phone_task_id', $4::bigint) FROM sup";

/* Not an opt-out: the pause is lifted unless another review of the same
 * number is still open, and the reply becomes a task for the call team
 * due now, as any ordinary reply does. $1 the number, $2 the clock, $3
 * the account, $4 the task, $5 the case. */
static const char SQL_REVIEW_CLEAR[] =
	"WITH lift AS (\n"
	"  DELETE FROM dunning.suppressions s\n"
	"  WHERE s.channel = 'sms' AND s.address = $1 AND s.reason = 'review'\n"
	"    AND NOT EXISTS (SELECT 1 FROM dunning.phone_tasks o\n"
	"                    JOIN dunning.inbound_messages m ON m.id = o.inbound_message_id\n"
	"                    WHERE o.kind = 'review' AND o.completed_at IS NULL\n"
	"                      AND o.id <> $4::bigint AND m.address = $1)\n"
	"  RETURNING 1),\n"
	"call AS (\n"
	"  INSERT INTO dunning.phone_tasks (case_id, due_at, note, inbound_message_id, kind)\n"
	"  SELECT $5::bigint, $2, 'SMS reply: ' || left(coalesce(m.body, ''), 500), t.inbound_message_id,\n"
	"         'call'\n"
	"  FROM dunning.phone_tasks t LEFT JOIN dunning.inbound_messages m\n"
	"       ON m.id = t.inbound_message_id WHERE t.id = $4::bigint\n"
	"  RETURNING id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"SELECT $2, 'sms_review_cleared', $3::bigint, $5::bigint,\n"
	"       jsonb_build_object('phone_task_id', $4::bigint, 'call_task_id', call.id,\n"
	"                          'resumed', EXISTS (SELECT 1 FROM lift))\n"
	"FROM call RETURNING (SELECT id FROM call), EXISTS (SELECT 1 FROM lift)";

/* $2 outcome, $3 the clock, $4 who called (or NULL). */
static const char SQL_COMPLETE[] =
	"WITH t AS (\n"
	"  UPDATE dunning.phone_tasks SET outcome = $2, completed_at = $3,\n"
	"         assignee = coalesce($4, assignee)\n"
	"  WHERE id = $1 AND completed_at IS NULL RETURNING id, case_id, delivery_id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT $3, 'phone_task_completed', c.account_id, t.case_id, t.delivery_id,\n"
	"       jsonb_build_object('phone_task_id', t.id, 'outcome', $2::text, 'source', 'call')\n"
	"FROM t JOIN dunning.cases c ON c.id = t.case_id RETURNING 1";

/* $2 the new due time, $3 the clock, $4 who called. */
static const char SQL_CALLBACK[] =
	"WITH t AS (\n"
	"  UPDATE dunning.phone_tasks SET due_at = $2, outcome = 'callback',\n"
	"         assignee = coalesce($4, assignee)\n"
	"  WHERE id = $1 AND completed_at IS NULL RETURNING id, case_id, delivery_id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT $3, 'phone_task_rescheduled', c.account_id, t.case_id, t.delivery_id,\n"
	"       jsonb_build_object('phone_task_id', t.id, 'outcome', 'callback', 'source', 'call')\n"
	"FROM t JOIN dunning.cases c ON c.id = t.case_id RETURNING 1";

/* The number reaches someone else: neither texts nor calls may use it. */
static const char SQL_WRONG_NUMBER[] =
	"INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"SELECT ch, a.phone, 'manual', 'call'\n"
	"FROM dunning.accounts a, unnest(ARRAY['sms', 'phone']) AS ch\n"
	"WHERE a.id = $1 AND a.phone IS NOT NULL AND a.phone <> ''\n"
	"ON CONFLICT (channel, address) DO NOTHING";

static int valid_id(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19;
}

/* "USD:4990,KRW:120000" to {"USD": "49.90", "KRW": "120000"}. */
/* "USD:4990,KRW:120000" -> {"USD": "49.90", "KRW": "120000"}; a total past
 * the bound is "out of range", never a wrapped number. */
static json_t *owed_json(const char *list)
{
	struct owed v[OWED_MAX_CURRENCIES];
	int n = owed_parse(list, v, OWED_MAX_CURRENCIES);
	json_t *out = json_object();
	char buf[64];

	if (n < 0) {
		json_object_set_new(out, "error", json_string("out of range"));
		return out;
	}
	for (int i = 0; i < n; i++) {
		if (money_plain(v[i].minor, v[i].currency, buf, sizeof buf) < 0)
			snprintf(buf, sizeof buf, "%lld", (long long)v[i].minor);
		json_object_set_new(out, v[i].currency, json_string(buf));
	}
	return out;
}

static json_t *str_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

static json_t *task_json(const PGresult *res, int r)
{
	return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:o, s:i,"
			 " s:s, s:o, s:s}",
			 "id", (json_int_t)strtoll(PQgetvalue(res, r, L_ID), NULL, 10),
			 "due_at", PQgetvalue(res, r, L_DUE),
			 "assignee", str_or_null(PQgetvalue(res, r, L_ASSIGNEE)),
			 "outcome", str_or_null(PQgetvalue(res, r, L_OUTCOME)),
			 "completed_at", str_or_null(PQgetvalue(res, r, L_DONE)),
			 "account_ref", PQgetvalue(res, r, L_REF),
			 "name", PQgetvalue(res, r, L_NAME),
			 "phone", str_or_null(PQgetvalue(res, r, L_PHONE)),
			 "timezone", PQgetvalue(res, r, L_TZ),
			 "locale", PQgetvalue(res, r, L_LOCALE),
			 "case_id", (json_int_t)strtoll(PQgetvalue(res, r, L_CASE), NULL, 10),
			 "case_state", PQgetvalue(res, r, L_STATE),
			 "channel", str_or_null(PQgetvalue(res, r, L_CHANNEL)),
			 "step", atoi(PQgetvalue(res, r, L_STEP)),
			 "note", PQgetvalue(res, r, L_NOTE),
			 "owed", owed_json(PQgetvalue(res, r, L_OWED)),
			 "kind", PQgetvalue(res, r, L_KIND));
}

static int tasks_list(struct ctl *c, int argc, char **argv, int as_json)
{
	int all = ctl_take_flag(&argc, argv, "--all");
	const char *kind = ctl_take_opt(&argc, argv, "--kind");
	const char *params[2] = {NULL};
	PGresult *res;
	json_t *arr;
	int n;

	if (argc != 2 || (kind && strcmp(kind, "call") && strcmp(kind, "review"))) {
		fprintf(stderr, "Usage: dunnctl -c FILE tasks list [--all] [--kind call|review] "
				"[--json]\n");
		return 2;
	}
	params[0] = all ? "true" : "false";
	params[1] = kind;
	res = ctl_exec(c, SQL_LIST, 2, params);
	if (!res)
		return 1;
	n = PQntuples(res);
	if (as_json) {
		arr = json_array();
		for (int r = 0; r < n; r++)
			json_array_append_new(arr, task_json(res, r));
		PQclear(res);
		return ctl_json_print(json_pack("{s:o}", "tasks", arr));
	}
	printf("%-6s %-20s %-12s %-14s %-16s %-14s %s\n", "id", "due (UTC)", "account", "phone",
	       "owed", "assignee", "outcome");
	for (int r = 0; r < n; r++) {
		json_t *owed = owed_json(PQgetvalue(res, r, L_OWED));
		const char *cur;
		json_t *v;
		char owe[64] = "";
		json_object_foreach(owed, cur, v) {
			size_t l = strlen(owe);
			snprintf(owe + l, sizeof owe - l, "%s%s %s", l ? " " : "", json_string_value(v),
				 cur);
		}
		json_decref(owed);
		/* Every value on one line: a line break in a name is shown too. */
		printf("%-6s %-20s %-12s %-14s %-16s %-14s %s\n", PQgetvalue(res, r, L_ID),
		       PQgetvalue(res, r, L_DUE), ctl_text(PQgetvalue(res, r, L_REF)),
		       ctl_text(PQgetvalue(res, r, L_PHONE)), ctl_text(owe),
		       *PQgetvalue(res, r, L_ASSIGNEE) ? ctl_text(PQgetvalue(res, r, L_ASSIGNEE))
						       : "-",
		       *PQgetvalue(res, r, L_OUTCOME) ? ctl_text(PQgetvalue(res, r, L_OUTCOME))
						      : "open");
		printf("       %s (%s, %s)\n", ctl_text(PQgetvalue(res, r, L_NAME)),
		       ctl_text(PQgetvalue(res, r, L_LOCALE)), ctl_text(PQgetvalue(res, r, L_TZ)));
		/* A review is read, not called: show what the customer wrote. */
		if (!strcmp(PQgetvalue(res, r, L_KIND), "review"))
			printf("       review: %s\n", ctl_text(PQgetvalue(res, r, L_NOTE)));
	}
	printf("%d task(s)\n", n);
	PQclear(res);
	return 0;
}

static int tasks_claim(struct ctl *c, int argc, char **argv, int as_json)
{
	const char *as = ctl_take_opt(&argc, argv, "--as");
	const char *params[3];
	char at_s[32];
	int64_t at;
	PGresult *res;
	int rc = 1;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 3 || !as || !*as || !valid_id(argv[2])) {
		fprintf(stderr, "Usage: dunnctl -c FILE tasks claim TASK_ID --as NAME [--json]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[2];
	params[1] = as;
	params[2] = at_s;
	res = ctl_exec(c, SQL_CLAIM, 3, params);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 1) {
		rc = as_json ? ctl_json_print(json_pack("{s:I, s:s}", "id",
							(json_int_t)strtoll(argv[2], NULL, 10),
							"assignee", as))
			     : (printf("tasks: %s claimed by %s\n", argv[2], as), 0);
	} else if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		fprintf(stderr, "dunnctl: no phone task %s\n", argv[2]);
	} else if (PQgetvalue(res, 0, 3)[0] == 't') {
		fprintf(stderr, "dunnctl: phone task %s is already completed\n", argv[2]);
	} else {
		fprintf(stderr, "dunnctl: phone task %s is claimed by %s\n", argv[2],
			PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return rc;
}

static int exec_ok(struct ctl *c, const char *sql, int n, const char *const *params)
{
	PGresult *res = ctl_exec(c, sql, n, params);

	PQclear(res);
	return res ? 0 : -1;
}

struct outcome_args {
	const char *id, *outcome, *until, *invoice, *reason, *as, *callback_at;
	int64_t at;
};

static const char *const outcomes[] = {"reached", "no_answer", "promise_to_pay", "dispute",
				       "wrong_number", "callback", NULL};
/* The decisions on a review task. */
static const char *const review_outcomes[] = {"opt_out", "not_opt_out", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (size_t k = 0; s && list[k]; k++)
		if (!strcmp(list[k], s))
			return 1;
	return 0;
}

/* A review decided: the pause becomes an opt-out, or is lifted and the
 * reply goes to the call team. The task itself is completed by the
 * caller. */
static int outcome_review(struct ctl *c, const struct outcome_args *o, const char *number,
			  const char *account_id, const char *case_id, const char *at_s,
			  json_t *out)
{
	const char *params[5] = {number, at_s, account_id, o->id, case_id};
	PGresult *res;

	if (!strcmp(o->outcome, "opt_out")) {
		res = ctl_exec(c, SQL_REVIEW_OPT_OUT, 4, params);
		if (!res)
			return 1;
		json_object_set_new(out, "opted_out", json_boolean(atoi(PQcmdTuples(res)) > 0));
		PQclear(res);
		return 0;
	}
	res = ctl_exec(c, SQL_REVIEW_CLEAR, 5, params);
	if (!res)
		return 1;
	if (PQntuples(res) == 1) {
		json_object_set_new(out, "call_task_id",
				    json_integer(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
		json_object_set_new(out, "sms_resumed", json_boolean(PQgetvalue(res, 0, 1)[0] == 't'));
	}
	PQclear(res);
	return 0;
}

/* Pause the case for a promise made on the phone (dunnctl promise's
 * statement: same acknowledgement, same engine path). */
static int outcome_promise(struct ctl *c, const struct outcome_args *o, const char *account_id,
			   const char *at_s, json_t *out)
{
	const char *params[CASEOPS_PAUSE_NPARAMS] = {NULL};
	struct pgarr chans;
	PGresult *res;
	int64_t day;
	int rc = 1;

	if (!caseops_date(o->until, &day)) {
		fprintf(stderr, "dunnctl: --until: not a date YYYY-MM-DD: %s\n", o->until);
		return 2;
	}
	if (!caseops_promise_in_range(day, o->at, c->cfg->policy->max_promise_days)) {
		fprintf(stderr,
			"dunnctl: --until must be from today to %d days ahead (max_promise_days)\n",
			c->cfg->policy->max_promise_days);
		return 1;
	}
	params[1] = o->until;
	params[2] = "promise";
	params[4] = at_s;
	params[5] = caseops_notice_channels(c->cfg->policy, &chans);
	params[6] = "call";
	params[7] = account_id;
	res = params[5] ? ctl_exec(c, CASEOPS_SQL_PAUSE, CASEOPS_PAUSE_NPARAMS, params) : NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		fprintf(stderr, "dunnctl: the task's account has no open case: nothing to pause\n");
	} else {
		json_object_set_new(out, "paused_until", json_string(PQgetvalue(res, 0, 2)));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* Open a dispute raised on the phone (dunnctl dispute's statement), only
 * on an invoice of the task's own account. */
static int outcome_dispute(struct ctl *c, const struct outcome_args *o, const char *account_id,
			   const char *at_s, json_t *out)
{
	const char *params[CASEOPS_DISPUTE_OPEN_NPARAMS] = {NULL};
	struct pgarr chans;
	PGresult *res;
	int rc = 1;

	params[0] = o->invoice;
	params[1] = o->reason;
	params[3] = "phone";
	params[4] = at_s;
	params[5] = caseops_notice_channels(c->cfg->policy, &chans);
	params[6] = account_id;
	res = params[5] ? ctl_exec(c, CASEOPS_SQL_DISPUTE_OPEN, CASEOPS_DISPUTE_OPEN_NPARAMS, params)
			: NULL;
	pgarr_free(&chans);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no unpaid invoice '%s' on this task's account\n",
			o->invoice);
	else if (!PQgetisnull(res, 0, 1))
		fprintf(stderr, "dunnctl: invoice '%s' is already under dispute %s\n", o->invoice,
			PQgetvalue(res, 0, 1));
	else {
		json_object_set_new(out, "dispute", json_string(PQgetvalue(res, 0, 2)));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* Everything of one outcome inside the caller's transaction. rc as a
 * command: 0 done, 1 refused or failed, 2 usage. */
static int apply_outcome(struct ctl *c, const struct outcome_args *o, json_t *out)
{
	char at_s[32], case_id[24], account_id[24], number[64];
	int review;
	const char *params[4];
	PGresult *res;
	int rc = 0;

	tz_format_iso8601(o->at, at_s, sizeof at_s);
	params[0] = o->id;
	res = ctl_exec(c, SQL_TASK, 1, params);
	if (!res)
		return 1;
	if (PQntuples(res) == 0 || PQgetvalue(res, 0, 4)[0] == 't') {
		fprintf(stderr, "dunnctl: %s phone task %s\n",
			PQntuples(res) ? "already completed:" : "no", o->id);
		PQclear(res);
		return 1;
	}
	snprintf(case_id, sizeof case_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(account_id, sizeof account_id, "%s", PQgetvalue(res, 0, 1));
	snprintf(number, sizeof number, "%s", PQgetvalue(res, 0, 7));
	review = !strcmp(PQgetvalue(res, 0, 6), "review");
	/* A review is decided, never called; a call is never "decided". */
	if (review != in_list(review_outcomes, o->outcome)) {
		fprintf(stderr, "dunnctl: phone task %s is a %s: outcome %s\n", o->id,
			review ? "review (an SMS reply that may be an opt-out)" : "call",
			review ? "opt_out or not_opt_out" : "of a call, not opt_out/not_opt_out");
		PQclear(res);
		return 1;
	}
	json_object_set_new(out, "account_ref", json_string(PQgetvalue(res, 0, 2)));
	json_object_set_new(out, "case_id", json_integer(strtoll(case_id, NULL, 10)));
	PQclear(res);
	if (review) {
		rc = outcome_review(c, o, number, account_id, case_id, at_s, out);
	} else if (!strcmp(o->outcome, "promise_to_pay")) {
		rc = outcome_promise(c, o, account_id, at_s, out);
	} else if (!strcmp(o->outcome, "dispute")) {
		rc = outcome_dispute(c, o, account_id, at_s, out);
	} else if (!strcmp(o->outcome, "wrong_number")) {
		params[0] = account_id;
		res = ctl_exec(c, SQL_WRONG_NUMBER, 1, params);
		if (!res)
			return 1;
		json_object_set_new(out, "suppressed", json_integer(atoi(PQcmdTuples(res))));
		PQclear(res);
	}
	if (rc != 0)
		return rc;
	params[0] = o->id;
	params[2] = at_s;
	params[3] = o->as;
	if (!strcmp(o->outcome, "callback")) {
		params[1] = o->callback_at;
		json_object_set_new(out, "due_at", json_string(o->callback_at));
		return exec_ok(c, SQL_CALLBACK, 4, params) ? 1 : 0;
	}
	params[1] = o->outcome;
	return exec_ok(c, SQL_COMPLETE, 4, params) ? 1 : 0;
}

static int tasks_complete(struct ctl *c, int argc, char **argv, int as_json)
{
	struct outcome_args o = {0};
	char cb_s[32];
	json_t *out;
	int rc;

	o.outcome = ctl_take_opt(&argc, argv, "--outcome");
	o.until = ctl_take_opt(&argc, argv, "--until");
	o.invoice = ctl_take_opt(&argc, argv, "--invoice");
	o.reason = ctl_take_opt(&argc, argv, "--reason");
	o.as = ctl_take_opt(&argc, argv, "--as");
	/* For a callback --at is when to call again; elsewhere it is the clock. */
	if (o.outcome && !strcmp(o.outcome, "callback")) {
		int64_t t;
		o.callback_at = ctl_take_opt(&argc, argv, "--at");
		if (!o.callback_at || tz_parse_iso8601(o.callback_at, &t) != 0) {
			fprintf(stderr, "dunnctl: callback needs --at TIME (ISO 8601)\n");
			return 2;
		}
		tz_format_iso8601(t, cb_s, sizeof cb_s);
		o.callback_at = cb_s;
	}
	if (ctl_take_at(&argc, argv, &o.at) != 0 || argc != 3 || !valid_id(argv[2]) ||
	    !(in_list(outcomes, o.outcome) || in_list(review_outcomes, o.outcome))) {
		fprintf(stderr, "Usage: dunnctl -c FILE tasks complete TASK_ID --outcome "
				"reached|no_answer|promise_to_pay|dispute|wrong_number|callback\n"
				"  [--until YYYY-MM-DD] [--invoice REF --reason TEXT] [--at TIME] "
				"[--as NAME] [--json]\n"
				"       dunnctl -c FILE tasks complete REVIEW_TASK_ID --outcome "
				"opt_out|not_opt_out [--at TIME] [--as NAME] [--json]\n");
		return 2;
	}
	if (!strcmp(o.outcome, "promise_to_pay") && !o.until) {
		fprintf(stderr, "dunnctl: promise_to_pay needs --until YYYY-MM-DD\n");
		return 2;
	}
	if (!strcmp(o.outcome, "dispute") && (!o.invoice || !o.reason || !*o.reason)) {
		fprintf(stderr, "dunnctl: dispute needs --invoice REF and --reason TEXT\n");
		return 2;
	}
	o.id = argv[2];
	out = json_pack("{s:I, s:s}", "id", (json_int_t)strtoll(o.id, NULL, 10), "outcome",
			o.outcome);
	if (!out)
		return 1;
	/* The outcome's effect and the task's completion commit together. */
	if (exec_ok(c, "BEGIN", 0, NULL) != 0) {
		json_decref(out);
		return 1;
	}
	rc = apply_outcome(c, &o, out);
	if (exec_ok(c, rc == 0 ? "COMMIT" : "ROLLBACK", 0, NULL) != 0 && rc == 0)
		rc = 1;
	if (rc != 0) {
		json_decref(out);
		return rc;
	}
	if (as_json)
		return ctl_json_print(out);
	printf("tasks: %s %s (%s)", o.id,
	       !strcmp(o.outcome, "callback") ? "rescheduled" : "completed", o.outcome);
	if (json_object_get(out, "paused_until"))
		printf(": case paused until %s", json_string_value(json_object_get(out, "paused_until")));
	if (json_object_get(out, "dispute"))
		printf(": dispute %s opened", json_string_value(json_object_get(out, "dispute")));
	if (json_object_get(out, "suppressed"))
		printf(": %lld number suppression(s) added",
		       (long long)json_integer_value(json_object_get(out, "suppressed")));
	if (json_object_get(out, "due_at"))
		printf(": due again at %s", json_string_value(json_object_get(out, "due_at")));
	if (!strcmp(o.outcome, "opt_out"))
		printf(": the number is opted out of SMS");
	if (json_object_get(out, "call_task_id"))
		printf(": SMS %s; the reply is call task %lld",
		       json_is_true(json_object_get(out, "sms_resumed")) ? "resumed"
									: "still held (another open review, or an opt-out)",
		       (long long)json_integer_value(json_object_get(out, "call_task_id")));
	printf("\n");
	json_decref(out);
	return 0;
}

int ctl_tasks(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");

	if (argc >= 2 && !strcmp(argv[1], "list"))
		return tasks_list(c, argc, argv, as_json);
	if (argc >= 2 && !strcmp(argv[1], "claim"))
		return tasks_claim(c, argc, argv, as_json);
	if (argc >= 2 && !strcmp(argv[1], "complete"))
		return tasks_complete(c, argc, argv, as_json);
	fprintf(stderr, "Usage: dunnctl -c FILE tasks list|claim|complete ... "
			"('dunnctl tasks --help')\n");
	return 2;
}
