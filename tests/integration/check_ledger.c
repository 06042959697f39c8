/* The money core against a real database, the real daemon walking the
 * days and a real mail sink: the payments ledger (dunnctl pay), amounts
 * that are what is overdue (not yet due never counts, two currencies never
 * added), cases that follow the money, payment plans, and the bound on
 * amounts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,,en-US,America/New_York,retail\n"
	"A-2,Bob Example,bob@customer.test,,en-US,America/New_York,retail\n"
	"A-3,Carol Example,carol@customer.test,,en-US,America/New_York,retail\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("ledger");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

/* The default policy (config/policy.json) over ACCOUNTS and invoices. */
static void book(const char *invoices)
{
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, invoices);
}

/* The last message to addr whose subject does not start with skip (NULL:
 * any): its subject and text joined (caller frees), or NULL when there is
 * none. One run may send a receipt and a reminder in either order. */
static char *last_mail_but(const char *addr, const char *skip)
{
	for (int i = tu_mail_count(); i >= 1; i--) {
		char *rcpt = tu_mail_rcpt(i);
		int hit = strcmp(rcpt, addr) == 0;
		free(rcpt);
		if (!hit)
			continue;
		json_t *m = tu_mail(i);
		const char *s = json_string_value(json_object_get(m, "subject"));
		const char *t = json_string_value(json_object_get(m, "text"));
		if (skip && strncmp(s, skip, strlen(skip)) == 0) {
			json_decref(m);
			continue;
		}
		size_t n = strlen(s) + strlen(t) + 2;
		char *out = malloc(n);
		ck_assert_ptr_nonnull(out);
		snprintf(out, n, "%s\n%s", s, t);
		json_decref(m);
		return out;
	}
	return NULL;
}

static char *last_mail(const char *addr)
{
	return last_mail_but(addr, NULL);
}

static long long mails_to(const char *addr)
{
	long long n = 0;

	for (int i = 1; i <= tu_mail_count(); i++) {
		char *rcpt = tu_mail_rcpt(i);
		n += strcmp(rcpt, addr) == 0;
		free(rcpt);
	}
	return n;
}

static void assert_has(const char *text, const char *needle)
{
	ck_assert_msg(text && strstr(text, needle), "'%s' not in:\n%s", needle,
		      text ? text : "(no message)");
}

static void assert_lacks(const char *text, const char *needle)
{
	ck_assert_msg(text && !strstr(text, needle), "'%s' in:\n%s", needle,
		      text ? text : "(no message)");
}

static long long q(const char *sql)
{
	return tu_qint(db, sql);
}

START_TEST(not_yet_due_never_counts)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n"
	     "INV-2,A-1,50.00,USD,2026-12-30,December\n"
	     /* 0.50 overdue is below the USD 1.00 minimum; the 100.00 not yet
	      * due must not lift it over. */
	     "INV-3,A-2,0.50,USD,2026-11-01,October\n"
	     "INV-4,A-2,100.00,USD,2026-12-30,December\n"
	     "INV-5,A-3,30.00,USD,2026-12-30,December\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	char *m = last_mail("alice@customer.test");
	assert_has(m, "A friendly reminder: $10.00 is due");
	assert_has(m, "is overdue, the oldest part since November 1, 2026");
	assert_lacks(m, "$60.00");
	assert_lacks(m, "was due on");
	free(m);
	ck_assert_int_eq(mails_to("bob@customer.test"), 0);
	/* An account whose only invoice is not yet due has no case at all. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a "
			   "ON a.id = c.account_id WHERE a.external_ref = 'A-3'"),
			 0);
}
END_TEST

START_TEST(two_currencies_each_in_its_own)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n"
	     "INV-2,A-1,5000,KRW,2026-11-01,Roaming\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	char *m = last_mail("alice@customer.test");
	assert_has(m, "₩5,000 + $10.00"); /* each in its own, by currency code */
	assert_lacks(m, "₩6,000");
	free(m);
	ck_assert_int_eq(mails_to("alice@customer.test"), 1);
	/* Paying one currency leaves the other overdue: the case stays. */
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-1 --at 2026-11-05T12:00:00Z", cfg) == 0, "%s",
		      tu_output());
	tu_run_once(cfg, "2026-11-11T15:00:00Z");
	m = last_mail_but("alice@customer.test", "Thank you: payment received");
	assert_has(m, "₩5,000");
	assert_lacks(m, "$10.00");
	free(m);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state <> 'resolved'"), 1);
}
END_TEST

