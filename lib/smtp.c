/* SMTP client (smtp.h). One session is one blocking socket with send and
 * receive timeouts (SO_SNDTIMEO, SO_RCVTIMEO), so waiting for a reply is
 * one read() and sending a group of commands one write(): no poll() per
 * step. Writes are gathered in a buffer and sent when a reply is needed;
 * replies are read through a buffer, several per read() when the server
 * answered a pipelined group at once. */
#include "smtp.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define EXT_PIPELINING 0x1
#define EXT_STARTTLS 0x2
#define EXT_AUTH_PLAIN 0x4
#define EXT_AUTH_LOGIN 0x8

struct sess {
	const struct smtp_opts *o;
	int fd;
	SSL *ssl;
	char host[256];
	unsigned ext;
	char rbuf[8192];
	size_t rpos, rlen;
	char *wbuf;
	size_t wlen, wcap;
	char *err;
	size_t errlen;
};

static int fail(struct sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* host and port of "host:port", "[v6]:port" or "host". */
static int split_server(const char *server, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = server;
	size_t hl;

	if (*server == '[') {
		const char *rb = strchr(server, ']');
		if (!rb)
			return -1;
		h = server + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(server, ':');
		hl = colon ? (size_t)(colon - server) : strlen(server);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon && colon[1] ? colon + 1 : "25");
	return 0;
}

static int fcntl_clear_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* A connected blocking socket with TCP_NODELAY and both timeouts, or -1. */
static int sess_connect(struct sess *s)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char port[32];
	int fd = -1, rc, last = 0;

	if (split_server(s->o->server, s->host, sizeof s->host, port, sizeof port) != 0)
		return fail(s, "bad server address '%s'", s->o->server);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc != 0)
		return fail(s, "cannot resolve %s: %s", s->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		struct timeval tv = {s->o->timeout_ms / 1000, (s->o->timeout_ms % 1000) * 1000};
		int one = 1, soerr = 0;
		socklen_t sl = sizeof soerr;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				last = errno;
				close(fd);
				fd = -1;
				continue;
			}
			p.fd = fd;
			p.events = POLLOUT;
			do
				rc = poll(&p, 1, s->o->timeout_ms);
			while (rc < 0 && errno == EINTR);
			if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
			    soerr) {
				last = rc == 0 ? ETIMEDOUT : soerr ? soerr : errno;
				close(fd);
				fd = -1;
				continue;
			}
		}
		/* Blocking from here on, each call bounded by the timeouts. */
		if (fcntl_clear_nonblock(fd) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail(s, "cannot connect to %s: %s", s->o->server, strerror(last));
	s->fd = fd;
	return 0;
}

/* Every write of the session goes through here: the whole buffer, once. */
static int flush(struct sess *s)
{
	size_t off = 0;

	while (off < s->wlen) {
		ssize_t w;

		if (s->ssl) {
			int r = SSL_write(s->ssl, s->wbuf + off, (int)(s->wlen - off));
			w = r > 0 ? r : -1;
			if (r <= 0 && SSL_get_error(s->ssl, r) != SSL_ERROR_SYSCALL)
				errno = EPROTO;
		} else {
			w = send(s->fd, s->wbuf + off, s->wlen - off, MSG_NOSIGNAL);
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->wlen = 0;
			return fail(s, "write to %s failed: %s", s->o->server,
				    errno == EAGAIN ? "timed out" : strerror(errno));
		}
		off += (size_t)w;
	}
	s->wlen = 0;
	return 0;
}

static int wbuf_add(struct sess *s, const char *p, size_t n)
{
	if (s->wlen + n > s->wcap) {
		size_t cap = s->wcap ? s->wcap : 8192;
		char *nb;

		while (cap < s->wlen + n)
			cap *= 2;
		nb = realloc(s->wbuf, cap);
		if (!nb)
			return fail(s, "out of memory");
		s->wbuf = nb;
		s->wcap = cap;
	}
	memcpy(s->wbuf + s->wlen, p, n);
	s->wlen += n;
	return 0;
}

