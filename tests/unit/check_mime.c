/* Unit tests for lib/mime: structural checks on the raw octets, plus a round
 * trip through a real parser (Python's stdlib email package, driven by
 * tests/unit/mime_parse.py) proving every header and body decodes back to the
 * original UTF-8.  The script is found under $DUNN_SRCDIR (default "."). */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mime.h"

#define PYTHON "/usr/bin/python3"

/* ---- helpers */

static struct mime_msg base_msg(void)
{
	struct mime_msg m = {
		.from_name = "Acme Billing",
		.from_addr = "billing@acme.example",
		.to_name = "Jane Doe",
		.to_addr = "jane@example.org",
		.subject = "Your invoice INV-1001 is overdue",
		.text = "Dear Jane,\n\nInvoice INV-1001 over EUR 120.00 is overdue.\n",
		.html = NULL,
		.message_id = "d123.c45@dunnd.example.com",
		.list_unsubscribe_url = NULL,
		.list_unsubscribe_mailto = NULL,
		.date = 1700000000,
	};
	return m;
}

/* Strict UTF-8 check, independent of the library's. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;

	while (i < n) {
		unsigned c = s[i], cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/* Offset of the blank line ending the top-level header block. */
static size_t header_end(const char *s)
{
	const char *e = strstr(s, "\r\n\r\n");

	ck_assert_ptr_nonnull(e);
	return (size_t)(e - s) + 2;
}

/* Unfolded value of the n-th (0-based) top-level header called name, or NULL. */
static char *get_header_n(const char *s, const char *name, int nth)
{
	size_t hend = header_end(s), nl = strlen(name), i = 0;

	while (i < hend) {
		size_t eol = i;

		while (s[eol] != '\r')
			eol++;
		if (eol - i > nl && strncasecmp(s + i, name, nl) == 0 && s[i + nl] == ':' &&
		    nth-- == 0) {
			/* value runs until a line that does not start with WSP */
			size_t j = i + nl + 1, end = eol, o = 0;
			char *v;

			while (end + 2 < hend && (s[end + 2] == ' ' || s[end + 2] == '\t')) {
				end += 2;
				while (s[end] != '\r')
					end++;
			}
			v = malloc(end - j + 1);
			ck_assert_ptr_nonnull(v);
			for (; j < end; j++)
				if (s[j] != '\r' && s[j] != '\n')
					v[o++] = s[j];
			v[o] = '\0';
			return v;
		}
		i = eol + 2;
	}
	return NULL;
}

static char *get_header(const char *s, const char *name)
{
	return get_header_n(s, name, 0);
}

static int header_count(const char *s, const char *name)
{
	int n = 0;
	char *v;

	while ((v = get_header_n(s, name, n)) != NULL) {
		free(v);
		n++;
	}
	return n;
}

static size_t count_occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* CRLF only, 7-bit, line limits (998 always; 78 in the header block; 76 in
 * the body, which is all QP, boundaries and part headers), and header syntax:
 * every line is "Name: ..." or a fold starting with WSP. */
static void check_wellformed(const char *s, size_t len)
{
	size_t i, start = 0, hend;
	int in_headers = 1;

	ck_assert_uint_eq(strlen(s), len);
	ck_assert_uint_ge(len, 2);
	ck_assert_msg(s[len - 2] == '\r' && s[len - 1] == '\n', "message must end in CRLF");
	hend = header_end(s);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		ck_assert_msg(c < 0x80, "8-bit octet 0x%02x at %zu", c, i);
		if (c == '\r')
			ck_assert_msg(i + 1 < len && s[i + 1] == '\n', "bare CR at %zu", i);
		if (c == '\n') {
			size_t ll;

			ck_assert_msg(i > 0 && s[i - 1] == '\r', "bare LF at %zu", i);
			ll = i - 1 - start;
			ck_assert_msg(ll <= 998, "line at %zu is %zu octets", start, ll);
			/* trailing white space may be stripped in transit (RFC 2045 6.7) */
			ck_assert_msg(ll == 0 || (s[i - 2] != ' ' && s[i - 2] != '\t'),
				      "line ends in white space: %.*s", (int)ll, s + start);
			if (in_headers && start < hend) {
				/* > 78 only for one unsplittable token (a URL must not
				 * get whitespace inside its <...>, RFC 2369) */
				if (ll > 78) {
					size_t t = start + strspn(s + start, " \t");

					if (s[start] != ' ' && s[start] != '\t')
						t = start + strcspn(s + start, ":") + 2;
					ck_assert_msg(memchr(s + t, ' ', i - 1 - t) == NULL &&
							      memchr(s + t, '\t', i - 1 - t) ==
								      NULL,
						      "header line too long (%zu): %.*s", ll,
						      (int)ll, s + start);
				}
				if (s[start] == ' ' || s[start] == '\t') {
					ck_assert_msg(start > 0, "fold on first line");
					/* a fold line must carry something besides WSP */
					ck_assert_msg(strspn(s + start, " \t") < ll,
						      "empty fold line");
				} else {
					size_t nl = strcspn(s + start, ":\r");

					ck_assert_msg(s[start + nl] == ':' && nl > 0,
						      "not a header line: %.*s", (int)ll,
						      s + start);
				}
				/* no fold right after "Name:": read as a leading space */
				ck_assert_msg(
					!(s[i - 2] == ':' && (s[i + 1] == ' ' || s[i + 1] == '\t')),
					"fold right after field name: %.*s", (int)ll, s + start);
			} else {
				in_headers = 0;
				ck_assert_msg(ll <= 76, "body line too long (%zu): %.*s", ll,
					      (int)ll, s + start);
				/* SMTP dot-stuffing and mbox "From " quoting mangle these */
				ck_assert_msg(s[start] != '.' &&
						      strncmp(s + start, "From ", 5) != 0,
					      "unsafe line start: %.*s", (int)ll, s + start);
			}
			start = i + 1;
		}
	}
}

