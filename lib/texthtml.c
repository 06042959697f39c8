#include "texthtml.h"
#include "htmlesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plain text to a minimal HTML body: escaped, blank lines as paragraphs. */
char *texthtml_from_text(const char *text)
{
	size_t cap = strlen(text) * 6 + 128, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	n += (size_t)sprintf(out, "<!DOCTYPE html><html><body><p>");
	for (const char *p = text; *p; p++) {
		const char *rep;

		if (*p == '\r') {
			rep = "";
		} else if (*p == '\n') {
			/* The next line empty, its end LF or CRLF: a paragraph. */
			const char *q = p[1] == '\r' && p[2] == '\n' ? p + 2 : p + 1;
			if (*q == '\n') {
				rep = "</p>\n<p>";
				p = q;
			} else {
				rep = "<br>\n";
			}
		} else {
			rep = htmlesc_entity((unsigned char)*p);
		}
		if (rep) {
			size_t l = strlen(rep);
			memcpy(out + n, rep, l);
			n += l;
		} else {
			out[n++] = *p;
		}
	}
	memcpy(out + n, "</p></body></html>\n", 20);
	return out;
}
