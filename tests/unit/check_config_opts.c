/* Unit tests for lib/config_opts.c, the daemon's option tables: every row
 * of every section is well formed (a name unique in its table, a known
 * type and known flags, a one-line ASCII doc for the man page), and every
 * default is one the row itself would accept (an integer within min..max,
 * an enum default among its choices, a bool "true" or "false"). The
 * section list covers the top level's fixed objects and each payment
 * provider the "provider" row names. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_opts.h"

#define MAX_ROWS 200

static size_t rows_count(const struct channel_opt *t)
{
	size_t n = 0;

	while (n < MAX_ROWS && t[n].name)
		n++;
	return n;
}

/* 1 when word is one of the '|'-separated choices. */
static int in_choices(const char *choices, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = choices; *p;) {
		size_t l = strcspn(p, "|");
		if (l == wl && strncmp(p, word, l) == 0)
			return 1;
		p += l;
		if (*p == '|')
			p++;
	}
	return 0;
}

static void check_row(const char *sec, const struct channel_opt *o)
{
	const unsigned known = CHANNEL_OPT_REQUIRED | CHANNEL_OPT_RELOADABLE | CHANNEL_OPT_VERIFIES;

	ck_assert_msg(o->name[0] != '\0', "%s: empty name", sec);
	ck_assert_msg(strcspn(o->name, ".[]\" ") == strlen(o->name), "%s.%s: odd name", sec,
		      o->name);
	ck_assert_msg(o->type >= CHANNEL_OPT_BOOL && o->type <= CHANNEL_OPT_ARRAY, "%s.%s: type %d",
		      sec, o->name, (int)o->type);
	ck_assert_msg((o->flags & ~known) == 0, "%s.%s: flags %#x", sec, o->name, o->flags);
	ck_assert_msg(!(o->flags & CHANNEL_OPT_VERIFIES) || o->type == CHANNEL_OPT_SECRET_FILE,
		      "%s.%s: VERIFIES on a non-secret", sec, o->name);
	ck_assert_msg(!(o->flags & CHANNEL_OPT_REQUIRED) || o->def == NULL,
		      "%s.%s: required with a default", sec, o->name);
	ck_assert_msg(o->doc && o->doc[0], "%s.%s: no doc", sec, o->name);
	for (const char *p = o->doc; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
			      "%s.%s: doc byte %#x", sec, o->name, (unsigned char)*p);
	ck_assert_msg(o->type == CHANNEL_OPT_ENUM || o->choices == NULL,
		      "%s.%s: choices on a non-enum", sec, o->name);

	switch (o->type) {
	case CHANNEL_OPT_BOOL:
		ck_assert_msg(o->def && (!strcmp(o->def, "true") || !strcmp(o->def, "false")),
			      "%s.%s: bool default %s", sec, o->name, o->def ? o->def : "NULL");
		break;
	case CHANNEL_OPT_INT:
	case CHANNEL_OPT_SECONDS:
	case CHANNEL_OPT_MILLIS:
	case CHANNEL_OPT_BYTES: {
		char *end;
		long long v;

		ck_assert_msg(o->min <= o->max, "%s.%s: min %lld > max %lld", sec, o->name, o->min,
			      o->max);
		ck_assert_msg(o->def != NULL, "%s.%s: number without a default", sec, o->name);
		errno = 0;
		v = strtoll(o->def, &end, 10);
		ck_assert_msg(errno == 0 && end != o->def && *end == '\0',
			      "%s.%s: default '%s' no integer", sec, o->name, o->def);
		ck_assert_msg(v >= o->min && v <= o->max, "%s.%s: default %lld not in %lld..%lld",
			      sec, o->name, v, o->min, o->max);
		break;
	}
	case CHANNEL_OPT_STRING:
		ck_assert_msg(o->min >= 0 && (o->max == 0 || o->max >= o->min),
			      "%s.%s: lengths %lld..%lld", sec, o->name, o->min, o->max);
		if (o->def) {
			long long l = (long long)strlen(o->def);
			ck_assert_msg(l >= o->min && (o->max == 0 || l <= o->max),
				      "%s.%s: default length %lld", sec, o->name, l);
		}
		break;
	case CHANNEL_OPT_ENUM: {
		const char *c = o->choices;

		ck_assert_msg(c && c[0] && c[0] != '|' && c[strlen(c) - 1] != '|' &&
				      !strstr(c, "||"),
			      "%s.%s: choices '%s'", sec, o->name, c ? c : "NULL");
		/* No choice twice. */
		for (const char *p = c; *p;) {
			size_t l = strcspn(p, "|");
			char w[64];
			ck_assert_uint_lt(l, sizeof w);
			memcpy(w, p, l);
			w[l] = '\0';
			const char *q = p + l;
			if (*q == '|')
				q++;
			ck_assert_msg(!in_choices(q, w), "%s.%s: choice '%s' twice", sec, o->name,
				      w);
			p = q;
		}
		if (o->def)
			ck_assert_msg(in_choices(c, o->def), "%s.%s: default '%s' not in '%s'", sec,
				      o->name, o->def, c);
		break;
	}
	case CHANNEL_OPT_URL:
		ck_assert_msg(!o->def || !strncmp(o->def, "http://", 7) ||
				      !strncmp(o->def, "https://", 8),
			      "%s.%s: url default %s", sec, o->name, o->def);
		break;
	case CHANNEL_OPT_PATH:
		ck_assert_msg(!o->def || o->def[0], "%s.%s: empty path default", sec, o->name);
		break;
	case CHANNEL_OPT_SECRET_FILE:
	case CHANNEL_OPT_OBJECT:
	case CHANNEL_OPT_ARRAY:
		ck_assert_msg(o->def == NULL, "%s.%s: default on a file/object/array", sec,
			      o->name);
		break;
	}
}