/* Every RFC 2047 word in the raw header is <= 75 chars and its payload is
 * complete UTF-8 on its own (no sequence split across words). */
static void check_encoded_words(const char *s, const char *name)
{
	char *v = get_header(s, name);
	char *tok, *save = NULL;

	ck_assert_ptr_nonnull(v);
	for (tok = strtok_r(v, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		size_t tl = strlen(tok), bl, pad = 0;
		unsigned char dec[80];
		int dl;

		if (strncmp(tok, "=?", 2) != 0)
			continue;
		ck_assert_msg(tl <= 75, "encoded-word too long: %s", tok);
		ck_assert_msg(strncmp(tok, "=?UTF-8?B?", 10) == 0, "bad encoded-word %s", tok);
		ck_assert_msg(strcmp(tok + tl - 2, "?=") == 0, "bad encoded-word %s", tok);
		bl = tl - 12;
		ck_assert_uint_eq(bl % 4, 0);
		dl = EVP_DecodeBlock(dec, (const unsigned char *)tok + 10, (int)bl);
		ck_assert_int_ge(dl, 0);
		if (bl && tok[10 + bl - 1] == '=')
			pad++;
		if (bl > 1 && tok[10 + bl - 2] == '=')
			pad++;
		ck_assert_msg(dl > (int)pad, "empty encoded-word %s", tok);
		ck_assert_msg(utf8_valid(dec, (size_t)dl - pad), "UTF-8 split in %s", tok);
	}
	free(v);
}

/* What a parser yields for a text part: line ends become LF. */
static char *lf_normalize(const char *s)
{
	char *o = malloc(strlen(s) + 1);
	size_t i, n = 0;

	ck_assert_ptr_nonnull(o);
	for (i = 0; s[i]; i++) {
		if (s[i] == '\r') {
			o[n++] = '\n';
			if (s[i + 1] == '\n')
				i++;
		} else {
			o[n++] = s[i];
		}
	}
	o[n] = '\0';
	return o;
}

static const char *script_path(char *buf, size_t size)
{
	const char *src = getenv("DUNN_SRCDIR");

	snprintf(buf, size, "%s/tests/unit/mime_parse.py", src && *src ? src : ".");
	return buf;
}

/* Write the message to a temp file, parse it with Python, return its JSON.
 * The file is removed before any assertion can abort the test. */
static json_t *python_parse(const char *msg, size_t len)
{
	char tmpl[256], script[4096], *out = NULL;
	const char *tmpdir = getenv("TMPDIR");
	size_t olen = 0, ocap = 0;
	int fd, pfd[2] = {-1, -1}, status = -1, wrote;
	pid_t pid = -1;
	json_error_t jerr;
	json_t *j;

	script_path(script, sizeof script);
	ck_assert_msg(access(script, R_OK) == 0, "%s not found (set DUNN_SRCDIR)", script);
	snprintf(tmpl, sizeof tmpl, "%s/check_mime_XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(tmpl);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	wrote = write(fd, msg, len) == (ssize_t)len;
	close(fd);
	if (wrote && pipe(pfd) == 0)
		pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl(PYTHON, PYTHON, script, tmpl, (char *)NULL);
		_exit(127);
	}
	if (pfd[1] >= 0)
		close(pfd[1]);
	while (pid > 0) {
		ssize_t r;

		if (ocap - olen < 4096) {
			char *np = realloc(out, ocap ? ocap * 2 : 65536);

			if (!np)
				break;
			out = np;
			ocap = ocap ? ocap * 2 : 65536;
		}
		r = read(pfd[0], out + olen, ocap - olen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		olen += (size_t)r;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	unlink(tmpl);

	ck_assert_msg(wrote, "writing %s failed", tmpl);
	ck_assert_msg(pid > 0, "could not start %s", PYTHON);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed (status %d)",
		      script, status);
	j = json_loadb(out ? out : "", olen, 0, &jerr);
	free(out);
	ck_assert_msg(j != NULL, "bad JSON from parser: %s", jerr.text);
	return j;
}

static void expect_json_str(json_t *j, const char *key, const char *want)
{
	json_t *v = json_object_get(j, key);

	if (!want) {
		ck_assert_msg(v == NULL || json_is_null(v), "%s: expected none", key);
		return;
	}
	ck_assert_msg(json_is_string(v), "%s: missing", key);
	ck_assert_msg(strcmp(json_string_value(v), want) == 0, "%s: got \"%s\", want \"%s\"", key,
		      json_string_value(v), want);
}

static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

static char *strip_ws(const char *s)
{
	char *o = malloc(strlen(s) + 1);
	size_t n = 0;

	ck_assert_ptr_nonnull(o);
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			o[n++] = *s;
	o[n] = '\0';
	return o;
}

/* A display name must decode exactly under RFC 2047 6.2 (what MUAs do).
 * Python's policy.default display_name is exact too unless the name needed
 * several encoded-words or has whitespace runs (see mime_parse.py); then it
 * must still match up to whitespace. */
static void expect_display_name(json_t *j, const char *raw, const char *field, const char *key,
				const char *name)
{
	char k[64], *hv, *a, *b;
	const char *want = opt(name) ? name : "";
	json_t *v;
	size_t nwords;

	snprintf(k, sizeof k, "%s_name_rfc2047", key);
	expect_json_str(j, k, want);
	snprintf(k, sizeof k, "%s_name", key);
	hv = get_header(raw, field);
	ck_assert_ptr_nonnull(hv);
	nwords = count_occurrences(hv, "=?UTF-8?B?");
	free(hv);
	if (nwords <= 1 && !strchr(want, '\t') && !strstr(want, "  ")) {
		expect_json_str(j, k, want);
		return;
	}
	v = json_object_get(j, k);
	ck_assert_msg(json_is_string(v), "%s: missing", k);
	a = strip_ws(json_string_value(v));
	b = strip_ws(want);
	ck_assert_msg(strcmp(a, b) == 0, "%s: got \"%s\", want \"%s\"", k, json_string_value(v),
		      want);
	free(a);
	free(b);
}

/* Build m, check the raw octets, then check what Python decodes. */
static void check_roundtrip(const struct mime_msg *m)
{
	size_t len, i, nh = 0;
	char *s = mime_build(m, &len);
	const char *url = opt(m->list_unsubscribe_url), *mailto = opt(m->list_unsubscribe_mailto);
	const char *want_hdrs[12];
	char lu[2048], *norm;
	json_t *j, *a;

	ck_assert_msg(s != NULL, "mime_build failed for subject \"%s\"", m->subject);
	check_wellformed(s, len);
	check_encoded_words(s, "Subject");
	check_encoded_words(s, "From");
	check_encoded_words(s, "To");

	j = python_parse(s, len);
	a = json_object_get(j, "defects");
	ck_assert_msg(json_is_array(a) && json_array_size(a) == 0, "parser defects: %s",
		      json_string_value(json_array_get(a, 0)));

	expect_json_str(j, "subject", m->subject);
	expect_display_name(j, s, "From", "from", m->from_name);
	expect_json_str(j, "from_addr", m->from_addr);
	expect_display_name(j, s, "To", "to", m->to_name);
	expect_json_str(j, "to_addr", m->to_addr);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "from_count")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "to_count")), 1);
	expect_json_str(j, "message_id", m->message_id);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "date")), m->date);

	lu[0] = '\0';
	if (mailto)
		snprintf(lu, sizeof lu, "<%s%s>%s", strncmp(mailto, "mailto:", 7) ? "mailto:" : "",
			 mailto, url ? ", " : "");
	if (url)
		snprintf(lu + strlen(lu), sizeof lu - strlen(lu), "<%s>", url);
	expect_json_str(j, "list_unsubscribe", lu[0] ? lu : NULL);
	expect_json_str(j, "list_unsubscribe_post", url ? "List-Unsubscribe=One-Click" : NULL);

	norm = lf_normalize(m->text);
	expect_json_str(j, "text", norm);
	free(norm);
	if (opt(m->html)) {
		norm = lf_normalize(m->html);
		expect_json_str(j, "html", norm);
		free(norm);
		expect_json_str(j, "content_type", "multipart/alternative");
		a = json_object_get(j, "parts");
		ck_assert_uint_eq(json_array_size(a), 3);
		ck_assert_str_eq(json_string_value(json_array_get(a, 1)), "text/plain");
		ck_assert_str_eq(json_string_value(json_array_get(a, 2)), "text/html");
		/* boundary: once in Content-Type, then two delimiters and the close */
		ck_assert_uint_eq(
			count_occurrences(s, json_string_value(json_object_get(j, "boundary"))), 4);
	} else {
		expect_json_str(j, "html", NULL);
		expect_json_str(j, "content_type", "text/plain");
		ck_assert_uint_eq(json_array_size(json_object_get(j, "parts")), 1);
	}

	/* exactly the expected header set, each once: nothing smuggled in */
	want_hdrs[nh++] = "date";
	want_hdrs[nh++] = "from";
	want_hdrs[nh++] = "to";
	want_hdrs[nh++] = "subject";
	want_hdrs[nh++] = "message-id";
	want_hdrs[nh++] = "mime-version";
	if (url || mailto)
		want_hdrs[nh++] = "list-unsubscribe";
	if (url)
		want_hdrs[nh++] = "list-unsubscribe-post";
	want_hdrs[nh++] = "content-type";
	if (!opt(m->html))
		want_hdrs[nh++] = "content-transfer-encoding";
	a = json_object_get(j, "header_names");
	ck_assert_uint_eq(json_array_size(a), nh);
	for (i = 0; i < nh; i++)
		ck_assert_str_eq(json_string_value(json_array_get(a, i)), want_hdrs[i]);

	json_decref(j);
	free(s);
}

