/* Unit tests for lib/csv. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static FILE *file_with(const char *data, size_t len)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	rewind(f);
	return f;
}

/* Growable string for transcripts. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Read everything and describe it as "line:f1|f2\n" per record (CR and LF
 * inside fields shown as \r \n), ending with "E<line>:<message>" on error. */
static char *transcript(const char *data, size_t len)
{
	FILE *f = file_with(data, len);
	struct csv_reader *r = csv_open(f);
	ck_assert_ptr_nonnull(r);
	struct sbuf b = {NULL, 0, 0};
	sb_str(&b, "");
	for (;;) {
		char **fields = NULL;
		int line = -1;
		char err[128] = "";
		char num[32];
		int n = csv_next(r, &fields, &line, err, sizeof err);
		if (n == 0) {
			ck_assert_ptr_null(fields);
			break;
		}
		if (n < 0) {
			snprintf(num, sizeof num, "E%d:", line);
			sb_str(&b, num);
			sb_str(&b, err);
			/* errors are sticky */
			char err2[128] = "";
			int line2 = -1;
			ck_assert_int_eq(csv_next(r, &fields, &line2, err2, sizeof err2), -1);
			ck_assert_str_eq(err2, err);
			ck_assert_int_eq(line2, line);
			break;
		}
		snprintf(num, sizeof num, "%d:", line);
		sb_str(&b, num);
		for (int i = 0; i < n; i++) {
			ck_assert_ptr_nonnull(fields[i]);
			if (i)
				sb_str(&b, "|");
			for (const char *s = fields[i]; *s; s++)
				sb_str(&b,
				       *s == '\n'           ? "\\n"
					       : *s == '\r' ? "\\r"
							    : (char[]){*s, 0});
		}
		ck_assert_ptr_null(fields[n]);
		sb_str(&b, "\n");
	}
	/* clean EOF stays EOF */
	if (b.len == 0 || b.p[b.len - 1] == '\n')
		ck_assert_int_eq(csv_next(r, NULL, NULL, NULL, 0), 0);
	csv_close(r);
	fclose(f);
	return b.p;
}

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *in;
	size_t len;
	const char *want;
} cases[] = {
	{S(""), ""},
	{S("a,b,c\n"), "1:a|b|c\n"},
	{S("a,b,c"), "1:a|b|c\n"},
	{S("a,b\nc,d\n"), "1:a|b\n2:c|d\n"},
	{S("a,b\r\nc,d\r\n"), "1:a|b\n2:c|d\n"},
	{S("a,b\r\nc,d"), "1:a|b\n2:c|d\n"},
	/* BOM: skipped at the very start only */
	{S("\xEF\xBB\xBF"
	   "a,b\n"),
	 "1:a|b\n"},
	{S("\xEF\xBB\xBF"), ""},
	{S("\xEF\xBB\xBF\n"), "1:\n"},
	{S("a\n\xEF\xBB\xBF"), "1:a\n2:\xEF\xBB\xBF\n"},
	/* empty fields and empty lines */
	{S(",\n,,\n"), "1:|\n2:||\n"},
	{S("\n"), "1:\n"},
	{S("\n\n"), "1:\n2:\n"},
	{S("a\n\nb"), "1:a\n2:\n3:b\n"},
	{S("\r\n\r\n"), "1:\n2:\n"},
	{S("a,\n"), "1:a|\n"},
	{S("a,"), "1:a|\n"},
	{S(",a"), "1:|a\n"},
	/* quoting */
	{S("\"a,b\",c\n"), "1:a,b|c\n"},
	{S("\"he said \"\"hi\"\"\"\n"), "1:he said \"hi\"\n"},
	{S("\"\"\n"), "1:\n"},
	{S("\"\",\"\"\n"), "1:|\n"},
	{S("\"\"\"\"\n"), "1:\"\n"},
	{S("a,\"b\""), "1:a|b\n"},
	{S("\"a\",\"b\"\r\n"), "1:a|b\n"},
	{S("x\"y,z\n"), "1:x\"y|z\n"},
	{S("  a , b  \n"), "1:  a | b  \n"},
	/* embedded newlines: the record reports its starting line */
	{S("\"line1\nline2\",x\nnext\n"), "1:line1\\nline2|x\n3:next\n"},
	{S("\"a\r\nb\"\r\nc\r\n"), "1:a\\r\\nb\n3:c\n"},
	{S("a,\"multi\n\nline\"\n\"x\ny\",z\nlast"), "1:a|multi\\n\\nline\n4:x\\ny|z\n6:last\n"},
	{S("\"\n\n\n\"\n\n"), "1:\\n\\n\\n\n5:\n"},
	/* lone CR ends a record and a line */
	{S("a\rb\r"), "1:a\n2:b\n"},
	{S("a\r\rb"), "1:a\n2:\n3:b\n"},
	{S("\"x\ry\"\nz"), "1:x\\ry\n3:z\n"},
	/* UTF-8 */
	{S("日本,ñ,😀,€\n"), "1:日本|ñ|😀|€\n"},
	{S("\xF4\x8F\xBF\xBF,\xED\x9F\xBF,\xEE\x80\x80\n"),
	 "1:\xF4\x8F\xBF\xBF|\xED\x9F\xBF|\xEE\x80\x80\n"},
	{S("\"ü,\"\"ß\"\"\"\n"), "1:ü,\"ß\"\n"},
	/* errors */
	{S("\"abc"), "E1:unterminated quoted field"},
	{S("\""), "E1:unterminated quoted field"},
	{S("ok\n\"abc\ndef\n"), "1:ok\nE2:unterminated quoted field"},
	{S("a,\"b\"\"\n"), "E1:unterminated quoted field"},
	{S("\"a\"b\n"), "E1:unexpected character after closing quote"},
	{S("ok\n\"a\" ,b"), "1:ok\nE2:unexpected character after closing quote"},
	{S("\"a\n\"\"\"x"), "E2:unexpected character after closing quote"},
	{S("a\0b\n"), "E1:embedded NUL"},
	{S("ok\n\"a\nb\0\""), "1:ok\nE3:embedded NUL"},
	{S("\xFF"), "E1:invalid UTF-8"},
	{S("\xFE\xFF"
	   "a"),
	 "E1:invalid UTF-8"},
	{S("a\xC3"), "E1:invalid UTF-8"},
	{S("a\xC3(\n"), "E1:invalid UTF-8"},
	{S("a\xC3\n"), "E1:invalid UTF-8"},
	{S("\xC0\xAF"), "E1:invalid UTF-8"},
	{S("\xC1\xBF"), "E1:invalid UTF-8"},
	{S("\xE0\x80\x80"), "E1:invalid UTF-8"},
	{S("\xED\xA0\x80"), "E1:invalid UTF-8"},
	{S("\xF0\x80\x80\x80"), "E1:invalid UTF-8"},
	{S("\xF4\x90\x80\x80"), "E1:invalid UTF-8"},
	{S("\xF5\x80\x80\x80"), "E1:invalid UTF-8"},
	{S("\xF8\x88\x80\x80\x80"), "E1:invalid UTF-8"},
	{S("\x80"), "E1:invalid UTF-8"},
	{S("\xE2\x82"), "E1:invalid UTF-8"},
	{S("\xEF\xBB"), "E1:invalid UTF-8"},
	{S("ok,1\nbad\xFF,2\n"), "1:ok|1\nE2:invalid UTF-8"},
	{S("\"q\n\xC3\x28\""), "E2:invalid UTF-8"},
};

