#include "feedback.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum feedback_keyword feedback_keyword(const char *body)
{
	static const struct {
		const char *word;
		enum feedback_keyword kw;
	} words[] = {
		{"STOP", FEEDBACK_KW_STOP},   {"STOPALL", FEEDBACK_KW_STOP},
		{"UNSUBSCRIBE", FEEDBACK_KW_STOP}, {"CANCEL", FEEDBACK_KW_STOP},
		{"END", FEEDBACK_KW_STOP},    {"QUIT", FEEDBACK_KW_STOP},
		{"REVOKE", FEEDBACK_KW_STOP}, {"OPT OUT", FEEDBACK_KW_STOP},
		{"OPTOUT", FEEDBACK_KW_STOP}, {"START", FEEDBACK_KW_START},
		{"UNSTOP", FEEDBACK_KW_START}, {"YES", FEEDBACK_KW_START},
		{"HELP", FEEDBACK_KW_HELP},   {"INFO", FEEDBACK_KW_HELP},
	};
	char norm[16];
	size_t n = 0;
	int blank = 0;

	if (!body)
		return FEEDBACK_KW_NONE;
	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		if (isspace(*p)) {
			blank = n > 0;
			continue;
		}
		if (n + (size_t)blank + 1 >= sizeof norm)
			return FEEDBACK_KW_NONE; /* longer than any keyword */
		if (blank)
			norm[n++] = ' ';
		blank = 0;
		norm[n++] = (char)toupper(*p);
	}
	while (n > 0 && strchr(".!", norm[n - 1]))
		n--;
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(norm, words[i].word) == 0)
			return words[i].kw;
	return FEEDBACK_KW_NONE;
}

const char *feedback_status(const char *s)
{
	static const char *const map[][2] = {
		{"accepted", "queued"},	 {"scheduled", "queued"},   {"queued", "queued"},
		{"sending", "sending"},	 {"sent", "sent"},	    {"delivered", "delivered"},
		{"read", "delivered"},	 {"undelivered", "failed"}, {"failed", "failed"},
		{"canceled", "failed"},	 {"bounced", "bounced"},
	};

	for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(s, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Copy a string member; -1 if absent (when required), not a string, or
 * too long. Numbers are accepted where providers send codes as numbers. */
static int member(json_t *o, const char *key, char *out, size_t len, int required)
{
	json_t *v = json_object_get(o, key);
	int n;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (json_is_integer(v))
		n = snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		n = snprintf(out, len, "%s", json_string_value(v));
	else
		return -1;
	if (n < 0 || (size_t)n >= len || (required && n == 0))
		return -1;
	return 0;
}

/* Cut text to fit, never inside a UTF-8 sequence (long replies are kept
 * in part rather than refused: the provider would retry forever). */
static int text_member(json_t *o, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s);
	if (n != json_string_length(v))
		return -1; /* embedded NUL */
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static json_t *load(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);

	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int feedback_parse_sms_status(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	ev->kind = CHANNEL_EV_STATUS;
	if (j && member(j, "id", ev->provider_id, sizeof ev->provider_id, 1) == 0 &&
	    member(j, "status", ev->status, sizeof ev->status, 1) == 0 &&
	    member(j, "error_code", ev->error_code, sizeof ev->error_code, 0) == 0)
		rc = 0;
	json_decref(j);
	return rc;
}

int feedback_parse_sms_inbound(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	ev->kind = CHANNEL_EV_INBOUND;
	if (j && member(j, "from", ev->address, sizeof ev->address, 1) == 0 &&
	    text_member(j, "body", ev->body, sizeof ev->body) == 0 &&
	    member(j, "id", ev->provider_id, sizeof ev->provider_id, 0) == 0)
		rc = 0;
	json_decref(j);
	return rc;
}

int feedback_parse_email_event(const char *body, size_t len, struct channel_event *ev)
{
	json_t *j = load(body, len);
	char type[32];
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	if (!j || member(j, "type", type, sizeof type, 1) != 0 ||
	    member(j, "address", ev->address, sizeof ev->address, 0) != 0 ||
	    member(j, "id", ev->provider_id, sizeof ev->provider_id, 0) != 0)
		goto out;
	if (strcmp(type, "bounce") == 0 && ev->address[0]) {
		ev->kind = CHANNEL_EV_BOUNCE;
		snprintf(ev->status, sizeof ev->status, "bounced");
		rc = 0;
	} else if (strcmp(type, "complaint") == 0 && ev->address[0]) {
		ev->kind = CHANNEL_EV_COMPLAINT;
		rc = 0;
	} else if (strcmp(type, "delivered") == 0 && ev->provider_id[0]) {
		ev->kind = CHANNEL_EV_STATUS;
		snprintf(ev->status, sizeof ev->status, "delivered");
		rc = 0;
	}
out:
	json_decref(j);
	return rc;
}
