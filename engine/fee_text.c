/* fee_text.c - see fee_text.h. Wording as a careful company writes it:
 * the fee is named as charged under the terms, and the total with it. */
#include "fee_text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct fee_words {
	const char *lang; /* language tag prefix, longest first */
	const char *label;
	const char *before, *middle, *after; /* before FEE middle TOTAL after */
};

static const struct fee_words fee_words[] = {
	{"zh-Hant", "\u6eef\u7d0d\u91d1",
	 "\u4f9d\u64da\u670d\u52d9\u689d\u6b3e\uff0c\u60a8\u7684\u5e33\u6236\u5df2\u7522\u751f\u6eef\u7d0d\u91d1",
	 "\u3002\u542b\u6eef\u7d0d\u91d1\u5728\u5167\uff0c\u61c9\u4ed8\u7e3d\u984d\u70ba",
	 "\u3002"},
	{"zh-TW", "\u6eef\u7d0d\u91d1",
	 "\u4f9d\u64da\u670d\u52d9\u689d\u6b3e\uff0c\u60a8\u7684\u5e33\u6236\u5df2\u7522\u751f\u6eef\u7d0d\u91d1",
	 "\u3002\u542b\u6eef\u7d0d\u91d1\u5728\u5167\uff0c\u61c9\u4ed8\u7e3d\u984d\u70ba",
	 "\u3002"},
	{"zh", "\u6ede\u7eb3\u91d1",
	 "\u6839\u636e\u670d\u52a1\u6761\u6b3e\uff0c\u60a8\u7684\u8d26\u6237\u5df2\u4ea7\u751f\u6ede\u7eb3\u91d1",
	 "\u3002\u542b\u6ede\u7eb3\u91d1\u5728\u5185\uff0c\u5e94\u4ed8\u603b\u989d\u4e3a",
	 "\u3002"},
	{"ko", "\uc5f0\uccb4\ub8cc",
	 "\uc57d\uad00\uc5d0 \ub530\ub77c \uc5f0\uccb4\ub8cc\uac00 \ubd80\uacfc\ub418\uc5c8\uc2b5\ub2c8\ub2e4(\uc5f0\uccb4\ub8cc ",
	 "). \uc5f0\uccb4\ub8cc\ub97c \ud3ec\ud568\ud55c \ucd1d \ub0a9\ubd80 \uae08\uc561\uc740 ",
	 "\uc785\ub2c8\ub2e4."},
	{"ja", "\u5ef6\u6ede\u624b\u6570\u6599",
	 "\u898f\u7d04\u306b\u57fa\u3065\u304d\u3001\u5ef6\u6ede\u624b\u6570\u6599",
	 "\u3092\u7533\u3057\u53d7\u3051\u307e\u3059\u3002\u624b\u6570\u6599\u3092\u542b\u3080\u304a\u652f\u6255\u3044\u7dcf\u984d\u306f",
	 "\u3067\u3059\u3002"},
	{"en", "Late fee", "Under our terms, a late fee of ",
	 " has been added to your account; with it, the total now due is ", "."},
};

static const struct fee_words *fee_words_for(const char *locale)
{
	size_t n = sizeof fee_words / sizeof fee_words[0];

	for (size_t i = 0; locale && i < n; i++) {
		size_t l = strlen(fee_words[i].lang);
		if (strncasecmp(locale, fee_words[i].lang, l) == 0 &&
		    (locale[l] == '\0' || locale[l] == '-' || locale[l] == '_'))
			return &fee_words[i];
	}
	return &fee_words[n - 1];
}

int fee_line_format(const char *locale, const char *fee, const char *total, char *buf, size_t len)
{
	const struct fee_words *w = fee_words_for(locale);
	int n = snprintf(buf, len, "\n\n%s%s%s%s%s", w->before, fee, w->middle, total, w->after);

	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

const char *fee_label(const char *locale)
{
	return fee_words_for(locale)->label;
}
