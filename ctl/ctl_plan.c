/* dunnctl plan: payment plans for customers in hardship. The open balance
 * is split into instalments; the case pauses (reason hardship) until the
 * end of the next instalment's due day in the customer's zone. Recording
 * an instalment (a ledger payment) moves the pause to the next one; the
 * last one settles the invoices. A missed instalment needs nothing: the
 * pause lapses and the engine resumes dunning, and the poller marks the
 * plan broken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "money.h"
#include "tz.h"

/* The instalments add up to what is owed exactly: the numeric sum is
 * divided as bigint, the remainder on the last (numeric division would
 * round each instalment on its own). */
static const char SQL_CREATE[] =
	"WITH a AS (SELECT id, timezone FROM dunning.accounts WHERE external_ref = $1),\n"
	"c AS (SELECT c.id, c.account_id FROM dunning.cases c JOIN a ON a.id = c.account_id\n"
	"      WHERE c.state IN ('active', 'paused')),\n"
	"b AS (SELECT sum(i.amount_due - i.amount_paid) AS total, min(i.currency) AS currency,\n"
	"             count(DISTINCT i.currency) AS currencies\n"
	"      FROM dunning.invoices i JOIN a ON a.id = i.account_id\n"
	"      WHERE i.paid_at IS NULL AND NOT i.disputed AND i.amount_due > i.amount_paid),\n"
	"p AS (\n"
	"  INSERT INTO dunning.payment_plans (account_id, case_id, created_at)\n"
	"  SELECT c.account_id, c.id, $5 FROM c, b\n"
	"  WHERE b.total > 0 AND b.currencies = 1 AND b.total >= $2::int\n"
	"    AND NOT EXISTS (SELECT 1 FROM dunning.payment_plans x\n"
	"                    WHERE x.case_id = c.id AND x.status = 'active')\n"
	"  RETURNING id, case_id, account_id),\n"
	"ins AS (\n"
	"  INSERT INTO dunning.plan_instalments (plan_id, account_id, seq, due_date, amount, currency)\n"
	"  SELECT p.id, p.account_id, k, $4::date + (k - 1) * $3::int,\n"
	"         b.total::bigint / $2::int + CASE WHEN k = $2::int THEN b.total::bigint % $2::int\n"
	"                                          ELSE 0 END,\n"
	"         b.currency\n"
	"  FROM p, b, generate_series(1, $2::int) AS k\n"
	"  RETURNING plan_id),\n"
	"pause AS (\n"
	"  UPDATE dunning.cases c SET state = 'paused', pause_reason = 'hardship',\n"
	"         pause_note = 'payment plan',\n"
	"         paused_until = ($4::date + 1)::timestamp AT TIME ZONE a.timezone,\n"
	"         next_action_at = ($4::date + 1)::timestamp AT TIME ZONE a.timezone\n"
	"  FROM p, a WHERE c.id = p.case_id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $5, 'plan_created', p.account_id, p.case_id,\n"
	"         jsonb_build_object('plan_id', p.id, 'instalments', $2::int, 'every_days', $3::int)\n"
	"  FROM p)\n"
	"SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM c), (SELECT id FROM p),\n"
	"       (SELECT total FROM b), (SELECT currency FROM b), (SELECT currencies FROM b)";

/* Record the next unpaid instalment; move the pause or settle the plan.
 * An instalment is a ledger payment (source 'plan'), spread over the
 * account's unpaid invoices in the plan's currency, oldest due first, so
 * what is still owed (and a broken plan's next reminder) is the rest. */
