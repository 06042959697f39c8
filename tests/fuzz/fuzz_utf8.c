/* lib/utf8: sanitising and escaping arbitrary bytes. The first two bytes
 * of an input are the bound, the rest the text. */
#include "fuzz.h"
#include "utf8.h"

/* No C0 control, DEL or C1 code point (C2 80..C2 9F) left. */
static int fuzz_no_controls(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return 0;
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max, len;
	char *t, *all, *cut, *esc, *escall;

	if (size < 2)
		return 0;
	max = (size_t)data[0] | (size_t)data[1] << 8;
	len = size - 2;
	/* A private copy with no NUL after it, so ASan sees any read past len. */
	t = malloc(len ? len : 1);
	if (!t)
		abort();
	memcpy(t, data + 2, len);
	all = utf8_sanitize(t, len, SIZE_MAX);
	cut = utf8_sanitize(t, len, max);
	esc = utf8_escape_controls(t, len, max);
	escall = utf8_escape_controls(t, len, SIZE_MAX);
	FUZZ_ASSERT(all && cut && esc && escall);
	FUZZ_ASSERT(utf8_valid(all, strlen(all)) && utf8_valid(cut, strlen(cut)));
	FUZZ_ASSERT(utf8_valid(esc, strlen(esc)) && fuzz_no_controls(esc) &&
		    fuzz_no_controls(escall));
	/* the bound cuts whole characters off the end, nothing else */
	FUZZ_ASSERT(strlen(cut) <= max && strncmp(all, cut, strlen(cut)) == 0);
	FUZZ_ASSERT(utf8_cut(all, strlen(all), max) == strlen(cut));
	FUZZ_ASSERT(strlen(esc) <= max && strncmp(escall, esc, strlen(esc)) == 0);
	/* valid text without NUL comes through unchanged */
	if (utf8_valid(t, len))
		FUZZ_ASSERT(strlen(all) == len && memcmp(all, t, len) == 0);
	/* into a field: the same as the bounded copy, in place too */
	{
		size_t field = max % 300 + 1, n;
		char *buf = malloc(field > len ? field : len + 1);

		if (!buf)
			abort();
		n = utf8_sanitize_into(buf, field, t, len);
		FUZZ_ASSERT(n == strlen(buf) && n < field && strncmp(all, buf, n) == 0);
		FUZZ_ASSERT(utf8_cut(all, strlen(all), field - 1) == n);
		memcpy(buf, t, len);
		buf[len] = '\0';
		n = utf8_escape_into(buf, field, buf, strnlen(buf, len));
		FUZZ_ASSERT(n == strlen(buf) && n < field && fuzz_no_controls(buf));
		free(buf);
	}
	/* sanitising is idempotent */
	{
		char *again = utf8_sanitize(all, strlen(all), SIZE_MAX);

		FUZZ_ASSERT(again && strcmp(again, all) == 0);
		free(again);
	}
	free(all);
	free(cut);
	free(esc);
	free(escall);
	free(t);
	return 0;
}
