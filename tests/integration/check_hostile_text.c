/* Hostile text through the whole path: names, templates, descriptions,
 * SMS replies and dispute reasons full of quotes, backslashes, SQL,
 * emoji, right-to-left and multi-byte text must come out byte for byte
 * where they were meant to go (database rows, the mail a customer reads
 * as decoded by Python's email package), and a NUL byte, which neither a
 * C string nor PostgreSQL text can hold, must be refused cleanly. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"

#define SECRET "hostile-webhook-secret-0123456789"

/* U+202E RIGHT-TO-LEFT OVERRIDE ... U+202C POP DIRECTIONAL FORMATTING */
#define RLO "\xe2\x80\xae"
#define PDF "\xe2\x80\xac"
#define DUCK "\xf0\x9f\xa6\x86"

static const char *const names[] = {
	"O'Brien \"Bobby\" \\ Tables'); DROP TABLE dunning.accounts;--",
	"김민수 " DUCK " " RLO "gnp.exe" PDF " <script>alert(1)</script>",
	"שלום עליכם مرحبا بالعالم ％＄＼ 日本語 \\N \\t 'x' %s%n",
	"Zoë Ünïcødé-Ĉhâracters ,\"\",\\\\, ¡olé!",
};
#define NACC 4

static const char DESCRIPTION[] = "Plan \"Gold\" \\ 100% 'off' " DUCK " {{ name }} \\N ;--";

/* A template that is hostile itself: quotes, backslashes, a literal
 * "{{", printf directives, RTL and emoji around the substitutions. */
static const char TEMPLATE[] = "Subject: {{ name }}: \"due\" 'now' \\ " DUCK " שלום\n"
			       "\n"
			       "Dear {{ name }},\n"
			       "Quotes \" ' ` backslash \\ \\n percent %s %n %% " DUCK
			       " مرحبا 안녕 " RLO "txet" PDF "\n"
			       "Literal \\{{ not_a_tag }}\n"
			       "{{ pay_url }}\n";
static const char SUBJECT_TAIL[] = ": \"due\" 'now' \\ " DUCK " שלום";

static const char REPLY[] = "I \"paid\" \\ already'); DELETE FROM dunning.cases;-- " DUCK " " RLO
			    "?yrros" PDF " 안녕하세요 مرحبا";
static const char REASON[] = "Charged twice: \"$49.90\" \\ 'twice' " DUCK " שלום; DROP TABLE x;--";

static char *dir, *cfg, *conninfo;
static PGconn *db;

/* A CSV field: always quoted, '"' doubled. */
static void csv_put(FILE *f, const char *s, int last)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
	fputs(last ? "\r\n" : ",", f);
}

