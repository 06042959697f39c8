/* systemd integration of the real dunnd in daemon mode: the notify
 * protocol in order (READY, STATUS, WATCHDOG, RELOADING + MONOTONIC_USEC,
 * STOPPING), log levels changed by reload, journald priority prefixes,
 * masked addresses, and the unit's sandbox exposure. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tudaemon.h"

static char *dir, *cfg, *conninfo;
static struct tud t;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("systemd");
	cfg = tu_config(dir, conninfo, NULL, "  \"poll_interval_ms\": 200");
	tu_migrate(cfg);
	tu_mail_clear();
}

static void teardown(void)
{
	tud_cleanup(&t);
	tu_teardown(NULL, dir, cfg, conninfo);
}

/* Rewrite the log_level the config was written with. */
static void set_level(const char *from, const char *to)
{
	ck_assert_int_eq(
		tu_sh("sed -i 's/\"log_level\": \"%s\"/\"log_level\": \"%s\"/' %s", from, to, cfg),
		0);
}

static unsigned long long mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

START_TEST(notify_protocol_in_order)
{
	const char *env[] = {"WATCHDOG_USEC=400000", "WATCHDOG_PID=self", "JOURNAL_STREAM=", NULL};
	unsigned long long before, mono = 0;
	int watchdogs = 0, status = 0;
	char *m;

	tud_start(&t, dir, cfg, 1, env);
	m = tud_next_state(&t, 10000);
	ck_assert_msg(strncmp(m, "READY=1", 7) == 0, "first state message: %s", m);
	free(m);
	/* Within a second: pings at half of 400 ms and the queue depth. */
	for (int i = 0; i < 40 && (watchdogs < 3 || !status); i++) {
		m = tud_recv(&t, 100);
		if (!m)
			continue;
		watchdogs += strcmp(m, "WATCHDOG=1") == 0;
		if (strncmp(m, "STATUS=outbox ", 14) == 0) {
			unsigned long q, f;
			ck_assert_msg(
				sscanf(m, "STATUS=outbox %lu queued, %lu in flight", &q, &f) == 2,
				"%s", m);
			status = 1;
		}
		free(m);
	}
	ck_assert_int_ge(watchdogs, 3);
	ck_assert(status);

	before = mono_usec();
	tud_kill(&t, SIGHUP);
	m = tud_next_state(&t, 5000);
	ck_assert_msg(sscanf(m, "RELOADING=1\nMONOTONIC_USEC=%llu", &mono) == 1, "%s", m);
	ck_assert_msg(mono >= before && mono <= mono_usec(), "MONOTONIC_USEC %llu not now", mono);
	free(m);
	m = tud_next_state(&t, 5000);
	ck_assert_msg(strncmp(m, "READY=1", 7) == 0, "after reload: %s", m);
	free(m);

	tud_kill(&t, SIGTERM);
	m = tud_next_state(&t, 5000);
	ck_assert_msg(strncmp(m, "STOPPING=1", 10) == 0, "on stop: %s", m);
	free(m);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
}
END_TEST

START_TEST(failed_reload_keeps_running)
{
	char *m;

	tud_start(&t, dir, cfg, 1, NULL);
	free(tud_next_state(&t, 10000));
	ck_assert_int_eq(
		tu_sh("sed -i 's/\"batch_size\"/\"batch_sizeX\"/; s/^{/{\"bogus\": 1,/' %s", cfg),
		0);
	tud_kill(&t, SIGHUP);
	m = tud_next_state(&t, 5000);
	ck_assert_msg(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0, "%s", m);
	free(m);
	m = tud_next_state(&t, 5000);
	ck_assert_msg(strncmp(m, "READY=1\nSTATUS=reload failed", 28) == 0, "%s", m);
	free(m);
	ck_assert_int_eq(tud_wait_log(&t, "event=reload_failed", 2000), 0);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
}
END_TEST

START_TEST(no_watchdog_for_another_pid)
{
	const char *env[] = {"WATCHDOG_USEC=200000", "WATCHDOG_PID=1", NULL};
	char *m;
	int pings = 0;

	tud_start(&t, dir, cfg, 1, env);
	free(tud_next_state(&t, 10000));
	for (int i = 0; i < 5; i++) {
		m = tud_recv(&t, 100);
		pings += m && strcmp(m, "WATCHDOG=1") == 0;
		free(m);
	}
	ck_assert_int_eq(pings, 0);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
}
END_TEST

