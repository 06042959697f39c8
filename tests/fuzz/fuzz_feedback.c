/* lib/feedback: the generic webhooks' JSON bodies, reply keywords and
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
			(void)feedback_keyword(ev.body);
		}
		break;
	case 2:
		if (feedback_parse_email_event(body, size - 1, &ev) == 0)
			check_event(&ev);
		break;
	default:
		s = fuzz_str(data + 1, size - 1);
		(void)feedback_keyword(s);
		(void)feedback_status(s);
		free(s);
		break;
	}
	free(body);
	return 0;
}
