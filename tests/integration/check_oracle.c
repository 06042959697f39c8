/* The oracle: a random book (1 to 4 invoices per account, some not yet
 * due, some accounts in two currencies, partial and full payments,
 * disputes upheld and rejected, payment plans kept and broken) walked
 * through 40 simulated days with dunnd --once --at. Every reminder that
 * reaches the real SMTP sink is checked against what this file computes
 * on its own (a model of the book in C, money formatted here, never the
 * daemon's SQL): the amount it states, and that an account with nothing
 * overdue is never reminded. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ACCOUNTS 300
#define DAYS 40
#define MAX_INV 4

enum { USD, KRW };
static const char *const CUR[] = {"USD", "KRW"};

struct inv {
	char ref[24];
	int cur;
	long long amount, paid; /* minor units */
	int due;                /* day number: 0 = 2026-11-01 */
	int disputed, upheld;
};

struct acct {
	int n;
	struct inv v[MAX_INV];
	int ny;
	/* the events of this account: day or -1 */
	int pay_day, pay_inv, pay_pct;
	int rest_day, rest_inv;
	int disp_day, disp_inv, disp_end, disp_upheld;
	int plan; /* 0 none, 1 kept, 2 broken */
	int plan_cur;
	long long plan_amount[2];
	long long plan_id;
};

static struct acct book[ACCOUNTS];
static char *dir, *cfg, *conninfo;
static PGconn *db;
static unsigned long long rng = 15;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

/* Day number -> YYYY-MM-DD (November 2026 onwards; days may be negative). */
static void day_str(int day, char *out, size_t len)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2026, m = 11, d = 1 + day;

	while (d < 1) {
		if (--m == 0) {
			m = 12;
			y--;
		}
		d += mdays[m - 1];
	}
	while (d > mdays[m - 1]) {
		d -= mdays[m - 1];
		if (++m == 13) {
			m = 1;
			y++;
		}
	}
	snprintf(out, len, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

static void at_str(int day, int hour, char *out, size_t len)
{
	char d[16];

	day_str(day, d, sizeof d);
	snprintf(out, len, "%sT%02d:00:00Z", d, hour);
}

static long long owed(const struct inv *i)
{
	long long due = i->upheld ? 0 : i->amount;
	return due > i->paid ? due - i->paid : 0;
}

/* "$1,234.56" / "₩5,000": en-US formatting, written here. */
static void fmt(int cur, long long minor, char *out, size_t len)
{
	char digits[32], grouped[48];
	long long major = cur == USD ? minor / 100 : minor;
	int n, k = 0;

	n = snprintf(digits, sizeof digits, "%lld", major);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	if (cur == USD)
		snprintf(out, len, "$%s.%02lld", grouped, minor % 100);
	else
		snprintf(out, len, "₩%s", grouped);
}

/* What the model says a reminder on day must state; "" when nothing is
 * overdue. Each currency on its own, in currency-code order (KRW, USD). */
static void expected(const struct acct *a, int day, char *out, size_t len)
{
	static const int order[] = {KRW, USD};
	size_t used = 0;

	out[0] = '\0';
	for (int o = 0; o < 2; o++) {
		long long sum = 0;
		char one[64];
		for (int k = 0; k < a->n; k++)
			if (a->v[k].cur == order[o] && !a->v[k].disputed && a->v[k].due < day)
				sum += owed(&a->v[k]);
		if (sum == 0)
			continue;
		fmt(order[o], sum, one, sizeof one);
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " + " : "", one);
	}
}

static void gen_book(void)
{
	char accounts[ACCOUNTS * 96 + 128], invoices[ACCOUNTS * MAX_INV * 64 + 128];
	size_t na = 0, ni = 0;

	na += (size_t)snprintf(accounts + na, sizeof accounts - na,
			       "account_ref,name,email,phone,locale,timezone,segment\n");
	ni += (size_t)snprintf(invoices + ni, sizeof invoices - ni,
			       "invoice_ref,account_ref,amount,currency,due_date,description\n");
	for (int i = 0; i < ACCOUNTS; i++) {
		struct acct *a = &book[i];
		int two = rnd(5) == 0, used_due[64] = {0};
		memset(a, 0, sizeof *a);
		a->ny = i % 3 == 0;
		a->n = 1 + (int)rnd(MAX_INV);
		na += (size_t)snprintf(accounts + na, sizeof accounts - na,
				       "O-%d,Customer %d,o%d@oracle.test,,en-US,%s,retail\n", i, i, i,
				       a->ny ? "America/New_York" : "UTC");
		for (int k = 0; k < a->n; k++) {
			struct inv *v = &a->v[k];
			char due[16], amt[32];
			do /* distinct due dates: the plan's oldest-first order is clear */
				v->due = (int)rnd(45) - 12;
			while (used_due[v->due + 12]);
			used_due[v->due + 12] = 1;
			v->cur = two && k == a->n - 1 && a->n > 1 ? KRW : USD;
			v->amount = v->cur == USD ? 500 + rnd(49500) : 5000 + rnd(495000);
			snprintf(v->ref, sizeof v->ref, "I-%d-%d", i, k);
			day_str(v->due, due, sizeof due);
			if (v->cur == USD)
				snprintf(amt, sizeof amt, "%lld.%02lld", v->amount / 100, v->amount % 100);
			else
				snprintf(amt, sizeof amt, "%lld", v->amount);
			ni += (size_t)snprintf(invoices + ni, sizeof invoices - ni, "%s,O-%d,%s,%s,%s,\n",
					       v->ref, i, amt, CUR[v->cur], due);
		}
		a->pay_day = rnd(2) ? (int)rnd(DAYS) : -1;
		a->pay_inv = (int)rnd((unsigned)a->n);
		a->pay_pct = 10 + (int)rnd(90);
		a->rest_day = rnd(6) == 0 ? (int)rnd(DAYS) : -1;
		a->rest_inv = (int)rnd((unsigned)a->n);
		a->disp_day = rnd(7) == 0 ? (int)rnd(DAYS - 5) : -1;
		a->disp_inv = (int)rnd((unsigned)a->n);
		a->disp_end = a->disp_day + 2 + (int)rnd(8);
		a->disp_upheld = (int)rnd(2);
		a->plan = i % 20 == 7 ? (i % 40 == 7 ? 1 : 2) : 0;
	}
	tu_import(cfg, dir, accounts, invoices);
}

