/* A blocking SMTP client for one session at a time: connect, EHLO,
 * STARTTLS, AUTH PLAIN or LOGIN, then the session's messages, pipelined
 * (RFC 2920) when the server offers PIPELINING: each message's envelope
 * (MAIL, RCPT, DATA) goes in the same write as the previous message's
 * data, so a message costs one write and one read on the wire. Without
 * PIPELINING every command waits for its reply.
 *
 * Thread-safe: a session touches nothing but its own state and the
 * caller's SSL_CTX (which OpenSSL lets threads share). */
#ifndef DUNN_SMTP_H
#define DUNN_SMTP_H

#include <stddef.h>

#include <openssl/ssl.h>

enum smtp_tls { SMTP_TLS_OFF, SMTP_TLS_IF_AVAILABLE, SMTP_TLS_REQUIRED };

struct smtp_opts {
	const char *server; /* host:port (port 25 without one); [v6]:port */
	const char *helo;   /* the name EHLO gives */
	enum smtp_tls starttls;
	SSL_CTX *tls;                      /* verifying context, required unless starttls is off */
	const char *auth_user, *auth_pass; /* both or neither */
	int timeout_ms;                    /* each read, write and the connect */
	/* The conversation for a debug log: each reply line the server sent
	 * (writing 0) and each command line (writing 1). Message data and
	 * AUTH exchanges are never passed. May be NULL. */
	void (*monitor)(const char *line, size_t len, int writing, void *arg);
	/* A message's outcome, the moment the server has answered its data
	 * (or refused its envelope). May be NULL. */
	void (*done)(size_t i, void *arg);
	void *arg;
};

/* One message: the caller's envelope and text, and what the server said. */
struct smtp_msg {
	const char *from; /* reverse path, without <> */
	const char *to;   /* one recipient, without <> */
	const char *data; /* RFC 5322 text with CRLF line ends; dot-stuffed here */
	/* Out: each reply's code (0: never answered) and text (after the code
	 * and its separator, without the line end; the last line of a
	 * multi-line reply). */
	int mail_code, rcpt_code, data_code;
	char mail_text[200], rcpt_text[200], data_text[200];
	int finished; /* done() was called for it */
};

/* Send msgs[0..n) over one session. Returns 0 when the session reached
 * the server and ended (each message's codes say how it went), -1 when it
 * failed: err says why, and the messages without finished set were not
 * (or not all the way) sent. */
int smtp_session(const struct smtp_opts *o, struct smtp_msg *msgs, size_t n, char *err,
		 size_t errlen);

#endif
