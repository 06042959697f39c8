/* dunnd: the dunning daemon. Loads configuration, connects to PostgreSQL,
 * opens the channels, and runs the poller and dispatcher on one libevent
 * loop until told to stop (or, with --once, until one cycle is done). */
#include <errno.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dunnd.h"
#include "log.h"
#include "tz.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dunnd -c FILE [--check-config | --once [--at ISO8601]]\n"
		"\n"
		"Multi-channel dunning daemon: reminds overdue accounts by email, SMS and\n"
		"phone tasks according to an escalation policy kept in PostgreSQL.\n"
		"\n"
		"  -c, --config FILE   configuration file (dunnd.json)\n"
		"      --check-config  validate config, policy and templates; exit 0 or 1\n"
		"      --once          run one full cycle, wait for its deliveries, exit\n"
		"      --at ISO8601    with --once: act as if the time were this instant\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n");
}

int64_t dunnd_now(const struct dunnd *d)
{
	if (d->at)
		return d->at;
	return (int64_t)time(NULL);
}

void dunnd_check_done(struct dunnd *d)
{
	if (!d->once && !d->stopping)
		return;
	if (d->poller && !poller_settled(d->poller) && !d->stopping)
		return;
	if (d->dispatch && !dispatch_settled(d->dispatch))
		return;
	if (channels_inflight(d) > 0)
		return;
	event_base_loopexit(d->base, NULL);
}

static int check_config(const char *path)
{
	struct diag diag = {0};
	struct config *c = config_load(path, &diag);
	int ok = c != NULL;

	diag_print(&diag, stderr);
	if (c) {
		if (c->link_secret_file) {
			char *s = config_read_secret(c->dir, c->link_secret_file);
			if (!s || strlen(s) < 16) {
				fprintf(stderr, "%s: http.link_secret_file: unreadable or shorter than 16 bytes\n",
					path);
				ok = 0;
			}
			free(s);
		}
	}
	if (ok)
		printf("%s: configuration OK (%zu tracks, %zu templates, %zu channels)\n", path,
		       c->policy->ntracks, tmplset_count(c->templates), c->nchannels);
	config_free(c);
	diag_free(&diag);
	return ok ? 0 : 1;
}

static void on_db_state(int connected, void *arg)
{
	struct dunnd *d = arg;

	if (!connected) {
		if (d->once) {
			log_err("dunnd", "event=database_lost mode=once");
			d->exit_code = 1;
			event_base_loopexit(d->base, NULL);
		}
		return;
	}
	notify_send("READY=1\nSTATUS=connected");
	dispatch_kick(d->dispatch);
	poller_kick(d->poller);
}

static void on_notify(const char *channel, void *arg)
{
	struct dunnd *d = arg;

	(void)channel;
	poller_kick(d->poller);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;

	(void)fd;
	(void)what;
	poller_kick(d->poller);
	dispatch_kick(d->dispatch);
}

/* Parse everything new; swap only when all of it is valid. */
static void on_sighup(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;
	struct diag diag = {0};
	struct config *c;

	(void)fd;
	(void)what;
	notify_send("RELOADING=1");
	c = config_load(d->cfg->path, &diag);
	if (!c) {
		for (size_t i = 0; i < diag.n; i++)
			log_err("config", "event=reload_failed error=\"%s\"", diag.msgs[i]);
		diag_free(&diag);
		notify_send("READY=1\nSTATUS=reload failed, previous configuration in force");
		return;
	}
	diag_free(&diag);
	/* Channels and the database are not reloaded: they keep their work. */
	config_free(d->cfg);
	d->cfg = c;
	log_set_level((enum log_level)c->log_level);
	log_notice("config", "event=reloaded tracks=%zu templates=%zu", c->policy->ntracks,
		   tmplset_count(c->templates));
	notify_send("READY=1\nSTATUS=configuration reloaded");
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	log_notice("dunnd", "event=stopping");
	notify_send("STOPPING=1");
	d->stopping = 1;
	dunnd_check_done(d);
}

static int run(struct dunnd *d)
{
	struct event *ev_hup, *ev_term, *ev_int, *ev_tick;
	struct timeval tv;
	char err[256] = "";
	const char *conninfo = d->cfg->conninfo;

	d->db = pgq_new(d->base, conninfo);
	d->poller = poller_new(d);
	d->dispatch = dispatch_new(d);
	if (!d->db || !d->poller || !d->dispatch)
		return 1;
	if (channels_open(d, err, sizeof err) != 0) {
		log_err("dunnd", "event=channel_failed error=\"%s\"", err);
		return 1;
	}
	if (!d->once && http_start(d, err, sizeof err) != 0) {
		log_err("dunnd", "event=http_failed error=\"%s\"", err);
		channels_close(d);
		return 1;
	}
	pgq_on_state(d->db, on_db_state, d);
	pgq_on_notify(d->db, on_notify, d);
	ev_hup = evsignal_new(d->base, SIGHUP, on_sighup, d);
	ev_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	ev_int = evsignal_new(d->base, SIGINT, on_stop, d);
	ev_tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	event_add(ev_hup, NULL);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	if (!d->once) {
		tv.tv_sec = d->cfg->poll_interval_ms / 1000;
		tv.tv_usec = (d->cfg->poll_interval_ms % 1000) * 1000;
		event_add(ev_tick, &tv);
	}
	pgq_start(d->db);
	log_notice("dunnd", "event=started version=%s mode=%s", DUNN_VERSION,
		   d->once ? "once" : "daemon");
	event_base_dispatch(d->base);
	http_stop(d);
	channels_close(d);
	pgq_free(d->db);
	poller_free(d->poller);
	dispatch_free(d->dispatch);
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_tick);
	log_notice("dunnd", "event=exit code=%d", d->exit_code);
	return d->exit_code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"once", no_argument, NULL, 'o'},
		{"at", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct dunnd d = {0};
	struct diag diag = {0};
	const char *path = NULL;
	int check = 0, o, rc;

	while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'k': check = 1; break;
		case 'o': d.once = 1; break;
		case 'a':
			if (tz_parse_iso8601(optarg, &d.at) != 0) {
				fprintf(stderr, "dunnd: --at: not an ISO 8601 instant: %s\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dunnd %s\n", DUNN_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (d.at && !d.once) {
		fprintf(stderr, "dunnd: --at needs --once\n");
		return 2;
	}
	if (check)
		return check_config(path);
	if (geteuid() == 0 && !getenv("DUNND_ALLOW_ROOT")) {
		fprintf(stderr, "dunnd: refusing to run as root; run as its own user "
				"(set DUNND_ALLOW_ROOT=1 to override for tests)\n");
		return 1;
	}
	log_init("dunnd");
	d.cfg = config_load(path, &diag);
	if (!d.cfg) {
		diag_print(&diag, stderr);
		diag_free(&diag);
		return 1;
	}
	log_set_level((enum log_level)d.cfg->log_level);
	if (!d.cfg->link_secret_file ||
	    !(d.link_secret = config_read_secret(d.cfg->dir, d.cfg->link_secret_file)) ||
	    strlen(d.link_secret) < 16) {
		fprintf(stderr, "%s: http.link_secret_file: unreadable or shorter than 16 bytes\n",
			path);
		config_free(d.cfg);
		free(d.link_secret);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	d.base = event_base_new();
	if (!d.base)
		return 1;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	rc = run(&d);
	event_base_free(d.base);
	config_free(d.cfg);
	free(d.link_secret);
	libevent_global_shutdown();
	return rc;
}
