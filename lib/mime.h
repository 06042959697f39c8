/* RFC 5322 / MIME message builder for outgoing dunning mail.
 * Pure (no I/O, no locale, no global state), so safe to call from any thread. */
#ifndef DUNN_MIME_H
#define DUNN_MIME_H

#include <stddef.h>
#include <stdint.h>

struct mime_msg {
	const char *from_name; /* display name, UTF-8, may be NULL */
	const char *from_addr; /* addr-spec, ASCII */
	const char *to_name;   /* UTF-8, may be NULL */
	const char *to_addr;
	const char *subject;    /* UTF-8 */
	const char *text;       /* UTF-8 plain-text body, LF or CRLF line ends */
	const char *html;       /* UTF-8 HTML body, may be NULL -> single text/plain part */
	const char *message_id; /* without angle brackets, e.g. "d123.c45@dunnd.example.com" */
	const char *list_unsubscribe_url;    /* https URL, may be NULL */
	const char *list_unsubscribe_mailto; /* mailto address, may be NULL */
	int64_t date; /* unix seconds, rendered as RFC 5322 Date in UTC (+0000) */
};

/* Build a complete RFC 5322 message with CRLF line ends.
 *
 * Headers, in order: Date, From, To, Subject, Message-ID, MIME-Version,
 * List-Unsubscribe (when a mailto and/or URL is given: "<mailto:...>, <https://...>"),
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click (only when the https URL is
 * given, RFC 8058), then the Content-* headers.  No Auto-Submitted header.
 *
 * Body: text/plain; charset=UTF-8, or multipart/alternative (text/plain then
 * text/html) when html is set.  Every part is quoted-printable, so the whole
 * message is 7-bit.  Line ends in text/html are canonicalised to CRLF.
 *
 * Header text that is not plain printable ASCII becomes RFC 2047 B encoded-words
 * (UTF-8); lines are folded to <= 78 octets wherever the syntax allows
 * (addresses, message id and URLs are never split, and are length-limited so
 * no line can reach 998).
 *
 * Invalid input -> NULL: m/from_addr/to_addr/subject/text/message_id NULL,
 * CR or LF in any header value (no header injection) or any other control
 * character but TAB in subject/names, invalid UTF-8 anywhere, malformed
 * addr-spec or message id, a URL that is not https:// or has characters outside
 * RFC 3986, or a date outside years 1900..9999.  Empty optional strings
 * (names, html, unsubscribe) count as absent.  Also NULL on allocation failure.
 * Otherwise returns a malloc'd NUL-terminated string (caller frees) and stores
 * its length in *len_out when len_out is not NULL. */
char *mime_build(const struct mime_msg *m, size_t *len_out);

/* Why mime_build would refuse m for its content, as a static phrase
 * ("recipient name has a control character (CR, LF, ...)", "recipient
 * address is not a plain ASCII addr-spec", ...), or NULL when it would
 * not: such a message can never be sent as it is, so a caller fails it
 * rather than retrying. */
const char *mime_refusal(const struct mime_msg *m);

/* Encode one unstructured header value (e.g. a Subject): returned verbatim
 * (folded at spaces if long) when it is plain printable ASCII, otherwise as
 * RFC 2047 B encoded-words of <= 75 chars that never split a UTF-8 sequence,
 * separated by CRLF SP folds.  first_line_used is how many octets the current
 * line already holds (e.g. 9 for "Subject: ").  The result never starts with a
 * fold (parsers would keep it as a leading space), so if fewer than 20 octets
 * remain the first line runs over.  Returns a malloc'd string, or NULL for
 * NULL input, CR/LF or other controls but TAB, invalid UTF-8 or allocation
 * failure. */
char *mime_encode_header(const char *utf8, size_t first_line_used);

#endif
