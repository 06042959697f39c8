/* Late fees through the real daemon and a real database: a step with a
 * fee charges it once per case, step and currency as a ledger line of
 * its own (dunning.fees; the invoice is never changed), the legal maximum
 * bounds a case's fees, a replayed step charges nothing more, and a
 * dispute upheld waives the fees of its invoice's currency. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,,en-US,America/New_York,retail\n"
	"A-2,김민수,minsu@customer.test,,ko-KR,Asia/Seoul,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,120000,KRW,2026-11-01,인터넷 요금 10월\n";

/* Step 1: $5.00 or 5,000 won; step 2: 1.00 + 10% capped at $4.00 (or
 * 10% capped at 10,000 won); at most $8.00 or 12,000 won a case. */
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"1.00\", \"KRW\": \"1000\"},\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"email\"]},\n"
	"  \"fee_legal_max\": {\"USD\": \"8.00\", \"KRW\": 12000},\n"
	"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"
	"    {\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\",\n"
	"     \"fee\": {\"fixed\": {\"USD\": \"5.00\", \"KRW\": 5000}}},\n"
	"    {\"after_days\": 10, \"channels\": [\"email\"], \"template\": \"firm\",\n"
	"     \"fee\": {\"fixed\": {\"USD\": \"1.00\"}, \"percent\": 10,\n"
	"              \"cap\": {\"USD\": \"4.00\", \"KRW\": 10000}}}]}]\n"
	"}\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("fees");
	cfg = tu_config(dir, conninfo, POLICY, NULL);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

static long long fees_of(const char *ref, const char *extra)
{
	return tu_qintf(
		db,
		"SELECT coalesce(sum(f.amount), 0) FROM dunning.fees f JOIN dunning.accounts a "
		"ON a.id = f.account_id WHERE a.external_ref = '%s' %s",
		ref, extra ? extra : "");
}

/* 15:00Z is 10:00 in New York; 01:00Z is 10:00 in Seoul. */
static void walk(const char *const *at)
{
	for (; *at; at++)
		tu_run_once(cfg, *at);
}

START_TEST(charged_once_per_step_within_the_legal_max)
{
	static const char *const days[] = {"2026-11-05T15:00:00Z", "2026-11-06T01:00:00Z",
					   "2026-11-05T16:00:00Z", NULL};
	static const char *const later[] = {"2026-11-11T15:00:00Z", "2026-11-12T01:00:00Z",
					    "2026-11-12T15:00:00Z", "2026-11-13T01:00:00Z", NULL};

	walk(days);
	ck_assert_int_eq(fees_of("A-1", "AND f.step = 1 AND f.currency = 'USD'"), 500);
	ck_assert_int_eq(fees_of("A-2", "AND f.step = 1 AND f.currency = 'KRW'"), 5000);
	/* The percentage was taken of the invoice only, and the invoice is
	 * as billed. */
	ck_assert_int_eq(tu_qint(db, "SELECT sum(amount_due) FROM dunning.invoices"),
			 4990 + 120000);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'fee_charged'"), 2);
	walk(later);
	/* Step 2, A-1: 1.00 + 4.99 = 5.99, capped at 4.00, then the legal
	 * room of 8.00 - 5.00 = 3.00. A-2: 12,000 capped at 10,000, room 7,000. */
	ck_assert_int_eq(fees_of("A-1", "AND f.step = 2"), 300);
	ck_assert_int_eq(fees_of("A-2", "AND f.step = 2"), 7000);
	ck_assert_int_eq(fees_of("A-1", NULL), 800);
	ck_assert_int_eq(fees_of("A-2", NULL), 12000);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.fees WHERE base = 4990 "
				 "AND invoice_id IS NOT NULL"),
			 2);
	/* A step taken again (the claim's decision replayed) charges nothing. */
	PQclear(tu_q(
		db, "UPDATE dunning.cases SET stage = 1, next_action_at = '2026-11-13T14:00:00Z'"));
	walk((const char *const[]){"2026-11-13T15:00:00Z", "2026-11-14T01:00:00Z", NULL});
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.fees"), 4);
	ck_assert_int_eq(fees_of("A-1", NULL), 800);
}
END_TEST

START_TEST(dispute_upheld_waives_the_fees)
{
	walk((const char *const[]){"2026-11-05T15:00:00Z", NULL});
	ck_assert_int_eq(fees_of("A-1", NULL), 500);
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute INV-1 --reason 'never ordered'", cfg), 0);
	char *ref = tu_qstr(db, "SELECT reference FROM dunning.disputes");
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute uphold %s", cfg, ref), 0);
	free(ref);
	ck_assert_int_eq(fees_of("A-1", "AND f.waived_at IS NULL"), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.fees WHERE waived_by = 'dispute' "
				 "AND waive_reason LIKE 'dispute % upheld'"),
			 1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'fee_waived'"), 1);
}
END_TEST

/* The text of the last mail to addr (caller json_decref()s m). */
static const char *last_text(const char *addr, json_t **m)
{
	int i = tu_mail_for(addr);

	ck_assert_int_gt(i, 0);
	*m = tu_mail(i);
	return json_string_value(json_object_get(*m, "text"));
}

/* The reminder says the fee and the total with it; once waived, the next
 * message counts only the fee charged since. */