/* ---- test data */

#define KO "미납 요금 안내: ₩120,000"
#define JA "お支払いのお願い ￥5,000"
#define ZH "付款提醒 ¥123.45"
#define KO10 "가나다라마바사아자차"
#define KO100 KO10 KO10 KO10 KO10 KO10 KO10 KO10 KO10 KO10 KO10
#define KO300 KO100 KO100 KO100
#define KO_SP10 "미납 요금 안내 드림 "
#define KO_SP100 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10 KO_SP10

static const struct lang_case {
	const char *subject, *from_name, *to_name, *text, *html;
} lang_cases[] = {
	{"Your invoice INV-1001 is overdue", "Acme Billing", "Jane Doe",
	 "Dear Jane,\n\nplease pay EUR 120.00.\n",
	 "<p>Dear Jane,</p>\n<p>please pay EUR 120.00.</p>\n"},
	{KO, "에이크미 청구팀", "김철수", "김철수 고객님,\n\n" KO " 을 납부해 주십시오.\n",
	 "<p>김철수 고객님,</p><p>" KO "</p>"},
	{JA, "アクメ請求部", "山田太郎", "山田太郎様\r\n\r\n" JA "。よろしくお願いいたします。\r\n",
	 "<p>" JA "</p>\r\n"},
	{ZH, "阿克米账单部", "王小明", "王小明您好：\n" ZH "\n", "<p>" ZH "</p>"},
	/* 300 Korean characters with and without spaces, long names */
	{KO300, KO100, KO100 "님", KO300 "\n" KO300, "<p>" KO300 "</p>"},
	{KO_SP100 KO_SP100 KO_SP100, KO_SP100, "김 " KO_SP10 KO_SP10, KO_SP100, NULL},
	/* mixed scripts, emoji (4-byte sequences) and an accented Latin name */
	{"Zahlungserinnerung 💸💸 für Müller — 請求書 💳", "Zoë Ünal 💼", "François Müller",
	 "Grüße 💸\n", NULL},
	/* ASCII display names needing quotes, escapes, or too long for one line */
	{"Re: [Acme] \"Final\" notice (2/3) - act now!", "Acme, Inc. \"Billing\" \\ Dept.",
	 "O'Brien, Pat J.", "x\n", "<b>x</b>"},
	{"A very long plain ASCII subject line that keeps going well past the seventy-eight "
	 "column limit so that it must be folded between words, twice or even three times "
	 "over",
	 "Accounts Receivable Department of the Acme Widget Manufacturing Company Incorporated "
	 "International",
	 "Doe, Jane (Accounts Payable, Acme Widget Manufacturing Company Incorporated Intl.)",
	 "short\n", NULL},
	/* ASCII that cannot go out verbatim */
	{"  leading and trailing spaces  ", " Spaced  Name ", "Tab\tName", "t\n", NULL},
	{"looks like =?UTF-8?B?SGk=?= an encoded word", "=?UTF-8?B?SGk=?=", "Plain", "t\n", NULL},
	{"Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword "
	 "and more",
	 "Averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword", NULL,
	 "t\n", NULL},
	{"", NULL, NULL, "", NULL},
	{"Empty bodies", "N", "M", "", ""},
	{"Tab\tin  subject", "Tab\tName", "Two  spaces", "t\n", NULL},
};

