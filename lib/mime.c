/* RFC 5322 / MIME message builder.
 *
 * Body transfer encoding: quoted-printable for every part (one encoding, one
 * code path).  Chosen over base64 because
 *  - dunning mail is mostly ASCII (amounts, URLs, HTML markup), which QP keeps
 *    readable and small, while base64 grows everything by 4/3 and base64 text
 *    parts of ASCII content are a known spam-filter signal;
 *  - the worst case, all-CJK text, grows 3x, which is harmless at the size of
 *    a payment reminder;
 *  - a boundary containing "=_" can never appear in QP output (every '=' there
 *    is followed by a hex digit or CRLF), so the deterministic boundary is
 *    collision-free by construction (still verified below).
 *
 * No global mutable state and no locale-dependent calls: thread-safe.
 */
#include "mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIME_LINE_MAX 78 /* RFC 5322 2.1.1 SHOULD limit, excluding CRLF */
#define MIME_EW_MAX 75   /* RFC 2047 2: max encoded-word length */
#define MIME_EW_PRE "=?UTF-8?B?"
#define MIME_EW_OVERHEAD 12 /* "=?UTF-8?B?" + "?=" */
/* Smallest encoded-word worth emitting: 8 base64 chars = 6 octets, enough for
 * any single UTF-8 sequence, so every word makes progress. */
#define MIME_EW_MIN (MIME_EW_OVERHEAD + 8)
#define MIME_QP_MAX 76 /* RFC 2045 6.7 rule 5 */
/* Unsplittable tokens are length-capped so no header line can reach 998. */
#define MIME_ADDR_MAX 254 /* RFC 5321 path limit minus the brackets */
#define MIME_MSGID_MAX 250
#define MIME_URI_MAX 900
#define MIME_BOUNDARY_PRE "=_dunnd_"

/* ---- growable output buffer; the first failure sticks so callers check once */

struct mime_buf {
	char *p;
	size_t len;
	size_t cap;
	int err;
};

static void mime_reserve(struct mime_buf *b, size_t n)
{
	size_t need, cap;
	char *np;

	if (b->err)
		return;
	if (n > SIZE_MAX - b->len - 1) {
		b->err = 1;
		return;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->err = 1;
		return;
	}
	b->p = np;
	b->cap = cap;
}

static void mime_put(struct mime_buf *b, const char *s, size_t n)
{
	mime_reserve(b, n);
	if (b->err)
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void mime_puts(struct mime_buf *b, const char *s)
{
	mime_put(b, s, strlen(s));
}

static void mime_putc(struct mime_buf *b, char c)
{
	mime_put(b, &c, 1);
}

/* Hand the buffer to the caller, or free it on error. */
static char *mime_take(struct mime_buf *b, size_t *len_out)
{
	mime_reserve(b, 0); /* guarantees a NUL-terminated allocation even if empty */
	if (b->err) {
		free(b->p);
		return NULL;
	}
	if (b->len == 0)
		b->p[0] = '\0';
	if (len_out)
		*len_out = b->len;
	return b->p;
}

/* ---- character classes and validation */

/* Length of the well-formed UTF-8 sequence at s (n > 0 bytes left), 0 if
 * ill-formed (overlongs, surrogates and > U+10FFFF included). */
static size_t mime_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	unsigned lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

static int mime_utf8_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n) {
		/* ASCII, the bulk of a reminder, eight octets at a time */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, u + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		l = mime_utf8_seq(u + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

/* Header text: valid UTF-8 without control characters other than TAB.
 * Refusing CR/LF is what makes header injection impossible whatever the
 * encoding path; the other controls are refused because parsers flag them
 * (non-printable defects) and no MUA can display them. */
static int mime_hdr_text_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F)
			return 0;
	return mime_utf8_ok(s, i);
}

static int mime_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int mime_is_atext(unsigned char c)
{
	return mime_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int mime_dot_atom_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!mime_is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* RFC 5322 quoted-string local part without folding: "..." with qtext, space
 * and quoted-pairs. */
static int mime_quoted_local_ok(const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (i = 1; i < n - 1; i++) {
		c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i >= n - 1)
				return 0;
			c = (unsigned char)s[i];
		} else if (c == '"') {
			return 0;
		}
		if (c < 0x20 || c > 0x7E)
			return 0;
	}
	return 1;
}

