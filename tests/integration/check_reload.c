/* SIGHUP reload: a bad policy is reported at file:line:column and the old
 * one stays in force; a good one takes over without a restart.
 * hold_sending stops every send while planning goes on, and a reload that
 * clears it sends what waited. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

static const char POLICY_FMT[] =
	"{\n"
	"  \"grace_days\": 0,\n"
	"  \"contact_window\": {\"start\": \"00:00\", \"end\": \"23:59\"},\n"
	"  \"tracks\": [{\"name\": \"only\", \"steps\": [\n"
	"    {\"after_days\": 1, \"channels\": [\"email\"], \"template\": \"%s\",\n"
	"     \"deadline_days\": 7, \"consequence\": \"Service may be suspended after {{ deadline }}.\"}]}]\n"
	"}\n";

static void write_policy(const char *dir, const char *tmpl)
{
	char body[1024];

	snprintf(body, sizeof body, POLICY_FMT, tmpl);
	free(tu_file(dir, "policy.json.new", body));
	/* Atomic replace, as an operator's deploy tool would do it. */
	ck_assert_int_eq(tu_sh("mv %s/policy.json.new %s/policy.json", dir, dir), 0);
}

static int subject_seen(const char *text)
{
	for (int i = 1; i <= tu_mail_count(); i++) {
		json_t *m = tu_mail(i);
		int hit = strstr(json_string_value(json_object_get(m, "subject")), text) != NULL;
		json_decref(m);
		if (hit)
			return 1;
	}
	return 0;
}

START_TEST(reload_keeps_old_on_error_then_swaps)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("reload"), *cfg, *policy, *s;
	struct tud t;
	char body[1024];

	snprintf(body, sizeof body, POLICY_FMT, "gentle");
	policy = NULL;
	cfg = tu_config(dir, conninfo, body, "\"poll_interval_ms\": 200");
	tu_migrate(cfg);
	tu_mail_clear();
	tud_start(&t, dir, cfg, 1, NULL);
	s = tud_next_state(&t, 10000);
	ck_assert_ptr_nonnull(strstr(s, "READY=1"));
	free(s);

	/* A broken policy: logged with its position, old policy kept. */
	free(tu_file(dir, "policy.json.new", "{\"tracks\": [], \"colour\": \"red\"}\n"));
	ck_assert_int_eq(tu_sh("mv %s/policy.json.new %s/policy.json", dir, dir), 0);
	tud_kill(&t, SIGHUP);
	ck_assert_int_eq(tud_wait_log(&t, "reload_failed", 5000), 0);
	ck_assert_int_eq(tud_wait_log(&t, "policy.json:1:16: unknown key 'colour'", 1000), 0);
	tud_book(dir, "one", 1, 1);
	ck_assert_int_eq(tu_sh("dunnctl -c %s import accounts %s/one-accounts.csv", cfg, dir), 1);
	/* dunnctl validates the config too: restore for it, then break again. */
	write_policy(dir, "gentle");
	tu_import_named(cfg, dir, "one");
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 1, 60000), 1);
	ck_assert(subject_seen("A friendly reminder"));

	/* A good policy with another template: takes over. */
	write_policy(dir, "final");
	tud_kill(&t, SIGHUP);
	ck_assert_int_eq(tud_wait_log(&t, "event=reloaded", 5000), 0);
	tud_book(dir, "two", 2, 1);
	tu_import_named(cfg, dir, "two");
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 2, 60000), 2);
	ck_assert(subject_seen("Final reminder"));
	/* The step's deadline is a date a week on, in its consequence too. */
	{
		json_t *m = tu_mail(2);
		const char *text = json_string_value(json_object_get(m, "text"));
		char want[160], date[64];
		time_t wk = time(NULL) + 7 * 86400;
		strftime(date, sizeof date, "%B %-d, %Y", gmtime(&wk));
		snprintf(want, sizeof want, "Service may be suspended after %s.", date);
		ck_assert_msg(text && strstr(text, want), "want '%s' in:\n%s", want, text);
		snprintf(want, sizeof want, "Please pay by %s:", date);
		ck_assert_msg(strstr(text, want), "want '%s' in:\n%s", want, text);
		ck_assert_msg(!strstr(text, "collections team"), "%s", text);
		json_decref(m);
	}
	/* Nothing was sent twice across the reloads. */
	ck_assert_int_eq(tu_mail_count(), 2);

	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
	tud_cleanup(&t);
	free(policy);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

static long long queued(PGconn *db)
{
	return tu_qint(db, "SELECT count(*) FROM dunning.deliveries WHERE status = 'queued'");
}

