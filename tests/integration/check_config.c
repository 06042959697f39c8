/* Configuration errors: every one reported as file:line:column by both
 * `dunnd --check-config` and `dunnctl check-config`, exit status 1. */
#include <check.h>
#include <jansson.h>
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
	ck_assert(
		asprintf(
			&body,
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
			policy ? policy : "policy.json", templates ? templates : "templates",
			tu_env("DUNN_BUILD"), top_extra ? top_extra : "",
			channel_extra ? channel_extra : "") > 0);
	path = tu_file(dir, "dunnd.json", body);
	free(body);
	(void)src;
	return path;
}

static void setup(void)
{
	dir = tu_tmpdir();
	ck_assert_int_eq(
		tu_sh("cp -R config/templates %s/templates && cp config/policy.json %s/", dir, dir),
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

START_TEST(brand_errors)
{
	char *cfg = write_config("  \"brand\": {\"default\": \"\", \"k!\": \"X\", \"ko\": 3},\n",
				 NULL, NULL, NULL);

	expect_error(cfg, "dunnd.json:7:24: brand.default must be 1 to 24 characters on one line");
	expect_error(cfg, "dunnd.json:7:28: brand: 'k!' is not a locale");
	expect_error(cfg, "dunnd.json:7:45: brand.ko must be a string");
	free(cfg);
	cfg = write_config("  \"brand\": {\"ja\": {\"legal_name\": \"X K.K.\", \"phone\": \"1\",\n"
			   "                   \"privacy_url\": \"ftp://x\"}},\n",
			   NULL, NULL, NULL);
	expect_error(cfg, "dunnd.json:7:44: unknown key 'phone' (name, legal_name, support");
	expect_error(cfg, "dunnd.json:8:35: brand.ja.privacy_url must be an http(s) URL");
	free(cfg);
	cfg = write_config(
		"  \"brand\": {\"ja\": {\"legal_name\": \"X K.K.\", \"support_phone\": \"1\"}},\n",
		NULL, NULL, NULL);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	free(cfg);
}
END_TEST

/* locale_fallback: a good chain passes; each bad part is named where it is. */
START_TEST(locale_fallback_checked)
{
	char *cfg = write_config("  \"locale_fallback\": {\"zh-TW\": [\"zh-Hant\", \"zh-HK\"],\n"
				 "                      \"*\": [\"en\"]},\n",
				 NULL, NULL, NULL);

	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	free(cfg);
	cfg = write_config("  \"locale_fallback\": {\"zh TW\": [\"zh-Hant\"]},\n", NULL, NULL,
			   NULL);
	expect_error(cfg, "dunnd.json:7:23: 'zh TW' is not a locale");
	free(cfg);
	cfg = write_config("  \"locale_fallback\": {\"zh-TW\": []},\n", NULL, NULL, NULL);
	expect_error(cfg, "dunnd.json:7:32: a fallback is a list of 1 to 8 locales");
	free(cfg);
	cfg = write_config("  \"locale_fallback\": {\"zh-TW\": [\"zh-Hant\", 7]},\n", NULL, NULL,
			   NULL);
	expect_error(cfg, "dunnd.json:7:44: a fallback entry is a locale");
	free(cfg);
	cfg = write_config("  \"locale_fallback\": [\"en\"],\n", NULL, NULL, NULL);
	expect_error(cfg, "dunnd.json:7:22: 'locale_fallback' must be an object");
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

/* A policy looser than the preset it names: both tools pass it, and both
 * say where and by how much. */
START_TEST(preset_looser_warns)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);
	static const char *const want[] = {
		"policy.json:4:48: warning: the contact window closes at 22:00, later than preset "
		"'kr' allows (21:00)",
		"policy.json:2:36: warning: 9 contacts in 7 days across all channels is looser than "
		"preset 'kr' (7 in 7 days)",
	};

	ck_assert_int_eq(tu_sh("cp -R config/presets %s/ && sed -i -e '2i\\  \"preset\": \"kr\", "
			       "\"caps\": [{\"max\": 9, \"days\": 7}],' -e "
			       "'s/\"end\": \"21:00\"/\"end\": \"22:00\"/' %s/policy.json",
			       dir, dir),
			 0);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	for (size_t i = 0; i < 2; i++)
		ck_assert_msg(strstr(tu_output(), want[i]), "dunnd: want '%s' in:\n%s", want[i],
			      tu_output());
	ck_assert_msg(tu_sh("dunnctl -c %s check-config", cfg) == 0, "%s", tu_output());
	for (size_t i = 0; i < 2; i++)
		ck_assert_msg(strstr(tu_output(), want[i]), "dunnctl: want '%s' in:\n%s", want[i],
			      tu_output());
	/* The shipped policy within a preset: no warning. */
	ck_assert_int_eq(tu_sh("cp config/policy.json %s/ && sed -i '2i\\  \"preset\": \"jp\",' "
			       "%s/policy.json",
			       dir, dir),
			 0);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(!strstr(tu_output(), "warning"), "%s", tu_output());
	free(cfg);
}
END_TEST

START_TEST(money_style_errors)
{
	char *cfg = write_config("  \"money_style\": {\"ko\": \"won\", \"k!\": \"unit\"},\n", NULL,
				 NULL, NULL);

	expect_error(cfg, "dunnd.json:7:25: money_style.ko must be \"symbol\" or \"unit\"");
	expect_error(cfg, "dunnd.json:7:32: money_style: 'k!' is not a locale");
	free(cfg);
	cfg = write_config("  \"money_style\": {\"ko\": \"symbol\", \"default\": \"unit\"},\n",
			   NULL, NULL, NULL);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	free(cfg);
}
END_TEST

/* {{ deadline }} and {{ consequence }} need the step that sends the
 * template to set them, in the template's language. */
START_TEST(step_deadline_and_consequence)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_int_eq(tu_sh("sed -i 's/\"template\": \"urgent\", \"deadline_days\": 7/"
			       "\"template\": \"urgent\"/' %s/policy.json",
			       dir),
			 0);
	expect_error(cfg,
		     "templates/en/urgent.email:5:140: {{ deadline }}, but tracks[0].steps[1] "
		     "(track 'repeat') sends 'urgent' and sets no deadline_days");
	ck_assert_int_eq(
		tu_sh("cp config/policy.json %s/ && sed -i '/\"ja\": \"{{ deadline }}を/d' "
		      "%s/policy.json",
		      dir, dir),
		0);
	expect_error(cfg, "policy.json:16:26: no consequence for locale 'ja'");
	ck_assert_int_eq(
		tu_sh("cp config/policy.json %s/ && sed -i 's/\"after_days\": 21, "
		      "\"channels\": \\[\"email\"\\], \"template\": \"final\", "
		      "\"deadline_days\": 7,/\"after_days\": 21, \"channels\": [\"email\"], "
		      "\"template\": \"final\",/' %s/policy.json",
		      dir, dir),
		0);
	expect_error(cfg,
		     "policy.json:32:19: tracks[1].steps[2].consequence.en says "
		     "{{ deadline }} but the step sets no deadline_days");
	ck_assert_int_eq(tu_sh("cp config/policy.json %s/ && echo 'Subject: x {{ deadline }}' > "
			       "%s/templates/en/promise_ack.email && echo >> "
			       "%s/templates/en/promise_ack.email",
			       dir, dir, dir),
			 0);
	expect_error(cfg,
		     "templates/en/promise_ack.email:1:12: {{ deadline }}, but 'promise_ack' is "
		     "a notice");
	free(cfg);
}
END_TEST

