#include "report_sql.h"

/* $1, $2: first and last UTC day of the period. Reminders are those
 * created in it; a payment or an opt-out counts once, for the last
 * reminder that reached the account (or address) before it ("last
 * touch", chosen among all reminders, so a payment never counts in two
 * periods), and a payment only within 30 days of that reminder. Paid
 * within 7 and 30 days counts settled invoices; recovered sums the
 * ledger (every payment, partial ones included, net of refunds), not the
 * amounts of the invoices that were settled.
 * Deliveries purged since are in report_daily (counts by status) and
 * report_daily_paid (their payments). */
const char REPORT_SQL_FUNNEL[] =
	"WITH r AS (\n"
	"  SELECT d.id, d.account_id, coalesce(c.track, '') AS track, d.step, d.channel, d.status,\n"
	"         d.address, coalesce(d.sent_at, d.created_at) AS at\n"
	"  FROM dunning.deliveries d JOIN dunning.cases c ON c.id = d.case_id\n"
	"  WHERE d.kind = 'reminder'\n"
	"    AND d.created_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'\n"
	"    AND d.created_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'),\n"
	"pay_all AS MATERIALIZED (\n"
	"  SELECT lt.id, i.paid_at <= lt.at + interval '7 days' AS in7, i.amount_due,\n"
	"         i.currency::text AS currency\n"
	"  FROM dunning.invoices i\n"
	"  " REPORT_SQL_LAST_TOUCH
	"  WHERE i.paid_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'),\n"
	"pay AS (SELECT * FROM pay_all WHERE id IN (SELECT id FROM r)),\n"
	"rec_all AS MATERIALIZED (\n"
	"  SELECT lt.id, p.amount, p.currency::text AS currency\n"
	"  FROM dunning.payments p\n"
	"  " REPORT_SQL_PAY_TOUCH "  WHERE " REPORT_SQL_RECOVERED_KINDS
	" AND p.at >= ($1::date)::timestamp AT TIME ZONE 'UTC'),\n"
	"rec AS (SELECT * FROM rec_all WHERE id IN (SELECT id FROM r)),\n"
	"opt AS (\n"
	"  SELECT lt.id FROM dunning.suppressions s\n"
	"  CROSS JOIN LATERAL (SELECT r.id FROM r\n"
	"       WHERE r.address IS NOT NULL AND lower(r.address) = lower(s.address)\n"
	"         AND r.status IN ('sent', 'delivered') AND r.at <= s.created_at\n"
	"       ORDER BY r.at DESC, r.id DESC LIMIT 1) lt\n"
	"  WHERE s.reason = 'opt-out'),\n"
	"counts AS (\n"
	"  SELECT track, step, channel, count(*) AS reminders,\n"
	"         count(*) FILTER (WHERE status IN ('sent', 'delivered')) AS sent,\n"
	"         count(*) FILTER (WHERE status = 'delivered') AS delivered,\n"
	"         count(*) FILTER (WHERE status IN ('failed', 'bounced')) AS failed\n"
	"  FROM r GROUP BY 1, 2, 3\n"
	"  UNION ALL\n"
	"  SELECT track, step, channel, sum(n),\n"
	"         coalesce(sum(n) FILTER (WHERE status IN ('sent', 'delivered')), 0),\n"
	"         coalesce(sum(n) FILTER (WHERE status = 'delivered'), 0),\n"
	"         coalesce(sum(n) FILTER (WHERE status IN ('failed', 'bounced')), 0)\n"
	"  FROM dunning.report_daily\n"
	"  WHERE kind = 'reminder' AND day BETWEEN $1::date AND $2::date GROUP BY 1, 2, 3),\n"
	"cc AS (SELECT track, step, channel, sum(reminders) AS reminders, sum(sent) AS sent,\n"
	"              sum(delivered) AS delivered, sum(failed) AS failed\n"
	"       FROM counts GROUP BY 1, 2, 3),\n"
	"paid_days AS (SELECT * FROM dunning.report_daily_paid\n"
	"              WHERE day BETWEEN $1::date AND $2::date),\n"
	"pay_g AS (SELECT track, step, channel, sum(paid7) AS paid7, sum(paid30) AS paid30\n"
	"          FROM (SELECT r.track, r.step, r.channel,\n"
	"                       count(DISTINCT p.id) FILTER (WHERE p.in7) AS paid7,\n"
	"                       count(DISTINCT p.id) AS paid30\n"
	"                FROM pay p JOIN r ON r.id = p.id GROUP BY 1, 2, 3\n"
	"                UNION ALL\n"
	"                SELECT track, step, channel, sum(paid_7d), sum(paid_30d)\n"
	"                FROM paid_days WHERE currency = '' GROUP BY 1, 2, 3) x\n"
	"          GROUP BY 1, 2, 3),\n"
	"rec_g AS (SELECT track, step, channel,\n"
	"                 string_agg(currency || ':' || amount, ',' ORDER BY currency) AS recovered\n"
	"          FROM (SELECT track, step, channel, currency, sum(amount) AS amount\n"
	"                FROM (SELECT r.track, r.step, r.channel, p.currency, p.amount\n"
	"                      FROM rec p JOIN r ON r.id = p.id\n"
	"                      UNION ALL\n"
	"                      SELECT track, step, channel, currency, recovered\n"
	"                      FROM paid_days WHERE currency <> '') y\n"
	"                GROUP BY 1, 2, 3, 4) x\n"
	"          GROUP BY 1, 2, 3),\n"
	"opt_g AS (SELECT r.track, r.step, r.channel, count(*) AS n\n"
	"          FROM opt o JOIN r ON r.id = o.id GROUP BY 1, 2, 3)\n"
	"SELECT cc.track, cc.step, cc.channel, cc.reminders, cc.sent, cc.delivered, cc.failed,\n"
	"       coalesce(opt_g.n, 0), coalesce(pay_g.paid7, 0), coalesce(pay_g.paid30, 0),\n"
	"       coalesce(rec_g.recovered, '')\n"
	"FROM cc LEFT JOIN pay_g USING (track, step, channel)\n"
	"LEFT JOIN rec_g USING (track, step, channel)\n"
	"LEFT JOIN opt_g USING (track, step, channel)\n"
	"ORDER BY cc.track, cc.step, cc.channel";

/* $1, $2: first and last UTC day of the period; the disputes opened in
 * it, by reason and status, then a totals row. */
const char REPORT_SQL_DISPUTES[] =
	"SELECT coalesce(reason, ''), status, count(*),\n"
	"       count(*) FILTER (WHERE resolved_at IS NOT NULL),\n"
	"       coalesce(round((avg(extract(epoch FROM resolved_at - opened_at))\n"
	"                FILTER (WHERE resolved_at IS NOT NULL) / 3600)::numeric, 1)::text, '-'),\n"
	"       coalesce(round((max(extract(epoch FROM resolved_at - opened_at))\n"
	"                / 3600)::numeric, 1)::text, '-'),\n"
	"       count(satisfaction),\n"
	"       coalesce(round(avg(satisfaction), 2)::text, '-'),\n"
	"       grouping(reason, status)\n"
	"FROM dunning.disputes\n"
	"WHERE opened_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'\n"
	"  AND opened_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'\n"
	"GROUP BY GROUPING SETS ((reason, status), ())\n"
	"ORDER BY grouping(reason, status), reason, status";
