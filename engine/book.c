/* Row validation and upsert statements shared by dunnctl import and the
 * API (see book.h). */
#include "book.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "owed.h"
#include "phone.h"
#include "tz.h"

const char *const book_account_cols[] = {"account_ref", "name",     "email",   "phone",
					 "locale",      "timezone", "segment", NULL};
const char *const book_invoice_cols[] = {"invoice_ref", "account_ref", "amount", "currency",
					 "due_date",    "description", NULL};

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

/* The first control character of s (valid UTF-8): C0, DEL or C1, except
 * line breaks and tabs when breaks is set; -1 if none. A name or
 * reference holding ESC or CR would drive the terminal of the operator
 * who lists it, and would end up in letters and messages. */
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

struct rep {
	book_err_fn fn;
	void *arg;
	int n;
};

static void fail(struct rep *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct rep *r, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->n++;
	r->fn(r->arg, field, msg);
}

static void check_text(struct rep *r, const char *what, const char *s, int breaks)
{
	long cc = control_in(s, breaks);

	if (cc >= 0)
		fail(r, what, "%s holds a control character (U+%04lX)", what, cc);
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

int book_account(char **f, book_err_fn err, void *arg)
{
	char *ref = f[0], *name = f[1], *email = f[2], *phone = f[3];
	char *locale = f[4], *zone = f[5], *segment = f[6];
	char phone_was[64];
	struct rep r = {err, arg, 0};

	for (int i = 0; i < BOOK_ACCOUNT_FIELDS; i++)
		trim(f[i]);
	if (!*ref)
		fail(&r, "account_ref", "account_ref is empty");
	if (!*name)
		fail(&r, "name", "name is empty");
	check_text(&r, "account_ref", ref, 0);
	check_text(&r, "name", name, 0);
	check_text(&r, "segment", segment, 0);
	for (char *p = email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!valid_email(email))
		fail(&r, "email", "not an email address: '%s'", email);
	snprintf(phone_was, sizeof phone_was, "%s", phone);
	if (phone_normalise(phone) != 0)
		fail(&r, "phone", "phone must be E.164, e.g. +821012345678: '%s'", phone_was);
	if (!*locale)
		memcpy(locale, "en", 3);
	if (!valid_locale(locale))
		fail(&r, "locale", "not a BCP 47 locale: '%s'", locale);
	if (!*zone)
		memcpy(zone, "UTC", 4);
	if (!tz_valid(zone))
		fail(&r, "timezone", "unknown IANA time zone '%s'", zone);
	return r.n;
}

int book_invoice(char **f, int64_t *minor, book_err_fn err, void *arg)
{
	char *ref = f[0], *acct = f[1], *amount = f[2], *cur = f[3], *due = f[4], *desc = f[5];
	char msg[160];
	struct rep r = {err, arg, 0};

	*minor = 0;
	for (int i = 0; i < BOOK_INVOICE_FIELDS; i++)
		trim(f[i]);
	for (char *p = cur; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!*ref)
		fail(&r, "invoice_ref", "invoice_ref is empty");
	if (!*acct)
		fail(&r, "account_ref", "account_ref is empty");
	check_text(&r, "invoice_ref", ref, 0);
	check_text(&r, "account_ref", acct, 0);
	check_text(&r, "description", desc, 1);
	if (money_exponent(cur) < 0)
		fail(&r, "currency", "unknown currency '%s'", cur);
	else if (money_parse(amount, cur, minor, msg, sizeof msg) != 0)
		fail(&r, "amount", "amount: %s", msg);
	else if (*minor > OWED_MAX_AMOUNT) {
		money_plain(OWED_MAX_AMOUNT, cur, msg, sizeof msg);
		fail(&r, "amount", "amount: more than the largest accepted, %s %s", msg, cur);
	}
	if (!valid_date(due))
		fail(&r, "due_date", "due_date must be YYYY-MM-DD: '%s'", due);
	return r.n;
}

const char BOOK_SQL_STAGE_ACCOUNTS[] =
	"CREATE TEMP TABLE stage (line int, ref text, name text, email text, phone text,"
	" locale text, timezone text, segment text) ON COMMIT DROP";
const char BOOK_SQL_STAGE_INVOICES[] =
	"CREATE TEMP TABLE stage (line int, ref text, account_ref text, amount bigint,"
	" currency text, due_date date, description text) ON COMMIT DROP";
const char BOOK_SQL_UPSERT_ACCOUNTS[] =
	"INSERT INTO dunning.accounts (external_ref, name, email, phone, locale, timezone, segment)\n"
	"SELECT ref, name, email, phone, locale, timezone, segment FROM stage\n"
	"ON CONFLICT (external_ref) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,\n"
	"  phone = EXCLUDED.phone, locale = EXCLUDED.locale, timezone = EXCLUDED.timezone,\n"
	"  segment = EXCLUDED.segment";
const char BOOK_SQL_UPSERT_INVOICES[] =
	"INSERT INTO dunning.invoices (account_id, external_ref, amount_due, currency, due_date,\n"
	"                              description)\n"
	"SELECT a.id, s.ref, s.amount, s.currency, s.due_date, s.description\n"
	"FROM stage s JOIN dunning.accounts a ON a.external_ref = s.account_ref\n"
	"ON CONFLICT (external_ref) DO UPDATE SET account_id = EXCLUDED.account_id,\n"
	"  amount_due = EXCLUDED.amount_due, currency = EXCLUDED.currency,\n"
	"  due_date = EXCLUDED.due_date, description = EXCLUDED.description";
const char BOOK_SQL_DUPLICATES[] =
	"SELECT max(line), ref, min(line) FROM stage GROUP BY ref HAVING count(*) > 1\n"
	"ORDER BY 1 LIMIT 50";
const char BOOK_SQL_ORPHANS[] =
	"SELECT s.line, s.account_ref FROM stage s\n"
	"WHERE NOT EXISTS (SELECT 1 FROM dunning.accounts a WHERE a.external_ref = s.account_ref)\n"
	"ORDER BY 1 LIMIT 50";
