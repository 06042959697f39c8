#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_ident = "dunn";
static enum log_level log_threshold = LOG_INFO;
static int log_journal;

static const char *const log_names[] = {
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_init(const char *ident)
{
	log_ident = ident;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

int log_level_parse(const char *name)
{
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (log_names[i] && strcmp(log_names[i], name) == 0)
			return i;
	return -1;
}

static int email_local(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '%' || c == '+' ||
		c == '-';
}

static int email_domain(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* Mask, in place and keeping the length, every email address and E.164
 * number in s: a provider's error text or a library message may quote
 * them, and logs must not carry them in clear. */
void log_scrub(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '@') {
			char *l = p, *r = p + 1, *dot = NULL;
			while (l > s && email_local(l[-1]))
				l--;
			while (email_domain(*r)) {
				if (*r == '.')
					dot = r;
				r++;
			}
			if (l == p || !dot || dot == p + 1 || r - dot < 3)
				continue;
			for (char *q = l + 2; q < p; q++)
				*q = '*';
			for (char *q = p + 3; q < dot; q++)
				*q = '*';
			p = r - 1;
		} else if (*p == '+' && isdigit((unsigned char)p[1])) {
			char *r = p + 1;
			while (isdigit((unsigned char)*r))
				r++;
			if (r - p - 1 >= 8 && r - p - 1 <= 15)
				for (char *q = p + 3; q < r - 4; q++)
					*q = '*';
			p = r - 1;
		}
	}
}

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (level > log_threshold)
		return;
	if (log_journal) {
		n = snprintf(line, sizeof line, "<%d>%s: ", (int)level, subsys);
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof line, "%s.%03ldZ %s[%s] %s: ", ts, now.tv_nsec / 1000000,
			     log_ident, log_names[level], subsys);
	}
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	log_scrub(line + n);
	/* One write per line so concurrent threads never interleave mid-line. */
	size_t len = strlen(line);
	if (len < sizeof line - 1) {
		line[len++] = '\n';
		line[len] = '\0';
	}
	fwrite(line, 1, len, stderr);
}

/* Keep the first two characters of the local part and of the domain. */
const char *log_mask_email(const char *addr, char *buf, size_t len)
{
	const char *at;
	const char *dot;

	if (!addr || !*addr) {
		snprintf(buf, len, "-");
		return buf;
	}
	at = strchr(addr, '@');
	if (!at) {
		snprintf(buf, len, "***");
		return buf;
	}
	dot = strrchr(at, '.');
	snprintf(buf, len, "%.*s***@%.*s***%s", (int)(at - addr < 2 ? at - addr : 2), addr,
		 (int)(strlen(at + 1) < 2 ? strlen(at + 1) : 2), at + 1, dot ? dot : "");
	return buf;
}

/* Keep the country prefix and the last four digits. */
const char *log_mask_phone(const char *e164, char *buf, size_t len)
{
	size_t n;

	if (!e164 || !*e164) {
		snprintf(buf, len, "-");
		return buf;
	}
	n = strlen(e164);
	if (n <= 7) {
		snprintf(buf, len, "***");
		return buf;
	}
	snprintf(buf, len, "%.3s****%s", e164, e164 + n - 4);
	return buf;
}