START_TEST(log_level_follows_reload)
{
	const char *env[] = {"JOURNAL_STREAM=8:12345", NULL};

	set_level("info", "warning");
	tud_start(&t, dir, cfg, 1, env);
	free(tud_next_state(&t, 10000));
	ck_assert_int_eq(tud_log_count(&t, "event=started"), 0); /* notice < warning */
	set_level("warning", "notice");
	tud_kill(&t, SIGHUP);
	free(tud_next_state(&t, 5000)); /* RELOADING */
	free(tud_next_state(&t, 5000)); /* READY */
	ck_assert_int_eq(tud_wait_log(&t, "<5>config: event=reloaded", 2000), 0);
	set_level("notice", "error");
	tud_kill(&t, SIGHUP);
	free(tud_next_state(&t, 5000));
	free(tud_next_state(&t, 5000));
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
	/* The second reload switched notice off before logging itself. */
	ck_assert_int_eq(tud_log_count(&t, "event=reloaded"), 1);
	ck_assert_int_eq(tud_log_count(&t, "event=stopping"), 0);
	/* Under journald every line is "<N>subsys: ", never a timestamp. */
	ck_assert_int_eq(tu_sh("grep -cv '^<[0-7]>[a-z]*: ' %s", t.log), 1);
}
END_TEST

/* Addresses never reach the log in clear, even at debug. */
START_TEST(addresses_masked_in_logs)
{
	set_level("info", "debug");
	tud_book(dir, "pii", 1, 3);
	tu_import_named(cfg, dir, "pii");
	tud_start(&t, dir, cfg, 0, NULL);
	ck_assert_int_eq(tud_until(tud_mail_count, NULL, 3, 20000), 3);
	ck_assert_int_eq(tud_wait_log(&t, "to=c1***@cu***.test", 5000), 0);
	tud_kill(&t, SIGTERM);
	ck_assert_int_eq(tud_wait(&t, 15000), 0);
	ck_assert_int_eq(tud_log_count(&t, "@customer.test"), 0);
	ck_assert_int_eq(tud_log_count(&t, "+1202555"), 0);
	ck_assert_int_eq(tu_sh("grep -c 'event=decide' %s >/dev/null", t.log), 0);
}
END_TEST

/* systemd-analyze security: the unit's overall exposure stays <= 1.5. */
START_TEST(unit_exposure)
{
	double exposure = 99;
	const char *p;

	if (tu_sh("command -v systemd-analyze") != 0) {
		fprintf(stderr,
			"check_systemd: SKIP unit_exposure: systemd-analyze not installed\n");
		return;
	}
	ck_assert_int_eq(tu_sh("sed 's,@SBINDIR@,/usr/sbin,g; s,@SYSCONFDIR@,/etc/dunnd,g' "
			       "systemd/dunnd.service >%s/dunnd.service",
			       dir),
			 0);
	tu_sh("systemd-analyze security --offline=true --no-pager %s/dunnd.service", dir);
	p = strstr(tu_output(), "Overall exposure level for dunnd.service: ");
	ck_assert_msg(p != NULL, "no exposure in:\n%s", tu_output());
	ck_assert(sscanf(p, "Overall exposure level for dunnd.service: %lf", &exposure) == 1);
	fprintf(stderr, "check_systemd: unit exposure %.1f\n", exposure);
	ck_assert_msg(exposure <= 1.5, "exposure %.1f > 1.5", exposure);
	/* A well-formed unit: no warnings about unknown keys. */
	ck_assert_int_eq(
		tu_sh("systemd-analyze security --offline=true --no-pager %s/dunnd.service "
		      "2>&1 >/dev/null | grep -c 'Unknown'",
		      dir),
		1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("systemd");
	TCase *tc = tcase_create("notify and logs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, notify_protocol_in_order);
	tcase_add_test(tc, failed_reload_keeps_running);
	tcase_add_test(tc, no_watchdog_for_another_pid);
	tcase_add_test(tc, log_level_follows_reload);
	tcase_add_test(tc, addresses_masked_in_logs);
	tcase_add_test(tc, unit_exposure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
