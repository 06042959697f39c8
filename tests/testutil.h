/* Helpers for integration tests: the harness (tests/run.sh) has started
 * PostgreSQL and the mail sink and exported where they are. */
#ifndef DUNN_TESTUTIL_H
#define DUNN_TESTUTIL_H

#include <check.h>
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
char *tu_config(const char *dir, const char *conninfo, const char *policy_json, const char *extra);
/* tu_config with more members of the "http" object (http_extra, or NULL). */
char *tu_config_ex(const char *dir, const char *conninfo, const char *policy_json,
		   const char *http_extra, const char *extra);
/* tu_config, then the members of the JSON object channels_json (e.g.
 * "{\"sms\": {\"module\": \"sms\", ...}}") added to "channels". */
char *tu_config_channels(const char *dir, const char *conninfo, const char *policy_json,
			 const char *channels_json);
/* Write text to DIR/NAME, mode 0600; returns the path (caller frees). */
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
/* tu_qint of a printf-formatted statement. */
long long tu_qintf(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The single value of a one-row query (caller frees). */
char *tu_qstr(PGconn *c, const char *sql);
/* Two customers: A-1 in New York owing USD 49.90 and A-2 (Korean name)
 * in Seoul owing KRW 120000, both invoices due 2026-11-01 (CSV). */
extern const char tu_ny_seoul_accounts[], tu_ny_seoul_invoices[];
/* Policy JSON for that book with every message on channel ch (a string
 * literal): gentle after 3 days, firm after 10, 08:00-21:00 every day. */
#define TU_NY_SEOUL_POLICY(ch)                                                                          \
	"{\n"                                                                                           \
	"  \"grace_days\": 3,\n"                                                                        \
	"  \"contact_window\": {\"start\": \"08:00\", \"end\": \"21:00\", \"weekdays_only\": false},\n" \
	"  \"min_balance\": {\"USD\": \"1.00\", \"KRW\": \"1000\"},\n"                                  \
	"  \"recheck_hours\": 24,\n"                                                                    \
	"  \"step_gap_hours\": 24,\n"                                                                   \
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"" ch "\"]},\n"       \
	"  \"tracks\": [{\"name\": \"first_time\", \"steps\": [\n"                                      \
	"    {\"after_days\": 3, \"channels\": [\"" ch "\"], \"template\": \"gentle\"},\n"              \
	"    {\"after_days\": 10, \"channels\": [\"" ch "\"], \"template\": \"firm\"}]}]\n"             \
	"}\n"

/* dunnctl -c cfg migrate; fails the test, with dunnctl's output, unless
 * it exits 0. */
void tu_migrate(const char *cfg);
/* Write accounts and invoices (CSV text) to DIR/accounts.csv and
 * DIR/invoices.csv and import both with dunnctl; fails unless it works. */
void tu_import(const char *cfg, const char *dir, const char *accounts, const char *invoices);
/* The usual fixture's database: tu_migrate, tu_import, then a
 * connection to conninfo (caller PQfinish()es; tu_teardown does). */
PGconn *tu_book_db(const char *cfg, const char *dir, const char *conninfo, const char *accounts,
		   const char *invoices);
/* Import DIR/NAME-accounts.csv and DIR/NAME-invoices.csv (as tud_book
 * writes them) with dunnctl; fails unless it works. */
void tu_import_named(const char *cfg, const char *dir, const char *name);
/* dunnd -c cfg --once --at at; fails the test unless it exits 0.
 * Returns the seconds it took. */
double tu_run_once(const char *cfg, const char *at);
/* The usual fixture teardown: PQfinish(db) (NULL is fine), then free
 * dir, cfg and conninfo. */
void tu_teardown(PGconn *db, char *dir, char *cfg, char *conninfo);
/* A monotonic clock, in seconds. */
double tu_now_s(void);
/* The port number a server writes to file, waiting up to ms for it;
 * 0 if it never came. */
int tu_wait_port(const char *file, int ms);
/* Run suite s (CK_NORMAL); main's exit status: 1 when a test failed. */
int tu_run(Suite *s);
/* The string member k of o; fails the test when there is none. */
const char *tu_jstr(json_t *o, const char *k);
/* Account A-1 (Alice, +15550001111) with an open case and three sent
 * deliveries with provider ids SM-1, SM-2 (sms) and EM-1 (email). */
void tu_seed_sent(PGconn *db);
/* The reminder delivery of account ref (external_ref): column col as
 * text, '' for NULL (caller frees). */
char *tu_delivery(PGconn *db, const char *ref, const char *col);
/* Fail unless tu_delivery(db, ref, col) is want. */
void tu_assert_delivery(PGconn *db, const char *ref, const char *col, const char *want);
/* Fail unless the reminder delivery's last_error contains needle. */
void tu_assert_error_has(PGconn *db, const char *ref, const char *needle);
/* Seconds from t0 (Unix time) to the reminder delivery's next attempt. */
long long tu_next_attempt_in(PGconn *db, const char *ref, long long t0);
/* Mail sink */
void tu_mail_clear(void);
int tu_mail_count(void);
/* The i-th (1-based) message parsed by Python's email package. */
json_t *tu_mail(int i);
/* Envelope recipients of the i-th message, comma-joined (caller frees). */
char *tu_mail_rcpt(int i);
/* The message whose envelope recipients are exactly addr: its index,
 * or 0. */
int tu_mail_for(const char *addr);

#endif
