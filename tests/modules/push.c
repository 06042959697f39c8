/* A channel module built the way a third party builds one: outside dunnd's
 * tree, against the installed <channel.h> found through pkg-config
 * (dunnd-channel.pc), using nothing else of dunnd's. check_module.c
 * compiles it and drives it through the real daemon.
 *
 * It "pushes" to a device keyed by the account's phone number: it writes
 * each message as one JSON line to "outbox_file", and reports a bounce for
 * the number in "bounce_to" (an uninstalled app). It declares a subject,
 * its own template kind ("push") and no opt-out list of dunnd's: a STOP
 * to texts is not a refusal of pushes, and its bounces suppress nothing. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <channel.h>

/* check_module.c builds it again as a module of the first interface, and
 * as one that declares no address, to see both refused. */
#ifndef PUSH_ABI
#define PUSH_ABI CHANNEL_ABI
#endif
#ifndef PUSH_ADDR
#define PUSH_ADDR CHANNEL_ADDR_PHONE
#endif

struct pending {
	struct pending *next;
	struct channel *ch;
	struct event *ev;
	struct channel_result r;
	channel_done_fn done;
	void *arg;
};

struct channel {
	struct event_base *base;
	char *outbox;
	char *bounce_to;
	char *garble_to; /* results for it carry a status channel.h lacks */
	size_t inflight;
	struct pending *pending; /* completions not yet reported */
};

static void unlink_pending(struct pending *p)
{
	struct pending **pp = &p->ch->pending;

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	p->ch->inflight--;
	event_free(p->ev);
}

static struct channel *push_init(const char *instance, json_t *conf, const struct channel_env *env,
				 char *err, size_t errlen)
{
	const char *out = json_string_value(json_object_get(conf, "outbox_file"));
	const char *bounce = json_string_value(json_object_get(conf, "bounce_to"));
	const char *garble = json_string_value(json_object_get(conf, "garble_to"));
	struct channel *ch;

	if (!out) {
		snprintf(err, errlen, "channel '%s': 'outbox_file' is required", instance);
		return NULL;
	}
	ch = calloc(1, sizeof *ch);
	if (!ch) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ch->base = env->base;
	ch->outbox = strdup(out);
	ch->bounce_to = bounce ? strdup(bounce) : NULL;
	ch->garble_to = garble ? strdup(garble) : NULL;
	return ch;
}

static void finish(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	unlink_pending(p);
	p->done(&p->r, p->arg);
	free(p);
}

static int push_send(struct channel *ch, const struct channel_msg *m, channel_done_fn done,
		     void *arg)
{
	struct pending *p = calloc(1, sizeof *p);
	const struct timeval now = {0, 0};
	json_t *line;
	FILE *f;

	if (!p)
		return -1;
	p->ch = ch;
	p->done = done;
	p->arg = arg;
	p->r.delivery_id = m->delivery_id;
	if (ch->bounce_to && strcmp(m->to_addr, ch->bounce_to) == 0) {
		p->r.status = CHANNEL_BOUNCE;
		snprintf(p->r.error, sizeof p->r.error, "app not installed");
	} else {
		line = json_pack("{s:I, s:s, s:s?, s:s}", "delivery_id", (json_int_t)m->delivery_id,
				 "to", m->to_addr, "subject", m->subject, "text", m->text);
		f = fopen(ch->outbox, "a");
		if (!line || !f || json_dumpf(line, f, JSON_COMPACT) != 0 ||
		    fputc('\n', f) == EOF) {
			p->r.status = CHANNEL_RETRY;
			snprintf(p->r.error, sizeof p->r.error, "cannot write the outbox");
		} else if (ch->garble_to && strcmp(m->to_addr, ch->garble_to) == 0) {
			/* A status from a newer interface, or a bug. */
			p->r.status = (enum channel_status)(CHANNEL_UNSENT + 7);
		} else {
			p->r.status = CHANNEL_SENT;
			snprintf(p->r.provider_id, sizeof p->r.provider_id, "push-%lld",
				 (long long)m->delivery_id);
		}
		if (f)
			fclose(f);
		json_decref(line);
	}
	/* Completion on the loop, never inside send(). */
	p->ev = evtimer_new(ch->base, finish, p);
	if (!p->ev || evtimer_add(p->ev, &now) != 0) {
		if (p->ev)
			event_free(p->ev);
		free(p);
		return -1;
	}
	p->next = ch->pending;
	ch->pending = p;
	ch->inflight++;
	return 0;
}

static size_t push_inflight(const struct channel *ch)
{
	return ch->inflight;
}

static void push_close(struct channel *ch)
{
	/* What was written is sent; its result is reported now, as close()
	 * must report everything before it returns. */
	while (ch->pending) {
		struct pending *p = ch->pending;
		unlink_pending(p);
		p->done(&p->r, p->arg);
		free(p);
	}
	free(ch->outbox);
	free(ch->bounce_to);
	free(ch->garble_to);
	free(ch);
}

#if PUSH_ABI >= 3
/* Its options as rows: the daemon refuses a key not here, or a value of
 * the wrong type, at its file:line:column before init runs. */
static const struct channel_opt push_opts[] = {
	{"outbox_file", CHANNEL_OPT_PATH, NULL, 0, 0, NULL, CHANNEL_OPT_REQUIRED,
	 "where each message is written, one JSON line"},
	{"bounce_to", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, 0, "a number whose messages bounce"},
	{"garble_to", CHANNEL_OPT_STRING, NULL, 1, 0, NULL, 0,
	 "a number whose results carry an undefined status"},
	{NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};
#endif

const struct channel_ops channel_module = {
	.name = "push",
	.abi = PUSH_ABI,
	.caps = CHANNEL_CAP_SUBJECT,
	.addr = PUSH_ADDR,
	.optout = CHANNEL_OPTOUT_NONE,
	.template_kind = "push",
	.init = push_init,
	.send = push_send,
	.inflight = push_inflight,
	.close = push_close,
#if PUSH_ABI >= 3
	.opts = push_opts,
#endif
};