static void pay(int i, int k, long long amount, const char *at)
{
	struct inv *v = &book[i].v[k];
	char amt[32];

	if (v->cur == USD)
		snprintf(amt, sizeof amt, "%lld.%02lld", amount / 100, amount % 100);
	else
		snprintf(amt, sizeof amt, "%lld", amount);
	ck_assert_msg(tu_sh("dunnctl -c %s pay %s --amount %s --at %s", cfg, v->ref, amt, at) == 0,
		      "%s", tu_output());
	v->paid += amount;
}

/* A plan instalment: the ledger spreads it over the unpaid, undisputed
 * invoices of its currency, oldest due first. */
static void plan_pay(int i, int seq, const char *at)
{
	struct acct *a = &book[i];
	long long left = a->plan_amount[seq];
	char sql[128];

	/* A payment the same day may have settled the case before the plan
	 * began: the plan then ended with it. */
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.payment_plans WHERE id = %lld AND status = 'active'",
		 a->plan_id);
	if (tu_qint(db, sql) == 0) {
		a->plan = 0;
		return;
	}
	ck_assert_msg(tu_sh("dunnctl -c %s plan pay %lld --at %s", cfg, a->plan_id, at) == 0, "%s",
		      tu_output());
	while (left > 0) {
		struct inv *best = NULL;
		for (int k = 0; k < a->n; k++) {
			struct inv *v = &a->v[k];
			if (!v->disputed && owed(v) > 0 && v->cur == a->plan_cur &&
			    (!best || v->due < best->due))
				best = v;
		}
		if (!best)
			break;
		long long p = owed(best) < left ? owed(best) : left;
		best->paid += p;
		left -= p;
	}
}

static void plan_open(int i, int day, const char *at)
{
	struct acct *a = &book[i];
	char first[16], sql[256];
	long long total = 0;
	int cur = -1;

	for (int k = 0; k < a->n; k++) {
		if (a->v[k].disputed || owed(&a->v[k]) == 0)
			continue;
		if (cur >= 0 && a->v[k].cur != cur) {
			a->plan = 0; /* several currencies: dunnctl offers no plan */
			return;
		}
		cur = a->v[k].cur;
		total += owed(&a->v[k]);
	}
	a->plan_cur = cur;
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
		 "c.account_id WHERE a.external_ref = 'O-%d' AND c.state = 'active'",
		 i);
	if (total < 2 || tu_qint(db, sql) != 1) {
		a->plan = 0;
		return;
	}
	day_str(day + 1, first, sizeof first);
	ck_assert_msg(tu_sh("dunnctl -c %s plan O-%d --instalments 2 --every 7 --first %s --at %s",
			    cfg, i, first, at) == 0,
		      "%s", tu_output());
	snprintf(sql, sizeof sql,
		 "SELECT p.id FROM dunning.payment_plans p JOIN dunning.accounts a ON a.id = "
		 "p.account_id WHERE a.external_ref = 'O-%d'",
		 i);
	a->plan_id = tu_qint(db, sql);
	a->plan_amount[0] = total / 2;
	a->plan_amount[1] = total - total / 2;
}

