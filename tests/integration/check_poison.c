/* Faulty text from providers must never stall the results of every
 * channel, and what can never go must fail at once. Through the real
 * daemon against the real servers: the SMTP sink (tests/servers/
 * smtp_sink.py) answers a Latin-1 550, the gateway simulator (tests/
 * servers/gateway_sim.py) a letter vendor's Latin-1 400 and an SMS
 * provider's Korean message longer than we keep. Each run has the three
 * channels going at once (email, sms, letter for three accounts); every
 * other result must be written, and a later run must send nothing again:
 * the sink and the simulator count what they got. Also: a results write
 * the database refuses for one row (a trigger) is split down to that row,
 * a lease past max_attempts fails the row, and a message the MIME builder
 * refuses fails at its first attempt with the reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>

#include "testutil.h"
#include "tudaemon.h"
#include "tuhttp.h"
#include "utf8.h"

#define SID "ACpoison0123456789"
#define TOKEN "sms-poison-token-0123456789"
#define SECRET "letter-poison-secret-0123456789"
#define T0 "2026-11-10T15:00:00Z"    /* 10:00 in New York */
#define LATER "2026-11-10T16:00:00Z" /* past lease_seconds and any backoff */
#define FFFD "\xef\xbf\xbd"
#define GA "\xea\xb0\x80" /* 가 */
/* "bounded" run: dunnd --once that would stall runs into this instead */
#define RUN_LIMIT_S 40

static const char POLICY[] = TU_NY_SEOUL_POLICY("email\", \"sms\", \"letter");

static const char ACCOUNTS[] =
	"account_ref,name,email,phone,locale,timezone,segment\n"
	"A-1,Alice Example,alice@customer.test,+12025550101,en-US,America/New_York,retail\n"
	"A-2,Bob Example,bob@customer.test,+12025550102,en-US,America/New_York,retail\n"
	"A-3,Carol Example,carol@customer.test,+12025550103,en-US,America/New_York,retail\n";
static const char INVOICES[] = "invoice_ref,account_ref,amount,currency,due_date,description\n"
			       "INV-1,A-1,49.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-2,A-2,19.90,USD,2026-11-01,Mobile plan October\n"
			       "INV-3,A-3,29.90,USD,2026-11-01,Mobile plan October\n";

static char *dir, *cfg, *conninfo;
static PGconn *db;

static void setup(void)
{
	char *ch = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("poison");
	free(tu_file(dir, "sms_token", TOKEN "\n"));
	free(tu_file(dir, "letter_secret", SECRET "\n"));
	ck_assert(
		asprintf(
			&ch,
			"{\"sms\": {\"module\": \"sms\", \"provider\": \"twilio\", \"api_base\": \"%s\",\n"
			"  \"account_sid\": \"" SID "\", \"auth_token_file\": \"sms_token\",\n"
			"  \"from\": \"+15005550006\", \"timeout_ms\": 2000},\n"
			" \"letter\": {\"module\": \"webhook\", \"url\": \"%s/vendor/letters\",\n"
			"  \"secret_file\": \"letter_secret\", \"timeout_ms\": 2000}}",
			tu_env("DUNN_GATEWAY"), tu_env("DUNN_GATEWAY")) > 0);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
	db = tu_book_db(cfg, dir, conninfo, ACCOUNTS, INVOICES);
	free(tu_sim_call("POST", "/_reset", "{}"));
	tu_sim_control("{\"vendor_secret\": \"" SECRET "\"}");
	tu_mail_clear();
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
	dir = cfg = conninfo = NULL;
}

/* dunnd --once at at, which must exit by itself: a results write stuck
 * in its retry loop never lets it. */
static void run_once_bounded(const char *at)
{
	int rc = tu_sh("timeout %d dunnd -c %s --once --at %s", RUN_LIMIT_S, cfg, at);
	const char *out = tu_output();
	size_t n = strlen(out);

	/* the log's tail: a stalled write repeats itself every second */
	ck_assert_msg(rc == 0, "dunnd --once exited %d (124: still running after %d s):\n%s", rc,
		      RUN_LIMIT_S, n > 1500 ? out + n - 1500 : out);
}

/* One delivery's column as text ('' for NULL; caller frees). */
static char *col(const char *ref, const char *channel, const char *column)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT coalesce(d.%s::text, '') FROM dunning.deliveries d "
		 "JOIN dunning.accounts a ON a.id = d.account_id "
		 "WHERE a.external_ref = '%s' AND d.channel = '%s' AND d.kind = 'reminder'",
		 column, ref, channel);
	return tu_qstr(db, sql);
}