/* addr-spec: dot-atom or quoted local part, dot-atom domain. */
static int mime_addr_ok(const char *a)
{
	size_t n = strlen(a);
	const char *at = strrchr(a, '@');
	size_t ln;

	if (n == 0 || n > MIME_ADDR_MAX || !at)
		return 0;
	ln = (size_t)(at - a);
	if (!mime_dot_atom_ok(at + 1, n - ln - 1))
		return 0;
	if (ln && a[0] == '"')
		return mime_quoted_local_ok(a, ln);
	return mime_dot_atom_ok(a, ln);
}

/* msg-id content: dot-atom-text "@" dot-atom-text. */
static int mime_msgid_ok(const char *id)
{
	size_t n = strlen(id);
	const char *at = strchr(id, '@');

	if (n > MIME_MSGID_MAX || !at || strchr(at + 1, '@'))
		return 0;
	return mime_dot_atom_ok(id, (size_t)(at - id)) &&
		mime_dot_atom_ok(at + 1, n - (size_t)(at - id) - 1);
}

/* Only RFC 3986 characters: no space, quotes or angle brackets that could end
 * the <...> of List-Unsubscribe early. */
static int mime_uri_chars_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > MIME_URI_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!mime_is_alnum((unsigned char)s[i]) && !strchr("-._~:/?#[]@!$&'()*+,;=%", s[i]))
			return 0;
	return 1;
}