/* Bodies that exercise quoted-printable edge cases. */
static const char *qp_bodies[] = {
	"no trailing newline",
	"trailing spaces   \ntrailing tab\t\n \n\t\nend",
	"ends with space ",
	"From the start\nFrom\nFrom \n.\n..leading dots\n. \n",
	"= equals == =3D =\n=",
	"CR only\rlines\r\rhere\r",
	"mixed\r\nline\nends\r\n\n",
	/* 74..78 chars of ASCII: around the soft-break limit */
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\n"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.",
	KO300 "\n" JA JA JA JA "\n" ZH ZH ZH ZH ZH ZH "💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸",
	"<html><body style=\"font-family: sans-serif\"><table><tr><td>Amount</td><td>₩120,000"
	"</td></tr></table><a href=\"https://pay.example.com/i/INV-1001?token=abc&amp;x=1\">Pay"
	"</a></body></html>",
	"\n\n\n",
	"--=_dunnd_ looks like a boundary\n--\n",
};

/* ---- tests */

START_TEST(test_languages_roundtrip)
{
	const struct lang_case *c = &lang_cases[_i];
	struct mime_msg m = base_msg();

	m.subject = c->subject;
	m.from_name = c->from_name;
	m.to_name = c->to_name;
	m.text = c->text;
	m.html = c->html;
	check_roundtrip(&m);
	/* and once more as the other content type */
	m.html = c->html ? NULL : "<p>" KO "</p>";
	m.list_unsubscribe_url = "https://dunnd.example.com/u/abc?t=1";
	check_roundtrip(&m);
}
END_TEST

START_TEST(test_qp_bodies_roundtrip)
{
	struct mime_msg m = base_msg();

	m.text = qp_bodies[_i];
	check_roundtrip(&m);
	m.html = qp_bodies[(_i + 1) % (int)(sizeof qp_bodies / sizeof qp_bodies[0])];
	check_roundtrip(&m);
}
END_TEST

/* Generated lines of every length 60..90 with each kind of character at the
 * fold position, in one message. */
START_TEST(test_qp_fold_positions)
{
	static const char *fill[] = {"x", " ", "\t", "=", "é", "₩", "💸", "."};
	size_t nf = sizeof fill / sizeof fill[0], cap = 1 << 16, n = 0, len, k, f;
	char *text = malloc(cap);
	struct mime_msg m = base_msg();

	ck_assert_ptr_nonnull(text);
	for (f = 0; f < nf; f++) {
		for (len = 60; len <= 90; len++) {
			for (k = 0; k < len - 1; k++)
				text[n++] = 'a';
			n += (size_t)sprintf(text + n, "%s\n", fill[f]);
			for (k = 0; k < len; k++)
				n += (size_t)sprintf(text + n, "%s", fill[f]);
			text[n++] = '\n';
		}
	}
	text[n] = '\0';
	ck_assert_uint_lt(n, cap);
	m.text = text;
	m.html = text;
	check_roundtrip(&m);
	free(text);
}
END_TEST

