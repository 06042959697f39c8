/* Configuration errors: every one reported as file:line:column by both
 * `dunnd --check-config` and `dunnctl check-config`, exit status 1. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir;

/* A config whose parts can be swapped: NULL takes the good default. */
static char *write_config(const char *top_extra, const char *channel_extra, const char *policy,
			  const char *templates)
{
	char *body = NULL, *path;
	const char *src = tu_env("DUNN_SRCDIR");

	free(tu_file(dir, "link_secret", "0123456789abcdef0123456789abcdef\n"));
	ck_assert(asprintf(&body,
			   "{\n"
			   "  \"database\": {\"conninfo\": \"dbname=none\"},\n"
			   "  \"http\": {\"listen\": \"127.0.0.1:0\", \"link_secret_file\": \"link_secret\"},\n"
			   "  \"policy\": \"%s\",\n"
			   "  \"templates\": \"%s\",\n"
			   "  \"module_dir\": \"%s/modules\",\n"
			   "%s"
			   "  \"channels\": {\"email\": {\"module\": \"email\", \"server\": \"127.0.0.1:25\",\n"
			   "                \"from\": \"b@example.com\"%s}}\n"
			   "}\n",
			   policy ? policy : "policy.json",
			   templates ? templates : "templates", tu_env("DUNN_BUILD"),
			   top_extra ? top_extra : "", channel_extra ? channel_extra : "") > 0);
	path = tu_file(dir, "dunnd.json", body);
	free(body);
	(void)src;
	return path;
}

static void setup(void)
{
	dir = tu_tmpdir();
	ck_assert_int_eq(tu_sh("cp -R config/templates %s/templates && cp config/policy.json %s/",
			       dir, dir),
			 0);
}

static void teardown(void)
{
	free(dir);
}

/* Both tools reject cfg, and both name the error. */
static void expect_error(const char *cfg, const char *error)
{
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), error) != NULL, "dunnd: want '%s' in:\n%s", error,
		      tu_output());
	ck_assert_int_eq(tu_sh("dunnctl -c %s check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), error) != NULL, "dunnctl: want '%s' in:\n%s", error,
		      tu_output());
}

START_TEST(good_config_passes)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_ptr_nonnull(strstr(tu_output(), "configuration OK"));
	ck_assert_int_eq(tu_sh("dunnctl -c %s check-config", cfg), 0);
	free(cfg);
}
END_TEST

START_TEST(unknown_key)
{
	char *cfg = write_config("  \"pol1cy\": 1,\n", NULL, NULL, NULL);

	expect_error(cfg, "dunnd.json:7:3: unknown key 'pol1cy'");
	free(cfg);
}
END_TEST

START_TEST(wrong_type)
{
	char *cfg = write_config("  \"batch_size\": \"500\",\n", NULL, NULL, NULL);

	expect_error(cfg, "dunnd.json:7:17: 'batch_size' must be an integer");
	free(cfg);
}
END_TEST

START_TEST(syntax_error)
{
	char *cfg = write_config("  \"batch_size\": 500,,\n", NULL, NULL, NULL);

	expect_error(cfg, "dunnd.json:7:21: string or '}' expected");
	free(cfg);
}
END_TEST

START_TEST(inline_secret_refused)
{
	char *cfg = write_config(NULL, ", \"password\": \"hunter2\"", NULL, NULL);

	expect_error(cfg, "secrets are not allowed inline: use 'password_file'");
	ck_assert_ptr_null(strstr(tu_output(), "hunter2"));
	free(cfg);
}
END_TEST

START_TEST(missing_module)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_int_eq(tu_sh("sed -i 's/\"module\": \"email\"/\"module\": \"fax\"/' %s", cfg), 0);
	expect_error(cfg, "dunnd.json:7:36: module 'fax' not found");
	/* One root cause, one message: no cascade about its templates. */
	ck_assert_ptr_null(strstr(tu_output(), "no en/firm.fax"));
	free(cfg);
}
END_TEST

START_TEST(policy_unknown_channel_and_template)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_int_eq(tu_sh("sed -i 's/\"channels\": \\[\"email\"\\], \"template\": \"firm\" }/"
			       "\"channels\": [\"fax\"], \"template\": \"firm\" }/' %s/policy.json",
			       dir),
			 0);
	expect_error(cfg, "policy.json:13:42: unknown channel 'fax'");
	ck_assert_int_eq(tu_sh("cp config/policy.json %s/ && sed -i 's/\"template\": \"gentle\"/"
			       "\"template\": \"gentel\"/' %s/policy.json",
			       dir, dir),
			 0);
	expect_error(cfg, "unknown template 'gentel' for channel 'email' (no en/gentel.email)");
	free(cfg);
}
END_TEST

START_TEST(step_days_must_increase)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_int_eq(tu_sh("sed -i 's/\"after_days\": 10,/\"after_days\": 2, /' %s/policy.json",
			       dir),
			 0);
	expect_error(cfg, "policy.json:22:25: step days must increase: 2 does not come after 3");
	free(cfg);
}
END_TEST

START_TEST(template_unknown_variable)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	free(tu_file(dir, "templates/ja/firm.email",
		     "Subject: {{ amount }} のお支払い\n\n{{ name }} 様\n\n残高: {{ amuont }}\n"));
	expect_error(cfg, "templates/ja/firm.email:5:5: unknown template variable 'amuont'");
	free(tu_file(dir, "templates/ja/firm.email", "Subject: {{ amount\n\nbody\n"));
	expect_error(cfg, "templates/ja/firm.email:1:10: unterminated '{{'");
	free(cfg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("check-config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, good_config_passes);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, wrong_type);
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, inline_secret_refused);
	tcase_add_test(tc, missing_module);
	tcase_add_test(tc, policy_unknown_channel_and_template);
	tcase_add_test(tc, step_days_must_increase);
	tcase_add_test(tc, template_unknown_variable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
