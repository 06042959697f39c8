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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dunnd.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "brand.h"
#include "preset.h"
#include "smsfit.h"
#include "tz.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dunnd -c FILE [--check-config | --once [--at ISO8601]]\n"
		"       dunnd --dump-options [--json] [--module-dir DIR]\n"
		"\n"
		"Multi-channel dunning daemon: reminds overdue accounts by email, SMS and\n"
		"phone tasks according to an escalation policy kept in PostgreSQL.\n"
		"\n"
		"  -c, --config FILE   configuration file (dunnd.json)\n"
		"      --check-config  validate config, policy and templates; exit 0 or 1\n"
		"      --once          run one full cycle, wait for its deliveries, exit\n"
		"      --at ISO8601    with --once: act as if the time were this instant\n"
		"      --dump-options  print every option: the daemon's and each module's in\n"
		"                      --module-dir (default " DUNN_MODULEDIR ")\n"
		"      --json          with --dump-options: as a JSON array\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n");
}

/* Loop events this file owns; one daemon per process. */
static struct {
	struct event *tick, *watchdog, *stop_check, *stop_deadline;
	int ready;        /* READY=1 sent */
	int reported;     /* the start-up lease report was asked for */
	int lease_locked; /* the dispatcher's connection holds our lease lock */
	int lease_locking;
} ev;

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
	if (d->stopping) {
		/* A stop waits for what is in flight (sends, their results, an
		 * open poller transaction), never for more work. */
		if ((d->dispatch && !dispatch_idle(d->dispatch)) || channels_inflight(d) > 0 ||
		    (d->db && !pgq_idle(d->db)) || (d->db_send && !pgq_idle(d->db_send)) ||
		    (d->db_results && !pgq_idle(d->db_results)))
			return;
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (d->poller && !poller_settled(d->poller) && !d->stopping)
		return;
	if (d->dispatch && !dispatch_settled(d->dispatch))
		return;
	if (channels_inflight(d) > 0)
		return;
	event_base_loopexit(d->base, NULL);
}

/* A policy looser than its preset, or a brand a text or letter cannot
 * name in full, runs, but the journal says so. */
static void log_config_warnings(const struct config *c)
{
	struct diag warn = {0};

	preset_warnings(c->policy, c->policy_path, &warn);
	for (size_t i = 0; i < warn.n; i++)
		log_warn("config", "event=looser_than_preset detail=\"%s\"", warn.msgs[i]);
	diag_free(&warn);
	brand_warnings(c, &warn);
	for (size_t i = 0; i < warn.n; i++)
		log_warn("config", "event=brand_incomplete detail=\"%s\"", warn.msgs[i]);
	diag_free(&warn);
	smsfit_warnings(c, &warn);
	for (size_t i = 0; i < warn.n; i++)
		log_warn("config", "event=sms_over_two_parts detail=\"%s\"", warn.msgs[i]);
	diag_free(&warn);
}

static int check_config(const char *path)
{
	struct diag diag = {0};
	struct config *c = config_load(path, &diag);
	int ok = c != NULL;

	diag_print(&diag, stderr);
	/* Looser than the jurisdiction's preset: said, not refused. */
	if (c) {
		struct diag warn = {0};
		preset_warnings(c->policy, c->policy_path, &warn);
		/* A sender every text or letter cannot name: said, not refused. */
		brand_warnings(c, &warn);
		smsfit_warnings(c, &warn);
		diag_print(&warn, stderr);
		diag_free(&warn);
	}
	/* The secrets are read as the daemon will read them at start. */
	if (c && config_check_secrets(c, stderr) > 0)
		ok = 0;
	if (ok)
		printf("%s: configuration OK (%zu tracks, %zu templates, %zu channels)\n", path,
		       c->policy->ntracks, tmplset_count(c->templates), c->nchannels);
	config_free(c);
	diag_free(&diag);
	return ok ? 0 : 1;
}

/* A start says what an earlier process left leased: rows nobody will
 * report on, which go out again when their lease runs out (and may then
 * reach their recipient twice). */
