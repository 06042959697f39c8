/* dunnctl import: stream a billing export into a temporary table with
 * COPY while validating every row, then upsert by reference in the same
 * transaction. Any bad row aborts the whole import: all rows or none. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "ctl.h"
#include "money.h"
#include "owed.h"
#include "phone.h"
#include "tz.h"

#define MAX_REPORTED 50

struct import {
	const char *path;
	int errors;
	char *buf; /* one COPY line */
	size_t len, cap;
};

static const char *const account_cols[] = {"account_ref", "name",     "email",   "phone",
					   "locale",      "timezone", "segment", NULL};
static const char *const invoice_cols[] = {"invoice_ref", "account_ref", "amount",
					   "currency",    "due_date",    "description", NULL};

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
			case '\\': put(im, "\\\\", 2); break;
			case '\t': put(im, "\\t", 2); break;
			case '\n': put(im, "\\n", 2); break;
			case '\r': put(im, "\\r", 2); break;
			default: put(im, s, 1); break;
			}
		}
	}
	put(im, last ? "\n" : "\t", 1);
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
}

/* The first control character of s (valid UTF-8, csv.c checked it): C0,
 * DEL or C1, except line breaks and tabs when breaks is set; -1 if none.
 * A name or reference holding ESC or CR would drive the terminal of the
 * operator who lists it, and would end up in letters and messages. */
static long control_in(const char *s, int breaks)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (breaks && (*p == '\n' || *p == '\t'))
			continue;
		if (*p < 0x20 || *p == 0x7F)
			return *p;
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return p[1];
	}
	return -1;
}

/* Refuse field `what` of line when it holds a control character. */
static void check_text(struct import *im, int line, const char *what, const char *s, int breaks)
{
	long cc = control_in(s, breaks);

	if (cc >= 0)
		row_error(im, line, "%s holds a control character (U+%04lX)", what, cc);
}

static int valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (!*s)
		return 1;
	if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || strlen(s) > 254)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' || *s == ',' || *s == '"')
			return 0;
	return 1;
}

static int valid_locale(const char *s)
{
	size_t i = 0;

	while (isalpha((unsigned char)s[i]))
		i++;
	if (i < 2 || i > 3)
		return 0;
	while (s[i] == '-') {
		size_t k = ++i;
		while (isalnum((unsigned char)s[i]))
			i++;
		if (i - k < 2 || i - k > 8)
			return 0;
	}
	return s[i] == '\0';
}

static int valid_date(const char *s)
{
	int y, m, d, used = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 || s[10])
		return 0;
	if (m < 1 || m > 12 || d < 1 || y < 1900 || y > 9999)
		return 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static void account_row(struct import *im, char **f, int line)
{
	char *ref = f[0], *name = f[1], *email = f[2], *phone = f[3];
	char *locale = f[4], *zone = f[5], *segment = f[6];
	char lineno[16];

	for (int i = 0; i < 7; i++)
		trim(f[i]);
	if (!*ref)
		row_error(im, line, "account_ref is empty");
	if (!*name)
		row_error(im, line, "name is empty");
	check_text(im, line, "account_ref", ref, 0);
	check_text(im, line, "name", name, 0);
	check_text(im, line, "segment", segment, 0);
	for (char *p = email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!valid_email(email))
		row_error(im, line, "not an email address: '%s'", email);
	if (phone_normalise(phone) != 0)
		row_error(im, line, "phone must be E.164, e.g. +821012345678: '%s'", f[3]);
	if (!*locale)
		snprintf(locale, 3, "en");
	if (!valid_locale(locale))
		row_error(im, line, "not a BCP 47 locale: '%s'", locale);
	if (!*zone)
		snprintf(zone, 4, "UTC");
	if (!tz_valid(zone))
		row_error(im, line, "unknown IANA time zone '%s'", zone);
	if (im->errors)
		return;
	snprintf(lineno, sizeof lineno, "%d", line);
	im->len = 0;
	put_field(im, lineno, 0, 0);
	put_field(im, ref, 0, 0);
	put_field(im, name, 0, 0);
	put_field(im, email, 1, 0);
	put_field(im, phone, 1, 0);
	put_field(im, locale, 0, 0);
	put_field(im, zone, 0, 0);
	put_field(im, segment, 0, 1);
}

