/* Jurisdiction presets: each shipped one loads, fills what a policy
 * leaves unset, and every way a policy can be looser is a warning placed
 * at its file:line:column, while a stricter policy gets none. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "preset.h"

static char dir[] = "/tmp/preset-XXXXXX";

static void setup(void)
{
	const char *src = getenv("DUNN_SRCDIR");
	char cmd[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp -R %s/config/presets %s/", src ? src : ".", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/preset-XXXXXX");
}

/* Load text as <dir>/policy.json: the policy (or NULL), its diagnostics
 * and its warnings, each joined by newlines with the directory dropped. */
static struct policy *load(const char *text, char *err, char *warn, size_t len)
{
	char path[256];
	struct diag d = {0}, w = {0};
	struct policy *p;
	FILE *f;

	snprintf(path, sizeof path, "%s/policy.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	p = policy_load(path, &d);
	if (p)
		preset_warnings(p, path, &w);
	for (int k = 0; k < 2; k++) {
		struct diag *x = k ? &w : &d;
		char *out = k ? warn : err;
		size_t used = 0;
		out[0] = '\0';
		for (size_t i = 0; i < x->n; i++) {
			const char *m = strstr(x->msgs[i], "policy.json:");
			used += (size_t)snprintf(out + used, len - used, "%s\n",
						 m ? m : x->msgs[i]);
			if (used >= len)
				break;
		}
	}
	diag_free(&d);
	diag_free(&w);
	return p;
}

static const struct policy_cap *cap_on(const struct policy *p, const char *channel)
{
	for (size_t i = 0; i < p->ncaps; i++)
		if ((!channel && !p->caps[i].channel) ||
		    (channel && p->caps[i].channel && !strcmp(channel, p->caps[i].channel)))
			return &p->caps[i];
	return NULL;
}

#define TRACKS \
	"\"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 3, \"channels\": [\"email\"], \"template\": \"gentle\"}]}]"

START_TEST(shipped_presets_fill_what_is_unset)
{
	static const char *const names[] = {"kr", "jp", "cn", "us"};
	char text[512], err[2048], warn[2048];

	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof text, "{\"preset\": \"%s\", %s}\n", names[i], TRACKS);
		struct policy *p = load(text, err, warn, sizeof err);
		ck_assert_msg(p != NULL, "%s: %s", names[i], err);
		ck_assert_str_eq(warn, "");
		ck_assert_int_eq(p->window.start, 8 * 60);
		ck_assert_int_eq(p->window.end, 21 * 60);
		const struct policy_cap *c = cap_on(p, i == 3 ? "phone" : NULL);
		ck_assert_msg(c != NULL, "%s: no cap", names[i]);
		ck_assert_int_eq(c->max, 7);
		ck_assert_int_eq(c->days, 7);
		policy_free(p);
	}
}
END_TEST

START_TEST(looser_policy_warns_where_it_says_so)
{
	char err[2048], warn[2048];
	struct policy *p = load(
		"{\"preset\": \"kr\",\n"
		" \"contact_window\": {\"start\": \"07:00\", \"end\": \"22:00\"},\n"
		" \"caps\": [{\"max\": 10, \"days\": 7}],\n"
		" \"tracks\": [{\"name\": \"t\", \"steps\": [{\"after_days\": 3,\n"
		"   \"channels\": [\"email\"], \"template\": \"final\", \"deadline_days\": 7,\n"
		"   \"consequence\": {\"ko\": \"{{ deadline }} 이후 형사 고소합니다.\"}}]}]}\n",
		err, warn, sizeof err);

	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_msg(strstr(warn,
			     "policy.json:2:30: warning: the contact window opens at 07:00, "
			     "earlier than preset 'kr' allows (08:00)\n"),
		      "%s", warn);
	ck_assert_msg(strstr(warn,
			     "policy.json:2:46: warning: the contact window closes at 22:00, "
			     "later than preset 'kr' allows (21:00)\n"),
		      "%s", warn);
	ck_assert_msg(strstr(warn,
			     "policy.json:3:19: warning: 10 contacts in 7 days across all "
			     "channels is looser than preset 'kr' (7 in 7 days)\n"),
		      "%s", warn);
	ck_assert_msg(strstr(warn,
			     "policy.json:6:26: warning: the consequence says '형사', which "
			     "preset 'kr' does not let a step say\n"),
		      "%s", warn);
	ck_assert_msg(strstr(warn, "says '고소'"), "%s", warn);
	/* The policy's own choices stand: a warning, not a change. */
	ck_assert_int_eq(p->window.start, 7 * 60);
	ck_assert_int_eq(cap_on(p, NULL)->max, 10);
	policy_free(p);
}
END_TEST

START_TEST(stricter_policy_is_quiet)
{
	char err[2048], warn[2048];
	struct policy *p = load(
		"{\"preset\": \"us\",\n"
		" \"contact_window\": {\"start\": \"09:00\", \"end\": \"20:00\"},\n"
		" \"caps\": [{\"channel\": \"phone\", \"max\": 3, \"days\": 7}],\n" TRACKS "}\n",
		err, warn, sizeof err);

	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(warn, "");
	policy_free(p);
	/* Seven in fourteen days is stricter than seven in seven. */
	p = load(
		"{\"preset\": \"us\", \"caps\": [{\"channel\": \"phone\", \"max\": 7, \"days\": 14}],\n" TRACKS
		"}\n",
		err, warn, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(warn, "");
	policy_free(p);
	/* Seven in three days is not. */
	p = load(
		"{\"preset\": \"us\", \"caps\": [{\"channel\": \"phone\", \"max\": 7, \"days\": 3}],\n" TRACKS
		"}\n",
		err, warn, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_msg(strstr(warn,
			     "policy.json:1:66: warning: 7 contacts in 3 days on channel "
			     "'phone' is looser than preset 'us' (7 in 7 days)"),
		      "%s", warn);
	policy_free(p);
}
END_TEST

START_TEST(unknown_or_bad_preset_is_an_error)
{
	char err[2048], warn[2048];

	ck_assert_ptr_null(load("{\"preset\": \"zz\", " TRACKS "}\n", err, warn, sizeof err));
	ck_assert_msg(strstr(err, "policy.json:1:12: preset 'zz': no presets/zz.json beside"), "%s",
		      err);
	ck_assert_ptr_null(load("{\"preset\": \"../x\", " TRACKS "}\n", err, warn, sizeof err));
	ck_assert_msg(strstr(err, "policy.json:1:12: preset must name a file in presets/"), "%s",
		      err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("preset");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, shipped_presets_fill_what_is_unset);
	tcase_add_test(tc, looser_policy_warns_where_it_says_so);
	tcase_add_test(tc, stricter_policy_is_quiet);
	tcase_add_test(tc, unknown_or_bad_preset_is_an_error);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