/* Paid while a later invoice is not yet due: resolved at the next poll,
 * queued reminders cancelled, one receipt; the later invoice falling due
 * opens cycle 2 on the repeat track. */
START_TEST(paid_case_resolves_and_next_cycle_repeats)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n"
	     "INV-2,A-1,20.00,USD,2027-03-01,February\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	ck_assert_int_eq(mails_to("alice@customer.test"), 1);
	/* A reminder queued and not yet sent when the payment arrives. */
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel, "
		"template, status, next_attempt_at, created_at) SELECT id, account_id, cycle, 9, "
		"'email', 'firm', 'queued', '2026-12-01', '2026-11-05' FROM dunning.cases"));
	/* Paid before the next planned step (the 11th): resolved at once. */
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-1 --at 2026-11-06T14:00:00Z", cfg) == 0, "%s",
		      tu_output());
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state = 'resolved' "
			   "AND closed_at = '2026-11-06T15:00:00Z'"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'reminder' "
			   "AND status = 'queued'"),
			 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'confirmation' "
			   "AND status = 'sent'"),
			 1);
	tu_run_once(cfg, "2026-11-07T15:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.deliveries WHERE kind = 'confirmation'"),
			 1);
	ck_assert_int_eq(mails_to("alice@customer.test"), 2);
	/* Not due yet: nothing reopens. */
	tu_run_once(cfg, "2027-02-20T15:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases"), 1);
	tu_run_once(cfg, "2027-03-04T15:00:00Z");
	ck_assert_int_eq(
		q("SELECT count(*) FROM dunning.cases WHERE cycle = 2 AND track = 'repeat' "
		  "AND stage = 1 AND state = 'active'"),
		1);
	char *m = last_mail("alice@customer.test");
	assert_has(m, "Your payment of $20.00 is overdue");
	free(m);
}
END_TEST

START_TEST(broken_plan_states_what_is_left)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,90.00,USD,2026-11-01,October\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	ck_assert_msg(tu_sh("dunnctl -c %s plan A-1 --instalments 3 --every 30 --first 2026-11-10 "
			    "--at 2026-11-05T12:00:00Z",
			    cfg) == 0,
		      "%s", tu_output());
	long long plan = q("SELECT id FROM dunning.payment_plans");
	ck_assert_msg(tu_sh("dunnctl -c %s plan pay %lld --at 2026-11-09T12:00:00Z", cfg, plan) ==
			      0,
		      "%s", tu_output());
	/* The instalment is a ledger payment. */
	ck_assert_int_eq(q("SELECT sum(amount) FROM dunning.payments WHERE source = 'plan'"), 3000);
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices"), 3000);
	/* The second instalment (10 December) is missed: the pause lapses. */
	tu_run_once(cfg, "2026-12-11T15:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payment_plans WHERE status = 'broken'"),
			 1);
	char *m = last_mail("alice@customer.test");
	assert_has(m, "$60.00");
	assert_lacks(m, "$90.00");
	free(m);
	/* Resumed: the pause fields are cleared, with an event. */
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state = 'active' AND "
			   "paused_until IS NULL AND pause_reason IS NULL AND pause_note IS NULL"),
			 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events WHERE kind = 'case_resumed'"), 1);
}
END_TEST

