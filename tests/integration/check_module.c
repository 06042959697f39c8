/* A channel module built outside the tree (tests/modules/push.c) against
 * the headers `make install-dev` ships, found through pkg-config, driven
 * through the real daemon. The daemon must act on what the module
 * declares (channel.h: subject, address kind, opt-out list, template
 * kind) and on nothing else: the module gets its subject, is not stopped
 * by a STOP to texts, and its bounce files no suppression on a list it
 * never declared. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define T0 "2026-11-10T15:00:00Z" /* 10:00 in New York */
#define BOUNCER "+12025550199"

static char *dir, *cfg, *conninfo;
static PGconn *db;

static const char POLICY[] = TU_NY_SEOUL_POLICY("push");

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"P-1,Pat Example,pat@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"P-2,Quinn Example,quinn@customer.test," BOUNCER ",en-US,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "PINV-1,P-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "PINV-2,P-2,12.00,USD,2026-11-01,Mobile plan October\n";

/* Build push.so into DIR/SUB/ with extra compiler flags; the daemon's own
 * modules beside it, since module_dir is one directory. */
static void build_module(const char *sub, const char *cflags)
{
	const char *src = tu_env("DUNN_SRCDIR");

	ck_assert_msg(
		tu_sh("mkdir -p '%s/%s' && ln -sf '%s'/modules/*.so '%s/%s/' && "
		      "PKG_CONFIG_SYSROOT_DIR='%s/root' "
		      "PKG_CONFIG_PATH='%s/root/usr/share/pkgconfig' "
		      "cc -std=c11 -Wall -Wextra -Werror -shared -fPIC %s "
		      "$(PKG_CONFIG_SYSROOT_DIR='%s/root' "
		      "PKG_CONFIG_PATH='%s/root/usr/share/pkgconfig' "
		      "pkg-config --cflags dunnd-channel) -o '%s/%s/push.so' '%s/tests/modules/push.c'",
		      dir, sub, tu_env("DUNN_BUILD"), dir, sub, dir, dir, cflags, dir, dir, dir,
		      sub, src) == 0,
		"building push.so: %s", tu_output());
}

/* Point the config at DIR/SUB for modules and at DIR/templates. */
static void retarget(const char *sub)
{
	json_error_t err;
	json_t *root = json_load_file(cfg, 0, &err);
	char path[1024];

	ck_assert_msg(root != NULL, "%s: %s", cfg, err.text);
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	json_object_set_new(root, "module_dir", json_string(path));
	snprintf(path, sizeof path, "%s/templates", dir);
	json_object_set_new(root, "templates", json_string(path));
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
}

static void setup(void)
{
	char *ch = NULL, *outbox = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("module");
	ck_assert_msg(tu_sh("make -s -C '%s' install-dev DESTDIR='%s/root' PREFIX=/usr",
			    tu_env("DUNN_SRCDIR"), dir) == 0,
		      "make install-dev: %s", tu_output());
	build_module("mods", "");
	/* The shipped templates, plus the module's own kind. */
	ck_assert(tu_sh("cp -R '%s/config/templates' '%s/templates'", tu_env("DUNN_SRCDIR"), dir) ==
		  0);
	free(tu_file(dir, "templates/en/gentle.push",
		     "Subject: {{ amount }} is overdue\n\nHi {{ name }}, pay at {{ pay_url }}\n"));
	free(tu_file(dir, "templates/en/firm.push", "Still overdue: {{ amount }}\n"));
	static const char *const notices[] = {"payment_received", "promise_ack",      "dispute_ack",
					      "dispute_upheld",   "dispute_rejected", NULL};
	for (int i = 0; notices[i]; i++) {
		char name[128];
		snprintf(name, sizeof name, "templates/en/%s.push", notices[i]);
		free(tu_file(dir, name, "About your account {{ account_ref }}\n"));
	}
	ck_assert(asprintf(&outbox, "%s/push.jsonl", dir) > 0);
	ck_assert(asprintf(&ch,
			   "{\"push\": {\"module\": \"push\", \"outbox_file\": \"%s\","
			   " \"bounce_to\": \"" BOUNCER "\"}}",
			   outbox) > 0);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	retarget("mods");
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	free(ch);
	free(outbox);
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

/* The one line the module wrote for to, or NULL. */
static json_t *pushed_to(const char *to)
{
	char path[1024], line[8192];
	json_t *hit = NULL;
	FILE *f;

	snprintf(path, sizeof path, "%s/push.jsonl", dir);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	while (fgets(line, sizeof line, f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *t = json_string_value(json_object_get(j, "to"));
		if (t && !strcmp(t, to)) {
			ck_assert_msg(hit == NULL, "two pushes to %s", to);
			hit = j;
		} else {
			json_decref(j);
		}
	}
	fclose(f);
	return hit;
}

START_TEST(outside_module_end_to_end)
{
	json_t *p;

	/* A STOP to texts from P-1's number: not a refusal of pushes. */
	PQclear(tu_q(db,
		     "INSERT INTO dunning.suppressions (channel, address, reason, source) "
		     "VALUES ('sms', '+12025550101', 'opt-out', 'test')"));
	tu_run_once(cfg, T0);

	p = pushed_to("+12025550101");
	ck_assert_msg(p != NULL, "no push to P-1's number");
	/* Declared CHANNEL_CAP_SUBJECT: the subject is rendered and passed. */
	ck_assert_str_eq(tu_jstr(p, "subject"), "$49.90 is overdue");
	ck_assert_ptr_nonnull(
		strstr(tu_jstr(p, "text"), "Hi Pat Example, pay at https://pay.test/p/"));
	json_decref(p);
	tu_assert_delivery(db, "P-1", "d.status", "sent");

	/* The bounce is the delivery's, and suppresses nothing: the module
	 * declared no opt-out list. */
	tu_assert_delivery(db, "P-2", "d.status", "bounced");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.suppressions "
				 "WHERE address = '" BOUNCER "'"),
			 0);
	ck_assert_ptr_null(pushed_to(BOUNCER));
}
END_TEST

