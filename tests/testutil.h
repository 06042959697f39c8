/* Helpers for integration tests: the harness (tests/run.sh) has started
 * PostgreSQL and the mail sink and exported where they are. */
#ifndef DUNN_TESTUTIL_H
#define DUNN_TESTUTIL_H

#include <jansson.h>
#include <libpq-fe.h>

/* Environment from the harness; the test fails if it is missing. */
const char *tu_env(const char *name);
/* A fresh database; returns its conninfo (caller frees). */
char *tu_newdb(const char *name);
/* A fresh temp directory (caller frees). */
char *tu_tmpdir(void);
/* Write DIR/dunnd.json (+ link secret, policy): policy_json NULL uses the
 * repo's config/policy.json; extra is more top-level members or NULL.
 * Returns the config path (caller frees). */
char *tu_config(const char *dir, const char *conninfo, const char *policy_json,
		const char *extra);
/* tu_config with more members of the "http" object (http_extra, or NULL). */
char *tu_config_ex(const char *dir, const char *conninfo, const char *policy_json,
		   const char *http_extra, const char *extra);
/* tu_config, then the members of the JSON object channels_json (e.g.
 * "{\"sms\": {\"module\": \"sms\", ...}}") added to "channels". */
char *tu_config_channels(const char *dir, const char *conninfo, const char *policy_json,
			 const char *channels_json);
/* Write text to DIR/NAME; returns the path (caller frees). */
char *tu_file(const char *dir, const char *name, const char *text);
/* Run a shell command line; returns its exit status. Output goes to
 * DIR/last.log when dir is set, else to the test's stderr. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Output of the last tu_sh. */
const char *tu_output(void);
PGconn *tu_connect(const char *conninfo);
/* Run SQL, fail the test on error; caller PQclear()s. */
PGresult *tu_q(PGconn *c, const char *sql);
long long tu_qint(PGconn *c, const char *sql);
/* The single value of a one-row query (caller frees). */
char *tu_qstr(PGconn *c, const char *sql);
/* Mail sink */
void tu_mail_clear(void);
int tu_mail_count(void);
/* The i-th (1-based) message parsed by Python's email package. */
json_t *tu_mail(int i);
/* Envelope recipients of the i-th message, comma-joined (caller frees). */
char *tu_mail_rcpt(int i);

#endif
