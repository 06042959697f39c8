/* The billing system's rows, accounts and invoices, as dunnctl import
 * reads them from CSV and the API from JSON: one validation of every
 * field, and the statements that upsert a staged batch by reference, so
 * both ways in accept exactly the same rows. Pure but for the SQL text. */
#ifndef DUNN_BOOK_H
#define DUNN_BOOK_H

#include <stdint.h>

#define BOOK_ACCOUNT_FIELDS 7
#define BOOK_INVOICE_FIELDS 6

/* Field names in order: the CSV header and the API's member names. */
extern const char *const book_account_cols[BOOK_ACCOUNT_FIELDS + 1];
extern const char *const book_invoice_cols[BOOK_INVOICE_FIELDS + 1];

/* One problem with one field: field is its name from the lists above,
 * msg the reason (it quotes the value where that helps). */
typedef void (*book_err_fn)(void *arg, const char *field, const char *msg);

/* Check account_ref, name, email, phone, locale, timezone, segment in
 * f[0..6], normalising in place: trimmed, email lower-case, phone E.164,
 * an empty locale "en" and an empty time zone "UTC" (so f[4] and f[5]
 * must have room for 4 bytes). The number of problems, each reported. */
int book_account(char **f, book_err_fn err, void *arg);
/* Check invoice_ref, account_ref, amount, currency, due_date, description
 * in f[0..5] the same way (currency upper-cased); the amount in major
 * units as on the bill goes to *minor. The number of problems. */
int book_invoice(char **f, int64_t *minor, book_err_fn err, void *arg);

/* The staging table "stage" (dropped at commit), one row per input row
 * with its line (CSV) or index (API) first, then the fields as checked
 * (accounts: empty email and phone NULL; invoices: amount in minor units,
 * empty description NULL). */
extern const char BOOK_SQL_STAGE_ACCOUNTS[];
extern const char BOOK_SQL_STAGE_INVOICES[];
/* Rows naming a reference twice: last line, ref, first line (50 at most). */
extern const char BOOK_SQL_DUPLICATES[];
/* Invoices of accounts that do not exist: line, account_ref (50 at most). */
extern const char BOOK_SQL_ORPHANS[];
/* The upserts by external_ref from stage. */
extern const char BOOK_SQL_UPSERT_ACCOUNTS[];
extern const char BOOK_SQL_UPSERT_INVOICES[];

#endif
