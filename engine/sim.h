/* The simulation behind `dunnctl simulate` and the console's policy page:
 * the policy engine run over the real book for some days with no sends,
 * counting what would go out per customer-local day, track, step,
 * channel, template and variant; with a candidate policy, the difference
 * it would make. One code for both, so their figures are the same. Pure
 * but for reading the book's rows (libpq results, no connection). */
#ifndef DUNN_SIM_H
#define DUNN_SIM_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "policy.h"

/* The book as the simulation reads it: $1 the start (ISO 8601), $2 the
 * days of history to read (sim_params), $3 the end of the simulated days. */
extern const char SIM_SQL_BOOK[];

/* At least as many rows as SIM_SQL_BOOK would return, cheaply: what a
 * caller bounding the work (sim_work) asks before reading the book. */
extern const char SIM_SQL_BOOK_SIZE[];

#define SIM_MAX_DAYS 366

struct sim_req {
	const struct policy *current;
	const struct policy *candidate; /* NULL: the current policy alone */
	int64_t at;                     /* the start; rounded down to the hour */
	int days;                       /* 1 to SIM_MAX_DAYS */
};

/* SIM_SQL_BOOK's three parameters for r (r->at rounded down in place). */
struct sim_params {
	char at[32], hist[16], end[32];
	const char *v[3];
};
void sim_params(struct sim_req *r, struct sim_params *p);

/* The work a run of r over a book of accounts rows takes, in
 * account-hours (each policy walks each account hour by hour): what a
 * caller bounds before running one. */
int64_t sim_work(const struct sim_req *r, int accounts);

/* Run r over book (rows of SIM_SQL_BOOK). Without a candidate: {from,
 * days, day_basis, accounts, rows [{day, track, step, channel, template,
 * [variant], messages}], messages, deferred [...]}; with one: {from, days,
 * day_basis, accounts, rows [{..., current, new, change}] (the cells that
 * differ), current_messages, new_messages, moved_within_day, different}.
 * NULL when memory ran out. */
json_t *sim_run(const struct sim_req *r, const PGresult *book);

#endif