/* The day's events, an hour before the daemon's run. */
static void events(int day)
{
	char at[32];

	at_str(day, 14, at, sizeof at);
	for (int i = 0; i < ACCOUNTS; i++) {
		struct acct *a = &book[i];
		if (a->pay_day == day && owed(&a->v[a->pay_inv]) > 0 && !a->v[a->pay_inv].disputed) {
			long long p = owed(&a->v[a->pay_inv]) * a->pay_pct / 100;
			if (p > 0)
				pay(i, a->pay_inv, p, at);
		}
		if (a->rest_day == day && owed(&a->v[a->rest_inv]) > 0 && !a->v[a->rest_inv].disputed)
			pay(i, a->rest_inv, owed(&a->v[a->rest_inv]), at);
		if (a->disp_day == day) {
			struct inv *v = &a->v[a->disp_inv];
			if (owed(v) > 0 && v->paid == 0 && !v->disputed) {
				ck_assert_msg(tu_sh("dunnctl -c %s dispute %s --reason oracle --at %s", cfg,
						    v->ref, at) == 0,
					      "%s", tu_output());
				v->disputed = 1;
			} else {
				a->disp_day = -1;
			}
		}
		if (a->disp_day >= 0 && a->disp_end == day) {
			struct inv *v = &a->v[a->disp_inv];
			char sql[256], *ref;
			snprintf(sql, sizeof sql,
				 "SELECT d.reference FROM dunning.disputes d JOIN dunning.invoices i "
				 "ON i.id = d.invoice_id WHERE i.external_ref = '%s'",
				 v->ref);
			ref = tu_qstr(db, sql);
			ck_assert_msg(tu_sh("dunnctl -c %s dispute %s %s --at %s", cfg,
					    a->disp_upheld ? "uphold" : "reject", ref, at) == 0,
				      "%s", tu_output());
			free(ref);
			v->disputed = 0;
			v->upheld = a->disp_upheld;
		}
		if (a->plan && day == 15)
			plan_open(i, day, at);
		if (a->plan && a->plan_id && day == 16)
			plan_pay(i, 0, at);
		if (a->plan == 1 && a->plan_id && day == 23)
			plan_pay(i, 1, at);
	}
}

/* The amount a reminder's subject states, or NULL for other messages. */
static char *reminder_amount(const char *subject)
{
	static const struct {
		const char *pre, *post;
	} forms[] = {
		{"A friendly reminder: ", " is due"},
		{"Your payment of ", " is overdue"},
		{"Final reminder: ", " overdue on account "},
	};

	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		size_t lp = strlen(forms[f].pre);
		const char *end;
		if (strncmp(subject, forms[f].pre, lp) != 0 ||
		    !(end = strstr(subject + lp, forms[f].post)))
			continue;
		return strndup(subject + lp, (size_t)(end - subject - lp));
	}
	return NULL;
}

static const char PARSE_DAY[] =
	"import email, email.policy, glob, sys\n"
	"for f in sorted(glob.glob(sys.argv[1] + \"/*.eml\")):\n"
	"    m = email.message_from_binary_file(open(f, \"rb\"), policy=email.policy.default)\n"
	"    print(m[\"to\"].addresses[0].addr_spec + \"\\t\" + str(m[\"subject\"]))\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("oracle");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

START_TEST(every_amount_as_computed_here)
{
	long long checked = 0, plans = 0;

	gen_book();
	for (int day = 0; day < DAYS; day++) {
		char at[32];
		tu_mail_clear();
		events(day);
		at_str(day, 15, at, sizeof at);
		tu_run_once(cfg, at);
		/* One parse of the whole day's mail by Python's email package:
		 * "address TAB subject" per message. */
		ck_assert_int_eq(tu_sh("/usr/bin/python3 -c '%s' '%s'", PARSE_DAY,
				       tu_env("DUNN_MAILDIR")),
				 0);
		char *out = strdup(tu_output()), *save = NULL;
		for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t'), *got, want[128];
			int i;
			ck_assert_msg(tab && sscanf(line, "o%d@oracle.test", &i) == 1 && i >= 0 &&
					      i < ACCOUNTS,
				      "mail: %s", line);
			got = reminder_amount(tab + 1);
			if (got) {
				expected(&book[i], day, want, sizeof want);
				ck_assert_msg(*want, "%s: O-%d reminded (%s) with nothing overdue", at, i,
					      got);
				ck_assert_msg(strcmp(got, want) == 0, "%s: O-%d told %s, owes %s", at, i,
					      got, want);
				checked++;
			}
			free(got);
		}
		free(out);
	}
	for (int i = 0; i < ACCOUNTS; i++)
		plans += book[i].plan_id != 0;
	fprintf(stderr, "oracle: %lld reminders checked, %lld plans\n", checked, plans);
	ck_assert_int_gt(checked, ACCOUNTS);
	ck_assert_int_gt(plans, 0);
	ck_assert_int_gt(tu_qint(db, "SELECT count(*) FROM dunning.disputes WHERE status = 'upheld'"),
			 0);
	ck_assert_int_gt(tu_qint(db, "SELECT count(*) FROM dunning.disputes WHERE status = 'rejected'"),
			 0);
	ck_assert_int_gt(tu_qint(db, "SELECT count(*) FROM dunning.payment_plans "
				     "WHERE status = 'broken'"),
			 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("oracle");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1500);
	tcase_add_test(tc, every_amount_as_computed_here);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
