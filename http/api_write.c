/* POST /api/v1/accounts and /api/v1/invoices: 1 to API_MAX_ROWS rows,
 * each checked field by field by book.c exactly as dunnctl import checks
 * a CSV row, staged and upserted by reference with import's statements
 * in one transaction: all rows or none. POST /api/v1/payments: one
 * payment through the statements dunnctl pay runs (payops.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "book.h"
#include "money.h"
#include "owed.h"
#include "payops.h"
#include "tz.h"

static const char SQL_FILL[] =
	"INSERT INTO stage SELECT * FROM json_populate_recordset(NULL::stage, $1::json)";

/* "~" and "/" escaped as a JSON Pointer token (RFC 6901). */
static void pointer(char *out, size_t size, const char *member, long index, const char *field)
{
	size_t n = 0;

	n += (size_t)snprintf(out, size, "/");
	for (const char *p = member; *p && n + 3 < size; p++) {
		if (*p == '~' || *p == '/') {
			out[n++] = '~';
			out[n++] = *p == '~' ? '0' : '1';
		} else
			out[n++] = *p;
	}
	out[n] = '\0';
	if (index >= 0)
		snprintf(out + n, size - n, "/%ld%s%s", index, field ? "/" : "",
			 field ? field : "");
}

struct row_errs {
	json_t **errs;
	const char *member;
	long index;
};

static void on_bad_field(void *arg, const char *field, const char *msg)
{
	struct row_errs *r = arg;
	char ptr[128];

	pointer(ptr, sizeof ptr, r->member, r->index, field);
	api_field_error(r->errs, ptr, msg);
}

/* Only the members named in cols; every present one a string (or null:
 * empty). Copies with room for book.c's defaults into f. */
static int row_fields(json_t *row, const char *member, long index, const char *const *cols,
		      int ncols, int amount_col, char **f, json_t **errs)
{
	const char *k;
	json_t *v;
	char ptr[128], msg[160];
	int bad = 0;

	json_object_foreach(row, k, v)
	{
		int known = 0;
		for (int c = 0; c < ncols; c++)
			known |= !strcmp(k, cols[c]);
		if (!known) {
			pointer(ptr, sizeof ptr, member, index, NULL);
			snprintf(msg, sizeof msg, "unknown member '%.60s'", k);
			api_field_error(errs, ptr, msg);
			bad++;
		}
	}
	for (int c = 0; c < ncols; c++) {
		const char *s = "";
		char num[32];
		v = json_object_get(row, cols[c]);
		if (json_is_string(v))
			s = json_string_value(v);
		else if (c == amount_col && json_is_integer(v)) {
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			s = num;
		} else if (v && !json_is_null(v)) {
			pointer(ptr, sizeof ptr, member, index, cols[c]);
			api_field_error(
				errs, ptr,
				c == amount_col
					? "must be a string in major units as on the bill, e.g. \"49.90\""
					: "must be a string");
			bad++;
		}
		size_t n = strlen(s);
		f[c] = malloc(n + 5);
		if (!f[c])
			return -1;
		memcpy(f[c], s, n + 1);
	}
	return bad;
}

static json_t *nullable(const char *s)
{
	return *s ? json_string(s) : json_null();
}

/* The rows in j->in's member, checked into j->rows (the staging table's
 * rows as JSON); 0, or -1 with a 422 answer naming each bad field. */