static char *path_in(const char *name)
{
	char *p = NULL;

	ck_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* The single text value of a one-parameter query (caller frees). */
static char *q1(const char *sql, const char *param)
{
	const char *params[1] = {param};
	PGresult *r = PQexecParams(db, sql, 1, NULL, params, NULL, NULL, 0);
	char *out;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
	ck_assert_msg(PQntuples(r) == 1, "%s (%s): %d rows", sql, param, PQntuples(r));
	out = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static void write_config(void)
{
	char *out, *tdir = path_in("templates");
	json_t *root;
	json_error_t err;
	FILE *f;

	free(tu_file(dir, "webhook_secret", SECRET "\n"));
	cfg = tu_config_ex(dir, conninfo, NULL, "\"webhook_secret_file\": \"webhook_secret\"",
			   NULL);
	/* Our own template tree: the repository's, with a hostile gentle.email. */
	ck_assert_msg(tu_sh("cp -R config/templates '%s/'", dir) == 0, "%s", tu_output());
	free(tu_file(tdir, "en/gentle.email", TEMPLATE));
	root = json_load_file(cfg, 0, &err);
	ck_assert_msg(root != NULL, "%s", err.text);
	json_object_set_new(root, "templates", json_string(tdir));
	out = json_dumps(root, JSON_INDENT(2));
	f = fopen(cfg, "w");
	ck_assert(f && out && fputs(out, f) >= 0 && fclose(f) == 0);
	free(out);
	json_decref(root);
	free(tdir);
}

static void import_book(void)
{
	char *ap = path_in("accounts.csv"), *ip = path_in("invoices.csv");
	FILE *a = fopen(ap, "w"), *i = fopen(ip, "w");

	ck_assert(a && i);
	fputs("account_ref,name,email,phone,locale,timezone,segment\r\n", a);
	fputs("invoice_ref,account_ref,amount,currency,due_date,description\r\n", i);
	for (int k = 0; k < NACC; k++) {
		char ref[16], email[64], phone[32], inv[16];
		snprintf(ref, sizeof ref, "H-%d", k);
		snprintf(email, sizeof email, "h%d@customer.test", k);
		snprintf(phone, sizeof phone, "+1 (555) 000-11%02d", k);
		snprintf(inv, sizeof inv, "INV-H%d", k);
		csv_put(a, ref, 0);
		csv_put(a, names[k], 0);
		csv_put(a, email, 0);
		csv_put(a, phone, 0);
		csv_put(a, "en", 0);
		csv_put(a, "UTC", 0);
		csv_put(a, "retail", 1);
		csv_put(i, inv, 0);
		csv_put(i, ref, 0);
		csv_put(i, "49.90", 0);
		csv_put(i, "USD", 0);
		csv_put(i, "2026-11-01", 0);
		csv_put(i, DESCRIPTION, 1);
	}
	ck_assert(fclose(a) == 0 && fclose(i) == 0);
	ck_assert_msg(tu_sh("dunnctl -c %s import accounts '%s'", cfg, ap) == 0, "%s", tu_output());
	ck_assert_msg(tu_sh("dunnctl -c %s import invoices '%s'", cfg, ip) == 0, "%s", tu_output());
	free(ap);
	free(ip);
}

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("hostile");
	write_config();
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

/* s without spaces and tabs, into out. */
static const char *squeeze(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		if (*s != ' ' && *s != '\t')
			out[n++] = *s;
	out[n] = '\0';
	return out;
}

START_TEST(import_keeps_text_verbatim)
{
	import_book();
	for (int k = 0; k < NACC; k++) {
		char ref[16], *got;
		snprintf(ref, sizeof ref, "H-%d", k);
		got = q1("SELECT name FROM dunning.accounts WHERE external_ref = $1", ref);
		ck_assert_str_eq(got, names[k]);
		free(got);
		snprintf(ref, sizeof ref, "INV-H%d", k);
		got = q1("SELECT description FROM dunning.invoices WHERE external_ref = $1", ref);
		ck_assert_str_eq(got, DESCRIPTION);
		free(got);
	}
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM pg_tables WHERE schemaname = 'dunning' "
				 "AND tablename = 'accounts'"),
			 1);
}
END_TEST

/* A NUL byte in a field: the import names the line and imports nothing. */
START_TEST(import_rejects_nul)
{
	static const char head[] = "account_ref,name,email,phone,locale,timezone,segment\n"
				   "N-1,Fine Name,n1@customer.test,,en,UTC,retail\n"
				   "N-2,\"Bad";
	static const char tail[] = "Name\",n2@customer.test,,en,UTC,retail\n"
				   "N-3,Also Fine,n3@customer.test,,en,UTC,retail\n";
	char *p = path_in("nul.csv");
	FILE *f = fopen(p, "wb");

	ck_assert(f);
	fwrite(head, 1, sizeof head - 1, f);
	fputc('\0', f);
	fwrite(tail, 1, sizeof tail - 1, f);
	ck_assert(fclose(f) == 0);
	ck_assert_int_ne(tu_sh("dunnctl -c %s import accounts '%s'", cfg, p), 0);
	ck_assert_msg(strstr(tu_output(), "nul.csv:3: ") != NULL, "no line-numbered error:\n%s",
		      tu_output());
	ck_assert_msg(strcasestr(tu_output(), "NUL") != NULL, "error does not say NUL:\n%s",
		      tu_output());
	ck_assert_msg(strstr(tu_output(), "nothing imported") != NULL, "%s", tu_output());
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.accounts"), 0);
	free(p);
}
END_TEST

/* dunnd --once renders the hostile template with hostile names; the
 * mail a reader decodes says exactly that. */
