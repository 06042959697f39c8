/* Unit tests for lib/pgrow.c over PGresults built by libpq itself
 * (PQmakeEmptyPGresult, PQsetResultAttrs, PQsetvalue): no server needed.
 * Columns are found by name whatever their order, a missing one is an
 * error naming it, and each reader gives what the field holds, NULL
 * included. */
#include <check.h>
#include <libpq-fe.h>
#include <string.h>

#include "pgrow.h"

/* A result with columns names[0..n) and one row of values (NULL: SQL NULL). */
static PGresult *make(const char *const *names, const char *const *values, int n)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc att[16];

	ck_assert_ptr_nonnull(res);
	ck_assert_int_le(n, 16);
	memset(att, 0, sizeof att);
	for (int i = 0; i < n; i++) {
		att[i].name = (char *)names[i];
		att[i].format = 0;
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	ck_assert_int_eq(PQsetResultAttrs(res, n, att), 1);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(PQsetvalue(res, 0, i, (char *)values[i],
					    values[i] ? (int)strlen(values[i]) : -1),
				 1);
	return res;
}

START_TEST(columns_by_name)
{
	static const char *const names[] = {"id", "email_suppressed", "name", "risk"};
	static const char *const values[] = {"42", "t", "Alex", "0.25"};
	static const char *const want[] = {"risk", "id", "name", "email_suppressed"};
	PGresult *res = make(names, values, 4);
	int cols[4];
	char err[64] = "";

	ck_assert_int_eq(pgrow_columns(res, want, cols, 4, err, sizeof err), 0);
	ck_assert_int_eq(cols[0], 3);
	ck_assert_int_eq(cols[1], 0);
	ck_assert_int_eq(cols[2], 2);
	ck_assert_int_eq(cols[3], 1);
	ck_assert_str_eq(err, "");
	ck_assert(pgrow_double(res, 0, cols[0]) == 0.25);
	ck_assert_int_eq(pgrow_int64(res, 0, cols[1]), 42);
	ck_assert_str_eq(pgrow_text(res, 0, cols[2]), "Alex");
	ck_assert_int_eq(pgrow_bool(res, 0, cols[3]), 1);
	PQclear(res);
}
END_TEST

START_TEST(missing_column_named)
{
	static const char *const names[] = {"id", "name"};
	static const char *const values[] = {"1", "x"};
	static const char *const want[] = {"id", "fees", "name"};
	PGresult *res = make(names, values, 2);
	int cols[3];
	char err[64];

	ck_assert_int_eq(pgrow_columns(res, want, cols, 3, err, sizeof err), -1);
	ck_assert_str_eq(err, "column \"fees\" missing");
	ck_assert_int_eq(pgrow_columns(NULL, want, cols, 1, err, sizeof err), -1);
	ck_assert_str_eq(err, "column \"id\" missing");
	/* No room for the reason: still refused. */
	ck_assert_int_eq(pgrow_columns(res, want, cols, 3, NULL, 0), -1);
	PQclear(res);
}
END_TEST

START_TEST(null_fields)
{
	static const char *const names[] = {"a", "b", "c", "d", "e"};
	static const char *const values[] = {NULL, NULL, NULL, NULL, ""};
	PGresult *res = make(names, values, 5);

	ck_assert_str_eq(pgrow_text(res, 0, 0), "");
	ck_assert_ptr_null(pgrow_text_or_null(res, 0, 0));
	ck_assert_int_eq(pgrow_int64(res, 0, 1), 0);
	ck_assert_int_eq(pgrow_int(res, 0, 1), 0);
	ck_assert_int_eq(pgrow_bool(res, 0, 2), 0);
	ck_assert(pgrow_double(res, 0, 3) == 0);
	ck_assert_int_eq(pgrow_null(res, 0, 3), 1);
	/* An empty string is not NULL. */
	ck_assert_int_eq(pgrow_null(res, 0, 4), 0);
	ck_assert_ptr_nonnull(pgrow_text_or_null(res, 0, 4));
	ck_assert_str_eq(pgrow_text_or_null(res, 0, 4), "");
	PQclear(res);
}
END_TEST

START_TEST(numbers)
{
	static const char *const names[] = {"big", "neg", "small", "f", "junk"};
	static const char *const values[] = {"9223372036854775807", "-17", "7", "f", "x1"};
	PGresult *res = make(names, values, 5);

	ck_assert_int_eq(pgrow_int64(res, 0, 0), INT64_MAX);
	ck_assert_int_eq(pgrow_int64(res, 0, 1), -17);
	ck_assert_int_eq(pgrow_int(res, 0, 2), 7);
	ck_assert_int_eq(pgrow_bool(res, 0, 3), 0);
	ck_assert_int_eq(pgrow_int64(res, 0, 4), 0);
	PQclear(res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pgrow");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, columns_by_name);
	tcase_add_test(tc, missing_column_named);
	tcase_add_test(tc, null_fields);
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
