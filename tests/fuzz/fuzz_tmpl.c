/* engine/tmpl: parse a template, list its variables, render it raw and as
 * HTML. Input: template source, NUL, then the value every variable gets. */
#include "fuzz.h"
#include "tmpl.h"

static const char *lookup(void *ctx, const char *name)
{
	const char *v = ctx;

	/* Some names are unknown: they render empty. */
	return name[0] == 'x' ? NULL : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	char *src = malloc(slen ? slen : 1), *val, err[128];
	int line = -1, col = -1;
	struct tmpl *t;

	if (!src)
		abort();
	memcpy(src, data, slen); /* not NUL-terminated on purpose */
	val = nul ? fuzz_str(nul + 1, size - slen - 1) : fuzz_str(data, 0);
	t = tmpl_parse(src, slen, err, sizeof err, &line, &col);
	if (t) {
		for (size_t i = 0; i < tmpl_var_count(t); i++) {
			int l, c;
			const char *name = tmpl_var_name(t, i, &l, &c);
			FUZZ_ASSERT(name && *name && l >= 1 && c >= 1);
		}
		FUZZ_ASSERT(tmpl_var_name(t, tmpl_var_count(t), NULL, NULL) == NULL);
		char *raw = tmpl_render(t, lookup, val, TMPL_RAW);
		char *html = tmpl_render(t, lookup, val, TMPL_HTML);
		char *none = tmpl_render(t, NULL, NULL, TMPL_HTML);
		FUZZ_ASSERT(raw && html && none);
		/* Escaping only ever lengthens values. */
		FUZZ_ASSERT(strlen(html) >= strlen(raw) && strlen(raw) >= strlen(none));
		free(raw);
		free(html);
		free(none);
		tmpl_free(t);
	} else {
		FUZZ_ASSERT(memchr(err, 0, sizeof err) && line >= 0 && col >= 0);
	}
	free(src);
	free(val);
	return 0;
}
