/* The email channel against real SMTP servers: STARTTLS with certificate
 * verification, AUTH from a secret file, 4xx retried later. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char *dir, *conninfo, *maildir;
static pid_t sink = -1;
static int port;
static PGconn *db;

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice,alice@customer.test,,en-US,America/New_York,retail\n"
	"A-2,Tim,tempfail-tim@customer.test,,en-US,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Plan\n"
			       "INV-2,A-2,19.90,USD,2026-11-01,Plan\n";

/* A CA and a server certificate for localhost, made fresh for the run. */
static void make_certs(void)
{
	ck_assert_msg(
		tu_sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		      "-subj /CN=dunnd-test-ca -keyout ca.key -out ca.pem 2>/dev/null && "
		      "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
		      "-keyout srv.key -out srv.csr 2>/dev/null && "
		      "printf 'subjectAltName=DNS:localhost\\n' > san.ext && "
		      "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		      "-days 2 -extfile san.ext -out srv.pem 2>/dev/null && "
		      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rogue "
		      "-keyout rogue.key -out rogue.pem 2>/dev/null",
		      dir) == 0,
		"%s", tu_output());
}

static void start_sink(const char *opts)
{
	char portfile[512];
	FILE *f;

	snprintf(portfile, sizeof portfile, "%s/sink.port", dir);
	unlink(portfile);
	ck_assert_int_eq(tu_sh("rm -rf %s && mkdir -p %s", maildir, maildir), 0);
	sink = fork();
	ck_assert_int_ge(sink, 0);
	if (sink == 0) {
		char cmd[2048];
		snprintf(cmd, sizeof cmd,
			 "exec /usr/bin/python3 %s/tests/servers/smtp_sink.py %s %s %s",
			 tu_env("DUNN_SRCDIR"), maildir, portfile, opts);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Python's start (aiosmtpd, ssl) can take tens of seconds on a busy
	 * machine; a sink that died says so at once instead of timing out. */
	for (int i = 0; i < 600; i++) {
		int status;

		f = fopen(portfile, "r");
		if (f && fscanf(f, "%d", &port) == 1) {
			fclose(f);
			return;
		}
		if (f)
			fclose(f);
		if (waitpid(sink, &status, WNOHANG) == sink) {
			sink = -1;
			ck_abort_msg("the TLS sink exited (status %d) before it listened", status);
		}
		usleep(100000);
	}
	ck_abort_msg("the TLS sink did not start within 60 s");
}

static void stop_sink(void)
{
	if (sink > 0) {
		kill(sink, SIGTERM);
		waitpid(sink, NULL, 0);
		sink = -1;
	}
}

/* The harness config with this test's email channel swapped in. */
static char *config(const char *channel_extra)
{
	char chan[1024];
	char *cfg = tu_config(dir, conninfo, NULL, NULL);
	json_error_t err;
	json_t *root = json_load_file(cfg, 0, &err), *email;

	ck_assert_msg(root != NULL, "%s", err.text);
	snprintf(chan, sizeof chan,
		 "{\"module\": \"email\", \"server\": \"localhost:%d\", "
		 "\"from\": \"Billing <billing@test.example>\", \"timeout_s\": 30, %s}",
		 port, channel_extra);
	email = json_loads(chan, 0, &err);
	ck_assert_msg(email != NULL, "%s", err.text);
	json_object_set_new(json_object_get(root, "channels"), "email", email);
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
	return cfg;
}

static void setup(void)
{
	dir = tu_tmpdir();
	ck_assert(asprintf(&maildir, "%s/mail", dir) > 0);
	conninfo = tu_newdb("email");
	make_certs();
	free(tu_file(dir, "smtp_password", "s3cret-pass\n"));
	free(tu_file(dir, "a.csv", ACCOUNTS));
	free(tu_file(dir, "i.csv", INVOICES));
	db = tu_connect(conninfo);
}

static void teardown(void)
{
	stop_sink();
	PQfinish(db);
	free(maildir);
	free(conninfo);
	free(dir);
}

static void seed(const char *cfg)
{
	tu_migrate(cfg);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/a.csv", cfg, dir), 0);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import invoices %s/i.csv", cfg, dir), 0);
}