static void orphaned_cb(const PGresult *res, void *arg)
{
	(void)arg;
	if (!pgq_ok(res) || PQntuples(res) != 1) {
		if (res)
			log_warn("dunnd", "event=lease_report_failed error=\"%.*s\"",
				 (int)strcspn(PQresultErrorMessage(res), "\n"),
				 PQresultErrorMessage(res));
		return;
	}
	if (atoll(PQgetvalue(res, 0, 0)) == 0)
		return;
	log_warn("dunnd",
		 "event=leases_orphaned count=%s resend_from=%s resend_until=%s "
		 "message=\"%s deliveries were leased by a process that no longer holds them; "
		 "they go out again as their leases run out, from %s to %s\"",
		 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
		 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
}

static void lease_lock_cb(const PGresult *res, void *arg)
{
	(void)arg;
	ev.lease_locking = 0;
	if (pgq_ok(res) && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't') {
		ev.lease_locked = 1;
		return;
	}
	/* Our previous session may not be gone yet: tried again each tick. */
	log_info("dunnd", "event=lease_lock_pending");
}

static void lease_lock(struct dunnd *d)
{
	char id[16];
	const char *params[1] = {id};

	if (ev.lease_locked || ev.lease_locking)
		return;
	snprintf(id, sizeof id, "%d", (int)lease_instance_id());
	if (pgq_send(d->db_send, lease_sql_lock, 1, params, lease_lock_cb, d) == 0)
		ev.lease_locking = 1;
}

static void listen_cb(const PGresult *res, void *arg)
{
	(void)arg;
	/* NULL: the connection went; LISTEN is issued again on reconnect. */
	if (res && !pgq_ok(res))
		log_warn("db", "event=listen_failed error=\"%.*s\"",
			 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
}

static void listen_on(struct pgq *q)
{
	pgq_send(q, "LISTEN dunning_wakeup", 0, NULL, listen_cb, NULL);
}

/* After any (re)connect the poller and dispatcher look again at once:
 * wakeups sent while we were away are lost, and work whose results could
 * not be written is found again when its lease runs out. */
static void on_db_state(int connected, void *arg)
{
	struct dunnd *d = arg;

	if (!connected) {
		if (d->once) {
			log_err("dunnd", "event=database_lost mode=once");
			d->exit_code = 1;
			event_base_loopexit(d->base, NULL);
			return;
		}
		log_warn("dunnd", "event=database_lost action=reconnecting");
		notify_send("STATUS=database connection lost, reconnecting");
		return;
	}
	if (!d->once && !d->listen)
		listen_on(d->db);
	if (!ev.reported) {
		ev.reported = 1;
		pgq_send(d->db, lease_sql_orphaned, 0, NULL, orphaned_cb, d);
	}
	if (!ev.ready) {
		ev.ready = 1;
		notify_send("READY=1\nSTATUS=connected");
	} else {
		log_notice("dunnd", "event=database_reconnected");
		notify_send("STATUS=database reconnected");
	}
	dispatch_kick(d->dispatch);
	poller_kick(d->poller);
}

/* The direct connection behind database.listen_conninfo (a pooler in
 * transaction mode cannot keep a LISTEN). */
static void on_listen_state(int connected, void *arg)
{
	struct dunnd *d = arg;

	if (!connected)
		return;
	listen_on(d->listen);
	poller_kick(d->poller);
}

static void on_notify(const char *channel, void *arg)
{
	struct dunnd *d = arg;

	log_debug("dunnd", "event=wakeup channel=%s", channel);
	poller_kick(d->poller);
}

static void depth_cb(const PGresult *res, void *arg)
{
	struct dunnd *d = arg;

	if (!pgq_ok(res) || PQntuples(res) != 1 || d->stopping)
		return;
	notify_send("STATUS=outbox %s queued, %zu in flight", PQgetvalue(res, 0, 0),
		    channels_inflight(d));
}

/* The dispatcher's connection: after each (re)connect it looks again. */
static void on_send_db_state(int connected, void *arg)
{
	struct dunnd *d = arg;

	if (connected) {
		/* Before any lease: rows leased on this session name a holder
		 * whose lock is held. */
		lease_lock(d);
		dispatch_kick(d->dispatch);
		return;
	}
	ev.lease_locked = 0;
	if (d->once) {
		log_err("dunnd", "event=database_lost mode=once connection=dispatch");
		d->exit_code = 1;
		event_base_loopexit(d->base, NULL);
	}
}

/* The results connection: what waited for it is written at once. */
static void on_results_db_state(int connected, void *arg)
{
	struct dunnd *d = arg;

	if (connected) {
		dispatch_results_ready(d->dispatch);
		return;
	}
	if (d->once) {
		log_err("dunnd", "event=database_lost mode=once connection=results");
		d->exit_code = 1;
		event_base_loopexit(d->base, NULL);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;

	(void)fd;
	(void)what;
	poller_kick(d->poller);
	if (pgq_connected(d->db_send))
		lease_lock(d);
	dispatch_kick(d->dispatch);
	/* Queue depth for systemctl status; deliveries_due serves it. */
	pgq_send(d->db,
		 "SELECT count(*) FROM dunning.deliveries WHERE status IN ('queued', 'sending')", 0,
		 NULL, depth_cb, d);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/* Parse everything new; swap only when all of it is valid. */
static void on_sighup(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;
	struct diag diag = {0};
	struct config *c;
	int held;

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	notify_reloading();
	c = config_load(d->cfg->path, &diag);
	if (!c) {
		for (size_t i = 0; i < diag.n; i++)
			log_err("config", "event=reload_failed error=\"%s\"", diag.msgs[i]);
		diag_free(&diag);
		metrics_inc("dunnd_config_reloads_total", "result", "failed", NULL);
		notify_send("READY=1\nSTATUS=reload failed, previous configuration in force");
		return;
	}
	diag_free(&diag);
	/* Channels, listeners and the database are not reloaded: they keep
	 * their work. A change to what they were opened with would never
	 * take effect (a channel added would fail every reminder on it),
	 * so it is refused whole, and the old configuration stays. */
	char key[160];
	if (config_restart_diff(d->cfg, c, key, sizeof key)) {
		log_err("config",
			"event=reload_refused key=%s error=\"%s changes only with a restart; "
			"previous configuration in force\"",
			key, key);
		config_free(c);
		metrics_inc("dunnd_config_reloads_total", "result", "failed", NULL);
		notify_send("READY=1\nSTATUS=reload refused (restart-only option changed), "
			    "previous configuration in force");
		return;
	}
	held = d->cfg->hold_sending;
	config_free(d->cfg);
	d->cfg = c;
	log_set_level((enum log_level)c->log_level);
	log_config_warnings(c);
	log_notice("config", "event=reloaded tracks=%zu templates=%zu", c->policy->ntracks,
		   tmplset_count(c->templates));
	if (c->hold_sending != held)
		dispatch_hold_changed(d->dispatch);
	metrics_inc("dunnd_config_reloads_total", "result", "ok", NULL);
	notify_send("READY=1\nSTATUS=configuration reloaded");
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	log_notice("dunnd", "event=stopping inflight=%zu timeout_ms=%d", channels_inflight(d),
		   d->cfg->shutdown_timeout_ms);
	notify_send("STOPPING=1\nSTATUS=stopping: %zu sends in flight", channels_inflight(d));
	d->stopping = 1;
	evtimer_del(ev.tick);
	event_add(ev.stop_deadline,
		  &(struct timeval){d->cfg->shutdown_timeout_ms / 1000,
				    (d->cfg->shutdown_timeout_ms % 1000) * 1000});
	event_add(ev.stop_check, &(struct timeval){0, 20000});
	dunnd_check_done(d);
}

static void on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dunnd_check_done(arg);
}

/* The bound on a stop: what is still in a channel is finished by its
 * close(); the rows stay leased if their results cannot be written. */
static void on_stop_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dunnd *d = arg;

	(void)fd;
	(void)what;
	if (d->stop_expired) {
		log_err("dunnd", "event=results_unwritten action=left_leased");
	} else {
		log_warn("dunnd", "event=shutdown_timeout inflight=%zu", channels_inflight(d));
		d->stop_expired = 1;
	}
	event_base_loopexit(d->base, NULL);
}

/* After the channels closed: write the results of the sends they finished
 * while we were still connected, within a few seconds. */
static void finish_writes(struct dunnd *d)
{
	if (!pgq_connected(d->db_results) ||
	    (pgq_idle(d->db_results) && pgq_idle(d->db_send) && dispatch_idle(d->dispatch)))
		return;
	d->stopping = 1;
	d->stop_expired = 1;
	event_add(ev.stop_deadline, &(struct timeval){5, 0});
	event_add(ev.stop_check, &(struct timeval){0, 20000});
	event_base_dispatch(d->base);
}

/* Every connection is closed before any is freed: closing one fails what
 * is queued on it, and the callbacks that learn of it (the poller's, the
 * dispatcher's) look at the other connections. */
static void close_db(struct dunnd *d)
{
	struct pgq *all[] = {d->listen, d->db_results, d->db_send, d->db};

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i])
			pgq_close(all[i]);
	pgq_free(d->listen);
	pgq_free(d->db_results);
	pgq_free(d->db_send);
	pgq_free(d->db);
	d->listen = d->db_results = d->db_send = d->db = NULL;
}

