/* dunnctl pay and status: the manual side of a case's life. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "tz.h"

/* Mark paid, cancel queued reminders if nothing is owed any more, and
 * audit it; one transaction. The daemon closes the case and confirms. */
static const char SQL_PAY[] =
	"WITH paid AS (\n"
	"  UPDATE dunning.invoices SET paid_at = $2 WHERE external_ref = $1 AND paid_at IS NULL\n"
	"  RETURNING id, account_id),\n"
	"owing AS (\n"
	"  SELECT p.account_id, EXISTS (SELECT 1 FROM dunning.invoices i\n"
	"     WHERE i.account_id = p.account_id AND i.paid_at IS NULL AND i.id <> p.id\n"
	"       AND i.amount_due > 0) AS still FROM paid p),\n"
	"cancel AS (\n"
	"  UPDATE dunning.deliveries d SET status = 'cancelled', last_error = 'paid',\n"
	"         updated_at = now()\n"
	"  FROM owing o WHERE d.account_id = o.account_id AND NOT o.still\n"
	"    AND d.kind = 'reminder' AND d.status = 'queued'\n"
	"  RETURNING d.id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, detail)\n"
	"  SELECT $2, 'payment_recorded', account_id, jsonb_build_object('invoice_id', id,\n"
	"         'source', 'dunnctl') FROM paid)\n"
	"SELECT (SELECT count(*) FROM paid), (SELECT count(*) FROM cancel)";

int ctl_pay(struct ctl *c, int argc, char **argv)
{
	char at_s[32];
	int64_t at;
	const char *params[2];
	PGresult *res;
	int rc = 1;

	if (ctl_take_at(&argc, argv, &at) != 0 || argc != 2) {
		fprintf(stderr, "Usage: dunnctl -c FILE pay INVOICE_REF [--at ISO8601]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	params[0] = argv[1];
	params[1] = at_s;
	res = ctl_exec(c, SQL_PAY, 2, params);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 1) {
		printf("pay: %s paid at %s; %s queued reminder(s) cancelled\n", argv[1], at_s,
		       PQgetvalue(res, 0, 1));
		rc = 0;
	} else {
		PGresult *ex = ctl_exec(c, "SELECT paid_at FROM dunning.invoices WHERE external_ref = $1",
					1, params);
		if (ex && PQntuples(ex) == 1) {
			printf("pay: %s was already paid at %s\n", argv[1], PQgetvalue(ex, 0, 0));
			rc = 0;
		} else if (ex) {
			fprintf(stderr, "dunnctl: no invoice with reference '%s'\n", argv[1]);
		}
		PQclear(ex);
	}
	PQclear(res);
	return rc;
}

static void print_table(PGresult *res, const char *title)
{
	printf("%s\n", title);
	for (int r = 0; r < PQntuples(res); r++) {
		printf(" ");
		for (int f = 0; f < PQnfields(res); f++)
			printf(" %-12s", PQgetvalue(res, r, f));
		printf("\n");
	}
}

int ctl_status(struct ctl *c, int argc, char **argv)
{
	PGresult *res;

	(void)argc;
	(void)argv;
	res = ctl_exec(c, "SELECT state, count(*) FROM dunning.cases GROUP BY 1 ORDER BY 1", 0, NULL);
	if (!res)
		return 1;
	print_table(res, "cases by state:");
	PQclear(res);
	res = ctl_exec(c,
		       "SELECT channel, status, count(*) FROM dunning.deliveries "
		       "GROUP BY 1, 2 ORDER BY 1, 2",
		       0, NULL);
	if (!res)
		return 1;
	print_table(res, "deliveries by channel and status:");
	PQclear(res);
	return 0;
}