START_TEST(test_every_row)
{
	size_t nsec = 0;

	for (const struct config_section *s = config_sections; s->name; s++, nsec++) {
		size_t n;

		ck_assert_ptr_nonnull(s->rows);
		n = rows_count(s->rows);
		ck_assert_msg(n > 0 && n < MAX_ROWS, "section '%s': %zu rows", s->name, n);
		for (size_t i = 0; i < n; i++) {
			check_row(s->name, &s->rows[i]);
			for (size_t j = 0; j < i; j++)
				ck_assert_msg(strcmp(s->rows[i].name, s->rows[j].name) != 0,
					      "section '%s': '%s' twice", s->name, s->rows[i].name);
		}
		/* The terminator is all zero. */
		ck_assert_int_eq(s->rows[n].type, 0);
		ck_assert_ptr_null(s->rows[n].def);
		ck_assert_ptr_null(s->rows[n].doc);
		ck_assert_uint_eq(s->rows[n].flags, 0);
	}
	ck_assert_uint_eq(nsec, 8);
	ck_assert_ptr_null(config_sections[nsec].rows);
}
END_TEST

static const struct config_section *section(const char *name)
{
	for (const struct config_section *s = config_sections; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static const struct channel_opt *row(const struct channel_opt *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

START_TEST(test_sections)
{
	const struct channel_opt *prov;

	ck_assert_str_eq(config_sections[0].name, "");
	ck_assert_ptr_eq(config_sections[0].rows, config_opts_top);
	ck_assert_ptr_eq(section("database")->rows, config_opts_database);
	ck_assert_ptr_eq(section("http")->rows, config_opts_http);
	ck_assert_ptr_eq(section("console")->rows, config_opts_console);
	ck_assert_ptr_eq(section("api")->rows, config_opts_api);
	for (const struct config_section *s = config_sections; s->name; s++)
		for (const struct config_section *t = config_sections; t < s; t++)
			ck_assert_str_ne(s->name, t->name);

	/* Each fixed section is an object row at the top level. */
	for (const struct config_section *s = config_sections + 1; s->name; s++) {
		if (!strncmp(s->name, "payments.", 9))
			continue;
		const struct channel_opt *o = row(config_opts_top, s->name);
		ck_assert_msg(o && o->type == CHANNEL_OPT_OBJECT, "section '%s' not at top",
			      s->name);
	}
	ck_assert_int_eq(row(config_opts_top, "payments")->type, CHANNEL_OPT_OBJECT);
	ck_assert_int_eq(row(config_opts_top, "channels")->type, CHANNEL_OPT_OBJECT);
	ck_assert(row(config_opts_top, "database")->flags & CHANNEL_OPT_REQUIRED);
	ck_assert(row(config_opts_database, "conninfo")->flags & CHANNEL_OPT_REQUIRED);

	/* Each provider table begins with the same required enum "provider",
	 * and each of its choices has its section. */
	static const struct {
		const char *name;
		const struct channel_opt *rows;
	} pay[] = {{"stripe", config_opts_pay_stripe},
		   {"adyen", config_opts_pay_adyen},
		   {"generic", config_opts_pay_generic}};
	prov = &config_opts_pay_stripe[0];
	ck_assert_str_eq(prov->name, "provider");
	for (size_t i = 0; i < sizeof pay / sizeof pay[0]; i++) {
		char name[64];
		const struct channel_opt *p = &pay[i].rows[0];
		const struct channel_opt *sec = NULL;

		ck_assert_str_eq(p->name, "provider");
		ck_assert_int_eq(p->type, CHANNEL_OPT_ENUM);
		ck_assert_str_eq(p->choices, prov->choices);
		ck_assert(p->flags & CHANNEL_OPT_REQUIRED);
		ck_assert(in_choices(p->choices, pay[i].name));
		snprintf(name, sizeof name, "payments.<name> (%s)", pay[i].name);
		ck_assert_msg(section(name) && section(name)->rows == pay[i].rows, "no '%s'", name);
		/* Every provider has a secret that verifies its callbacks. */
		for (const struct channel_opt *o = pay[i].rows; o->name; o++)
			if (o->flags & CHANNEL_OPT_VERIFIES)
				sec = o;
		ck_assert_msg(sec && (sec->flags & CHANNEL_OPT_REQUIRED), "%s: no secret",
			      pay[i].name);
	}
	/* And no choice without a table. */
	size_t nch = 1;
	for (const char *c = prov->choices; *c; c++)
		nch += *c == '|';
	ck_assert_uint_eq(nch, sizeof pay / sizeof pay[0]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config_opts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_row);
	tcase_add_test(tc, test_sections);
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
