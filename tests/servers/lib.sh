# Start and stop the real servers dunnd's tests and demo use: a throwaway
# PostgreSQL cluster on a unix socket and the aiosmtpd mail sink. Sourced
# by tests/run.sh and scripts/demo.sh; servers_stop runs from their traps.
# Also the SMS gateway simulator (tests/servers/gateway_sim.py).
# Every server listens on 127.0.0.1 or a unix socket in $SRV_DIR only.

SRV_PY=/usr/bin/python3   # Debian's python: it sees python3-aiosmtpd

srv_pgbin() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Run a command as the cluster's owner: postgres refuses to run as root.
srv_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Restart the cluster (tests of database loss): clients are cut off.
srv_pg_restart() {
	srv_as_owner "$(srv_pgbin)/pg_ctl" -D "$SRV_DIR/pg/data" -l "$SRV_DIR/pg/log" -w -t 60 \
		-m fast restart >/dev/null
}

# PgBouncer in transaction pooling mode in front of the cluster, on a unix
# socket in $SRV_DIR/pgb, as the cluster's owner (it refuses root too).
# Exports DUNN_PGBOUNCER (a conninfo without dbname); skipped when
# pgbouncer is not installed.
srv_pgbouncer_start() {
	command -v pgbouncer >/dev/null || { echo "servers: pgbouncer not installed" >&2; return 0; }
	local d="$SRV_DIR/pgb" port=$((DUNN_PGPORT + 1))
	mkdir -p "$d"
	printf '"postgres" ""\n' >"$d/userlist.txt"
	cat >"$d/pgbouncer.ini" <<-EOF
	[databases]
	* = host=$SRV_DIR/pg port=$DUNN_PGPORT
	[pgbouncer]
	listen_addr =
	listen_port = $port
	unix_socket_dir = $d
	auth_type = trust
	auth_file = $d/userlist.txt
	pool_mode = transaction
	default_pool_size = 10
	max_client_conn = 200
	server_reset_query =
	logfile = $d/pgbouncer.log
	pidfile = $d/pgbouncer.pid
	EOF
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$d"
	srv_as_owner pgbouncer -d "$d/pgbouncer.ini" >/dev/null 2>&1 ||
		{ cat "$d/pgbouncer.log" >&2; return 1; }
	for _ in $(seq 1 100); do
		[ -S "$d/.s.PGSQL.$port" ] && break
		sleep 0.1
	done
	[ -S "$d/.s.PGSQL.$port" ] || { cat "$d/pgbouncer.log" >&2; return 1; }
	export DUNN_PGBOUNCER="host=$d port=$port user=postgres"
}

srv_pgbouncer_stop() {
	local pidf="$SRV_DIR/pgb/pgbouncer.pid"
	[ -f "$pidf" ] || return 0
	kill "$(cat "$pidf")" 2>/dev/null
	for _ in $(seq 1 50); do
		[ -f "$pidf" ] || break
		sleep 0.1
	done
}

servers_start() {
	SRV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunnd-srv.XXXXXX")
	chmod 0755 "$SRV_DIR"
	export SRV_DIR
	PGBIN=$(srv_pgbin)
	[ -n "$PGBIN" ] || { echo "servers: PostgreSQL server binaries not found" >&2; return 1; }
	mkdir -p "$SRV_DIR/pg" "$SRV_DIR/mail"
	[ "$(id -u)" -eq 0 ] && chown postgres "$SRV_DIR/pg"
	srv_as_owner "$PGBIN/initdb" -D "$SRV_DIR/pg/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 >"$SRV_DIR/initdb.log" 2>&1 ||
		{ cat "$SRV_DIR/initdb.log" >&2; return 1; }
	# Unix socket only; the port number just names the socket file.
	DUNN_PGPORT=$((20000 + $$ % 20000))
	srv_as_owner "$PGBIN/pg_ctl" -D "$SRV_DIR/pg/data" -l "$SRV_DIR/pg/log" -w -t 60 \
		-o "-k $SRV_DIR/pg -p $DUNN_PGPORT -c listen_addresses= -c fsync=off \
		    -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || { cat "$SRV_DIR/pg/log" >&2; return 1; }
	export DUNN_PGHOST="$SRV_DIR/pg" DUNN_PGPORT
	export DUNN_PG="host=$DUNN_PGHOST port=$DUNN_PGPORT user=postgres"
	srv_pgbouncer_start || return 1
	"$SRV_PY" "$DUNN_SRCDIR/tests/servers/smtp_sink.py" "$SRV_DIR/mail" "$SRV_DIR/smtp.port" \
		>"$SRV_DIR/smtp.log" 2>&1 &
	SRV_SMTP_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$SRV_DIR/smtp.port" ] && break
		sleep 0.1
	done
	[ -s "$SRV_DIR/smtp.port" ] || { cat "$SRV_DIR/smtp.log" >&2; return 1; }
	export DUNN_SMTP="127.0.0.1:$(cat "$SRV_DIR/smtp.port")"
	export DUNN_MAILDIR="$SRV_DIR/mail"
	# The SMS gateway simulator (Twilio-compatible and generic JSON APIs).
	"$SRV_PY" "$DUNN_SRCDIR/tests/servers/gateway_sim.py" "$SRV_DIR/gateway.jsonl" \
		"$SRV_DIR/gateway.port" >"$SRV_DIR/gateway.log" 2>&1 &
	SRV_GW_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$SRV_DIR/gateway.port" ] && break
		sleep 0.1
	done
	[ -s "$SRV_DIR/gateway.port" ] || { cat "$SRV_DIR/gateway.log" >&2; return 1; }
	export DUNN_GATEWAY="http://127.0.0.1:$(cat "$SRV_DIR/gateway.port")"
	export DUNN_GATEWAY_LOG="$SRV_DIR/gateway.jsonl"
}