static void assert_col(const char *ref, const char *channel, const char *column, const char *want)
{
	char *got = col(ref, channel, column);

	ck_assert_msg(strcmp(got, want) == 0, "%s %s %s: '%s', want '%s'", ref, channel, column,
		      got, want);
	free(got);
}

/* Requests the simulator logged for path (a prefix) with field k = v. */
static int sim_count(const char *path, const char *k, const char *v)
{
	json_t *log = tu_sim_log(), *r;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, r)
	{
		const char *p = json_string_value(json_object_get(r, "path"));
		const char *f = json_string_value(json_object_get(json_object_get(r, "fields"), k));

		if (p && !strncmp(p, path, strlen(path)) && f && !strcmp(f, v))
			n++;
	}
	json_decref(log);
	return n;
}

static int sms_to(const char *phone)
{
	return sim_count("/2010-04-01/", "To", phone);
}

static int letters_to(const char *ref)
{
	return sim_count("/vendor/letters", "to", ref);
}

/* Mails at the sink, and whether one went to addr. */
static int mails_to(const char *addr)
{
	return tu_mail_for(addr) ? 1 : 0;
}

/* Every result of the run was written: nothing left leased or queued
 * but what the test expects to be retried. */
static void assert_all_written(int still_queued)
{
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE status IN ('queued', 'sending')"),
			 still_queued);
}

/* Once more, well past lease_seconds: each provider has had every
 * message exactly once, and nothing goes again. */
static void assert_nothing_sent_twice(int mails)
{
	static const char *const phones[] = {"+12025550101", "+12025550102", "+12025550103"};
	static const char *const refs[] = {"A-1", "A-2", "A-3"};

	run_once_bounded(LATER);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(sms_to(phones[i]) == 1, "texts to %s: %d", phones[i],
			      sms_to(phones[i]));
		ck_assert_msg(letters_to(refs[i]) == 1, "letters to %s: %d", refs[i],
			      letters_to(refs[i]));
	}
	ck_assert_int_eq(tu_mail_count(), mails);
}

/* A letter vendor answering 400 with a Latin-1 body. */
START_TEST(latin1_letter_refusal_is_stored)
{
	/* "Requ\xeate invalide" */
	tu_sim_control("{\"mode\": \"400\", \"count\": 1, \"only\": \"vendor\","
		       " \"body_hex\": \"52657175ea746520696e76616c696465\","
		       " \"content_type\": \"text/plain; charset=iso-8859-1\"}");
	run_once_bounded(T0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'letter' AND status = 'failed' AND last_error = "
				 "'http 400: Requ" FFFD "te invalide'"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'letter' AND status = 'sent'"),
			 2);
	/* the other channels' results are written alongside */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'sms' AND status = 'sent'"),
			 3);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'email' AND status = 'sent'"),
			 3);
	assert_all_written(0);
	assert_nothing_sent_twice(3);
}
END_TEST

/* An SMTP 550 whose text is Latin-1 (the sink answers so for this
 * local part). */
START_TEST(latin1_smtp_reply_is_stored)
{
	PQclear(tu_q(db,
		     "UPDATE dunning.accounts SET email = 'latin1-carol@customer.test' "
		     "WHERE external_ref = 'A-3'"));
	/* the SMTP conversation is logged at debug level */
	ck_assert_int_eq(
		tu_sh("sed -i 's/\"log_level\": \"info\"/\"log_level\": \"debug\"/' %s", cfg), 0);
	run_once_bounded(T0);
	/* and the log stays UTF-8 too */
	ck_assert(strstr(tu_output(), "event=smtp S: \"550 5.1.1 Empf" FFFD "nger") != NULL);
	ck_assert(utf8_valid(tu_output(), strlen(tu_output())));
	assert_col("A-3", "email", "status", "bounced");
	assert_col("A-3", "email", "last_error",
		   "smtp 550 5.1.1 Empf" FFFD "nger unbekannt, r" FFFD "essayez");
	assert_col("A-1", "email", "status", "sent");
	assert_col("A-2", "email", "status", "sent");
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE channel IN ('sms', 'letter') AND status = 'sent'"),
			 6);
	ck_assert_int_eq(mails_to("latin1-carol@customer.test"), 0);
	assert_all_written(0);
	assert_nothing_sent_twice(2);
}
END_TEST

