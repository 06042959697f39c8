/* lib/smsseg: encoding and segment count of arbitrary bytes. */
#include "fuzz.h"
#include "smsseg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smsseg_info in;
	/* A private copy so ASan sees any read past len. */
	char *t = malloc(size ? size : 1);

	if (!t)
		abort();
	memcpy(t, data, size);
	if (smsseg_count(t, size, &in) == 0) {
		FUZZ_ASSERT(in.chars <= size && in.units >= in.chars && in.segments >= 1);
		FUZZ_ASSERT(in.encoding == SMSSEG_GSM7 || in.encoding == SMSSEG_UCS2);
		size_t one = in.encoding == SMSSEG_GSM7 ? SMSSEG_GSM7_SINGLE : SMSSEG_UCS2_SINGLE;
		size_t part = in.encoding == SMSSEG_GSM7 ? SMSSEG_GSM7_MULTI : SMSSEG_UCS2_MULTI;
		if (in.units <= one)
			FUZZ_ASSERT(in.segments == 1);
		else /* parts never overfull; a pair kept whole wastes one unit at most */
			FUZZ_ASSERT(in.segments >= (in.units + part - 1) / part &&
				    in.segments <= (in.units + part - 2) / (part - 1));
		FUZZ_ASSERT(smsseg_encoding_name(in.encoding) != NULL);
	}
	free(t);
	return 0;
}
