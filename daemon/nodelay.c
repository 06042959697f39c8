/* libesmtp never sets TCP_NODELAY, so every message of a session waits for
 * a delayed ACK (~40 ms) before its final "." leaves: ~23 messages/s. It
 * exposes no socket, so dunnd interposes connect() (exported with
 * -rdynamic) and sets the option on every TCP socket before connecting.
 * libpq and libcurl set it on theirs anyway. */
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static connect_fn real_connect;
	int type = 0;
	socklen_t tlen = sizeof type;

	if (!real_connect)
		real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM) {
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return real_connect(fd, addr, len);
}
