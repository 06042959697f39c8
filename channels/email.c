/* email: libesmtp on a small pool of worker threads. libesmtp blocks, so
 * the loop only queues jobs; workers take batches and send each batch over
 * one SMTP session. Each message's result goes back to the loop (through
 * an event) the moment the server has answered its data, not when the
 * session ends: a crash then repeats only what was accepted while its
 * result was on its way to the database. */
#include <stddef.h> /* libesmtp.h uses size_t without including it */

#include <errno.h>
#include <event2/event.h>
#include <openssl/ssl.h> /* before libesmtp.h: it declares smtp_starttls_set_ctx then */
#include <auth-client.h>
#include <libesmtp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "config.h"
#include "log.h"
#include "mime.h"
#include "opts.h"
#include "utf8.h"

extern const struct channel_ops channel_module;

#define EMAIL_MAX_WORKERS 32

struct email_job {
	struct email_job *next;
	int64_t delivery_id;
	char *to;
	char *message; /* complete RFC 5322 text, CRLF */
	channel_done_fn done;
	void *arg;
	struct channel_result result;
};

struct channel {
	char *instance;
	char *server;
	char *from_name, *from_addr, *domain;
	enum starttls_option starttls;
	SSL_CTX *tls; /* verifying context, shared by every session */
	char *auth_user, *auth_pass;
	long timeout_s;
	int nworkers, session_batch;
	struct event *ev_done;
	pthread_t workers[EMAIL_MAX_WORKERS];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct email_job *todo, *todo_tail; /* FIFO for workers */
	struct email_job *done;             /* finished, for the loop */
	size_t inflight;
	int stopping;
};

static void job_free(struct email_job *j)
{
	free(j->to);
	free(j->message);
	free(j);
}

/* Take up to session_batch jobs; NULL once stopping: a closing channel
 * finishes the sessions under way and starts none (close() gives the rest
 * back unsent, so no send outlives the daemon's record of it). */
static struct email_job *take_batch(struct channel *ch)
{
	struct email_job *batch = NULL, **tail = &batch;
	int n = 0;

	pthread_mutex_lock(&ch->mu);
	while (!ch->todo && !ch->stopping)
		pthread_cond_wait(&ch->cv, &ch->mu);
	while (ch->todo && !ch->stopping && n < ch->session_batch) {
		struct email_job *j = ch->todo;
		ch->todo = j->next;
		j->next = NULL;
		*tail = j;
		tail = &j->next;
		n++;
	}
	if (!ch->todo)
		ch->todo_tail = NULL;
	pthread_mutex_unlock(&ch->mu);
	return batch;
}

static void set_result(struct email_job *j, int code, const char *text)
{
	struct channel_result *r = &j->result;

	r->delivery_id = j->delivery_id;
	if (code >= 200 && code < 300) {
		r->status = CHANNEL_SENT;
	} else if (code >= 500 && code < 600) {
		/* 5xx on the recipient: the address does not work. */
		r->status = CHANNEL_BOUNCE;
	} else {
		r->status = CHANNEL_RETRY;
	}
	if (r->status == CHANNEL_SENT) {
		r->error[0] = '\0'; /* the pre-set "not tried" no longer holds */
	} else {
		/* The server's words in any charset (a Latin-1 550 reply):
		 * made safe before they can reach the database or a log. */
		char said[200];

		size_t n;

		if (!text)
			text = "no response";
		n = strlen(text);
		while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n' || text[n - 1] == ' '))
			n--; /* the reply's own line end */
		utf8_escape_into(said, sizeof said, text, n);
		snprintf(r->error, sizeof r->error, "smtp %d %s", code, said);
	}
}

static void recipient_cb(smtp_recipient_t rcpt, const char *mailbox, void *arg)
{
	struct email_job *j = arg;
	const smtp_status_t *st = smtp_recipient_status(rcpt);

	(void)mailbox;
	set_result(j, st ? st->code : 0, st ? st->text : NULL);
}

/* One message of a session: the job, and whether its result has gone to
 * the loop already (the worker never touches a job after that). */
