/* Phone task operations shared by dunnctl tasks and the staff console:
 * claim, and every outcome of a call or a review with its effect on the
 * case (a promise pauses it and a dispute opens one through engine/caseops,
 * a wrong number is suppressed, "reached" is history the engine reads). */
#ifndef DUNN_TASKOPS_H
#define DUNN_TASKOPS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Assign a task to a caller unless someone else holds it or it is done.
 *   $1 task id, $2 assignee, $3 at.
 * One row: tasks claimed now (0 or 1), tasks with that id, the assignee
 * ('' for none), completed (t/f). */
extern const char TASKOPS_SQL_CLAIM[];

struct taskops_outcome {
	const char *id;          /* the task, digits */
	const char *outcome;     /* a call's or a review's (taskops_valid) */
	const char *until;       /* promise_to_pay: YYYY-MM-DD */
	const char *invoice;     /* dispute: the invoice ref */
	const char *reason;      /* dispute: the reason */
	const char *as;          /* who called, or NULL (keeps the assignee) */
	const char *staff;       /* the console's signed-in person, or NULL */
	const char *callback_at; /* callback: ISO 8601 UTC instant */
	int64_t at;              /* the clock */
	int max_promise_days;
	const char *notice_channels; /* text[] literal (caseops_notice_channels) */
};

/* 1 when s is an outcome of a call (reached, no_answer, promise_to_pay,
 * dispute, wrong_number, callback) or of a review (opt_out, not_opt_out). */
int taskops_valid(const char *s);

/* Apply o inside the caller's transaction (BEGIN before, COMMIT on 0,
 * ROLLBACK else). What was done goes into out (account_ref, case_id,
 * paused_until, dispute, suppressed, due_at, opted_out, call_task_id,
 * sms_resumed). 0 done; 1 refused or failed, 2 a bad argument, with the
 * reason (one line, no trailing newline) in err. */
int taskops_apply(PGconn *conn, const struct taskops_outcome *o, json_t *out, char *err,
		  size_t errlen);

#endif
