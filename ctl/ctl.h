/* dunnctl: the operator's command line. Each subcommand is one function
 * taking the loaded config, an open connection and its own arguments. */
#ifndef DUNN_CTL_H
#define DUNN_CTL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "config.h"
#include "report_sql.h"

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
 * (ctl/ctl_out.c). 0, or -1 when the streams cannot be set up. */
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

/* Last touch (engine/report_sql.h): one definition for report, purge and the
 * console's dashboard. */
#define CTL_SQL_TOUCH REPORT_SQL_TOUCH
#define CTL_SQL_LAST_TOUCH REPORT_SQL_LAST_TOUCH
#define CTL_SQL_PAY_TOUCH REPORT_SQL_PAY_TOUCH
#define CTL_SQL_RECOVERED_KINDS REPORT_SQL_RECOVERED_KINDS

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
int ctl_risk(struct ctl *c, int argc, char **argv);
int ctl_staff(struct ctl *c, int argc, char **argv);
int ctl_fee(struct ctl *c, int argc, char **argv);
/* report's late fees over the days from..to: {CUR: {charged, waived, paid}}
 * in major units, or NULL on a database error (printed). */
json_t *ctl_report_fees(struct ctl *c, const char *from, const char *to);
void ctl_report_fees_print(const json_t *fees);
/* dunnctl report disputes / report page (ctl/ctl_report_page.c); ctl_report
 * calls them with argv[0] = "disputes" or "page". */
int ctl_report_disputes(struct ctl *c, int argc, char **argv);
int ctl_report_page(struct ctl *c, int argc, char **argv);

#endif