static void invoice_row(struct import *im, char **f, int line)
{
	char *ref = f[0], *acct = f[1], *amount = f[2], *cur = f[3], *due = f[4], *desc = f[5];
	char lineno[16], minor_s[32], err[160];
	int64_t minor = 0;

	for (int i = 0; i < 6; i++)
		trim(f[i]);
	for (char *p = cur; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!*ref)
		row_error(im, line, "invoice_ref is empty");
	if (!*acct)
		row_error(im, line, "account_ref is empty");
	check_text(im, line, "invoice_ref", ref, 0);
	check_text(im, line, "account_ref", acct, 0);
	check_text(im, line, "description", desc, 1);
	if (money_exponent(cur) < 0)
		row_error(im, line, "unknown currency '%s'", cur);
	else if (money_parse(amount, cur, &minor, err, sizeof err) != 0)
		row_error(im, line, "amount: %s", err);
	else if (minor > OWED_MAX_AMOUNT) {
		money_plain(OWED_MAX_AMOUNT, cur, err, sizeof err);
		row_error(im, line, "amount: more than the largest accepted, %s %s", err, cur);
	}
	if (!valid_date(due))
		row_error(im, line, "due_date must be YYYY-MM-DD: '%s'", due);
	if (im->errors)
		return;
	snprintf(lineno, sizeof lineno, "%d", line);
	snprintf(minor_s, sizeof minor_s, "%lld", (long long)minor);
	im->len = 0;
	put_field(im, lineno, 0, 0);
	put_field(im, ref, 0, 0);
	put_field(im, acct, 0, 0);
	put_field(im, minor_s, 0, 0);
	put_field(im, cur, 0, 0);
	put_field(im, due, 0, 0);
	put_field(im, desc, 1, 1);
}

static const char SQL_STAGE_ACCOUNTS[] =
	"CREATE TEMP TABLE stage (line int, ref text, name text, email text, phone text,"
	" locale text, timezone text, segment text) ON COMMIT DROP";
static const char SQL_STAGE_INVOICES[] =
	"CREATE TEMP TABLE stage (line int, ref text, account_ref text, amount bigint,"
	" currency text, due_date date, description text) ON COMMIT DROP";
static const char SQL_UPSERT_ACCOUNTS[] =
	"INSERT INTO dunning.accounts (external_ref, name, email, phone, locale, timezone, segment)\n"
	"SELECT ref, name, email, phone, locale, timezone, segment FROM stage\n"
	"ON CONFLICT (external_ref) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,\n"
	"  phone = EXCLUDED.phone, locale = EXCLUDED.locale, timezone = EXCLUDED.timezone,\n"
	"  segment = EXCLUDED.segment";
static const char SQL_UPSERT_INVOICES[] =
	"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, due_date,\n"
	"                              description)\n"
	"SELECT a.id, s.ref, s.amount, s.currency, s.due_date, s.description\n"
	"FROM stage s JOIN dunning.accounts a ON a.external_ref = s.account_ref\n"
	"ON CONFLICT (external_ref) DO UPDATE SET account_id = EXCLUDED.account_id,\n"
	"  amount_due = EXCLUDED.amount_due, currency = EXCLUDED.currency,\n"
	"  due_date = EXCLUDED.due_date, description = EXCLUDED.description";
static const char SQL_DUPLICATES[] =
	"SELECT max(line), ref, min(line) FROM stage GROUP BY ref HAVING count(*) > 1\n"
	"ORDER BY 1 LIMIT 50";
static const char SQL_ORPHANS[] =
	"SELECT s.line, s.account_ref FROM stage s\n"
	"WHERE NOT EXISTS (SELECT 1 FROM dunning.accounts a WHERE a.external_ref = s.account_ref)\n"
	"ORDER BY 1 LIMIT 50";

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
	const char *const *cols = accounts ? account_cols : invoice_cols;
	struct csv_reader *rd = csv_open(f);
	char **fields, err[160];
	int nf, line, ncols = accounts ? 7 : 6, copying = 1;
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
	if (simple(c, "BEGIN") || simple(c, accounts ? SQL_STAGE_ACCOUNTS : SQL_STAGE_INVOICES) ||
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
	if (!im->errors && report(c, im, SQL_DUPLICATES, accounts ? "account_ref" : "invoice_ref"))
		im->errors++;
	if (!im->errors && !accounts && report(c, im, SQL_ORPHANS, "account_ref"))
		im->errors++;
	if (im->errors || simple(c, accounts ? SQL_UPSERT_ACCOUNTS : SQL_UPSERT_INVOICES) ||
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