/* Clients, database connections, SMTP sessions and SMS transfers all take
 * descriptors, and the soft limit (often 1,024) is far below what the
 * process may have (the hard limit): raise it before anything opens. The
 * unit's LimitNOFILE sets both; the HTTP side sizes its connection cap
 * from what is in force afterwards. */
static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("dunnd", "event=nofile_not_raised soft=%llu hard=%llu error=\"%s\"",
			 (unsigned long long)was, (unsigned long long)rl.rlim_max, strerror(errno));
	else
		log_info("dunnd", "event=nofile_raised from=%llu to=%llu", (unsigned long long)was,
			 (unsigned long long)rl.rlim_cur);
}

static int run(struct dunnd *d)
{
	struct event *ev_hup, *ev_term, *ev_int;
	struct timeval tv;
	uint64_t wd_usec = notify_watchdog_usec();
	char err[512] = "";
	const char *conninfo = d->cfg->conninfo;

	raise_nofile();
	d->db = pgq_new(d->base, conninfo);
	d->db_send = pgq_new(d->base, conninfo);
	d->db_results = pgq_new(d->base, conninfo);
	d->poller = poller_new(d);
	d->dispatch = dispatch_new(d);
	if (!d->db || !d->db_send || !d->db_results || !d->poller || !d->dispatch)
		goto fail;
	if (!d->once && d->cfg->listen_conninfo) {
		d->listen = pgq_new(d->base, d->cfg->listen_conninfo);
		if (!d->listen)
			goto fail;
		pgq_on_state(d->listen, on_listen_state, d);
		pgq_on_notify(d->listen, on_notify, d);
	}
	if (channels_open(d, err, sizeof err) != 0) {
		log_err("dunnd", "event=channel_failed error=\"%s\"", err);
		channels_close(d); /* the ones that did open, and the array */
		goto fail;
	}
	if (!d->once && http_start(d, err, sizeof err) != 0) {
		log_err("dunnd", "event=http_failed error=\"%s\"", err);
		channels_close(d);
		goto fail;
	}
	pgq_on_state(d->db, on_db_state, d);
	pgq_on_notify(d->db, on_notify, d);
	pgq_on_state(d->db_send, on_send_db_state, d);
	pgq_on_state(d->db_results, on_results_db_state, d);
	ev_hup = evsignal_new(d->base, SIGHUP, on_sighup, d);
	ev_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	ev_int = evsignal_new(d->base, SIGINT, on_stop, d);
	ev.tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	ev.stop_check = event_new(d->base, -1, EV_PERSIST, on_stop_check, d);
	ev.stop_deadline = evtimer_new(d->base, on_stop_deadline, d);
	ev.watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
	event_add(ev_hup, NULL);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	if (!d->once) {
		tv.tv_sec = d->cfg->poll_interval_ms / 1000;
		tv.tv_usec = (d->cfg->poll_interval_ms % 1000) * 1000;
		event_add(ev.tick, &tv);
	}
	/* Pinged from a timer on the loop: a stuck loop stops pinging. */
	if (wd_usec) {
		tv.tv_sec = (time_t)(wd_usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd_usec / 2 % 1000000);
		event_add(ev.watchdog, &tv);
		notify_send("WATCHDOG=1");
	}
	pgq_start(d->db);
	pgq_start(d->db_send);
	pgq_start(d->db_results);
	if (d->listen)
		pgq_start(d->listen);
	log_notice("dunnd", "event=started version=%s mode=%s", DUNN_VERSION,
		   d->once ? "once" : "daemon");
	if (d->cfg->hold_sending)
		dispatch_hold_changed(d->dispatch);
	event_base_dispatch(d->base);
	http_stop(d);
	channels_close(d);
	finish_writes(d);
	close_db(d);
	poller_free(d->poller);
	dispatch_free(d->dispatch);
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev.tick);
	event_free(ev.stop_check);
	event_free(ev.stop_deadline);
	event_free(ev.watchdog);
	log_notice("dunnd", "event=exit code=%d", d->exit_code);
	return d->exit_code;
