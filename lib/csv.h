/* csv — streaming RFC 4180 CSV reader with physical line numbers.
 *
 * Built for operator imports of billing exports: input is read in large
 * blocks and every record reuses the reader's buffers, so a million rows
 * cost no per-field allocation.
 *
 * Accepted: fields separated by ',', records ended by LF, CRLF or a lone CR
 * (or by end of input); quoted fields with "" for a quote and embedded
 * commas, CRs and newlines (kept verbatim); a UTF-8 BOM at the very start
 * (skipped); empty fields. An empty line is one record of one empty field.
 * A '"' inside an unquoted field is taken literally.
 *
 * Errors (sticky: every later call repeats them): "unterminated quoted
 * field", "unexpected character after closing quote", "field too long"
 * (over CSV_FIELD_MAX bytes), "too many fields" (over CSV_FIELDS_MAX),
 * "embedded NUL", "invalid UTF-8", "read error".
 *
 * A reader must be used by one thread at a time; separate readers share
 * nothing. */
#ifndef DUNND_CSV_H
#define DUNND_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_FIELD_MAX 65536 /* bytes per field */
#define CSV_FIELDS_MAX 1024 /* fields per record */

struct csv_reader;

/* Does not take ownership of f. Returns NULL on allocation failure. */
struct csv_reader *csv_open(FILE *f);

/* Read the next record. Returns the number of fields (>= 1), 0 at clean EOF,
 * -1 on error (message in err if errlen > 0). *fields points to an array of
 * NUL-terminated field strings (followed by a NULL entry) valid until the
 * next call or csv_close. *line is the 1-based physical line where the
 * record started; on error it is the line of the problem (for an
 * unterminated quoted field, the line of its opening quote). fields, line
 * and err may be NULL. */
int csv_next(struct csv_reader *r, char ***fields, int *line, char *err, size_t errlen);

void csv_close(struct csv_reader *r);

#endif