START_TEST(test_table)
{
	char *got = transcript(cases[_i].in, cases[_i].len);
	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "case %d: got \"%s\" want \"%s\"", _i, got,
		      cases[_i].want);
	free(got);
}
END_TEST

/* Build a record of one field of n copies of c, optionally quoted. */
static char *long_field(size_t n, char c, int quoted, size_t *len)
{
	char *s = malloc(n + 4);
	ck_assert_ptr_nonnull(s);
	size_t k = 0;
	if (quoted)
		s[k++] = '"';
	memset(s + k, c, n);
	k += n;
	if (quoted)
		s[k++] = '"';
	s[k++] = '\n';
	*len = k;
	return s;
}

START_TEST(test_long_fields)
{
	for (int quoted = 0; quoted < 2; quoted++) {
		size_t len;
		char *s = long_field(CSV_FIELD_MAX, 'x', quoted, &len);
		char *got = transcript(s, len);
		ck_assert_uint_eq(strlen(got), 2 + CSV_FIELD_MAX + 1);
		free(got);
		free(s);
		s = long_field(CSV_FIELD_MAX + 1, 'x', quoted, &len);
		got = transcript(s, len);
		ck_assert_str_eq(got, "E1:field too long");
		free(got);
		free(s);
	}
	/* "" escapes count once: 65536 quote characters fit */
	size_t n = 2 * CSV_FIELD_MAX + 3;
	char *s = malloc(n);
	ck_assert_ptr_nonnull(s);
	s[0] = '"';
	memset(s + 1, '"', 2 * CSV_FIELD_MAX);
	s[n - 2] = '"';
	s[n - 1] = '\n';
	FILE *f = file_with(s, n);
	struct csv_reader *r = csv_open(f);
	char **fields;
	int line;
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 1);
	ck_assert_uint_eq(strlen(fields[0]), CSV_FIELD_MAX);
	csv_close(r);
	fclose(f);
	free(s);
	/* the limit is per field, not per record */
	size_t one;
	char *a = long_field(CSV_FIELD_MAX, 'a', 0, &one);
	char *rec = malloc(3 * one);
	ck_assert_ptr_nonnull(rec);
	for (int i = 0; i < 3; i++) {
		memcpy(rec + i * one, a, one);
		rec[i * one + one - 1] = i == 2 ? '\n' : ',';
	}
	f = file_with(rec, 3 * one);
	r = csv_open(f);
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(strlen(fields[i]), CSV_FIELD_MAX);
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 0);
	csv_close(r);
	fclose(f);
	free(rec);
	free(a);
}
END_TEST