static int parse_rows(struct api_job *j, const char *member, int accounts)
{
	const char *const *cols = accounts ? book_account_cols : book_invoice_cols;
	int ncols = accounts ? BOOK_ACCOUNT_FIELDS : BOOK_INVOICE_FIELDS;
	json_t *rows = json_object_get(j->in, member), *errs = NULL, *out = json_array(), *v;
	const char *k;
	char ptr[128], msg[160];
	int bad = 0;

	json_object_foreach(j->in, k, v)
	{
		if (strcmp(k, member) != 0) {
			pointer(ptr, sizeof ptr, k, -1, NULL);
			snprintf(msg, sizeof msg, "unknown member; the body is {\"%s\": [...]}",
				 member);
			api_field_error(&errs, ptr, msg);
			bad++;
		}
	}
	pointer(ptr, sizeof ptr, member, -1, NULL);
	if (!json_is_array(rows) || json_array_size(rows) == 0 ||
	    json_array_size(rows) > API_MAX_ROWS) {
		snprintf(msg, sizeof msg, "an array of 1 to %d %s is required", API_MAX_ROWS,
			 member);
		api_field_error(&errs, ptr, msg);
		bad++;
		rows = NULL;
	}
	for (size_t i = 0; rows && out && i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		struct row_errs re = {&errs, member, (long)i};
		char *f[BOOK_ACCOUNT_FIELDS] = {NULL};
		int64_t minor = 0;
		int rb;

		if (!json_is_object(row)) {
			pointer(ptr, sizeof ptr, member, (long)i, NULL);
			api_field_error(&errs, ptr, "must be an object");
			bad++;
			continue;
		}
		rb = row_fields(row, member, (long)i, cols, ncols, accounts ? -1 : 2, f, &errs);
		if (rb >= 0)
			rb += accounts ? book_account(f, on_bad_field, &re)
				       : book_invoice(f, &minor, on_bad_field, &re);
		if (rb == 0 && !bad) {
			json_t *o = accounts
				? json_pack("{si ss ss so so ss ss ss}", "line", (int)i, "ref",
					    f[0], "name", f[1], "email", nullable(f[2]), "phone",
					    nullable(f[3]), "locale", f[4], "timezone", f[5],
					    "segment", f[6])
				: json_pack("{si ss ss sI ss ss so}", "line", (int)i, "ref", f[0],
					    "account_ref", f[1], "amount", (json_int_t)minor,
					    "currency", f[3], "due_date", f[4], "description",
					    nullable(f[5]));
			if (!o || json_array_append_new(out, o) != 0)
				rb = -1;
		}
		for (int c = 0; c < ncols; c++)
			free(f[c]);
		if (rb < 0) {
			json_decref(errs);
			json_decref(out);
			api_problem(j, 500, "Internal Server Error", "out of memory", NULL);
			return -1;
		}
		bad += rb;
	}
	if (bad || !out) {
		json_decref(out);
		api_problem(j, bad ? 422 : 500,
			    bad ? "Unprocessable Content" : "Internal Server Error",
			    bad ? "nothing was changed: fix the fields named in errors"
				: "out of memory",
			    errs);
		return -1;
	}
	json_decref(errs);
	j->nrows = (int)json_array_size(out);
	j->rows = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (!j->rows) {
		api_problem(j, 500, "Internal Server Error", "out of memory", NULL);
		return -1;
	}
	return 0;
}

int api_parse_accounts(struct api_job *j)
{
	return parse_rows(j, "accounts", 1);
}

int api_parse_invoices(struct api_job *j)
{
	return parse_rows(j, "invoices", 0);
}

/* Rows of "line, ref[, other line]" from the staged checks as errors. */
static enum api_next staged_errors(struct api_job *j, const PGresult *res, const char *member,
				   const char *field, const char *what)
{
	json_t *errs = NULL;
	char ptr[128], msg[400];

	for (int r = 0; r < PQntuples(res); r++) {
		pointer(ptr, sizeof ptr, member, atol(PQgetvalue(res, r, 0)), field);
		if (PQnfields(res) > 2)
			snprintf(msg, sizeof msg, "duplicate %s '%.200s' (first at /%s/%s)", what,
				 PQgetvalue(res, r, 1), member, PQgetvalue(res, r, 2));
		else
			snprintf(msg, sizeof msg, "%s '%.200s' does not exist", what,
				 PQgetvalue(res, r, 1));
		api_field_error(&errs, ptr, msg);
	}
	api_problem(j, 422, "Unprocessable Content",
		    "nothing was changed: fix the fields named in errors", errs);
	return API_FAIL;
}

