/* dunnctl tasks: the call team's queue. The phone_task module (and the SMS
 * reply webhook) create dunning.phone_tasks rows; callers list, claim and
 * complete them here (or in the staff console: both run engine/taskops), and
 * each outcome acts on the case: a promise pauses it and a dispute opens
 * one through the statements 'dunnctl promise' and 'dunnctl dispute' use
 * (engine/caseops), a wrong number is suppressed, and "reached" is history
 * the poller hands to the engine (rest_after_reached). Review tasks are SMS
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
#include "taskops.h"
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

enum {
	L_ID,
	L_DUE,
	L_ASSIGNEE,
	L_OUTCOME,
	L_DONE,
	L_REF,
	L_NAME,
	L_PHONE,
	L_TZ,
	L_LOCALE,
	L_CASE,
	L_STATE,
	L_CHANNEL,
	L_STEP,
	L_NOTE,
	L_OWED,
	L_KIND
};

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
	return json_pack(
		"{s:I, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:o, s:i,"
		" s:s, s:o, s:s}",
		"id", (json_int_t)strtoll(PQgetvalue(res, r, L_ID), NULL, 10), "due_at",
		PQgetvalue(res, r, L_DUE), "assignee", str_or_null(PQgetvalue(res, r, L_ASSIGNEE)),
		"outcome", str_or_null(PQgetvalue(res, r, L_OUTCOME)), "completed_at",
		str_or_null(PQgetvalue(res, r, L_DONE)), "account_ref", PQgetvalue(res, r, L_REF),
		"name", PQgetvalue(res, r, L_NAME), "phone",
		str_or_null(PQgetvalue(res, r, L_PHONE)), "timezone", PQgetvalue(res, r, L_TZ),
		"locale", PQgetvalue(res, r, L_LOCALE), "case_id",
		(json_int_t)strtoll(PQgetvalue(res, r, L_CASE), NULL, 10), "case_state",
		PQgetvalue(res, r, L_STATE), "channel", str_or_null(PQgetvalue(res, r, L_CHANNEL)),
		"step", atoi(PQgetvalue(res, r, L_STEP)), "note", PQgetvalue(res, r, L_NOTE),
		"owed", owed_json(PQgetvalue(res, r, L_OWED)), "kind", PQgetvalue(res, r, L_KIND));
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
		fprintf(stderr,
			"Usage: dunnctl -c FILE tasks list [--all] [--kind call|review] "
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
		json_object_foreach(owed, cur, v)
		{
			size_t l = strlen(owe);
			snprintf(owe + l, sizeof owe - l, "%s%s %s", l ? " " : "",
				 json_string_value(v), cur);
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
	res = ctl_exec(c, TASKOPS_SQL_CLAIM, 3, params);
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

static int tasks_complete(struct ctl *c, int argc, char **argv, int as_json)
{
	struct taskops_outcome o = {0};
	struct pgarr chans;
	char err[512];
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
	    !taskops_valid(o.outcome)) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE tasks complete TASK_ID --outcome "
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
	o.max_promise_days = c->cfg->policy->max_promise_days;
	o.notice_channels = caseops_notice_channels(c->cfg->policy, &chans);
	if (!o.notice_channels || exec_ok(c, "BEGIN", 0, NULL) != 0) {
		pgarr_free(&chans);
		json_decref(out);
		return 1;
	}
	rc = taskops_apply(c->conn, &o, out, err, sizeof err);
	pgarr_free(&chans);
	if (rc != 0)
		fprintf(stderr, "dunnctl: %s\n", ctl_text(err));
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
		printf(": case paused until %s",
		       json_string_value(json_object_get(out, "paused_until")));
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
		       json_is_true(json_object_get(out, "sms_resumed"))
			       ? "resumed"
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
	fprintf(stderr,
		"Usage: dunnctl -c FILE tasks list|claim|complete ... "
		"('dunnctl tasks --help')\n");
	return 2;
}