START_TEST(step_days_must_increase)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL);

	ck_assert_int_eq(
		tu_sh("sed -i 's/\"after_days\": 10,/\"after_days\": 2, /' %s/policy.json", dir),
		0);
	expect_error(cfg, "policy.json:29:25: step days must increase: 2 does not come after 3");
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

/* dunnd refuses cfg with --check-config and at start, naming error. */
static void expect_dunnd_refuses(const char *cfg, const char *error)
{
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), error) != NULL, "--check-config: want '%s' in:\n%s",
		      error, tu_output());
	ck_assert_int_ne(tu_sh("dunnd -c %s --once", cfg), 0);
	ck_assert_msg(strstr(tu_output(), error) != NULL, "start: want '%s' in:\n%s", error,
		      tu_output());
}

/* As ssh with a private key: a secret others may read is refused, with
 * the file and its mode named; so is one holding a NUL byte. */
/* "payments": the provider, the instance's name and each provider's own
 * keys, each error where it is. */
START_TEST(payments_errors)
{
	char *cfg = write_config(
		"  \"payments\": {\"s\": {\"provider\": \"paypal\", \"signing_secret_file\": \"x\"},\n"
		"               \"twilio\": {\"provider\": \"adyen\"},\n"
		"               \"g\": {\"provider\": \"generic\", \"secret_file\": \"g\", \"hmac_key_file\": \"h\"}},\n",
		NULL, NULL, NULL);

	expect_error(cfg, "dunnd.json:7:34: provider must be stripe, adyen or generic");
	expect_error(cfg,
		     "dunnd.json:8:16: payment instance name 'twilio' is taken by the twilio "
		     "webhooks");
	expect_error(cfg, "dunnd.json:8:26: missing required key 'hmac_key_file'");
	expect_error(cfg, "dunnd.json:9:65: unknown key 'hmac_key_file'");
	free(cfg);
	/* a good one passes, and its key file is read as the daemon reads it */
	free(tu_file(dir, "whsec", "whsec_0123456789abcdef\nwhsec_fedcba9876543210\n"));
	cfg = write_config(
		"  \"payments\": {\"stripe\": {\"provider\": \"stripe\", "
		"\"signing_secret_file\": \"whsec\", \"invoice_ref_field\": \"ref\"}},\n",
		NULL, NULL, NULL);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_int_eq(tu_sh("chmod 644 %s/whsec", dir), 0);
	ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
	ck_assert_msg(strstr(tu_output(), "payments.stripe.signing_secret_file") &&
			      strstr(tu_output(), "too open"),
		      "%s", tu_output());
	free(cfg);
}
END_TEST

