/* Logging: one line per event, key=value fields, syslog priorities.
 * Under journald (JOURNAL_STREAM set) lines carry "<N>" prefixes. */
#ifndef DUNN_LOG_H
#define DUNN_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };

void log_init(const char *ident);
void log_set_level(enum log_level level);
/* Parse "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(s, ...) log_msg(LOG_ERR, s, __VA_ARGS__)
#define log_warn(s, ...) log_msg(LOG_WARNING, s, __VA_ARGS__)
#define log_notice(s, ...) log_msg(LOG_NOTICE, s, __VA_ARGS__)
#define log_info(s, ...) log_msg(LOG_INFO, s, __VA_ARGS__)
#define log_debug(s, ...) log_msg(LOG_DEBUG, s, __VA_ARGS__)

/* Mask every email address and E.164 number in s, in place (log_msg does
 * this to every line). */
void log_scrub(char *s);

/* PII masking for log fields: "jo***@ex***.com", "+8210****5678".
 * Writes into buf (NUL-terminated) and returns buf. */
const char *log_mask_email(const char *addr, char *buf, size_t len);
const char *log_mask_phone(const char *e164, char *buf, size_t len);

#endif
