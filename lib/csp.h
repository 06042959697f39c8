/* The Content-Security-Policy of dunnd's server-rendered pages: nothing
 * but the page's one inline style sheet (by its hash) and forms posting
 * back to the page's own origin; no scripts, frames or other sources. */
#ifndef DUNN_CSP_H
#define DUNN_CSP_H

#include <stddef.h>

/* The header's value for a page whose only style is css. */
void csp_for_style(const char *css, char *out, size_t len);

#endif
