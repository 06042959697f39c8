/* GET /api/v1/accounts/{account_ref}: what dunning knows of one account,
 * in one statement: the account, its open case, what it owes per
 * currency (dunning.account_owed, the one definition of overdue), its
 * unpaid invoices, the open case's late fee lines, its last contacts,
 * disputes and promises. GET /api/v1/accounts/{account_ref}/fees: every
 * fee line of the account, all cycles. Fee lines are dunning.fees rows,
 * one per step, currency and invoice (migration 0029); the invoices'
 * amounts never include them. Money comes
 * from SQL as {"amount_minor", "currency"}; the major-unit "amount" is
 * added here with money.c, as every other reader formats it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "money.h"

#define MONEY(minor, cur)                                                                 \
	"json_build_object('amount_minor', CASE WHEN abs(" minor ") <= 1e18 THEN (" minor \
	")::bigint END, 'currency', " cur ")"

/* One dunning.fees row f (with its invoice i, LEFT JOINed) as the API's
 * FeeLine. */
#define FEE_AMOUNT MONEY("f.amount", "f.currency::text")
#define FEE_BASE MONEY("f.base", "f.currency::text")
#define FEE_LINE                                                                                  \
	"json_build_object('id', f.id, 'invoice_ref', i.external_ref, 'cycle', f.cycle,\n"        \
	"  'step', f.step, 'kind', f.kind,\n"                                                     \
	"  'percent', CASE WHEN f.rate > 0 THEN trim_scale(f.rate::numeric / 10000)::text END,\n" \
	"  'amount', " FEE_AMOUNT ",\n"                                                           \
	"  'base', " FEE_BASE ",\n"                                                               \
	"  'state', CASE WHEN f.waived_at IS NOT NULL THEN 'waived'\n"                            \
	"                WHEN f.paid_at IS NOT NULL THEN 'paid' ELSE 'owed' END,\n"               \
	"  'created_at', dunning.api_time(f.created_at),\n"                                       \
	"  'waived_at', dunning.api_time(f.waived_at), 'waived_by', f.waived_by,\n"               \
	"  'waive_reason', f.waive_reason, 'paid_at', dunning.api_time(f.paid_at))"

static const char SQL_ACCOUNT[] =
	"WITH a AS (SELECT * FROM dunning.accounts WHERE external_ref = $1)\n"
	"SELECT json_build_object(\n"
	" 'account', json_build_object('account_ref', a.external_ref, 'name', a.name,\n"
	"   'email', a.email, 'phone', a.phone, 'locale', a.locale, 'timezone', a.timezone,\n"
	"   'segment', a.segment),\n"
	" 'case', (SELECT json_build_object('cycle', c.cycle, 'state', c.state, 'step', c.stage,\n"
	"            'track', c.track, 'opened_at', dunning.api_time(c.opened_at),\n"
	"            'next_action_at', dunning.api_time(c.next_action_at),\n"
	"            'paused_until', dunning.api_time(c.paused_until),\n"
	"            'pause_reason', c.pause_reason)\n"
	"          FROM dunning.cases c WHERE c.account_id = a.id AND c.state <> 'resolved'\n"
	"          ORDER BY c.cycle DESC LIMIT 1),\n"
	" 'owed', coalesce((SELECT json_agg(json_build_object('currency', o.currency,\n"
	"            'overdue', " MONEY(
		"o.overdue",
		"o.currency") ",\n"
			      "            'balance', " MONEY(
				      "o.balance",
				      "o.currency") ",\n"
						    "            'disputed', " MONEY(
							    "o.disputed",
							    "o.currency") ",\n"
									  "            'oldest_due', o.oldest_due, 'overdue_invoices', o.overdue_count)\n"
									  "            ORDER BY o.currency)\n"
									  "          FROM dunning.account_owed(a.id, now()) o), '[]'),\n"
									  " 'invoices', coalesce((SELECT json_agg(x.j ORDER BY x.due_date, x.external_ref) FROM (\n"
									  "          SELECT i.due_date, i.external_ref, json_build_object('invoice_ref', i.external_ref,\n"
									  "            'due_date', i.due_date, 'amount_due', " MONEY(
										  "i.amount_due",
										  "i.currency::text") ",\n"
												      "            'unpaid', " MONEY(
													      "i.amount_due - i.amount_paid",
													      "i.currency::text") ",\n"
																  "            'disputed', i.disputed,\n"
																  "            'overdue', NOT i.disputed AND i.due_date < dunning.local_date(now(), a.timezone))\n"
																  "            AS j\n"
																  "          FROM dunning.invoices i WHERE i.account_id = a.id AND i.paid_at IS NULL\n"
																  "            AND i.amount_due > i.amount_paid\n"
																  "          ORDER BY i.due_date, i.external_ref LIMIT 100) x), '[]'),\n"
																  " 'fees', coalesce((SELECT json_agg(" FEE_LINE
																  " ORDER BY f.created_at, f.id)\n"
																  "          FROM dunning.fees f JOIN dunning.cases c ON c.id = f.case_id\n"
																  "          LEFT JOIN dunning.invoices i ON i.id = f.invoice_id\n"
																  "          WHERE c.account_id = a.id AND c.state <> 'resolved'), '[]'),\n"
																  " 'last_contacts', coalesce((SELECT json_agg(x.j ORDER BY x.at DESC) FROM (\n"
																  "          SELECT coalesce(d.sent_at, d.updated_at) AS at, json_build_object(\n"
																  "            'at', dunning.api_time(coalesce(d.sent_at, d.updated_at)), 'channel', d.channel,\n"
																  "            'kind', d.kind, 'template', d.template, 'step', d.step, 'status', d.status) AS j\n"
																  "          FROM dunning.deliveries d WHERE d.account_id = a.id\n"
																  "            AND d.status IN ('sent', 'delivered', 'failed', 'bounced')\n"
																  "          ORDER BY coalesce(d.sent_at, d.updated_at) DESC LIMIT 10) x), '[]'),\n"
																  " 'disputes', coalesce((SELECT json_agg(x.j ORDER BY x.opened_at DESC) FROM (\n"
																  "          SELECT d.opened_at, json_build_object('reference', d.reference,\n"
																  "            'invoice_ref', i.external_ref, 'status', d.status, 'reason', d.reason,\n"
																  "            'opened_at', dunning.api_time(d.opened_at),\n"
																  "            'resolved_at', dunning.api_time(d.resolved_at)) AS j\n"
																  "          FROM dunning.disputes d JOIN dunning.invoices i ON i.id = d.invoice_id\n"
																  "          WHERE i.account_id = a.id ORDER BY d.opened_at DESC LIMIT 20) x), '[]'),\n"
																  " 'promises', coalesce((SELECT json_agg(x.j ORDER BY x.at DESC) FROM (\n"
																  "          SELECT e.at, json_build_object('made_at', dunning.api_time(e.at),\n"
																  "            'until', dunning.api_time((e.detail->>'until')::timestamptz),\n"
																  "            'source', e.detail->>'source') AS j\n"
																  "          FROM dunning.events e WHERE e.account_id = a.id AND e.kind = 'case_paused'\n"
																  "            AND e.detail->>'reason' = 'promise'\n"
																  "          ORDER BY e.at DESC LIMIT 20) x), '[]')\n"
																  ")::text FROM a";