/* An SMS provider's message longer than we keep, in Korean: kept to
 * whole syllables. */
START_TEST(korean_sms_refusal_is_cut_on_a_character)
{
	char ctl[1024], want[512];
	size_t n = 0;

	n += (size_t)snprintf(ctl, sizeof ctl,
			      "{\"mode\": \"400\", \"count\": 1, \"only\": \"twilio\", "
			      "\"message\": \"");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(ctl + n, sizeof ctl - n, GA);
	snprintf(ctl + n, sizeof ctl - n, "\"}");
	tu_sim_control(ctl);
	run_once_bounded(T0);
	/* 199 bytes of the message are kept: 66 syllables, not 66 and a third */
	n = (size_t)snprintf(want, sizeof want, "http 400 code 21408: ");
	for (int i = 0; i < 66; i++)
		n += (size_t)snprintf(want + n, sizeof want - n, GA);
	{
		char sql[1024];

		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM dunning.deliveries WHERE channel = 'sms' "
			 "AND status = 'failed' AND last_error = '%s'",
			 want);
		ck_assert_int_eq(tu_qint(db, sql), 1);
	}
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'sms' AND status = 'sent'"),
			 2);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = "
				 "'letter' AND status = 'sent'"),
			 3);
	assert_all_written(0);
	assert_nothing_sent_twice(3);
}
END_TEST

/* The database refuses one row of the results write (a trigger stands
 * for any row-level refusal): the write is split until that row is
 * alone; every other result is written, and that row is stored with the
 * database's reason. */
START_TEST(refused_row_is_isolated)
{
	PQclear(tu_q(db,
		     "CREATE FUNCTION public.refuse_pill() RETURNS trigger LANGUAGE plpgsql AS $$\n"
		     "BEGIN\n"
		     "  IF NEW.last_error LIKE '%poison-pill%' THEN\n"
		     "    RAISE EXCEPTION 'refused by the test trigger';\n"
		     "  END IF;\n"
		     "  RETURN NEW;\n"
		     "END $$"));
	PQclear(tu_q(db,
		     "CREATE TRIGGER refuse_pill BEFORE UPDATE ON dunning.deliveries "
		     "FOR EACH ROW EXECUTE FUNCTION public.refuse_pill()"));
	tu_sim_control("{\"mode\": \"400\", \"count\": 1, \"only\": \"vendor\", "
		       "\"message\": \"poison-pill\"}");
	run_once_bounded(T0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = 'letter' "
				 "AND status = 'failed' AND last_error LIKE "
				 "'result unstorable: refused by the test trigger'"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE status = 'sent'"),
			 3 + 3 + 2); /* email, sms, the other letters */
	assert_all_written(0);
	ck_assert(strstr(tu_output(), "event=result_unstorable") != NULL);
	assert_nothing_sent_twice(3);
}
END_TEST

/* A row whose lease expired after its last allowed attempt (the daemon
 * died with it on the wire) is never handed out again: it fails, with
 * the reason and an event. */
START_TEST(lease_stops_at_max_attempts)
{
	tu_sim_control("{\"mode\": \"500\", \"count\": 1, \"only\": \"twilio\"}");
	run_once_bounded(T0);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE channel = 'sms' AND status = 'queued'"),
			 1);
	/* that row as a crash after its eighth attempt leaves it */
	PQclear(tu_q(db,
		     "UPDATE dunning.deliveries SET status = 'sending', attempts = 8, "
		     "lease_until = '" T0 "', next_attempt_at = '" T0 "' "
		     "WHERE channel = 'sms' AND status = 'queued'"));
	run_once_bounded(LATER);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE channel = 'sms' "
				 "AND status = 'failed' AND attempts = 8 AND last_error LIKE "
				 "'attempts exhausted (8 of 8)%'"),
			 1);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.events e "
				 "JOIN dunning.deliveries d ON d.id = e.delivery_id "
				 "WHERE e.kind = 'delivery_failed' AND d.channel = 'sms' "
				 "AND e.detail->>'reason' = 'attempts_exhausted'"),
			 1);
	/* the gateway had it once, the 500, and never again */
	ck_assert_int_eq(tu_sim_stat("requests"), 3 + 3);
	assert_all_written(0);
}
END_TEST

/* What the MIME builder refuses (a CR/LF in the name, a non-ASCII
 * address) fails at attempt 1 with the reason, never retried; the other
 * channels still carry those accounts' reminders. */
