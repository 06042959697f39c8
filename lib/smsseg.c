#include "smsseg.h"

#include <stdint.h>

/* The GSM 03.38 default alphabet, as Unicode, outside of ASCII's
 * printable letters and digits (which are handled by range below). */
static const uint16_t gsm7_basic_extra[] = {
	'\n',
	'\r',
	' ',
	'!',
	'"',
	'#',
	'$',
	'%',
	'&',
	'\'',
	'(',
	')',
	'*',
	'+',
	',',
	'-',
	'.',
	'/',
	':',
	';',
	'<',
	'=',
	'>',
	'?',
	'@',
	'_',
	0x00A1,
	/* ¡ */ 0x00A3,
	/* £ */ 0x00A4,
	/* ¤ */ 0x00A5,
	/* ¥ */ 0x00A7, /* § */
	0x00BF,
	/* ¿ */ 0x00C4,
	/* Ä */ 0x00C5,
	/* Å */ 0x00C6,
	/* Æ */ 0x00C7, /* Ç */
	0x00C9,
	/* É */ 0x00D1,
	/* Ñ */ 0x00D6,
	/* Ö */ 0x00D8,
	/* Ø */ 0x00DC, /* Ü */
	0x00DF,
	/* ß */ 0x00E0,
	/* à */ 0x00E4,
	/* ä */ 0x00E5,
	/* å */ 0x00E6, /* æ */
	0x00E8,
	/* è */ 0x00E9,
	/* é */ 0x00EC,
	/* ì */ 0x00F1,
	/* ñ */ 0x00F2, /* ò */
	0x00F6,
	/* ö */ 0x00F8,
	/* ø */ 0x00F9,
	/* ù */ 0x00FC, /* ü */
	0x0393,
	/* Γ */ 0x0394,
	/* Δ */ 0x0398,
	/* Θ */ 0x039B,
	/* Λ */ 0x039E, /* Ξ */
	0x03A0,
	/* Π */ 0x03A3,
	/* Σ */ 0x03A6,
	/* Φ */ 0x03A8,
	/* Ψ */ 0x03A9, /* Ω */
};

/* The extension table: an escape septet plus one. */
static const uint16_t gsm7_ext[] = {
	0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC, /* € */
};

int smsseg_gsm7_width(unsigned long cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
		return 1;
	for (size_t i = 0; i < sizeof gsm7_basic_extra / sizeof gsm7_basic_extra[0]; i++)
		if (gsm7_basic_extra[i] == cp)
			return 1;
	for (size_t i = 0; i < sizeof gsm7_ext / sizeof gsm7_ext[0]; i++)
		if (gsm7_ext[i] == cp)
			return 2;
	return 0;
}

const char *smsseg_encoding_name(enum smsseg_encoding e)
{
	return e == SMSSEG_GSM7 ? "GSM-7" : "UCS-2";
}

/* Decode one code point at s[*i]; -1 on malformed UTF-8. */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, unsigned long *cp)
{
	unsigned char c = s[*i];
	size_t n;
	unsigned long v, min;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 1, v = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 2, v = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 3, v = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80)
			return -1;
		v = (v << 6) | (s[*i + k] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return -1;
	*cp = v;
	*i += n + 1;
	return 0;
}

/* Parts needed when characters of the given widths are packed greedily,
 * no character split across two parts. */
static size_t pack(const unsigned char *s, size_t len, int gsm, size_t per_part)
{
	size_t parts = 1, used = 0, i = 0;
	unsigned long cp;

	while (i < len && utf8_next(s, len, &i, &cp) == 0) {
		size_t w = gsm ? (size_t)smsseg_gsm7_width(cp) : (cp > 0xFFFF ? 2 : 1);
		if (used + w > per_part) {
			parts++;
			used = 0;
		}
		used += w;
	}
	return parts;
}

int smsseg_count(const char *text, size_t len, struct smsseg_info *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, chars = 0, septets = 0, u16 = 0;
	int gsm = 1;
	unsigned long cp;

	while (i < len) {
		int w;
		if (utf8_next(s, len, &i, &cp) != 0)
			return -1;
		chars++;
		u16 += cp > 0xFFFF ? 2 : 1;
		w = smsseg_gsm7_width(cp);
		if (w == 0)
			gsm = 0;
		septets += (size_t)w;
	}
	out->encoding = gsm ? SMSSEG_GSM7 : SMSSEG_UCS2;
	out->chars = chars;
	out->units = gsm ? septets : u16;
	if (out->units <= (gsm ? SMSSEG_GSM7_SINGLE : SMSSEG_UCS2_SINGLE))
		out->segments = 1;
	else
		out->segments = pack(s, len, gsm, gsm ? SMSSEG_GSM7_MULTI : SMSSEG_UCS2_MULTI);
	return 0;
}
