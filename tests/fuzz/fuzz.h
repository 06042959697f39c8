/* Shared bits of the libFuzzer harnesses (tests/fuzz/fuzz_*.c). */
#ifndef DUNN_FUZZ_H
#define DUNN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code under test must keep: abort so libFuzzer saves
 * the input as a crash. */
#define FUZZ_ASSERT(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* Split data on NUL bytes into at most n NUL-terminated strings (the
 * rest are ""), so one input carries several C-string arguments. The
 * last one keeps any further NULs cut off. Returns one buffer holding
 * them all (caller frees). */
static inline char *fuzz_split(const uint8_t *data, size_t size, char **out, size_t n)
{
	char *buf = malloc(size + 1);
	size_t k = 0, start = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = buf + size; /* "" */
	for (size_t i = 0; i <= size && k < n; i++) {
		if (i == size || buf[i] == '\0') {
			out[k++] = buf + start;
			start = i + 1;
		}
	}
	return buf;
}

/* A NUL-terminated copy of data (caller frees). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