/* Stage, check duplicates (and, for invoices, that every account
 * exists), upsert: import's statements, in the claim's transaction. */
static enum api_next upsert_step(struct api_job *j, const PGresult *res)
{
	int accounts = j->op == &api_op_accounts;
	const char *member = accounts ? "accounts" : "invoices";
	const char *ref = accounts ? "account_ref" : "invoice_ref";
	const char *p[1] = {j->rows};
	int rc = 0;

	switch (j->step++) {
	case 0:
		rc = api_send(j, accounts ? BOOK_SQL_STAGE_ACCOUNTS : BOOK_SQL_STAGE_INVOICES, 0,
			      NULL);
		break;
	case 1:
		rc = api_send(j, SQL_FILL, 1, p);
		break;
	case 2:
		/* As import does: a temp table has no statistics, and without
		 * them the checks and the upsert may pick nested loops. */
		rc = api_send(j, "ANALYZE stage", 0, NULL);
		break;
	case 3:
		rc = api_send(j, BOOK_SQL_DUPLICATES, 0, NULL);
		break;
	case 4:
		if (PQntuples(res))
			return staged_errors(j, res, member, ref, ref);
		if (!accounts) {
			rc = api_send(j, BOOK_SQL_ORPHANS, 0, NULL);
			break;
		}
		j->step++;
		/* fall through */
	case 5:
		if (!accounts && PQntuples(res))
			return staged_errors(j, res, member, "account_ref", "account_ref");
		rc = api_send(j, accounts ? BOOK_SQL_UPSERT_ACCOUNTS : BOOK_SQL_UPSERT_INVOICES, 0,
			      NULL);
		break;
	default:
		api_json(j, 200, json_pack("{si}", "upserted", atoi(PQcmdTuples((PGresult *)res))));
		return API_DONE;
	}
	if (rc != 0) {
		api_problem(j, 503, "Service Unavailable", "the database is unavailable", NULL);
		return API_FAIL;
	}
	return API_SENT;
}

const struct api_op api_op_accounts = {"accounts", 1, upsert_step};
const struct api_op api_op_invoices = {"invoices", 1, upsert_step};

/* A payment: {"invoice_ref", "amount"?, "currency"?, "payment_ref"?, "at"?}. */
int api_parse_payment(struct api_job *j)
{
	static const char *const names[] = {"invoice_ref", "amount", "currency", "payment_ref",
					    "at"};
	json_t *errs = NULL, *v;
	const char *k;
	char msg[160], ptr[80];
	int64_t at = (int64_t)time(NULL);
	int bad = 0;

	json_object_foreach(j->in, k, v)
	{
		int known = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			known |= !strcmp(k, names[i]);
		pointer(ptr, sizeof ptr, k, -1, NULL);
		if (!known) {
			api_field_error(&errs, ptr, "unknown member");
			bad++;
		} else if (!strcmp(k, "amount") ? !json_is_string(v) && !json_is_integer(v)
						: !json_is_string(v)) {
			api_field_error(&errs, ptr,
					!strcmp(k, "amount")
						? "must be a string in major units, e.g. \"49.90\""
						: "must be a string");
			bad++;
		}
	}
	const char *ref = json_string_value(json_object_get(j->in, "invoice_ref"));
	const char *pref = json_string_value(json_object_get(j->in, "payment_ref"));
	const char *at_s = json_string_value(json_object_get(j->in, "at"));
	const char *cur = json_string_value(json_object_get(j->in, "currency"));
	if (!ref || !*ref || strlen(ref) > 200) {
		api_field_error(&errs, "/invoice_ref",
				"an invoice_ref of 1 to 200 bytes is required");
		bad++;
	}
	if (pref && (!*pref || strlen(pref) > 200)) {
		api_field_error(&errs, "/payment_ref", "1 to 200 bytes");
		bad++;
	}
	for (const char *const *s = (const char *const[]){ref, pref, NULL}; *s; s++)
		for (const unsigned char *c = (const unsigned char *)*s; *c; c++)
			if (*c < 0x20 || *c == 0x7F) {
				api_field_error(&errs, *s == ref ? "/invoice_ref" : "/payment_ref",
						"holds a control character");
				bad++;
				break;
			}
	if (cur && money_exponent(cur) < 0) {
		snprintf(msg, sizeof msg, "unknown currency '%.8s'", cur);
		api_field_error(&errs, "/currency", msg);
		bad++;
	}
	if (at_s && tz_parse_iso8601(at_s, &at) != 0) {
		api_field_error(&errs, "/at",
				"must be an ISO 8601 instant, e.g. 2026-11-23T09:00:00Z");
		bad++;
	}
	if (bad) {
		api_problem(j, 422, "Unprocessable Content", "nothing was recorded", errs);
		return -1;
	}
	tz_format_iso8601(at, j->at, sizeof j->at);
	j->nrows = 1;
	if (pref) {
		j->source_id = json_string_value(json_object_get(j->in, "payment_ref"));
	} else {
		/* No reference of its own: the request's key makes one, so even a
		 * retry after the idempotency record expired counts once. */
		snprintf(j->source_buf, sizeof j->source_buf, "%s:%s", j->key_name, j->idem);
		j->source_id = j->source_buf;
	}
	return 0;
}

