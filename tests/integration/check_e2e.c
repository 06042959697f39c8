/* End to end: an overdue invoice in PostgreSQL becomes exactly one email
 * at a real SMTP server, in the customer's language, and is recorded. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"A-2,김민수,minsu@customer.test,+821012345678,ko-KR,Asia/Seoul,retail\n"
	"A-3,Bob Bounce,bounce-bob@customer.test,,en,UTC,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,120000,KRW,2026-11-01,인터넷 요금 10월\n"
			       "INV-3,A-3,10.00,USD,2026-11-01,Plan\n";

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("e2e");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

START_TEST(one_overdue_invoice_one_email)
{
	json_t *m;
	int i;

	/* 15:00Z = 10:00 in New York, 00:00 in Seoul (night: must wait). */
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 1);
	i = tu_mail_for("alice@customer.test");
	ck_assert_int_eq(i, 1);
	m = tu_mail(i);
	ck_assert_str_eq(json_string_value(json_object_get(m, "subject")),
			 "A friendly reminder: $49.90 is due");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "to")), "Alice Example"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "text")), "$49.90"));
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(m, "text")), "https://pay.test/p/"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "html")), "$49.90"));
	/* One-click unsubscribe (RFC 8058) on reminders. */
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "list_unsubscribe")),
				     "<https://pay.test/p/"));
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(m, "list_unsubscribe")), "/unsubscribe>"));
	ck_assert_str_eq(json_string_value(json_object_get(m, "list_unsubscribe_post")),
			 "List-Unsubscribe=One-Click");
	json_decref(m);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries d "
				 "JOIN dunning.accounts a ON a.id = d.account_id "
				 "WHERE a.external_ref = 'A-1' AND d.status = 'sent'"),
			 1);
	/* The bounce address got 550: failed for good and suppressed. */
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'bounced'"), 1);
	ck_assert_int_eq(
		tu_qint(db,
			"SELECT count(*) FROM dunning.suppressions "
			"WHERE channel = 'email' AND address = 'bounce-bob@customer.test'"),
		1);

	/* Same instant again: nothing new. */
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(tu_mail_count(), 1);
}
END_TEST

/* Amounts and dates read in the language of the template that was used:
 * fr-FR has no templates and reads English ones with English formats;
 * zh-TW and zh-HK read the Traditional templates, not the Simplified. */
START_TEST(formats_follow_the_template_used)
{
	static const char MORE_ACCOUNTS[] =
		"account_ref,name,email,phone,locale,timezone,segment\n"
		"A-4,Claire Dubois,claire@customer.test,,fr-FR,Europe/Paris,retail\n"
		"A-5,陳美玲,meiling@customer.test,,zh-TW,Asia/Taipei,retail\n"
		"A-6,李嘉欣,kayan@customer.test,,zh-HK,Asia/Hong_Kong,retail\n";
	static const char MORE_INVOICES[] =
		"invoice_ref,account_ref,amount,currency,due_date,description\n"
		"INV-4,A-4,1234.50,USD,2026-11-25,Forfait mobile\n"
		"INV-5,A-5,1500,TWD,2026-11-25,行動電話月租費\n"
		"INV-6,A-6,1500,HKD,2026-11-25,流動電話月費\n";
	json_t *m;
	const char *text;

	tu_import(cfg, dir, MORE_ACCOUNTS, MORE_INVOICES);
	/* 11:00 in Paris, 18:00 in Taipei and Hong Kong. */
	tu_run_once(cfg, "2026-11-28T10:00:00Z");
	m = tu_mail(tu_mail_for("claire@customer.test"));
	text = json_string_value(json_object_get(m, "text"));
	ck_assert_msg(strstr(text, "$1,234.50") && strstr(text, "November 25, 2026"),
		      "fr-FR reading English:\n%s", text);
	ck_assert_ptr_null(strstr(text, "$US"));
	ck_assert_ptr_null(strstr(text, "novembre"));
	json_decref(m);
	m = tu_mail(tu_mail_for("meiling@customer.test"));
	text = json_string_value(json_object_get(m, "text"));
	ck_assert_msg(strstr(text, "帳戶") && strstr(text, "$1,500.00") &&
			      strstr(text, "2026年11月25日"),
		      "zh-TW:\n%s", text);
	ck_assert_ptr_null(strstr(text, "账户"));
	json_decref(m);
	m = tu_mail(tu_mail_for("kayan@customer.test"));
	text = json_string_value(json_object_get(m, "text"));
	ck_assert_msg(strstr(text, "帳戶") && strstr(text, "HK$1,500.00"), "zh-HK:\n%s", text);
	ck_assert_ptr_null(strstr(text, "账户"));
	json_decref(m);
}
END_TEST

