/* Late fees through the real daemon and a real database: a step with a
 * fee charges it once per case, step and currency as ledger lines of
 * their own (dunning.fees, one per overdue invoice, split in proportion
 * to each one's remainder; the invoice is never changed), the legal
 * maximum bounds a case's fees, a replayed step charges nothing more, and
 * a dispute upheld waives the fees its invoice caused and no other. The
 * split itself is checked against an independent oracle
 * (tests/unit/fee_split_oracle.py, exact fractions). */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "token.h"
#include "tudaemon.h"
#include "tuhttp.h"

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

/* The fee line of one invoice at one step, in minor units (-1: none). */
static long long line_of(const char *inv, int step, const char *extra)
{
	return tu_qintf(
		db,
		"SELECT coalesce((SELECT f.amount FROM dunning.fees f JOIN dunning.invoices i "
		"ON i.id = f.invoice_id WHERE i.external_ref = '%s' AND f.step = %d %s), -1)",
		inv, step, extra ? extra : "");
}

/* Two overdue invoices of one account: each step's fee is split over
 * them by their remainders (30.00 and 19.90 of 49.90), the lines summing
 * to the step's fee. A dispute upheld on one waives only its lines; the
 * next reminder and the page count the other's, and the next step's fee
 * falls on the invoice still owed. */
START_TEST(dispute_upheld_waives_only_its_invoice)
{
	static const char acc[] = "account_ref,name,email,phone,locale,timezone,segment\n"
				  "A-3,Carol Example,carol@customer.test,,en-US,America/New_York,"
				  "retail\n";
	static const char inv[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
				  "INV-31,A-3,30.00,USD,2026-11-01,Mobile plan October\n"
				  "INV-32,A-3,19.90,USD,2026-11-01,Handset instalment\n";
	json_t *m;
	const char *t;
	char *p, *ref;

	p = tu_file(dir, "a3.csv", acc);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s", cfg, p), 0);
	free(p);
	p = tu_file(dir, "i3.csv", inv);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s", cfg, p), 0);
	free(p);
	walk((const char *const[]){"2026-11-05T15:00:00Z", NULL});
	/* $5.00 over 30.00 : 19.90 = 3.006 : 1.994 -> 3.00 + 1.99, and the
	 * cent left over to the larger fraction: 3.01 + 1.99. */
	ck_assert_int_eq(line_of("INV-31", 1, "AND f.base = 3000 AND f.kind = 'fixed'"), 301);
	ck_assert_int_eq(line_of("INV-32", 1, "AND f.base = 1990 AND f.rate = 0"), 199);
	ck_assert_int_eq(fees_of("A-3", NULL), 500);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.accounts a "
				 "ON a.id = e.account_id WHERE a.external_ref = 'A-3' "
				 "AND e.kind = 'fee_charged' AND e.detail ? 'invoice_id'"),
			 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT sum(amount_due) FROM dunning.invoices i JOIN "
				 "dunning.accounts a ON a.id = i.account_id "
				 "WHERE a.external_ref = 'A-3'"),
			 4990);

	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute INV-32 --reason 'never ordered'", cfg), 0);
	ref = tu_qstr(db,
		      "SELECT d.reference FROM dunning.disputes d JOIN dunning.invoices i "
		      "ON i.id = d.invoice_id WHERE i.external_ref = 'INV-32'");
	ck_assert_int_eq(tu_sh("dunnctl -c %s dispute uphold %s", cfg, ref), 0);
	free(ref);
	ck_assert_int_eq(line_of("INV-32", 1, "AND f.waived_by = 'dispute'"), 199);
	ck_assert_int_eq(line_of("INV-31", 1, "AND f.waived_at IS NULL"), 301);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.invoices i "
				 "ON i.id = (e.detail->>'invoice_id')::bigint "
				 "WHERE e.kind = 'fee_waived' AND i.external_ref = 'INV-32'"),
			 1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'fee_waived'"), 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s fee list A-3", cfg), 0);
	ck_assert_msg(strstr(tu_output(), "INV-32") && strstr(tu_output(), "dispute D-"), "%s",
		      tu_output());

	/* Step 2 on 30.00: 1.00 + 3.00 = 4.00 (the cap), within the legal
	 * room of 8.00 - 3.01; all of it on INV-31. The uphold ran on the
	 * real clock: the case is due again on the simulated one. */
	PQclear(tu_q(db,
		     "UPDATE dunning.cases c SET next_action_at = '2026-11-11T14:00:00Z' "
		     "FROM dunning.accounts a WHERE a.id = c.account_id "
		     "AND a.external_ref = 'A-3'"));
	tu_mail_clear();
	walk((const char *const[]){"2026-11-11T15:00:00Z", NULL});
	ck_assert_int_eq(line_of("INV-31", 2, "AND f.kind = 'fixed+percent' AND f.rate = 100000"),
			 400);
	ck_assert_int_eq(line_of("INV-32", 2, NULL), -1);
	t = last_text("carol@customer.test", &m);
	ck_assert_msg(strstr(t, "a late fee of $7.01") && strstr(t, "the total now due is $37.01."),
		      "%s", t);
	json_decref(m);

	/* The page, served by the daemon, says the same. */
	struct tud d = {0};
	struct tu_resp *r = malloc(sizeof *r);
	char tok[TOKEN_MAX], path[TOKEN_MAX + 8];
	int port = tud_start_http(&d, dir, cfg, NULL);
	ck_assert_int_eq(token_make("test-link-secret-0123456789abcdef",
				    tu_qint(db,
					    "SELECT id FROM dunning.accounts "
					    "WHERE external_ref = 'A-3'"),
				    (long long)time(NULL) + 3600, tok, sizeof tok),
			 0);
	snprintf(path, sizeof path, "/p/%s", tok);
	ck_assert_ptr_nonnull(r);
	tu_http(port, "GET", path, NULL, NULL, 0, NULL, r);
	ck_assert_int_eq(r->code, 200);
	ck_assert_msg(strstr(r->body, "Late fee: $7.01") &&
			      strstr(r->body, "Total with late fees: $37.01"),
		      "%s", r->body);
	free(r);
	tud_cleanup(&d);
}
END_TEST

