/* dunnctl pay: record a payment in the ledger (dunning.payments) when no
 * billing system writes it, through engine/payops as the console does. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "money.h"
#include "payops.h"
#include "tz.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: dunnctl -c FILE pay INVOICE_REF [--amount X] [--currency CUR] "
		"[--ref ID] [--at ISO8601] [--json]\n");
	return 2;
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
	struct payops_args a = {0};
	struct payops_result r;
	char at_s[32], err[512];
	int rc;

	a.amount = ctl_take_opt(&argc, argv, "--amount");
	a.currency = ctl_take_opt(&argc, argv, "--currency");
	a.ref = ctl_take_opt(&argc, argv, "--ref");
	if (ctl_take_at(&argc, argv, &a.at) != 0 || argc != 2 || (a.ref && !*a.ref))
		return usage();
	tz_format_iso8601(a.at, at_s, sizeof at_s);
	a.invoice_ref = argv[1];
	a.source = "cli";
	a.actor = "dunnctl";
	rc = payops_record(c->conn, &a, &r, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "dunnctl: %s\n", ctl_text(err));
		return rc;
	}
	return report(json, argv[1], r.currency, r.amount, r.owed_after,
		      *r.payment_id ? r.payment_id : NULL, at_s, r.cancelled,
		      *r.note ? r.note : NULL);
}
