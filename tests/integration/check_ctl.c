/* dunnctl migrate and import against a real database: the operator's way
 * in, and the guarantees it promises. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("ctl");
	/* A private copy of the migrations, so a test may edit one. */
	ck_assert_int_eq(tu_sh("cp -R migrations %s/migrations", dir), 0);
	cfg = tu_config(dir, conninfo, NULL, NULL);
	ck_assert_int_eq(
		tu_sh("sed -i 's|\"migrations\": \"[^\"]*\"|\"migrations\": \"%s/migrations\"|' %s",
		      dir, cfg),
		0);
	db = tu_connect(conninfo);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

START_TEST(migrate_idempotent_and_recorded)
{
	long long n;

	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	n = tu_qint(db, "SELECT count(*) FROM dunning.schema_migrations");
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.schema_migrations "
				 "WHERE length(checksum) = 64"),
			 n);
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "0 applied"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.schema_migrations"), n);
}
END_TEST

START_TEST(migrate_refuses_edited_file)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	ck_assert_int_eq(tu_sh("echo '-- edited' >> %s/migrations/0001_domain.sql", dir), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "0001_domain.sql: edited after it was applied"));
}
END_TEST

START_TEST(migrate_new_file_applied_in_order_and_atomic)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(dir, "migrations/0900_bad.sql",
		     "CREATE TABLE dunning.half_done (x int);\nSELECT 1/0;\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "0900_bad.sql"));
	/* Its own transaction: nothing of it remains. */
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
	free(tu_file(dir, "migrations/0900_bad.sql", "CREATE TABLE dunning.half_done (x int);\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT max(version) FROM dunning.schema_migrations"), 900);
}
END_TEST

START_TEST(migrate_concurrent_runs)
{
	/* Four at once: the advisory lock serialises them; each file once. */
	ck_assert_msg(
		tu_sh("pids=; for i in 1 2 3 4; do dunnctl -c %s migrate & pids=\"$pids $!\"; "
		      "done; ok=0; for p in $pids; do wait $p || ok=1; done; exit $ok",
		      cfg) == 0,
		"%s", tu_output());
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) - count(DISTINCT version) "
				 "FROM dunning.schema_migrations"),
			 0);
}
END_TEST

START_TEST(import_reports_every_bad_row_and_imports_nothing)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(dir, "acc.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,alice@example.com,+1 (202) 555-0101,en-US,America/New_York,retail\n"
		     "A-2,Bob,not-an-email,,en,UTC,retail\n"
		     "A-3,Chen,chen@example.com,12345,zh-CN,Asia/Shanghai,retail\n"
		     "A-4,Dora,dora@example.com,,en,Mars/Base,retail\n"
		     "A-5,\"Eve, Jr.\",eve@example.com,,e,UTC,retail\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/acc.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "acc.csv:3: not an email address"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "acc.csv:4: phone must be E.164"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "acc.csv:5: unknown IANA time zone 'Mars/Base'"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "acc.csv:6: not a BCP 47 locale"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "nothing imported"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.accounts"), 0);
}
END_TEST

/* A name or reference with a terminal control in it (ESC starting a
 * CSI sequence, CR rewriting the line, a tab, a C1 code) is refused with
 * PATH:line:, and nothing is imported. */
