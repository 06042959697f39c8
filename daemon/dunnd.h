/* State shared by the parts of the daemon: one instance per process, all
 * of it touched only on the event loop thread. */
#ifndef DUNN_DUNND_H
#define DUNN_DUNND_H

#include <stdio.h>
#include <event2/event.h>
#include <stdint.h>

#include "channel.h"
#include "config.h"
#include "module.h"
#include "pgq.h"

struct poller;
struct dispatch;
struct http;

struct dunnd_chan {
	char *name;
	struct module mod;
	const struct channel_ops *ops;
	struct channel *ch;
};

struct dunnd {
	struct event_base *base;
	struct config *cfg;
	char *link_secret;
	struct pgq *db;         /* the poller's: claim, decide and record transactions */
	struct pgq *db_send;    /* the dispatcher's leases, so sending never
				queues behind planning (or the other way) */
	struct pgq *db_results; /* the dispatcher's results alone: a result
				   never waits behind a lease, so what the
				   providers took is stored within a round trip */
	struct pgq *listen;     /* database.listen_conninfo: LISTEN only, or NULL */
	struct dunnd_chan *chans;
	size_t nchans;
	int once;   /* --once: one full cycle, then exit */
	int64_t at; /* --at: the fixed clock, 0 = real time */
	int stopping;
	int stop_expired; /* shutdown_timeout_ms passed with work in flight */
	int exit_code;
	struct poller *poller;
	struct dispatch *dispatch;
	struct http *http;
};

/* The clock every decision uses (unix seconds). */
int64_t dunnd_now(const struct dunnd *d);
/* dunnd --dump-options: every option row, the daemon's and those of each
 * module in module_dir, as text or (json) a JSON array; 0 or 1. */
int dunnd_dump_options(const char *module_dir, int json, FILE *out);
const struct dunnd_chan *dunnd_chan(const struct dunnd *d, const char *name);
/* In --once mode, end the loop when planning and dispatch are both done. */
void dunnd_check_done(struct dunnd *d);

/* channels.c */
int channels_open(struct dunnd *d, char *err, size_t errlen);
size_t channels_inflight(const struct dunnd *d);
void channels_close(struct dunnd *d);

/* poller.c: claim due cases, decide, record the outbox. */
struct poller *poller_new(struct dunnd *d);
void poller_free(struct poller *p);
void poller_kick(struct poller *p);
/* Finished a cycle with nothing more due. */
int poller_settled(const struct poller *p);

/* dispatch.c: lease outbox rows, render, send, record results. */
struct dispatch *dispatch_new(struct dunnd *d);
void dispatch_free(struct dispatch *s);
void dispatch_kick(struct dispatch *s);
/* The results connection is (back) up: write what waits. */
void dispatch_results_ready(struct dispatch *s);
/* Call after cfg->hold_sending was set at start or changed by a reload. */
void dispatch_hold_changed(struct dispatch *s);
int dispatch_settled(const struct dispatch *s);
/* Nothing leased, in a channel, or waiting to be written (shutdown). */
int dispatch_idle(const struct dispatch *s);

/* http.c: health, metrics, webhooks, the customer's page. Not in --once. */
int http_start(struct dunnd *d, char *err, size_t errlen);
void http_stop(struct dunnd *d);

/* notify.c: the systemd notify protocol, without libsystemd. */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC, as systemd wants it. */
void notify_reloading(void);
/* The watchdog interval systemd asked for (µs), 0 when none. */
uint64_t notify_watchdog_usec(void);

#endif