/* Every {"amount_minor", "currency"} in v gets its "amount" as written
 * on a bill ("49.90"). */
static void add_amounts(json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m) add_amounts(m);
		return;
	}
	if (!json_is_object(v))
		return;
	json_t *minor = json_object_get(v, "amount_minor");
	const char *cur = json_string_value(json_object_get(v, "currency"));
	if (minor && cur && json_object_size(v) == 2) {
		char s[48];
		if (json_is_integer(minor) &&
		    money_plain((int64_t)json_integer_value(minor), cur, s, sizeof s) >= 0)
			json_object_set_new(v, "amount", json_string(s));
		else
			json_object_set_new(v, "amount", json_null());
		return;
	}
	json_object_foreach(v, k, m) add_amounts(m);
}

/* At most API_MAX_ROWS lines, the oldest first; truncated says more
 * exist (their ids are higher than the last one's). */
#define STR_(x) #x
#define STR(x) STR_(x)
#define FEE_ROWS STR(API_MAX_ROWS)
static const char SQL_FEES[] =
	"WITH a AS (SELECT * FROM dunning.accounts WHERE external_ref = $1),\n"
	"l AS (SELECT f.id FROM a JOIN dunning.fees f ON f.account_id = a.id\n"
	"      ORDER BY f.id LIMIT " FEE_ROWS " + 1)\n"
	"SELECT json_build_object('account_ref', a.external_ref,\n"
	"  'fees', coalesce((SELECT json_agg(" FEE_LINE " ORDER BY f.id)\n"
	"    FROM dunning.fees f LEFT JOIN dunning.invoices i\n"
	"      ON i.account_id = f.account_id AND i.id = f.invoice_id\n"
	"    WHERE f.id IN (SELECT id FROM l ORDER BY id LIMIT " FEE_ROWS ")), '[]'),\n"
	"  'truncated', (SELECT count(*) FROM l) > " FEE_ROWS ")::text FROM a";

/* One statement of one row of JSON text: the answer, or 404 when no
 * account has the ref. */
static enum api_next one_json(struct api_job *j, const PGresult *res, const char *sql)
{
	const char *p[1] = {json_string_value(j->in)};
	json_t *o;

	if (!res) {
		if (api_send(j, sql, 1, p) != 0) {
			api_problem(j, 503, "Service Unavailable", "the database is unavailable",
				    NULL);
			return API_FAIL;
		}
		return API_SENT;
	}
	if (PQntuples(res) == 0) {
		api_problem(j, 404, "Not Found", "no account with this account_ref", NULL);
		return API_FAIL;
	}
	o = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	add_amounts(o);
	if (!o) {
		api_problem(j, 500, "Internal Server Error", "out of memory", NULL);
		return API_FAIL;
	}
	api_json(j, 200, o);
	return API_DONE;
}

static enum api_next account_step(struct api_job *j, const PGresult *res)
{
	return one_json(j, res, SQL_ACCOUNT);
}

static enum api_next fees_step(struct api_job *j, const PGresult *res)
{
	return one_json(j, res, SQL_FEES);
}

const struct api_op api_op_account = {"account", 0, account_step};
const struct api_op api_op_account_fees = {"account_fees", 0, fees_step};
