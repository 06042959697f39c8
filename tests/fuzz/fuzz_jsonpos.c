/* lib/jsonpos: locate a path in arbitrary (often invalid) JSON text.
 * Input: path, NUL, text (not NUL-terminated). */
#include "fuzz.h"
#include "jsonpos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : 0;
	size_t tlen = nul ? size - plen - 1 : size;
	char *path = fuzz_str(data, plen);
	char *text = malloc(tlen ? tlen : 1);
	int line, col;

	if (!text)
		abort();
	memcpy(text, nul ? nul + 1 : data, tlen);
	for (int want_key = 0; want_key < 2; want_key++)
		if (jsonpos_find_str(text, tlen, path, want_key, &line, &col) == 0)
			FUZZ_ASSERT(line >= 1 && col >= 1 && (size_t)line <= tlen + 1);
	(void)jsonpos_find(text, tlen, NULL, 0, 0, NULL, NULL);
	free(path);
	free(text);
	return 0;
}