START_TEST(mime_refusal_fails_at_once)
{
	PQclear(tu_q(db,
		     "UPDATE dunning.accounts SET name = E'Alice\\r\\nBcc: x@evil.test' "
		     "WHERE external_ref = 'A-1'"));
	PQclear(tu_q(db,
		     "UPDATE dunning.accounts SET email = 'j\xc3\xb6rg@customer.test' "
		     "WHERE external_ref = 'A-2'"));
	run_once_bounded(T0);
	assert_col("A-1", "email", "status", "failed");
	assert_col("A-1", "email", "attempts", "1");
	assert_col("A-1", "email", "last_error",
		   "message refused: recipient name has a control character (CR, LF, ...)");
	assert_col("A-2", "email", "status", "failed");
	assert_col("A-2", "email", "attempts", "1");
	assert_col("A-2", "email", "last_error",
		   "message refused: recipient address is not a plain ASCII addr-spec");
	ck_assert_int_eq(tu_mail_count(), 1); /* A-3's */
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries "
				 "WHERE channel IN ('sms', 'letter') AND status = 'sent'"),
			 6);
	assert_all_written(0);
	assert_nothing_sent_twice(1);
	assert_col("A-1", "email", "attempts", "1");
}
END_TEST

/* Results of the live book (A-100..A-102) no longer leased or queued. */
static long long live_settled(void *arg)
{
	(void)arg;
	return tu_qint(db,
		       "SELECT count(*) FROM dunning.deliveries d "
		       "JOIN dunning.accounts a ON a.id = d.account_id "
		       "WHERE a.external_ref IN ('A-100', 'A-101', 'A-102') "
		       "AND d.status NOT IN ('queued', 'sending')");
}

/* The daemon running: with a letter vendor's Latin-1 refusal among them,
 * every other result is in the database within a second of the
 * provider's answer, none waits for the faulty one. */
START_TEST(live_results_within_a_second)
{
	struct tud d = {0};
	json_t *log, *r;
	size_t i;
	int letters = 0;

	tud_book(dir, "live", 100, 3); /* in a zone where it is noon */
	tu_import_named(cfg, dir, "live");
	tu_sim_control("{\"mode\": \"400\", \"count\": 1, \"only\": \"vendor\","
		       " \"body_hex\": \"52657175ea746520696e76616c696465\"}");
	tud_start_http(&d, dir, cfg, NULL);
	ck_assert_msg(tud_until(live_settled, NULL, 9, 30000) >= 9, "results not written (log %s)",
		      d.log);
	ck_assert_int_eq(tu_qint(db,
				 "SELECT count(*) FROM dunning.deliveries WHERE last_error = "
				 "'http 400: Requ" FFFD "te invalide'"),
			 1);
	/* each letter's result, against the moment the vendor answered it */
	log = tu_sim_log();
	json_array_foreach(log, i, r)
	{
		json_t *ref = json_object_get(json_object_get(r, "fields"), "reference");
		char sql[256];
		double answered = json_number_value(json_object_get(r, "time")), written;
		char *w;

		if (!json_is_integer(ref))
			continue;
		snprintf(sql, sizeof sql,
			 "SELECT extract(epoch FROM updated_at)::text FROM dunning.deliveries "
			 "WHERE id = %lld AND status NOT IN ('queued', 'sending')",
			 (long long)json_integer_value(ref));
		w = tu_qstr(db, sql);
		written = atof(w);
		free(w);
		ck_assert_msg(written - answered < 1.0,
			      "letter %lld written %.3f s after its answer",
			      (long long)json_integer_value(ref), written - answered);
		letters++;
	}
	json_decref(log);
	ck_assert_int_ge(letters, 3);
	ck_assert_int_eq(tud_log_count(&d, "event=results_deferred"), 0);
	tud_kill(&d, SIGTERM);
	ck_assert_int_eq(tud_wait(&d, 20000), 0);
	tud_cleanup(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("poison");
	TCase *tc = tcase_create("poison");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 3 * RUN_LIMIT_S);
	tcase_add_test(tc, latin1_letter_refusal_is_stored);
	tcase_add_test(tc, latin1_smtp_reply_is_stored);
	tcase_add_test(tc, korean_sms_refusal_is_cut_on_a_character);
	tcase_add_test(tc, refused_row_is_isolated);
	tcase_add_test(tc, lease_stops_at_max_attempts);
	tcase_add_test(tc, mime_refusal_fails_at_once);
	tcase_add_test(tc, live_results_within_a_second);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_curl(suite());
}