START_TEST(test_plain_headers_verbatim)
{
	struct mime_msg m = base_msg();
	size_t len;
	char *s = mime_build(&m, &len);

	ck_assert_ptr_nonnull(s);
	check_wellformed(s, len);
	/* ASCII stays readable: no needless encoded-words */
	ck_assert_ptr_nonnull(strstr(s, "\r\nSubject: Your invoice INV-1001 is overdue\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nFrom: Acme Billing <billing@acme.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nTo: Jane Doe <jane@example.org>\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nMessage-ID: <d123.c45@dunnd.example.com>\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
	ck_assert_ptr_nonnull(strstr(s,
				     "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
				     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
	ck_assert_int_eq(strncmp(s, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", 39), 0);
	ck_assert_ptr_null(strstr(s, "=?"));
	ck_assert_ptr_null(strstr(s, "Auto-Submitted"));
	free(s);

	m.from_name = NULL;
	m.to_name = "";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\r\nFrom: billing@acme.example\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nTo: jane@example.org\r\n"));
	free(s);
	check_roundtrip(&m);

	m.from_name = "Acme, Inc.";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\r\nFrom: \"Acme, Inc.\" <billing@acme.example>\r\n"));
	free(s);

	/* long ASCII words go out verbatim, folded between words */
	m.subject = "https://pay.example.com/invoices/INV-1001/abcdefghijklmnopqrstuvw is now due";
	s = mime_build(&m, &len);
	ck_assert_ptr_nonnull(s);
	check_wellformed(s, len);
	ck_assert_ptr_nonnull(strstr(s,
				     "\r\nSubject: https://pay.example.com/invoices/"
				     "INV-1001/abcdefghijklmnopqrstuvw is\r\n now due\r\n"));
	free(s);
	check_roundtrip(&m);
	/* ... unless the first cannot share the line with "Subject:": folding
	 * before it would read as a leading space, so it is encoded instead */
	m.subject = "https://pay.example.com/invoices/INV-1001/abcdefghijklmnopqrstuvwxyz01 due";
	s = mime_build(&m, &len);
	ck_assert_ptr_nonnull(s);
	check_wellformed(s, len);
	ck_assert_ptr_nonnull(strstr(s, "\r\nSubject: =?UTF-8?B?"));
	free(s);
	check_roundtrip(&m);
}
END_TEST

START_TEST(test_cjk_headers_encoded)
{
	struct mime_msg m = base_msg();
	size_t len;
	char *s, *v;

	m.subject = KO300;
	m.from_name = JA;
	m.to_name = ZH;
	s = mime_build(&m, &len);
	ck_assert_ptr_nonnull(s);
	check_wellformed(s, len);
	check_encoded_words(s, "Subject");
	check_encoded_words(s, "From");
	check_encoded_words(s, "To");
	/* 900 octets of UTF-8 need many words, so the Subject is folded */
	v = get_header(s, "Subject");
	ck_assert_uint_ge(count_occurrences(v, "=?UTF-8?B?"), 900 / 45);
	free(v);
	ck_assert_uint_ge(count_occurrences(s, "\r\n =?UTF-8?B?"), 900 / 45 - 1);
	v = get_header(s, "From");
	ck_assert_ptr_nonnull(strstr(v, "?= <billing@acme.example>"));
	free(v);
	free(s);
}
END_TEST

START_TEST(test_encode_header)
{
	static const char *vals[] = {KO, JA, ZH, KO300, "💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸💸", "aé"};
	char *e;
	size_t v, used, nv = sizeof vals / sizeof vals[0];

	e = mime_encode_header("Hello world", 9);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "Hello world");
	free(e);
	e = mime_encode_header("", 9);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "");
	free(e);
	e = mime_encode_header("ñ", 9);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "=?UTF-8?B?w7E=?=");
	free(e);

	for (v = 0; v < nv; v++) {
		for (used = 0; used <= 100; used += 7) {
			/* wrap in a header so the line checks can run on it */
			char *msg, *p, *line;
			size_t mlen, olen = 0, vl = strlen(vals[v]);
			unsigned char *dec;

			e = mime_encode_header(vals[v], used);
			ck_assert_ptr_nonnull(e);
			/* first line: used + its octets must fit, unless fewer than
			 * 20 (the smallest useful word) were left; never a leading fold */
			line = strstr(e, "\r\n");
			ck_assert_ptr_ne(line, e);
			ck_assert_uint_le(used + (line ? (size_t)(line - e) : strlen(e)),
					  used > 58 ? used + 20 : 78);
			for (p = e; (p = strstr(p, "\r\n")) != NULL; p += 2) {
				char *nx = strstr(p + 2, "\r\n");

				ck_assert_int_eq(p[2], ' ');
				ck_assert_uint_le(nx ? (size_t)(nx - p - 2) : strlen(p + 2), 78);
			}
			mlen = strlen(e) + 16;
			msg = malloc(mlen);
			ck_assert_ptr_nonnull(msg);
			snprintf(msg, mlen, "X: %s\r\n\r\n", e);
			check_encoded_words(msg, "X");

			/* the words' payloads concatenate back to the input */
			dec = malloc(vl + 64);
			ck_assert_ptr_nonnull(dec);
			for (p = strstr(e, "=?UTF-8?B?"); p; p = strstr(p, "=?UTF-8?B?")) {
				char *q = strstr(p + 10, "?=");
				int dl, pad = 0;

				ck_assert_ptr_nonnull(q);
				dl = EVP_DecodeBlock(dec + olen, (unsigned char *)p + 10,
						     (int)(q - p - 10));
				ck_assert_int_ge(dl, 0);
				pad = (q[-1] == '=') + (q[-2] == '=');
				olen += (size_t)(dl - pad);
				p = q + 2;
			}
			ck_assert_uint_eq(olen, vl);
			ck_assert_int_eq(memcmp(dec, vals[v], vl), 0);
			free(dec);
			free(msg);
			free(e);
		}
	}

	/* long ASCII is folded at spaces, not encoded */
	e = mime_encode_header("word word word word word word word word word word word word word "
			       "word word word word word",
			       9);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(strstr(e, "=?"));
	ck_assert_ptr_nonnull(strstr(e, "\r\n word"));
	free(e);

	/* a line that is already full: never a leading fold (parsers keep it
	 * as a leading space); one minimal word, then folds */
	e = mime_encode_header("Hello", SIZE_MAX);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "=?UTF-8?B?SGVsbG8=?=");
	free(e);
	e = mime_encode_header("Hello", 73);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "Hello");
	free(e);
	e = mime_encode_header("ñ", SIZE_MAX);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "=?UTF-8?B?w7E=?=");
	free(e);
	e = mime_encode_header("ñññññ", 78);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "=?UTF-8?B?w7HDscOx?=\r\n =?UTF-8?B?w7HDsQ==?=");
	free(e);

	ck_assert_ptr_null(mime_encode_header(NULL, 0));
	ck_assert_ptr_null(mime_encode_header("x\r\nBcc: evil@x", 9));
	ck_assert_ptr_null(mime_encode_header("x\nBcc: evil@x", 9));
	ck_assert_ptr_null(mime_encode_header("x\rBcc: evil@x", 9));
	ck_assert_ptr_null(mime_encode_header("bad \xff utf8", 9));
	ck_assert_ptr_null(mime_encode_header("overlong \xc0\xaf", 9));
	ck_assert_ptr_null(mime_encode_header("surrogate \xed\xa0\x80", 9));
	ck_assert_ptr_null(mime_encode_header("truncated \xe2\x82", 9));
	ck_assert_ptr_null(mime_encode_header("too big \xf4\x90\x80\x80", 9));
}
END_TEST

