/* Phone numbers as dunnd stores them: E.164 ("+821012345678"). Pure, no
 * allocation, so it can be unit-tested and fuzzed on its own. */
#ifndef DUNN_PHONE_H
#define DUNN_PHONE_H

/* Normalise s in place to E.164: a leading '+' and 8 to 15 digits, the
 * first not 0; spaces, dashes, dots and parentheses written for humans
 * are dropped. An empty string stays empty and is accepted (no phone).
 * 0 when s now holds a valid number (or is empty), -1 otherwise (s is
 * then partly rewritten: report the original, not s). */
int phone_normalise(char *s);

#endif
