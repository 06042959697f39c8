/* /api/v1: routing, bearer keys, the checks every request passes before
 * anything is read into the database, Idempotency-Key, RFC 9457 problem
 * answers, and the queue of jobs on the API's own connection (see
 * api_int.h). The order of the checks is the order of the answers a
 * client can get: 404/405, 401, 415, 413, 400 (no Idempotency-Key, not
 * JSON), 422 (bad fields); none of them changes anything. */
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "log.h"

#define PURGE_EVERY_S 600 /* expired idempotency records removed this often */

/* The OpenAPI document, api/openapi.json built into the binary. */
extern const char api_openapi[];
extern const size_t api_openapi_len;

struct api {
	struct http *h;
	struct apikeys keys;
	struct pgq *db;
	struct api_job *head, *tail; /* head: the job whose statements run */
	struct event *ev_purge;
	int purge_queued;
};

enum phase { P_BEGIN, P_CLAIM, P_REPLAY, P_OP, P_STORE, P_COMMIT, P_END };

/* The key is claimed for this request, or (no row) was claimed before:
 * an expired record is claimed afresh. A second request under the same
 * key waits here on the unique index until the first commits. */
static const char SQL_CLAIM[] =
	"INSERT INTO dunning.api_requests AS r (key_name, idem_key, request_hash, method, path,\n"
	"                                       expires_at)\n"
	"VALUES ($1, $2, $3, 'POST', $4, now() + make_interval(secs => $5::int))\n"
	"ON CONFLICT (key_name, idem_key) DO UPDATE SET request_hash = EXCLUDED.request_hash,\n"
	"  method = EXCLUDED.method, path = EXCLUDED.path, status = NULL, body = NULL,\n"
	"  created_at = now(), expires_at = EXCLUDED.expires_at\n"
	"WHERE r.expires_at <= now()\n"
	"RETURNING id";
static const char SQL_STORED[] = "SELECT request_hash, status, body FROM dunning.api_requests\n"
				 "WHERE key_name = $1 AND idem_key = $2";
/* The answer kept for a replay, and the write in the audit trail under
 * the key's name. */
static const char SQL_STORE[] =
	"WITH s AS (UPDATE dunning.api_requests SET status = $2::int, body = $3 WHERE id = $1::bigint)\n"
	"INSERT INTO dunning.events (kind, account_id, detail)\n"
	"VALUES ('api_write', $4::bigint,\n"
	"        jsonb_build_object('api_key', $5::text, 'op', $6::text, 'path', $7::text,\n"
	"                           'idempotency_key', $8::text, 'rows', $9::int,\n"
	"                           'status', $2::int))";
static const char SQL_PURGE[] = "DELETE FROM dunning.api_requests WHERE expires_at <= now()";

static void reply(struct evhttp_request *req, int code, const char *ctype, const char *body,
		  size_t len)
{
	http_reply(req, NULL, code, ctype, body, len);
}

/* An answer that never reaches a job: a refusal at the door. */
static void refuse(struct evhttp_request *req, int status, const char *title, const char *detail)
{
	json_t *o = json_pack("{ss ss si ss*}", "type", "about:blank", "title", title, "status",
			      status, "detail", detail);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	reply(req, body ? status : 500, "application/problem+json", body ? body : "",
	      body ? strlen(body) : 0);
	free(body);
}

void api_problem(struct api_job *j, int status, const char *title, const char *detail,
		 json_t *errors)
{
	json_t *o = json_pack("{ss ss si ss*}", "type", "about:blank", "title", title, "status",
			      status, "detail", detail);

	if (o && errors)
		json_object_set(o, "errors", errors);
	json_decref(errors);
	free(j->body);
	j->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	j->code = status;
	json_decref(o);
}

void api_json(struct api_job *j, int status, json_t *o)
{
	free(j->body);
	j->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	j->code = j->body ? status : 500;
	json_decref(o);
}