START_TEST(test_field_count_limit)
{
	char *s = malloc(2 * CSV_FIELDS_MAX + 8);
	ck_assert_ptr_nonnull(s);
	/* exactly CSV_FIELDS_MAX fields: fine */
	size_t k = 0;
	for (int i = 0; i < CSV_FIELDS_MAX; i++) {
		s[k++] = 'v';
		s[k++] = ',';
	}
	s[k - 1] = '\n';
	FILE *f = file_with(s, k);
	struct csv_reader *r = csv_open(f);
	char **fields;
	int line;
	char err[64];
	ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), CSV_FIELDS_MAX);
	ck_assert_str_eq(fields[CSV_FIELDS_MAX - 1], "v");
	ck_assert_ptr_null(fields[CSV_FIELDS_MAX]);
	csv_close(r);
	fclose(f);
	/* one more (even an empty trailing one): error */
	s[k - 1] = ',';
	s[k++] = '\n';
	f = file_with(s, k);
	r = csv_open(f);
	ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), -1);
	ck_assert_str_eq(err, "too many fields");
	ck_assert_int_eq(line, 1);
	csv_close(r);
	fclose(f);
	free(s);
}
END_TEST

/* Place tricky sequences exactly across the reader's 64 KiB block edge. */
START_TEST(test_block_boundaries)
{
	static const char *const tails[] = {"\r\n", "\"\"", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
	enum { BLOCK = 65536 };
	for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
		size_t tl = strlen(tails[t]);
		for (size_t split = 1; split < tl; split++) {
			/* line 1: "a\n"; line 2: quoted filler so the tail straddles */
			size_t pre = BLOCK - split;
			char *s = malloc(pre + tl + 16);
			ck_assert_ptr_nonnull(s);
			memcpy(s, "a\n\"", 3);
			memset(s + 3, 'y', pre - 3);
			memcpy(s + pre, tails[t], tl);
			size_t n = pre + tl;
			memcpy(s + n, "\"\nz\n", 4);
			n += 4;
			FILE *f = file_with(s, n);
			struct csv_reader *r = csv_open(f);
			char **fields;
			int line;
			char err[64] = "";
			ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 1);
			ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 1);
			ck_assert_int_eq(line, 2);
			size_t want = pre - 3 + (t == 1 ? 1 : tl);
			ck_assert_uint_eq(strlen(fields[0]), want);
			ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 1);
			ck_assert_str_eq(fields[0], "z");
			ck_assert_int_eq(line, t == 0 ? 4 : 3);
			ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 0);
			csv_close(r);
			fclose(f);
			free(s);
		}
	}
	/* CRLF record terminator split across the edge */
	char *s = malloc(BLOCK + 8);
	ck_assert_ptr_nonnull(s);
	memset(s, 'q', BLOCK - 1);
	memcpy(s + BLOCK - 1, "\r\nnext\n", 7);
	FILE *f = file_with(s, BLOCK + 6);
	struct csv_reader *r = csv_open(f);
	char **fields;
	int line;
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 1);
	ck_assert_uint_eq(strlen(fields[0]), BLOCK - 1);
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 1);
	ck_assert_str_eq(fields[0], "next");
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 0);
	csv_close(r);
	fclose(f);
	free(s);
}
END_TEST

