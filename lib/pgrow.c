/* Typed row readers over a PGresult, columns found by name. */
#include <stdio.h>
#include <stdlib.h>

#include "pgrow.h"

int pgrow_columns(const PGresult *res, const char *const *names, int *cols, size_t n, char *err,
		  size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		/* Names are passed as the statement spells them, lower case:
		 * PQfnumber folds unquoted names. */
		cols[i] = res ? PQfnumber(res, names[i]) : -1;
		if (cols[i] < 0) {
			if (err && errlen)
				snprintf(err, errlen, "column \"%s\" missing", names[i]);
			return -1;
		}
	}
	return 0;
}

const char *pgrow_text(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col); /* "" for NULL */
}

const char *pgrow_text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int64_t pgrow_int64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int pgrow_int(const PGresult *res, int row, int col)
{
	return atoi(PQgetvalue(res, row, col));
}

double pgrow_double(const PGresult *res, int row, int col)
{
	return strtod(PQgetvalue(res, row, col), NULL);
}

int pgrow_bool(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

int pgrow_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col);
}
