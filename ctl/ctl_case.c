/* dunnctl status: the whole picture of cases, outbox and queues. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lease.h"
#include "tz.h"

/* The whole picture in one statement, built as JSON by the server: one
 * consistent snapshot, and --json is then just that document. */
static const char SQL_STATUS[] =
	"SELECT jsonb_build_object(\n"
	"  'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"  'cases', (SELECT coalesce(jsonb_object_agg(state, n), '{}')\n"
	"            FROM (SELECT state, count(*) AS n FROM dunning.cases GROUP BY 1) x),\n"
	"  'outbox', (SELECT coalesce(jsonb_agg(jsonb_build_object('channel', channel,\n"
	"                    'status', status, 'count', n) ORDER BY channel, status), '[]')\n"
	"             FROM (SELECT channel, status, count(*) AS n FROM dunning.deliveries\n"
	"                   WHERE status IN ('queued', 'sending') GROUP BY 1, 2) x),\n"
	"  'outbox_due', (SELECT count(*) FROM dunning.deliveries\n"
	"                 WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()),\n"
	"  'leases_orphaned', (SELECT jsonb_build_object('count', n, 'resend_from', first_at,\n"
	"                       'resend_until', last_at)\n"
	"                     FROM (" LEASE_SQL_ORPHANED ") x(n, first_at, last_at)),\n"
	"  'oldest_due_seconds', (SELECT coalesce(extract(epoch FROM now() - min(next_attempt_at))\n"
	"                                         ::bigint, 0) FROM dunning.deliveries\n"
	"                 WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()),\n"
	"  'last_hour', (SELECT coalesce(jsonb_object_agg(status, n), '{}')\n"
	"                FROM (SELECT status, count(*) AS n FROM dunning.deliveries\n"
	"                      WHERE updated_at > now() - interval '1 hour' GROUP BY 1) x),\n"
	"  'errors', (SELECT coalesce(jsonb_agg(jsonb_build_object('delivery_id', id,\n"
	"                    'channel', channel, 'status', status, 'attempts', attempts,\n"
	"                    'error', last_error, 'at', to_char(updated_at AT TIME ZONE 'UTC',\n"
	"                    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY updated_at DESC, id DESC), '[]')\n"
	"             FROM (SELECT * FROM dunning.deliveries\n"
	"                   WHERE last_error IS NOT NULL\n"
	"                     AND status IN ('queued', 'sending', 'failed', 'bounced')\n"
	"                   ORDER BY updated_at DESC, id DESC LIMIT 10) x),\n"
	"  'phone_tasks', (SELECT jsonb_build_object('open', count(*),\n"
	"                    'due', count(*) FILTER (WHERE due_at <= now()),\n"
	"                    'unassigned', count(*) FILTER (WHERE assignee IS NULL))\n"
	"                  FROM dunning.phone_tasks WHERE completed_at IS NULL),\n"
	"  'disputes', (SELECT jsonb_build_object('open', count(*),\n"
	"                 'investigating', count(*) FILTER (WHERE status = 'investigating'))\n"
	"               FROM dunning.disputes WHERE resolved_at IS NULL))::text";

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void status_print(const json_t *st)
{
	const char *k;
	json_t *v;
	size_t i;

	printf("status at %s\n\ncases by state:\n", json_string_value(json_object_get(st, "at")));
	json_object_foreach((json_t *)json_object_get(st, "cases"), k, v)
		printf("  %-12s %lld\n", k, (long long)json_integer_value(v));
	printf("\noutbox (queued and sending) by channel and status:\n");
	json_array_foreach(json_object_get(st, "outbox"), i, v)
		printf("  %-12s %-10s %lld\n", json_string_value(json_object_get(v, "channel")),
		       json_string_value(json_object_get(v, "status")), jint(v, "count"));
	printf("  due now: %lld, oldest due for %llds\n", jint(st, "outbox_due"),
	       jint(st, "oldest_due_seconds"));
	v = json_object_get(st, "leases_orphaned");
	if (jint(v, "count") > 0)
		printf("  leased by a process that no longer holds them: %lld, sent again as their "
		       "leases run out, from %s to %s\n",
		       jint(v, "count"), json_string_value(json_object_get(v, "resend_from")),
		       json_string_value(json_object_get(v, "resend_until")));
	else
		printf("  leased by a process that no longer holds them: 0\n");
	printf("\ndeliveries in the last hour by status:\n");
	json_object_foreach((json_t *)json_object_get(st, "last_hour"), k, v)
		printf("  %-12s %lld\n", k, (long long)json_integer_value(v));
	printf("\nlast delivery errors:\n");
	json_array_foreach(json_object_get(st, "errors"), i, v)
		printf("  %s  #%lld %-10s %-8s %s\n", json_string_value(json_object_get(v, "at")),
		       jint(v, "delivery_id"), json_string_value(json_object_get(v, "channel")),
		       json_string_value(json_object_get(v, "status")),
		       ctl_text(json_string_value(json_object_get(v, "error"))));
	v = json_object_get(st, "phone_tasks");
	printf("\nphone tasks: %lld open (%lld due, %lld unassigned)\n", jint(v, "open"),
	       jint(v, "due"), jint(v, "unassigned"));
	v = json_object_get(st, "disputes");
	printf("disputes: %lld open (%lld under investigation)\n", jint(v, "open"),
	       jint(v, "investigating"));
}

int ctl_status(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	json_error_t jerr;
	PGresult *res;
	json_t *st;

	if (argc != 1) {
		fprintf(stderr, "Usage: dunnctl -c FILE status [--json]\n");
		return 2;
	}
	res = ctl_exec(c, SQL_STATUS, 0, NULL);
	if (!res)
		return 1;
	st = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	PQclear(res);
	if (!st) {
		fprintf(stderr, "dunnctl: status: %s\n", jerr.text);
		return 1;
	}
	if (as_json)
		return ctl_json_print(st);
	status_print(st);
	json_decref(st);
	return 0;
}
