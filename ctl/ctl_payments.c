/* dunnctl payments list: the payment providers' latest webhook events
 * (dunning.payment_events) and what became of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "utf8.h"

static const char SQL_LIST[] =
	"SELECT to_char(e.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"       e.source, e.event_id, e.type, e.kind, coalesce(i.external_ref, e.invoice_ref, ''),\n"
	"       coalesce(e.amount::text, ''), coalesce(e.currency, ''), e.outcome,\n"
	"       coalesce(e.payment_ref, '')\n"
	"FROM dunning.payment_events e LEFT JOIN dunning.invoices i ON i.id = e.invoice_id\n"
	"ORDER BY e.received_at DESC, e.id DESC LIMIT $1";

static int usage(void)
{
	fprintf(stderr, "Usage: dunnctl -c FILE payments list [--limit N] [--json]\n");
	return 2;
}

int ctl_payments(struct ctl *c, int argc, char **argv)
{
	int json = ctl_take_flag(&argc, argv, "--json");
	const char *limit_s = ctl_take_opt(&argc, argv, "--limit");
	char limit[16], *end = NULL;
	const char *params[1] = {limit};
	long n = limit_s ? strtol(limit_s, &end, 10) : 50;
	json_t *rows = NULL;
	PGresult *res;

	if (argc != 2 || strcmp(argv[1], "list") != 0 || (limit_s && (*end || n < 1 || n > 100000)))
		return usage();
	snprintf(limit, sizeof limit, "%ld", n);
	res = ctl_exec(c, SQL_LIST, 1, params);
	if (!res)
		return 1;
	if (json)
		rows = json_array();
	else
		printf("%-20s  %-16s  %-28s  %-26s  %-12s  %12s %-3s  %s\n", "received", "source",
		       "event", "type", "invoice", "amount", "", "outcome");
	for (int i = 0; i < PQntuples(res); i++) {
		/* What a provider sent is printed made safe for a terminal. */
		char f[10][160];
		for (int k = 0; k < 10; k++)
			utf8_escape_into(f[k], sizeof f[k], PQgetvalue(res, i, k),
					 strlen(PQgetvalue(res, i, k)));
		if (json)
			json_array_append_new(
				rows,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?}",
					  "received_at", f[0], "source", f[1], "event_id", f[2],
					  "type", f[3], "kind", f[4], "invoice_ref",
					  *f[5] ? f[5] : NULL, "amount", *f[6] ? f[6] : NULL,
					  "currency", *f[7] ? f[7] : NULL, "outcome", f[8],
					  "payment_ref", *f[9] ? f[9] : NULL));
		else
			printf("%-20s  %-16s  %-28s  %-26s  %-12s  %12s %-3s  %s\n", f[0], f[1],
			       f[2], f[3], *f[5] ? f[5] : "-", *f[6] ? f[6] : "-", f[7], f[8]);
	}
	PQclear(res);
	return json ? ctl_json_print(json_pack("{s:o}", "events", rows)) : 0;
}