/* ASCII case-insensitive prefix test (strncasecmp is locale-dependent). */
static int mime_has_prefix_ci(const char *s, const char *pre)
{
	for (; *pre; s++, pre++) {
		unsigned char a = (unsigned char)*s, b = (unsigned char)*pre;

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static int mime_https_ok(const char *u)
{
	return mime_has_prefix_ci(u, "https://") && u[8] != '\0' && mime_uri_chars_ok(u);
}

/* Accepts "user@host" or "mailto:user@host[?...]". */
static int mime_mailto_ok(const char *u)
{
	if (mime_has_prefix_ci(u, "mailto:"))
		u += 7;
	return *u != '@' && strchr(u, '@') != NULL && mime_uri_chars_ok(u);
}

static const char *mime_opt(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- header writer: tracks the column so it can fold before a token */

struct mime_hdr {
	struct mime_buf *b;
	size_t col; /* octets on the current line */
	int sep;    /* next token needs a separating space */
	/* A token is on this line.  Folding is allowed only then: a fold right
	 * after "Name:" shows up as a leading space in some parsers (Python's
	 * unstructured headers), and a second fold in a row gains nothing. */
	int has_token;
};

static void mime_hdr_begin(struct mime_hdr *h, struct mime_buf *b, const char *name)
{
	h->b = b;
	mime_puts(b, name);
	mime_putc(b, ':');
	h->col = strlen(name) + 1;
	h->sep = 1;
	h->has_token = 0;
}

static void mime_hdr_end(struct mime_hdr *h)
{
	mime_put(h->b, "\r\n", 2);
}

static void mime_hdr_fold(struct mime_hdr *h)
{
	mime_put(h->b, "\r\n ", 3);
	h->col = 1;
	h->sep = 0;
	h->has_token = 0;
}

/* Octets left on the current line for the next token (after its separator). */
static size_t mime_hdr_room(const struct mime_hdr *h)
{
	size_t used = h->col + (h->sep ? 1 : 0);

	return used < MIME_LINE_MAX ? MIME_LINE_MAX - used : 0;
}

/* Append an unsplittable token, folding first when it would overflow the line. */
static void mime_hdr_token(struct mime_hdr *h, const char *t, size_t n)
{
	if (h->has_token && n > mime_hdr_room(h)) {
		mime_hdr_fold(h);
	} else if (h->sep) {
		mime_putc(h->b, ' ');
		h->col++;
	}
	mime_put(h->b, t, n);
	h->col += n;
	h->sep = 1;
	h->has_token = 1;
}

static size_t mime_b64(char *out, const unsigned char *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (unsigned long)in[i] << 16 | (i + 1 < n ? (unsigned long)in[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

/* Whole value as B encoded-words.  Whitespace between adjacent encoded-words
 * is dropped by decoders (RFC 2047 6.2), so spaces inside the value travel
 * inside the encoded text and the folds between words add nothing. */
static void mime_hdr_ewords(struct mime_hdr *h, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char w[MIME_EW_MAX + 1];
	size_t i = 0, j, l, avail, lim, budget, wl;

	while (i < n && !h->b->err) {
		avail = mime_hdr_room(h);
		if (avail < MIME_EW_MIN && h->has_token) {
			mime_hdr_fold(h);
			avail = mime_hdr_room(h);
		}
		/* an over-full first line still gets one minimal word */
		lim = avail < MIME_EW_MIN ? MIME_EW_MIN : avail < MIME_EW_MAX ? avail : MIME_EW_MAX;
		budget = (lim - MIME_EW_OVERHEAD) / 4 * 3;
		/* Whole UTF-8 sequences only: a word must decode on its own. */
		for (j = i; j < n; j += l) {
			l = mime_utf8_seq(u + j, n - j);
			if (!l || j - i + l > budget)
				break;
		}
		if (j == i) { /* unreachable for validated input; avoid looping */
			h->b->err = 1;
			return;
		}
		memcpy(w, MIME_EW_PRE, sizeof MIME_EW_PRE - 1);
		wl = sizeof MIME_EW_PRE - 1;
		wl += mime_b64(w + wl, u + i, j - i);
		w[wl++] = '?';
		w[wl++] = '=';
		mime_hdr_token(h, w, wl);
		i = j;
	}
}

/* Can the value go out verbatim?  Printable ASCII words separated by single
 * spaces; leading/trailing/double spaces would not survive parsers' whitespace
 * handling, and "=?" would be mistaken for an encoded-word. */
static int mime_plain_chars_ok(const char *s, size_t n)
{
	size_t i;

	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' ? s[i + 1] == ' ' : c < 0x21 || c > 0x7E)
			return 0;
		if (c == '=' && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/* Would the space-separated words fit when folded only between words, with
 * the first on the current line? */
static int mime_words_fit(const struct mime_hdr *h, const char *s, size_t n)
{
	size_t i, w = 0, room = mime_hdr_room(h);

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ') {
			w++;
			continue;
		}
		if (w > room)
			return 0;
		room = MIME_LINE_MAX - 1; /* later words may start a folded line */
		w = 0;
	}
	return 1;
}

static void mime_hdr_words(struct mime_hdr *h, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] != ' '; j++)
			;
		mime_hdr_token(h, s + i, j - i);
		i = j + 1;
	}
}

/* Unstructured value (Subject). */
static void mime_hdr_unstructured(struct mime_hdr *h, const char *s)
{
	size_t n = strlen(s);

	if (mime_plain_chars_ok(s, n) && mime_words_fit(h, s, n))
		mime_hdr_words(h, s, n);
	else
		mime_hdr_ewords(h, s, n);
}

/* Display name (RFC 5322 phrase): atoms as is, ASCII with specials as a
 * quoted-string, anything else (or too long to fold) as encoded-words.  The
 * first word uses the rest of the line, so names up to 45 octets are a single
 * encoded-word: some parsers (Python 3.11's email.headerregistry) wrongly keep
 * the space between adjacent encoded-words in a phrase. */
static void mime_hdr_phrase(struct mime_hdr *h, const char *s)
{
	size_t n = strlen(s), i, j, k, qn, w = 0, room;
	int atoms = 1, first = 1;
	char q[2 * MIME_LINE_MAX + 2];

	if (!mime_plain_chars_ok(s, n)) {
		mime_hdr_ewords(h, s, n);
		return;
	}
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && !mime_is_atext((unsigned char)s[i]))
			atoms = 0;
	if (atoms) {
		if (mime_words_fit(h, s, n))
			mime_hdr_words(h, s, n);
		else
			mime_hdr_ewords(h, s, n);
		return;
	}
	/* Quoted-string, folded at its (single) spaces: FWS is allowed inside
	 * and unfolding restores the space exactly.  Check every piece fits,
	 * counting quotes and escapes, before writing anything. */
	room = mime_hdr_room(h);
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == ' ') {
			w += (first ? 1 : 0) + (i == n ? 1 : 0); /* the quotes */
			first = 0;
			if (w > room) {
				mime_hdr_ewords(h, s, n);
				return;
			}
			room = MIME_LINE_MAX - 1;
			w = 0;
			continue;
		}
		w += (s[i] == '"' || s[i] == '\\') ? 2 : 1;
	}
	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && s[j] != ' '; j++)
			;
		qn = 0;
		if (i == 0)
			q[qn++] = '"';
		for (k = i; k < j; k++) {
			if (s[k] == '"' || s[k] == '\\')
				q[qn++] = '\\';
			q[qn++] = s[k];
		}
		if (j == n)
			q[qn++] = '"';
		mime_hdr_token(h, q, qn);
	}
}

