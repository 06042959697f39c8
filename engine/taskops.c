/* Phone task outcomes: the statements dunnctl tasks and the console run.
 * A review is decided, never called; a call is never "decided". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caseops.h"
#include "taskops.h"
#include "tz.h"

/* Only one caller per task: a claim by someone else is refused. The last
 * two columns are read before the update (the statement's snapshot). */
const char TASKOPS_SQL_CLAIM[] =
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
	"SELECT t.case_id, t.account_id, a.external_ref, coalesce(a.phone, ''),\n"
	"       t.completed_at IS NOT NULL, t.delivery_id, t.kind,\n"
	"       coalesce(m.address, a.phone, '')\n"
	"FROM dunning.phone_tasks t JOIN dunning.accounts a ON a.id = t.account_id\n"
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
	"  INSERT INTO dunning.phone_tasks (case_id, account_id, due_at, note, inbound_message_id,\n"
	"                                   kind)\n"
	"  SELECT $5::bigint, t.account_id, $2, 'SMS reply: ' || left(coalesce(m.body, ''), 500),\n"
	"         t.inbound_message_id, 'call'\n"
	"  FROM dunning.phone_tasks t LEFT JOIN dunning.inbound_messages m\n"
	"       ON m.id = t.inbound_message_id\n"
	"  WHERE t.account_id = $3::bigint AND t.id = $4::bigint\n"
	"  RETURNING id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"SELECT $2, 'sms_review_cleared', $3::bigint, $5::bigint,\n"
	"       jsonb_build_object('phone_task_id', $4::bigint, 'call_task_id', call.id,\n"
	"                          'resumed', EXISTS (SELECT 1 FROM lift))\n"
	"FROM call RETURNING (SELECT id FROM call), EXISTS (SELECT 1 FROM lift)";

/* $2 outcome, $3 the clock, $4 who called (or NULL), $5 the staff member
 * signed in to the console (or NULL). */
static const char SQL_COMPLETE[] =
	"WITH t AS (\n"
	"  UPDATE dunning.phone_tasks SET outcome = $2, completed_at = $3,\n"
	"         assignee = coalesce($4, assignee)\n"
	"  WHERE id = $1 AND completed_at IS NULL RETURNING id, case_id, account_id, delivery_id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT $3, 'phone_task_completed', t.account_id, t.case_id, t.delivery_id,\n"
	"       jsonb_strip_nulls(jsonb_build_object('phone_task_id', t.id, 'outcome', $2::text,\n"
	"                         'source', 'call', 'staff', $5::text))\n"
	"FROM t RETURNING 1";

/* $2 the new due time, $3 the clock, $4 who called, $5 the console's staff
 * member (or NULL). */
static const char SQL_CALLBACK[] =
	"WITH t AS (\n"
	"  UPDATE dunning.phone_tasks SET due_at = $2, outcome = 'callback',\n"
	"         assignee = coalesce($4, assignee)\n"
	"  WHERE id = $1 AND completed_at IS NULL RETURNING id, case_id, account_id, delivery_id)\n"
	"INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"SELECT $3, 'phone_task_rescheduled', t.account_id, t.case_id, t.delivery_id,\n"
	"       jsonb_strip_nulls(jsonb_build_object('phone_task_id', t.id, 'outcome', 'callback',\n"
	"                         'source', 'call', 'staff', $5::text))\n"
	"FROM t RETURNING 1";

/* The number reaches someone else: neither texts nor calls may use it. */
static const char SQL_WRONG_NUMBER[] =
	"INSERT INTO dunning.suppressions (channel, address, reason, source)\n"
	"SELECT ch, a.phone, 'manual', 'call'\n"
	"FROM dunning.accounts a, unnest(ARRAY['sms', 'phone']) AS ch\n"
	"WHERE a.id = $1 AND a.phone IS NOT NULL AND a.phone <> ''\n"
	"ON CONFLICT (channel, address) DO NOTHING";

static const char *const call_outcomes[] = {
	"reached", "no_answer", "promise_to_pay", "dispute", "wrong_number", "callback", NULL};
