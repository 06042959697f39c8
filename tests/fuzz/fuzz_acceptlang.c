/* lib/acceptlang: any bytes as an Accept-Language header. */
#include "fuzz.h"
#include "acceptlang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = {"en", "ko", "ja", "zh"};
	char *h = malloc(size + 1);
	size_t ex;
	int l;

	if (!h)
		abort();
	memcpy(h, data, size);
	h[size] = '\0';
	l = acceptlang_best(h, langs, 4, &ex);
	FUZZ_ASSERT(l >= -1 && l < 4);
	FUZZ_ASSERT(ex <= ACCEPTLANG_MAX_BYTES && ex <= strlen(h));
	free(h);
	return 0;
}