START_TEST(test_header_injection)
{
	static const char *evil[] = {"x\r\nBcc: evil@x", "x\nBcc: evil@x", "x\rBcc: evil@x", "\r\n",
				     "x\r\n\r\nbody"};
	size_t i;

	for (i = 0; i < sizeof evil / sizeof evil[0]; i++) {
		struct mime_msg m;

#define EXPECT_REJECT(field)                                                            \
	do {                                                                            \
		m = base_msg();                                                         \
		m.html = "<p>x</p>";                                                    \
		m.field = evil[i];                                                      \
		ck_assert_msg(mime_build(&m, NULL) == NULL, #field " accepted %zu", i); \
	} while (0)
		EXPECT_REJECT(subject);
		EXPECT_REJECT(from_name);
		EXPECT_REJECT(to_name);
		EXPECT_REJECT(from_addr);
		EXPECT_REJECT(to_addr);
		EXPECT_REJECT(message_id);
		EXPECT_REJECT(list_unsubscribe_url);
		EXPECT_REJECT(list_unsubscribe_mailto);
#undef EXPECT_REJECT
	}

	/* addresses and ids that would smuggle syntax */
	{
		static const char *bad_addr[] = {"evil@x>, <other@y",
						 "a b@c",
						 "<a@b>",
						 "a@b,c@d",
						 "a@b\tc",
						 "noat",
						 "@x",
						 "a@",
						 "a..b@c",
						 "a@b@c",
						 "\"unterminated@x",
						 "é@x"};
		struct mime_msg m = base_msg();

		for (i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
			m.to_addr = bad_addr[i];
			ck_assert_msg(mime_build(&m, NULL) == NULL, "accepted %s", bad_addr[i]);
		}
	}

	/* a message whose values contain header-like text still has one of each */
	{
		struct mime_msg m = base_msg();

		m.subject = "x Bcc: evil@x";
		m.to_name = "Bcc: evil@x";
		m.from_name = "Mallory <evil@x>, \"Bcc\"";
		check_roundtrip(&m);
	}
}
END_TEST

START_TEST(test_unsubscribe_headers)
{
	struct mime_msg m = base_msg();
	char *s, *v;

	/* neither */
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe"), 0);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe-Post"), 0);
	free(s);
	check_roundtrip(&m);

	/* URL only: both headers */
	m.list_unsubscribe_url = "https://dunnd.example.com/unsub?c=45&t=Zm9v";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe"), 1);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe-Post"), 1);
	v = get_header(s, "List-Unsubscribe");
	ck_assert_str_eq(v, " <https://dunnd.example.com/unsub?c=45&t=Zm9v>");
	free(v);
	v = get_header(s, "List-Unsubscribe-Post");
	ck_assert_str_eq(v, " List-Unsubscribe=One-Click");
	free(v);
	free(s);
	check_roundtrip(&m);

	/* both, mailto first */
	m.list_unsubscribe_mailto = "unsub+c45@dunnd.example.com";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	v = get_header(s, "List-Unsubscribe");
	ck_assert_str_eq(v,
			 " <mailto:unsub+c45@dunnd.example.com>,"
			 " <https://dunnd.example.com/unsub?c=45&t=Zm9v>");
	free(v);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe-Post"), 1);
	free(s);
	check_roundtrip(&m);

	/* mailto only: no one-click without an https URL */
	m.list_unsubscribe_url = NULL;
	m.list_unsubscribe_mailto = "mailto:unsub@dunnd.example.com?subject=unsubscribe";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	v = get_header(s, "List-Unsubscribe");
	ck_assert_str_eq(v, " <mailto:unsub@dunnd.example.com?subject=unsubscribe>");
	free(v);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe-Post"), 0);
	free(s);
	check_roundtrip(&m);

	/* empty strings count as absent */
	m.list_unsubscribe_url = "";
	m.list_unsubscribe_mailto = "";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(header_count(s, "List-Unsubscribe"), 0);
	free(s);

	/* long URL: its own folded line, never split */
	m.list_unsubscribe_mailto = "unsub@dunnd.example.com";
	m.list_unsubscribe_url = "https://dunnd.example.com/unsubscribe/very/long/path/segment/"
				 "that/goes/on/and/on?token=0123456789abcdef0123456789abcdef"
				 "0123456789abcdef&customer=12345";
	check_roundtrip(&m);

	/* not https, or characters that could break out of <...> */
	{
		static const char *bad[] = {"http://x.example/u", "https://",    "ftp://x",
					    "https://x/ y",       "https://x/>", "https://x/\"",
					    "https://x/é",        "javascript:x"};
		size_t i;

		m = base_msg();
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			m.list_unsubscribe_url = bad[i];
			ck_assert_msg(mime_build(&m, NULL) == NULL, "accepted %s", bad[i]);
		}
		m.list_unsubscribe_url = NULL;
		m.list_unsubscribe_mailto = "no-at-sign";
		ck_assert_ptr_null(mime_build(&m, NULL));
		m.list_unsubscribe_mailto = "a@b>";
		ck_assert_ptr_null(mime_build(&m, NULL));
	}
}
END_TEST

