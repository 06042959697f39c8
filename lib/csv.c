/* csv — see csv.h. */
#include "csv.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CSV_INBUF 65536

/* Byte source results besides 0..255. */
#define CSV_C_EOF (-1)
#define CSV_C_ERR (-2)

struct csv_reader {
	FILE *f;
	size_t in_pos, in_len;
	int in_eof;  /* never call fread again once it reported end/error */
	int started; /* BOM check done */
	int done;    /* clean EOF returned */
	long line;   /* physical line of the next byte */

	/* UTF-8 validation carried across bytes (and buffer refills): bytes
     * still expected in the current sequence and the allowed range of the
     * next one, which rules out overlongs, surrogates and > U+10FFFF. */
	int u8_need;
	unsigned char u8_lo, u8_hi;

	int failed;
	long err_line;
	char err_msg[64];

	char *rec; /* current record's fields, each NUL-terminated */
	size_t rec_len, rec_cap;
	size_t starts[CSV_FIELDS_MAX];
	char *ptrs[CSV_FIELDS_MAX + 1];
	unsigned char in[CSV_INBUF];
};

static void csv_fail(struct csv_reader *r, const char *msg, long line)
{
	if (r->failed)
		return; /* keep the first cause */
	r->failed = 1;
	r->err_line = line;
	snprintf(r->err_msg, sizeof r->err_msg, "%s", msg);
}

static int csv_fill(struct csv_reader *r)
{
	r->in_pos = 0;
	r->in_len = 0;
	if (r->in_eof)
		return 0;
	r->in_len = fread(r->in, 1, sizeof r->in, r->f);
	if (r->in_len == 0) {
		r->in_eof = 1;
		if (ferror(r->f)) {
			csv_fail(r, "read error", r->line);
			return -1;
		}
	}
	return 0;
}

static int csv_peek(struct csv_reader *r)
{
	if (r->in_pos == r->in_len) {
		if (csv_fill(r))
			return CSV_C_ERR;
		if (r->in_len == 0)
			return CSV_C_EOF;
	}
	return r->in[r->in_pos];
}

/* Consume one byte, validating UTF-8 and rejecting NUL on the way. */
static int csv_get(struct csv_reader *r)
{
	int c = csv_peek(r);
	if (c == CSV_C_ERR)
		return c;
	if (c == CSV_C_EOF) {
		if (r->u8_need) {
			csv_fail(r, "invalid UTF-8", r->line);
			return CSV_C_ERR;
		}
		return c;
	}
	r->in_pos++;
	unsigned char b = (unsigned char)c;
	if (r->u8_need) {
		if (b < r->u8_lo || b > r->u8_hi)
			goto bad;
		r->u8_need--;
		r->u8_lo = 0x80;
		r->u8_hi = 0xBF;
		return c;
	}
	if (b < 0x80) {
		if (b == 0) {
			csv_fail(r, "embedded NUL", r->line);
			return CSV_C_ERR;
		}
		return c;
	}
	r->u8_lo = 0x80;
	r->u8_hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF) {
		r->u8_need = 1;
	} else if (b >= 0xE0 && b <= 0xEF) {
		r->u8_need = 2;
		if (b == 0xE0)
			r->u8_lo = 0xA0; /* overlong */
		else if (b == 0xED)
			r->u8_hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		r->u8_need = 3;
		if (b == 0xF0)
			r->u8_lo = 0x90; /* overlong */
		else if (b == 0xF4)
			r->u8_hi = 0x8F; /* > U+10FFFF */
	} else {
		goto bad;
	}
	return c;
bad:
	csv_fail(r, "invalid UTF-8", r->line);
	return CSV_C_ERR;
}

static int csv_put(struct csv_reader *r, size_t field_start, char c)
{
	if (c != '\0' && r->rec_len - field_start >= CSV_FIELD_MAX) {
		csv_fail(r, "field too long", r->line);
		return -1;
	}
	if (r->rec_len == r->rec_cap) {
		size_t nc = r->rec_cap * 2;
		char *n = realloc(r->rec, nc);
		if (!n) {
			csv_fail(r, "out of memory", r->line);
			return -1;
		}
		r->rec = n;
		r->rec_cap = nc;
	}
	r->rec[r->rec_len++] = c;
	return 0;
}

