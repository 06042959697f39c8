/* Typed reads of a PGresult's rows, by column name: the names are looked
 * up once a result (pgrow_columns), then each row is read through the
 * column numbers found. A statement and the code reading it then agree by
 * name, and a column the statement lost is an error naming it, not a read
 * of its neighbour. */
#ifndef DUNN_PGROW_H
#define DUNN_PGROW_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* cols[i] = the number of the column named names[i], for i < n. 0, or -1
 * with "column \"x\" missing" in err when one is not in res. */
int pgrow_columns(const PGresult *res, const char *const *names, int *cols, size_t n, char *err,
		  size_t errlen);

/* The text of a field, "" when NULL; it lives as long as res. */
const char *pgrow_text(const PGresult *res, int row, int col);
/* The text of a field, NULL when NULL. */
const char *pgrow_text_or_null(const PGresult *res, int row, int col);
/* An integer field (base 10); 0 when NULL or not a number. */
int64_t pgrow_int64(const PGresult *res, int row, int col);
int pgrow_int(const PGresult *res, int row, int col);
/* A float field; 0 when NULL or not a number. */
double pgrow_double(const PGresult *res, int row, int col);
/* A boolean field: 1 for true ("t"), 0 for false or NULL. */
int pgrow_bool(const PGresult *res, int row, int col);
/* 1 when the field is NULL. */
int pgrow_null(const PGresult *res, int row, int col);

#endif
