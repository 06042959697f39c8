/* lib/form: x-www-form-urlencoded bodies, and encode/parse round trips. */
#include "fuzz.h"
#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f, g;
	char *body = malloc(size ? size : 1);

	if (!body)
		abort();
	memcpy(body, data, size); /* exactly size bytes: no terminator to lean on */
	if (form_parse(body, size, &f) == FORM_OK) {
		FUZZ_ASSERT(f.n <= FORM_MAX_PAIRS);
		const char **kv = calloc(2 * f.n + 1, sizeof *kv);
		FUZZ_ASSERT(kv);
		for (size_t i = 0; i < f.n; i++) {
			FUZZ_ASSERT(f.pairs[i].name && f.pairs[i].value);
			kv[2 * i] = f.pairs[i].name;
			kv[2 * i + 1] = f.pairs[i].value;
			FUZZ_ASSERT(form_get(&f, f.pairs[i].name) != NULL);
		}
		/* What we encode, we parse back to the same pairs. */
		char *enc = form_encode(kv, f.n);
		FUZZ_ASSERT(enc);
		if (strlen(enc) <= FORM_MAX_BODY) {
			FUZZ_ASSERT(form_parse(enc, strlen(enc), &g) == FORM_OK);
			size_t k = 0;
			for (size_t i = 0; i < f.n; i++) {
				FUZZ_ASSERT(k < g.n);
				FUZZ_ASSERT(strcmp(f.pairs[i].name, g.pairs[k].name) == 0);
				FUZZ_ASSERT(strcmp(f.pairs[i].value, g.pairs[k].value) == 0);
				k++;
			}
			FUZZ_ASSERT(k == g.n);
			form_free(&g);
		}
		free(enc);
		free(kv);
		form_free(&f);
	} else {
		FUZZ_ASSERT(f.n == 0 && f.pairs == NULL);
	}
	(void)form_strerror(FORM_EESCAPE);
	free(body);
	return 0;
}