servers_stop() {
	[ -n "${SRV_DIR:-}" ] || return 0
	srv_paf_stop
	if [ -n "${SRV_SMTP_PID:-}" ]; then
		kill "$SRV_SMTP_PID" 2>/dev/null
		wait "$SRV_SMTP_PID" 2>/dev/null
	fi
	if [ -n "${SRV_GW_PID:-}" ]; then
		kill "$SRV_GW_PID" 2>/dev/null
		wait "$SRV_GW_PID" 2>/dev/null
		SRV_GW_PID=
	fi
	srv_pgbouncer_stop
	if [ -f "$SRV_DIR/pg/data/postmaster.pid" ]; then
		srv_as_owner "$(srv_pgbin)/pg_ctl" -D "$SRV_DIR/pg/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$SRV_DIR"
	SRV_DIR=
}

# pg_auto_failover on this machine (the failover tests): a monitor and two
# data nodes, each a pg_autoctl service with its own PostgreSQL on
# 127.0.0.1, all in $SRV_DIR/paf as the postgres user. pg_autoctl keeps
# its state under XDG_CONFIG_HOME and XDG_DATA_HOME, pointed inside that
# directory so that nothing outlives servers_stop.
srv_paf() {
	local d="$SRV_DIR/paf"
	srv_as_owner env XDG_CONFIG_HOME="$d/xdg-config" XDG_DATA_HOME="$d/xdg-data" \
		PG_CONFIG="$(srv_pgbin)/pg_config" PATH="$(srv_pgbin):$PATH" pg_autoctl "$@"
}

# Three TCP ports nobody listens on now, one per line.
srv_free_ports() {
	"$SRV_PY" -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in ss))'
}

# The current state of node NAME as the monitor reports it (single,
# primary, secondary, wait_primary, ...), or nothing.
srv_paf_state() {
	srv_paf show state --pgdata "$SRV_DIR/paf/monitor" --json 2>/dev/null |
		"$SRV_PY" -c '
import json, sys
name = sys.argv[1]
try:
    rows = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for r in rows:
    if r.get("nodename") == name:
        print(r.get("current_group_state", ""), r.get("assigned_group_state", ""))' "$1"
}

# Wait up to $3 seconds until node $1's current and assigned states are
# both $2.
srv_paf_wait() {
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(srv_paf_state "$1")" = "$2 $2" ] && return 0
		sleep 0.2
	done
	echo "servers: node $1 never reached $2 (now: $(srv_paf_state "$1"))" >&2
	return 1
}

# Start a pg_autoctl service for $1 (monitor, node1, node2) in the
# background, in a session of its own whose id is kept in $SRV_DIR/paf/$1.pid
# (the service, its PostgreSQL and its helpers all belong to it), its
# output in $SRV_DIR/paf/$1.log. The rest are pg_autoctl's arguments.
srv_paf_bg() {
	local d="$SRV_DIR/paf" name=$1
	shift
	srv_as_owner env XDG_CONFIG_HOME="$d/xdg-config" XDG_DATA_HOME="$d/xdg-data" \
		PATH="$(srv_pgbin):$PATH" bash -c 'cd "$1" || exit 1; shift
		setsid pg_autoctl "$@" </dev/null >>"$0.log" 2>&1 &
		echo $! >"$0.pid"' "$d/$name" "$d" "$@"
}

