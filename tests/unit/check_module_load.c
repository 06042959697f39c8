/* Unit tests for lib/module.c (tests/integration/check_module.c drives
 * modules through dunnd): loading channel modules and what the loader
 * refuses. Each test module is a few lines of C written and built here
 * (cc -shared) with the one field under test changed, into a scratch
 * directory. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

static char dir[] = "/tmp/check_module_load.XXXXXX";
static char src[PATH_MAX];

static const char module_c[] =
	"#include \"channel.h\"\n"
	"#ifndef NAME\n#define NAME \"good\"\n#endif\n"
	"#ifndef ABI\n#define ABI CHANNEL_ABI\n#endif\n"
	"#ifndef ADDR\n#define ADDR CHANNEL_ADDR_EMAIL\n#endif\n"
	"#ifndef OPTOUT\n#define OPTOUT CHANNEL_OPTOUT_EMAIL\n#endif\n"
	"#ifndef KIND\n#define KIND NULL\n#endif\n"
	"#ifndef INIT\n#define INIT m_init\n#endif\n"
	"#ifndef SEND\n#define SEND m_send\n#endif\n"
	"#ifndef INFLIGHT\n#define INFLIGHT m_inflight\n#endif\n"
	"#ifndef CLOSE\n#define CLOSE m_close\n#endif\n"
	"static struct channel *m_init(const char *i, json_t *c, const struct channel_env *e,\n"
	"                            char *err, size_t n)\n"
	"{ (void)i; (void)c; (void)e; (void)err; (void)n; return NULL; }\n"
	"static int m_send(struct channel *ch, const struct channel_msg *m, channel_done_fn d,\n"
	"                void *a) { (void)ch; (void)m; (void)d; (void)a; return -1; }\n"
	"static size_t m_inflight(const struct channel *ch) { (void)ch; return 0; }\n"
	"static void m_close(struct channel *ch) { (void)ch; }\n"
	"static int m_check(const char *i, json_t *c, const struct channel_env *e,\n"
	"                 channel_report_fn r, void *x)\n"
	"{ (void)i; (void)c; (void)e; (void)r; (void)x; return 0; }\n"
	"static const struct channel_opt opts[1];\n"
	"const struct channel_ops channel_module = {\n"
	"  .name = NAME, .abi = ABI, .addr = ADDR, .optout = OPTOUT,\n"
	"  .template_kind = KIND, .init = INIT, .send = SEND,\n"
	"  .inflight = INFLIGHT, .close = CLOSE, .opts = opts, .check = m_check,\n"
	"};\n";

static void setup(void)
{
	const char *srcdir = getenv("DUNN_SRCDIR");
	FILE *f;

	ck_assert_msg(srcdir && *srcdir,
		      "DUNN_SRCDIR is not set: run the tests through 'make check'");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/m.c", dir);
	f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	fputs(module_c, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Build <dir>/<file>.so from module_c with these -D flags. */