/* dunning.fee_split against the oracle over random amounts and weights
 * (zeros, one weight, amounts from 1 minor unit to 10^15, remainders to
 * 10^15): the same shares, and they sum to the amount. */
START_TEST(split_matches_the_oracle)
{
	enum { N = 3000 };
	char in[] = "/tmp/split-in-XXXXXX", out[] = "/tmp/split-out-XXXXXX", cmd[1024];
	int fi = mkstemp(in), fo = mkstemp(out);
	char *sql = NULL, *got;
	size_t sqllen = 0;
	FILE *f, *q = open_memstream(&sql, &sqllen);
	const char *src = getenv("DUNN_SRCDIR");

	ck_assert(fi >= 0 && fo >= 0 && q);
	close(fo);
	f = fdopen(fi, "w");
	srandom(20261203);
	fputs("SELECT string_agg(array_to_string(dunning.fee_split(a, w), ' '), E'\\n' "
	      "ORDER BY k) FROM (VALUES ",
	      q);
	for (int k = 0; k < N; k++) {
		int n = 1 + (int)(random() % 7), any = 0;
		int64_t big = k % 3 == 0 ? INT64_C(1000000000000000) : k % 3 == 1 ? 100000 : 10;
		int64_t amount = 1 +
			(int64_t)(((uint64_t)random() << 31 | (uint64_t)random()) % (uint64_t)big);
		fprintf(f, "%" PRId64, amount);
		fprintf(q, "%s(%d, %" PRId64 "::bigint, ARRAY[", k ? ", " : "", k, amount);
		for (int i = 0; i < n; i++) {
			int64_t w = (int64_t)(((uint64_t)random() << 31 | (uint64_t)random()) %
					      (uint64_t)(k % 2 ? INT64_C(1000000000000000) : 5000));
			if (random() % 5 == 0)
				w = 0;
			if (i == n - 1 && !any && w == 0)
				w = 1;
			any |= w > 0;
			fprintf(f, " %" PRId64, w);
			fprintf(q, "%s%" PRId64, i ? ", " : "", w);
		}
		fputc('\n', f);
		fputs("]::numeric[])", q);
	}
	fputs(") v(k, a, w)", q);
	fclose(f);
	fclose(q);
	got = tu_qstr(db, sql);
	snprintf(cmd, sizeof cmd, "python3 %s/tests/unit/fee_split_oracle.py < %s > %s",
		 src && *src ? src : ".", in, out);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	char line[512], *g = got;
	int k = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strcspn(line, "\n"), glen = strcspn(g, "\n");
		ck_assert_msg(len == glen && !strncmp(line, g, len),
			      "case %d: oracle %.*s, sql %.*s", k, (int)len, line, (int)glen, g);
		g += glen + (g[glen] == '\n');
		k++;
	}
	ck_assert_int_eq(k, N);
	fclose(f);
	/* The lines sum to the amount, whatever the oracle says. */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM (VALUES (500::bigint, "
				 "ARRAY[3000, 1990, 0]::numeric[]), (1, ARRAY[1, 1, 1]), "
				 "(1000000000000000, ARRAY[999999999999999, 1, 7])) v(a, w) "
				 "WHERE (SELECT sum(x) FROM unnest(dunning.fee_split(a, w)) x) "
				 "<> a"),
			 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM (SELECT dunning.fee_split(5, "
				 "ARRAY[0, 0]::numeric[]) s) x WHERE s IS NULL"),
			 1);
	free(got);
	free(sql);
	unlink(in);
	unlink(out);
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
	tcase_add_test(tc, dispute_upheld_waives_only_its_invoice);
	tcase_add_test(tc, split_matches_the_oracle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
