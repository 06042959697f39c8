/* dunnctl pay: record a payment in the ledger (dunning.payments) when no
 * billing system writes it. The ledger's trigger keeps the invoice's
 * amount_paid and paid_at; queued reminders are cancelled in the same
 * transaction once nothing is overdue, and the daemon resolves the case
 * and confirms on its next poll (the insert wakes it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "money.h"
#include "owed.h"
#include "tz.h"

static const char SQL_INVOICE[] =
	"SELECT i.id, i.account_id, i.currency,\n"
	"       CASE WHEN i.paid_at IS NULL THEN greatest(i.amount_due - i.amount_paid, 0)\n"
	"            ELSE 0 END,\n"
	"       coalesce(to_char(i.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')\n"
	"FROM dunning.invoices i WHERE i.external_ref = $1 FOR UPDATE";

static const char SQL_SAME_REF[] =
	"SELECT p.amount, i.external_ref FROM dunning.payments p\n"
	"JOIN dunning.invoices i ON i.id = p.invoice_id\n"
	"WHERE p.source = 'cli' AND p.source_id = $1";

static const char SQL_INSERT[] =
	"INSERT INTO dunning.payments (invoice_id, account_id, amount, currency, at, source,\n"
	"                              source_id)\n"
	"VALUES ($1, $2, $3, $4, $5, 'cli', $6)\n"
	"ON CONFLICT (source, source_id) DO NOTHING RETURNING id";

/* Reminders still queued go nowhere once nothing is overdue. */
static const char SQL_CANCEL[] =
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
	"                             'source', 'dunnctl')))\n"
	"SELECT count(*) FROM cancel";

static int usage(void)
{
	fprintf(stderr, "Usage: dunnctl -c FILE pay INVOICE_REF [--amount X] [--currency CUR] "
			"[--ref ID] [--at ISO8601] [--json]\n");
	return 2;
}

static int ctl_exec_ok(struct ctl *c, const char *sql)
{
	PGresult *res = ctl_exec(c, sql, 0, NULL);

	PQclear(res);
	return res != NULL;
}

static void rollback(struct ctl *c)
{
	PQclear(ctl_exec(c, "ROLLBACK", 0, NULL));
}

static int report(int json, const char *ref, const char *cur, int64_t amount, int64_t left,
		  const char *payment_id, const char *at, long cancelled, const char *note)
{
	char amt[48], rest[48];

	if (money_plain(amount, cur, amt, sizeof amt) < 0)
		snprintf(amt, sizeof amt, "%" PRId64, amount);
	if (money_plain(left, cur, rest, sizeof rest) < 0)
		snprintf(rest, sizeof rest, "%" PRId64, left);
	if (json)
		return ctl_json_print(json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:s, s:i, s:s?}",
						"invoice_ref", ref, "amount", amt, "currency", cur,
						"owed", rest, "settled", left == 0, "payment_id",
						payment_id, "at", at, "cancelled", (int)cancelled,
						"note", note));
	if (note)
		printf("pay: %s: %s\n", ref, note);
	else
		printf("pay: %s: %s %s recorded at %s; %s %s still owed; %ld queued reminder(s) "
		       "cancelled\n",
		       ref, amt, cur, at, rest, cur, cancelled);
	return 0;
}

