/* phone_task: a "send" is a dunning.phone_tasks row for the call team,
 * due now (the engine already placed the step inside the customer's
 * contact window for this channel) and carrying the rendered call script
 * as its note. The row is written through the module's own asynchronous
 * connection (lib/pgq) on the daemon's loop; the completion callback fires
 * when the INSERT has committed. `dunnctl tasks` works the queue.
 *
 * Idempotent: one task per delivery (a unique index), so a send retried
 * after its INSERT committed but before the result was recorded finds the
 * task it already made instead of raising a second call. */
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "log.h"
#include "pgq.h"
#include "tz.h"
#include "utf8.h"

extern const struct channel_ops channel_module;

/* The note is what the caller reads; keep it to a screenful. */
#define PHONE_NOTE_MAX 4000

struct pt_job {
	struct pt_job *next; /* waiting for the connection */
	struct channel *ch;
	int64_t delivery_id;
	char id_s[24], due_s[TZ_ISO8601_LEN];
	char *note;
	channel_done_fn done;
	void *arg;
};

struct channel {
	char *instance;
	struct pgq *db;
	struct pt_job *waiting, *waiting_tail; /* accepted while not connected */
	size_t inflight;                       /* accepted, callback not yet called */
};

static const char SQL_TASK[] =
	"WITH d AS (SELECT id, case_id, account_id FROM dunning.deliveries WHERE id = $1),\n"
	"ins AS (\n"
	"  INSERT INTO dunning.phone_tasks (case_id, account_id, delivery_id, due_at, note)\n"
	"  SELECT d.case_id, d.account_id, d.id, $2, $3 FROM d\n"
	"  ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING\n"
	"  RETURNING id),\n"
	"ev AS (\n"
	"  INSERT INTO dunning.events (at, kind, account_id, case_id, delivery_id, detail)\n"
	"  SELECT $2, 'phone_task_created', d.account_id, d.case_id, d.id,\n"
	"         jsonb_build_object('phone_task_id', ins.id)\n"
	"  FROM d, ins)\n"
	"SELECT id FROM ins UNION ALL\n"
	"SELECT id FROM dunning.phone_tasks WHERE delivery_id = $1 LIMIT 1";

static void job_finish(struct pt_job *j, enum channel_status st, const char *task_id,
		       const char *error)
{
	struct channel_result r = {0};
	struct channel *ch = j->ch;

	r.delivery_id = j->delivery_id;
	r.status = st;
	if (task_id)
		snprintf(r.provider_id, sizeof r.provider_id, "task:%s", task_id);
	if (error) /* the database's words: one line, valid UTF-8 */
		utf8_sanitize_into(r.error, sizeof r.error, error, strcspn(error, "\r\n"));
	ch->inflight--;
	j->done(&r, j->arg);
	free(j->note);
	free(j);
}

static void insert_cb(const PGresult *res, void *arg)
{
	struct pt_job *j = arg;

	if (!res) /* connection lost: the dispatcher tries again later */
		job_finish(j, CHANNEL_RETRY, NULL, "database connection lost");
	else if (!pgq_ok(res))
		job_finish(j, CHANNEL_RETRY, NULL, PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		job_finish(j, CHANNEL_FAILED, NULL, "delivery not found");
	else
		job_finish(j, CHANNEL_SENT, PQgetvalue(res, 0, 0), NULL);
}

static void submit(struct pt_job *j)
{
	struct channel *ch = j->ch;
	const char *params[3] = {j->id_s, j->due_s, j->note};

	if (pgq_send(ch->db, SQL_TASK, 3, params, insert_cb, j) == 0)
		return;
	/* Not connected (any more): wait for the connection. */
	j->next = NULL;
	if (ch->waiting_tail)
		ch->waiting_tail->next = j;
	else
		ch->waiting = j;
	ch->waiting_tail = j;
}

static void state_cb(int connected, void *arg)
{
	struct channel *ch = arg;
	struct pt_job *list = ch->waiting;

	if (!connected)
		return;
	ch->waiting = ch->waiting_tail = NULL;
	while (list) {
		struct pt_job *j = list;
		list = j->next;
		submit(j);
	}
}

static void pt_free(struct channel *ch)
{
	if (ch->db)
		pgq_free(ch->db);
	free(ch->instance);
	free(ch);
}

static struct channel *pt_init(const char *instance, json_t *conf, const struct channel_env *env,
			       char *err, size_t errlen)
{
	struct channel *ch;

	(void)conf;
	if (!env->conninfo || !env->base) {
		snprintf(err, errlen, "channel '%s': phone_task needs the database", instance);
		return NULL;
	}
	ch = calloc(1, sizeof *ch);
	if (!ch) {
		snprintf(err, errlen, "channel '%s': out of memory", instance);
		return NULL;
	}
	ch->instance = strdup(instance);
	ch->db = pgq_new(env->base, env->conninfo);
	if (!ch->instance || !ch->db) {
		snprintf(err, errlen, "channel '%s': out of memory", instance);
		pt_free(ch);
		return NULL;
	}
	pgq_on_state(ch->db, state_cb, ch);
	pgq_start(ch->db);
	return ch;
}

static int pt_send(struct channel *ch, const struct channel_msg *m, channel_done_fn done, void *arg)
{
	struct pt_job *j = calloc(1, sizeof *j);

	if (!j)
		return -1;
	/* Cut at PHONE_NOTE_MAX on a character boundary: a note ending
	 * inside a UTF-8 sequence would make PostgreSQL refuse the row. */
	j->note = utf8_sanitize(m->text ? m->text : "", m->text ? strlen(m->text) : 0,
				PHONE_NOTE_MAX);
	if (!j->note) {
		free(j);
		return -1;
	}
	j->ch = ch;
	j->delivery_id = m->delivery_id;
	snprintf(j->id_s, sizeof j->id_s, "%" PRId64, m->delivery_id);
	tz_format_iso8601(m->now, j->due_s, sizeof j->due_s);
	j->done = done;
	j->arg = arg;
	ch->inflight++;
	submit(j);
	return 0;
}

static size_t pt_inflight(const struct channel *ch)
{
	return ch->inflight;
}

static void pt_close(struct channel *ch)
{
	struct pt_job *list = ch->waiting;

	/* Rows whose INSERT never ran: due again at once; if that result
	 * cannot be written, their leases expire and they are sent again (the
	 * unique index makes a late duplicate harmless). */
	ch->waiting = ch->waiting_tail = NULL;
	while (list) {
		struct pt_job *j = list;
		list = j->next;
		job_finish(j, CHANNEL_UNSENT, NULL, "channel closed before sending");
	}
	pgq_close(ch->db); /* in-flight callbacks get NULL: retried */
	pt_free(ch);
}

/* No options: a task goes to the daemon's own database. */
static const struct channel_opt pt_opts[] = {
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct channel_ops channel_module = {
	.name = "phone_task",
	.abi = CHANNEL_ABI,
	.opts = pt_opts,
	.caps = 0,
	.addr = CHANNEL_ADDR_PHONE,
	.optout = CHANNEL_OPTOUT_CALLS,
	.init = pt_init,
	.send = pt_send,
	.inflight = pt_inflight,
	.close = pt_close,
};
