/* tmpl — a tiny template language for reminder messages.
 *
 * Syntax: literal text with "{{ name }}" substitutions.
 *   - name matches [a-z_][a-z0-9_]*; spaces/tabs inside the braces are optional.
 *   - "\{{" writes a literal "{{"; any other backslash is literal text.
 *   - A tag must close on the same line.
 * Parse errors (unterminated "{{", empty or invalid name, embedded NUL byte)
 * are reported with the 1-based line and column of the offending "{{" (or the
 * NUL byte); columns count UTF-8 code points.
 *
 * A parsed template is immutable and can be rendered from many threads at
 * once. */
#ifndef DUNND_TMPL_H
#define DUNND_TMPL_H

#include <stddef.h>

struct tmpl; /* opaque, immutable after parse, shareable across threads */

/* Parse len bytes of src (need not be NUL-terminated). Returns NULL on error
 * with a message in err (if errlen > 0) and the position in *err_line /
 * *err_col (any of err, err_line, err_col may be NULL). On allocation failure
 * returns NULL with message "out of memory" and position 0:0. */
struct tmpl *tmpl_parse(const char *src, size_t len, char *err, size_t errlen, int *err_line,
			int *err_col);
void tmpl_free(struct tmpl *t);

/* Number of distinct variable names used, and the i-th one in order of first
 * appearance (NULL if i is out of range), plus the 1-based line/column of the
 * "{{" of its first use (line/col may be NULL). */
size_t tmpl_var_count(const struct tmpl *t);
const char *tmpl_var_name(const struct tmpl *t, size_t i, int *line, int *col);

/* Returns the value for name, or NULL if unknown (renders as empty). */
typedef const char *(*tmpl_lookup_fn)(void *ctx, const char *name);

enum tmpl_escape { TMPL_RAW, TMPL_HTML };

/* Render; values (not literal text) are HTML-escaped (& < > " ') when
 * TMPL_HTML. lookup may be NULL (every variable renders empty). Returns a
 * malloc'd NUL-terminated string (caller frees), NULL on allocation failure. */
char *tmpl_render(const struct tmpl *t, tmpl_lookup_fn lookup, void *ctx, enum tmpl_escape esc);

#endif
