/* engine/quiet: the quiet-times spec grammar and its canonical form. */
#include "fuzz.h"
#include "quiet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct quiet q, q2;
	char err[160], canon[QUIET_SPEC_MAX], again[QUIET_SPEC_MAX];
	int m = -1, m2 = -1;

	if (quiet_parse(s, &q, err, sizeof err) == 0) {
		FUZZ_ASSERT(quiet_minutes(&q) >= 0 && quiet_minutes(&q) <= QUIET_WEEK_MIN);
		/* Within the largest bound, the canonical form parses back to
		 * the same set and is its own canonical form. */
		if (quiet_normalize(s, 167, canon, sizeof canon, &m, err, sizeof err) == 0) {
			FUZZ_ASSERT(m == quiet_minutes(&q));
			FUZZ_ASSERT(quiet_parse(canon, &q2, err, sizeof err) == 0);
			FUZZ_ASSERT(memcmp(q.bit, q2.bit, sizeof q.bit) == 0);
			FUZZ_ASSERT(quiet_normalize(canon, 167, again, sizeof again, &m2, err,
						    sizeof err) == 0);
			FUZZ_ASSERT(strcmp(canon, again) == 0 && m2 == m);
		}
	} else {
		FUZZ_ASSERT(err[0] != '\0');
	}
	free(s);
	return 0;
}
