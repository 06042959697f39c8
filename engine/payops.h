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

/* The statements payops_record runs, in this order in one transaction,
 * for a caller on an asynchronous connection (the API) that makes the
 * same checks between them:
 * INVOICE   $1 invoice external_ref. Zero rows, or one (locked): invoice
 *           id, account id, currency, what is still owed (0 once paid),
 *           paid_at (ISO 8601 UTC or "").
 * SAME_REF  $1 source_id, $2 source: the payment recorded under them, if
 *           any: amount, invoice external_ref.
 * INSERT    $1 invoice id, $2 account id, $3 amount (minor units), $4
 *           currency, $5 at, $6 source_id or NULL, $7 source ("cli",
 *           "console", "api"). The new payment's id, or no row when
 *           (source, source_id) is recorded already.
 * CANCEL    $1 account id, $2 at, $3 invoice id, $4 payment id, $5 who:
 *           "dunnctl", "api" or a staff member's name, $6 the API key's
 *           name (with "api") or NULL. One row: reminders cancelled. */
extern const char PAYOPS_SQL_INVOICE[];
extern const char PAYOPS_SQL_SAME_REF[];
#define PAYOPS_INSERT_NPARAMS 7
extern const char PAYOPS_SQL_INSERT[];
#define PAYOPS_CANCEL_NPARAMS 6
extern const char PAYOPS_SQL_CANCEL[];

/* Runs its own transaction on conn. 0: recorded, or nothing to record
 * (note set); 1: refused (nothing changes), 2: a bad amount; the reason
 * in err (one line). */
int payops_record(PGconn *conn, const struct payops_args *a, struct payops_result *r, char *err,
		  size_t errlen);

#endif
