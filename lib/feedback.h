/* What provider feedback means in dunnd's terms: the generic webhooks'
 * JSON bodies, SMS reply keywords (STOP, START, HELP) and provider
 * delivery statuses. Pure: no I/O, unit-tested. */
#ifndef DUNN_FEEDBACK_H
#define DUNN_FEEDBACK_H

#include <stddef.h>

#include "channel.h"

enum feedback_keyword {
	FEEDBACK_KW_NONE,  /* an ordinary reply: a task for the call team */
	FEEDBACK_KW_STOP,  /* STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPT OUT */
	FEEDBACK_KW_START, /* START, UNSTOP, YES */
	FEEDBACK_KW_HELP,  /* HELP, INFO */
};

/* The keyword a whole reply is: any case, surrounding blanks and
 * trailing punctuation ignored, inner blanks collapsed ("opt  out"). */
enum feedback_keyword feedback_keyword(const char *body);

/* A provider's delivery status as a deliveries.status value: queued,
 * sending, sent, delivered, failed (also for undelivered) or bounced.
 * NULL when unknown. */
const char *feedback_status(const char *provider_status);

/* Parse a generic webhook body into ev. 0, or -1 when it is not JSON, not
 * an object, or lacks a required string member:
 *   /webhooks/sms/status   {"id", "status", "error_code"?}  -> CHANNEL_EV_STATUS
 *   /webhooks/sms/inbound  {"from", "body", "id"?}          -> CHANNEL_EV_INBOUND
 *   /webhooks/email/events {"type": "bounce"|"complaint"|"delivered",
 *                           "address"?, "id"?}              -> BOUNCE, COMPLAINT, STATUS
 * (bounce and complaint need "address", delivered needs "id"). */
int feedback_parse_sms_status(const char *body, size_t len, struct channel_event *ev);
int feedback_parse_sms_inbound(const char *body, size_t len, struct channel_event *ev);
int feedback_parse_email_event(const char *body, size_t len, struct channel_event *ev);

#endif
