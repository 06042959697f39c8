/* lib/sig: Twilio and Dunn webhook signatures with hostile headers.
 * Input: NUL-separated token, url, form body, header, timestamp, body. */
#include "fuzz.h"
#include "sig.h"

#define NOW 1790000000 /* fixed: runs must be reproducible */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[6], *buf = fuzz_split(data, size, f, 6);
	char *token = f[0], *url = f[1], *formbody = f[2], *header = f[3], *ts = f[4], *body = f[5];
	char good[SIG_TWILIO_LEN], dgood[SIG_DUNN_LEN];
	struct form params = {0};
	enum sig_result r;

	/* Twilio: whatever the header, no crash; the right one verifies. */
	if (form_parse(formbody, strlen(formbody), &params) != FORM_OK)
		params = (struct form){0};
	r = sig_twilio_verify(token, url, &params, header);
	FUZZ_ASSERT(r <= SIG_OK && r >= SIG_EINTERNAL && sig_strerror(r));
	(void)sig_twilio_verify(token, url, NULL, header);
	/* An empty key is refused (SIG_EINTERNAL) rather than trusted. */
	if (*token && sig_twilio_compute(token, url, &params, good) == 0) {
		FUZZ_ASSERT(strlen(good) == SIG_TWILIO_LEN - 1);
		FUZZ_ASSERT(sig_twilio_verify(token, url, &params, good) == SIG_OK);
		if (strcmp(header, good) != 0)
			FUZZ_ASSERT(sig_twilio_verify(token, url, &params, header) != SIG_OK);
	}
	form_free(&params);

	/* Dunn: fuzzed header and timestamp against a fixed clock. */
	r = sig_dunn_verify(token, ts, body, strlen(body), header, NOW);
	FUZZ_ASSERT(r <= SIG_OK && r >= SIG_EINTERNAL && sig_strerror(r));
	(void)sig_dunn_verify(token, NULL, body, strlen(body), NULL, NOW);
	if (*token && sig_dunn_sign(token, ts, body, strlen(body), dgood) == 0) {
		FUZZ_ASSERT(strlen(dgood) == SIG_DUNN_LEN - 1 && !strncmp(dgood, "sha256=", 7));
		r = sig_dunn_verify(token, ts, body, strlen(body), dgood, NOW);
		if (r == SIG_OK) /* then the timestamp was digits within the window */
			FUZZ_ASSERT(strcmp(header, dgood) == 0 ||
				    sig_dunn_verify(token, ts, body, strlen(body), header, NOW) !=
					    SIG_OK);
	}
	free(buf);
	return 0;
}
