/* A rendered plain-text message as the HTML part of an email. */
#ifndef DUNN_TEXTHTML_H
#define DUNN_TEXTHTML_H

/* Plain text to a minimal HTML document: every character escaped, a
 * blank line a paragraph, a line break <br>. Caller frees; NULL when out
 * of memory. */
char *texthtml_from_text(const char *text);

#endif
