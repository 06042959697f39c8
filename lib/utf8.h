/* UTF-8 made safe to store and to show: any bytes from outside (an SMTP
 * reply, an HTTP body, a provider's JSON, an inbound SMS, a CSV field)
 * become valid UTF-8 of bounded length before they reach PostgreSQL (which
 * refuses a whole statement for one bad byte) or a log line or terminal.
 *
 * Invalid input is replaced as the Unicode Standard recommends (chapter 3,
 * "U+FFFD Substitution of Maximal Subparts", what Python's
 * decode("utf-8", "replace") and the WHATWG decoder do): a byte that cannot
 * start a character, or a valid start cut short, becomes one U+FFFD; the
 * byte that broke the sequence is looked at afresh. Overlong forms,
 * surrogates (U+D800..U+DFFF) and code points past U+10FFFF are invalid.
 * NUL bytes become U+FFFD as well, so the result is one C string. */
#ifndef DUNN_UTF8_H
#define DUNN_UTF8_H

#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* A valid UTF-8 copy of s[0..len), at most max_bytes long (the NUL not
 * counted), cut on a character boundary: a character that would not fit
 * whole is left out with all after it. Caller frees; NULL only when memory
 * runs out. s may be NULL when len is 0. */
char *utf8_sanitize(const char *s, size_t len, size_t max_bytes);

/* As utf8_sanitize, and every control character is written as an escape
 * that shows, for log lines and an operator's terminal: \n \r \t, \xNN for
 * the rest of C0 and DEL (U+0000..U+001F, U+007F; a NUL is \x00), \u00NN
 * for C1 (U+0080..U+009F, which terminals take as CSI and OSC). Nothing
 * else is escaped, a backslash included: this is for reading, not a
 * reversible encoding. An escape is never cut by max_bytes. */
char *utf8_escape_controls(const char *s, size_t len, size_t max_bytes);

/* utf8_sanitize into buf (size bytes, the NUL included, size >= 1): for
 * fixed-size fields such as struct channel_result's. buf and s may be the
 * same buffer (a field made safe in place). Returns the length written. */
size_t utf8_sanitize_into(char *buf, size_t size, const char *s, size_t len);
/* The same for utf8_escape_controls: a provider's reply kept for the
 * database and logged on one line. */
size_t utf8_escape_into(char *buf, size_t size, const char *s, size_t len);

/* 1 if s[0..len) is valid UTF-8 with no NUL byte, else 0. */
int utf8_valid(const char *s, size_t len);

/* The longest prefix of s[0..len) no longer than max_bytes that ends on a
 * character boundary of valid UTF-8 (len itself when it fits). For input
 * already valid, e.g. text this program wrote. */
size_t utf8_cut(const char *s, size_t len, size_t max_bytes);

#endif
