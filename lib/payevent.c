#include "payevent.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A string member copied into out (cut to fit); "" when absent or not a
 * string. */
static void str_of(json_t *o, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(out, size, "%s", s ? s : "");
}

/* An amount: a JSON integer from 0 to 10^15 (the ledger's bound), else -1. */
static int64_t amount_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000000000000000LL)
		return -1;
	return (int64_t)json_integer_value(v);
}

static void currency_of(json_t *o, const char *key, char out[4])
{
	const char *s = json_string_value(json_object_get(o, key));

	out[0] = '\0';
	if (!s || strlen(s) != 3)
		return;
	for (int i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)s[i])) {
			out[0] = '\0';
			return;
		}
		out[i] = (char)toupper((unsigned char)s[i]);
	}
	out[3] = '\0';
}

static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (!root)
		snprintf(err, errlen, "not JSON: %s", je.text);
	else if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* The payment an object belongs to: its payment_intent (a string, or an
 * expanded object's id), else fallback. */
static void payment_of(json_t *obj, const char *fallback, char *out, size_t size)
{
	json_t *pi = json_object_get(obj, "payment_intent");

	if (json_is_object(pi))
		pi = json_object_get(pi, "id");
	if (json_is_string(pi) && *json_string_value(pi))
		snprintf(out, size, "%s", json_string_value(pi));
	else
		snprintf(out, size, "%s", fallback ? fallback : "");
}

int payevent_stripe(const char *body, size_t len, const char *ref_field, struct payevent *ev,
		    char *err, size_t errlen)
{
	json_t *root = load(body, len, err, errlen), *obj, *meta;
	char oid[PAYEV_FIELD];
	int64_t amt = 0;

	memset(ev, 0, sizeof *ev);
	if (!root)
		return -1;
	obj = json_object_get(json_object_get(root, "data"), "object");
	str_of(root, "id", ev->id, sizeof ev->id);
	str_of(root, "type", ev->type, sizeof ev->type);
	if (!ev->id[0] || !ev->type[0] || !json_is_object(obj)) {
		snprintf(err, errlen, "not a Stripe event (id, type, data.object)");
		json_decref(root);
		return -1;
	}
	if (json_is_integer(json_object_get(root, "created")))
		ev->at = (int64_t)json_integer_value(json_object_get(root, "created"));
	str_of(obj, "id", oid, sizeof oid);
	meta = json_object_get(obj, "metadata");
	str_of(meta, ref_field ? ref_field : "invoice_ref", ev->ref, sizeof ev->ref);
	currency_of(obj, "currency", ev->currency);
	payment_of(obj, oid, ev->payment, sizeof ev->payment);
	if (!strcmp(ev->type, "invoice.paid")) {
		ev->kind = PAYEV_PAYMENT;
		str_of(obj, "number", ev->alt_ref, sizeof ev->alt_ref);
		amt = amount_of(obj, "amount_paid");
	} else if (!strcmp(ev->type, "payment_intent.succeeded")) {
		ev->kind = PAYEV_PAYMENT;
		amt = amount_of(obj, "amount_received");
	} else if (!strcmp(ev->type, "checkout.session.completed")) {
		/* A delayed method (a bank debit) completes the session unpaid:
		 * its money comes with payment_intent.succeeded. */
		const char *ps = json_string_value(json_object_get(obj, "payment_status"));
		ev->kind = ps && !strcmp(ps, "paid") ? PAYEV_PAYMENT : PAYEV_IGNORED;
		str_of(obj, "client_reference_id", ev->alt_ref, sizeof ev->alt_ref);
		amt = amount_of(obj, "amount_total");
	} else if (!strcmp(ev->type, "charge.refunded")) {
		ev->kind = PAYEV_REFUND;
		ev->cumulative = 1;
		amt = amount_of(obj, "amount_refunded");
		ev->captured = amount_of(obj, "amount_captured");
		if (ev->captured < 0)
			ev->captured = 0;
		/* One refund entry per refunded total: the same total sent again
		 * is the same entry, a larger one adds the difference. */
		snprintf(ev->refund, sizeof ev->refund, "%.80s:refunded:%" PRId64, ev->payment,
			 amt < 0 ? (int64_t)0 : amt);
	} else if (!strcmp(ev->type, "charge.dispute.created")) {
		ev->kind = PAYEV_DISPUTE;
		json_t *ch = json_object_get(obj, "charge");
		if (!json_object_get(obj, "payment_intent") && json_is_string(ch))
			snprintf(ev->payment, sizeof ev->payment, "%s", json_string_value(ch));
		amt = amount_of(obj, "amount");
	} else {
		ev->kind = PAYEV_IGNORED;
	}
	if (amt < 0) {
		snprintf(err, errlen, "%s: amount is not an integer from 0 to 10^15", ev->type);
		json_decref(root);
		return -1;
	}
	ev->amount = amt;
	json_decref(root);
	return 0;
}

/* The value Adyen signs for a field: the string as sent, "" when absent. */
static const char *sval(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int payevent_adyen(const char *body, size_t len, struct payevent *ev, size_t max, size_t *n,
		   char *err, size_t errlen)
{
	json_t *root = load(body, len, err, errlen), *items, *it;
	size_t i;

	*n = 0;
	if (!root)
		return -1;
	items = json_object_get(root, "notificationItems");
	if (!json_is_array(items) || json_array_size(items) == 0) {
		snprintf(err, errlen, "no notificationItems");
		json_decref(root);
		return -1;
	}
	if (json_array_size(items) > max) {
		snprintf(err, errlen, "more than %zu notificationItems", max);
		json_decref(root);
		return -1;
	}
	json_array_foreach(items, i, it)
	{
		json_t *x = json_object_get(it, "NotificationRequestItem");
		json_t *amount = json_object_get(x, "amount");
		json_t *value = json_object_get(amount, "value");
		struct payevent *e = &ev[i];
		char vbuf[24] = "";
		int ok;

		memset(e, 0, sizeof *e);
		if (!json_is_object(x) || !*sval(x, "pspReference") || !*sval(x, "eventCode") ||
		    !json_is_string(json_object_get(x, "success"))) {
			snprintf(
				err, errlen,
				"notificationItems[%zu]: no NotificationRequestItem with pspReference, "
				"eventCode and success",
				i);
			json_decref(root);
			return -1;
		}
		if (json_is_integer(value))
			snprintf(vbuf, sizeof vbuf, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(value));
		/* Adyen's documented order; absent fields are empty. */
		ok = snprintf(e->signed_data, sizeof e->signed_data, "%s:%s:%s:%s:%s:%s:%s:%s",
			      sval(x, "pspReference"), sval(x, "originalReference"),
			      sval(x, "merchantAccountCode"), sval(x, "merchantReference"), vbuf,
			      sval(amount, "currency"), sval(x, "eventCode"), sval(x, "success"));
		if (ok < 0 || (size_t)ok >= sizeof e->signed_data) {
			snprintf(err, errlen, "notificationItems[%zu]: fields too long", i);
			json_decref(root);
			return -1;
		}
		str_of(json_object_get(x, "additionalData"), "hmacSignature", e->hmac,
		       sizeof e->hmac);
		snprintf(e->type, sizeof e->type, "%s", sval(x, "eventCode"));
		snprintf(e->id, sizeof e->id, "%.60s:%.40s:%s", sval(x, "pspReference"), e->type,
			 sval(x, "success"));
		snprintf(e->ref, sizeof e->ref, "%s", sval(x, "merchantReference"));
		e->amount = amount_of(amount, "value");
		if (e->amount < 0)
			e->amount = 0;
		currency_of(amount, "currency", e->currency);
		/* A capture, refund or chargeback names the payment it belongs to
		 * in originalReference; an authorisation is the payment. */
		snprintf(e->payment, sizeof e->payment, "%s",
			 *sval(x, "originalReference") ? sval(x, "originalReference")
						       : sval(x, "pspReference"));
		if (strcmp(sval(x, "success"), "true") != 0)
			e->kind = PAYEV_IGNORED;
		else if (!strcmp(e->type, "AUTHORISATION") || !strcmp(e->type, "CAPTURE"))
			e->kind = PAYEV_PAYMENT;
		else if (!strcmp(e->type, "REFUND")) {
			e->kind = PAYEV_REFUND;
			snprintf(e->refund, sizeof e->refund, "%.59s:refund:%.59s", e->payment,
				 sval(x, "pspReference"));
			e->captured = e->amount;
		} else if (!strcmp(e->type, "CHARGEBACK"))
			e->kind = PAYEV_DISPUTE;
		else
			e->kind = PAYEV_IGNORED;
		(*n)++;
	}
	json_decref(root);
	return 0;
}

int payevent_generic(const char *body, size_t len, struct payevent *ev, char *err, size_t errlen)
{
	json_t *root = load(body, len, err, errlen);
	const char *type;

	memset(ev, 0, sizeof *ev);
	if (!root)
		return -1;
	str_of(root, "id", ev->id, sizeof ev->id);
	type = json_string_value(json_object_get(root, "type"));
	snprintf(ev->type, sizeof ev->type, "%s", type ? type : "");
	str_of(root, "invoice_ref", ev->ref, sizeof ev->ref);
	str_of(root, "payment_id", ev->payment, sizeof ev->payment);
	if (!ev->payment[0])
		snprintf(ev->payment, sizeof ev->payment, "%s", ev->id);
	currency_of(root, "currency", ev->currency);
	ev->amount = amount_of(root, "amount");
	if (json_is_integer(json_object_get(root, "created")))
		ev->at = (int64_t)json_integer_value(json_object_get(root, "created"));
	if (!ev->id[0] || !type || ev->amount < 0) {
		snprintf(err, errlen,
			 "needs id, type and an amount in minor units from 0 to 10^15");
		json_decref(root);
		return -1;
	}
	if (!strcmp(type, "payment"))
		ev->kind = PAYEV_PAYMENT;
	else if (!strcmp(type, "refund")) {
		ev->kind = PAYEV_REFUND;
		snprintf(ev->refund, sizeof ev->refund, "%.59s:refund:%.59s", ev->payment, ev->id);
		ev->captured = ev->amount;
	} else if (!strcmp(type, "dispute"))
		ev->kind = PAYEV_DISPUTE;
	else
		ev->kind = PAYEV_IGNORED;
	json_decref(root);
	return 0;
}

const char *payevent_kind_name(enum payevent_kind k)
{
	switch (k) {
	case PAYEV_PAYMENT:
		return "payment";
	case PAYEV_REFUND:
		return "refund";
	case PAYEV_DISPUTE:
		return "dispute";
	case PAYEV_IGNORED:
		break;
	}
	return "ignored";
}
