/* Unit tests for engine/delivery_status.c: every status has one name and
 * is found by it, and a module's result maps as channel.h says, a status
 * outside enum channel_status being a failure. */
#include <check.h>
#include <string.h>

#include "delivery_status.h"

START_TEST(names_round_trip)
{
	for (int i = 0; i < DELIVERY_NSTATUS; i++) {
		const char *n = delivery_status_name((enum delivery_status)i);
		enum delivery_status s = DELIVERY_NSTATUS;

		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(delivery_status_parse(n, &s), 0);
		ck_assert_int_eq(s, i);
		for (int k = 0; k < i; k++)
			ck_assert_str_ne(n, delivery_status_name((enum delivery_status)k));
	}
}
END_TEST

/* The strings SQL_RESULTS, the events and the metrics use. */
START_TEST(names_as_stored)
{
	ck_assert_str_eq(delivery_status_name(DELIVERY_SENT), "sent");
	ck_assert_str_eq(delivery_status_name(DELIVERY_RETRY), "retry");
	ck_assert_str_eq(delivery_status_name(DELIVERY_FAILED), "failed");
	ck_assert_str_eq(delivery_status_name(DELIVERY_BOUNCED), "bounced");
	ck_assert_str_eq(delivery_status_name(DELIVERY_DEFERRED), "deferred");
	ck_assert_str_eq(delivery_status_name(DELIVERY_CANCELLED), "cancelled");
	ck_assert_str_eq(delivery_status_name(DELIVERY_SUPPRESSED), "suppressed");
	ck_assert_str_eq(delivery_status_name(DELIVERY_NSTATUS), "failed");
	ck_assert_str_eq(delivery_status_name((enum delivery_status) - 1), "failed");
}
END_TEST

START_TEST(unknown_names)
{
	enum delivery_status s = DELIVERY_SENT;

	ck_assert_int_eq(delivery_status_parse("Sent", &s), -1);
	ck_assert_int_eq(delivery_status_parse("", &s), -1);
	ck_assert_int_eq(delivery_status_parse("queued", &s), -1);
	ck_assert_int_eq(delivery_status_parse(NULL, &s), -1);
	ck_assert_int_eq(s, DELIVERY_SENT);
}
END_TEST

START_TEST(channel_results)
{
	ck_assert_int_eq(delivery_status_from_channel(CHANNEL_SENT), DELIVERY_SENT);
	ck_assert_int_eq(delivery_status_from_channel(CHANNEL_RETRY), DELIVERY_RETRY);
	ck_assert_int_eq(delivery_status_from_channel(CHANNEL_FAILED), DELIVERY_FAILED);
	ck_assert_int_eq(delivery_status_from_channel(CHANNEL_BOUNCE), DELIVERY_BOUNCED);
	ck_assert_int_eq(delivery_status_from_channel(CHANNEL_UNSENT), DELIVERY_DEFERRED);
}
END_TEST

/* A module that reports a status channel.h does not define (a newer
 * ABI's, or garbage) has its message failed, never counted as sent. */
START_TEST(unknown_channel_result_fails)
{
	ck_assert_int_eq(delivery_status_from_channel((enum channel_status)(CHANNEL_UNSENT + 1)),
			 DELIVERY_FAILED);
	ck_assert_int_eq(delivery_status_from_channel((enum channel_status)99), DELIVERY_FAILED);
	ck_assert_int_eq(delivery_status_from_channel((enum channel_status) - 1), DELIVERY_FAILED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("delivery_status");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, names_round_trip);
	tcase_add_test(tc, names_as_stored);
	tcase_add_test(tc, unknown_names);
	tcase_add_test(tc, channel_results);
	tcase_add_test(tc, unknown_channel_result_fails);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