START_TEST(test_many_rows)
{
	enum { ROWS = 200000 };
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	fputs("\xEF\xBB\xBF"
	      "invoice,customer,amount,note\r\n",
	      f);
	for (int i = 0; i < ROWS; i++) {
		if (i % 1000 == 7)
			fprintf(f, "INV-%d,\"Cust, %d\",%d.%02d,\"two\r\nlines \"\"q\"\"\"\r\n", i,
				i, i, i % 100);
		else
			fprintf(f, "INV-%d,Cüst %d,%d.%02d,\r\n", i, i, i, i % 100);
	}
	rewind(f);
	struct csv_reader *r = csv_open(f);
	ck_assert_ptr_nonnull(r);
	char **fields;
	int line;
	char err[64];
	ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 4);
	ck_assert_str_eq(fields[0], "invoice");
	ck_assert_int_eq(line, 1);
	int want_line = 2;
	char buf[64];
	for (int i = 0; i < ROWS; i++) {
		int n = csv_next(r, &fields, &line, err, sizeof err);
		ck_assert_msg(n == 4, "row %d: %d (%s)", i, n, n < 0 ? err : "");
		ck_assert_int_eq(line, want_line);
		snprintf(buf, sizeof buf, "INV-%d", i);
		ck_assert_str_eq(fields[0], buf);
		if (i % 1000 == 7) {
			snprintf(buf, sizeof buf, "Cust, %d", i);
			ck_assert_str_eq(fields[1], buf);
			ck_assert_str_eq(fields[3], "two\r\nlines \"q\"");
			want_line += 2;
		} else {
			snprintf(buf, sizeof buf, "Cüst %d", i);
			ck_assert_str_eq(fields[1], buf);
			ck_assert_str_eq(fields[3], "");
			want_line += 1;
		}
		snprintf(buf, sizeof buf, "%d.%02d", i, i % 100);
		ck_assert_str_eq(fields[2], buf);
	}
	ck_assert_int_eq(csv_next(r, &fields, &line, err, sizeof err), 0);
	csv_close(r);
	fclose(f);
}
END_TEST

START_TEST(test_api_edges)
{
	ck_assert_ptr_null(csv_open(NULL));
	char err[64] = "";
	char **fields = (char **)1;
	ck_assert_int_eq(csv_next(NULL, &fields, NULL, err, sizeof err), -1);
	ck_assert_ptr_null(fields);
	ck_assert_str_eq(err, "no reader");
	csv_close(NULL);

	/* NULL outputs are allowed; a tiny err buffer truncates */
	FILE *f = file_with(S("\"x"));
	struct csv_reader *r = csv_open(f);
	char tiny[5];
	ck_assert_int_eq(csv_next(r, NULL, NULL, tiny, sizeof tiny), -1);
	ck_assert_str_eq(tiny, "unte");
	ck_assert_int_eq(csv_next(r, NULL, NULL, NULL, 0), -1);
	csv_close(r);
	fclose(f);

	/* fields stay valid until the next call */
	f = file_with(S("a,b\nc\n"));
	r = csv_open(f);
	ck_assert_int_eq(csv_next(r, &fields, NULL, NULL, 0), 2);
	ck_assert_str_eq(fields[0], "a");
	ck_assert_str_eq(fields[1], "b");
	ck_assert_int_eq(csv_next(r, &fields, NULL, NULL, 0), 1);
	ck_assert_str_eq(fields[0], "c");
	csv_close(r);
	fclose(f);

	/* the reader doesn't own f and reads only from its current position */
	f = file_with(S("skip\nkeep\n"));
	char tmp[8];
	ck_assert_ptr_nonnull(fgets(tmp, sizeof tmp, f));
	r = csv_open(f);
	ck_assert_int_eq(csv_next(r, &fields, NULL, NULL, 0), 1);
	ck_assert_str_eq(fields[0], "keep");
	csv_close(r);
	ck_assert_int_eq(fclose(f), 0);
}
END_TEST

START_TEST(test_read_error)
{
	FILE *f = fopen("/dev/null", "w"); /* reading a write-only stream fails */
	ck_assert_ptr_nonnull(f);
	struct csv_reader *r = csv_open(f);
	char err[64] = "";
	int line = 0;
	ck_assert_int_eq(csv_next(r, NULL, &line, err, sizeof err), -1);
	ck_assert_str_eq(err, "read error");
	ck_assert_int_eq(line, 1);
	csv_close(r);
	fclose(f);
}
END_TEST

START_TEST(test_pipe_like_stream)
{
	/* fmemopen streams behave like any FILE: same results as tmpfile */
	static const char data[] = "\xEF\xBB\xBF"
				   "a,\"b\nc\"\r\nd";
	FILE *f = fmemopen((void *)data, sizeof data - 1, "r");
	ck_assert_ptr_nonnull(f);
	struct csv_reader *r = csv_open(f);
	char **fields;
	int line;
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 2);
	ck_assert_str_eq(fields[1], "b\nc");
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 1);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(csv_next(r, &fields, &line, NULL, 0), 0);
	csv_close(r);
	fclose(f);
}
END_TEST

static Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_long_fields);
	tcase_add_test(tc, test_field_count_limit);
	tcase_add_test(tc, test_block_boundaries);
	tcase_add_test(tc, test_many_rows);
	tcase_add_test(tc, test_api_edges);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_pipe_like_stream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(csv_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