static const char SQL_PAY[] =
	"WITH p AS (SELECT id, case_id, account_id FROM dunning.payment_plans\n"
	"           WHERE id = $1 AND status = 'active'),\n"
	"nx AS (SELECT i.plan_id, i.account_id, i.seq, i.amount, i.currency\n"
	"       FROM dunning.plan_instalments i JOIN p ON p.account_id = i.account_id AND p.id = i.plan_id\n"
	"       WHERE i.paid_at IS NULL ORDER BY i.seq LIMIT 1),\n"
	"alloc AS (\n"
	"  SELECT v.id, v.account_id, v.currency,\n"
	"         least(v.owed, nx.amount - coalesce(sum(v.owed) OVER (ORDER BY v.due_date, v.id\n"
	"               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS pay\n"
	"  FROM nx, p, LATERAL (SELECT i.id, i.account_id, i.currency, i.due_date,\n"
	"                              i.amount_due - i.amount_paid AS owed\n"
	"                       FROM dunning.invoices i\n"
	"                       WHERE i.account_id = p.account_id AND i.currency = nx.currency\n"
	"                         AND i.paid_at IS NULL AND NOT i.disputed\n"
	"                         AND i.amount_due > i.amount_paid) v),\n"
	"ledger AS (\n"
	"  INSERT INTO dunning.payments (invoice_id, account_id, amount, currency, at, source,\n"
	"                                source_id)\n"
	"  SELECT alloc.id, alloc.account_id, alloc.pay, alloc.currency, $2, 'plan',\n"
	"         nx.plan_id || '/' || nx.seq || '/' || alloc.id\n"
	"  FROM alloc, nx WHERE alloc.pay > 0),\n"
	"paid AS (UPDATE dunning.plan_instalments i SET paid_at = $2\n"
	"         FROM nx WHERE i.account_id = nx.account_id AND i.plan_id = nx.plan_id\n"
	"           AND i.seq = nx.seq\n"
	"         RETURNING i.seq),\n"
	"later AS (SELECT min(i.due_date) AS due FROM dunning.plan_instalments i, nx\n"
	"          WHERE i.account_id = nx.account_id AND i.plan_id = nx.plan_id AND i.seq > nx.seq),\n"
	"tz AS (SELECT a.timezone FROM dunning.accounts a JOIN p ON p.account_id = a.id),\n"
	"move AS (\n"
	"  UPDATE dunning.cases c SET paused_until = (later.due + 1)::timestamp AT TIME ZONE tz.timezone,\n"
	"         next_action_at = (later.due + 1)::timestamp AT TIME ZONE tz.timezone,\n"
	"         state = 'paused', pause_reason = 'hardship'\n"
	"  FROM p, later, tz WHERE c.account_id = p.account_id AND c.id = p.case_id\n"
	"    AND later.due IS NOT NULL),\n"
	"done AS (\n"
	"  UPDATE dunning.payment_plans x SET status = 'completed', closed_at = $2\n"
	"  FROM p, later WHERE x.account_id = p.account_id AND x.id = p.id AND later.due IS NULL\n"
	"    AND EXISTS (SELECT 1 FROM paid)\n"
	"  RETURNING x.account_id),\n"
	"wake AS (UPDATE dunning.cases c SET next_action_at = $2 FROM done, p\n"
	"         WHERE c.account_id = p.account_id AND c.id = p.case_id),\n"

	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"  SELECT $2, 'plan_instalment_paid', p.account_id, p.case_id,\n"
	"         jsonb_build_object('plan_id', p.id, 'seq', paid.seq) FROM p, paid)\n"
	"SELECT (SELECT count(*) FROM p), (SELECT seq FROM paid), (SELECT count(*) FROM done)";

static const char SQL_SHOW[] =
	"SELECT i.seq, to_char(i.due_date, 'YYYY-MM-DD'), i.amount, i.currency,\n"
	"       coalesce(to_char(i.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '-'), p.status\n"
	"FROM dunning.plan_instalments i\n"
	"JOIN dunning.payment_plans p ON p.account_id = i.account_id AND p.id = i.plan_id\n"
	"WHERE p.id = $1 ORDER BY i.seq";