int ctl_pay(struct ctl *c, int argc, char **argv)
{
	int json = ctl_take_flag(&argc, argv, "--json");
	const char *amount_s = ctl_take_opt(&argc, argv, "--amount");
	const char *cur_s = ctl_take_opt(&argc, argv, "--currency");
	const char *ref_s = ctl_take_opt(&argc, argv, "--ref");
	char at_s[32], err[MONEY_ERR_MAX], amount_buf[32], cur[4];
	const char *params[6];
	int64_t at, owed, amount = 0;
	PGresult *res;
	int rc = 1;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2 || (ref_s && !*ref_s))
		return usage();
	tz_format_iso8601(at, at_s, sizeof at_s);
	if (!ctl_exec_ok(c, "BEGIN"))
		return 1;
	params[0] = argv[1];
	res = ctl_exec(c, SQL_INVOICE, 1, params);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no invoice with reference '%s'\n", argv[1]);
		PQclear(res);
		goto fail;
	}
	char inv_id[24], acct_id[24], paid_at[40];
	snprintf(inv_id, sizeof inv_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(acct_id, sizeof acct_id, "%s", PQgetvalue(res, 0, 1));
	snprintf(cur, sizeof cur, "%s", PQgetvalue(res, 0, 2));
	owed = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	snprintf(paid_at, sizeof paid_at, "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	if (cur_s && strcmp(cur_s, cur) != 0) {
		fprintf(stderr, "dunnctl: invoice '%s' is in %s, not %s: nothing recorded\n",
			argv[1], cur, cur_s);
		goto fail;
	}
	if (amount_s) {
		if (money_parse(amount_s, cur, &amount, err, sizeof err) != 0) {
			fprintf(stderr, "dunnctl: --amount: %s\n", err);
			rc = 2;
			goto fail;
		}
		if (amount > OWED_MAX_AMOUNT) {
			money_plain(OWED_MAX_AMOUNT, cur, err, sizeof err);
			fprintf(stderr, "dunnctl: --amount: more than the largest accepted, %s %s\n",
				err, cur);
			rc = 2;
			goto fail;
		}
		if (amount == 0) {
			fprintf(stderr, "dunnctl: --amount: a payment is more than 0\n");
			rc = 2;
			goto fail;
		}
	}
	/* The same --ref again is the same payment: it counts once. */
	if (ref_s) {
		params[0] = ref_s;
		res = ctl_exec(c, SQL_SAME_REF, 1, params);
		if (!res)
			goto fail;
		if (PQntuples(res) == 1) {
			int same = strcmp(PQgetvalue(res, 0, 1), argv[1]) == 0;
			int64_t was = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			if (!same || (amount_s && was != amount)) {
				fprintf(stderr, "dunnctl: --ref '%s' was already recorded for another "
						"payment (%s): nothing recorded\n",
					ref_s, PQgetvalue(res, 0, 1));
				PQclear(res);
				goto fail;
			}
			PQclear(res);
			rollback(c);
			return report(json, argv[1], cur, was, owed, NULL, at_s, 0,
				      "already recorded with this --ref; counted once");
		}
		PQclear(res);
	}
	if (!amount_s) {
		if (owed == 0) {
			rollback(c);
			char note[96];
			if (*paid_at)
				snprintf(note, sizeof note, "already paid at %s; nothing owed", paid_at);
			else
				snprintf(note, sizeof note, "nothing owed");
			return report(json, argv[1], cur, 0, 0, NULL, at_s, 0, note);
		}
		amount = owed;
	}
	if (amount > owed) {
		char a[48], o[48];
		money_plain(amount, cur, a, sizeof a);
		money_plain(owed, cur, o, sizeof o);
		fprintf(stderr, "dunnctl: %s %s is more than the %s %s owed on '%s': nothing recorded\n",
			a, cur, o, cur, argv[1]);
		goto fail;
	}
	snprintf(amount_buf, sizeof amount_buf, "%" PRId64, amount);
	params[0] = inv_id;
	params[1] = acct_id;
	params[2] = amount_buf;
	params[3] = cur;
	params[4] = at_s;
	params[5] = ref_s;
	res = ctl_exec(c, SQL_INSERT, 6, params);
	if (!res)
		goto fail;
	if (PQntuples(res) == 0) { /* the same --ref, recorded meanwhile */
		PQclear(res);
		rollback(c);
		return report(json, argv[1], cur, amount, owed, NULL, at_s, 0,
			      "already recorded with this --ref; counted once");
	}
	char pay_id[24];
	snprintf(pay_id, sizeof pay_id, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = acct_id;
	params[1] = at_s;
	params[2] = inv_id;
	params[3] = pay_id;
	res = ctl_exec(c, SQL_CANCEL, 4, params);
	if (!res)
		goto fail;
	long cancelled = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!ctl_exec_ok(c, "COMMIT"))
		return 1;
	return report(json, argv[1], cur, amount, owed - amount, pay_id, at_s, cancelled, NULL);
fail:
	rollback(c);
	return rc;
}