static void mime_hdr_mailbox(struct mime_buf *b, const char *field, const char *name,
			     const char *addr)
{
	struct mime_hdr h;
	char t[MIME_ADDR_MAX + 3];
	size_t n = strlen(addr);

	mime_hdr_begin(&h, b, field);
	if (name) {
		mime_hdr_phrase(&h, name);
		t[0] = '<';
		memcpy(t + 1, addr, n);
		t[n + 1] = '>';
		mime_hdr_token(&h, t, n + 2);
	} else {
		mime_hdr_token(&h, addr, n);
	}
	mime_hdr_end(&h);
}

/* ---- Date */

/* Days since 1970-01-01 -> civil date (proleptic Gregorian, H. Hinnant's
 * algorithm); avoids gmtime_r's time_t range and strftime's locale. */
static void mime_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 1900-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: four-digit years only. */
#define MIME_DATE_MIN INT64_C(-2208988800)
#define MIME_DATE_MAX INT64_C(253402300799)

static void mime_hdr_date(struct mime_buf *b, int64_t t)
{
	static const char wd[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mo[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, d;
	char s[64];

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	mime_civil(days, &y, &m, &d);
	snprintf(s, sizeof s, "Date: %s, %02u %s %04d %02d:%02d:%02d +0000\r\n",
		 wd[((days % 7) + 7) % 7], d, mo[m - 1], (int)y, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	mime_puts(b, s);
}

/* ---- quoted-printable body (RFC 2045 6.7) */

static int mime_qp_literal(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7E && c != '=') || c == ' ' || c == '\t';
}

/* Appends s as QP with line ends canonicalised to CRLF.  Output always ends in
 * CRLF (a soft break when s does not end in a newline, so nothing is added to
 * the decoded text); empty input gives empty output.  The worst case is
 * reserved once (every octet "=XX", a soft break every 25 of them), then
 * written without a bounds check per octet. */
static void mime_qp(struct mime_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i = 0, col = 0, lim, tl;
	unsigned char c, nx;
	int enc, eol, eoi, pass;
	char *o;

	if (n > (SIZE_MAX - 16) / 4) {
		b->err = 1;
		return;
	}
	mime_reserve(b, 4 * n + 3);
	if (b->err)
		return;
	o = b->p + b->len;
	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			i += (c == '\r' && s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		nx = (unsigned char)s[i + 1];
		eoi = nx == '\0';
		eol = nx == '\r' || nx == '\n';
		/* A line may reach 76 when a hard break follows, 75 otherwise to
		 * leave room for the soft-break '='. */
		lim = eol ? MIME_QP_MAX : MIME_QP_MAX - 1;
		for (pass = 0; pass < 2; pass++) {
			enc = !mime_qp_literal(c) ||
				/* trailing white space may be stripped in transit */
				((c == ' ' || c == '\t') && (eol || eoi)) ||
				/* line-start '.' (SMTP) and "From " (mbox) get mangled */
				(col == 0 &&
				 (c == '.' || (c == 'F' && !strncmp(s + i, "From ", 5))));
			tl = enc ? 3 : 1;
			if (col + tl <= lim || col == 0)
				break;
			*o++ = '=';
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
		if (enc) {
			*o++ = '=';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
		col += tl;
		i++;
	}
	if (n && s[n - 1] != '\n' && s[n - 1] != '\r') {
		*o++ = '=';
		*o++ = '\r';
		*o++ = '\n';
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

/* ---- boundary */

static uint64_t mime_fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static int mime_contains(const struct mime_buf *b, const char *needle)
{
	size_t nl = strlen(needle), i;

	for (i = 0; b->len >= nl && i <= b->len - nl; i++)
		if (b->p[i] == needle[0] && !memcmp(b->p + i, needle, nl))
			return 1;
	return 0;
}

#define MIME_BOUNDARY_LEN (sizeof MIME_BOUNDARY_PRE - 1 + 32)

/* Deterministic per message id; the salt loop is belt and braces since "=_"
 * cannot occur in QP output anyway. */
static void mime_boundary(char out[MIME_BOUNDARY_LEN + 1], const char *msgid,
			  const struct mime_buf *text, const struct mime_buf *html)
{
	uint64_t salt, a, b;

	for (salt = 0;; salt++) {
		a = mime_fnv1a(msgid, UINT64_C(0xcbf29ce484222325) ^ salt);
		b = mime_fnv1a(msgid, UINT64_C(0x84222325cbf29ce4) + salt);
		snprintf(out, MIME_BOUNDARY_LEN + 1, "%s%016llx%016llx", MIME_BOUNDARY_PRE,
			 (unsigned long long)a, (unsigned long long)b);
		if (!mime_contains(text, out) && !mime_contains(html, out))
			return;
	}
}

/* ---- public API */

const char *mime_refusal(const struct mime_msg *m)
{
	static const char *const bad_utf8[3] = {"sender name is not valid UTF-8",
						"recipient name is not valid UTF-8",
						"subject is not valid UTF-8"};
	static const char *const control[3] = {
		"sender name has a control character (CR, LF, ...)",
		"recipient name has a control character (CR, LF, ...)",
		"subject has a control character (CR, LF, ...)"};
	const char *names[3];
	size_t i;

	if (!m || !m->from_addr || !m->to_addr || !m->subject || !m->text || !m->message_id)
		return "a required field is missing";
	if (!mime_addr_ok(m->from_addr))
		return "sender address is not a plain ASCII addr-spec";
	if (!mime_addr_ok(m->to_addr))
		return "recipient address is not a plain ASCII addr-spec";
	if (!mime_msgid_ok(m->message_id))
		return "message id is malformed";
	names[0] = m->from_name;
	names[1] = m->to_name;
	names[2] = m->subject;
	for (i = 0; i < 3; i++)
		if (names[i] && !mime_hdr_text_ok(names[i]))
			return mime_utf8_ok(names[i], strlen(names[i])) ? control[i] : bad_utf8[i];
	if (!mime_utf8_ok(m->text, strlen(m->text)))
		return "text body is not valid UTF-8";
	if (m->html && !mime_utf8_ok(m->html, strlen(m->html)))
		return "HTML body is not valid UTF-8";
	if (mime_opt(m->list_unsubscribe_url) && !mime_https_ok(m->list_unsubscribe_url))
		return "unsubscribe URL is not a plain https URL";
	if (mime_opt(m->list_unsubscribe_mailto) && !mime_mailto_ok(m->list_unsubscribe_mailto))
		return "unsubscribe mailto is malformed";
	if (m->date < MIME_DATE_MIN || m->date > MIME_DATE_MAX)
		return "date is outside 1900..9999";
	return NULL;
}

static void mime_hdr_unsubscribe(struct mime_buf *b, const char *mailto, const char *url)
{
	struct mime_hdr h;
	char t[MIME_URI_MAX + 16];
	int n;

	if (!mailto && !url)
		return;
	mime_hdr_begin(&h, b, "List-Unsubscribe");
	if (mailto) {
		n = snprintf(t, sizeof t, "<%s%s>%s",
			     mime_has_prefix_ci(mailto, "mailto:") ? "" : "mailto:", mailto,
			     url ? "," : "");
		mime_hdr_token(&h, t, (size_t)n);
	}
	if (url) {
		n = snprintf(t, sizeof t, "<%s>", url);
		mime_hdr_token(&h, t, (size_t)n);
	}
	mime_hdr_end(&h);
	/* RFC 8058 one-click needs an https URI to POST to. */
	if (url)
		mime_puts(b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

static void mime_part_headers(struct mime_buf *b, const char *type)
{
	mime_puts(b, "Content-Type: ");
	mime_puts(b, type);
	mime_puts(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n");
}

/* The CRLF before each "--boundary" belongs to the delimiter (RFC 2046
 * 5.1.1), so a part decodes to exactly its QP content. */
static void mime_part(struct mime_buf *b, const char *bnd, const char *type,
		      const struct mime_buf *body)
{
	mime_puts(b, "\r\n--");
	mime_puts(b, bnd);
	mime_puts(b, "\r\n");
	mime_part_headers(b, type);
	mime_put(b, "\r\n", 2);
	mime_put(b, body->p, body->len);
}

char *mime_build(const struct mime_msg *m, size_t *len_out)
{
	struct mime_buf out = {0}, text = {0}, html = {0};
	struct mime_hdr h;
	char bnd[MIME_BOUNDARY_LEN + 1], t[MIME_MSGID_MAX + 16];
	const char *html_src;
	int n;

	if (mime_refusal(m))
		return NULL;
	html_src = mime_opt(m->html);
	mime_qp(&text, m->text);
	if (html_src)
		mime_qp(&html, html_src);
	if (text.err || html.err) {
		out.err = 1;
		goto done;
	}

	mime_hdr_date(&out, m->date);
	mime_hdr_mailbox(&out, "From", mime_opt(m->from_name), m->from_addr);
	mime_hdr_mailbox(&out, "To", mime_opt(m->to_name), m->to_addr);
	mime_hdr_begin(&h, &out, "Subject");
	mime_hdr_unstructured(&h, m->subject);
	mime_hdr_end(&h);
	mime_hdr_begin(&h, &out, "Message-ID");
	n = snprintf(t, sizeof t, "<%s>", m->message_id);
	mime_hdr_token(&h, t, (size_t)n);
	mime_hdr_end(&h);
	/* Auto-Submitted is deliberately not emitted (product decision). */
	mime_puts(&out, "MIME-Version: 1.0\r\n");
	mime_hdr_unsubscribe(&out, mime_opt(m->list_unsubscribe_mailto),
			     mime_opt(m->list_unsubscribe_url));

	if (!html_src) {
		mime_part_headers(&out, "text/plain");
		mime_put(&out, "\r\n", 2);
		mime_put(&out, text.p, text.len);
		goto done;
	}
	mime_boundary(bnd, m->message_id, &text, &html);
	mime_hdr_begin(&h, &out, "Content-Type");
	mime_hdr_token(&h, "multipart/alternative;", 22);
	n = snprintf(t, sizeof t, "boundary=\"%s\"", bnd);
	mime_hdr_token(&h, t, (size_t)n);
	mime_hdr_end(&h);
	mime_puts(&out, "\r\nThis is a multi-part message in MIME format.\r\n");
	mime_part(&out, bnd, "text/plain", &text);
	mime_part(&out, bnd, "text/html", &html);
	mime_puts(&out, "\r\n--");
	mime_puts(&out, bnd);
	mime_puts(&out, "--\r\n");
done:
	free(text.p);
	free(html.p);
	return mime_take(&out, len_out);
}

char *mime_encode_header(const char *utf8, size_t first_line_used)
{
	struct mime_buf b = {0};
	struct mime_hdr h;

	if (!utf8 || !mime_hdr_text_ok(utf8))
		return NULL;
	h.b = &b;
	/* clamp so column arithmetic cannot wrap */
	h.col = first_line_used > MIME_LINE_MAX + 1 ? MIME_LINE_MAX + 1 : first_line_used;
	h.sep = 0;
	h.has_token = 0;
	mime_hdr_unstructured(&h, utf8);
	return mime_take(&b, NULL);
}