/* A command line into the buffer; shown to the monitor unless secret. */
static int cmd(struct sess *s, int secret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cmd(struct sess *s, int secret, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2)
		return fail(s, "command too long");
	if (s->o->monitor && !secret)
		s->o->monitor(line, (size_t)n, 1, s->o->arg);
	memcpy(line + n, "\r\n", 2);
	return wbuf_add(s, line, (size_t)n + 2);
}

/* The message's data, dot-stuffed, CRLF at every line end, then ".". */
static int add_data(struct sess *s, const char *data)
{
	const char *p = data;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (*p == '.' && wbuf_add(s, ".", 1) != 0)
			return -1;
		if (wbuf_add(s, p, n) != 0 || wbuf_add(s, "\r\n", 2) != 0)
			return -1;
		if (!nl)
			break;
		p = nl + 1;
	}
	return wbuf_add(s, ".\r\n", 3);
}

static int fill(struct sess *s)
{
	ssize_t r;

	if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	if (s->rlen == sizeof s->rbuf)
		return fail(s, "reply line too long from %s", s->o->server);
	do {
		if (s->ssl) {
			int n = SSL_read(s->ssl, s->rbuf + s->rlen,
					 (int)(sizeof s->rbuf - s->rlen));
			r = n > 0 ? n : n == 0 ? 0 : -1;
			if (n <= 0 && SSL_get_error(s->ssl, n) == SSL_ERROR_ZERO_RETURN)
				r = 0;
			else if (n <= 0 && SSL_get_error(s->ssl, n) != SSL_ERROR_SYSCALL)
				errno = EPROTO;
		} else {
			r = recv(s->fd, s->rbuf + s->rlen, sizeof s->rbuf - s->rlen, 0);
		}
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return fail(s, "%s closed the connection", s->o->server);
	if (r < 0)
		return fail(s, "read from %s failed: %s", s->o->server,
			    errno == EAGAIN ? "timed out" : strerror(errno));
	s->rlen += (size_t)r;
	return 0;
}

/* EHLO's keywords, from one line of its reply (after "250-"). */
static void ehlo_line(struct sess *s, const char *p, size_t n)
{
	char kw[32];
	size_t k = 0;

	while (k < n && k < sizeof kw - 1 && p[k] != ' ' && p[k] != '=') {
		kw[k] = p[k];
		k++;
	}
	kw[k] = '\0';
	if (strcasecmp(kw, "PIPELINING") == 0) {
		s->ext |= EXT_PIPELINING;
	} else if (strcasecmp(kw, "STARTTLS") == 0) {
		s->ext |= EXT_STARTTLS;
	} else if (strcasecmp(kw, "AUTH") == 0) {
		/* the mechanisms, space-separated */
		for (size_t i = k; i < n;) {
			size_t j;

			while (i < n && (p[i] == ' ' || p[i] == '='))
				i++;
			for (j = i; j < n && p[j] != ' '; j++)
				;
			if (j - i == 5 && strncasecmp(p + i, "PLAIN", 5) == 0)
				s->ext |= EXT_AUTH_PLAIN;
			else if (j - i == 5 && strncasecmp(p + i, "LOGIN", 5) == 0)
				s->ext |= EXT_AUTH_LOGIN;
			i = j;
		}
	}
}

/* One reply, every line of it; its code, or -1 when the session failed.
 * text (may be NULL) gets the last line's text. ehlo: the lines are
 * EHLO's keywords. */
static int reply(struct sess *s, char *text, size_t textlen, int ehlo)
{
	int code = 0;

	for (int first = 1;; first = 0) {
		char *line, *nl;
		size_t n;
		int c;

		while (!(nl = memchr(s->rbuf + s->rpos, '\n', s->rlen - s->rpos)))
			if (fill(s) != 0)
				return -1;
		line = s->rbuf + s->rpos;
		n = (size_t)(nl - line);
		s->rpos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (s->o->monitor)
			s->o->monitor(line, n, 0, s->o->arg);
		if (n < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != ' ' && line[3] != '-'))
			return fail(s, "malformed reply from %s", s->o->server);
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (!first && c != code)
			return fail(s, "malformed reply from %s", s->o->server);
		code = c;
		if (text) {
			size_t tl = n > 4 ? n - 4 : 0;

			if (tl >= textlen)
				tl = textlen - 1;
			memcpy(text, line + 4, tl);
			text[tl] = '\0';
		}
		if (ehlo && !first && n > 4)
			ehlo_line(s, line + 4, n - 4);
		if (n <= 3 || line[3] == ' ')
			return code;
	}
}