struct email_slot {
	struct email_job *job;
	smtp_message_t msg;
	int posted;
};

/* The result of m as the server gave it: the recipient's reply, then the
 * reply to its data (recipient accepted but the data refused: failed). */
static void message_result(struct email_slot *sl)
{
	const smtp_status_t *ms = smtp_message_transfer_status(sl->msg);

	smtp_enumerate_recipients(sl->msg, recipient_cb, sl->job);
	if (sl->job->result.status == CHANNEL_SENT && ms && ms->code && ms->code >= 300)
		set_result(sl->job, ms->code, ms->text);
}

/* Hand finished jobs (a NULL-terminated list through next) to the loop. */
static void post_done(struct channel *ch, struct email_job *first, struct email_job *last)
{
	pthread_mutex_lock(&ch->mu);
	last->next = ch->done;
	ch->done = first;
	pthread_mutex_unlock(&ch->mu);
	event_active(ch->ev_done, EV_READ, 0);
}

/* libesmtp reports SMTP_EV_MESSAGESENT once the server has answered a
 * message's data (or refused it before): its result is final then, and
 * goes to the loop at once while the session carries on. */
static void event_cb(smtp_session_t session, int event_no, void *arg, ...)
{
	struct channel *ch = arg;
	struct email_slot *sl;
	smtp_message_t m;
	va_list ap;

	(void)session;
	if (event_no != SMTP_EV_MESSAGESENT)
		return;
	va_start(ap, arg);
	m = va_arg(ap, smtp_message_t);
	va_end(ap);
	sl = m ? smtp_message_get_application_data(m) : NULL;
	if (!sl || sl->posted)
		return;
	message_result(sl);
	sl->posted = 1;
	sl->job->next = NULL;
	post_done(ch, sl->job, sl->job);
}

/* Whether a line we send starts with a command verb. Anything else
 * (an AUTH LOGIN answer is a bare base64 line) is credentials or data. */
static int smtp_verb(const char *line, int n)
{
	static const char *const verbs[] = {"EHLO", "HELO",     "MAIL", "RCPT", "DATA", "RSET",
					    "QUIT", "STARTTLS", "AUTH", "NOOP", "BDAT", "."};

	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
		int vn = (int)strlen(verbs[i]);

		if (n >= vn && memcmp(line, verbs[i], (size_t)vn) == 0 &&
		    (n == vn || line[vn] == ' ' || line[vn] == ':'))
			return vn;
	}
	return 0;
}

/* One line of the conversation: the server's reply in whatever charset
 * it speaks, escaped when it is not plain printable ASCII. */
static void monitor_line(const char *line, int n, int writing)
{
	if (writing) {
		int vn = smtp_verb(line, n);

		if (vn)
			log_debug("email", "event=smtp C: \"%.*s\"", vn, line);
		else
			log_debug("email", "event=smtp C: (%d octets)", n);
		return;
	}
	for (int i = 0; i < n; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7F) {
			char safe[600];

			utf8_escape_into(safe, sizeof safe, line, (size_t)n);
			log_debug("email", "event=smtp S: \"%s\"", safe);
			return;
		}
	}
	log_debug("email", "event=smtp S: \"%.*s\"", n, line);
}

/* The SMTP conversation at debug level: the server's replies, and only
 * the verb of what we send (AUTH exchanges carry credentials, base64).
 * libesmtp hands over whole socket buffers, not lines: one read can hold
 * a multi-line EHLO reply, one write a pipelined group of commands. */
static void monitor_cb(const char *buf, int len, int writing, void *arg)
{
	(void)arg;
	if (writing == SMTP_CB_HEADERS || len > 4096)
		return;
	while (len > 0) {
		const char *eol = memchr(buf, '\n', (size_t)len);
		int n = eol ? (int)(eol - buf) : len, next = eol ? n + 1 : len;

		if (n > 0 && buf[n - 1] == '\r')
			n--;
		if (n > 0)
			monitor_line(buf, n > 512 ? 512 : n, writing);
		buf += next;
		len -= next;
	}
}

