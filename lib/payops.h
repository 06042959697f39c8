/* Recording a payment by hand (dunnctl pay, the console's case page): one
 * copy of the checks and statements. The ledger's trigger keeps the
 * invoice's amount_paid and paid_at; queued reminders are cancelled in the
 * same transaction once nothing is overdue; the daemon resolves the case
 * and confirms on its next poll. */
#ifndef DUNN_PAYOPS_H
#define DUNN_PAYOPS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct payops_args {
	const char *invoice_ref;
	const char *amount;   /* major units as on the bill; NULL: the rest */
	const char *currency; /* must be the invoice's when given, or NULL */
	const char *ref;      /* the payment's own id (counted once), or NULL */
	const char *source;   /* dunning.payments.source: "cli", "console" */
	const char *actor;    /* the audit event's source: "dunnctl", or a staff name */
	int64_t at;
};

struct payops_result {
	char currency[4];
	int64_t amount, owed_after;
	char payment_id[24]; /* "" when nothing was recorded */
	long cancelled;      /* queued reminders cancelled */
	char note[128];      /* why nothing was recorded although all is well, or "" */
};

/* Runs its own transaction on conn. 0: recorded, or nothing to record
 * (note set); 1: refused (nothing changes), 2: a bad amount; the reason
 * in err (one line). */
int payops_record(PGconn *conn, const struct payops_args *a, struct payops_result *r, char *err,
		  size_t errlen);

#endif
