/* engine/feedback: the generic webhooks' JSON bodies, reply keywords and
 * provider statuses. The first byte picks the parser. */
#include "fuzz.h"
#include "feedback.h"

static void check_event(const struct channel_event *ev)
{
	/* Every text member is NUL-terminated within its array. */
	FUZZ_ASSERT(memchr(ev->provider_id, 0, sizeof ev->provider_id));
	FUZZ_ASSERT(memchr(ev->status, 0, sizeof ev->status));
	FUZZ_ASSERT(memchr(ev->error_code, 0, sizeof ev->error_code));
	FUZZ_ASSERT(memchr(ev->address, 0, sizeof ev->address));
	FUZZ_ASSERT(memchr(ev->body, 0, sizeof ev->body));
}

/* The keyword of a reply and the answer to it: a language exactly when a
 * word matched, and an answer that fits or is empty. */
static void check_keyword(const char *s)
{
	static const char *const langs[] = {"en", "ko", "ja", "zh", "fr", NULL};
	const char *lang = NULL;
	enum feedback_keyword kw = feedback_classify(s, &lang);
	char out[64];

	FUZZ_ASSERT((kw == FEEDBACK_KW_NONE) == (lang == NULL));
	FUZZ_ASSERT(feedback_keyword(s) == kw);
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
		int n = feedback_reply(kw, langs[i], s, s, out, sizeof out);
		FUZZ_ASSERT(n < 0 ? out[0] == '\0' : (size_t)n == strlen(out));
	}
	(void)feedback_lang(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct channel_event ev;
	char *body, *s;

	if (size < 1)
		return 0;
	body = malloc(size - 1 ? size - 1 : 1);
	if (!body)
		abort();
	memcpy(body, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		if (feedback_parse_sms_status(body, size - 1, &ev) == 0)
			check_event(&ev);
		break;
	case 1:
		if (feedback_parse_sms_inbound(body, size - 1, &ev) == 0) {
			check_event(&ev);
			check_keyword(ev.body);
		}
		break;
	case 2:
		if (feedback_parse_email_event(body, size - 1, &ev) == 0)
			check_event(&ev);
		break;
	default:
		s = fuzz_str(data + 1, size - 1);
		check_keyword(s);
		(void)feedback_status(s);
		free(s);
		break;
	}
	free(body);
	return 0;
}
