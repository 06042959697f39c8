/* What dunnctl purge folds into the report before deliveries leave, shared
 * by the two ways they leave: a whole partition dropped (ctl_purge_part.c)
 * and rows deleted batch by batch (ctl_purge.c). Both statements define
 * the CTEs these fragments read: gt, the leaving rows as (id, day, track,
 * step, channel, kind, status); touch, the settled invoices whose last
 * touch (CTL_SQL_LAST_TOUCH) is a leaving row, as (id, in7); rtouch, the
 * ledger entries whose last touch (CTL_SQL_PAY_TOUCH) is one, as (id,
 * amount, currency). Each fragment is one CTE and ends without a comma. */
#ifndef DUNN_CTL_PURGE_H
#define DUNN_CTL_PURGE_H

#include <jansson.h>

#include "ctl.h"

/* Counts per day (UTC, of created_at), track, step, channel, kind and
 * status: the report adds them to what is still in deliveries. */
#define PURGE_SQL_FOLD_COUNTS                                                                          \
	"agg AS (\n"                                                                                   \
	"  INSERT INTO dunning.report_daily AS r (day, track, step, channel, kind, status, n)\n"       \
	"  SELECT day, track, step, channel, kind, status, count(*) FROM gt\n"                         \
	"  GROUP BY 1, 2, 3, 4, 5, 6\n"                                                                \
	"  ON CONFLICT (day, track, step, channel, kind, status) DO UPDATE SET n = r.n + EXCLUDED.n\n" \
	"  RETURNING 1)"

/* Paid counts once, in the row with currency ''; amounts recovered (the
 * ledger's payments net of refunds) per currency. */
#define PURGE_SQL_FOLD_PAID                                                                          \
	"paid AS (\n"                                                                                \
	"  INSERT INTO dunning.report_daily_paid AS r\n"                                             \
	"         (day, track, step, channel, currency, paid_7d, paid_30d, recovered)\n"             \
	"  SELECT gt.day, gt.track, gt.step, gt.channel, '',\n"                                      \
	"         count(DISTINCT t.id) FILTER (WHERE t.in7), count(DISTINCT t.id), 0\n"              \
	"  FROM touch t JOIN gt ON gt.id = t.id GROUP BY 1, 2, 3, 4\n"                               \
	"  UNION ALL\n"                                                                              \
	"  SELECT gt.day, gt.track, gt.step, gt.channel, t.currency, 0, 0, sum(t.amount)\n"          \
	"  FROM rtouch t JOIN gt ON gt.id = t.id GROUP BY 1, 2, 3, 4, 5\n"                           \
	"  ON CONFLICT (day, track, step, channel, currency) DO UPDATE\n"                            \
	"  SET paid_7d = r.paid_7d + EXCLUDED.paid_7d, paid_30d = r.paid_30d + EXCLUDED.paid_30d,\n" \
	"      recovered = r.recovered + EXCLUDED.recovered\n"                                       \
	"  RETURNING 1)"

/* A call task keeps its case and loses the delivery that is gone. */
#define PURGE_SQL_UNLINK                                        \
	"unlink AS (\n"                                         \
	"  UPDATE dunning.phone_tasks SET delivery_id = NULL\n" \
	"  WHERE delivery_id IN (SELECT id FROM gt) RETURNING 1)"

/* Drops the partitions of deliveries and events that hold nothing an open
 * case or the retention period still needs, after folding their figures;
 * each in its own transaction unless dry_run (then inside the caller's,
 * with no exclusive lock and nothing dropped). Counts into out
 * ("partitions_dropped", "partitions_changed", "events_dropped",
 * "deliveries_deleted", "report_daily_rows", "report_daily_paid_rows",
 * "report_page_daily_rows", "parent_lock_ms", "partitions"). *gone: the
 * oids of the partitions dropped, or that a dry run would drop, and of
 * those written to while folded (kept whole for the next run), as an
 * array literal
 * ("{}" for none) for later statements to pass over; caller frees, also
 * on failure. 0, or -1 with what was dropped so far committed and
 * counted. */
int ctl_purge_partitions(struct ctl *c, const char *cutoff, int dry_run, json_t *out, char **gone);

#endif