static long long queued_cond(void *arg)
{
	return queued(arg);
}

static long long sent_cond(void *arg)
{
	return tu_qint(arg, "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'");
}

START_TEST(hold_sending_then_release)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("hold"), *cfg;
	PGconn *db;
	struct tud t;
	char body[1024];

	snprintf(body, sizeof body, POLICY_FMT, "gentle");
	cfg = tu_config(dir, conninfo, body, "\"poll_interval_ms\": 200, \"hold_sending\": true");
	tu_migrate(cfg);
	db = PQconnectdb(conninfo);
	ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
	tu_mail_clear();

	/* --once plans the cycle and leaves its reminders queued. */
	tud_book(dir, "once", 1, 2);
	tu_import_named(cfg, dir, "once");
	tu_run_once(cfg, tud_iso_now());
	ck_assert_int_eq(queued(db), 2);
	ck_assert_int_eq(tu_mail_count(), 0);

	/* The daemon, held: a new account's reminder is planned, not sent. */
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_wait_log(&t, "event=sending_held", 10000), 0);
	tud_book(dir, "more", 3, 1);
	tu_import_named(cfg, dir, "more");
	ck_assert_int_eq(tud_until(queued_cond, db, 3, 30000), 3);
	usleep(1000 * 1000);
	ck_assert_int_eq(tu_mail_count(), 0);

	/* Released by a reload: all three go out, once each. */
	free(tu_config(dir, conninfo, body, "\"poll_interval_ms\": 200"));
	tud_kill(&t, SIGHUP);
	ck_assert_int_eq(tud_wait_log(&t, "event=sending_released", 5000), 0);
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 3, 60000), 3);
	ck_assert_int_eq(tud_until(sent_cond, db, 3, 10000), 3);
	ck_assert_int_eq(queued(db), 0);
	usleep(500 * 1000);
	ck_assert_int_eq(tu_mail_count(), 3);

	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
	tud_cleanup(&t);
	tu_teardown(db, dir, cfg, conninfo);
}
END_TEST

/* A reload that adds a channel (or changes any restart-only option) is
 * refused, naming the key: the running daemon never opens the new
 * channel, so accepting it failed every reminder on it with "channel not
 * configured". The old configuration stays, and goes on sending. */
START_TEST(restart_only_change_refused)
{
	char *dir = tu_tmpdir(), *conninfo = tu_newdb("restartonly"), *cfg, *s;
	struct tud t;
	char body[1024];

	snprintf(body, sizeof body, POLICY_FMT, "gentle");
	cfg = tu_config(dir, conninfo, body, "\"poll_interval_ms\": 200");
	tu_migrate(cfg);
	tu_mail_clear();
	tud_start(&t, dir, cfg, 1, NULL);
	s = tud_next_state(&t, 10000);
	ck_assert_ptr_nonnull(strstr(s, "READY=1"));
	free(s);

	free(tu_config_channels(dir, conninfo, body,
				"{\"mail2\": {\"module\": \"email\", \"server\": \"127.0.0.1:1\", "
				"\"from\": \"b@example.com\"}}"));
	tud_kill(&t, SIGHUP);
	ck_assert_int_eq(tud_wait_log(&t, "event=reload_refused key=channels.mail2", 5000), 0);
	ck_assert_int_eq(tud_log_count(&t, "event=reloaded"), 0);
	s = tud_next_state(&t, 5000); /* RELOADING=1 */
	free(s);
	s = tud_next_state(&t, 5000);
	ck_assert_msg(s && strstr(s, "STATUS=reload refused"), "%s", s ? s : "(none)");
	free(s);

	/* The old configuration is in force: a reminder goes out. */
	tud_book(dir, "one", 1, 1);
	free(tu_config(dir, conninfo, body, "\"poll_interval_ms\": 200"));
	tu_import_named(cfg, dir, "one");
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 1, 60000), 1);

	/* A reloadable change still takes over. */
	free(tu_config(dir, conninfo, body, "\"poll_interval_ms\": 100"));
	tud_kill(&t, SIGHUP);
	ck_assert_int_eq(tud_wait_log(&t, "event=reloaded", 5000), 0);

	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
	tud_cleanup(&t);
	tu_teardown(NULL, dir, cfg, conninfo);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("sighup");

	tcase_set_timeout(tc, getenv("DUNN_WRAP") ? 600 : 120);
	tcase_add_test(tc, reload_keeps_old_on_error_then_swaps);
	tcase_add_test(tc, hold_sending_then_release);
	tcase_add_test(tc, restart_only_change_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