# Monitor, node1 (primary) and node2 (secondary). Writes the multi-host
# conninfo to $SRV_DIR/paf/conninfo and exports it as DUNN_PAF. Returns 2
# (and says why) when pg_autoctl is not installed.
srv_paf_start() {
	command -v pg_autoctl >/dev/null ||
		{ echo "servers: pg_autoctl not installed (apt-get install postgresql-15-auto-failover)" >&2; return 2; }
	local d="$SRV_DIR/paf" p0 p1 p2 mon n
	mkdir -p "$d"
	chmod 0755 "$d"
	[ "$(id -u)" -eq 0 ] && chown postgres "$d"
	{ read -r p0; read -r p1; read -r p2; } < <(srv_free_ports)
	printf '%s\n' "$p0" "$p1" "$p2" >"$d/ports"
	srv_paf create monitor --pgdata "$d/monitor" --pgport "$p0" --hostname 127.0.0.1 \
		--auth trust --no-ssl >"$d/monitor-create.log" 2>&1 ||
		{ cat "$d/monitor-create.log" >&2; return 1; }
	# Let the monitor see a lost node within seconds, not the default 20.
	cat >>"$d/monitor/postgresql.conf" <<-EOF
	pgautofailover.health_check_period = 1000
	pgautofailover.health_check_timeout = 1000
	pgautofailover.health_check_max_retries = 1
	pgautofailover.health_check_retry_delay = 500
	pgautofailover.node_considered_unhealthy_timeout = 4000
	pgautofailover.primary_demote_timeout = 3000
	EOF
	srv_paf_bg monitor run --pgdata "$d/monitor"
	mon="postgres://autoctl_node@127.0.0.1:$p0/pg_auto_failover?sslmode=disable"
	for n in 1 2; do
		local port
		port=$p1
		[ "$n" = 2 ] && port=$p2
		srv_paf_bg "node$n" create postgres --pgdata "$d/node$n" --pgport "$port" \
			--hostname 127.0.0.1 --name "node$n" --auth trust --no-ssl --dbname dunn \
			--monitor "$mon" --run
		if [ "$n" = 1 ]; then
			srv_paf_wait node1 single 180 || { tail -n 30 "$d/node1.log" >&2; return 1; }
		fi
	done
	# node2 starts with a base backup, which waits for a checkpoint that
	# the primary spreads over a minute unless asked for one now.
	for _ in $(seq 1 120); do
		case "$(srv_paf_state node2)" in "secondary secondary") break ;; esac
		"$(srv_pgbin)/psql" -qAtX -h 127.0.0.1 -p "$p1" -U postgres -d dunn -c CHECKPOINT \
			>/dev/null 2>&1
		sleep 1
	done
	srv_paf_wait node1 primary 240 || { tail -n 30 "$d/node1.log" >&2; return 1; }
	srv_paf_wait node2 secondary 240 || { tail -n 30 "$d/node2.log" >&2; return 1; }
	DUNN_PAF="host=127.0.0.1,127.0.0.1 port=$p1,$p2 dbname=dunn user=postgres target_session_attrs=read-write"
	printf '%s\n' "$DUNN_PAF" >"$d/conninfo"
	export DUNN_PAF
}

# The node that is primary now (node1 or node2), or nothing.
srv_paf_primary() {
	local n
	for n in node1 node2; do
		case "$(srv_paf_state $n)" in
		"primary primary" | "wait_primary wait_primary" | "single single") echo "$n"; return 0 ;;
		esac
	done
}

# Kill node $1 outright: its pg_autoctl service and its PostgreSQL, with
# SIGKILL, as a machine that loses power would.
srv_paf_kill() {
	local d="$SRV_DIR/paf" pid
	pid=$(cat "$d/$1.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
	# PostgreSQL's postmaster too, should it have left the session.
	pid=$(head -n 1 "$d/$1/postmaster.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	return 0
}

srv_paf_stop() {
	local d="$SRV_DIR/paf" n
	[ -d "$d" ] || return 0
	for n in node1 node2 monitor; do
		[ -d "$d/$n" ] && srv_paf stop --pgdata "$d/$n" --fast >/dev/null 2>&1
	done
	for n in node1 node2 monitor; do
		srv_paf_kill "$n"
		[ -f "$d/$n/postmaster.pid" ] &&
			srv_as_owner "$(srv_pgbin)/pg_ctl" -D "$d/$n" -m immediate -w stop >/dev/null 2>&1
	done
	return 0
}
