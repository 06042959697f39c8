/* dunnctl fee: list a case's late fees and waive them. A waiver keeps
 * the ledger line with when, by whom and why, and writes a fee_waived
 * event in the same statement; the next message and the page no longer
 * count the fee. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "money.h"

/* $1 fee id or NULL, $2 case id or NULL, $3 reason, $4 by. */
static const char SQL_WAIVE[] =
	"WITH w AS (\n"
	"  UPDATE dunning.fees SET waived_at = now(), waived_by = $4, waive_reason = $3\n"
	"  WHERE waived_at IS NULL AND paid_at IS NULL\n"
	"    AND (id = $1::bigint OR case_id = $2::bigint)\n"
	"  RETURNING id, account_id, case_id, currency, amount),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT now(), 'fee_waived', account_id, case_id,\n"
	"         jsonb_build_object('fee_id', id, 'amount', amount, 'currency', currency,\n"
	"                            'by', $4::text, 'reason', $3::text) FROM w)\n"
	"SELECT id, case_id, currency, amount FROM w ORDER BY id";

static const char SQL_LIST[] =
	"SELECT f.id, f.case_id, a.external_ref, f.step, f.currency, f.amount,\n"
	"       to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
	"       CASE WHEN f.waived_at IS NOT NULL THEN 'waived'\n"
	"            WHEN f.paid_at IS NOT NULL THEN 'paid' ELSE 'owed' END,\n"
	"       coalesce(f.waived_by, ''), coalesce(f.waive_reason, ''),\n"
	"       coalesce(i.external_ref, '')\n"
	"FROM dunning.fees f JOIN dunning.accounts a ON a.id = f.account_id\n"
	"LEFT JOIN dunning.invoices i ON i.account_id = f.account_id AND i.id = f.invoice_id\n"
	"WHERE ($1::bigint IS NULL OR f.case_id = $1::bigint)\n"
	"  AND ($2::text IS NULL OR a.external_ref = $2)\n"
	"ORDER BY f.id";

static int positive_id(const char *s)
{
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	return s && *s && *end == '\0' && v > 0;
}

static void amount_text(const char *minor, const char *cur, char *buf, size_t len)
{
	if (money_plain(strtoll(minor, NULL, 10), cur, buf, len) < 0)
		snprintf(buf, len, "%s", minor);
}

static int fee_waive(struct ctl *c, int argc, char **argv, int as_json)
{
	const char *cs = ctl_take_opt(&argc, argv, "--case");
	const char *reason = ctl_take_opt(&argc, argv, "--reason");
	const char *id = argc == 3 ? argv[2] : NULL;
	const char *params[4];
	PGresult *res;
	json_t *arr;
	char amt[48];

	if (!reason || !*reason || (argc != 3 && argc != 2) || (!id == !cs) ||
	    (id && !positive_id(id)) || (cs && !positive_id(cs))) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE fee waive FEE_ID|--case CASE_ID --reason "
			"TEXT [--json]\n");
		return 2;
	}
	params[0] = id;
	params[1] = cs;
	params[2] = reason;
	params[3] = "dunnctl";
	res = ctl_exec(c, SQL_WAIVE, 4, params);
	if (!res)
		return 1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "dunnctl: no unpaid, unwaived fee %s %s\n",
			id ? "with id" : "on case", id ? id : cs);
		PQclear(res);
		return 1;
	}
	arr = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		amount_text(PQgetvalue(res, r, 3), PQgetvalue(res, r, 2), amt, sizeof amt);
		if (as_json)
			json_array_append_new(
				arr,
				json_pack("{s:I, s:I, s:s, s:s}", "id",
					  (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10),
					  "case_id",
					  (json_int_t)strtoll(PQgetvalue(res, r, 1), NULL, 10),
					  "currency", PQgetvalue(res, r, 2), "amount", amt));
		else
			printf("fee %s waived: %s %s (case %s)\n", PQgetvalue(res, r, 0), amt,
			       PQgetvalue(res, r, 2), PQgetvalue(res, r, 1));
	}
	PQclear(res);
	if (as_json)
		return ctl_json_print(json_pack("{s:o}", "waived", arr));
	json_decref(arr);
	return 0;
}

static int fee_list(struct ctl *c, int argc, char **argv, int as_json)
{
	const char *cs = ctl_take_opt(&argc, argv, "--case");
	const char *ref = argc == 3 ? argv[2] : NULL;
	const char *params[2] = {cs, ref};
	PGresult *res;
	json_t *arr;
	char amt[48];

	if ((argc != 2 && argc != 3) || (cs && !positive_id(cs)) || (!cs && !ref)) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE fee list ACCOUNT_REF|--case CASE_ID [--json]\n");
		return 2;
	}
	res = ctl_exec(c, SQL_LIST, 2, params);
	if (!res)
		return 1;
	arr = json_array();
	if (!as_json)
		printf("%-6s %-6s %-12s %-12s %-4s %-14s %-16s %-7s %s\n", "id", "case", "account",
		       "invoice", "step", "amount", "charged (UTC)", "state", "waived by / why");
	for (int r = 0; r < PQntuples(res); r++) {
		amount_text(PQgetvalue(res, r, 5), PQgetvalue(res, r, 4), amt, sizeof amt);
		if (as_json) {
			json_array_append_new(
				arr,
				json_pack(
					"{s:I, s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
					"id", (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10),
					"case_id",
					(json_int_t)strtoll(PQgetvalue(res, r, 1), NULL, 10),
					"account_ref", PQgetvalue(res, r, 2), "invoice_ref",
					PQgetvalue(res, r, 10), "step", atoi(PQgetvalue(res, r, 3)),
					"currency", PQgetvalue(res, r, 4), "amount", amt,
					"created_at", PQgetvalue(res, r, 6), "state",
					PQgetvalue(res, r, 7), "waived_by", PQgetvalue(res, r, 8),
					"waive_reason", PQgetvalue(res, r, 9)));
		} else {
			char money[64];
			snprintf(money, sizeof money, "%s %s", amt, PQgetvalue(res, r, 4));
			printf("%-6s %-6s %-12s %-12s %-4s %-14s %-16s %-7s %s%s%s\n",
			       PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
			       ctl_text(PQgetvalue(res, r, 2)), ctl_text(PQgetvalue(res, r, 10)),
			       PQgetvalue(res, r, 3), money, PQgetvalue(res, r, 6),
			       PQgetvalue(res, r, 7), ctl_text(PQgetvalue(res, r, 8)),
			       *PQgetvalue(res, r, 9) ? ": " : "", ctl_text(PQgetvalue(res, r, 9)));
		}
	}
	PQclear(res);
	if (as_json)
		return ctl_json_print(json_pack("{s:o}", "fees", arr));
	json_decref(arr);
	return 0;
}

int ctl_fee(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");

	if (argc >= 2 && !strcmp(argv[1], "waive"))
		return fee_waive(c, argc, argv, as_json);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return fee_list(c, argc, argv, as_json);
	fprintf(stderr,
		"Usage: dunnctl -c FILE fee list ACCOUNT_REF|--case CASE_ID [--json]\n"
		"       dunnctl -c FILE fee waive FEE_ID|--case CASE_ID --reason TEXT "
		"[--json]\n");
	return 2;
}
