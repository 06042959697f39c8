/* The billing system's API, /api/v1 on the admin listener only:
 *   api.c        routing, bearer keys, the checks every request passes,
 *                Idempotency-Key, problem answers, the job queue
 *   api_write.c  POST accounts, invoices (bulk upserts through book.c)
 *                and payments (the ledger path of ledger.c)
 *   api_read.c   GET an account's state and its late fee lines
 * Every request that reaches the database is a job on the API's own
 * connection, one job's statements at a time, so a write's transaction
 * (BEGIN, the idempotency claim, its statements, the stored answer,
 * COMMIT) is never interleaved with another's. */
#ifndef DUNN_API_INT_H
#define DUNN_API_INT_H

#include <event2/http.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "apikey.h"
#include "http_int.h"

#define API_MAX_ROWS 1000 /* accounts or invoices per request */
#define API_MAX_ERRORS 50 /* bad fields reported per answer */

struct api_job;

/* What an operation's step function returns. */
enum api_next {
	API_SENT, /* it sent a statement (api_send); called again with its result */
	API_DONE, /* the answer is in j->code and j->body: store it and commit */
	API_FAIL, /* the answer is a refusal: roll back and send it */
};

struct api_op {
	const char *name; /* for the audit trail and logs */
	int write;        /* a transaction with an idempotency claim */
	/* Called first with res NULL, then with each result it asked for. */
	enum api_next (*step)(struct api_job *j, const PGresult *res);
};

struct api_job {
	struct api *a;
	struct api_job *next;
	struct evhttp_request *req; /* NULL once answered on shutdown */
	const struct api_op *op;
	const char *key_name; /* the API key's, from api->keys */
	char idem[256];
	char hash[65];
	char path[256];
	char claim_id[24]; /* the api_requests row this write holds */
	int phase;         /* the framework's: begin, claim, op, store, commit */
	int step;          /* the operation's own */
	json_t *in;        /* the request body (owned) */
	char *rows;        /* staged rows as JSON text (owned) */
	int nrows;
	char account_id[24]; /* for the audit event, "" = none */
	int code;            /* the answer */
	char *body;          /* owned */
	/* payments */
	char inv_id[24], cur[4];
	int64_t owed, amount;
	const char *source_id;
	char source_buf[APIKEY_NAME_MAX + 260];
	char at[32], pay_id[24];
};

/* api.c */
/* Queue sql for j on the API's connection: its result comes back to the
 * op's step. 0, or -1 (not connected). */
int api_send(struct api_job *j, const char *sql, int n, const char *const *params);
/* Set j's answer: a problem (RFC 9457) with title, detail and status;
 * errors an array of {"pointer", "detail"} (taken) or NULL. */
void api_problem(struct api_job *j, int status, const char *title, const char *detail,
		 json_t *errors);
/* Set j's answer: status and o as compact JSON (o taken). */
void api_json(struct api_job *j, int status, json_t *o);
/* Append {"pointer": ptr, "detail": msg} to *errs (created on first use),
 * at most API_MAX_ERRORS of them. */
void api_field_error(json_t **errs, const char *ptr, const char *msg);

/* api_write.c, api_read.c: the operations; parse checks the request body
 * (j->in) before anything reaches the database: 0, or -1 with the answer
 * set (422 with the bad fields' pointers). */
extern const struct api_op api_op_accounts, api_op_invoices, api_op_payment, api_op_account;
extern const struct api_op api_op_account_fees;
int api_parse_accounts(struct api_job *j);
int api_parse_invoices(struct api_job *j);
int api_parse_payment(struct api_job *j);

#endif