START_TEST(secret_files_must_be_private)
{
	char *cfg = write_config(NULL, NULL, NULL, NULL), *want = NULL;

	ck_assert_int_eq(tu_sh("chmod 644 %s/link_secret", dir), 0);
	ck_assert(asprintf(&want, "Permissions 0644 for '%s/link_secret' are too open", dir) > 0);
	expect_dunnd_refuses(cfg, want);
	ck_assert_ptr_null(strstr(tu_output(), "0123456789abcdef0123456789abcdef"));
	free(want);
	ck_assert_int_eq(tu_sh("chmod 640 %s/link_secret", dir), 0);
	expect_dunnd_refuses(cfg, "Permissions 0640 for");
	ck_assert_int_eq(tu_sh("chmod 600 %s/link_secret", dir), 0);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());

	ck_assert_int_eq(tu_sh("printf '0123456789abcdef\\0ignored-0123456789' >%s/link_secret && "
			       "chmod 600 %s/link_secret",
			       dir, dir),
			 0);
	ck_assert(asprintf(&want, "'%s/link_secret' holds a NUL byte", dir) > 0);
	expect_dunnd_refuses(cfg, want);
	free(want);
	free(cfg);
}
END_TEST

/* A password belongs in a passfile, not in the connection string; the
 * error says where to put it and never repeats it. */
START_TEST(conninfo_password_refused)
{
	static const char *const bad[] = {
		"host=db.example user=dunnd password=hunter2 dbname=dunning",
		"postgresql://dunnd:hunter2@db.example/dunning",
	};
	const char *src = tu_env("DUNN_BUILD");

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *body = NULL, *cfg;
		free(tu_file(dir, "link_secret", "0123456789abcdef0123456789abcdef\n"));
		ck_assert(
			asprintf(&body,
				 "{\n"
				 "  \"database\": {\"conninfo\": \"%s\"},\n"
				 "  \"http\": {\"listen\": \"127.0.0.1:0\", \"link_secret_file\": "
				 "\"link_secret\"},\n"
				 "  \"module_dir\": \"%s/modules\",\n"
				 "  \"channels\": {\"email\": {\"module\": \"email\", \"server\": "
				 "\"127.0.0.1:25\", \"from\": \"b@example.com\"}}\n"
				 "}\n",
				 bad[i], src) > 0);
		cfg = tu_file(dir, "dunnd.json", body);
		expect_error(cfg, "dunnd.json:2:28: database.conninfo: a password is not allowed");
		ck_assert_ptr_nonnull(strstr(tu_output(), "passfile"));
		ck_assert_ptr_null(strstr(tu_output(), "hunter2"));
		free(body);
		free(cfg);
	}
}
END_TEST

/* An sms channel whose callbacks could never be verified (its key
 * missing, or open to others) fails --check-config, named. */
