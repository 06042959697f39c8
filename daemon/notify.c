/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET, plus the
 * two environment variables systemd uses to ask for watchdog pings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dunnd.h"

void notify_send(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char msg[512];
	size_t plen;
	socklen_t salen;
	va_list ap;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	plen = strlen(path);
	if (plen >= sizeof sa.sun_path)
		return;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Never block the loop on a receiver that is not reading: a unix
	 * datagram queue holds only max_dgram_qlen (10 by default) messages,
	 * and a blocked sendto() would stall every timer, the watchdog
	 * included. A status line that cannot be queued is dropped. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa,
		     salen);
	close(fd);
}

/* systemd compares MONOTONIC_USEC with its own CLOCK_MONOTONIC reading to
 * tell a reload that has started from one that is already over. */
void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)ts.tv_sec * 1000000ULL +
			    (unsigned long long)ts.tv_nsec / 1000ULL);
}

/* $WATCHDOG_PID, when set, names the process the watchdog is meant for:
 * a child that inherited the environment must not ping. */
uint64_t notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	v = strtoull(usec, &end, 10);
	if (*end || v == 0)
		return 0;
	return (uint64_t)v;
}
