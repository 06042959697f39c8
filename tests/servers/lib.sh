# Start and stop the real servers dunnd's tests and demo use: a throwaway
# PostgreSQL cluster on a unix socket and the aiosmtpd mail sink. Sourced
# by tests/run.sh and scripts/demo.sh; servers_stop runs from their traps.
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
}

servers_stop() {
	[ -n "${SRV_DIR:-}" ] || return 0
	if [ -n "${SRV_SMTP_PID:-}" ]; then
		kill "$SRV_SMTP_PID" 2>/dev/null
		wait "$SRV_SMTP_PID" 2>/dev/null
	fi
	if [ -f "$SRV_DIR/pg/data/postmaster.pid" ]; then
		srv_as_owner "$(srv_pgbin)/pg_ctl" -D "$SRV_DIR/pg/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$SRV_DIR"
	SRV_DIR=
}