START_TEST(pay_records_once_and_refuses_what_is_wrong)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n");
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-1 --amount 4.00 --ref R-1 --json "
			    "--at 2026-11-05T12:00:00Z",
			    cfg) == 0,
		      "%s", tu_output());
	json_error_t err;
	json_t *j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "not JSON: %s", tu_output());
	ck_assert_str_eq(tu_jstr(j, "amount"), "4.00");
	ck_assert_str_eq(tu_jstr(j, "owed"), "6.00");
	ck_assert_str_eq(tu_jstr(j, "currency"), "USD");
	ck_assert(json_is_false(json_object_get(j, "settled")));
	json_decref(j);
	/* The same --ref again counts once. */
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-1 --amount 4.00 --ref R-1", cfg) == 0, "%s",
		      tu_output());
	ck_assert_ptr_nonnull(strstr(tu_output(), "counted once"));
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices"), 400);
	/* More than owed, another currency, an unknown invoice, a bad
	 * amount, one past the bound: refused, nothing changed. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --amount 6.01", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "more than the 6.00 USD owed"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --amount 1.00 --currency EUR", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "is in USD, not EUR"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay NOPE --amount 1.00", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "no invoice with reference 'NOPE'"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --amount 1.001", cfg), 2);
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --amount 10000000000000.01", cfg), 2);
	ck_assert_ptr_nonnull(strstr(tu_output(), "--amount: more than the largest accepted"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --amount 1.00 --ref R-1", cfg), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.payments"), 1);
	ck_assert_int_eq(q("SELECT amount_paid FROM dunning.invoices"), 400);
	/* The database refuses too, whoever writes. */
	PGresult *r = PQexec(db,
			     "INSERT INTO dunning.payments (invoice_id, account_id, amount, "
			     "currency, at, source, source_id) SELECT id, account_id, 601, "
			     "'USD', now(), 'billing', 'B-1' FROM dunning.invoices");
	ck_assert_int_ne(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	/* No --amount: the rest; the invoice is then settled. */
	ck_assert_msg(tu_sh("dunnctl -c %s pay INV-1 --at 2026-11-06T12:00:00Z", cfg) == 0, "%s",
		      tu_output());
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE amount_paid = 1000 AND "
			   "paid_at = '2026-11-06T12:00:00Z'"),
			 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "already paid at 2026-11-06T12:00:00Z"));
	/* A refund reopens what is owed. */
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.payments (invoice_id, account_id, kind, amount, "
		"currency, at, source, source_id) SELECT id, account_id, 'refund', -250, 'USD', now(), "
		"'billing', 'RF-1' FROM dunning.invoices"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices WHERE amount_paid = 750 AND "
			   "paid_at IS NULL"),
			 1);
}
END_TEST

/* A partial payment is what the next reminder subtracts. */
START_TEST(partial_payment_lowers_the_amount)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,49.90,USD,2026-11-01,October\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	ck_assert_msg(
		tu_sh("dunnctl -c %s pay INV-1 --amount 19.90 --at 2026-11-06T12:00:00Z", cfg) == 0,
		"%s", tu_output());
	tu_run_once(cfg, "2026-11-11T15:00:00Z");
	char *m = last_mail("alice@customer.test");
	assert_has(m, "Your payment of $30.00 is overdue");
	free(m);
}
END_TEST

START_TEST(amounts_past_the_bound_are_refused)
{
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS,
			"invoice_ref,account_ref,amount,currency,due_date,description\n"
			"INV-1,A-1,10.00,USD,2026-11-01,October\n");
	free(tu_file(dir, "big.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "INV-8,A-2,50000000000000000.00,USD,2026-11-01,Huge\n"
		     "INV-9,A-2,50000000000000000.00,USD,2026-11-01,Huge\n"));
	ck_assert_int_ne(tu_sh("dunnctl -c %s import invoices %s/big.csv", cfg, dir), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "big.csv:2: amount: more than the largest"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "big.csv:3: amount: more than the largest"));
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.invoices"), 1);
	/* Written directly, one amount past the bound is refused... */
	PGresult *r = PQexec(db,
			     "INSERT INTO dunning.invoices (account_id, external_ref, "
			     "amount_due, currency, due_date) SELECT id, 'X-1', "
			     "5000000000000000000, 'USD', '2026-11-01' FROM dunning.accounts "
			     "WHERE external_ref = 'A-2'");
	ck_assert_int_ne(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	/* ...and a total past it (1,001 invoices at the bound) is never
	 * stated: no reminder, the case waits. */
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, "
		"due_date) SELECT a.id, 'B-' || k, 1000000000000000, 'USD', '2026-11-01' "
		"FROM dunning.accounts a, generate_series(1, 1001) k WHERE a.external_ref = 'A-2'"));
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	ck_assert_int_eq(mails_to("alice@customer.test"), 1);
	ck_assert_int_eq(mails_to("bob@customer.test"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.events e JOIN dunning.accounts a ON "
			   "a.id = e.account_id WHERE a.external_ref = 'A-2' AND "
			   "e.detail->>'reason' = 'amount out of range'"),
			 1);
}
END_TEST

/* Receipts of an account (kind confirmation) with status sent. */
static long long receipts(const char *ref)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.kind = 'confirmation' "
		 "AND d.status = 'sent'",
		 ref);
	return tu_qint(db, sql);
}

