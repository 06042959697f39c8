/* dunnctl pay's checks and statements, shared with the console; the API
 * runs the same statements on its asynchronous connection. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "owed.h"
#include "payops.h"
#include "tz.h"

const char PAYOPS_SQL_INVOICE[] =
	"SELECT i.id, i.account_id, i.currency,\n"
	"       CASE WHEN i.paid_at IS NULL THEN greatest(i.amount_due - i.amount_paid, 0)\n"
	"            ELSE 0 END,\n"
	"       coalesce(to_char(i.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')\n"
	"FROM dunning.invoices i WHERE i.external_ref = $1 FOR UPDATE";

const char PAYOPS_SQL_SAME_REF[] = "SELECT p.amount, i.external_ref FROM dunning.payments p\n"
				   "JOIN dunning.invoices i ON i.id = p.invoice_id\n"
				   "WHERE p.source = $2 AND p.source_id = $1";

const char PAYOPS_SQL_INSERT[] =
	"INSERT INTO dunning.payments (invoice_id, account_id, amount, currency, at, source,\n"
	"                              source_id)\n"
	"VALUES ($1, $2, $3, $4, $5, $7, $6)\n"
	"ON CONFLICT (source, source_id) DO NOTHING RETURNING id";

/* Reminders still queued go nowhere once nothing is overdue. */
const char PAYOPS_SQL_CANCEL[] =
	"WITH cancel AS (\n"
	"  UPDATE dunning.deliveries d SET status = 'cancelled', last_error = 'paid',\n"
	"         updated_at = now()\n"
	"  WHERE d.account_id = $1 AND d.kind = 'reminder' AND d.status = 'queued'\n"
	"    AND NOT EXISTS (SELECT 1 FROM dunning.account_owed($1, $2) o WHERE o.overdue > 0)\n"
	"  RETURNING d.id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  VALUES ($2, 'payment_recorded', $1,\n"
	"          jsonb_build_object('invoice_id', $3::bigint, 'payment_id', $4::bigint,\n"
	"                             'source', $5::text)\n"
	"          || CASE WHEN $5 = 'dunnctl' THEN '{}'::jsonb\n"
	"                  WHEN $5 = 'api' THEN jsonb_build_object('api_key', $6::text)\n"
	"                  ELSE jsonb_build_object('source', 'console', 'staff', $5::text) END))\n"
	"SELECT count(*) FROM cancel";

