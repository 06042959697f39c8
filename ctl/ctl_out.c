/* dunnctl's output to the operator's terminal: names, notes and replies
 * come from customers and billing exports, and a control character in one
 * (ESC starting a CSI or OSC sequence, CR rewriting the line, a C1 code)
 * would be obeyed by the terminal. So stdout and stderr are replaced by
 * streams that write every control character as an escape that shows,
 * except the line breaks and tabs dunnctl's own layout uses; ctl_text
 * escapes those too, for a value printed inside a table or a line.
 *
 * The escapes are utf8_escape_controls' (lib/utf8.h): \r, \xNN for the
 * rest of C0 and DEL, \u00NN for C1. Inside a JSON string (--json), which
 * jansson writes with C0 already escaped, a C1 character written as
 * \u00NN is the same JSON value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "utf8.h"

struct out {
	int fd;
	int c2; /* the last write ended with 0xC2, the lead byte of C1 */
};

static struct out out_fds[2] = {{1, 0}, {2, 0}};

static int write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t out_write(void *cookie, const char *buf, size_t size)
{
	struct out *o = cookie;
	char tmp[4096 + 8];
	size_t n = 0;

	for (size_t i = 0; i < size; i++) {
		unsigned char b = (unsigned char)buf[i];
		if (n + 8 > 4096) {
			if (write_all(o->fd, tmp, n) != 0)
				return -1;
			n = 0;
		}
		if (o->c2) {
			o->c2 = 0;
			if (b >= 0x80 && b <= 0x9F) {
				n += (size_t)snprintf(tmp + n, 8, "\\u%04x", b);
				continue;
			}
			tmp[n++] = (char)0xC2;
		}
		if (b == 0xC2)
			o->c2 = 1;
		else if (b == '\r')
			n += (size_t)snprintf(tmp + n, 8, "\\r");
		else if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F)
			n += (size_t)snprintf(tmp + n, 8, "\\x%02x", b);
		else
			tmp[n++] = (char)b;
	}
	if (n && write_all(o->fd, tmp, n) != 0)
		return -1;
	return (ssize_t)size;
}

static int out_close(void *cookie)
{
	struct out *o = cookie;

	if (o->c2)
		write_all(o->fd, "\xC2", 1);
	o->c2 = 0;
	return 0;
}

static FILE *out_open(struct out *o, int mode)
{
	cookie_io_functions_t io = {.write = out_write, .close = out_close};
	FILE *f = fopencookie(o, "w", io);

	if (f)
		setvbuf(f, NULL, mode, BUFSIZ);
	return f;
}

int ctl_out_escape(void)
{
	FILE *o, *e;

	fflush(stdout);
	fflush(stderr);
	o = out_open(&out_fds[0], isatty(1) ? _IOLBF : _IOFBF);
	e = out_open(&out_fds[1], _IONBF);
	if (!o || !e) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		return -1;
	}
	stdout = o;
	stderr = e;
	return 0;
}

#define TEXT_RING 16

const char *ctl_text(const char *s)
{
	static char *ring[TEXT_RING];
	static unsigned next;
	char *t;

	if (!s)
		return "";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F || (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
			goto escape;
	return s;
escape:
	t = utf8_escape_controls(s, strlen(s), (size_t)-1);
	if (!t)
		return "?";
	free(ring[next]);
	ring[next] = t;
	next = (next + 1) % TEXT_RING;
	return t;
}