/* A command that must be answered before anything else is sent. */
static int ask(struct sess *s, char *text, size_t textlen, int ehlo)
{
	if (flush(s) != 0)
		return -1;
	return reply(s, text, textlen, ehlo);
}

static int ehlo(struct sess *s)
{
	char text[200];
	int code;

	s->ext = 0;
	if (cmd(s, 0, "EHLO %s", s->o->helo) != 0 || (code = ask(s, text, sizeof text, 1)) < 0)
		return -1;
	if (code >= 200 && code < 300)
		return 0;
	if (code < 500)
		return fail(s, "EHLO refused: %d %s", code, text);
	/* No ESMTP: HELO, and none of its extensions. */
	s->ext = 0;
	if (cmd(s, 0, "HELO %s", s->o->helo) != 0 || (code = ask(s, text, sizeof text, 0)) < 0)
		return -1;
	return code >= 200 && code < 300 ? 0 : fail(s, "HELO refused: %d %s", code, text);
}

static int is_ip(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

/* STARTTLS, the certificate verified (the context's SSL_VERIFY_PEER) and
 * its name checked against the server's, then EHLO again. */
static int starttls(struct sess *s)
{
	char text[200];
	int code, ip = is_ip(s->host);

	if (!(s->ext & EXT_STARTTLS)) {
		if (s->o->starttls == SMTP_TLS_REQUIRED)
			return fail(s, "STARTTLS required but not offered by %s", s->o->server);
		return 0;
	}
	if (!s->o->tls)
		return fail(s, "no TLS context");
	if (cmd(s, 0, "STARTTLS") != 0 || (code = ask(s, text, sizeof text, 0)) < 0)
		return -1;
	if (code != 220) {
		if (s->o->starttls == SMTP_TLS_REQUIRED)
			return fail(s, "STARTTLS refused: %d %s", code, text);
		return 0;
	}
	s->ssl = SSL_new(s->o->tls);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1)
		return fail(s, "cannot start TLS");
	if (!ip)
		SSL_set_tlsext_host_name(s->ssl, s->host);
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->host) != 1
	       : SSL_set1_host(s->ssl, s->host) != 1)
		return fail(s, "cannot set the name to verify");
	ERR_clear_error();
	if (SSL_connect(s->ssl) != 1) {
		long v = SSL_get_verify_result(s->ssl);
		unsigned long e = ERR_get_error();
		char why[256];

		ERR_error_string_n(e, why, sizeof why);
		SSL_free(s->ssl);
		s->ssl = NULL;
		return fail(s, "TLS handshake with %s failed: %s", s->o->server,
			    v != X509_V_OK ? X509_verify_cert_error_string(v)
				    : e    ? why
					   : "closed");
	}
	return ehlo(s);
}