static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *p, char *err,
		     size_t errlen)
{
	PGresult *res = n ? PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0) : PQexec(conn, sql);
	const char *e;

	if (res &&
	    (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;
	e = PQerrorMessage(conn);
	snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
	PQclear(res);
	return NULL;
}

static int run_ok(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = run(conn, sql, 0, NULL, err, errlen);

	PQclear(res);
	return res != NULL;
}

static void rollback(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

int payops_record(PGconn *conn, const struct payops_args *a, struct payops_result *r, char *err,
		  size_t errlen)
{
	char at_s[32], merr[MONEY_ERR_MAX], amount_buf[32], inv_id[24], acct_id[24], paid_at[40];
	const char *params[7];
	int64_t owed, amount = 0;
	PGresult *res;
	int rc = 1;

	memset(r, 0, sizeof *r);
	err[0] = '\0';
	tz_format_iso8601(a->at, at_s, sizeof at_s);
	if (!run_ok(conn, "BEGIN", err, errlen))
		return 1;
	params[0] = a->invoice_ref;
	res = run(conn, PAYOPS_SQL_INVOICE, 1, params, err, errlen);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) {
		snprintf(err, errlen, "no invoice with reference '%s'", a->invoice_ref);
		PQclear(res);
		goto fail;
	}
	snprintf(inv_id, sizeof inv_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(acct_id, sizeof acct_id, "%s", PQgetvalue(res, 0, 1));
	snprintf(r->currency, sizeof r->currency, "%s", PQgetvalue(res, 0, 2));
	owed = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	snprintf(paid_at, sizeof paid_at, "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	r->owed_after = owed;
	if (a->currency && strcmp(a->currency, r->currency) != 0) {
		snprintf(err, errlen, "invoice '%s' is in %s, not %s: nothing recorded",
			 a->invoice_ref, r->currency, a->currency);
		goto fail;
	}
	if (a->amount) {
		if (money_parse(a->amount, r->currency, &amount, merr, sizeof merr) != 0) {
			snprintf(err, errlen, "--amount: %s", merr);
			rc = 2;
			goto fail;
		}
		if (amount > OWED_MAX_AMOUNT) {
			money_plain(OWED_MAX_AMOUNT, r->currency, merr, sizeof merr);
			snprintf(err, errlen, "--amount: more than the largest accepted, %s %s",
				 merr, r->currency);
			rc = 2;
			goto fail;
		}
		if (amount == 0) {
			snprintf(err, errlen, "--amount: a payment is more than 0");
			rc = 2;
			goto fail;
		}
	}
	/* The same --ref again is the same payment: it counts once. */
	if (a->ref) {
		params[0] = a->ref;
		params[1] = a->source;
		res = run(conn, PAYOPS_SQL_SAME_REF, 2, params, err, errlen);
		if (!res)
			goto fail;
		if (PQntuples(res) == 1) {
			int same = strcmp(PQgetvalue(res, 0, 1), a->invoice_ref) == 0;
			int64_t was = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			if (!same || (a->amount && was != amount)) {
				snprintf(
					err, errlen,
					"--ref '%s' was already recorded for another payment (%s): "
					"nothing recorded",
					a->ref, PQgetvalue(res, 0, 1));
				PQclear(res);
				goto fail;
			}
			PQclear(res);
			rollback(conn);
			r->amount = was;
			snprintf(r->note, sizeof r->note,
				 "already recorded with this --ref; counted once");
			return 0;
		}
		PQclear(res);
	}
	if (!a->amount) {
		if (owed == 0) {
			rollback(conn);
			if (*paid_at)
				snprintf(r->note, sizeof r->note,
					 "already paid at %s; nothing owed", paid_at);
			else
				snprintf(r->note, sizeof r->note, "nothing owed");
			r->owed_after = 0;
			return 0;
		}
		amount = owed;
	}
	if (amount > owed) {
		char am[48], ow[48];
		money_plain(amount, r->currency, am, sizeof am);
		money_plain(owed, r->currency, ow, sizeof ow);
		snprintf(err, errlen, "%s %s is more than the %s %s owed on '%s': nothing recorded",
			 am, r->currency, ow, r->currency, a->invoice_ref);
		goto fail;
	}
	r->amount = amount;
	snprintf(amount_buf, sizeof amount_buf, "%" PRId64, amount);
	params[0] = inv_id;
	params[1] = acct_id;
	params[2] = amount_buf;
	params[3] = r->currency;
	params[4] = at_s;
	params[5] = a->ref;
	params[6] = a->source;
	res = run(conn, PAYOPS_SQL_INSERT, PAYOPS_INSERT_NPARAMS, params, err, errlen);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) { /* the same --ref, recorded meanwhile */
		PQclear(res);
		rollback(conn);
		snprintf(r->note, sizeof r->note, "already recorded with this --ref; counted once");
		return 0;
	}
	snprintf(r->payment_id, sizeof r->payment_id, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = acct_id;
	params[1] = at_s;
	params[2] = inv_id;
	params[3] = r->payment_id;
	params[4] = a->actor;
	params[5] = NULL;
	res = run(conn, PAYOPS_SQL_CANCEL, PAYOPS_CANCEL_NPARAMS, params, err, errlen);
	if (!res)
		goto fail;
	r->cancelled = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!run_ok(conn, "COMMIT", err, errlen))
		return 1;
	r->owed_after = owed - amount;
	return 0;
fail:
	rollback(conn);
	return rc;
}
