/* lib/mime: build messages from hostile names, subjects, bodies and
 * addresses; whatever comes out must be 7-bit, CRLF-only, with no line
 * over 998 octets. Input: NUL-separated fields of struct mime_msg. */
#include "fuzz.h"
#include "mime.h"

static const char *opt(const char *s)
{
	return *s == '~' ? NULL : s; /* "~..." stands for an absent field */
}

static void check_message(const char *m, size_t len)
{
	size_t col = 0;

	FUZZ_ASSERT(strlen(m) == len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m[i];
		FUZZ_ASSERT(c < 0x80 && c != 0);
		if (c == '\r') {
			FUZZ_ASSERT(i + 1 < len && m[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		FUZZ_ASSERT(c != '\n');
		FUZZ_ASSERT(++col <= 998);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[11], *buf = fuzz_split(data, size, f, 11);
	struct mime_msg m = {
		.from_name = opt(f[0]),
		.from_addr = f[1][0] ? f[1] : "billing@example.com",
		.to_name = opt(f[2]),
		.to_addr = f[3][0] ? f[3] : "kim@example.org",
		.subject = f[4],
		.text = f[5],
		.html = opt(f[6]),
		.message_id = f[7][0] ? f[7] : "d1.c1@dunnd.example.com",
		.list_unsubscribe_url = opt(f[8]),
		.list_unsubscribe_mailto = opt(f[9]),
		.date = 1790000000 + (int64_t)strtoll(f[10], NULL, 10) % 4000000000LL,
	};
	size_t len = 0;
	char *out = mime_build(&m, &len);

	if (out) {
		check_message(out, len);
		free(out);
	}
	out = mime_encode_header(f[4], strlen(f[0]) % 80);
	if (out) {
		check_message(out, strlen(out));
		free(out);
	}
	free(buf);
	return 0;
}
