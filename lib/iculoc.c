#include "iculoc.h"

#include <string.h>
#include <unicode/uloc.h>

int iculoc_from_tag(const char *tag, char *out, int32_t cap)
{
	UErrorCode st = U_ZERO_ERROR;

	if (tag == NULL || tag[0] == '\0' || strlen(tag) >= 64)
		return -1;
	if (strchr(tag, '_') != NULL || strchr(tag, '@') != NULL) {
		uloc_canonicalize(tag, out, cap, &st);
	} else {
		int32_t parsed = 0;
		uloc_forLanguageTag(tag, out, cap, &parsed, &st);
		if (U_SUCCESS(st) && (size_t)parsed != strlen(tag))
			return -1;
	}
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || out[0] == '\0')
		return -1;
	return 0;
}

/* Aliases ICU resolves itself ("iw" -> "he") are fine: their data locale
 * is neither root nor the default's language. */
int iculoc_fell_back(const char *requested, const char *valid)
{
	char want[ULOC_LANG_CAPACITY], got[ULOC_LANG_CAPACITY], def[ULOC_LANG_CAPACITY];
	UErrorCode st = U_ZERO_ERROR;

	uloc_getLanguage(requested, want, (int32_t)sizeof want, &st);
	uloc_getLanguage(valid, got, (int32_t)sizeof got, &st);
	uloc_getLanguage(uloc_getDefault(), def, (int32_t)sizeof def, &st);
	if (U_FAILURE(st))
		return 1;
	if (strcmp(want, got) == 0)
		return 0;
	return got[0] == '\0' || strcmp(got, "root") == 0 || strcmp(got, def) == 0;
}