START_TEST(import_refuses_control_characters)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(dir, "acc.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,alice@example.com,,en,UTC,retail\n"
		     "A-2,\"Bob\x1b[2J\",bob@example.com,,en,UTC,retail\n"
		     /* a CR inside quotes is kept, and counted as a line */
		     "A-4,\"Dan\rFAKE LINE\",dan@example.com,,en,UTC,retail\n"
		     "A-5,Eve\tTab,eve@example.com,,en,UTC,retail\n"
		     "A-6,Fay\xc2\x9b"
		     "31m,fay@example.com,,en,UTC,retail\n"
		     "A-7,Gus,gus@example.com,,en,UTC,re\x07tail\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/acc.csv", cfg, dir), 1);
	ck_assert_msg(strstr(tu_output(), "acc.csv:3: name holds a control character (U+001B)"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "acc.csv:4: name holds a control character (U+000D)"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "acc.csv:6: name holds a control character (U+0009)"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "acc.csv:7: name holds a control character (U+009B)"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "acc.csv:8: segment holds a control character (U+0007)"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "nothing imported"), "%s", tu_output());
	ck_assert_ptr_null(strchr(tu_output(), '\x1b'));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.accounts"), 0);

	free(tu_file(dir, "acc.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,alice@example.com,,en,UTC,retail\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/acc.csv", cfg, dir), 0);
	free(tu_file(dir, "inv.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1\x1b]0;owned\x07,A-1,10,USD,2026-11-01,title\n"
		     "I-2,A-1,10,USD,2026-11-01,\"two\nlines\tand a tab\"\n"
		     "I-3,A-1,10,USD,2026-11-01,bell\x07\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/inv.csv", cfg, dir), 1);
	ck_assert_msg(
		strstr(tu_output(), "inv.csv:2: invoice_ref holds a control character (U+001B)"),
		"%s", tu_output());
	ck_assert_msg(
		strstr(tu_output(), "inv.csv:5: description holds a control character (U+0007)"),
		"%s", tu_output());
	ck_assert_ptr_null(strstr(tu_output(), "inv.csv:3:"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.invoices"), 0);
}
END_TEST

/* What the billing system wrote itself (or a customer texted) reaches
 * the operator's terminal escaped: no ESC, CR or C1 byte is printed. */
START_TEST(text_commands_escape_control_characters)
{
	json_t *j;
	json_error_t je;

	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	PQclear(tu_q(db,
		     "INSERT INTO dunning.accounts (external_ref, name, phone)\n"
		     "VALUES (E'A-\\x1b[31mRED', E'Eve\\x1b]0;pwned\\x07\\rFAKE\\nLINE\\u009b2J',\n"
		     "        '+15550001111');\n"
		     "INSERT INTO dunning.cases (account_id, cycle, opened_at, next_action_at)\n"
		     "SELECT id, 1, now(), now() FROM dunning.accounts;\n"
		     "INSERT INTO dunning.phone_tasks (case_id, due_at, note)\n"
		     "SELECT id, now(), E'SMS reply: hi\\x1b[2J' FROM dunning.cases"));
	ck_assert_msg(tu_sh("dunnctl -c %s tasks list", cfg) == 0, "%s", tu_output());
	ck_assert_ptr_null(strchr(tu_output(), '\x1b'));
	ck_assert_ptr_null(strchr(tu_output(), '\r'));
	ck_assert_ptr_null(strchr(tu_output(), '\x07'));
	ck_assert_ptr_null(strstr(tu_output(), "\xc2\x9b"));
	ck_assert_msg(strstr(tu_output(), "A-\\x1b[31mRED"), "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "Eve\\x1b]0;pwned\\x07\\rFAKE\\nLINE\\u009b2J"), "%s",
		      tu_output());
	/* --json carries the same text, as JSON escapes it. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s tasks list --json", cfg), 0);
	ck_assert_ptr_null(strchr(tu_output(), '\x1b'));
	j = json_loads(tu_output(), 0, &je);
	ck_assert_msg(j != NULL, "%s: %s", je.text, tu_output());
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "tasks"), 0), "name")),
			 "Eve\x1b]0;pwned\x07\rFAKE\nLINE\xc2\x9b"
			 "2J");
	json_decref(j);
	/* What the operator typed back, in an error. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s resume \"$(printf 'X\\033[2J')\"", cfg), 1);
	ck_assert_ptr_null(strchr(tu_output(), '\x1b'));
	ck_assert_ptr_nonnull(strstr(tu_output(), "'X\\x1b[2J'"));
}
END_TEST

START_TEST(import_money_by_currency_exponent)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(
		dir, "acc.csv",
		"account_ref,name,email,phone,locale,timezone,segment\n"
		"A-1,Alice,alice@example.com,+1 (202) 555-0101,en-US,America/New_York,retail\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/acc.csv", cfg, dir), 0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.accounts WHERE phone = '+12025550101'"),
		1);
	free(tu_file(dir, "bad.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1,A-1,49.90,USD,2026-11-01,ok\n"
		     "I-2,A-1,5000.5,JPY,2026-11-01,fraction of a yen\n"
		     "I-3,A-1,120000.00,KRW,2026-11-01,won has no decimals\n"
		     "I-4,A-1,1.234,USD,2026-11-01,three decimals\n"
		     "I-5,A-1,10,XYZ,2026-11-01,no such currency\n"
		     "I-6,A-1,10,USD,2026-02-30,no such day\n"
		     "I-7,A-9,10,USD,2026-11-01,ok row\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/bad.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "bad.csv:3: amount: JPY has no minor unit"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "bad.csv:4: amount: KRW has no minor unit"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "bad.csv:5: amount:"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "bad.csv:6: unknown currency 'XYZ'"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "bad.csv:7: due_date must be YYYY-MM-DD"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.invoices"), 0);

	/* An account that does not exist is caught after the rows are staged. */
	free(tu_file(dir, "orphan.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1,A-1,49.90,USD,2026-11-01,ok\n"
		     "I-7,A-9,10,USD,2026-11-01,who?\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/orphan.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(
		strstr(tu_output(), "orphan.csv:3: account_ref 'A-9' does not exist"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.invoices"), 0);

	free(tu_file(dir, "good.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1,A-1,49.90,USD,2026-11-01,\"Plan, with \"\"quotes\"\"\"\n"
		     "I-2,A-1,5000,JPY,2026-11-01,\n"
		     "I-3,A-1,120000,KRW,2026-11-01,인터넷\n"
		     "I-4,A-1,1.234,KWD,2026-11-01,three decimals allowed here\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/good.csv", cfg, dir), 0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT amount_due FROM dunning.invoices WHERE external_ref = 'I-1'"),
		4990);
	ck_assert_int_eq(
		tu_qint(db, "SELECT amount_due FROM dunning.invoices WHERE external_ref = 'I-2'"),
		5000);
	ck_assert_int_eq(
		tu_qint(db, "SELECT amount_due FROM dunning.invoices WHERE external_ref = 'I-3'"),
		120000);
	ck_assert_int_eq(
		tu_qint(db, "SELECT amount_due FROM dunning.invoices WHERE external_ref = 'I-4'"),
		1234);
	char *d = tu_qstr(db,
			  "SELECT description FROM dunning.invoices WHERE external_ref = 'I-1'");
	ck_assert_str_eq(d, "Plan, with \"quotes\"");
	free(d);
	/* Upsert by reference: a second import updates, never duplicates. */
	free(tu_file(dir, "again.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1,A-1,59.90,USD,2026-11-01,corrected\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/again.csv", cfg, dir), 0);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.invoices"), 4);
	ck_assert_int_eq(
		tu_qint(db, "SELECT amount_due FROM dunning.invoices WHERE external_ref = 'I-1'"),
		5990);
}
END_TEST

START_TEST(import_duplicate_refs_and_bad_header)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(dir, "dup.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,,,en,UTC,\n"
		     "A-1,Alice again,,,en,UTC,\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/dup.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(
		strstr(tu_output(), "dup.csv:3: duplicate account_ref 'A-1' (first on line 2)"));
	free(tu_file(dir, "hdr.csv", "ref,name\nA-1,Alice\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/hdr.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "hdr.csv:1: header must be"));
	free(tu_file(dir, "quote.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,\"Alice,,,en,UTC,\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/quote.csv", cfg, dir), 1);
	ck_assert_ptr_nonnull(strstr(tu_output(), "quote.csv:2: unterminated quoted field"));
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.accounts"), 0);
}
END_TEST

START_TEST(pay_records_and_reports)
{
	ck_assert_int_eq(tu_sh("dunnctl -c %s migrate", cfg), 0);
	free(tu_file(dir, "acc.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,alice@example.com,,en,UTC,\n"));
	free(tu_file(dir, "inv.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "I-1,A-1,10,USD,2026-11-01,\n"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/acc.csv", cfg, dir), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/inv.csv", cfg, dir), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay I-1 --at 2026-11-05T10:00:00Z", cfg), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.invoices WHERE paid_at = "
				 "'2026-11-05T10:00:00Z'"),
			 1);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.events WHERE kind = 'payment_recorded'"),
		1);
	/* Paying twice is harmless and says so. */
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay I-1", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "already paid"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay NOPE", cfg), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("migrate and import");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, migrate_idempotent_and_recorded);
	tcase_add_test(tc, migrate_refuses_edited_file);
	tcase_add_test(tc, migrate_new_file_applied_in_order_and_atomic);
	tcase_add_test(tc, migrate_concurrent_runs);
	tcase_add_test(tc, import_reports_every_bad_row_and_imports_nothing);
	tcase_add_test(tc, import_money_by_currency_exponent);
	tcase_add_test(tc, import_refuses_control_characters);
	tcase_add_test(tc, text_commands_escape_control_characters);
	tcase_add_test(tc, import_duplicate_refs_and_bad_header);
	tcase_add_test(tc, pay_records_and_reports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
