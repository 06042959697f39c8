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