START_TEST(sms_callbacks_that_could_never_verify)
{
	const char *build = tu_env("DUNN_BUILD");
	static const char *const keys[] = {
		"\"provider\": \"generic\", \"auth_token_file\": \"sms_token\", "
		"\"webhook_secret_file\": \"no_such_file\"",
		"\"provider\": \"generic\", \"auth_token_file\": \"open_token\"",
		"\"auth_token_file\": \"sms_token\", \"provider\": \"twilio\", "
		"\"account_sid\": \"ACtest\"",
	};
	static const char *const want[] = {"channels.sms.webhook_secret_file: cannot open",
					   "channels.sms.auth_token_file: Permissions 0644",
					   "channels.sms: http.public_url is not set"};

	free(tu_file(dir, "sms_token", "sms-token-0123456789\n"));
	free(tu_file(dir, "open_token", "sms-token-0123456789\n"));
	ck_assert_int_eq(tu_sh("chmod 644 %s/open_token", dir), 0);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *body = NULL, *cfg;
		free(tu_file(dir, "link_secret", "0123456789abcdef0123456789abcdef\n"));
		ck_assert(
			asprintf(
				&body,
				"{\n"
				"  \"database\": {\"conninfo\": \"dbname=none\"},\n"
				"  \"http\": {\"listen\": \"127.0.0.1:0\", \"link_secret_file\": "
				"\"link_secret\"},\n"
				"  \"module_dir\": \"%s/modules\",\n"
				"  \"channels\": {\"email\": {\"module\": \"email\", \"server\": "
				"\"127.0.0.1:25\", \"from\": \"b@example.com\"},\n"
				"    \"sms\": {\"module\": \"sms\", "
				"\"api_base\": \"https://sms.example\", \"from\": \"+15550009999\", %s}}\n"
				"}\n",
				build, keys[i]) > 0);
		cfg = tu_file(dir, "dunnd.json", body);
		ck_assert_int_eq(tu_sh("dunnd -c %s --check-config", cfg), 1);
		ck_assert_msg(strstr(tu_output(), want[i]), "want '%s' in:\n%s", want[i],
			      tu_output());
		ck_assert_ptr_nonnull(strstr(tu_output(), "callbacks could never be verified"));
		free(body);
		free(cfg);
	}
}
END_TEST

/* A config whose channels text (sms) and write letters (webhook) beside
 * email, with brand as given ("" for none). */
static char *texting_config(const char *brand, int with_texts)
{
	char *body = NULL, *cfg;

	free(tu_file(dir, "link_secret", "0123456789abcdef0123456789abcdef\n"));
	free(tu_file(dir, "sms_token", "sms-token-0123456789\n"));
	ck_assert(
		asprintf(
			&body,
			"{\n"
			"  \"database\": {\"conninfo\": \"dbname=none\"},\n"
			"  \"http\": {\"listen\": \"127.0.0.1:0\", \"link_secret_file\": "
			"\"link_secret\"},\n"
			"  \"module_dir\": \"%s/modules\",\n"
			"  \"company\": \"Test Telecom\",\n"
			"%s"
			"  \"channels\": {\"email\": {\"module\": \"email\", \"server\": "
			"\"127.0.0.1:25\", \"from\": \"b@example.com\"}%s}\n"
			"}\n",
			tu_env("DUNN_BUILD"), brand,
			with_texts
				? ",\n    \"sms\": {\"module\": \"sms\", \"provider\": \"generic\", "
				  "\"api_base\": \"https://sms.example\", \"from\": "
				  "\"+15550009999\", \"auth_token_file\": \"sms_token\"},\n"
				  "    \"post\": {\"module\": \"webhook\", \"url\": "
				  "\"https://letters.example/x\", \"secret_file\": \"sms_token\"}"
				: "") > 0);
	cfg = tu_file(dir, "dunnd.json", body);
	free(body);
	return cfg;
}

/* Every text and letter names the legal name and where to ask: a brand
 * that cannot is a warning from both tools, at its place, not an error. */
