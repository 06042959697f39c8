/* Build PostgreSQL array literals ('{1,2,"a b"}') for batched statements
 * that take unnest($1::bigint[], ...): one round trip per batch. */
#ifndef DUNN_PGARR_H
#define DUNN_PGARR_H

#include <stddef.h>
#include <stdint.h>

struct pgarr {
	char *buf;
	size_t len, cap;
	size_t n;
	int oom;
};

void pgarr_init(struct pgarr *a);
void pgarr_int(struct pgarr *a, int64_t v);
/* NULL becomes SQL NULL. */
void pgarr_text(struct pgarr *a, const char *s);
/* Unix seconds as a timestamptz element. */
void pgarr_time(struct pgarr *a, int64_t t);
/* The literal, owned by a; NULL if memory ran out. */
const char *pgarr_str(struct pgarr *a);
void pgarr_free(struct pgarr *a);

#endif
