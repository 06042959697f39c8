/* The late-fee sentence of a reminder ({{ fee_line }}) and the page's
 * "late fee" label, per language. */
#ifndef DUNN_FEE_TEXT_H
#define DUNN_FEE_TEXT_H

#include <stddef.h>

/* "\n\nA late fee of FEE has been added ...TOTAL..." in the language of
 * locale (a template's: en, ko, ja, zh, zh-Hant; others English), a
 * paragraph of its own after the one it follows. Returns the length, or
 * -1 (buf "") when it does not fit. */
int fee_line_format(const char *locale, const char *fee, const char *total, char *buf, size_t len);
/* The short label ("Late fee", "연체료", "延滞手数料", "滞纳金", "滯納金"). */
const char *fee_label(const char *locale);

#endif