static const char *const review_outcomes[] = {"opt_out", "not_opt_out", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (size_t k = 0; s && list[k]; k++)
		if (!strcmp(list[k], s))
			return 1;
	return 0;
}

int taskops_valid(const char *s)
{
	return in_list(call_outcomes, s) || in_list(review_outcomes, s);
}

/* sql with params; NULL (err set from the server's message) on failure. */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params, char *err,
		     size_t errlen)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	const char *e;

	if (res &&
	    (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;
	e = PQerrorMessage(conn);
	snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
	PQclear(res);
	return NULL;
}

static int run_ok(PGconn *conn, const char *sql, int n, const char *const *params, char *err,
		  size_t errlen)
{
	PGresult *res = run(conn, sql, n, params, err, errlen);

	PQclear(res);
	return res ? 0 : 1;
}

/* A review decided: the hold becomes an opt-out, or is lifted and the
 * reply goes to the call team. */
static int outcome_review(PGconn *conn, const struct taskops_outcome *o, const char *number,
			  const char *account_id, const char *case_id, const char *at_s,
			  json_t *out, char *err, size_t errlen)
{
	const char *params[5] = {number, at_s, account_id, o->id, case_id};
	PGresult *res;

	if (!strcmp(o->outcome, "opt_out")) {
		res = run(conn, SQL_REVIEW_OPT_OUT, 4, params, err, errlen);
		if (!res)
			return 1;
		json_object_set_new(out, "opted_out", json_boolean(atoi(PQcmdTuples(res)) > 0));
		PQclear(res);
		return 0;
	}
	res = run(conn, SQL_REVIEW_CLEAR, 5, params, err, errlen);
	if (!res)
		return 1;
	if (PQntuples(res) == 1) {
		json_object_set_new(out, "call_task_id",
				    json_integer(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
		json_object_set_new(out, "sms_resumed",
				    json_boolean(PQgetvalue(res, 0, 1)[0] == 't'));
	}
	PQclear(res);
	return 0;
}

/* Pause the case for a promise made on the phone ('dunnctl promise''s
 * statement: same acknowledgement, same engine path). */
static int outcome_promise(PGconn *conn, const struct taskops_outcome *o, const char *account_id,
			   const char *at_s, json_t *out, char *err, size_t errlen)
{
	const char *params[CASEOPS_PAUSE_NPARAMS] = {NULL};
	PGresult *res;
	int64_t day;
	int rc = 1;

	if (!o->until || !caseops_date(o->until, &day)) {
		snprintf(err, errlen, "--until: not a date YYYY-MM-DD: %s",
			 o->until ? o->until : "");
		return 2;
	}
	if (!caseops_promise_in_range(day, o->at, o->max_promise_days)) {
		snprintf(err, errlen,
			 "--until must be from today to %d days ahead (max_promise_days)",
			 o->max_promise_days);
		return 1;
	}
	params[1] = o->until;
	params[2] = "promise";
	params[4] = at_s;
	params[5] = o->notice_channels;
	params[6] = "call";
	params[7] = account_id;
	res = run(conn, CASEOPS_SQL_PAUSE, CASEOPS_PAUSE_NPARAMS, params, err, errlen);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 1)) == 0) {
		snprintf(err, errlen, "the task's account has no open case: nothing to pause");
	} else {
		json_object_set_new(out, "paused_until", json_string(PQgetvalue(res, 0, 2)));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* Open a dispute raised on the phone ('dunnctl dispute''s statement),
 * only on an invoice of the task's own account. */
static int outcome_dispute(PGconn *conn, const struct taskops_outcome *o, const char *account_id,
			   const char *at_s, json_t *out, char *err, size_t errlen)
{
	const char *params[CASEOPS_DISPUTE_OPEN_NPARAMS] = {NULL};
	PGresult *res;
	int rc = 1;

	if (!o->invoice || !*o->invoice || !o->reason || !*o->reason) {
		snprintf(err, errlen, "dispute needs --invoice REF and --reason TEXT");
		return 2;
	}
	params[0] = o->invoice;
	params[1] = o->reason;
	params[3] = "phone";
	params[4] = at_s;
	params[5] = o->notice_channels;
	params[6] = account_id;
	res = run(conn, CASEOPS_SQL_DISPUTE_OPEN, CASEOPS_DISPUTE_OPEN_NPARAMS, params, err,
		  errlen);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		snprintf(err, errlen, "no unpaid invoice '%s' on this task's account", o->invoice);
	else if (!PQgetisnull(res, 0, 1))
		snprintf(err, errlen, "invoice '%s' is already under dispute %s", o->invoice,
			 PQgetvalue(res, 0, 1));
	else {
		json_object_set_new(out, "dispute", json_string(PQgetvalue(res, 0, 2)));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int taskops_apply(PGconn *conn, const struct taskops_outcome *o, json_t *out, char *err,
		  size_t errlen)
{
	char at_s[32], case_id[24], account_id[24], number[64];
	const char *params[5];
	PGresult *res;
	int review, rc = 0;

	err[0] = '\0';
	if (!taskops_valid(o->outcome) || !o->notice_channels) {
		snprintf(err, errlen, "not an outcome: %s", o->outcome ? o->outcome : "");
		return 2;
	}
	tz_format_iso8601(o->at, at_s, sizeof at_s);
	params[0] = o->id;
	res = run(conn, SQL_TASK, 1, params, err, errlen);
	if (!res)
		return 1;
	if (PQntuples(res) == 0 || PQgetvalue(res, 0, 4)[0] == 't') {
		snprintf(err, errlen, "%s phone task %s",
			 PQntuples(res) ? "already completed:" : "no", o->id);
		PQclear(res);
		return 1;
	}
	snprintf(case_id, sizeof case_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(account_id, sizeof account_id, "%s", PQgetvalue(res, 0, 1));
	snprintf(number, sizeof number, "%s", PQgetvalue(res, 0, 7));
	review = !strcmp(PQgetvalue(res, 0, 6), "review");
	if (review != in_list(review_outcomes, o->outcome)) {
		snprintf(err, errlen, "phone task %s is a %s: outcome %s", o->id,
			 review ? "review (an SMS reply that may be an opt-out)" : "call",
			 review ? "opt_out or not_opt_out" : "of a call, not opt_out/not_opt_out");
		PQclear(res);
		return 1;
	}
	json_object_set_new(out, "account_ref", json_string(PQgetvalue(res, 0, 2)));
	json_object_set_new(out, "case_id", json_integer(strtoll(case_id, NULL, 10)));
	PQclear(res);
	if (review) {
		rc = outcome_review(conn, o, number, account_id, case_id, at_s, out, err, errlen);
	} else if (!strcmp(o->outcome, "promise_to_pay")) {
		rc = outcome_promise(conn, o, account_id, at_s, out, err, errlen);
	} else if (!strcmp(o->outcome, "dispute")) {
		rc = outcome_dispute(conn, o, account_id, at_s, out, err, errlen);
	} else if (!strcmp(o->outcome, "wrong_number")) {
		params[0] = account_id;
		res = run(conn, SQL_WRONG_NUMBER, 1, params, err, errlen);
		if (!res)
			return 1;
		json_object_set_new(out, "suppressed", json_integer(atoi(PQcmdTuples(res))));
		PQclear(res);
	} else if (!strcmp(o->outcome, "callback") && !o->callback_at) {
		snprintf(err, errlen, "callback needs --at TIME (ISO 8601)");
		return 2;
	}
	if (rc != 0)
		return rc;
	params[0] = o->id;
	params[2] = at_s;
	params[3] = o->as;
	params[4] = o->staff;
	if (!strcmp(o->outcome, "callback")) {
		params[1] = o->callback_at;
		json_object_set_new(out, "due_at", json_string(o->callback_at));
		return run_ok(conn, SQL_CALLBACK, 5, params, err, errlen);
	}
	params[1] = o->outcome;
	return run_ok(conn, SQL_COMPLETE, 5, params, err, errlen);
}