static int sink_count(void)
{
	ck_assert_int_eq(tu_sh("ls %s | grep -c '\\.eml$' || true", maildir), 0);
	return atoi(tu_output());
}

/* One run delivers: no retries. (Retries once hid a stall of libesmtp
 * after STARTTLS when TLS 1.3 session tickets came before the EHLO was
 * sent; see email_tls_init.) */
static void run_once_delivered(const char *cfg, int want)
{
	ck_assert_msg(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z", cfg) == 0, "%s",
		      tu_output());
	ck_assert_int_eq(sink_count(), want);
}

START_TEST(starttls_verified_and_auth)
{
	char opts[1024], *cfg;

	snprintf(opts, sizeof opts,
		 "--tls %s/srv.pem %s/srv.key --require-tls --auth billing:s3cret-pass", dir, dir);
	start_sink(opts);
	cfg = config("\"starttls\": \"required\", \"ca_file\": \"ca.pem\", "
		     "\"auth_user\": \"billing\", \"password_file\": \"smtp_password\"");
	seed(cfg);
	run_once_delivered(cfg, 1);
	ck_assert_int_eq(tu_sh("cat %s/*.json", maildir), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"tls\": true"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"auth\": \"billing\""));
	ck_assert_ptr_nonnull(strstr(tu_output(), "alice@customer.test"));
	/* The password never reaches the log, even at debug level. */
	ck_assert_int_eq(
		tu_sh("sed -i 's/\"log_level\": \"info\"/\"log_level\": \"debug\"/' %s && "
		      "dunnd -c %s --once --at 2026-11-10T16:00:00Z 2>&1 | grep -c s3cret || true",
		      cfg, cfg),
		0);
	ck_assert_int_eq(atoi(tu_output()), 0);
	free(cfg);
}
END_TEST

/* 451 for a recipient: retried later, not failed, not suppressed. */
START_TEST(temporary_failure_retried)
{
	char *cfg;

	start_sink("");
	cfg = config("\"starttls\": \"off\"");
	seed(cfg);
	ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z", cfg), 0);
	ck_assert_int_eq(sink_count(), 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued' "
				 "AND attempts = 1 AND last_error LIKE 'smtp 451%'"),
			 1);
	ck_assert_int_eq(tu_qint(db, "SELECT count(*) FROM dunning.suppressions"), 0);
	free(cfg);
}
END_TEST

/* PIPELINING offered: a session's envelopes go in groups with the data
 * before them. Refusals in the middle (451, 550: DATA refused, the
 * transaction reset) leave the messages after them to go through. */
