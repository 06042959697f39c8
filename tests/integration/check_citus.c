/* The Citus property (BENCHMARKS.md, "Past one machine"): the schema
 * distributes by account_id with co-located tables. On the migrated
 * schema, tests/citus.py reads pg_catalog (every table classified as
 * hot, reference or local; every hot table's account_id, unique keys
 * and foreign keys) and the generic plan of every SQL statement in the
 * sources (each scan of a hot table keyed by its account_id, or named
 * as scanning all accounts). What does not hold yet is listed there by
 * name with the reason, and an entry that no longer applies fails too. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir, *cfg, *conninfo;

static void setup(void)
{
	dir = tu_tmpdir();
	conninfo = tu_newdb("citus");
	cfg = tu_config(dir, conninfo, NULL, NULL);
	tu_migrate(cfg);
}

static void teardown(void)
{
	tu_teardown(NULL, dir, cfg, conninfo);
}

START_TEST(schema_distributes_by_account_id)
{
	int rc = tu_sh("/usr/bin/python3 tests/citus.py schema '%s'", conninfo);

	fprintf(stderr, "%s", tu_output());
	ck_assert_msg(rc == 0, "%s", tu_output());
}
END_TEST

START_TEST(statements_keyed_by_account_id)
{
	int rc = tu_sh("/usr/bin/python3 tests/citus.py sql '%s' .", conninfo);

	fprintf(stderr, "%s", tu_output());
	ck_assert_msg(rc == 0, "%s", tu_output());
}
END_TEST

/* The check finds statements by itself: a statement that scans a hot
 * table by something else than account_id, put in a source file, is
 * reported by its name. */
START_TEST(finds_a_new_unkeyed_statement)
{
	char *probe = tu_file(dir, "probe.c",
			      "#include <stddef.h>\n"
			      "static const char SQL_PROBE[] =\n"
			      "\t\"UPDATE dunning.invoices SET disputed = true \"\n"
			      "\t\"WHERE external_ref = $1\";\n"
			      "const char *probe(void);\n"
			      "const char *probe(void)\n"
			      "{\n"
			      "\treturn \"SELECT count(*) FROM dunning.cases c \"\n"
			      "\t       \"WHERE c.account_id = $1\" + 0 ? SQL_PROBE : NULL;\n"
			      "}\n");
	int rc = tu_sh("/usr/bin/python3 tests/citus.py sql '%s' . %s", conninfo, probe);

	ck_assert_msg(rc == 1, "%s", tu_output());
	ck_assert_msg(strstr(tu_output(), "probe.c:SQL_PROBE (probe.c:") != NULL &&
			      strstr(tu_output(), "without account_id: invoices invoices"),
		      "%s", tu_output());
	ck_assert_msg(strstr(tu_output(),
			     "sql: 2 statements: 1 keyed by account_id, 0 scan no hot table") !=
			      NULL,
		      "%s", tu_output());
	free(probe);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("citus");
	TCase *tc = tcase_create("property");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, schema_distributes_by_account_id);
	tcase_add_test(tc, statements_keyed_by_account_id);
	tcase_add_test(tc, finds_a_new_unkeyed_statement);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
