/* Delivery result statuses: one name table. */
#include <string.h>

#include "delivery_status.h"

static const char *const names[DELIVERY_NSTATUS] = {
	[DELIVERY_SENT] = "sent",
	[DELIVERY_RETRY] = "retry",
	[DELIVERY_FAILED] = "failed",
	[DELIVERY_BOUNCED] = "bounced",
	[DELIVERY_DEFERRED] = "deferred",
	[DELIVERY_CANCELLED] = "cancelled",
	[DELIVERY_SUPPRESSED] = "suppressed",
};

const char *delivery_status_name(enum delivery_status s)
{
	if ((unsigned)s >= DELIVERY_NSTATUS)
		return names[DELIVERY_FAILED];
	return names[s];
}

int delivery_status_parse(const char *name, enum delivery_status *out)
{
	for (int i = 0; name && i < DELIVERY_NSTATUS; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum delivery_status)i;
			return 0;
		}
	return -1;
}

enum delivery_status delivery_status_from_channel(enum channel_status s)
{
	switch (s) {
	case CHANNEL_SENT:
		return DELIVERY_SENT;
	case CHANNEL_RETRY:
		return DELIVERY_RETRY;
	case CHANNEL_FAILED:
		return DELIVERY_FAILED;
	case CHANNEL_BOUNCE:
		return DELIVERY_BOUNCED;
	case CHANNEL_UNSENT:
		return DELIVERY_DEFERRED; /* due again at once, the attempt undone */
	}
	return DELIVERY_FAILED;
}
