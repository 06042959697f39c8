/* multipart/form-data (RFC 7578), as a browser sends a form with a file:
 * each part's name and content as the pairs of a struct form (form.h), a
 * file's content being its value, so a handler reads both kinds of form
 * alike. Pure; every malformed body is refused whole. */
#ifndef DUNN_MULTIPART_H
#define DUNN_MULTIPART_H

#include <stddef.h>

#include "form.h"

/* The boundary of a Content-Type "multipart/form-data; boundary=..."
 * (quoted or not, 1 to 70 characters) into out; 0, or -1 when ctype is
 * not multipart/form-data or has no usable boundary. */
int multipart_boundary(const char *ctype, char *out, size_t len);

/* Parse body[0..len) delimited by boundary. Refused (*f left empty):
 * FORM_ETOOBIG past max bytes, FORM_ETOOMANY past FORM_MAX_PAIRS parts,
 * FORM_EESCAPE for a missing delimiter or end, a part without a
 * Content-Disposition form-data name, or a NUL byte anywhere in a name
 * or value. */
enum form_error multipart_parse(const char *boundary, const char *body, size_t len, size_t max,
				struct form *f);

#endif
