/* email: lib/smtp.c on a small pool of worker threads. Its sessions
 * block, so the loop only queues jobs; workers take batches and send each
 * batch over one SMTP session, pipelined when the server offers it. Each message's result goes back to the loop (through
 * an event) the moment the server has answered its data, not when the
 * session ends: a crash then repeats only what was accepted while its
 * result was on its way to the database. */
#include <errno.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
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
#include "smtp.h"
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
	enum smtp_tls starttls;
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

/* Hand finished jobs (a NULL-terminated list through next) to the loop. */
static void post_done(struct channel *ch, struct email_job *first, struct email_job *last)
{
	pthread_mutex_lock(&ch->mu);
	last->next = ch->done;
	ch->done = first;
	pthread_mutex_unlock(&ch->mu);
	event_active(ch->ev_done, EV_READ, 0);
}

/* The result of a message as the server gave it: the recipient's reply,
 * then the reply to its data (recipient accepted but the data refused:
 * failed). A refused MAIL FROM says nothing about the recipient: tried
 * again later. */
static void message_result(struct email_job *j, const struct smtp_msg *m)
{
	if (m->mail_code && (m->mail_code < 200 || m->mail_code >= 300)) {
		set_result(j, m->mail_code, m->mail_text);
		j->result.status = CHANNEL_RETRY;
		return;
	}
	set_result(j, m->rcpt_code, m->rcpt_code ? m->rcpt_text : NULL);
	if (j->result.status == CHANNEL_SENT && m->data_code >= 300)
		set_result(j, m->data_code, m->data_text);
}

/* One session of a batch: its jobs and their messages, side by side. */
struct email_batch {
	struct channel *ch;
	struct email_job **jobs;
	struct smtp_msg *msgs;
};

/* A message's result goes to the loop the moment the server has answered
 * its data (or refused its envelope), while the session carries on. */
static void message_done(size_t i, void *arg)
{
	struct email_batch *b = arg;
	struct email_job *j = b->jobs[i];

	message_result(j, &b->msgs[i]);
	j->next = NULL;
	post_done(b->ch, j, j);
}

/* The SMTP conversation at debug level: the server's replies, and only
 * the verb of what we send (smtp.c never shows message data or AUTH). */
static void monitor_cb(const char *buf, size_t len, int writing, void *arg)
{
	int n = len > 512 ? 512 : (int)len;

	(void)arg;
	if (writing)
		n = (int)strcspn(buf, " :\r\n") < n ? (int)strcspn(buf, " :\r\n") : n;
	/* The server's reply in whatever charset it speaks: escaped when it
	 * is not plain printable ASCII. */
	for (int i = 0; i < n; i++) {
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7F) {
			char safe[600];

			utf8_escape_into(safe, sizeof safe, buf, (size_t)n);
			log_debug("email", "event=smtp %s \"%s\"", writing ? "C:" : "S:", safe);
			return;
		}
	}
	log_debug("email", "event=smtp %s \"%.*s\"", writing ? "C:" : "S:", n, buf);
}

/* One session for the batch. Results already posted by message_done are
 * the worker's no more; the rest (never reached, the session failed) are
 * posted together at the end. */
static void send_batch(struct channel *ch, struct email_job *batch)
{
	struct email_job *jobs[1024];
	struct smtp_msg *msgs = calloc(1024, sizeof *msgs);
	struct email_batch b = {ch, jobs, msgs};
	struct smtp_opts o = {0};
	struct email_job *j, *first = NULL, *last = NULL;
	char why[256];
	size_t n = 0;
	int failed;

	for (j = batch; j && n < 1024; j = j->next) {
		jobs[n] = j;
		msgs[n].from = ch->from_addr;
		msgs[n].to = j->to;
		msgs[n].data = j->message;
		n++;
		/* Pre-set: a recipient never reached keeps a transient error. */
		set_result(j, 0, "session failed before the recipient was tried");
	}
	if (!msgs) {
		for (size_t i = 0; i < n; i++)
			set_result(jobs[i], 0, "out of memory");
		post_done(ch, batch, jobs[n - 1]);
		return;
	}
	o.server = ch->server;
	o.helo = ch->domain;
	o.starttls = ch->starttls;
	o.tls = ch->tls;
	o.auth_user = ch->auth_user;
	o.auth_pass = ch->auth_pass;
	/* Never the RFC's minutes-long waits: a stuck server must not hold
	 * a worker; the messages are retried later instead. */
	o.timeout_ms = (int)(ch->timeout_s * 1000);
	o.monitor = monitor_cb;
	o.done = message_done;
	o.arg = &b;
	failed = smtp_session(&o, msgs, n, why, sizeof why) != 0;
	for (size_t i = 0; i < n; i++) {
		if (msgs[i].finished)
			continue;
		j = jobs[i];
		if (failed)
			set_result(j, 0, why[0] ? why : "smtp session failed");
		else
			message_result(j, &msgs[i]);
		j->next = NULL;
		if (last)
			last->next = j;
		else
			first = j;
		last = j;
	}
	free(msgs);
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
 * lib/smtp.c then checks the server's name against the certificate. */
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
	/* Not TLS 1.3, as when the sessions were libesmtp's (1.1.0): its
	 * server sends NewSessionTicket records after the handshake, which
	 * libesmtp took for the EHLO reply and stalled on. lib/smtp.c reads
	 * through OpenSSL, which consumes them; the limit stays until TLS 1.3
	 * has been tested against the servers dunnd is deployed with. */
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
	if (ch->starttls != SMTP_TLS_REQUIRED) {
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
		ch->starttls = SMTP_TLS_IF_AVAILABLE;
	} else if (strcmp(tls, "required") == 0) {
		ch->starttls = SMTP_TLS_REQUIRED;
	} else if (strcmp(tls, "off") == 0) {
		ch->starttls = SMTP_TLS_OFF;
	} else {
		snprintf(err, errlen,
			 "channel '%s': starttls must be required, if-available or off", instance);
		email_free(ch);
		return NULL;
	}
	if (ch->starttls != SMTP_TLS_OFF && email_tls_init(ch, conf, env, err, errlen) != 0) {
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