void api_field_error(json_t **errs, const char *ptr, const char *msg)
{
	if (!*errs)
		*errs = json_array();
	if (*errs && json_array_size(*errs) < API_MAX_ERRORS)
		json_array_append_new(*errs, json_pack("{ss ss}", "pointer", ptr, "detail", msg));
}

static void job_answer(struct api_job *j, int replayed)
{
	struct evhttp_request *req = j->req;
	int problem = j->code >= 400;

	j->req = NULL;
	if (!req)
		return;
	if (!j->body) {
		refuse(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	if (replayed)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Idempotent-Replayed",
				  "true");
	reply(req, j->code, problem ? "application/problem+json" : "application/json", j->body,
	      strlen(j->body));
}

static void job_free(struct api_job *j)
{
	json_decref(j->in);
	free(j->rows);
	free(j->body);
	free(j);
}

static void kick(struct api *a);

/* The head job is finished: answer it, free it, start the next. */
static void job_done(struct api_job *j, int replayed)
{
	struct api *a = j->a;

	job_answer(j, replayed);
	a->head = j->next;
	if (!a->head)
		a->tail = NULL;
	job_free(j);
	kick(a);
}

static void job_cb(const PGresult *res, void *arg);

static int send_raw(struct api_job *j, const char *sql, int n, const char *const *params)
{
	return pgq_send(j->a->db, sql, n, params, job_cb, j);
}

int api_send(struct api_job *j, const char *sql, int n, const char *const *params)
{
	return send_raw(j, sql, n, params);
}

/* Roll back (when a transaction may be open) and answer what j holds. */
static void job_end(struct api_job *j)
{
	if (j->op->write && j->phase != P_BEGIN && send_raw(j, "ROLLBACK", 0, NULL) == 0) {
		j->phase = P_END;
		return;
	}
	job_done(j, 0);
}

static void db_failed(struct api_job *j, const PGresult *res)
{
	const char *e = pgq_error(j->a->db, res);

	log_err("api", "event=api_db_failed op=%s error=\"%.*s\"", j->op->name,
		(int)strcspn(e, "\n"), e);
	api_problem(j, res ? 500 : 503, res ? "Internal Server Error" : "Service Unavailable",
		    "the database refused or lost the request; nothing was changed", NULL);
	if (!res) { /* the connection is gone, and its transaction with it */
		job_done(j, 0);
		return;
	}
	job_end(j);
}

static void run_op(struct api_job *j, const PGresult *res)
{
	enum api_next n = j->op->step(j, res);
	char code[8], rows[16];

	if (n == API_SENT)
		return;
	if (n == API_FAIL || !j->op->write) {
		job_end(j);
		return;
	}
	snprintf(code, sizeof code, "%d", j->code);
	snprintf(rows, sizeof rows, "%d", j->nrows);
	const char *p[9] = {
		j->claim_id, code,        j->body, j->account_id[0] ? j->account_id : NULL,
		j->key_name, j->op->name, j->path, j->idem,
		rows};
	j->phase = P_STORE;
	if (!j->body || send_raw(j, SQL_STORE, 9, p) != 0) {
		api_problem(j, 503, "Service Unavailable", "the database is unavailable", NULL);
		job_end(j);
	}
}

static void job_cb(const PGresult *res, void *arg)
{
	struct api_job *j = arg;
	const char *p[5];
	char ttl[16];

	if (j->phase == P_END) { /* the rollback's result */
		job_done(j, 0);
		return;
	}
	if (!pgq_ok(res)) { /* every input was checked: a refusal here is ours */
		db_failed(j, res);
		return;
	}
	switch (j->phase) {
	case P_BEGIN:
		snprintf(ttl, sizeof ttl, "%d", j->a->h->d->cfg->api_idempotency_ttl_s);
		p[0] = j->key_name;
		p[1] = j->idem;
		p[2] = j->hash;
		p[3] = j->path;
		p[4] = ttl;
		j->phase = P_CLAIM;
		if (send_raw(j, SQL_CLAIM, 5, p) != 0)
			db_failed(j, NULL);
		return;
	case P_CLAIM:
		if (PQntuples(res) == 1) {
			snprintf(j->claim_id, sizeof j->claim_id, "%s", PQgetvalue(res, 0, 0));
			j->phase = P_OP;
			run_op(j, NULL);
			return;
		}
		p[0] = j->key_name;
		p[1] = j->idem;
		j->phase = P_REPLAY;
		if (send_raw(j, SQL_STORED, 2, p) != 0)
			db_failed(j, NULL);
		return;
	case P_REPLAY:
		if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1)) {
			api_problem(j, 409, "Conflict",
				    "a request with this Idempotency-Key is still being processed",
				    NULL);
		} else if (strcmp(PQgetvalue(res, 0, 0), j->hash) != 0) {
			api_problem(j, 422, "Unprocessable Content",
				    "this Idempotency-Key was used for a different request", NULL);
		} else {
			free(j->body);
			j->body = strdup(PQgetvalue(res, 0, 2));
			j->code = atoi(PQgetvalue(res, 0, 1));
			log_info("api", "event=api_replayed op=%s key=%s", j->op->name,
				 j->key_name);
			if (send_raw(j, "ROLLBACK", 0, NULL) == 0) {
				j->phase = P_COMMIT; /* answered as a replay when it returns */
				j->step = -1;
				return;
			}
			job_done(j, 1);
			return;
		}
		job_end(j);
		return;
	case P_OP:
		run_op(j, res);
		return;
	case P_STORE:
		j->phase = P_COMMIT;
		if (send_raw(j, "COMMIT", 0, NULL) != 0)
			db_failed(j, NULL);
		return;
	case P_COMMIT:
		if (j->step != -1)
			log_info("api", "event=api_write op=%s key=%s rows=%d code=%d", j->op->name,
				 j->key_name, j->nrows, j->code);
		job_done(j, j->step == -1);
		return;
	case P_END:
		break;
	}
}