static void pay_at(const char *args)
{
	ck_assert_msg(tu_sh("dunnctl -c %s pay %s", cfg, args) == 0, "%s", tu_output());
}

/* Paid, refunded by the billing system, paid again: the second payment
 * clears the account again and gets its own receipt. */
START_TEST(paid_again_after_a_refund_gets_a_receipt)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n");
	tu_run_once(cfg, "2026-11-04T15:00:00Z");
	pay_at("INV-1 --at 2026-11-05T12:00:00Z");
	tu_run_once(cfg, "2026-11-05T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 1);
	PQclear(tu_q(db,
		     "INSERT INTO dunning.payments (invoice_id, account_id, kind, amount, "
		     "currency, at, source, source_id) SELECT id, account_id, 'refund', -1000, "
		     "currency, '2026-11-08T12:00:00Z', 'billing', 'RF-1' FROM dunning.invoices"));
	tu_run_once(cfg, "2026-11-08T15:00:00Z");
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state <> 'resolved'"), 1);
	ck_assert_int_eq(receipts("A-1"), 1);
	pay_at("INV-1 --at 2026-11-09T12:00:00Z");
	tu_run_once(cfg, "2026-11-09T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 2);
	char *m = last_mail("alice@customer.test");
	assert_has(m, "Thank you: payment received for account A-1");
	assert_has(m, "We have received your payment of $10.00");
	free(m);
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 2);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state <> 'resolved'"), 0);
}
END_TEST

/* A-1 pays one of its two overdue invoices, then part of the other, then
 * the rest; A-2 pays both of its own at once. Only what clears the
 * account gets a receipt, exactly one each, stating what was settled. */
START_TEST(one_receipt_when_everything_clears)
{
	book("invoice_ref,account_ref,amount,currency,due_date,description\n"
	     "INV-1,A-1,10.00,USD,2026-11-01,October\n"
	     "INV-2,A-1,20.00,USD,2026-11-02,October roaming\n"
	     "INV-3,A-2,10.00,USD,2026-11-01,October\n"
	     "INV-4,A-2,5.00,USD,2026-11-02,October roaming\n"
	     "INV-5,A-2,40.00,USD,2027-01-30,January\n");
	tu_run_once(cfg, "2026-11-05T15:00:00Z");
	ck_assert_int_eq(mails_to("alice@customer.test"), 1);
	pay_at("INV-1 --at 2026-11-06T12:00:00Z");
	pay_at("INV-3 --at 2026-11-06T12:00:00Z");
	pay_at("INV-4 --at 2026-11-06T12:05:00Z");
	tu_run_once(cfg, "2026-11-06T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 0); /* INV-2 is still overdue */
	ck_assert_int_eq(receipts("A-2"), 1); /* INV-5 is not due yet */
	pay_at("INV-2 --amount 5.00 --at 2026-11-07T12:00:00Z");
	tu_run_once(cfg, "2026-11-07T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 0);
	pay_at("INV-2 --at 2026-11-08T12:00:00Z");
	tu_run_once(cfg, "2026-11-08T15:00:00Z");
	tu_run_once(cfg, "2026-11-09T15:00:00Z");
	ck_assert_int_eq(receipts("A-1"), 1);
	ck_assert_int_eq(receipts("A-2"), 1);
	char *m = last_mail("alice@customer.test");
	assert_has(m, "We have received your payment of $30.00");
	free(m);
	m = last_mail("bob@customer.test");
	assert_has(m, "We have received your payment of $15.00");
	free(m);
	ck_assert_int_eq(q("SELECT count(*) FROM dunning.cases WHERE state <> 'resolved'"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, not_yet_due_never_counts);
	tcase_add_test(tc, two_currencies_each_in_its_own);
	tcase_add_test(tc, paid_case_resolves_and_next_cycle_repeats);
	tcase_add_test(tc, broken_plan_states_what_is_left);
	tcase_add_test(tc, pay_records_once_and_refuses_what_is_wrong);
	tcase_add_test(tc, partial_payment_lowers_the_amount);
	tcase_add_test(tc, amounts_past_the_bound_are_refused);
	tcase_add_test(tc, paid_again_after_a_refund_gets_a_receipt);
	tcase_add_test(tc, one_receipt_when_everything_clears);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