START_TEST(brand_incomplete_warns)
{
	static const char brand[] =
		"  \"brand\": {\"default\": {\"name\": \"Test Telecom\"},\n"
		"            \"ko\": {\"legal_name\": \"(주)테스트텔레콤\", \"support_phone\": "
		"\"1588-0000\"},\n"
		"            \"ja\": \"テストテレコム\"},\n";
	static const char *const want[] = {
		"dunnd.json:6:13: warning: brand.default sets no legal_name: every text and letter "
		"must name the company's registered name (it would say 'Test Telecom')",
		"dunnd.json:6:13: warning: brand.default sets no support_phone and there is no "
		"support: every text and letter must say where to ask",
		"dunnd.json:8:13: warning: brand.ja sets no legal_name",
		"dunnd.json:8:13: warning: brand.ja sets no support_phone",
	};
	static const char *const tools[] = {"dunnd", "dunnctl"};
	char *cfg = texting_config(brand, 1), *ship = NULL, *shipped = NULL;
	json_t *root;

	for (size_t t = 0; t < 2; t++) {
		ck_assert_msg((t == 0 ? tu_sh("dunnd -c %s --check-config", cfg)
				      : tu_sh("dunnctl -c %s check-config", cfg)) == 0,
			      "%s", tu_output());
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			ck_assert_msg(strstr(tu_output(), want[i]), "%s: want '%s' in:\n%s",
				      tools[t], want[i], tu_output());
		ck_assert_msg(!strstr(tu_output(), "brand.ko"), "%s", tu_output());
	}
	free(cfg);
	/* Without texts or letters the email's footer is the template's own. */
	cfg = texting_config(brand, 0);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(!strstr(tu_output(), "warning"), "%s", tu_output());
	free(cfg);
	/* No brand at all: the top-level company is not a legal name. */
	cfg = texting_config("", 1);
	ck_assert_msg(tu_sh("dunnctl -c %s check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(
		strstr(tu_output(), "dunnd.json:5:3: warning: brand.default sets no legal_name"),
		"%s", tu_output());
	free(cfg);
	/* A text closes with the support address when no phone is set: one
	 * longer than a phone breaks its two parts. */
	cfg = texting_config("  \"brand\": {\"default\": {\"legal_name\": \"Test Telecom Inc.\", "
			     "\"support\": \"customer-care-and-billing@support.example.com\"}},\n",
			     1);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(strstr(tu_output(),
			     "dunnd.json:6:13: warning: brand.default sets no support_phone: texts "
			     "would close with the support address (45 characters, more than a "
			     "phone's 32) and may not fit two parts"),
		      "%s", tu_output());
	ck_assert_msg(!strstr(tu_output(), "legal_name"), "%s", tu_output());
	free(cfg);
	/* A legal identity as long as sms_name may be is too long for the
	 * Korean texts as written: said, for each text, at the sms_name. */
	cfg = texting_config(
		"  \"brand\": {\"default\": {\"legal_name\": \"Test Telecom Inc.\", "
		"\"support_phone\": \"+1 800 555 0100\"},\n"
		"            \"ko\": {\"sms_name\": \"(주)테스트텔레콤테스트텔레콤테스트텔레콤테스트\"},\n"
		"            \"ja\": {\"sms_name\": \"テスト(株)\"}, \"zh\": {\"sms_name\": \"测试电信\"},\n"
		"            \"zh-Hant\": {\"sms_name\": \"測試電信\"}},\n",
		1);
	ck_assert_msg(tu_sh("dunnctl -c %s check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(
		strstr(tu_output(), "dunnd.json:7:20: warning: ") &&
			strstr(tu_output(), "templates/ko/gentle.sms for ko takes 3 SMS parts"),
		"%s", tu_output());
	ck_assert_msg(!strstr(tu_output(), "templates/ja/"), "%s", tu_output());
	free(cfg);
	/* The shipped brand says it all. */
	root = json_load_file("config/dunnd.json", 0, NULL);
	ck_assert_ptr_nonnull(root);
	shipped = json_dumps(json_object_get(root, "brand"), JSON_COMPACT);
	ck_assert_ptr_nonnull(shipped);
	ck_assert(asprintf(&ship, "  \"brand\": %s,\n", shipped) > 0);
	cfg = texting_config(ship, 1);
	ck_assert_msg(tu_sh("dunnd -c %s --check-config", cfg) == 0, "%s", tu_output());
	ck_assert_msg(!strstr(tu_output(), "warning"), "%s", tu_output());
	free(cfg);
	free(ship);
	free(shipped);
	json_decref(root);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("check-config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, good_config_passes);
	tcase_add_test(tc, brand_incomplete_warns);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, locale_fallback_checked);
	tcase_add_test(tc, wrong_type);
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, inline_secret_refused);
	tcase_add_test(tc, secret_files_must_be_private);
	tcase_add_test(tc, payments_errors);
	tcase_add_test(tc, conninfo_password_refused);
	tcase_add_test(tc, sms_callbacks_that_could_never_verify);
	tcase_add_test(tc, missing_module);
	tcase_add_test(tc, policy_unknown_channel_and_template);
	tcase_add_test(tc, step_days_must_increase);
	tcase_add_test(tc, template_unknown_variable);
	tcase_add_test(tc, brand_errors);
	tcase_add_test(tc, step_deadline_and_consequence);
	tcase_add_test(tc, money_style_errors);
	tcase_add_test(tc, preset_looser_warns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