/* Start the head job; one that cannot start is answered and the next
 * tried, in a loop rather than by recursion. */
static void kick(struct api *a)
{
	struct api_job *j = a->head;

	if (!j)
		return;
	if (!pgq_connected(a->db)) {
		api_problem(j, 503, "Service Unavailable", "the database is unavailable", NULL);
		job_answer(j, 0);
		a->head = j->next;
		if (!a->head)
			a->tail = NULL;
		job_free(j);
		kick(a); /* each step frees a job: bounded by the queue */
		return;
	}
	if (j->op->write) {
		j->phase = P_BEGIN;
		if (send_raw(j, "BEGIN", 0, NULL) != 0)
			db_failed(j, NULL);
		return;
	}
	j->phase = P_OP;
	run_op(j, NULL);
}

static void enqueue(struct api *a, struct api_job *j)
{
	j->a = a;
	if (a->tail)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	if (a->head == j)
		kick(a);
}

static enum api_next purge_step(struct api_job *j, const PGresult *res)
{
	if (res) {
		j->a->purge_queued = 0;
		if (pgq_ok(res) && atol(PQcmdTuples((PGresult *)res)) > 0)
			log_info("api", "event=idempotency_purged rows=%s",
				 PQcmdTuples((PGresult *)res));
		api_json(j, 200, json_object());
		return API_DONE;
	}
	if (api_send(j, SQL_PURGE, 0, NULL) != 0) {
		j->a->purge_queued = 0;
		api_json(j, 200, json_object());
		return API_DONE;
	}
	return API_SENT;
}

static const struct api_op op_purge = {"purge", 0, purge_step};

static void on_purge(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	struct api_job *j;

	(void)fd;
	(void)what;
	if (a->purge_queued || !pgq_connected(a->db) || !(j = calloc(1, sizeof *j)))
		return;
	a->purge_queued = 1;
	j->op = &op_purge;
	enqueue(a, j);
}

/* "Bearer <token>": the key's name, or NULL. */
static const char *bearer(const struct api *a, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	h += strspn(h, " ");
	return apikey_match(&a->keys, h, strcspn(h, " \t"));
}

