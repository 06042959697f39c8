/* lib/csv: read every record of arbitrary bytes. The first byte sets the
 * stdio buffer size so block boundaries land everywhere. */
#include "fuzz.h"
#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader *r;
	char **fields, err[160];
	int n, line, prev = 0;
	FILE *f;

	if (size < 2)
		return 0;
	f = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!f)
		return 0;
	if (data[0] & 1)
		setvbuf(f, NULL, _IOFBF, 1 + data[0]);
	r = csv_open(f);
	FUZZ_ASSERT(r);
	/* Each record takes at least one byte: bounded by size. */
	for (size_t k = 0; k <= size; k++) {
		n = csv_next(r, &fields, &line, err, sizeof err);
		if (n <= 0) {
			if (n < 0) {
				FUZZ_ASSERT(memchr(err, 0, sizeof err) && err[0]);
				/* Sticky: the next call repeats the error. */
				FUZZ_ASSERT(csv_next(r, &fields, &line, err, sizeof err) < 0);
			}
			break;
		}
		FUZZ_ASSERT(n <= CSV_FIELDS_MAX && line >= prev && line >= 1);
		prev = line;
		for (int i = 0; i < n; i++)
			FUZZ_ASSERT(fields[i] && strlen(fields[i]) <= CSV_FIELD_MAX);
		FUZZ_ASSERT(fields[n] == NULL);
	}
	csv_close(r);
	fclose(f);
	return 0;
}