START_TEST(korean_reminder_in_local_daytime)
{
	json_t *m;
	int i;

	/* 01:00Z = 10:00 in Seoul. */
	tu_run_once(cfg, "2026-11-11T01:00:00Z");
	i = tu_mail_for("minsu@customer.test");
	ck_assert_int_gt(i, 0);
	m = tu_mail(i);
	ck_assert_str_eq(json_string_value(json_object_get(m, "subject")),
			 "납부 안내: 120,000원 결제 기한이 지났습니다");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "to")), "김민수"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "text")), "120,000원"));
	json_decref(m);
}
END_TEST

START_TEST(payment_stops_reminders)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	ck_assert_int_eq(tu_mail_for("alice@customer.test"), 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s pay INV-1 --at 2026-11-12T12:00:00Z", cfg), 0);
	tu_mail_clear();
	/* Day 10 would be the second step; paid, so only the confirmation. */
	tu_run_once(cfg, "2026-11-13T15:00:00Z");
	tu_run_once(cfg, "2026-11-20T15:00:00Z");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries d "
				 "JOIN dunning.accounts a ON a.id = d.account_id "
				 "WHERE a.external_ref = 'A-1' AND d.kind = 'reminder' "
				 "AND d.step > 1"),
			 0);
	/* Exactly one confirmation, with the amount paid. */
	ck_assert_int_eq(tu_mail_for("alice@customer.test"), 1);
	ck_assert_int_eq(tu_mail_count(), 1);
	json_t *m = tu_mail(1);
	ck_assert_str_eq(json_string_value(json_object_get(m, "subject")),
			 "Thank you: payment received for account A-1");
	json_decref(m);
	char *state = tu_qstr(db,
			      "SELECT c.state FROM dunning.cases c JOIN dunning.accounts a "
			      "ON a.id = c.account_id WHERE a.external_ref = 'A-1'");
	ck_assert_str_eq(state, "resolved");
	free(state);
}
END_TEST

START_TEST(steps_escalate_over_days)
{
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	tu_run_once(cfg, "2026-11-10T20:00:00Z"); /* same day, step 2 not due: nothing */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries d JOIN "
				 "dunning.accounts a ON a.id = d.account_id "
				 "WHERE a.external_ref = 'A-1'"),
			 1);
	tu_run_once(cfg, "2026-11-11T15:00:00Z"); /* day 10: firm */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries d JOIN "
				 "dunning.accounts a ON a.id = d.account_id "
				 "WHERE a.external_ref = 'A-1' AND d.template = 'firm' "
				 "AND d.status = 'sent'"),
			 1);
}
END_TEST

/* A reminder that reaches the wire at night waits for the morning: here it
 * was held at 10:00 in New York and released at 22:00. */
START_TEST(late_reminder_waits_for_the_window)
{
	/* 2026-11-11 08:00 in New York (EST, UTC-5). */
	const long long morning = 1794402000;
	char *held = tu_config(dir, conninfo, NULL, "\"hold_sending\": true");

	free(held);
	tu_run_once(cfg, "2026-11-10T15:00:00Z");
	tu_assert_delivery(db, "A-1", "status", "queued");
	ck_assert_int_eq(tu_mail_count(), 0);

	free(tu_config(dir, conninfo, NULL, NULL));
	tu_run_once(cfg, "2026-11-11T03:00:00Z"); /* 22:00 in New York */
	ck_assert_int_eq(tu_mail_for("alice@customer.test"), 0);
	tu_assert_delivery(db, "A-1", "status", "queued");
	tu_assert_delivery(db, "A-1", "attempts", "0");
	ck_assert_int_eq(tu_next_attempt_in(db, "A-1", morning), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e "
				 "JOIN dunning.accounts a ON a.id = e.account_id "
				 "WHERE a.external_ref = 'A-1' AND e.kind = 'delivery_deferred' "
				 "AND e.detail->>'channel' = 'email'"),
			 1);

	tu_run_once(cfg, "2026-11-11T13:00:00Z");
	ck_assert_int_gt(tu_mail_for("alice@customer.test"), 0);
	tu_assert_delivery(db, "A-1", "status", "sent");
	tu_assert_delivery(db, "A-1", "attempts", "1");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("walking skeleton");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_overdue_invoice_one_email);
	tcase_add_test(tc, korean_reminder_in_local_daytime);
	tcase_add_test(tc, formats_follow_the_template_used);
	tcase_add_test(tc, payment_stops_reminders);
	tcase_add_test(tc, steps_escalate_over_days);
	tcase_add_test(tc, late_reminder_waits_for_the_window);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