static int plan_create(struct ctl *c, int argc, char **argv, int64_t at)
{
	const char *n_s = ctl_take_opt(&argc, argv, "--instalments");
	const char *every_s = ctl_take_opt(&argc, argv, "--every");
	const char *first = ctl_take_opt(&argc, argv, "--first");
	char at_s[32], first_s[16];
	const char *params[5];
	int n = n_s ? atoi(n_s) : 0, every = every_s ? atoi(every_s) : 30;
	int64_t t;
	PGresult *res;
	int rc = 1;

	if (argc != 2 || n < 2 || n > 36 || every < 7 || every > 92) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE plan ACCOUNT_REF --instalments N (2-36) "
			"[--every DAYS (7-92, default 30)] [--first YYYY-MM-DD]\n");
		return 2;
	}
	tz_format_iso8601(at, at_s, sizeof at_s);
	if (first) {
		if (strlen(first) != 10 || tz_parse_iso8601(first, &t) != 0 || t + 86400 <= at) {
			fprintf(stderr, "dunnctl: --first must be a date from today on\n");
			return 2;
		}
		snprintf(first_s, sizeof first_s, "%s", first);
	} else {
		tz_format_iso8601(at + 7 * 86400, first_s, sizeof first_s);
		first_s[10] = '\0';
	}
	char n_buf[16], e_buf[16];
	snprintf(n_buf, sizeof n_buf, "%d", n);
	snprintf(e_buf, sizeof e_buf, "%d", every);
	params[0] = argv[1];
	params[1] = n_buf;
	params[2] = e_buf;
	params[3] = first_s;
	params[4] = at_s;
	res = ctl_exec(c, SQL_CREATE, 5, params);
	if (!res)
		return 1;
	if (atoi(PQgetvalue(res, 0, 0)) == 0)
		fprintf(stderr, "dunnctl: no account with reference '%s'\n", argv[1]);
	else if (atoi(PQgetvalue(res, 0, 1)) == 0)
		fprintf(stderr, "dunnctl: account '%s' has no open case\n", argv[1]);
	else if (PQgetisnull(res, 0, 2))
		fprintf(stderr, "dunnctl: no plan: %s\n",
			atoi(PQgetvalue(res, 0, 5)) > 1 ? "the balance is in several currencies"
				: PQgetisnull(res, 0, 3)
				? "nothing is owed"
				: "a plan is already active or the balance is too small");
	else {
		printf("plan: %s for %s: %d instalments every %d days from %s (plan %s)\n",
		       PQgetvalue(res, 0, 4), argv[1], n, every, first_s, PQgetvalue(res, 0, 2));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int ctl_plan(struct ctl *c, int argc, char **argv)
{
	const char *params[2];
	char at_s[32];
	int64_t at;
	PGresult *res;
	int rc = 1;

	if (ctl_take_at(&argc, argv, &at) != 0)
		return 2;
	tz_format_iso8601(at, at_s, sizeof at_s);
	if (argc == 3 && !strcmp(argv[1], "pay")) {
		params[0] = argv[2];
		params[1] = at_s;
		res = ctl_exec(c, SQL_PAY, 2, params);
		if (!res)
			return 1;
		if (atoi(PQgetvalue(res, 0, 0)) == 0)
			fprintf(stderr, "dunnctl: no active plan %s\n", argv[2]);
		else {
			printf("plan: instalment %s of plan %s recorded%s\n", PQgetvalue(res, 0, 1),
			       argv[2],
			       atoi(PQgetvalue(res, 0, 2)) ? "; plan completed, invoices settled"
							   : "");
			rc = 0;
		}
		PQclear(res);
		return rc;
	}
	if (argc == 3 && !strcmp(argv[1], "show")) {
		params[0] = argv[2];
		res = ctl_exec(c, SQL_SHOW, 1, params);
		if (!res)
			return 1;
		for (int r = 0; r < PQntuples(res); r++) {
			char amount[48];
			if (money_plain(strtoll(PQgetvalue(res, r, 2), NULL, 10),
					PQgetvalue(res, r, 3), amount, sizeof amount) < 0)
				snprintf(amount, sizeof amount, "%s", PQgetvalue(res, r, 2));
			printf("%s  due %s  %s %s  paid %s  (%s)\n", PQgetvalue(res, r, 0),
			       PQgetvalue(res, r, 1), amount, PQgetvalue(res, r, 3),
			       PQgetvalue(res, r, 4), PQgetvalue(res, r, 5));
		}
		rc = PQntuples(res) ? 0 : 1;
		PQclear(res);
		return rc;
	}
	return plan_create(c, argc, argv, at);
}