static int b64(char *out, size_t outlen, const char *in, size_t n)
{
	if (outlen < 4 * ((n + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
	return 0;
}

/* AUTH PLAIN, or LOGIN when the server offers only that. */
static int auth(struct sess *s)
{
	const char *u = s->o->auth_user, *pw = s->o->auth_pass;
	char raw[1024], enc[1400], text[200];
	size_t ul, pl;
	int code, rc = -1;

	if (!u)
		return 0;
	ul = strlen(u);
	pl = strlen(pw);
	if (ul + pl + 2 > sizeof raw)
		return fail(s, "credentials too long");
	if (s->ext & EXT_AUTH_PLAIN) {
		raw[0] = '\0';
		memcpy(raw + 1, u, ul);
		raw[ul + 1] = '\0';
		memcpy(raw + ul + 2, pw, pl);
		if (b64(enc, sizeof enc, raw, ul + pl + 2) == 0 &&
		    cmd(s, 1, "AUTH PLAIN %s", enc) == 0)
			rc = 0;
		if (s->o->monitor)
			s->o->monitor("AUTH PLAIN", 10, 1, s->o->arg);
		if (rc == 0 && (code = ask(s, text, sizeof text, 0)) >= 0)
			rc = code == 235 ? 0 : fail(s, "AUTH refused: %d %s", code, text);
		else
			rc = -1;
	} else if (s->ext & EXT_AUTH_LOGIN) {
		if (s->o->monitor)
			s->o->monitor("AUTH LOGIN", 10, 1, s->o->arg);
		if (cmd(s, 1, "AUTH LOGIN") != 0 || (code = ask(s, text, sizeof text, 0)) < 0)
			goto out;
		if (code != 334) {
			rc = fail(s, "AUTH refused: %d %s", code, text);
			goto out;
		}
		if (b64(enc, sizeof enc, u, ul) != 0 || cmd(s, 1, "%s", enc) != 0 ||
		    (code = ask(s, text, sizeof text, 0)) < 0)
			goto out;
		if (code != 334) {
			rc = fail(s, "AUTH refused: %d %s", code, text);
			goto out;
		}
		if (b64(enc, sizeof enc, pw, pl) != 0 || cmd(s, 1, "%s", enc) != 0 ||
		    (code = ask(s, text, sizeof text, 0)) < 0)
			goto out;
		rc = code == 235 ? 0 : fail(s, "AUTH refused: %d %s", code, text);
	} else {
		rc = fail(s, "%s offers no AUTH mechanism we use (PLAIN, LOGIN)", s->o->server);
	}
out:
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(enc, sizeof enc);
	return rc;
}

static int ok2(int code)
{
	return code >= 200 && code < 300;
}

static int envelope(struct sess *s, const struct smtp_msg *m)
{
	if (cmd(s, 0, "MAIL FROM:<%s>", m->from) != 0 || cmd(s, 0, "RCPT TO:<%s>", m->to) != 0)
		return -1;
	return cmd(s, 0, "DATA");
}

/* The envelope's three replies: read in order when pipelined, else each
 * command sent once the one before it has been accepted. */
static int envelope_replies(struct sess *s, struct smtp_msg *m, int pipelined)
{
	if (pipelined) {
		if ((m->mail_code = reply(s, m->mail_text, sizeof m->mail_text, 0)) < 0 ||
		    (m->rcpt_code = reply(s, m->rcpt_text, sizeof m->rcpt_text, 0)) < 0 ||
		    (m->data_code = reply(s, m->data_text, sizeof m->data_text, 0)) < 0)
			return -1;
		return 0;
	}
	if (cmd(s, 0, "MAIL FROM:<%s>", m->from) != 0 ||
	    (m->mail_code = ask(s, m->mail_text, sizeof m->mail_text, 0)) < 0)
		return -1;
	if (!ok2(m->mail_code))
		return 0;
	if (cmd(s, 0, "RCPT TO:<%s>", m->to) != 0 ||
	    (m->rcpt_code = ask(s, m->rcpt_text, sizeof m->rcpt_text, 0)) < 0)
		return -1;
	if (!ok2(m->rcpt_code))
		return 0;
	if (cmd(s, 0, "DATA") != 0 ||
	    (m->data_code = ask(s, m->data_text, sizeof m->data_text, 0)) < 0)
		return -1;
	return 0;
}

static void finish(struct sess *s, struct smtp_msg *msgs, size_t i)
{
	msgs[i].finished = 1;
	if (s->o->done)
		s->o->done(i, s->o->arg);
}

/* The messages, one transaction each. With PIPELINING, a message's data
 * and the next message's envelope leave in one write (RFC 2920: message
 * content may open a group), and a transaction left open by a refusal is
 * reset (RSET) in the same group. */
static int transactions(struct sess *s, struct smtp_msg *msgs, size_t n)
{
	int pipelined = (s->ext & EXT_PIPELINING) != 0;
	int env_out = 0, rset_out = 0, need_rset = 0;

	for (size_t i = 0; i < n; i++) {
		struct smtp_msg *m = &msgs[i];
		char text[200];
		int code;

		if (!env_out) {
			if (need_rset) {
				if (cmd(s, 0, "RSET") != 0)
					return -1;
				rset_out = 1;
				need_rset = 0;
				if (!pipelined) {
					if ((code = ask(s, text, sizeof text, 0)) < 0)
						return -1;
					if (!ok2(code))
						return fail(s, "RSET refused: %d %s", code, text);
					rset_out = 0;
				}
			}
			if (pipelined && (envelope(s, m) != 0 || flush(s) != 0))
				return -1;
		}
		env_out = 0;
		if (rset_out) {
			if ((code = reply(s, text, sizeof text, 0)) < 0)
				return -1;
			if (!ok2(code))
				return fail(s, "RSET refused: %d %s", code, text);
			rset_out = 0;
		}
		if (envelope_replies(s, m, pipelined) != 0)
			return -1;
		if (m->data_code == 354) {
			/* A server that takes DATA with no recipient gets no
			 * content: an empty message it will refuse. */
			if (ok2(m->mail_code) && ok2(m->rcpt_code) ? add_data(s, m->data) != 0
								   : wbuf_add(s, ".\r\n", 3) != 0)
				return -1;
			if (pipelined && i + 1 < n) {
				if (envelope(s, &msgs[i + 1]) != 0)
					return -1;
				env_out = 1;
			}
			m->data_code = 0;
			if ((m->data_code = ask(s, m->data_text, sizeof m->data_text, 0)) < 0) {
				m->data_code = 0;
				return -1;
			}
		} else if (ok2(m->mail_code)) {
			need_rset = 1; /* MAIL taken, the transaction is open */
		}
		finish(s, msgs, i);
	}
	return 0;
}

int smtp_session(const struct smtp_opts *o, struct smtp_msg *msgs, size_t n, char *err,
		 size_t errlen)
{
	struct sess s = {.o = o, .fd = -1, .err = err, .errlen = errlen};
	char text[200];
	int code, rc = -1;

	if (errlen)
		err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		msgs[i].mail_code = msgs[i].rcpt_code = msgs[i].data_code = 0;
		msgs[i].mail_text[0] = msgs[i].rcpt_text[0] = msgs[i].data_text[0] = '\0';
		msgs[i].finished = 0;
	}
	if (sess_connect(&s) != 0)
		return -1;
	if ((code = reply(&s, text, sizeof text, 0)) < 0)
		goto out;
	if (code != 220) {
		fail(&s, "%s greeted with %d %s", o->server, code, text);
		goto out;
	}
	if (ehlo(&s) != 0 || (o->starttls != SMTP_TLS_OFF && starttls(&s) != 0) || auth(&s) != 0 ||
	    transactions(&s, msgs, n) != 0)
		goto out;
	rc = 0;
	/* QUIT's answer changes nothing that was sent. */
	if (cmd(&s, 0, "QUIT") == 0 && flush(&s) == 0)
		(void)reply(&s, text, sizeof text, 0);
out:
	if (s.ssl) {
		if (rc == 0)
			(void)SSL_shutdown(s.ssl);
		SSL_free(s.ssl);
	}
	close(s.fd);
	free(s.wbuf);
	return rc;
}
