/* dunnctl import: stream a billing export into a temporary table with
 * COPY while validating every row, then upsert by reference in the same
 * transaction. Any bad row aborts the whole import: all rows or none. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "csv.h"
#include "ctl.h"

#define MAX_REPORTED 50

struct import {
	const char *path;
	int errors;
	char *buf; /* one COPY line */
	size_t len, cap;
};

static void row_error(struct import *im, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row_error(struct import *im, int line, const char *fmt, ...)
{
	va_list ap;

	if (im->errors++ >= MAX_REPORTED)
		return;
	fprintf(stderr, "%s:%d: ", im->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void put(struct import *im, const char *s, size_t n)
{
	if (im->len + n + 1 > im->cap) {
		size_t cap = im->cap ? im->cap : 1024;
		while (im->len + n + 1 > cap)
			cap *= 2;
		char *b = realloc(im->buf, cap);
		if (!b)
			return;
		im->buf = b;
		im->cap = cap;
	}
	memcpy(im->buf + im->len, s, n);
	im->len += n;
}

/* COPY text format: escape backslash, tab, newline, CR; empty -> NULL. */
static void put_field(struct import *im, const char *s, int null_if_empty, int last)
{
	if (null_if_empty && !*s) {
		put(im, "\\N", 2);
	} else {
		for (; *s; s++) {
			switch (*s) {
			case '\\':
				put(im, "\\\\", 2);
				break;
			case '\t':
				put(im, "\\t", 2);
				break;
			case '\n':
				put(im, "\\n", 2);
				break;
			case '\r':
				put(im, "\\r", 2);
				break;
			default:
				put(im, s, 1);
				break;
			}
		}
	}
	put(im, last ? "\n" : "\t", 1);
}

struct row_ctx {
	struct import *im;
	int line;
};

static void on_bad_field(void *arg, const char *field, const char *msg)
{
	struct row_ctx *r = arg;

	(void)field; /* each message names its field */
	row_error(r->im, r->line, "%s", msg);
}

static void account_row(struct import *im, char **f, int line)
{
	struct row_ctx rc = {im, line};
	char lineno[16];

	if (book_account(f, on_bad_field, &rc) || im->errors)
		return;
	snprintf(lineno, sizeof lineno, "%d", line);
	im->len = 0;
	put_field(im, lineno, 0, 0);
	put_field(im, f[0], 0, 0);
	put_field(im, f[1], 0, 0);
	put_field(im, f[2], 1, 0);
	put_field(im, f[3], 1, 0);
	put_field(im, f[4], 0, 0);
	put_field(im, f[5], 0, 0);
	put_field(im, f[6], 0, 1);
}

static void invoice_row(struct import *im, char **f, int line)
{
	struct row_ctx rc = {im, line};
	char lineno[16], minor_s[32];
	int64_t minor;

	if (book_invoice(f, &minor, on_bad_field, &rc) || im->errors)
		return;
	snprintf(lineno, sizeof lineno, "%d", line);
	snprintf(minor_s, sizeof minor_s, "%lld", (long long)minor);
	im->len = 0;
	put_field(im, lineno, 0, 0);
	put_field(im, f[0], 0, 0);
	put_field(im, f[1], 0, 0);
	put_field(im, minor_s, 0, 0);
	put_field(im, f[3], 0, 0);
	put_field(im, f[4], 0, 0);
	put_field(im, f[5], 1, 1);
}

/* Reports from the staged rows: each row is "line, value[, other line]". */
static int report(struct ctl *c, struct import *im, const char *sql, const char *what)
{
	PGresult *res = ctl_exec(c, sql, 0, NULL);
	int n;

	if (!res)
		return -1;
	n = PQntuples(res);
	for (int r = 0; r < n; r++) {
		if (PQnfields(res) > 2)
			fprintf(stderr, "%s:%s: duplicate %s '%s' (first on line %s)\n", im->path,
				PQgetvalue(res, r, 0), what, PQgetvalue(res, r, 1),
				PQgetvalue(res, r, 2));
		else
			fprintf(stderr, "%s:%s: %s '%s' does not exist\n", im->path,
				PQgetvalue(res, r, 0), what, PQgetvalue(res, r, 1));
	}
	PQclear(res);
	return n;
}

static int simple(struct ctl *c, const char *sql)
{
	PGresult *res = ctl_exec(c, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

static int start_copy(struct ctl *c)
{
	PGresult *res = PQexec(c->conn, "COPY stage FROM STDIN");
	int ok = PQresultStatus(res) == PGRES_COPY_IN;

	if (!ok)
		fprintf(stderr, "dunnctl: COPY: %s", PQerrorMessage(c->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

static int run_import(struct ctl *c, struct import *im, FILE *f, int accounts)
{
	const char *const *cols = accounts ? book_account_cols : book_invoice_cols;
	struct csv_reader *rd = csv_open(f);
	char **fields, err[160];
	int nf, line, ncols = accounts ? BOOK_ACCOUNT_FIELDS : BOOK_INVOICE_FIELDS, copying = 1;
	long rows = 0;
	PGresult *res;

	if (!rd)
		return -1;
	nf = csv_next(rd, &fields, &line, err, sizeof err);
	if (nf <= 0) {
		fprintf(stderr, "%s:%d: %s\n", im->path, nf < 0 ? line : 1,
			nf < 0 ? err : "empty file: a header row is required");
		csv_close(rd);
		return -1;
	}
	for (int i = 0; i < ncols; i++) {
		if (i >= nf || strcmp(fields[i], cols[i]) != 0) {
			fprintf(stderr, "%s:1: header must be:", im->path);
			for (int k = 0; k < ncols; k++)
				fprintf(stderr, "%s%s", k ? "," : " ", cols[k]);
			fputc('\n', stderr);
			csv_close(rd);
			return -1;
		}
	}
	if (simple(c, "BEGIN") ||
	    simple(c, accounts ? BOOK_SQL_STAGE_ACCOUNTS : BOOK_SQL_STAGE_INVOICES) ||
	    start_copy(c)) {
		csv_close(rd);
		return -1;
	}
	while ((nf = csv_next(rd, &fields, &line, err, sizeof err)) != 0) {
		if (nf < 0) {
			row_error(im, line, "%s", err);
			break;
		}
		if (nf == 1 && fields[0][0] == '\0')
			continue; /* blank line */
		if (nf != ncols) {
			char want[64];
			snprintf(want, sizeof want, "%d fields, expected %d", nf, ncols);
			row_error(im, line, "%s", want);
			continue;
		}
		if (accounts)
			account_row(im, fields, line);
		else
			invoice_row(im, fields, line);
		if (im->errors) {
			copying = 0;
			continue;
		}
		if (PQputCopyData(c->conn, im->buf, (int)im->len) != 1) {
			fprintf(stderr, "dunnctl: COPY failed: %s", PQerrorMessage(c->conn));
			im->errors++;
			break;
		}
		rows++;
	}
	csv_close(rd);
	PQputCopyEnd(c->conn, copying && !im->errors ? NULL : "invalid rows");
	res = PQgetResult(c->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !im->errors) {
		fprintf(stderr, "dunnctl: COPY failed: %s", PQerrorMessage(c->conn));
		im->errors++;
	}
	PQclear(res);
	while ((res = PQgetResult(c->conn)) != NULL)
		PQclear(res);
	/* A temp table has no statistics: without them the checks and the
	 * upsert below pick nested loops over a million rows. */
	if (!im->errors && simple(c, "ANALYZE stage"))
		im->errors++;
	if (!im->errors &&
	    report(c, im, BOOK_SQL_DUPLICATES, accounts ? "account_ref" : "invoice_ref"))
		im->errors++;
	if (!im->errors && !accounts && report(c, im, BOOK_SQL_ORPHANS, "account_ref"))
		im->errors++;
	if (im->errors ||
	    simple(c, accounts ? BOOK_SQL_UPSERT_ACCOUNTS : BOOK_SQL_UPSERT_INVOICES) ||
	    simple(c, "COMMIT")) {
		PQclear(PQexec(c->conn, "ROLLBACK"));
		if (im->errors > MAX_REPORTED)
			fprintf(stderr, "%s: %d more errors not shown\n", im->path,
				im->errors - MAX_REPORTED);
		fprintf(stderr, "%s: nothing imported\n", im->path);
		return -1;
	}
	printf("import: %ld %s upserted from %s\n", rows, accounts ? "accounts" : "invoices",
	       im->path);
	return 0;
}

int ctl_import(struct ctl *c, int argc, char **argv)
{
	struct import im = {0};
	int accounts, rc;
	FILE *f;

	if (argc != 3 || (strcmp(argv[1], "accounts") && strcmp(argv[1], "invoices"))) {
		fprintf(stderr, "Usage: dunnctl -c FILE import accounts|invoices PATH.csv\n");
		return 2;
	}
	accounts = !strcmp(argv[1], "accounts");
	im.path = argv[2];
	f = fopen(im.path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open: %m\n", im.path);
		return 1;
	}
	rc = run_import(c, &im, f, accounts);
	fclose(f);
	free(im.buf);
	return rc ? 1 : 0;
}