START_TEST(pipelined_session_with_refusals)
{
	char *cfg;

	free(tu_file(dir, "a.csv",
		     "account_ref,name,email,phone,locale,timezone,segment\n"
		     "A-1,Alice,alice@customer.test,,en-US,America/New_York,retail\n"
		     "A-2,Tim,tempfail-tim@customer.test,,en-US,America/New_York,retail\n"
		     "A-3,Bob,bounce-bob@customer.test,,en-US,America/New_York,retail\n"
		     "A-4,Dora,dora@customer.test,,en-US,America/New_York,retail\n"));
	free(tu_file(dir, "i.csv",
		     "invoice_ref,account_ref,amount,currency,due_date,description\n"
		     "INV-1,A-1,49.90,USD,2026-11-01,Plan\n"
		     "INV-2,A-2,19.90,USD,2026-11-01,Plan\n"
		     "INV-3,A-3,29.90,USD,2026-11-01,Plan\n"
		     "INV-4,A-4,39.90,USD,2026-11-01,Plan\n"));
	start_sink("--pipelining");
	cfg = config("\"starttls\": \"off\"");
	seed(cfg);
	ck_assert_int_eq(
		tu_sh("sed -i 's/\"log_level\": \"info\"/\"log_level\": \"debug\"/' %s", cfg), 0);
	ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z 2>&1", cfg), 0);
	/* A reply's lines each logged, even when one read brought them all. */
	ck_assert_msg(strstr(tu_output(), "event=smtp S: \"250-PIPELINING\"") != NULL, "%s",
		      tu_output());
	ck_assert_msg(strstr(tu_output(), "event=smtp C: \"RCPT\"") != NULL, "%s", tu_output());
	ck_assert_int_eq(sink_count(), 2);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'"), 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued' "
				 "AND attempts = 1 AND last_error LIKE 'smtp 451%'"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = 'bounced' "
				 "AND last_error LIKE 'smtp 550%'"),
			 1);
	ck_assert_int_eq(tu_sh("cat %s/*.json", maildir), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "alice@customer.test"));
	ck_assert_ptr_nonnull(strstr(tu_output(), "dora@customer.test"));
	free(cfg);
}
END_TEST

START_TEST(untrusted_certificate_refused)
{
	char opts[1024], *cfg;

	/* The server shows a self-signed certificate our CA did not sign. */
	snprintf(opts, sizeof opts, "--tls %s/rogue.pem %s/rogue.key --require-tls", dir, dir);
	start_sink(opts);
	cfg = config("\"starttls\": \"required\", \"ca_file\": \"ca.pem\"");
	seed(cfg);
	ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z", cfg), 0);
	ck_assert_int_eq(sink_count(), 0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued' "
				 "AND attempts = 1"),
			 2);
	free(cfg);
}
END_TEST

START_TEST(required_tls_not_offered)
{
	char *cfg;

	start_sink("");
	cfg = config("\"starttls\": \"required\", \"ca_file\": \"ca.pem\"");
	seed(cfg);
	ck_assert_int_eq(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z", cfg), 0);
	ck_assert_int_eq(sink_count(), 0);
	ck_assert_int_eq(
		tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued'"), 2);
	free(cfg);
}
END_TEST

START_TEST(opportunistic_uses_tls_when_offered)
{
	char opts[1024], *cfg;

	snprintf(opts, sizeof opts, "--tls %s/srv.pem %s/srv.key", dir, dir);
	start_sink(opts);
	cfg = config("\"starttls\": \"if-available\", \"ca_file\": \"ca.pem\"");
	seed(cfg);
	run_once_delivered(cfg, 1);
	ck_assert_int_eq(tu_sh("cat %s/*.json", maildir), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "\"tls\": true"));
	free(cfg);
}
END_TEST

START_TEST(auth_without_required_tls_is_a_config_error)
{
	char *cfg;

	start_sink("");
	cfg = config("\"starttls\": \"if-available\", \"auth_user\": \"b\", "
		     "\"password_file\": \"smtp_password\"");
	tu_migrate(cfg);
	ck_assert_int_ne(tu_sh("dunnd -c %s --once --at 2026-11-10T15:00:00Z", cfg), 0);
	ck_assert_ptr_nonnull(strstr(tu_output(), "set \"starttls\": \"required\""));
	free(cfg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("email");
	TCase *tc = tcase_create("tls and auth");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, getenv("DUNN_WRAP") ? 900 : 180);
	tcase_add_test(tc, starttls_verified_and_auth);
	tcase_add_test(tc, temporary_failure_retried);
	tcase_add_test(tc, pipelined_session_with_refusals);
	tcase_add_test(tc, untrusted_certificate_refused);
	tcase_add_test(tc, required_tls_not_offered);
	tcase_add_test(tc, opportunistic_uses_tls_when_offered);
	tcase_add_test(tc, auth_without_required_tls_is_a_config_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
