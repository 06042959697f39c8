/* The reports' statements, shared by dunnctl report (and purge) and the
 * console's dashboard and disputes screen, so both show the same figures. */
#ifndef DUNN_REPORT_SQL_H
#define DUNN_REPORT_SQL_H

/* Last touch, for the report and for what purge keeps of it: the last
 * reminder that reached account acct at or before the instant at, within
 * 30 days, as lt(id, at); acct and at are SQL expressions (string
 * literals). One definition, so a purged delivery's payments are the ones
 * the report gave it. */
#define REPORT_SQL_TOUCH(acct, at)                                                      \
	"CROSS JOIN LATERAL (SELECT d.id, coalesce(d.sent_at, d.created_at) AS at\n"    \
	"     FROM dunning.deliveries d\n"                                              \
	"     WHERE d.account_id = " acct " AND d.kind = 'reminder'\n"                  \
	"       AND d.status IN ('sent', 'delivered')\n"                                \
	"       AND coalesce(d.sent_at, d.created_at) <= " at "\n"                      \
	"       AND " at " <= coalesce(d.sent_at, d.created_at) + interval '30 days'\n" \
	"     ORDER BY 2 DESC, 1 DESC LIMIT 1) lt\n"
/* The invoice i settled (paid within 7 and 30 days). */
#define REPORT_SQL_LAST_TOUCH REPORT_SQL_TOUCH("i.account_id", "i.paid_at")
/* The ledger entry p (recovered: every payment, net of refunds, partial
 * ones included; credits are not money in). */
#define REPORT_SQL_PAY_TOUCH REPORT_SQL_TOUCH("p.account_id", "p.at")
#define REPORT_SQL_RECOVERED_KINDS "p.kind IN ('payment', 'refund')"

/* The funnel per track, step and channel. Columns: track, step, channel,
 * reminders, sent, delivered, failed, opt-outs, paid within 7 days, paid
 * within 30 days, recovered ("CUR:minor,..." or ""). */
extern const char REPORT_SQL_FUNNEL[];

/* dunnctl report disputes and the console's disputes screen. Columns:
 * reason, status, disputes, resolved, average and longest hours to
 * resolution ("-" when none), rated, average satisfaction ("-"), and
 * non-zero on the totals row (0 on the others). */
extern const char REPORT_SQL_DISPUTES[];
#define REPORT_DISPUTES_NCOLS 9

/* dunnctl report --by variant and the console's dashboard: per experiment
 * and variant, the cases that joined it. Columns: experiment, variant,
 * cases, reminders, sent, delivered, opt-outs, disputes, paid within 7
 * days, paid within 30 days, recovered ("CUR:minor,..." or ""); ordered
 * by experiment, variant. engine/report_variant.h makes the report of
 * them. */
extern const char REPORT_SQL_VARIANTS[];
#define REPORT_VARIANTS_NCOLS 11

#endif
