/* dunnctl: the operator's command line. Each subcommand is one function
 * taking the loaded config, an open connection and its own arguments. */
#ifndef DUNN_CTL_H
#define DUNN_CTL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "config.h"

struct ctl {
	const char *config_path;
	struct config *cfg;
	PGconn *conn;
};

/* Run sql with params; on failure print the error and return NULL.
 * Caller PQclear()s. */
PGresult *ctl_exec(struct ctl *c, const char *sql, int n, const char *const *params);
/* --at ISO8601 from argv (removed from it), else now. -1 on a bad value. */
int ctl_take_at(int *argc, char **argv, int64_t *at);
/* "--name VALUE" taken out of argv; NULL when absent. */
const char *ctl_take_opt(int *argc, char **argv, const char *name);

/* From here on every control character dunnctl writes to stdout or stderr
 * (but line breaks and tabs) is written as a visible escape
 * (daemon/ctl_out.c). 0, or -1 when the streams cannot be set up. */
int ctl_out_escape(void);
/* s with every control character escaped, line breaks and tabs too, for
 * a value printed in a table or a line: s itself when it has none, else a
 * copy valid for the next 15 calls. */
const char *ctl_text(const char *s);

/* A bare flag ("--json") taken out of argv; 1 when it was there. */
int ctl_take_flag(int *argc, char **argv, const char *name);
/* Print doc as one JSON document (and a newline) on stdout and release it.
 * 0, or 1 when doc is NULL (out of memory) or cannot be written. */
int ctl_json_print(json_t *doc);

/* Last touch, for the report and for what purge keeps of it: the last
 * reminder that reached account acct at or before the instant at, within
 * 30 days, as lt(id, at); acct and at are SQL expressions (string
 * literals). One definition, so a purged delivery's payments are the ones
 * the report gave it. */
#define CTL_SQL_TOUCH(acct, at) \
	"CROSS JOIN LATERAL (SELECT d.id, coalesce(d.sent_at, d.created_at) AS at\n" \
	"     FROM dunning.deliveries d\n" \
	"     WHERE d.account_id = " acct " AND d.kind = 'reminder'\n" \
	"       AND d.status IN ('sent', 'delivered')\n" \
	"       AND coalesce(d.sent_at, d.created_at) <= " at "\n" \
	"       AND " at " <= coalesce(d.sent_at, d.created_at) + interval '30 days'\n" \
	"     ORDER BY 2 DESC, 1 DESC LIMIT 1) lt\n"
/* The invoice i settled (paid within 7 and 30 days). */
#define CTL_SQL_LAST_TOUCH CTL_SQL_TOUCH("i.account_id", "i.paid_at")
/* The ledger entry p (recovered: every payment, net of refunds, partial
 * ones included; credits are not money in). */
#define CTL_SQL_PAY_TOUCH CTL_SQL_TOUCH("p.account_id", "p.at")
#define CTL_SQL_RECOVERED_KINDS "p.kind IN ('payment', 'refund')"

int ctl_migrate(struct ctl *c, int argc, char **argv);
int ctl_import(struct ctl *c, int argc, char **argv);
int ctl_pay(struct ctl *c, int argc, char **argv);
int ctl_payments(struct ctl *c, int argc, char **argv);
int ctl_status(struct ctl *c, int argc, char **argv);
int ctl_promise(struct ctl *c, int argc, char **argv);
int ctl_pause(struct ctl *c, int argc, char **argv);
int ctl_resume(struct ctl *c, int argc, char **argv);
int ctl_dispute(struct ctl *c, int argc, char **argv);
int ctl_simulate(struct ctl *c, int argc, char **argv);
int ctl_plan(struct ctl *c, int argc, char **argv);
int ctl_tasks(struct ctl *c, int argc, char **argv);
int ctl_report(struct ctl *c, int argc, char **argv);
/* report --by variant over cases that joined from day from to day to. */
int ctl_report_variants(struct ctl *c, const char *from, const char *to, int as_json);
int ctl_purge(struct ctl *c, int argc, char **argv);
int ctl_quiet(struct ctl *c, int argc, char **argv);
int ctl_staff(struct ctl *c, int argc, char **argv);
/* dunnctl report disputes / report page (daemon/ctl_report_page.c); ctl_report
 * calls them with argv[0] = "disputes" or "page". */
int ctl_report_disputes(struct ctl *c, int argc, char **argv);
int ctl_report_page(struct ctl *c, int argc, char **argv);

#endif