/* application/json, with parameters or none. */
static int is_json_type(const char *ct)
{
	size_t n;

	if (!ct)
		return 0;
	ct += strspn(ct, " ");
	n = strcspn(ct, " ;");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* 1 to 255 visible ASCII characters. */
static int valid_idem(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E)
			return 0;
	return 1;
}

static int hash_request(const char *path, const char *body, size_t len, char out[65])
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned hl = 0;

	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		EVP_DigestUpdate(c, "POST\n", 5) && EVP_DigestUpdate(c, path, strlen(path)) &&
		EVP_DigestUpdate(c, "\n", 1) && EVP_DigestUpdate(c, body, len) &&
		EVP_DigestFinal_ex(c, h, &hl) && hl == SHA256_DIGEST_LENGTH;

	EVP_MD_CTX_free(c);
	for (int i = 0; ok && i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return ok ? 0 : -1;
}

static void method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	refuse(req, 405, "Method Not Allowed", NULL);
}

/* A POST: the door's checks, the body parsed and checked, then queued. */
static void post(struct api *a, struct evhttp_request *req, const char *key, const char *path,
		 const struct api_op *op, int (*parse)(struct api_job *))
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *idem = evhttp_find_header(ih, "Idempotency-Key");
	struct api_job *j;
	json_error_t je;
	char detail[256];
	unsigned char *body;

	if (!is_json_type(evhttp_find_header(ih, "Content-Type"))) {
		refuse(req, 415, "Unsupported Media Type", "the body must be application/json");
		return;
	}
	if ((long long)len > a->h->d->cfg->api_max_body) {
		snprintf(detail, sizeof detail, "the body is over api.max_body (%d bytes)",
			 a->h->d->cfg->api_max_body);
		refuse(req, 413, "Content Too Large", detail);
		return;
	}
	if (!valid_idem(idem)) {
		refuse(req, 400, "Bad Request",
		       "an Idempotency-Key header of 1 to 255 visible ASCII characters is required");
		return;
	}
	j = calloc(1, sizeof *j);
	body = evbuffer_pullup(in, -1);
	if (!j || (len && !body)) {
		free(j);
		refuse(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	j->in = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j->in || !json_is_object(j->in)) {
		if (j->in)
			snprintf(detail, sizeof detail, "the body must be a JSON object");
		else
			snprintf(detail, sizeof detail, "not JSON: %s at line %d, column %d",
				 je.text, je.line, je.column);
		job_free(j);
		refuse(req, 400, "Bad Request", detail);
		return;
	}
	j->req = req;
	j->op = op;
	j->key_name = key;
	snprintf(j->idem, sizeof j->idem, "%s", idem);
	snprintf(j->path, sizeof j->path, "%s", path);
	if (hash_request(path, (const char *)body, len, j->hash) != 0) {
		job_free(j);
		refuse(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	if (parse(j) != 0) {
		job_answer(j, 0);
		job_free(j);
		return;
	}
	enqueue(a, j);
}

/* %-escapes of a path segment decoded; NULL when it holds a NUL, a
 * slash or a control character, or is empty. Caller frees. */
static char *segment(const char *s)
{
	char *out = evhttp_uridecode(s, 0, NULL);

	if (!out || !*out || strchr(out, '/')) {
		free(out);
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7F) {
			free(out);
			return NULL;
		}
	return out;
}

void api_route(struct http *h, struct evhttp_request *req, const char *path)
{
	struct api *a = h->api;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *key;

	if (!strcmp(path, "/api/v1/openapi.json")) {
		if (!(cmd & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))) {
			method_not_allowed(req, "GET, HEAD");
			return;
		}
		reply(req, 200, "application/json", api_openapi, api_openapi_len);
		return;
	}
	if (!a || strncmp(path, "/api/v1/", 8) != 0) {
		refuse(req, 404, "Not Found", a ? NULL : "the API is off: no api.keys_file");
		return;
	}
	int accounts = !strcmp(path, "/api/v1/accounts"),
	    invoices = !strcmp(path, "/api/v1/invoices");
	int payments = !strcmp(path, "/api/v1/payments");
	int one = !strncmp(path, "/api/v1/accounts/", 17) && path[17];
	if (!accounts && !invoices && !payments && !one) {
		refuse(req, 404, "Not Found", NULL);
		return;
	}
	if (one ? !(cmd & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)) : cmd != EVHTTP_REQ_POST) {
		method_not_allowed(req, one ? "GET, HEAD" : "POST");
		return;
	}
	key = bearer(a, req);
	if (!key) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer realm=\"dunnd\"");
		if (http_refused_log_ok())
			log_warn("api", "event=api_unauthorized path=\"%.64s\"", path);
		refuse(req, 401, "Unauthorized",
		       "a valid API key is required: Authorization: Bearer KEY");
		return;
	}
	if (one) {
		/* /api/v1/accounts/{ref}/fees: the ref is the segment before. */
		size_t rl = strlen(path + 17);
		int fees = rl > 5 && !strcmp(path + 17 + rl - 5, "/fees");
		char *raw = strndup(path + 17, fees ? rl - 5 : rl);
		char *ref = raw ? segment(raw) : NULL;
		free(raw);
		struct api_job *j = ref ? calloc(1, sizeof *j) : NULL;
		if (!j) {
			free(ref);
			refuse(req, 404, "Not Found", NULL);
			return;
		}
		j->in = json_string(ref);
		free(ref);
		j->req = req;
		j->op = fees ? &api_op_account_fees : &api_op_account;
		j->key_name = key;
		snprintf(j->path, sizeof j->path, "%s", path);
		enqueue(a, j);
		return;
	}
	if (accounts)
		post(a, req, key, path, &api_op_accounts, api_parse_accounts);
	else if (invoices)
		post(a, req, key, path, &api_op_invoices, api_parse_invoices);
	else
		post(a, req, key, path, &api_op_payment, api_parse_payment);
}