static void build(const char *file, const char *defs)
{
	char cmd[8192];

	snprintf(cmd, sizeof cmd,
		 "cc -std=c11 -shared -fPIC -w -I'%s/channels' $(pkg-config --cflags jansson "
		 "libevent) %s -o '%s/%s.so' '%s'",
		 getenv("DUNN_SRCDIR"), defs, dir, file, src);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* Load name; 0 or -1 as module_load, err checked to hold want. */
static int load(const char *name, struct module *m, const char *want)
{
	char err[512] = "";
	int rc = module_load(dir, name, m, err, sizeof err);

	if (rc == 0) {
		ck_assert_ptr_null(want);
		ck_assert_ptr_nonnull(m->handle);
		ck_assert_ptr_nonnull(m->ops);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(want);
		ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
		/* A refused module leaves nothing behind. */
		ck_assert_ptr_null(m->handle);
		ck_assert_ptr_null(m->ops);
		ck_assert_ptr_null(m->opts);
		ck_assert_ptr_null(m->check);
	}
	return rc;
}

START_TEST(test_good)
{
	struct module m;

	build("good", "");
	ck_assert_int_eq(load("good", &m, NULL), 0);
	ck_assert_str_eq(m.ops->name, "good");
	ck_assert_int_eq(m.ops->abi, CHANNEL_ABI);
	/* ABI 3: the loader passes its options and check on. */
	ck_assert_ptr_eq(m.opts, m.ops->opts);
	ck_assert_ptr_eq(m.check, m.ops->check);
	ck_assert_ptr_nonnull(m.opts);
	ck_assert_ptr_nonnull(m.check);
	ck_assert_str_eq(module_template_kind(m.ops), "good");
	module_unload(&m);
	ck_assert_ptr_null(m.handle);
	ck_assert_ptr_null(m.ops);
	/* Unloading twice is harmless. */
	module_unload(&m);
}
END_TEST

/* An ABI 2 module's ops end before opts and check: they are never read,
 * whatever lies there. */
START_TEST(test_abi2)
{
	struct module m;

	build("old", "-DNAME='\"old\"' -DABI=2");
	ck_assert_int_eq(load("old", &m, NULL), 0);
	ck_assert_int_eq(m.ops->abi, 2);
	ck_assert_ptr_null(m.opts);
	ck_assert_ptr_null(m.check);
	module_unload(&m);
}
END_TEST

START_TEST(test_abi_range)
{
	struct module m;
	char defs[128];

	for (int abi = CHANNEL_ABI_MIN - 2; abi <= CHANNEL_ABI + 1; abi++) {
		snprintf(defs, sizeof defs, "-DNAME='\"abi\"' -DABI=%d", abi);
		build("abi", defs);
		if (abi >= CHANNEL_ABI_MIN && abi <= CHANNEL_ABI) {
			ck_assert_int_eq(load("abi", &m, NULL), 0);
			module_unload(&m);
		} else {
			load("abi", &m, "incompatible module");
		}
	}
}
END_TEST

START_TEST(test_required_ops)
{
	static const char *const ops[] = {"INIT", "SEND", "INFLIGHT", "CLOSE"};
	struct module m;
	char file[32], defs[128];

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		snprintf(file, sizeof file, "no%zu", i);
		snprintf(defs, sizeof defs, "-DNAME='\"%s\"' -D%s=NULL", file, ops[i]);
		build(file, defs);
		load(file, &m, "incompatible module");
	}
}
END_TEST

/* The name inside must be the file's name. */
START_TEST(test_name_mismatch)
{
	struct module m;

	build("alias", "-DNAME='\"good\"'");
	load("alias", &m, "incompatible module");
}
END_TEST

START_TEST(test_addr_optout)
{
	struct module m;
	char file[32], defs[128];

	for (int addr = CHANNEL_ADDR_EMAIL - 1; addr <= CHANNEL_ADDR_ACCOUNT + 1; addr++) {
		snprintf(file, sizeof file, "addr%d", addr);
		snprintf(defs, sizeof defs, "-DNAME='\"%s\"' -DADDR=%d", file, addr);
		build(file, defs);
		if (addr >= CHANNEL_ADDR_EMAIL && addr <= CHANNEL_ADDR_ACCOUNT) {
			ck_assert_int_eq(load(file, &m, NULL), 0);
			ck_assert_int_eq(m.ops->addr, addr);
			module_unload(&m);
		} else {
			load(file, &m, "no valid address kind");
		}
	}
	for (int o = CHANNEL_OPTOUT_NONE - 1; o <= CHANNEL_OPTOUT_CALLS + 1; o++) {
		snprintf(file, sizeof file, "optout%d", o + 1);
		snprintf(defs, sizeof defs, "-DNAME='\"%s\"' -DOPTOUT=%d", file, o);
		build(file, defs);
		if (o >= CHANNEL_OPTOUT_NONE && o <= CHANNEL_OPTOUT_CALLS) {
			ck_assert_int_eq(load(file, &m, NULL), 0);
			module_unload(&m);
		} else {
			load(file, &m, "no valid address kind");
		}
	}
}
END_TEST