START_TEST(test_deterministic)
{
	struct mime_msg m = base_msg();
	size_t l1, l2, l3;
	char *a, *b, *c, *ba, *bc;

	m.subject = KO;
	m.html = "<p>" KO "</p>";
	m.list_unsubscribe_url = "https://dunnd.example.com/u";
	a = mime_build(&m, &l1);
	b = mime_build(&m, &l2);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(a, b, l1), 0);

	/* the boundary follows the message id */
	m.message_id = "d124.c45@dunnd.example.com";
	c = mime_build(&m, &l3);
	ck_assert_ptr_nonnull(c);
	ba = get_header(a, "Content-Type");
	bc = get_header(c, "Content-Type");
	ck_assert_str_ne(ba, bc);
	ck_assert_ptr_nonnull(strstr(ba, "boundary=\""));
	free(ba);
	free(bc);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Feed the message its own boundary as content: it must still be unique. */
START_TEST(test_boundary_not_in_content)
{
	struct mime_msg m = base_msg();
	char *s, *ct, *bnd, *q, text[512];

	m.html = "<p>x</p>";
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ct = get_header(s, "Content-Type");
	bnd = strstr(ct, "boundary=\"");
	ck_assert_ptr_nonnull(bnd);
	bnd += 10;
	q = strchr(bnd, '"');
	ck_assert_ptr_nonnull(q);
	*q = '\0';
	ck_assert_uint_le(strlen(bnd), 70);
	snprintf(text, sizeof text, "--%s\n--%s--\n%s\n", bnd, bnd, bnd);
	free(s);

	m.text = text;
	m.html = text;
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, bnd)); /* same boundary: depends on the id only */
	ck_assert_uint_eq(count_occurrences(s, bnd), 4);
	free(s);
	free(ct);
	check_roundtrip(&m);
}
END_TEST

