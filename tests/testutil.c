#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *last_output;

const char tu_ny_seoul_accounts[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"A-2,김민수,minsu@customer.test,+821012345678,ko-KR,Asia/Seoul,retail\n";
const char tu_ny_seoul_invoices[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
				    "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
				    "INV-2,A-2,120000,KRW,2026-11-01,인터넷 요금 10월\n";

const char *tu_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set: run the tests through 'make check'", name);
	return v;
}

char *tu_newdb(const char *name)
{
	char sql[256], *conninfo = NULL;
	PGconn *c = tu_connect(tu_env("DUNN_PG"));

	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	PQclear(tu_q(c, sql));
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PQclear(tu_q(c, sql));
	PQfinish(c);
	ck_assert(asprintf(&conninfo, "%s dbname=%s", tu_env("DUNN_PG"), name) > 0);
	return conninfo;
}

char *tu_tmpdir(void)
{
	char *d = NULL;

	ck_assert(asprintf(&d, "%s/t.XXXXXX", tu_env("SRV_DIR")) > 0);
	ck_assert(mkdtemp(d) != NULL);
	return d;
}

char *tu_file(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	int fd;

	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	/* 0600 whatever the umask: dunnd refuses a secret file open to group
	 * or others, and fixtures write secrets here too. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0 && fchmod(fd, 0600) == 0, "cannot write %s", path);
	f = fdopen(fd, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

char *tu_config(const char *dir, const char *conninfo, const char *policy_json, const char *extra)
{
	return tu_config_ex(dir, conninfo, policy_json, NULL, extra);
}

char *tu_config_ex(const char *dir, const char *conninfo, const char *policy_json,
		   const char *http_extra, const char *extra)
{
	const char *src = tu_env("DUNN_SRCDIR");
	char *policy = NULL, *body = NULL, *path;

	free(tu_file(dir, "link_secret", "test-link-secret-0123456789abcdef\n"));
	if (policy_json)
		policy = tu_file(dir, "policy.json", policy_json);
	else
		ck_assert(asprintf(&policy, "%s/config/policy.json", src) > 0);
	ck_assert(
		asprintf(
			&body,
			"{\n"
			"  \"database\": {\"conninfo\": \"%s\"},\n"
			"  \"http\": {\"listen\": \"127.0.0.1:0\",\n"
			"            \"admin_listen\": \"127.0.0.1:0\",\n"
			"            \"public_url\": \"https://pay.test\",\n"
			"            \"link_secret_file\": \"link_secret\"%s%s},\n"
			"  \"policy\": \"%s\",\n"
			"  \"templates\": \"%s/config/templates\",\n"
			"  \"migrations\": \"%s/migrations\",\n"
			"  \"module_dir\": \"%s/modules\",\n"
			"  \"company\": \"Test Telecom\",\n"
			"  \"support\": \"help@test.example\",\n"
			"  \"log_level\": \"info\",\n"
			"%s%s"
			"  \"channels\": {\"email\": {\"module\": \"email\", \"server\": \"%s\",\n"
			"     \"from\": \"Test Billing <billing@test.example>\", \"starttls\": \"off\"}}\n"
			"}\n",
			conninfo, http_extra ? ",\n            " : "", http_extra ? http_extra : "",
			policy, src, src, tu_env("DUNN_BUILD"), extra ? extra : "",
			extra ? ",\n" : "", tu_env("DUNN_SMTP")) > 0);
	path = tu_file(dir, "dunnd.json", body);
	free(body);
	free(policy);
	return path;
}

char *tu_config_channels(const char *dir, const char *conninfo, const char *policy_json,
			 const char *channels_json)
{
	char *path = tu_config(dir, conninfo, policy_json, NULL);
	json_error_t err;
	json_t *root, *more;

	if (!channels_json)
		return path;
	root = json_load_file(path, 0, &err);
	ck_assert_msg(root != NULL, "%s: %s", path, err.text);
	more = json_loads(channels_json, 0, &err);
	ck_assert_msg(json_is_object(more), "channels_json: %s", err.text);
	ck_assert_int_eq(json_object_update(json_object_get(root, "channels"), more), 0);
	ck_assert_int_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
	json_decref(more);
	json_decref(root);
	return path;
}

int tu_sh(const char *fmt, ...)
{
	char *cmd = NULL, *full = NULL;
	va_list ap;
	FILE *p;
	size_t cap = 4096, len = 0, n;
	int st;

	va_start(ap, fmt);
	ck_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	/* make valgrind: $DUNN_WRAP runs in front of every dunnd and dunnctl. */
	ck_assert(asprintf(&full, "cd '%s' && PATH='%s':$PATH; %s{ %s ; } 2>&1",
			   tu_env("DUNN_SRCDIR"), tu_env("DUNN_BUILD"),
			   getenv("DUNN_WRAP") && *getenv("DUNN_WRAP")
				   ? "dunnd() { $DUNN_WRAP \"$DUNN_BUILD/dunnd\" \"$@\"; }; "
				     "dunnctl() { $DUNN_WRAP \"$DUNN_BUILD/dunnctl\" \"$@\"; }; "
				   : "",
			   cmd) > 0);
	p = popen(full, "r");
	ck_assert(p != NULL);
	free(last_output);
	last_output = malloc(cap);
	while ((n = fread(last_output + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len - 1 == 0)
			last_output = realloc(last_output, cap *= 2);
	}
	last_output[len] = '\0';
	st = pclose(p);
	if (getenv("DUNN_TEST_VERBOSE"))
		fprintf(stderr, "$ %s\n%s", cmd, last_output);
	free(cmd);
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const char *tu_output(void)
{
	return last_output ? last_output : "";
}

PGconn *tu_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

PGresult *tu_q(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s\n-> %s", sql,
		      PQerrorMessage(c));
	return r;
}

long long tu_qint(PGconn *c, const char *sql)
{
	PGresult *r = tu_q(c, sql);
	long long v;

	ck_assert_msg(PQntuples(r) == 1, "%s: expected one row", sql);
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

char *tu_qstr(PGconn *c, const char *sql)
{
	PGresult *r = tu_q(c, sql);
	char *v;

	ck_assert_msg(PQntuples(r) == 1, "%s: expected one row", sql);
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

void tu_mail_clear(void)
{
	tu_sh("rm -f '%s'/*.eml '%s'/*.json", tu_env("DUNN_MAILDIR"), tu_env("DUNN_MAILDIR"));
}

int tu_mail_count(void)
{
	DIR *d = opendir(tu_env("DUNN_MAILDIR"));
	struct dirent *e;
	int n = 0;

	ck_assert(d != NULL);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The i-th file in name order with the given suffix. */
static char *nth_file(int i, const char *suffix)
{
	struct dirent **list;
	char *path = NULL;
	int n = scandir(tu_env("DUNN_MAILDIR"), &list, NULL, alphasort), k = 0;

	for (int j = 0; j < n; j++) {
		size_t l = strlen(list[j]->d_name);
		if (!path && l > strlen(suffix) &&
		    strcmp(list[j]->d_name + l - strlen(suffix), suffix) == 0 && ++k == i)
			ck_assert(asprintf(&path, "%s/%s", tu_env("DUNN_MAILDIR"),
					   list[j]->d_name) > 0);
		free(list[j]);
	}
	free(list);
	ck_assert_msg(path != NULL, "no message %d in the sink", i);
	return path;
}

json_t *tu_mail(int i)
{
	char *path = nth_file(i, ".eml");
	json_error_t err;
	json_t *j;

	ck_assert_int_eq(tu_sh("/usr/bin/python3 tests/servers/mailparse.py '%s'", path), 0);
	j = json_loads(tu_output(), 0, &err);
	ck_assert_msg(j != NULL, "mailparse output: %s", err.text);
	free(path);
	return j;
}

char *tu_mail_rcpt(int i)
{
	char *eml = nth_file(i, ".json");
	json_error_t err;
	json_t *j, *r;
	char *out;
	size_t idx;

	j = json_load_file(eml, 0, &err);
	ck_assert_msg(j != NULL, "%s: %s", eml, err.text);
	out = calloc(1, 4096);
	json_array_foreach(json_object_get(j, "rcpt_tos"), idx, r)
	{
		if (idx)
			strcat(out, ",");
		strncat(out, json_string_value(r), 1000);
	}
	json_decref(j);
	free(eml);
	return out;
}

int tu_mail_for(const char *addr)
{
	for (int i = 1; i <= tu_mail_count(); i++) {
		char *r = tu_mail_rcpt(i);
		int hit = strcmp(r, addr) == 0;
		free(r);
		if (hit)
			return i;
	}
	return 0;
}

void tu_migrate(const char *cfg)
{
	ck_assert_msg(tu_sh("dunnctl -c %s migrate", cfg) == 0, "%s", tu_output());
}

void tu_import(const char *cfg, const char *dir, const char *accounts, const char *invoices)
{
	free(tu_file(dir, "accounts.csv", accounts));
	free(tu_file(dir, "invoices.csv", invoices));
	ck_assert_msg(tu_sh("dunnctl -c %s import accounts %s/accounts.csv", cfg, dir) == 0, "%s",
		      tu_output());
	ck_assert_msg(tu_sh("dunnctl -c %s import invoices %s/invoices.csv", cfg, dir) == 0, "%s",
		      tu_output());
}

PGconn *tu_book_db(const char *cfg, const char *dir, const char *conninfo, const char *accounts,
		   const char *invoices)
{
	tu_migrate(cfg);
	tu_import(cfg, dir, accounts, invoices);
	return tu_connect(conninfo);
}

void tu_import_named(const char *cfg, const char *dir, const char *name)
{
	ck_assert_msg(tu_sh("dunnctl -c %s import accounts %s/%s-accounts.csv", cfg, dir, name) ==
			      0,
		      "%s", tu_output());
	ck_assert_msg(tu_sh("dunnctl -c %s import invoices %s/%s-invoices.csv", cfg, dir, name) ==
			      0,
		      "%s", tu_output());
}

double tu_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double tu_run_once(const char *cfg, const char *at)
{
	double t = tu_now_s();
	int rc = tu_sh("dunnd -c %s --once --at %s", cfg, at);

	ck_assert_msg(rc == 0, "dunnd --once failed (%d):\n%s", rc, tu_output());
	return tu_now_s() - t;
}

void tu_teardown(PGconn *db, char *dir, char *cfg, char *conninfo)
{
	if (db)
		PQfinish(db);
	free(dir);
	free(cfg);
	free(conninfo);
}

int tu_wait_port(const char *file, int ms)
{
	for (int waited = 0;; waited += 50) {
		FILE *f = fopen(file, "r");
		int port = 0;

		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port > 0 || waited >= ms)
			return port > 0 ? port : 0;
		usleep(50000);
	}
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

const char *tu_jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	ck_assert_msg(v != NULL, "no string '%s'", k);
	return v;
}

void tu_seed_sent(PGconn *db)
{
	PQclear(tu_q(
		db,
		"INSERT INTO dunning.accounts (external_ref, name, email, phone)\n"
		"VALUES ('A-1', 'Alice', 'alice@customer.test', '+15550001111');\n"
		"INSERT INTO dunning.cases (account_id, cycle, opened_at, next_action_at)\n"
		"SELECT id, 1, now(), now() + interval '30 days' FROM dunning.accounts;\n"
		"INSERT INTO dunning.deliveries (case_id, account_id, cycle, step, channel,\n"
		"  template, status, next_attempt_at, created_at, provider_message_id, sent_at)\n"
		"SELECT c.id, c.account_id, 1, s.step, s.ch, 'gentle', 'sent',\n"
		"       now() + interval '30 days', now(), s.pid, now()\n"
		"FROM dunning.cases c, (VALUES (1, 'sms', 'SM-1'), (2, 'sms', 'SM-2'),\n"
		"                              (3, 'email', 'EM-1')) s(step, ch, pid)"));
}

char *tu_delivery(PGconn *db, const char *ref, const char *col)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT coalesce(%s::text, '') FROM dunning.deliveries d JOIN dunning.accounts a "
		 "ON a.id = d.account_id WHERE a.external_ref = '%s' AND d.kind = 'reminder'",
		 col, ref);
	return tu_qstr(db, sql);
}

void tu_assert_delivery(PGconn *db, const char *ref, const char *col, const char *want)
{
	char *v = tu_delivery(db, ref, col);

	ck_assert_msg(strcmp(v, want) == 0, "%s %s = '%s', want '%s'", ref, col, v, want);
	free(v);
}

void tu_assert_error_has(PGconn *db, const char *ref, const char *needle)
{
	char *v = tu_delivery(db, ref, "last_error");

	ck_assert_msg(strstr(v, needle) != NULL, "%s last_error '%s' lacks '%s'", ref, v, needle);
	free(v);
}

long long tu_next_attempt_in(PGconn *db, const char *ref, long long t0)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT extract(epoch FROM d.next_attempt_at)::bigint - %lld "
		 "FROM dunning.deliveries d JOIN dunning.accounts a ON a.id = d.account_id "
		 "WHERE a.external_ref = '%s' AND d.kind = 'reminder'",
		 t0, ref);
	return tu_qint(db, sql);
}

long long tu_qintf(PGconn *c, const char *fmt, ...)
{
	char *sql = NULL;
	va_list ap;
	long long v;

	va_start(ap, fmt);
	ck_assert(vasprintf(&sql, fmt, ap) > 0);
	va_end(ap);
	v = tu_qint(c, sql);
	free(sql);
	return v;
}
