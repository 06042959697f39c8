/* Unit tests for lib/utf8.c: every code point round-trips, every invalid
 * class (lead bytes, overlongs, surrogates, past U+10FFFF, truncation) is
 * replaced by maximal subparts, every length bound cuts on a character
 * boundary, and control characters are escaped. Exhaustive pairs, boundary
 * triples and quadruples and random bytes are checked against Python's own
 * decoder (decode("utf-8", "replace")), which is independent of ours. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define FFFD UTF8_REPLACEMENT
#define PYTHON "/usr/bin/python3"

/* A plain encoder, written apart from the decoder under test. */
static size_t enc(uint32_t cp, unsigned char *b)
{
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (unsigned char)(0xF0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* cp forced into width bytes (an overlong when width is more than needed;
 * width 4 also spells code points past U+10FFFF). */
static void enc_width(uint32_t cp, size_t width, unsigned char *b)
{
	static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};

	for (size_t i = width - 1; i > 0; i--) {
		b[i] = (unsigned char)(0x80 | (cp & 0x3F));
		cp >>= 6;
	}
	b[0] = (unsigned char)(lead[width] | cp);
}

static int count_fffd(const char *s)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, FFFD)) != NULL; p += 3)
		n++;
	return n;
}

static void check_sanitize(const char *in, size_t len, size_t max, const char *want)
{
	char *got = utf8_sanitize(in, len, max);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_every_code_point)
{
	unsigned char b[4];
	char *got;

	for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
		size_t n = enc(cp, b);

		int surrogate = cp >= 0xD800 && cp <= 0xDFFF, ok;

		/* plain ifs: a check assertion per code point is too slow */
		got = utf8_sanitize((const char *)b, n, SIZE_MAX);
		if (!got)
			ck_abort_msg("out of memory");
		if (surrogate) /* ED A0..BF: ED alone, then two stray continuations */
			ok = strcmp(got, FFFD FFFD FFFD) == 0;
		else
			ok = strlen(got) == n && memcmp(got, b, n) == 0;
		ok = ok && utf8_valid((const char *)b, n) == !surrogate;
		free(got);
		if (!ok)
			ck_abort_msg("U+%04X", (unsigned)cp);
	}
}
END_TEST

START_TEST(test_single_bytes)
{
	for (int c = 0; c < 256; c++) {
		char in = (char)c, *got = utf8_sanitize(&in, 1, SIZE_MAX);

		ck_assert_ptr_nonnull(got);
		if (c == 0 || c >= 0x80)
			ck_assert_str_eq(got, FFFD);
		else
			ck_assert(strlen(got) == 1 && (unsigned char)got[0] == c);
		ck_assert_int_eq(utf8_valid(&in, 1), c > 0 && c < 0x80);
		free(got);
	}
}
END_TEST

/* Each overlong form is refused whole, one U+FFFD per byte: the lead
 * (C0, C1, or E0/F0 with too small a second byte) takes none of the
 * continuation bytes after it. */
START_TEST(test_overlongs)
{
	unsigned char b[4];

	for (size_t width = 2; width <= 4; width++) {
		uint32_t top = width == 2 ? 0x80 : width == 3 ? 0x800 : 0x10000;

		for (uint32_t cp = 0; cp < top; cp++) {
			char *got;
			int ok;

			enc_width(cp, width, b);
			got = utf8_sanitize((const char *)b, width, SIZE_MAX);
			if (!got)
				ck_abort_msg("out of memory");
			ok = count_fffd(got) == (int)width && strlen(got) == 3 * width &&
				!utf8_valid((const char *)b, width);
			free(got);
			if (!ok)
				ck_abort_msg("overlong U+%04X in %zu bytes", (unsigned)cp, width);
		}
	}
}
END_TEST