static enum api_next pay_refused(struct api_job *j, int status, const char *ptr, const char *msg)
{
	json_t *errs = NULL;

	if (ptr)
		api_field_error(&errs, ptr, msg);
	api_problem(j, status, status == 409 ? "Conflict" : "Unprocessable Content",
		    ptr ? "nothing was recorded" : msg, errs);
	return API_FAIL;
}

static json_t *money(int64_t minor, const char *cur)
{
	char s[48];

	if (money_plain(minor, cur, s, sizeof s) < 0)
		snprintf(s, sizeof s, "%" PRId64, minor);
	return json_string(s);
}

static enum api_next pay_answer(struct api_job *j, int status, int64_t amount, int64_t owed,
				long cancelled, const char *note)
{
	json_t *o = json_pack("{ss ss so so sb si ss}", "invoice_ref",
			      json_string_value(json_object_get(j->in, "invoice_ref")), "currency",
			      j->cur, "amount", money(amount, j->cur), "owed", money(owed, j->cur),
			      "settled", owed == 0, "cancelled", (int)cancelled, "at", j->at);

	if (o && j->pay_id[0])
		json_object_set_new(o, "payment_id", json_string(j->pay_id));
	if (o && note)
		json_object_set_new(o, "note", json_string(note));
	api_json(j, status, o);
	return API_DONE;
}

enum { PAY_INVOICE, PAY_SAME_REF, PAY_INSERT, PAY_CANCEL, PAY_DONE };

static enum api_next pay_step(struct api_job *j, const PGresult *res)
{
	const char *ref = json_string_value(json_object_get(j->in, "invoice_ref"));
	json_t *amount_v = json_object_get(j->in, "amount");
	const char *want_cur = json_string_value(json_object_get(j->in, "currency"));
	char msg[MONEY_ERR_MAX + 200], amt[32];
	const char *p[PAYOPS_INSERT_NPARAMS];
	int rc;