/* libesmtp asks for the credentials while authenticating. */
static int auth_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct channel *ch = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_PASS)
			result[i] = ch->auth_pass;
		else if (req[i].flags & AUTH_USER)
			result[i] = ch->auth_user;
		else
			result[i] = NULL;
		if (!result[i] && !(req[i].flags & AUTH_CLEARTEXT))
			return 0;
	}
	return 1;
}

/* The session's settings: server, TLS, AUTH, timeouts, monitor, events.
 * NULL when libesmtp cannot allocate one. */
static smtp_session_t session_new(struct channel *ch, auth_context_t *actx)
{
	smtp_session_t s = smtp_create_session();
	long timeout_ms = ch->timeout_s * 1000; /* libesmtp's timeouts are in milliseconds */

	*actx = NULL;
	if (!s)
		return NULL;
	smtp_set_server(s, ch->server);
	smtp_set_hostname(s, ch->domain);
	smtp_starttls_enable(s, ch->starttls);
	if (ch->tls)
		smtp_starttls_set_ctx(s, ch->tls);
	if (ch->auth_user) {
		*actx = auth_create_context();
		if (!*actx) {
			smtp_destroy_session(s);
			return NULL;
		}
		/* PLAIN and LOGIN send the password: only over TLS. */
		auth_set_mechanism_flags(*actx, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(*actx, auth_interact, ch);
		smtp_auth_set_context(s, *actx);
	}
	/* Never the RFC's minutes-long waits: a stuck server must not hold
	 * a worker; the messages are retried later instead. */
	smtp_set_timeout(s, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
	smtp_set_timeout(s, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
	smtp_set_timeout(s, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
	smtp_set_timeout(s, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
	smtp_set_timeout(s, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
	smtp_set_monitorcb(s, monitor_cb, ch, 0);
	smtp_set_eventcb(s, event_cb, ch);
	return s;
}

/* One session for the batch. Results already posted by event_cb are the
 * worker's no more; the rest (never reached, the session failed) are
 * posted together at the end. */
static void send_batch(struct channel *ch, struct email_job *batch)
{
	auth_context_t actx = NULL;
	smtp_session_t s = session_new(ch, &actx);
	struct email_slot slots[1024];
	struct email_job *j, *first = NULL, *last = NULL;
	const char *why = NULL;
	char buf[128];
	size_t n = 0;

	for (j = batch; j && n < 1024; j = j->next) {
		slots[n].job = j;
		slots[n].msg = NULL;
		slots[n].posted = 0;
		n++;
		/* Pre-set: a recipient never reached keeps a transient error. */
		set_result(j, 0, "session failed before the recipient was tried");
	}
	for (size_t i = 0; s && i < n; i++) {
		smtp_message_t m = smtp_add_message(s);
		if (!m) {
			why = "out of memory";
			break;
		}
		smtp_set_reverse_path(m, ch->from_addr);
		smtp_set_message_str(m, slots[i].job->message);
		smtp_add_recipient(m, slots[i].job->to);
		smtp_message_set_application_data_release(m, &slots[i], NULL);
		slots[i].msg = m;
	}
	if (!s) {
		why = "out of memory";
	} else if (!why && !smtp_start_session(s)) {
		why = smtp_strerror(smtp_errno(), buf, sizeof buf);
		if (!why)
			why = "smtp session failed";
	}
	for (size_t i = 0; i < n; i++) {
		if (slots[i].posted)
			continue;
		j = slots[i].job;
		if (why)
			set_result(j, 0, why);
		else
			message_result(&slots[i]);
		j->next = NULL;
		if (last)
			last->next = j;
		else
			first = j;
		last = j;
	}
	if (s)
		smtp_destroy_session(s);
	if (actx)
		auth_destroy_context(actx);
	if (first)
		post_done(ch, first, last);
}

static void *worker_main(void *arg)
{
	struct channel *ch = arg;
	struct email_job *batch;

	while ((batch = take_batch(ch)) != NULL)
		send_batch(ch, batch); /* posts every result itself */
	return NULL;
}

/* On the loop thread: hand results to their callbacks. */
static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct email_job *list, *j;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&ch->mu);
	list = ch->done;
	ch->done = NULL;
	pthread_mutex_unlock(&ch->mu);
	while ((j = list) != NULL) {
		list = j->next;
		ch->inflight--;
		j->done(&j->result, j->arg);
		job_free(j);
	}
}

/* "Name <addr>" or "addr". */
static int parse_from(const char *from, char **name, char **addr)
{
	const char *lt = strchr(from, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;

	if (lt && gt) {
		size_t nl = (size_t)(lt - from);
		while (nl > 0 && from[nl - 1] == ' ')
			nl--;
		*name = nl ? strndup(from, nl) : NULL;
		*addr = strndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		*name = NULL;
		*addr = strdup(from);
	}
	return *addr && strchr(*addr, '@') ? 0 : -1;
}

static void email_free(struct channel *ch)
{
	if (ch->tls)
		SSL_CTX_free(ch->tls);
	if (ch->auth_pass)
		OPENSSL_cleanse(ch->auth_pass, strlen(ch->auth_pass));
	free(ch->auth_user);
	free(ch->auth_pass);
	if (ch->ev_done)
		event_free(ch->ev_done);
	pthread_mutex_destroy(&ch->mu);
	pthread_cond_destroy(&ch->cv);
	free(ch->instance);
	free(ch->server);
	free(ch->from_name);
	free(ch->from_addr);
	free(ch->domain);
	free(ch);
}

/* The options of an email instance (channel.h, struct channel_opt). */
static const struct channel_opt email_opts[] = {
	{"server", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the SMTP relay, host:port"},
	{"from", CHANNEL_OPT_STRING, NULL, 3, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "the sender, addr@domain or Name <addr@domain>"},
	{"starttls", CHANNEL_OPT_ENUM, "if-available", 0, 0, "required|if-available|off", 0,
	 "TLS 1.2 with the certificate verified; AUTH needs required"},
	{"ca_file", CHANNEL_OPT_PATH, NULL, 0, 0, NULL, 0,
	 "CA certificates to verify the server with (default: the system's)"},
	{"auth_user", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, 0,
	 "SMTP AUTH user, with password_file"},
	{"password_file", CHANNEL_OPT_SECRET_FILE, NULL, 0, 0, NULL, 0,
	 "SMTP AUTH password, with auth_user"},
	{"workers", CHANNEL_OPT_INT, "2", 1, EMAIL_MAX_WORKERS, NULL, 0, "SMTP sessions at once"},
	{"session_batch", CHANNEL_OPT_INT, "100", 1, 1024, NULL, 0, "messages per SMTP session"},
	{"timeout_s", CHANNEL_OPT_SECONDS, "60", 1, 600, NULL, 0,
	 "each step of a session within it"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

/* Certificates are always verified, against ca_file or the system store;
 * libesmtp then checks the server's name against the certificate. */
static int email_tls_init(struct channel *ch, json_t *conf, const struct channel_env *env,
			  char *err, size_t errlen)
{
	const char *ca = json_string_value(json_object_get(conf, "ca_file"));
	char *path = ca ? config_relpath(env->confdir, ca) : NULL;
	int ok;

	ch->tls = SSL_CTX_new(TLS_client_method());
	if (!ch->tls) {
		snprintf(err, errlen, "channel '%s': cannot create a TLS context", ch->instance);
		free(path);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ch->tls, TLS1_2_VERSION);
	/* Not TLS 1.3: its server sends NewSessionTicket records after the
	 * handshake, and when they arrive before libesmtp (1.1.0) flushes
	 * the EHLO that follows STARTTLS, libesmtp takes them for the EHLO
	 * reply and waits for it without ever sending the EHLO: the session
	 * stalls for the whole timeout and is dropped. TLS 1.2 sends its
	 * ticket inside the handshake, so nothing can arrive early. */
	SSL_CTX_set_max_proto_version(ch->tls, TLS1_2_VERSION);
	SSL_CTX_set_verify(ch->tls, SSL_VERIFY_PEER, NULL);
	ok = path ? SSL_CTX_load_verify_locations(ch->tls, path, NULL)
		  : SSL_CTX_set_default_verify_paths(ch->tls);
	if (!ok)
		snprintf(err, errlen, "channel '%s': cannot load CA certificates%s%s", ch->instance,
			 path ? " from " : "", path ? path : "");
	free(path);
	return ok ? 0 : -1;
}

/* AUTH needs a user and a password file, and TLS to carry them. */
static int email_auth_init(struct channel *ch, json_t *conf, const struct channel_env *env,
			   char *err, size_t errlen)
{
	const char *user = json_string_value(json_object_get(conf, "auth_user"));
	const char *pfile = json_string_value(json_object_get(conf, "password_file"));

	if (!user && !pfile)
		return 0;
	if (!user || !pfile) {
		snprintf(err, errlen, "channel '%s': auth_user and password_file go together",
			 ch->instance);
		return -1;
	}
	if (ch->starttls != Starttls_REQUIRED) {
		snprintf(err, errlen,
			 "channel '%s': AUTH sends the password: set \"starttls\": \"required\"",
			 ch->instance);
		return -1;
	}
	char why[512];
	ch->auth_pass = config_read_secret(env->confdir, pfile, why, sizeof why);
	if (!ch->auth_pass) {
		snprintf(err, errlen, "channel '%s': password_file: %s", ch->instance, why);
		return -1;
	}
	ch->auth_user = strdup(user);
	return 0;
}

static struct channel *email_init(const char *instance, json_t *conf, const struct channel_env *env,
				  char *err, size_t errlen)
{
	struct channel *ch = calloc(1, sizeof *ch);
	const char *server = json_string_value(json_object_get(conf, "server"));
	const char *from = json_string_value(json_object_get(conf, "from"));
	const char *tls = opts_str(email_opts, conf, "starttls");

	if (!ch)
		return NULL;
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->cv, NULL);
	ch->instance = strdup(instance);
	if (!server || !from || parse_from(from, &ch->from_name, &ch->from_addr) != 0) {
		snprintf(err, errlen, "channel '%s': 'server' and a valid 'from' are required",
			 instance);
		email_free(ch);
		return NULL;
	}
	ch->server = strdup(server);
	ch->domain = strdup(strchr(ch->from_addr, '@') + 1);
	if (!tls || strcmp(tls, "if-available") == 0) {
		ch->starttls = Starttls_ENABLED;
	} else if (strcmp(tls, "required") == 0) {
		ch->starttls = Starttls_REQUIRED;
	} else if (strcmp(tls, "off") == 0) {
		ch->starttls = Starttls_DISABLED;
	} else {
		snprintf(err, errlen,
			 "channel '%s': starttls must be required, if-available or off", instance);
		email_free(ch);
		return NULL;
	}
	if (ch->starttls != Starttls_DISABLED && email_tls_init(ch, conf, env, err, errlen) != 0) {
		email_free(ch);
		return NULL;
	}
	if (email_auth_init(ch, conf, env, err, errlen) != 0) {
		email_free(ch);
		return NULL;
	}
	/* In range: the daemon checked them against email_opts. */
	ch->timeout_s = (long)opts_int(email_opts, conf, "timeout_s");
	ch->nworkers = (int)opts_int(email_opts, conf, "workers");
	ch->session_batch = (int)opts_int(email_opts, conf, "session_batch");
	ch->ev_done = event_new(env->base, -1, 0, done_cb, ch);
	for (int i = 0; i < ch->nworkers; i++) {
		if (pthread_create(&ch->workers[i], NULL, worker_main, ch) != 0) {
			snprintf(err, errlen, "channel '%s': cannot start worker: %s", instance,
				 strerror(errno));
			ch->nworkers = i;
			ch->stopping = 1;
			pthread_cond_broadcast(&ch->cv);
			for (int k = 0; k < i; k++)
				pthread_join(ch->workers[k], NULL);
			email_free(ch);
			return NULL;
		}
	}
	return ch;
}

/* A message that can never go as it is: reported failed with the reason,
 * from the loop like any other result, never sent. */
static void email_refuse(struct channel *ch, struct email_job *j, const char *why)
{
	j->result.delivery_id = j->delivery_id;
	j->result.status = CHANNEL_FAILED;
	j->result.provider_id[0] = '\0';
	snprintf(j->result.error, sizeof j->result.error, "message refused: %s", why);
	pthread_mutex_lock(&ch->mu);
	j->next = ch->done;
	ch->done = j;
	ch->inflight++;
	pthread_mutex_unlock(&ch->mu);
	event_active(ch->ev_done, EV_READ, 0);
}

static int email_send(struct channel *ch, const struct channel_msg *m, channel_done_fn done,
		      void *arg)
{
	char msgid[160];
	struct mime_msg mm = {0};
	struct email_job *j;
	const char *refused;

	j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	j->delivery_id = m->delivery_id;
	j->done = done;
	j->arg = arg;
	/* Deterministic: a retried delivery keeps its Message-ID. */
	snprintf(msgid, sizeof msgid, "d%lld.dunnd@%s", (long long)m->delivery_id, ch->domain);
	mm.from_name = ch->from_name;
	mm.from_addr = ch->from_addr;
	mm.to_name = m->to_name;
	mm.to_addr = m->to_addr;
	mm.subject = m->subject ? m->subject : "";
	mm.text = m->text;
	mm.html = m->html;
	mm.message_id = msgid;
	mm.list_unsubscribe_url = m->unsubscribe_url;
	mm.date = m->now;
	/* mime_build checks what mime_refusal would, so the reason is asked
	 * for only when it refused (or ran out of memory). */
	if (!m->to_addr || !*m->to_addr) {
		email_refuse(ch, j, "no recipient address");
		return 0;
	}
	j->message = mime_build(&mm, NULL);
	if (!j->message && (refused = mime_refusal(&mm)) != NULL) {
		email_refuse(ch, j, refused);
		return 0;
	}
	j->to = strdup(m->to_addr);
	if (!j->message || !j->to) {
		job_free(j);
		return -1;
	}
	snprintf(j->result.provider_id, sizeof j->result.provider_id, "<%.120s>", msgid);
	pthread_mutex_lock(&ch->mu);
	if (ch->todo_tail)
		ch->todo_tail->next = j;
	else
		ch->todo = j;
	ch->todo_tail = j;
	ch->inflight++;
	pthread_cond_signal(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
	return 0;
}

static size_t email_inflight(const struct channel *ch)
{
	return ch->inflight;
}

static void email_close(struct channel *ch)
{
	struct email_job *j;

	pthread_mutex_lock(&ch->mu);
	ch->stopping = 1;
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
	for (int i = 0; i < ch->nworkers; i++)
		pthread_join(ch->workers[i], NULL);
	while ((j = ch->todo) != NULL) {
		ch->todo = j->next;
		j->result.delivery_id = j->delivery_id;
		j->result.status = CHANNEL_UNSENT;
		snprintf(j->result.error, sizeof j->result.error, "channel closed before sending");
		j->next = ch->done;
		ch->done = j;
	}
	ch->todo_tail = NULL;
	/* The daemon writes these results if it still can; otherwise the
	 * leases expire and the rows go out again. */
	done_cb(-1, 0, ch);
	email_free(ch);
}

/* auth_client_init() once per process, before any worker starts. */
__attribute__((constructor)) static void email_load(void)
{
	auth_client_init();
}

/* And auth_client_exit() when the module is unloaded: it frees the list
 * of SASL plugins libesmtp loaded, which would be lost with libesmtp. */
__attribute__((destructor)) static void email_unload(void)
{
	auth_client_exit();
}

const struct channel_ops channel_module = {
	.name = "email",
	.abi = CHANNEL_ABI,
	.opts = email_opts,
	.caps = CHANNEL_CAP_SUBJECT | CHANNEL_CAP_HTML | CHANNEL_CAP_SUBJECT_REQUIRED |
		CHANNEL_CAP_UNSUBSCRIBE,
	.addr = CHANNEL_ADDR_EMAIL,
	.optout = CHANNEL_OPTOUT_EMAIL,
	.init = email_init,
	.send = email_send,
	.inflight = email_inflight,
	.close = email_close,
};