struct csv_reader *csv_open(FILE *f)
{
	if (!f)
		return NULL;
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->rec_cap = 4096;
	r->rec = malloc(r->rec_cap);
	if (!r->rec) {
		free(r);
		return NULL;
	}
	r->f = f;
	r->line = 1;
	return r;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->rec);
	free(r);
}

static int csv_clamp(long v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* A lone CR counts as a line break too, so line numbers match what editors
 * show for old Mac-style files. Called after consuming a CR. */
static int csv_after_cr(struct csv_reader *r)
{
	int p = csv_peek(r);
	if (p == CSV_C_ERR)
		return -1;
	if (p != '\n')
		r->line++;
	return 0;
}

/* Parse one record; returns the field count or -1. */
static int csv_record(struct csv_reader *r, long *start_line)
{
	int nf = 0;
	int c = csv_get(r);
	*start_line = r->line;
	if (c == CSV_C_ERR)
		return -1;
	if (c == CSV_C_EOF) {
		r->done = 1;
		return 0;
	}
	r->rec_len = 0;
	for (;;) {
		size_t fs = r->rec_len;
		r->starts[nf] = fs;
		if (c == '"') {
			long qline = r->line;
			for (;;) {
				c = csv_get(r);
				if (c == CSV_C_ERR)
					return -1;
				if (c == CSV_C_EOF) {
					csv_fail(r, "unterminated quoted field", qline);
					return -1;
				}
				if (c == '"') {
					int p = csv_peek(r);
					if (p == CSV_C_ERR)
						return -1;
					if (p != '"')
						break;
					csv_get(r); /* the second quote of "" */
				} else if (c == '\n') {
					r->line++;
				} else if (c == '\r' && csv_after_cr(r)) {
					return -1;
				}
				if (csv_put(r, fs, (char)c))
					return -1;
			}
			c = csv_get(r);
			if (c == CSV_C_ERR)
				return -1;
			if (c != ',' && c != '\n' && c != '\r' && c != CSV_C_EOF) {
				csv_fail(r, "unexpected character after closing quote", r->line);
				return -1;
			}
		} else {
			while (c != ',' && c != '\n' && c != '\r' && c != CSV_C_EOF) {
				if (csv_put(r, fs, (char)c))
					return -1;
				c = csv_get(r);
				if (c == CSV_C_ERR)
					return -1;
			}
		}
		if (csv_put(r, fs, '\0'))
			return -1;
		nf++;
		if (c != ',')
			break;
		if (nf == CSV_FIELDS_MAX) {
			csv_fail(r, "too many fields", r->line);
			return -1;
		}
		c = csv_get(r);
		if (c == CSV_C_ERR)
			return -1;
	}
	if (c == '\n') {
		r->line++;
	} else if (c == '\r') {
		int p = csv_peek(r);
		if (p == CSV_C_ERR)
			return -1;
		if (p == '\n')
			csv_get(r);
		r->line++;
	}
	for (int i = 0; i < nf; i++)
		r->ptrs[i] = r->rec + r->starts[i];
	r->ptrs[nf] = NULL;
	return nf;
}

int csv_next(struct csv_reader *r, char ***fields, int *line, char *err, size_t errlen)
{
	if (fields)
		*fields = NULL;
	if (!r) {
		if (err && errlen > 0)
			snprintf(err, errlen, "%s", "no reader");
		return -1;
	}
	if (!r->started) {
		r->started = 1;
		/* The first fill holds the whole start of input (fread only comes
         * up short at EOF), so the BOM is either all here or absent. */
		if (csv_peek(r) >= 0 && r->in_len >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
			r->in_pos = 3;
	}
	long start = r->line;
	int nf = 0;
	if (!r->failed && !r->done)
		nf = csv_record(r, &start);
	if (r->failed) {
		if (err && errlen > 0)
			snprintf(err, errlen, "%s", r->err_msg);
		if (line)
			*line = csv_clamp(r->err_line);
		return -1;
	}
	if (line)
		*line = csv_clamp(start);
	if (nf > 0 && fields)
		*fields = r->ptrs;
	return nf;
}