START_TEST(mail_carries_text_verbatim)
{
	import_book();
	ck_assert_msg(tu_sh("dunnd -c %s --once --at 2026-11-10T12:00:00Z", cfg) == 0, "%s",
		      tu_output());
	ck_assert_int_eq(tu_mail_count(), NACC);
	for (int k = 0; k < NACC; k++) {
		char addr[64], *want = NULL, to[512], name[512];
		json_t *m;
		const char *text, *html;
		int i;

		snprintf(addr, sizeof addr, "h%d@customer.test", k);
		i = tu_mail_for(addr);
		ck_assert_msg(i > 0, "no mail for %s", addr);
		m = tu_mail(i);
		ck_assert(asprintf(&want, "%s%s", names[k], SUBJECT_TAIL) > 0);
		ck_assert_str_eq(json_string_value(json_object_get(m, "subject")), want);
		free(want);
		/* A display name with '"' or '\\' comes back quoted-string escaped;
		 * Python's address parser adds a space where a long name was split
		 * into two encoded-words (RFC 2047 says to drop it), so blanks are
		 * not compared. */
		if (!strpbrk(names[k], "\"\\"))
			ck_assert_msg(strstr(squeeze(json_string_value(json_object_get(m, "to")),
						     to, sizeof to),
					     squeeze(names[k], name, sizeof name)),
				      "To: %s", json_string_value(json_object_get(m, "to")));
		text = json_string_value(json_object_get(m, "text"));
		ck_assert(asprintf(&want, "Dear %s,\n", names[k]) > 0);
		ck_assert_msg(strstr(text, want) != NULL, "text:\n%s", text);
		free(want);
		ck_assert_ptr_nonnull(strstr(text,
					     "Quotes \" ' ` backslash \\ \\n percent %s %n %% " DUCK
					     " مرحبا 안녕 " RLO "txet" PDF "\n"));
		ck_assert_ptr_nonnull(strstr(text, "Literal {{ not_a_tag }}\n"));
		ck_assert_ptr_nonnull(strstr(text, "https://pay.test/p/"));
		/* The HTML part escapes what came from the customer's name. */
		html = json_string_value(json_object_get(m, "html"));
		ck_assert_ptr_null(strstr(html, "<script>"));
		json_decref(m);
	}
}
END_TEST

/* POST body to path on 127.0.0.1:port, signed; returns the HTTP status. */
static int post_signed(int port, const char *path, const char *body)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {20, 0};
	char *req = tu_signed_post(path, body, SECRET, (long long)time(NULL)), buf[256];
	ssize_t n, got = 0;
	int fd, code = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
	ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	while (got < (ssize_t)sizeof buf - 1 &&
	       (n = recv(fd, buf + got, sizeof buf - 1 - (size_t)got, 0)) > 0)
		got += n;
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) == 0)
		code = atoi(buf + 9);
	close(fd);
	free(req);
	return code;
}

/* A generic SMS reply carrying hostile text is stored verbatim; one
 * carrying a NUL (\u0000) is refused and stores nothing. */
START_TEST(sms_reply_stored_verbatim)
{
	struct tud d;
	char *got;
	json_t *body;
	char *json;
	int port = 0;

	import_book();
	port = tud_start_http(&d, dir, cfg, NULL);

	body = json_pack("{s:s, s:s, s:s}", "from", "+15550001101", "body", REPLY, "id", "in-1");
	json = json_dumps(body, JSON_COMPACT); /* \" \\ and UTF-8 as JSON carries them */
	for (int i = 0; i < 100; i++) {
		int code = post_signed(port, "/webhooks/sms/inbound", json);
		if (code == 200)
			break;
		ck_assert_msg(code == 503 || code == 0 || i < 99, "inbound: HTTP %d", code);
		usleep(100000);
	}
	free(json);
	json_decref(body);
	got = q1("SELECT body FROM dunning.inbound_messages WHERE provider_message_id = $1",
		 "in-1");
	ck_assert_str_eq(got, REPLY);
	free(got);
	got = q1("SELECT a.external_ref FROM dunning.inbound_messages m "
		 "JOIN dunning.accounts a ON a.id = m.account_id WHERE m.provider_message_id = $1",
		 "in-1");
	ck_assert_str_eq(got, "H-1");
	free(got);

	ck_assert_int_eq(
		post_signed(port, "/webhooks/sms/inbound",
			    "{\"from\":\"+15550001101\",\"body\":\"a\\u0000b\",\"id\":\"in-2\"}"),
		400);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.inbound_messages"), 1);

	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 30000), 0);
	tud_cleanup(&d);
}
END_TEST

/* dunnctl dispute with a hostile reason (through the shell unmangled:
 * it is read from a file with "$(cat ...)"). */
START_TEST(dispute_reason_verbatim)
{
	char *rp = path_in("reason.txt"), *got;

	import_book();
	free(tu_file(dir, "reason.txt", REASON));
	ck_assert_msg(tu_sh("dunnctl -c %s dispute INV-H2 --reason \"$(cat '%s')\"", cfg, rp) == 0,
		      "%s", tu_output());
	got = q1("SELECT d.reason FROM dunning.disputes d JOIN dunning.invoices i "
		 "ON i.id = d.invoice_id WHERE i.external_ref = $1",
		 "INV-H2");
	ck_assert_str_eq(got, REASON);
	free(got);
	free(rp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile_text");
	TCase *tc = tcase_create("hostile_text");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, import_keeps_text_verbatim);
	tcase_add_test(tc, import_rejects_nul);
	tcase_add_test(tc, mail_carries_text_verbatim);
	tcase_add_test(tc, sms_reply_stored_verbatim);
	tcase_add_test(tc, dispute_reason_verbatim);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