/* A result whose status channel.h does not define fails its delivery,
 * with the reason on the row; it was once stored as sent. */
START_TEST(unknown_status_fails)
{
	json_error_t err;
	json_t *root = json_load_file(cfg, 0, &err);
	json_t *p;

	ck_assert_msg(root != NULL, "%s: %s", cfg, err.text);
	json_object_set_new(json_object_get(json_object_get(root, "channels"), "push"), "garble_to",
			    json_string("+12025550101"));
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
	tu_run_once(cfg, T0);

	p = pushed_to("+12025550101");
	ck_assert_msg(p != NULL, "no push to P-1's number");
	json_decref(p);
	tu_assert_delivery(db, "P-1", "d.status", "failed");
	tu_assert_delivery(db, "P-1", "d.last_error", "module reported unknown status 11");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e JOIN dunning.accounts a "
				 "ON a.id = e.account_id WHERE a.external_ref = 'P-1' "
				 "AND e.kind = 'delivery_failed'"),
			 1);
	tu_assert_delivery(db, "P-2", "d.status", "bounced");
}
END_TEST

/* The same source built for the first module interface is refused by name
 * and version, before anything runs. */
START_TEST(old_abi_refused)
{
	build_module("mods-old", "-DPUSH_ABI=1");
	retarget("mods-old");
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(
		strstr(tu_output(), "push.so: incompatible module (ABI 1, dunnd loads 2 to 3)"),
		"%s", tu_output());
}
END_TEST

/* Built for ABI 2 (no option rows), it still loads: its init alone
 * checks its object. Built for 3, its rows refuse an unknown key at its
 * place, before anything runs. */
START_TEST(abi2_loads_and_rows_checked)
{
	json_error_t err;
	json_t *root;

	build_module("mods-abi2", "-DPUSH_ABI=2");
	retarget("mods-abi2");
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	retarget("mods");
	root = json_load_file(cfg, 0, &err);
	ck_assert_ptr_nonnull(root);
	json_object_set_new(json_object_get(json_object_get(root, "channels"), "push"), "colour",
			    json_string("blue"));
	ck_assert_int_eq(json_dump_file(root, cfg, JSON_INDENT(2)), 0);
	json_decref(root);
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), "dunnd.json:") &&
			      strstr(tu_output(), ": unknown key 'colour'"),
		      "%s", tu_output());
	ck_assert_int_eq(tu_sh("dunnd --dump-options --module-dir %s/mods", dir), 0);
	ck_assert_msg(strstr(tu_output(), "[channels.<name> (module push)]\noutbox_file\tpath"),
		      "%s", tu_output());
}
END_TEST

/* A module that declares no address kind cannot be acted on. */
START_TEST(undeclared_address_refused)
{
	build_module("mods-bad", "-DPUSH_ADDR=0");
	retarget("mods-bad");
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), "push.so: module declares no valid address kind"), "%s",
		      tu_output());
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("module");
	TCase *tc = tcase_create("outside");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, outside_module_end_to_end);
	tcase_add_test(tc, unknown_status_fails);
	tcase_add_test(tc, old_abi_refused);
	tcase_add_test(tc, undeclared_address_refused);
	tcase_add_test(tc, abi2_loads_and_rows_checked);
	suite_add_tcase(s, tc);
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
