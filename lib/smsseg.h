/* SMS segmentation: which encoding a text needs and how many message
 * parts it costs, decided before sending (GSM 03.38 / 3GPP TS 23.040).
 *
 * GSM-7 when every character is in the default alphabet or its extension
 * table (form feed ^ { } \ [ ~ ] | and the euro sign each count two
 * septets); otherwise UCS-2, counted in UTF-16 code units (characters
 * outside the BMP, most emoji, count two). One part carries 160 septets
 * or 70 units; a concatenated message carries 153 or 67 per part, and an
 * escape pair or a surrogate pair is never split across two parts, as
 * handsets and gateways pack them. */
#ifndef DUNN_SMSSEG_H
#define DUNN_SMSSEG_H

#include <stddef.h>

enum smsseg_encoding {
	SMSSEG_GSM7,
	SMSSEG_UCS2,
};

#define SMSSEG_GSM7_SINGLE 160
#define SMSSEG_GSM7_MULTI 153
#define SMSSEG_UCS2_SINGLE 70
#define SMSSEG_UCS2_MULTI 67

struct smsseg_info {
	enum smsseg_encoding encoding;
	size_t chars;    /* Unicode code points */
	size_t units;    /* GSM-7 septets or UTF-16 code units */
	size_t segments; /* message parts; an empty text is one part */
};

/* Count text[0..len). 0 on success, -1 if it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included). */
int smsseg_count(const char *text, size_t len, struct smsseg_info *out);
/* "GSM-7" or "UCS-2". */
const char *smsseg_encoding_name(enum smsseg_encoding e);
/* Septets a code point takes in GSM-7: 1 (default alphabet), 2 (extension
 * table) or 0 (not representable). */
int smsseg_gsm7_width(unsigned long cp);

#endif