/* Past U+10FFFF: F4 90.. and leads F5..F7 are invalid, 4 x U+FFFD. */
START_TEST(test_past_max)
{
	unsigned char b[4];

	for (uint32_t cp = 0x110000; cp < 0x200000; cp += 0x3F) {
		char *got;

		enc_width(cp, 4, b);
		got = utf8_sanitize((const char *)b, 4, SIZE_MAX);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp(got, FFFD FFFD FFFD FFFD) == 0, "U+%X", (unsigned)cp);
		free(got);
	}
}
END_TEST

/* A character cut short is one U+FFFD, and what broke it is read afresh. */
static const struct {
	const char *in, *want;
} truncated[] = {
	{"\xc3", FFFD},
	{"\xc3"
	 "A",
	 FFFD "A"},
	{"\xe2\x82", FFFD},
	{"\xe2\x82"
	 "A",
	 FFFD "A"},
	{"\xe2", FFFD},
	{"\xf0\x9f\x98", FFFD},
	{"\xf0\x9f", FFFD},
	{"\xf0", FFFD},
	{"\xf0\x9f\x98"
	 "\xf0\x9f\x98\x80",
	 FFFD "\xf0\x9f\x98\x80"},
	{"\xed\x9f\xbf", "\xed\x9f\xbf"},          /* U+D7FF, last before the surrogates */
	{"\xed\xa0\x80", FFFD FFFD FFFD},          /* U+D800 */
	{"\xee\x80\x80", "\xee\x80\x80"},          /* U+E000 */
	{"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},  /* U+10FFFF */
	{"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD}, /* U+110000 */
	{"\xe0\xa0\x80", "\xe0\xa0\x80"},          /* U+0800, first 3-byte */
	{"\xe0\x9f\xbf", FFFD FFFD FFFD},          /* overlong U+07FF */
	{"\xf0\x90\x80\x80", "\xf0\x90\x80\x80"},  /* U+10000 */
	{"\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD}, /* overlong U+FFFF */
	{"\xc2\x80", "\xc2\x80"},                  /* U+0080 */
	{"\xc1\xbf", FFFD FFFD},                   /* overlong U+007F */
	{"\xdf\xbf", "\xdf\xbf"},                  /* U+07FF */
	{"\xfe\xff", FFFD FFFD},
	{"\x80\xbf", FFFD FFFD},
	{"Requ\xeate invalide", "Requ" FFFD "te invalide"},
	/* a Korean text cut inside its last syllable (가 = EA B0 80) */
	{"\xea\xb0\x80\xea\xb0", "\xea\xb0\x80" FFFD},
};

START_TEST(test_truncated)
{
	check_sanitize(truncated[_i].in, strlen(truncated[_i].in), SIZE_MAX, truncated[_i].want);
}
END_TEST

/* max_bytes: the longest whole-character prefix that fits, never a part. */
START_TEST(test_bounds)
{
	const char *ko = "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4"; /* 가나다 */

	check_sanitize(ko, 9, 9, ko);
	check_sanitize(ko, 9, 8, "\xea\xb0\x80\xeb\x82\x98");
	check_sanitize(ko, 9, 6, "\xea\xb0\x80\xeb\x82\x98");
	check_sanitize(ko, 9, 5, "\xea\xb0\x80");
	check_sanitize(ko, 9, 3, "\xea\xb0\x80");
	check_sanitize(ko, 9, 2, "");
	check_sanitize(ko, 9, 0, "");
	check_sanitize("abc", 3, 2, "ab");
	check_sanitize("ab\xff", 3, 4, "ab"); /* U+FFFD (3 bytes) does not fit */
	check_sanitize("ab\xff", 3, 5, "ab" FFFD);
	check_sanitize(NULL, 0, 10, "");
	check_sanitize("", 0, 0, "");
	/* a bound past the input changes nothing */
	check_sanitize("abc", 3, SIZE_MAX, "abc");
	/* len is honoured: no read past it, the NUL after is not needed */
	check_sanitize("abcdef", 3, 100, "abc");
	/* a NUL inside becomes U+FFFD: the result is one C string */
	check_sanitize("a\0b", 3, 100, "a" FFFD "b");
}
END_TEST

START_TEST(test_cut)
{
	const char *ko = "\xea\xb0\x80\xeb\x82\x98"; /* 가나 */

	ck_assert_uint_eq(utf8_cut(ko, 6, 100), 6);
	ck_assert_uint_eq(utf8_cut(ko, 6, 6), 6);
	ck_assert_uint_eq(utf8_cut(ko, 6, 5), 3);
	ck_assert_uint_eq(utf8_cut(ko, 6, 4), 3);
	ck_assert_uint_eq(utf8_cut(ko, 6, 3), 3);
	ck_assert_uint_eq(utf8_cut(ko, 6, 2), 0);
	ck_assert_uint_eq(utf8_cut(ko, 6, 0), 0);
	ck_assert_uint_eq(utf8_cut("abc", 3, 1), 1);
	ck_assert_uint_eq(utf8_cut("\xf0\x9f\x98\x80"
				   "a",
				   5, 3),
			  0);
	ck_assert_uint_eq(utf8_cut("\xf0\x9f\x98\x80"
				   "a",
				   5, 4),
			  4);
}
END_TEST

START_TEST(test_into)
{
	char buf[8];

	/* in place: "ab\xff" grows to 5 bytes, within the field */
	strcpy(buf, "ab\xff");
	ck_assert_uint_eq(utf8_sanitize_into(buf, sizeof buf, buf, strlen(buf)), 5);
	ck_assert_str_eq(buf, "ab" FFFD);
	/* a Korean text longer than the field: whole syllables only */
	ck_assert_uint_eq(
		utf8_sanitize_into(buf, sizeof buf, "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4", 9), 6);
	ck_assert_str_eq(buf, "\xea\xb0\x80\xeb\x82\x98");
	ck_assert_uint_eq(utf8_sanitize_into(buf, 1, "abc", 3), 0);
	ck_assert_str_eq(buf, "");
	/* escaped in place: an escape that does not fit is left out whole */
	strcpy(buf, "a\r\nbcd");
	ck_assert_uint_eq(utf8_escape_into(buf, sizeof buf, buf, strlen(buf)), 7);
	ck_assert_str_eq(buf, "a\\r\\nbc");
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	const char *want;
} escapes[] = {
	{"\x1b[31mred\x1b[0m", 12, "\\x1b[31mred\\x1b[0m"},
	{"a\nb\rc\td", 7, "a\\nb\\rc\\td"},
	{"\x00", 1, "\\x00"},
	{"\x01\x1f\x7f", 3, "\\x01\\x1f\\x7f"},
	{" ~", 2, " ~"},
	{"\xc2\x80\xc2\x9b"
	 "2J\xc2\x9f",
	 8, "\\u0080\\u009b2J\\u009f"},              /* C1 CSI */
	{"\xc2\xa0\xc3\xa9", 4, "\xc2\xa0\xc3\xa9"}, /* NBSP, é kept */
	{"\\x1b", 4, "\\x1b"},                       /* not reversible */
	{"bad\x9b", 4, "bad" FFFD},                  /* a lone C1 byte is invalid, not CSI */
	{"\xea\xb0\x80", 3, "\xea\xb0\x80"},
};

START_TEST(test_escape)
{
	char *got = utf8_escape_controls(escapes[_i].in, escapes[_i].len, SIZE_MAX);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, escapes[_i].want);
	free(got);
}
END_TEST

START_TEST(test_escape_bounds)
{
	char *got;

	/* "a\x1b" escaped is 5 bytes: at 4 the escape is left out whole */
	got = utf8_escape_controls("a\x1b"
				   "b",
				   3, 4);
	ck_assert_str_eq(got, "a");
	free(got);
	got = utf8_escape_controls("a\x1b"
				   "b",
				   3, 5);
	ck_assert_str_eq(got, "a\\x1b");
	free(got);
	got = utf8_escape_controls("\xc2\x9b", 2, 5);
	ck_assert_str_eq(got, "");
	free(got);
	got = utf8_escape_controls("\xc2\x9b", 2, 6);
	ck_assert_str_eq(got, "\\u009b");
	free(got);
	/* every C0 control alone, escaped to something printable */
	for (int c = 0; c < 0x20; c++) {
		char in = (char)c;

		got = utf8_escape_controls(&in, 1, SIZE_MAX);
		ck_assert_ptr_nonnull(got);
		ck_assert(got[0] == '\\' && strlen(got) >= 2);
		for (const char *p = got; *p; p++)
			ck_assert(*p >= 0x20 && *p < 0x7F);
		free(got);
	}
}
END_TEST

/* --- against Python ------------------------------------------------- */

/* Reads lines "MODE MAX HEX" and writes, per line, the hex of what Python
 * makes of it: decode with errors="replace", NUL as U+FFFD (mode s) or
 * controls escaped (mode e), then whole characters while they fit MAX. */
static const char *py_script = "import sys\n"
			       "def esc(c):\n"
			       "    o = ord(c)\n"
			       "    if c == '\\n': return '\\\\n'\n"
			       "    if c == '\\r': return '\\\\r'\n"
			       "    if c == '\\t': return '\\\\t'\n"
			       "    if o < 0x20 or o == 0x7f: return '\\\\x%02x' % o\n"
			       "    if 0x80 <= o <= 0x9f: return '\\\\u%04x' % o\n"
			       "    return c\n"
			       "out = sys.stdout\n"
			       "for line in open(sys.argv[1]):\n"
			       "    mode, mx, hx = line.split(' ')\n"
			       "    mx = int(mx)\n"
			       "    t = bytes.fromhex(hx.strip()).decode('utf-8', 'replace')\n"
			       "    r = bytearray()\n"
			       "    for c in t:\n"
			       "        if mode == 'e': p = esc(c)\n"
			       "        else: p = '\\ufffd' if c == '\\0' else c\n"
			       "        p = p.encode('utf-8')\n"
			       "        if len(r) + len(p) > mx: break\n"
			       "        r += p\n"
			       "    out.write(r.hex() + '\\n')\n";

struct pycase {
	unsigned char b[64];
	size_t len, max;
	int escape;
};

static void hex_write(FILE *f, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* Run every case through Python and compare with ours. */
static void against_python(const struct pycase *c, size_t n)
{
	char in[256], py[300], outp[300], cmd[1024], *line = NULL;
	const char *tmpdir = getenv("TMPDIR");
	size_t cap = 0, k = 0;
	FILE *f;
	int fd, rc;

	ck_assert_msg(access(PYTHON, X_OK) == 0, PYTHON " not found");
	snprintf(in, sizeof in, "%s/check_utf8_XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(in);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%c %zu ", c[i].escape ? 'e' : 's', c[i].max);
		hex_write(f, c[i].b, c[i].len);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(py, sizeof py, "%s.py", in);
	snprintf(outp, sizeof outp, "%s.out", in);
	f = fopen(py, "w");
	ck_assert_ptr_nonnull(f);
	fputs(py_script, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "%s %s %s >%s", PYTHON, py, in, outp);
	rc = system(cmd);
	unlink(py);
	unlink(in);
	ck_assert_int_eq(rc, 0);
	f = fopen(outp, "r");
	ck_assert_ptr_nonnull(f);
	unlink(outp);
	while (k < n && getline(&line, &cap, f) > 0) {
		char *ours = c[k].escape
			? utf8_escape_controls((const char *)c[k].b, c[k].len, c[k].max)
			: utf8_sanitize((const char *)c[k].b, c[k].len, c[k].max);
		char hex[64 * 6 * 2 + 2];
		size_t hl = 0;

		ck_assert_ptr_nonnull(ours);
		ck_assert_uint_le(strlen(ours), c[k].max);
		for (const unsigned char *p = (const unsigned char *)ours; *p; p++)
			hl += (size_t)snprintf(hex + hl, sizeof hex - hl, "%02x", *p);
		hex[hl] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(hex, line) != 0) {
			char inhex[200] = "";
			size_t il = 0;

			for (size_t i = 0; i < c[k].len && il + 3 < sizeof inhex; i++)
				il += (size_t)snprintf(inhex + il, sizeof inhex - il, "%02x",
						       c[k].b[i]);
			ck_abort_msg("case %zu (%c max %zu) in %s: ours %s, python %s", k,
				     c[k].escape ? 'e' : 's', c[k].max, inhex, hex, line);
		}
		free(ours);
		k++;
	}
	free(line);
	fclose(f);
	ck_assert_uint_eq(k, n);
}

/* Every byte pair, each also followed by "A" (what a broken sequence
 * leaves behind must come through). */
START_TEST(test_pairs_python)
{
	size_t n = 65536 * 2, k = 0;
	struct pycase *c = calloc(n, sizeof *c);

	ck_assert_ptr_nonnull(c);
	for (int a = 0; a < 256; a++)
		for (int b = 0; b < 256; b++)
			for (int tail = 0; tail < 2; tail++) {
				c[k].b[0] = (unsigned char)a;
				c[k].b[1] = (unsigned char)b;
				c[k].b[2] = 'A';
				c[k].len = 2 + (size_t)tail;
				c[k].max = SIZE_MAX / 2;
				c[k].escape = (a + b) & 1;
				k++;
			}
	against_python(c, k);
	free(c);
}
END_TEST

/* Every lead byte from C0 up, followed by two or three bytes from each
 * side of every range edge the decoder has. */
START_TEST(test_edges_python)
{
	static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
					     0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF4, 0xFF};
	size_t ne = sizeof edge, n = 64 * ne * ne * (1 + ne), k = 0;
	struct pycase *c = calloc(n, sizeof *c);

	ck_assert_ptr_nonnull(c);
	for (int lead = 0xC0; lead <= 0xFF; lead++)
		for (size_t x = 0; x < ne; x++)
			for (size_t y = 0; y < ne; y++)
				for (size_t z = 0; z <= ne; z++) {
					c[k].b[0] = (unsigned char)lead;
					c[k].b[1] = edge[x];
					c[k].b[2] = edge[y];
					c[k].len = 3;
					if (z < ne) {
						c[k].b[3] = edge[z];
						c[k].len = 4;
					}
					c[k].max = SIZE_MAX / 2;
					k++;
				}
	against_python(c, k);
	free(c);
}
END_TEST

/* Random bytes, mostly high ones, with random bounds, both modes. */
START_TEST(test_random_python)
{
	size_t n = 20000;
	struct pycase *c = calloc(n, sizeof *c);
	unsigned seed = 16;

	ck_assert_ptr_nonnull(c);
	for (size_t k = 0; k < n; k++) {
		c[k].len = (size_t)rand_r(&seed) % 64;
		for (size_t i = 0; i < c[k].len; i++) {
			int r = rand_r(&seed);

			/* a third ASCII (controls included), the rest 0x80..0xFF */
			c[k].b[i] = (unsigned char)(r % 3 == 0 ? (r >> 2) % 0x80
							       : 0x80 + (r >> 2) % 0x80);
		}
		c[k].max = k % 4 == 0 ? SIZE_MAX / 2 : (size_t)rand_r(&seed) % 200;
		c[k].escape = k % 2;
	}
	against_python(c, n);
	free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");
	TCase *py = tcase_create("python");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_code_point);
	tcase_add_test(tc, test_single_bytes);
	tcase_add_test(tc, test_overlongs);
	tcase_add_test(tc, test_past_max);
	tcase_add_loop_test(tc, test_truncated, 0, N(truncated));
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_into);
	tcase_add_loop_test(tc, test_escape, 0, N(escapes));
	tcase_add_test(tc, test_escape_bounds);
	suite_add_tcase(s, tc);
	tcase_add_test(py, test_pairs_python);
	tcase_add_test(py, test_edges_python);
	tcase_add_test(py, test_random_python);
	tcase_set_timeout(py, 300);
	suite_add_tcase(s, py);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
