/* A delivery's result as the dispatcher writes it back: the status that
 * SQL_RESULTS stores (retry and deferred become queued), the
 * delivery_<status> event and the dunnd_deliveries_total label. One name
 * table for all of them, in delivery_status.c. */
#ifndef DUNN_DELIVERY_STATUS_H
#define DUNN_DELIVERY_STATUS_H

#include "channel.h"

enum delivery_status {
	DELIVERY_SENT,       /* the provider took it */
	DELIVERY_RETRY,      /* transient: queued again after a backoff, failed
				once max_attempts were made */
	DELIVERY_FAILED,     /* permanent: never tried again */
	DELIVERY_BOUNCED,    /* failed, and the address goes on the opt-out
				list the message was checked against */
	DELIVERY_DEFERRED,   /* not tried (a contact window, quiet times, a
				stop): queued again, the attempt undone */
	DELIVERY_CANCELLED,  /* no longer due when it came to be sent */
	DELIVERY_SUPPRESSED, /* the address is on the opt-out list, or none */
	DELIVERY_NSTATUS
};

/* "sent", "retry", ...; "failed" for a value outside the enum. */
const char *delivery_status_name(enum delivery_status s);
/* The status named name (exactly, as stored); 0, or -1 when none is. */
int delivery_status_parse(const char *name, enum delivery_status *out);
/* What a module's result means here. A status no module may report
 * (outside enum channel_status) is a failure: the message is not sent
 * again, and its row says so. */
enum delivery_status delivery_status_from_channel(enum channel_status s);

#endif
