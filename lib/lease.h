/* Lease holders: every dunnd takes a session-level advisory lock,
 * (LEASE_LOCK_NS, its instance id), on the connection that leases outbox
 * rows, and writes that id into deliveries.leased_by. A lease whose
 * holder's lock is gone was left by a process that died or lost its
 * session: nobody will report its result, and the row goes out again
 * once lease_until passes. Shared by dunnd (the start-up report) and
 * dunnctl status. */
#ifndef DUNN_LEASE_H
#define DUNN_LEASE_H

#include <stdint.h>

/* 'dunn' in ASCII: the first key of every lease holder's lock. */
#define LEASE_LOCK_NS 1685417582

/* Take the lock for instance $1 (an int4); answers true when granted. */
extern const char lease_sql_lock[];
#define LEASE_STR_(x) #x
#define LEASE_STR(x) LEASE_STR_(x)

/* One row: how many rows are leased by no live holder, and the first
 * and last moment (ISO 8601 UTC, NULL when none) they become due again.
 * pg_locks shows a two-key advisory lock as classid = key 1, objid =
 * key 2, objsubid = 2, in the database it was taken in. A macro so that
 * dunnctl status can make it part of its one statement. */
#define LEASE_SQL_ORPHANED                                                                           \
	"SELECT count(*),\n"                                                                         \
	"       to_char(min(lease_until) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"   \
	"       to_char(max(lease_until) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')\n"    \
	"FROM dunning.deliveries d\n"                                                                \
	"WHERE d.status = 'sending' AND d.lease_until > now()\n"                                     \
	"  AND NOT EXISTS (SELECT 1 FROM pg_locks l\n"                                               \
	"                  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2\n"         \
	"                    AND l.classid = " LEASE_STR(                                            \
		LEASE_LOCK_NS) "::oid\n"                                                             \
			       "                    AND l.objid = d.leased_by::oid\n"                \
			       "                    AND l.database = (SELECT oid FROM pg_database\n" \
			       "                                      WHERE datname = current_database()))"
extern const char lease_sql_orphaned[];
/* A process-wide instance id: positive, random, fixed on the first call. */
int32_t lease_instance_id(void);

#endif