START_TEST(test_template_kind)
{
	static const struct {
		const char *kind; /* as C source */
		const char *want; /* NULL: loads */
	} cases[] = {
		{"\"push\"", NULL},
		{"\"push_v2\"", NULL},
		{"\"abcdefghijklmnopqrstuvwxyz012345\"", NULL},             /* 32 */
		{"\"abcdefghijklmnopqrstuvwxyz0123456\"", "template kind"}, /* 33 */
		{"\"\"", "template kind"},
		{"\"Push\"", "template kind"},
		{"\"push-v2\"", "template kind"},
		{"\"push.txt\"", "template kind"},
		{"\"../x\"", "template kind"},
		{"\"a b\"", "template kind"},
	};
	struct module m;
	char file[32], defs[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(file, sizeof file, "kind%zu", i);
		snprintf(defs, sizeof defs, "-DNAME='\"%s\"' -DKIND='%s'", file, cases[i].kind);
		build(file, defs);
		if (load(file, &m, cases[i].want) == 0) {
			ck_assert_str_ne(module_template_kind(m.ops), file);
			module_unload(&m);
		}
	}
}
END_TEST

START_TEST(test_not_modules)
{
	struct module m;
	char path[PATH_MAX];
	FILE *f;

	/* Names that would reach outside the directory. */
	load("", &m, "invalid module name");
	load("../good", &m, "invalid module name");
	load("a/b", &m, "invalid module name");
	load(".hidden", &m, "invalid module name");
	load("..", &m, "invalid module name");
	load("missing", &m, "module 'missing' not found or not loadable");
	/* Not an ELF object. */
	snprintf(path, sizeof path, "%s/text.so", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a shared object\n", f);
	ck_assert_int_eq(fclose(f), 0);
	load("text", &m, "module 'text' not found or not loadable");
	/* A shared object that is no channel module. */
	snprintf(path, sizeof path, "%s/nosym.so", dir);
	{
		char cmd[PATH_MAX + 64];
		snprintf(cmd, sizeof cmd, "echo 'int x;' | cc -shared -fPIC -x c -o '%s' -", path);
		ck_assert_int_eq(system(cmd), 0);
	}
	load("nosym", &m, "no 'channel_module' symbol");
}
END_TEST

START_TEST(test_template_kind_fallback)
{
	struct channel_ops ops = {.name = "email"};

	ck_assert_str_eq(module_template_kind(&ops), "email");
	ops.template_kind = "mail";
	ck_assert_str_eq(module_template_kind(&ops), "mail");
}
END_TEST

/* Every opt-out list, and values outside the enum. */
START_TEST(test_optout_list)
{
	ck_assert_ptr_null(module_optout_list(CHANNEL_OPTOUT_NONE));
	ck_assert_str_eq(module_optout_list(CHANNEL_OPTOUT_EMAIL), "email");
	ck_assert_str_eq(module_optout_list(CHANNEL_OPTOUT_TEXTS), "sms");
	ck_assert_str_eq(module_optout_list(CHANNEL_OPTOUT_CALLS), "phone");
	ck_assert_ptr_null(module_optout_list((enum channel_optout)(CHANNEL_OPTOUT_CALLS + 1)));
	ck_assert_ptr_null(module_optout_list((enum channel_optout) - 1));
	ck_assert_ptr_null(module_optout_list((enum channel_optout)1000));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("module_load");
	TCase *tc = tcase_create("load");
	TCase *pure = tcase_create("pure");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_abi2);
	tcase_add_test(tc, test_abi_range);
	tcase_add_test(tc, test_required_ops);
	tcase_add_test(tc, test_name_mismatch);
	tcase_add_test(tc, test_addr_optout);
	tcase_add_test(tc, test_template_kind);
	tcase_add_test(tc, test_not_modules);
	suite_add_tcase(s, tc);
	tcase_add_test(pure, test_template_kind_fallback);
	tcase_add_test(pure, test_optout_list);
	suite_add_tcase(s, pure);
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
