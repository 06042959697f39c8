/* The sender's identity per locale ("brand" in dunnd.json): the short
 * name, the legal name, the support contact, the support phone, the
 * privacy notice's address and the legal identity an SMS opens with. A locale's value is
 * either a string (its name alone) or an object of those fields; a field
 * a locale does not set is taken from the next locale of its chain. */
#ifndef DUNN_BRAND_H
#define DUNN_BRAND_H

#include <stddef.h>

enum brand_field {
	BRAND_NAME,          /* "name": the brand customers know, at most 24 characters */
	BRAND_LEGAL_NAME,    /* "legal_name": the company's registered name */
	BRAND_SUPPORT,       /* "support": where to ask (address or URL) */
	BRAND_SUPPORT_PHONE, /* "support_phone" */
	BRAND_PRIVACY_URL,   /* "privacy_url": http(s) */
	BRAND_SMS_NAME,      /* "sms_name": opens every SMS, the legal name or its
			      * lawful short form, at most 24 characters */
	BRAND_NFIELDS
};

struct brand_entry {
	char *locale;           /* "default" or a BCP 47 tag */
	char *f[BRAND_NFIELDS]; /* NULL = not set here */
};

struct brand {
	struct brand_entry *e;
	size_t n;
};

struct config;
struct jconf;

/* Read root's "brand" into c->brand, problems to j's diag. */
void brand_load(struct jconf *j, struct config *c);
void brand_free(struct brand *b);
/* The JSON key of a field ("legal_name"). */
const char *brand_field_key(enum brand_field f);
/* field for a BCP 47 locale: the exact tag, then zh-Hant for
 * zh-TW/zh-HK/zh-MO, then the shorter tags ("ko-KR" -> "ko"), then
 * "default"; unset everywhere, the top-level "company" (name, legal
 * name), "support" (support), for sms_name the legal name when it has
 * at most 24 characters and the name otherwise, or "". Never NULL. */
const char *config_brand_field(const struct config *c, const char *locale, enum brand_field f);

struct diag;
/* When a channel texts or writes letters (its module's opt-out list is
 * texts, or it addresses the account for a vendor to deliver), every
 * message names the company's legal name and where to ask: one
 * "warning: ..." in warn, at the config's file:line:column, for each
 * locale of the brand (and default) that sets no legal_name, or has no
 * support_phone or support. */
void brand_warnings(const struct config *c, struct diag *warn);

/* "money_style" (config_money_style in config.h reads it). */
void money_style_load(struct jconf *j, struct config *c);
void money_style_free(struct config *c);

#endif
