/* Whether the configured texts fit the two parts they are written for:
 * every SMS template rendered with the configured legal identity and
 * support phone of its locale and the longest values a reminder carries. */
#ifndef DUNN_SMSFIT_H
#define DUNN_SMSFIT_H

#include "diag.h"

struct config;

/* When a channel texts (its module bills per segment), each of its
 * templates is rendered for its locale, and for each brand locale whose
 * customers read it (ko-KR reads ko; zh-TW reads zh-Hant), with that
 * locale's sms_name and support_phone (else support), a large amount in
 * the locale's currency, the longest dates and a 73-character link, as
 * check_smstext renders the shipped ones. One "warning: ..." per text
 * that takes more than two parts, at the brand entry's file:line:column
 * (its sms_name when set). */
void smsfit_warnings(const struct config *c, struct diag *warn);

#endif