START_TEST(message_shows_the_fee_until_waived)
{
	json_t *m;
	const char *t;

	walk((const char *const[]){"2026-11-05T15:00:00Z", "2026-11-06T01:00:00Z", NULL});
	t = last_text("alice@customer.test", &m);
	ck_assert_msg(strstr(t, "a late fee of $5.00 has been added") &&
			      strstr(t, "the total now due is $54.90."),
		      "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "$49.90")); /* the invoice as billed */
	json_decref(m);
	t = last_text("minsu@customer.test", &m);
	ck_assert_msg(strstr(t, "5,000\xec\x9b\x90") && strstr(t, "125,000\xec\x9b\x90"), "%s", t);
	json_decref(m);
	long long case_id = tu_qint(db,
				    "SELECT f.case_id FROM dunning.fees f JOIN dunning.accounts a "
				    "ON a.id = f.account_id WHERE a.external_ref = 'A-1'");
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s fee waive --case %lld --reason goodwill", cfg, case_id), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events WHERE kind = 'fee_waived' "
				 "AND detail->>'reason' = 'goodwill'"),
			 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s fee waive --case %lld --reason again", cfg, case_id),
			 1);
	tu_mail_clear();
	walk((const char *const[]){"2026-11-11T15:00:00Z", NULL});
	/* Step 2: 1.00 + 10% of 49.90, capped at 4.00; the waived 5.00 is gone. */
	t = last_text("alice@customer.test", &m);
	ck_assert_msg(strstr(t, "a late fee of $4.00") && strstr(t, "$53.90") &&
			      !strstr(t, "$5.00"),
		      "%s", t);
	json_decref(m);
	ck_assert_int_eq(tu_sh("dunnctl -c %s fee list A-1 --json", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"waived\""));
	/* The report: charged, waived and paid per currency. */
	ck_assert_int_eq(
		tu_sh("dunnctl -c %s report --from 2026-11-01 --to 2026-12-31 --json", cfg), 0);
	json_t *doc = json_loads(tu_output(), 0, NULL), *usd;
	ck_assert_ptr_nonnull(doc);
	usd = json_object_get(json_object_get(doc, "fees"), "USD");
	ck_assert_str_eq(tu_jstr(usd, "charged"), "9.00");
	ck_assert_str_eq(tu_jstr(usd, "waived"), "5.00");
	ck_assert_str_eq(tu_jstr(usd, "paid"), "0.00");
	ck_assert_str_eq(tu_jstr(json_object_get(json_object_get(doc, "fees"), "KRW"), "charged"),
			 "5000");
	json_decref(doc);
}
END_TEST

/* simulate shows what each step would charge, and the diff of two
 * policies the fees that change. */
START_TEST(simulate_shows_fees)
{
	json_t *doc, *row;

	ck_assert_int_eq(
		tu_sh("dunnctl -c %s simulate --days 14 --at 2026-11-04T00:00:00Z --json 2>/dev/null",
		      cfg),
		0);
	doc = json_loads(tu_output(), 0, NULL);
	ck_assert_ptr_nonnull(doc);
	row = json_array_get(json_object_get(doc, "fees"), 0);
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "fees")), 4);
	size_t i;
	int seen = 0;
	json_array_foreach(json_object_get(doc, "fees"), i, row)
	{
		const char *cur = tu_jstr(row, "currency");
		int step = (int)json_integer_value(json_object_get(row, "step"));
		if (!strcmp(cur, "USD") && step == 1)
			seen += !strcmp(tu_jstr(row, "amount"), "5.00");
		if (!strcmp(cur, "USD") && step == 2)
			seen += !strcmp(tu_jstr(row, "amount"), "3.00"); /* legal room */
		if (!strcmp(cur, "KRW") && step == 2)
			seen += !strcmp(tu_jstr(row, "amount"), "7000");
	}
	ck_assert_int_eq(seen, 3);
	json_decref(doc);
	/* The candidate charges 7.00 at step 1: only that row differs. */
	char *alt = strdup(POLICY), *at = strstr(alt, "\"5.00\"");
	ck_assert_ptr_nonnull(at);
	at[1] = '7';
	char *path = tu_file(dir, "alt.json", alt);
	ck_assert_int_eq(tu_sh("dunnctl -c %s simulate --days 14 --at 2026-11-04T00:00:00Z "
			       "--policy %s --json 2>/dev/null",
			       cfg, path),
			 0);
	doc = json_loads(tu_output(), 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_is_true(json_object_get(doc, "different")));
	json_array_foreach(json_object_get(doc, "fees"), i, row)
	{
		if (!strcmp(tu_jstr(row, "currency"), "USD") &&
		    json_integer_value(json_object_get(row, "step")) == 1)
			ck_assert_str_eq(tu_jstr(row, "new"), "7.00");
	}
	ck_assert_int_ge(json_array_size(json_object_get(doc, "fees")), 1);
	json_decref(doc);
	free(path);
	free(alt);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fees");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, charged_once_per_step_within_the_legal_max);
	tcase_add_test(tc, dispute_upheld_waives_the_fees);
	tcase_add_test(tc, message_shows_the_fee_until_waived);
	tcase_add_test(tc, simulate_shows_fees);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
