/* Unit tests for lib/feedback: reply keywords, statuses, generic bodies. */
#include <check.h>
#include <string.h>

#include "feedback.h"

#define P(f, s, ev) f(s, strlen(s), ev)

START_TEST(keywords)
{
	ck_assert_int_eq(feedback_keyword("STOP"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("  stop \n"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Stop."), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("opt  out"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("Unsubscribe"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("STOPALL"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("cancel"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("end"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("quit"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("revoke"), FEEDBACK_KW_STOP);
	ck_assert_int_eq(feedback_keyword("start"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("UNSTOP"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("yes"), FEEDBACK_KW_START);
	ck_assert_int_eq(feedback_keyword("help"), FEEDBACK_KW_HELP);
	ck_assert_int_eq(feedback_keyword("Info"), FEEDBACK_KW_HELP);
	ck_assert_int_eq(feedback_keyword("please stop"), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword("stopping"), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword("I will pay on Friday, thank you very much"),
			 FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword(""), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword(NULL), FEEDBACK_KW_NONE);
	ck_assert_int_eq(feedback_keyword("ＳＴＯＰ"), FEEDBACK_KW_NONE);
}
END_TEST

START_TEST(statuses)
{
	ck_assert_str_eq(feedback_status("delivered"), "delivered");
	ck_assert_str_eq(feedback_status("DELIVERED"), "delivered");
	ck_assert_str_eq(feedback_status("undelivered"), "failed");
	ck_assert_str_eq(feedback_status("sent"), "sent");
	ck_assert_str_eq(feedback_status("accepted"), "queued");
	ck_assert_ptr_null(feedback_status("exploded"));
	ck_assert_ptr_null(feedback_status(NULL));
}
END_TEST

START_TEST(sms_status_bodies)
{
	struct channel_event ev;

	ck_assert_int_eq(P(feedback_parse_sms_status,
			   "{\"id\":\"SM1\",\"status\":\"failed\",\"error_code\":30007}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev.provider_id, "SM1");
	ck_assert_str_eq(ev.status, "failed");
	ck_assert_str_eq(ev.error_code, "30007");
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"SM1\",\"status\":\"sent\"}", &ev), 0);
	ck_assert_str_eq(ev.error_code, "");
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"SM1\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"\",\"status\":\"sent\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":[1],\"status\":\"sent\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "[1,2]", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"a\",", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "id=SM1&status=sent", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_status,
			   "{\"id\":\"a\",\"id\":\"b\",\"status\":\"sent\"}", &ev),
			 -1);
	ck_assert_int_eq(P(feedback_parse_sms_status, "{\"id\":\"a\\u0000b\",\"status\":\"sent\"}",
			   &ev),
			 -1);
}
END_TEST

START_TEST(sms_inbound_bodies)
{
	struct channel_event ev;
	char big[4000];

	ck_assert_int_eq(P(feedback_parse_sms_inbound, "{\"from\":\"+15550001\",\"body\":\"STOP\"}",
			   &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_INBOUND);
	ck_assert_str_eq(ev.address, "+15550001");
	ck_assert_str_eq(ev.body, "STOP");
	ck_assert_int_eq(P(feedback_parse_sms_inbound, "{\"from\":\"+15550001\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_sms_inbound, "{\"body\":\"x\"}", &ev), -1);
	/* A long reply is cut on a character boundary, not refused. */
	strcpy(big, "{\"from\":\"+1\",\"body\":\"");
	for (int i = 0; i < 700; i++)
		strcat(big, "가");
	strcat(big, "\"}");
	ck_assert_int_eq(P(feedback_parse_sms_inbound, big, &ev), 0);
	ck_assert_uint_eq(strlen(ev.body) % 3, 0);
	ck_assert_uint_lt(strlen(ev.body), sizeof ev.body);
}
END_TEST

START_TEST(email_bodies)
{
	struct channel_event ev;

	ck_assert_int_eq(P(feedback_parse_email_event,
			   "{\"type\":\"bounce\",\"address\":\"a@b.test\",\"id\":\"m1\"}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_BOUNCE);
	ck_assert_str_eq(ev.address, "a@b.test");
	ck_assert_str_eq(ev.provider_id, "m1");
	ck_assert_int_eq(P(feedback_parse_email_event,
			   "{\"type\":\"complaint\",\"address\":\"a@b.test\"}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_COMPLAINT);
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"delivered\",\"id\":\"m1\"}", &ev),
			 0);
	ck_assert_int_eq(ev.kind, CHANNEL_EV_STATUS);
	ck_assert_str_eq(ev.status, "delivered");
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"bounce\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"delivered\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "{\"type\":\"open\",\"id\":\"m\"}", &ev), -1);
	ck_assert_int_eq(P(feedback_parse_email_event, "", &ev), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("feedback");
	TCase *tc = tcase_create("feedback");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, keywords);
	tcase_add_test(tc, statuses);
	tcase_add_test(tc, sms_status_bodies);
	tcase_add_test(tc, sms_inbound_bodies);
	tcase_add_test(tc, email_bodies);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
