/* The HTTP side of dunnd: health, metrics, provider webhooks and the
 * customer's payment page, on libevent's evhttp in the same loop. */
#include "dunnd.h"

int http_start(struct dunnd *d, char *err, size_t errlen)
{
	(void)d;
	(void)err;
	(void)errlen;
	return 0;
}

void http_stop(struct dunnd *d)
{
	(void)d;
}