int api_start(struct http *h, char *err, size_t errlen)
{
	const struct config *c = h->d->cfg;
	struct timeval tv = {PURGE_EVERY_S, 0};
	char why[512], *text;
	struct api *a;

	if (!c->api_keys_file)
		return 0;
	a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->h = h;
	text = config_read_secret(c->dir, c->api_keys_file, why, sizeof why);
	if (!text || apikey_parse(text, &a->keys, why, sizeof why) != 0) {
		snprintf(err, errlen, "api.keys_file: %s%s%s", text ? c->api_keys_file : "",
			 text ? ": " : "", why);
		free(text);
		free(a);
		return -1;
	}
	free(text);
	a->db = pgq_new(h->d->base, c->conninfo);
	a->ev_purge = event_new(h->d->base, -1, EV_PERSIST, on_purge, a);
	if (!a->db || !a->ev_purge) {
		snprintf(err, errlen, "out of memory");
		pgq_free(a->db);
		if (a->ev_purge)
			event_free(a->ev_purge);
		free(a);
		return -1;
	}
	pgq_start(a->db);
	event_add(a->ev_purge, &tv);
	h->api = a;
	log_notice("api", "event=api_ready keys=%zu", a->keys.n);
	return 0;
}

void api_stop(struct http *h)
{
	struct api *a = h->api;

	if (!a)
		return;
	h->api = NULL;
	for (struct api_job *j = a->head; j; j = j->next)
		if (j->req) {
			api_problem(j, 503, "Service Unavailable", "dunnd is shutting down", NULL);
			job_answer(j, 0);
		}
	/* Fails what is queued: each callback frees its job through the
	 * queue, which must not start the next (the connection is closed). */
	pgq_close(a->db);
	while (a->head) {
		struct api_job *j = a->head;
		a->head = j->next;
		job_free(j);
	}
	pgq_free(a->db);
	event_free(a->ev_purge);
	OPENSSL_cleanse(&a->keys, sizeof a->keys);
	free(a);
}
