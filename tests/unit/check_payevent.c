/* lib/payevent: Stripe, Adyen and generic payment events parsed from the
 * bodies the providers document. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "payevent.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct payevent ev[PAYEV_MAX];
static char err[256];

static void stripe(const char *body, const char *field)
{
	ck_assert_msg(payevent_stripe(body, strlen(body), field, &ev[0], err, sizeof err) == 0,
		      "%s", err);
}

START_TEST(test_stripe_invoice_paid)
{
	stripe("{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":1794322800,"
	       "\"data\":{\"object\":{\"id\":\"in_1\",\"number\":\"ABC-0001\",\"amount_paid\":4990,"
	       "\"currency\":\"usd\",\"payment_intent\":\"pi_1\",\"metadata\":{\"invoice_ref\":\"INV-1\"}}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_PAYMENT);
	ck_assert_str_eq(ev[0].id, "evt_1");
	ck_assert_str_eq(ev[0].ref, "INV-1");
	ck_assert_str_eq(ev[0].alt_ref, "ABC-0001");
	ck_assert_str_eq(ev[0].payment, "pi_1"); /* shared with payment_intent.succeeded */
	ck_assert_int_eq(ev[0].amount, 4990);
	ck_assert_str_eq(ev[0].currency, "USD");
	ck_assert_int_eq(ev[0].at, 1794322800);
	/* without a payment intent the invoice is the payment; another field */
	stripe("{\"id\":\"evt_2\",\"type\":\"invoice.paid\",\"data\":{\"object\":{\"id\":\"in_2\","
	       "\"amount_paid\":5000,\"currency\":\"krw\",\"metadata\":{\"ours\":\"K-1\"}}}}",
	       "ours");
	ck_assert_str_eq(ev[0].payment, "in_2");
	ck_assert_str_eq(ev[0].ref, "K-1");
	ck_assert_str_eq(ev[0].alt_ref, "");
}
END_TEST