START_TEST(test_date)
{
	static const struct {
		int64_t t;
		const char *want;
	} cases[] = {
		{0, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"},
		{951782400, "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n"},
		{1700000000, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"},
		{1709251199, "Date: Thu, 29 Feb 2024 23:59:59 +0000\r\n"},
		{-1, "Date: Wed, 31 Dec 1969 23:59:59 +0000\r\n"},
		{4102444800, "Date: Fri, 01 Jan 2100 00:00:00 +0000\r\n"},
		{INT64_C(-2208988800), "Date: Mon, 01 Jan 1900 00:00:00 +0000\r\n"},
		{INT64_C(253402300799), "Date: Fri, 31 Dec 9999 23:59:59 +0000\r\n"},
	};
	struct mime_msg m = base_msg();
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s;

		m.date = cases[i].t;
		s = mime_build(&m, NULL);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(strncmp(s, cases[i].want, strlen(cases[i].want)), 0);
		free(s);
	}
	m.date = 1709251199;
	check_roundtrip(&m);
	m.date = INT64_C(-2208988801);
	ck_assert_ptr_null(mime_build(&m, NULL));
	m.date = INT64_C(253402300800);
	ck_assert_ptr_null(mime_build(&m, NULL));
	m.date = INT64_MIN;
	ck_assert_ptr_null(mime_build(&m, NULL));
	m.date = INT64_MAX;
	ck_assert_ptr_null(mime_build(&m, NULL));
}
END_TEST

START_TEST(test_invalid_input)
{
	struct mime_msg m;

	ck_assert_ptr_null(mime_build(NULL, NULL));
#define EXPECT_NULL(field, val)                                      \
	do {                                                         \
		m = base_msg();                                      \
		m.field = val;                                       \
		ck_assert_msg(mime_build(&m, NULL) == NULL, #field); \
		ck_assert_msg(mime_refusal(&m) != NULL, #field);     \
	} while (0)
	EXPECT_NULL(from_addr, NULL);
	EXPECT_NULL(to_addr, NULL);
	EXPECT_NULL(subject, NULL);
	EXPECT_NULL(text, NULL);
	EXPECT_NULL(message_id, NULL);
	EXPECT_NULL(from_addr, "");
	EXPECT_NULL(message_id, "");
	EXPECT_NULL(message_id, "<d1@x>");
	EXPECT_NULL(message_id, "no-at");
	EXPECT_NULL(message_id, "a@b@c");
	EXPECT_NULL(message_id, "a b@c");
	EXPECT_NULL(subject, "bad \xff");
	EXPECT_NULL(from_name, "bad \xc3");
	EXPECT_NULL(to_name, "\xed\xbf\xbf");
	EXPECT_NULL(text, "body \xfe");
	EXPECT_NULL(html, "<p>\x80</p>");
	EXPECT_NULL(subject, "ctl \x01 char");
	EXPECT_NULL(subject, "del \x7f char");
	EXPECT_NULL(from_name, "esc \x1b char");
	EXPECT_NULL(to_name, "nul-ish \x1f");
#undef EXPECT_NULL

	/* odd but valid addresses go through unchanged */
	m = base_msg();
	m.to_addr = "o'brien+dunning/x=y@sub.example.co.uk";
	check_roundtrip(&m);
	m.to_addr = "\"john doe\"@example.org";
	check_roundtrip(&m);

	/* maximal unsplittable tokens: lines run past 78 but stay far below 998 */
	{
		char addr[255], id[251];

		memset(addr, 'a', 64);
		addr[64] = '@';
		for (size_t i = 65; i < 254; i++)
			addr[i] = (i % 10 == 0) ? '.' : 'b';
		addr[254] = '\0';
		memset(id, 'd', 250);
		id[120] = '@';
		id[250] = '\0';
		m = base_msg();
		m.to_addr = addr;
		m.to_name = KO;
		m.message_id = id;
		check_roundtrip(&m);
		m.to_name = NULL;
		check_roundtrip(&m);
		{
			char big[256];

			snprintf(big, sizeof big, "x%s", addr); /* 255 octets */
			m.to_addr = big;
			ck_assert_ptr_null(mime_build(&m, NULL));
		}
	}
}
END_TEST

/* The reason for each refusal, as a failed delivery's last_error shows
 * it; NULL exactly when mime_build would build. */
START_TEST(test_refusal)
{
	static const struct {
		const char *to_name, *to_addr, *subject, *want;
	} cases[] = {
		{"Alice\r\nBcc: x@evil.test", NULL, NULL,
		 "recipient name has a control character (CR, LF, ...)"},
		{"J\xf6rg", NULL, NULL, "recipient name is not valid UTF-8"},
		{NULL, "j\xc3\xb6rg@example.com", NULL,
		 "recipient address is not a plain ASCII addr-spec"},
		{NULL, "no-at-sign", NULL, "recipient address is not a plain ASCII addr-spec"},
		{NULL, NULL, "Due\nnow", "subject has a control character (CR, LF, ...)"},
		{NULL, NULL, "Due \xff", "subject is not valid UTF-8"},
	};
	struct mime_msg m = base_msg();
	char *s;

	ck_assert_ptr_null(mime_refusal(&m));
	ck_assert_str_eq(mime_refusal(NULL), "a required field is missing");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		m = base_msg();
		if (cases[i].to_name)
			m.to_name = cases[i].to_name;
		if (cases[i].to_addr)
			m.to_addr = cases[i].to_addr;
		if (cases[i].subject)
			m.subject = cases[i].subject;
		ck_assert_msg(mime_refusal(&m) && !strcmp(mime_refusal(&m), cases[i].want),
			      "case %zu: %s", i,
			      mime_refusal(&m) ? mime_refusal(&m) : "(accepted)");
		ck_assert_ptr_null(mime_build(&m, NULL));
	}
	m = base_msg();
	s = mime_build(&m, NULL);
	ck_assert_ptr_nonnull(s);
	free(s);
}
END_TEST

struct thread_arg {
	const char *want;
	size_t want_len;
	int ok;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct mime_msg m = base_msg();
	int i;

	m.subject = KO300;
	m.to_name = JA;
	m.html = "<p>" ZH "</p>";
	a->ok = 1;
	for (i = 0; i < 200; i++) {
		size_t len;
		char *s = mime_build(&m, &len);

		if (!s || len != a->want_len || memcmp(s, a->want, len) != 0)
			a->ok = 0;
		free(s);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct mime_msg m = base_msg();
	struct thread_arg args[4];
	pthread_t th[4];
	size_t len;
	char *want;
	int i;

	m.subject = KO300;
	m.to_name = JA;
	m.html = "<p>" ZH "</p>";
	want = mime_build(&m, &len);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < 4; i++) {
		args[i].want = want;
		args[i].want_len = len;
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert(args[i].ok);
	}
	free(want);
}
END_TEST

static Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("unit");
	TCase *tp = tcase_create("parser");

	tcase_add_test(tc, test_plain_headers_verbatim);
	tcase_add_test(tc, test_cjk_headers_encoded);
	tcase_add_test(tc, test_encode_header);
	tcase_add_test(tc, test_header_injection);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_date);
	tcase_add_test(tc, test_invalid_input);
	tcase_add_test(tc, test_refusal);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	/* each case starts a Python process; give slow machines / valgrind room */
	tcase_set_timeout(tp, 300);
	tcase_add_loop_test(tp, test_languages_roundtrip, 0,
			    (int)(sizeof lang_cases / sizeof lang_cases[0]));
	tcase_add_loop_test(tp, test_qp_bodies_roundtrip, 0,
			    (int)(sizeof qp_bodies / sizeof qp_bodies[0]));
	tcase_add_test(tp, test_qp_fold_positions);
	tcase_add_test(tp, test_unsubscribe_headers);
	tcase_add_test(tp, test_boundary_not_in_content);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
