/* Payment providers' webhook bodies parsed into payment events: pure, no
 * I/O, so the daemon, the tests and the fuzz harness share them. The
 * signatures themselves are checked in sig.c; this only reads JSON.
 *
 * Stripe (one event per request, https://docs.stripe.com/api/events):
 *   invoice.paid                 data.object an Invoice: amount_paid
 *   payment_intent.succeeded     a PaymentIntent: amount_received
 *   checkout.session.completed   a Session with payment_status "paid":
 *                                amount_total
 *   charge.refunded              a Charge: amount_refunded (cumulative)
 *   charge.dispute.created       a Dispute
 * The invoice is named by the object's metadata[ref_field], else the
 * Stripe invoice's number (invoice.paid) or the session's
 * client_reference_id; the payment's own id is its payment_intent when it
 * has one, so the events of one payment share it. Other types are
 * PAYEV_IGNORED (recorded, never an error).
 *
 * Adyen (standard notifications, https://docs.adyen.com/development-
 * resources/webhooks): up to PAYEV_MAX items, each with the text its
 * hmacSignature covers. AUTHORISATION and CAPTURE with success "true"
 * pay (a capture shares its authorisation's payment id, originalReference,
 * so both count once), REFUND re-opens what it refunds, CHARGEBACK opens
 * a dispute; anything else, or success "false", is PAYEV_IGNORED.
 *
 * Generic ("provider": "generic", signed with X-Dunn-Signature):
 *   {"id": "evt-1", "type": "payment" | "refund" | "dispute",
 *    "invoice_ref": "INV-1", "payment_id": "p-1", "amount": 4990,
 *    "currency": "USD", "created": 1794322800}
 * amount in minor units; a refund's amount is that refund's own. */
#ifndef DUNN_PAYEVENT_H
#define DUNN_PAYEVENT_H

#include <stddef.h>
#include <stdint.h>

#define PAYEV_MAX 16
#define PAYEV_FIELD 128

enum payevent_kind {
	PAYEV_IGNORED = 0,
	PAYEV_PAYMENT,
	PAYEV_REFUND,
	PAYEV_DISPUTE,
};

struct payevent {
	enum payevent_kind kind;
	char id[PAYEV_FIELD];      /* the provider's id of this event */
	char type[64];             /* its type or eventCode, as sent */
	char ref[PAYEV_FIELD];     /* dunnd's invoice_ref, "" = not named */
	char alt_ref[PAYEV_FIELD]; /* a second candidate (Stripe invoice number) */
	char payment[PAYEV_FIELD]; /* the payment's own id, shared by its events */
	char refund[PAYEV_FIELD];  /* a refund's own key, unique per refund */
	int64_t amount;            /* minor units, >= 0; Stripe refund: cumulative */
	int64_t captured;          /* a refund: what the refunded payment took, 0 = unknown */
	int cumulative;            /* amount is the total refunded so far */
	char currency[4];          /* upper case, "" = not sent */
	int64_t at;                /* unix seconds the provider gives, 0 = none */
	/* Adyen: the signed text and the item's hmacSignature. */
	char signed_data[1024];
	char hmac[64];
};

/* Parse a Stripe event. ref_field: the metadata key naming dunnd's
 * invoice (NULL: "invoice_ref"). 0, or -1 with a reason in err when the
 * body is not a Stripe event. */
int payevent_stripe(const char *body, size_t len, const char *ref_field, struct payevent *ev,
		    char *err, size_t errlen);
/* Parse an Adyen notification into ev[0..*n). 0, or -1 with a reason in
 * err (no notificationItems, more than max, an item without the fields
 * every item has). */
int payevent_adyen(const char *body, size_t len, struct payevent *ev, size_t max, size_t *n,
		   char *err, size_t errlen);
/* Parse a generic payment event. 0 or -1 with a reason in err. */
int payevent_generic(const char *body, size_t len, struct payevent *ev, char *err, size_t errlen);
/* "payment", "refund", "dispute" or "ignored". */
const char *payevent_kind_name(enum payevent_kind k);

#endif