START_TEST(test_stripe_others)
{
	stripe("{\"id\":\"evt_3\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":"
	       "{\"id\":\"pi_3\",\"amount\":900,\"amount_received\":700,\"currency\":\"eur\","
	       "\"metadata\":{\"invoice_ref\":\"INV-3\"}}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_PAYMENT);
	ck_assert_str_eq(ev[0].payment, "pi_3");
	ck_assert_int_eq(ev[0].amount, 700);
	stripe("{\"id\":\"evt_4\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
	       "{\"id\":\"cs_4\",\"amount_total\":1200,\"currency\":\"usd\",\"payment_status\":\"paid\","
	       "\"payment_intent\":\"pi_4\",\"client_reference_id\":\"INV-4\",\"metadata\":{}}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_PAYMENT);
	ck_assert_str_eq(ev[0].alt_ref, "INV-4");
	ck_assert_str_eq(ev[0].payment, "pi_4");
	stripe("{\"id\":\"evt_5\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
	       "{\"id\":\"cs_5\",\"amount_total\":1200,\"payment_status\":\"unpaid\"}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_IGNORED);
	stripe("{\"id\":\"evt_6\",\"type\":\"charge.refunded\",\"data\":{\"object\":{\"id\":\"ch_6\","
	       "\"amount_captured\":4990,\"amount_refunded\":1000,\"currency\":\"usd\","
	       "\"payment_intent\":{\"id\":\"pi_1\"}}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_REFUND);
	ck_assert(ev[0].cumulative);
	ck_assert_int_eq(ev[0].amount, 1000);
	ck_assert_int_eq(ev[0].captured, 4990);
	ck_assert_str_eq(ev[0].payment, "pi_1");
	ck_assert_str_eq(ev[0].refund, "pi_1:refunded:1000");
	stripe("{\"id\":\"evt_7\",\"type\":\"charge.dispute.created\",\"data\":{\"object\":"
	       "{\"id\":\"dp_7\",\"charge\":\"ch_7\",\"amount\":4990,\"currency\":\"usd\"}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_DISPUTE);
	ck_assert_str_eq(ev[0].payment, "ch_7");
	stripe("{\"id\":\"evt_8\",\"type\":\"customer.created\",\"data\":{\"object\":{\"id\":\"cus_8\"}}}",
	       NULL);
	ck_assert_int_eq(ev[0].kind, PAYEV_IGNORED);
}
END_TEST

static const char *const stripe_bad[] = {
	"",
	"[]",
	"{",
	"{\"id\":\"evt_1\"}",
	"{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}",
	"{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"data\":{\"object\":{\"amount_paid\":-1}}}",
	"{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"data\":{\"object\":{\"amount_paid\":1.5}}}",
	"{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"data\":{\"object\":"
	"{\"amount_paid\":1000000000000001}}}",
	"{\"id\":\"evt_1\",\"id\":\"evt_2\",\"type\":\"invoice.paid\",\"data\":{\"object\":{}}}",
};

START_TEST(test_stripe_bad)
{
	ck_assert_int_eq(payevent_stripe(stripe_bad[_i], strlen(stripe_bad[_i]), NULL, &ev[0], err,
					 sizeof err),
			 -1);
	ck_assert(err[0]);
}
END_TEST

START_TEST(test_adyen)
{
	static const char body[] =
		"{\"live\":\"false\",\"notificationItems\":["
		"{\"NotificationRequestItem\":{\"pspReference\":\"PSP1\",\"merchantAccountCode\":\"M\","
		"\"merchantReference\":\"INV-1\",\"amount\":{\"value\":1130,\"currency\":\"EUR\"},"
		"\"eventCode\":\"AUTHORISATION\",\"success\":\"true\","
		"\"additionalData\":{\"hmacSignature\":\"abc=\"}}},"
		"{\"NotificationRequestItem\":{\"pspReference\":\"PSP2\",\"originalReference\":\"PSP1\","
		"\"merchantAccountCode\":\"M\",\"merchantReference\":\"INV-1\","
		"\"amount\":{\"value\":130,\"currency\":\"EUR\"},\"eventCode\":\"REFUND\","
		"\"success\":\"true\"}},"
		"{\"NotificationRequestItem\":{\"pspReference\":\"PSP3\",\"merchantReference\":\"INV-2\","
		"\"amount\":{\"value\":5,\"currency\":\"EUR\"},\"eventCode\":\"AUTHORISATION\","
		"\"success\":\"false\"}},"
		"{\"NotificationRequestItem\":{\"pspReference\":\"PSP4\",\"originalReference\":\"PSP1\","
		"\"merchantReference\":\"INV-1\",\"amount\":{\"value\":1000,\"currency\":\"EUR\"},"
		"\"eventCode\":\"CHARGEBACK\",\"success\":\"true\"}}]}";
	size_t n = 0;

	ck_assert_msg(payevent_adyen(body, strlen(body), ev, PAYEV_MAX, &n, err, sizeof err) == 0,
		      "%s", err);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(ev[0].kind, PAYEV_PAYMENT);
	ck_assert_str_eq(ev[0].signed_data, "PSP1::M:INV-1:1130:EUR:AUTHORISATION:true");
	ck_assert_str_eq(ev[0].hmac, "abc=");
	ck_assert_str_eq(ev[0].payment, "PSP1");
	ck_assert_str_eq(ev[0].id, "PSP1:AUTHORISATION:true");
	ck_assert_int_eq(ev[1].kind, PAYEV_REFUND);
	ck_assert_str_eq(ev[1].payment, "PSP1");
	ck_assert_str_eq(ev[1].refund, "PSP1:refund:PSP2");
	ck_assert_int_eq(ev[1].amount, 130);
	ck_assert(!ev[1].cumulative);
	ck_assert_str_eq(ev[1].signed_data, "PSP2:PSP1:M:INV-1:130:EUR:REFUND:true");
	ck_assert_int_eq(ev[2].kind, PAYEV_IGNORED);
	ck_assert_str_eq(ev[2].hmac, "");
	ck_assert_int_eq(ev[3].kind, PAYEV_DISPUTE);
	ck_assert_int_eq(payevent_adyen(body, strlen(body), ev, 3, &n, err, sizeof err), -1);
	ck_assert_int_eq(
		payevent_adyen("{\"notificationItems\":[{}]}", 26, ev, 3, &n, err, sizeof err), -1);
	ck_assert_int_eq(
		payevent_adyen("{\"notificationItems\":[]}", 24, ev, 3, &n, err, sizeof err), -1);
}
END_TEST

START_TEST(test_generic)
{
	static const char body[] = "{\"id\":\"e-1\",\"type\":\"refund\",\"invoice_ref\":\"INV-1\","
				   "\"payment_id\":\"p-1\",\"amount\":100,\"currency\":\"jpy\"}";

	ck_assert_int_eq(payevent_generic(body, strlen(body), &ev[0], err, sizeof err), 0);
	ck_assert_int_eq(ev[0].kind, PAYEV_REFUND);
	ck_assert_str_eq(ev[0].refund, "p-1:refund:e-1");
	ck_assert_str_eq(ev[0].currency, "JPY");
	ck_assert_int_eq(payevent_generic("{\"id\":\"e\",\"type\":\"payment\"}", 28, &ev[0], err,
					  sizeof err),
			 -1);
	ck_assert_str_eq(payevent_kind_name(PAYEV_DISPUTE), "dispute");
	ck_assert_str_eq(payevent_kind_name(PAYEV_IGNORED), "ignored");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("payevent");
	TCase *tc = tcase_create("payevent");

	tcase_add_test(tc, test_stripe_invoice_paid);
	tcase_add_test(tc, test_stripe_others);
	tcase_add_loop_test(tc, test_stripe_bad, 0, N(stripe_bad));
	tcase_add_test(tc, test_adyen);
	tcase_add_test(tc, test_generic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
