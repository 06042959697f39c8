/* lib/phone: E.164 normalisation of imported numbers. */
#include "fuzz.h"
#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	size_t before = strlen(s);

	if (phone_normalise(s) == 0 && *s) {
		size_t n = strlen(s);
		/* Accepted means exactly '+', a non-zero digit, 7 to 14 more. */
		FUZZ_ASSERT(n >= 9 && n <= 16 && n <= before && s[0] == '+');
		FUZZ_ASSERT(s[1] >= '1' && s[1] <= '9');
		for (size_t i = 1; i < n; i++)
			FUZZ_ASSERT(s[i] >= '0' && s[i] <= '9');
		/* Normalising twice changes nothing. */
		char *again = strdup(s);
		FUZZ_ASSERT(again && phone_normalise(again) == 0 && strcmp(again, s) == 0);
		free(again);
	}
	free(s);
	return 0;
}