fail: /* nothing started yet: free what was made (valgrind: no leaks) */
	close_db(d);
	poller_free(d->poller);
	dispatch_free(d->dispatch);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"once", no_argument, NULL, 'o'},
		{"at", required_argument, NULL, 'a'},
		{"dump-options", no_argument, NULL, 'D'},
		{"json", no_argument, NULL, 'j'},
		{"module-dir", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct dunnd d = {0};
	struct diag diag = {0};
	const char *path = NULL;
	const char *module_dir = DUNN_MODULEDIR;
	int check = 0, dump = 0, json = 0, o, rc;

	while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'D':
			dump = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'M':
			module_dir = optarg;
			break;
		case 'o':
			d.once = 1;
			break;
		case 'a':
			if (tz_parse_iso8601(optarg, &d.at) != 0) {
				fprintf(stderr, "dunnd: --at: not an ISO 8601 instant: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("dunnd %s\n", DUNN_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (dump && optind == argc)
		return dunnd_dump_options(module_dir, json, stdout);
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
		fprintf(stderr,
			"dunnd: refusing to run as root; run as its own user "
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
	log_config_warnings(d.cfg);
	char why[512] = "is required";
	if (!d.cfg->link_secret_file ||
	    !(d.link_secret = config_read_secret(d.cfg->dir, d.cfg->link_secret_file, why,
						 sizeof why)) ||
	    strlen(d.link_secret) < 16) {
		fprintf(stderr, "%s: http.link_secret_file: %s\n", path,
			d.link_secret ? "shorter than 16 bytes" : why);
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