	switch (j->step) {
	case PAY_INVOICE:
		p[0] = ref;
		j->step = PAY_SAME_REF;
		rc = api_send(j, PAYOPS_SQL_INVOICE, 1, p);
		break;
	case PAY_SAME_REF:
		if (PQntuples(res) == 0) {
			snprintf(msg, sizeof msg, "no invoice with reference '%.200s'", ref);
			return pay_refused(j, 422, "/invoice_ref", msg);
		}
		snprintf(j->inv_id, sizeof j->inv_id, "%s", PQgetvalue(res, 0, 0));
		snprintf(j->account_id, sizeof j->account_id, "%s", PQgetvalue(res, 0, 1));
		snprintf(j->cur, sizeof j->cur, "%s", PQgetvalue(res, 0, 2));
		j->owed = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		if (want_cur && strcmp(want_cur, j->cur) != 0) {
			snprintf(msg, sizeof msg, "invoice '%.200s' is in %s, not %s", ref, j->cur,
				 want_cur);
			return pay_refused(j, 422, "/currency", msg);
		}
		if (amount_v) {
			char num[32], err[MONEY_ERR_MAX];
			const char *s = json_string_value(amount_v);
			if (!s) {
				snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
					 json_integer_value(amount_v));
				s = num;
			}
			if (money_parse(s, j->cur, &j->amount, err, sizeof err) != 0) {
				snprintf(msg, sizeof msg, "amount: %s", err);
				return pay_refused(j, 422, "/amount", msg);
			}
			if (j->amount > OWED_MAX_AMOUNT || j->amount == 0)
				return pay_refused(j, 422, "/amount",
						   j->amount ? "more than the largest accepted"
							     : "a payment is more than 0");
		}
		p[0] = j->source_id;
		p[1] = "api";
		j->step = PAY_INSERT;
		rc = api_send(j, PAYOPS_SQL_SAME_REF, 2, p);
		break;
	case PAY_INSERT:
		if (PQntuples(res) == 1) { /* this payment's reference is recorded already */
			int64_t was = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			if (strcmp(PQgetvalue(res, 0, 1), ref) != 0 ||
			    (amount_v && was != j->amount))
				return pay_refused(
					j, 409, NULL,
					"this payment_ref was recorded for another payment");
			return pay_answer(j, 200, was, j->owed, 0,
					  "already recorded with this payment_ref; counted once");
		}
		if (!amount_v) {
			if (j->owed == 0)
				return pay_refused(j, 422, "/invoice_ref",
						   "nothing is owed on this invoice");
			j->amount = j->owed;
		}
		if (j->amount > j->owed) {
			char a[48], o[48];
			money_plain(j->amount, j->cur, a, sizeof a);
			money_plain(j->owed, j->cur, o, sizeof o);
			snprintf(msg, sizeof msg, "%s %s is more than the %s %s owed", a, j->cur, o,
				 j->cur);
			return pay_refused(j, 422, "/amount", msg);
		}
		snprintf(amt, sizeof amt, "%" PRId64, j->amount);
		p[0] = j->inv_id;
		p[1] = j->account_id;
		p[2] = amt;
		p[3] = j->cur;
		p[4] = j->at;
		p[5] = j->source_id;
		p[6] = "api";
		j->step = PAY_CANCEL;
		rc = api_send(j, PAYOPS_SQL_INSERT, PAYOPS_INSERT_NPARAMS, p);
		break;
	case PAY_CANCEL:
		if (PQntuples(res) == 0) /* recorded meanwhile under the same reference */
			return pay_answer(j, 200, j->amount, j->owed, 0,
					  "already recorded with this payment_ref; counted once");
		snprintf(j->pay_id, sizeof j->pay_id, "%s", PQgetvalue(res, 0, 0));
		{
			const char *c[PAYOPS_CANCEL_NPARAMS] = {j->account_id, j->at, j->inv_id,
								j->pay_id,     "api", j->key_name};
			j->step = PAY_DONE;
			rc = api_send(j, PAYOPS_SQL_CANCEL, PAYOPS_CANCEL_NPARAMS, c);
		}
		break;
	default:
		return pay_answer(j, 201, j->amount, j->owed - j->amount,
				  atol(PQgetvalue(res, 0, 0)), NULL);
	}
	if (rc != 0) {
		api_problem(j, 503, "Service Unavailable", "the database is unavailable", NULL);
		return API_FAIL;
	}
	return API_SENT;
}

const struct api_op api_op_payment = {"payment", 1, pay_step};
