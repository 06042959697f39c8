# Functions of bench/bench.sh: servers, seeding, the measured runs and the
# report. Sourced after tests/servers/lib.sh (srv_pgbin, srv_as_owner).

declare -A R   # R[metric:round] = value

say() { echo "bench: $*" | tee -a "$OUT/report.txt"; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
fmt0() { printf '%.0f' "$1"; }
fmt1() { printf '%.1f' "$1"; }
fmt2() { printf '%.2f' "$1"; }
elapsed() { calc "$(date +%s.%N) - $1"; }
psql_() { "$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ "$PG dbname=$1" -c "$2"; }

# wrk from Debian (bench only, not in scripts/deps.sh); smtp-sink and
# smtp-source from the postfix package, extracted, never installed.
bench_deps() {
	export DEBIAN_FRONTEND=noninteractive
	if ! command -v wrk >/dev/null; then
		echo "bench: installing wrk"
		apt-get install -y -qq --no-install-recommends wrk >/dev/null ||
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	fi
	PFX="$CACHE/postfix"
	if [ ! -x "$PFX/usr/sbin/smtp-sink" ]; then
		echo "bench: extracting Postfix's smtp-sink and smtp-source into $PFX"
		mkdir -p "$CACHE/deb"
		(cd "$CACHE/deb" && rm -f postfix_*.deb &&
			{ apt-get download postfix >/dev/null 2>&1 ||
				{ apt-get update -qq && apt-get download postfix >/dev/null; }; } &&
			dpkg -x postfix_*.deb "$PFX" && rm -f postfix_*.deb)
		# Keep the two programs and their libraries only: the Makefile
		# reads every *.d under the build directory as dependencies.
		find "$PFX" -mindepth 1 -maxdepth 1 ! -name usr -exec rm -rf {} +
		find "$PFX/usr" -mindepth 1 -maxdepth 1 ! -name sbin ! -name lib -exec rm -rf {} +
		find "$PFX" -name '*.d' -exec rm -rf {} +
	fi
	command -v perf >/dev/null || PERF=0
}

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL as it ships (fsync and synchronous_commit on, autovacuum on),
# with memory and checkpoint spacing for a book of this size.
bench_start() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/dunnd-bench.XXXXXX")
	chmod 0755 "$W"
	PGBIN=$(srv_pgbin)
	mkdir -p "$W/pg"
	[ "$(id -u)" -eq 0 ] && chown postgres "$W/pg"
	srv_as_owner "$PGBIN/initdb" -D "$W/pg/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 >"$W/initdb.log" 2>&1 || { cat "$W/initdb.log" >&2; return 1; }
	PGPORT=$((20000 + $$ % 20000))
	srv_as_owner "$PGBIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/log" -w -t 60 \
		-o "-k $W/pg -p $PGPORT -c listen_addresses= -c max_connections=50 \
		    -c shared_buffers=512MB -c work_mem=16MB -c maintenance_work_mem=256MB \
		    -c max_wal_size=8GB -c checkpoint_timeout=30min" \
		start >/dev/null || { cat "$W/pg/log" >&2; return 1; }
	PG="host=$W/pg port=$PGPORT user=postgres"
	PM_PID=$(head -n 1 "$W/pg/data/postmaster.pid")
	head -c 32 /dev/urandom | base64 >"$W/link_secret"
	echo "bench-sms-token-0123456789" >"$W/sms_token"
	chmod 600 "$W/link_secret" "$W/sms_token" # dunnd refuses secrets others may read
	mkdir -p "$W/dump"
	chown nobody "$W/dump"
	/usr/bin/python3 "$DUNN_SRCDIR/tests/servers/gateway_sim.py" "$W/gateway.jsonl" \
		"$W/gateway.port" >"$W/gateway.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$W/gateway.port" ] && break
		sleep 0.1
	done
	[ -s "$W/gateway.port" ] || { cat "$W/gateway.log" >&2; return 1; }
	GW="http://127.0.0.1:$(cat "$W/gateway.port")"
}

bench_stop() {
	[ -n "${W:-}" ] || return 0
	[ -n "${LONGTX_PID:-}" ] && kill "$LONGTX_PID" 2>/dev/null
	sink_stop
	if [ -n "${GW_PID:-}" ]; then
		kill "$GW_PID" 2>/dev/null
		wait "$GW_PID" 2>/dev/null
	fi
	[ -f "$W/pg/data/postmaster.pid" ] &&
		srv_as_owner "$PGBIN/pg_ctl" -D "$W/pg/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$W"
	W=
}

# smtp-sink: one process, -c keeps a running count of messages on stdout.
# With an argument, every transaction is also appended to that file.
sink_start() {
	SINK_PORT=$(free_port)
	: >"$W/sink.out"
	LD_LIBRARY_PATH="$PFX/usr/lib/postfix" "$PFX/usr/sbin/smtp-sink" -u nobody -c \
		${1:+-D "$1"} "127.0.0.1:$SINK_PORT" 1024 >"$W/sink.out" 2>"$W/sink.err" &
	SINK_PID=$!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$W/sink.err" >&2
	return 1
}

sink_stop() {
	[ -n "${SINK_PID:-}" ] || return 0
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}

sink_restart() { sink_stop; sink_start "$@"; }

sink_count() {
	local n
	n=$(tr '\r' '\n' <"$W/sink.out" | tail -n 1 | sed -n 's/.*mesg=\([0-9]*\).*/\1/p')
	echo "${n:-0}"
}

gw_count() { curl -s "$GW/_stats" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p'; }
gw_reset() { curl -s -X POST "$GW/_reset" >/dev/null; }

# CPU seconds of a process (and, for the postmaster, of its backends, live
# and exited).
proc_cpu() {
	awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_cpu() {
	local t
	t=$(awk '{ printf "%.2f", ($14 + $15 + $16 + $17) / 100 }' "/proc/$PM_PID/stat")
	for c in $(pgrep -P "$PM_PID"); do
		t=$(calc "$t + $(proc_cpu "$c")")
	done
	echo "$t"
}

write_config() {
	local db=$1 cfg="$W/$1.json"
	cat >"$cfg" <<-JSON
	{
	  "database": {"conninfo": "$PG dbname=$db application_name=dunnd"},
	  "http": {"listen": "127.0.0.1:0", "admin_listen": "127.0.0.1:0", "public_url": "https://pay.bench.example",
	           "link_secret_file": "$W/link_secret"},
	  "policy": "$DUNN_SRCDIR/bench/policy.json",
	  "templates": "$DUNN_SRCDIR/config/templates",
	  "migrations": "$DUNN_SRCDIR/migrations",
	  "module_dir": "$BIN/modules",
	  "company": "Bench Telecom",
	  "support": "support@bench.example",
	  "log_level": "info",
	  "batch_size": $BATCH,
	  "hold_sending": ${HOLD:-false},
	  "send_batch": $SEND_BATCH,
	  "channels": {
	    "email": {"module": "email", "server": "127.0.0.1:${SINK_PORT:-25}",
	              "from": "Bench Telecom Billing <billing@bench.example>", "starttls": "off",
	              "workers": $WORKERS, "session_batch": $SESSION},
	    "sms": {"module": "sms", "provider": "generic", "api_base": "$GW",
	            "auth_token_file": "$W/sms_token", "from": "+15005550006",
	            "max_inflight": $SMS_CONN}
	  }
	}
	JSON
	echo "$cfg"
}

db_size() { q postgres "SELECT pg_size_pretty(pg_database_size('$1'))"; }

# A book of $2 accounts, $3 due, into database $1 (bench/seed.sql).
seed_book() {
	local db=$1 n=$2 due=$3 pct=${4:-$SMS_PCT} cfg
	(( n % 7919 != 0 )) || { echo "bench: BENCH_ACCOUNTS must not be a multiple of 7919" >&2; exit 2; }
	q postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
	q postgres "CREATE DATABASE $db"
	cfg=$(write_config "$db")
	"$BIN/dunnctl" -c "$cfg" migrate >/dev/null
	psql_ "$PG dbname=$db" -v n="$n" -v due="$due" -v sms_pct="$pct" -v at="$AT" \
		-f "$DUNN_SRCDIR/bench/seed.sql" >/dev/null
}

# The same book again before every measured run: a file copy of the seeded
# database, then VACUUM ANALYZE and CHECKPOINT.
reseed() {
	local from=${1:-bench_seed}
	q postgres "DROP DATABASE IF EXISTS bench WITH (FORCE)"
	q postgres "CREATE DATABASE bench TEMPLATE $from STRATEGY FILE_COPY"
	q bench "VACUUM ANALYZE"
	q postgres "CHECKPOINT"
}

# "cases_upd deliveries_ins deliveries_upd" from pg_stat_user_tables (the
# outbox's counters are its partitions').
pg_stats() {
	sleep 1 # backends report their counters when they exit or go idle
	q "${1:-bench}" "SELECT
	    (SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'dunning.cases'::regclass),
	    (SELECT sum(n_tup_ins) FROM pg_stat_user_tables WHERE relid IN (SELECT inhrelid
	     FROM pg_inherits WHERE inhparent = 'dunning.deliveries'::regclass)),
	    (SELECT sum(n_tup_upd) FROM pg_stat_user_tables WHERE relid IN (SELECT inhrelid
	     FROM pg_inherits WHERE inhparent = 'dunning.deliveries'::regclass))" |
		tr '|' ' '
}

calibrate() {
	local cfg
	sink_restart "$W/dump/cal"
	seed_book bench_cal 40 20 10 # due k 0-9 by SMS, 10-19 by email
	cfg=$(write_config bench_cal)
	gw_reset
	DUNND_ALLOW_ROOT=1 "$BIN/dunnd" -c "$cfg" --once --at "$AT" 2>"$OUT/calibrate.log" ||
		{ echo "bench: calibration run failed:" >&2; tail "$OUT/calibrate.log" >&2; exit 1; }
	sleep 0.5
	read -r MSG_SIZE NCAL < <(/usr/bin/python3 "$DUNN_SRCDIR/bench/tally.py" msgsize "$W/dump/cal")
	/usr/bin/python3 "$DUNN_SRCDIR/bench/tally.py" smsbody "$W/gateway.jsonl" "$W/sms_body.json"
	[ "${NCAL:-0}" -gt 0 ] && [ -s "$W/sms_body.json" ] ||
		{ echo "bench: calibration sent nothing (mail $NCAL)" >&2; exit 1; }
	q postgres "DROP DATABASE bench_cal"
	sink_restart
}

# Database ceiling: dunnd's own SQL through pgbench, one connection as
# dunnd has, the same batch sizes. Planning first, then lease + mark-sent
# over the outbox it made; rows counted from pg_stat_user_tables.
ceiling_db() {
	local r=$1 t tp td s0 s1 s2 planned sent
	reseed
	read -r -a s0 < <(pg_stats)
	t=$(date +%s.%N)
	"$PGBIN/pgbench" -n -M simple -c 1 -t $((DUE / BATCH + 2)) -D at="$AT_EPOCH" -D batch="$BATCH" \
		-f "$W/plan.sql" "$PG dbname=bench" >"$OUT/pgbench-plan.$r.log" 2>&1 ||
		{ tail "$OUT/pgbench-plan.$r.log" >&2; exit 1; }
	# dunnd refreshes the outbox's statistics once a burst has queued
	# 10,000 rows (daemon/poller.c, commit_cb); so does the ceiling.
	q bench "ANALYZE dunning.deliveries"
	tp=$(elapsed "$t")
	read -r -a s1 < <(pg_stats)
	t=$(date +%s.%N)
	"$PGBIN/pgbench" -n -M simple -c 1 -t $((DUE / SEND_BATCH + 2)) -D at="$AT_EPOCH" \
		-D send_batch="$SEND_BATCH" -f "$W/dispatch.sql" "$PG dbname=bench" \
		>"$OUT/pgbench-dispatch.$r.log" 2>&1 || { tail "$OUT/pgbench-dispatch.$r.log" >&2; exit 1; }
	td=$(elapsed "$t")
	read -r -a s2 < <(pg_stats)
	planned=$((s1[0] - s0[0]))
	sent=$(((s2[2] - s1[2]) / 2)) # leased, then marked sent
	R[db_planned:$r]=$planned
	R[db_plan:$r]=$(calc "$planned / $tp")
	R[db_dispatch:$r]=$(calc "$sent / $td")
	R[db:$r]=$(calc "$sent / ($tp + $td)")
	R[db_check:$r]=$(q bench "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'")
}

# The books of the delivery phases: the seeded book planned by the
# ceiling's own planning script (dunnd's SQL_CLAIM and SQL_RECORD), then
# every row of the other channel cancelled, so that a dunnd run over it
# only delivers, through one channel. Made once; each run copies it.
plan_books() {
	local ch other
	for ch in email sms; do
		other=$([ "$ch" = email ] && echo sms || echo email)
		reseed
		"$PGBIN/pgbench" -n -M simple -c 1 -t $((DUE / BATCH + 2)) -D at="$AT_EPOCH" \
			-D batch="$BATCH" -f "$W/plan.sql" "$PG dbname=bench" >"$OUT/pgbench-book.$ch.log" 2>&1 ||
			{ tail "$OUT/pgbench-book.$ch.log" >&2; exit 1; }
		q bench "UPDATE dunning.deliveries SET status = 'cancelled', last_error = 'bench: $ch only'
		         WHERE channel = '$other'" >/dev/null
		q postgres "DROP DATABASE IF EXISTS bench_$ch WITH (FORCE)"
		q postgres "CREATE DATABASE bench_$ch TEMPLATE bench STRATEGY FILE_COPY"
	done
}

# A delivery phase alone: dunnd --once over an outbox of one channel
# (nothing is due for planning), copied afresh from its book.
run_deliver() {
	SEED_FROM=bench_$2 run_e2e "$1" "$2"
}

# Planning alone: dunnd --once with hold_sending over the seeded book; it
# claims, decides and queues every due case, and sends nothing.
run_plan() {
	HOLD=true run_e2e "$1" plan
}

# The database ceiling on two connections, as dunnd has two: pgbench -c 2
# runs the planning and the delivery scripts side by side (weighted 2:5,
# so both move the same rows: 500 and 200 a transaction) for a fixed
# time, rows counted as above. Statistics refreshed after 2 s, as dunnd
# does after 10,000 rows. Its delivered rate is the database ceiling.
ceiling_db2() {
	local r=$1 t d s0 s1 pb
	reseed
	read -r -a s0 < <(pg_stats)
	t=$(date +%s.%N)
	"$PGBIN/pgbench" -n -M simple -c 2 -j 2 -T "${BENCH_DB2_SECONDS:-15}" -D at="$AT_EPOCH" \
		-D batch="$BATCH" -D send_batch="$SEND_BATCH" -f "$W/plan.sql@2" -f "$W/dispatch.sql@5" \
		"$PG dbname=bench" >"$OUT/pgbench-2conn.$r.log" 2>&1 &
	pb=$!
	sleep 2
	q bench "ANALYZE dunning.deliveries"
	wait "$pb" || { tail "$OUT/pgbench-2conn.$r.log" >&2; exit 1; }
	d=$(elapsed "$t")
	read -r -a s1 < <(pg_stats)
	(( ${s1[0]} - ${s0[0]} < DUE * 9 / 10 )) ||
		say "(two connections: the run planned nearly all $DUE due cases, so its rate is a" \
			"lower bound; use a larger book or a shorter BENCH_DB2_SECONDS)"
	R[db2_plan:$r]=$(calc "(${s1[0]} - ${s0[0]}) / $d")
	R[db2:$r]=$(calc "(${s1[2]} - ${s0[2]}) / 2 / $d")
}

# Mail ceiling: smtp-source, as many sessions as dunnd has SMTP workers,
# messages of the size dunnd sends, as many as the run sends by email.
ceiling_mail() {
	local r=$1 t d c0 c1
	sink_restart
	c0=$(sink_count)
	t=$(date +%s.%N)
	LD_LIBRARY_PATH="$PFX/usr/lib/postfix" "$PFX/usr/sbin/smtp-source" -d -s "$WORKERS" \
		-m "$((N_EMAIL > 0 ? N_EMAIL : 20000))" -l "$MSG_SIZE" -f billing@bench.example -t c1@bench.example \
		"127.0.0.1:$SINK_PORT" >"$OUT/smtp-source.$r.log" 2>&1
	d=$(elapsed "$t")
	sleep 0.3
	c1=$(sink_count)
	R[mail:$r]=$(calc "($c1 - $c0) / $d")
}

# SMS ceiling: wrk with dunnd's request, as many connections as the
# module keeps in flight, counted by the simulator itself.
ceiling_sms() {
	local r=$1 t d g0 g1
	gw_reset
	g0=$(gw_count)
	t=$(date +%s.%N)
	BENCH_SMS_BODY="$W/sms_body.json" BENCH_SMS_TOKEN=$(cat "$W/sms_token") \
		wrk -t 1 -c "$SMS_CONN" -d "${BENCH_WRK_SECONDS:-10}s" -s "$DUNN_SRCDIR/bench/sms.lua" \
		"$GW" >"$OUT/wrk.$r.log" 2>&1
	d=$(elapsed "$t")
	sleep 1 # requests wrk left in flight land before the count (and the next run)
	g1=$(gw_count)
	R[sms:$r]=$(calc "($g1 - $g0) / $d")
}

# The combined ceiling: the three load generators at once, each carrying
# its part of the end-to-end run's work, as dunnd's run loads the machine:
# pgbench with dunnd's planning and delivery statements on two connections
# (one each, as the poller and the dispatcher), over the seeded book until
# every due case is planned and every reminder leased and marked sent;
# smtp-source with the run's mails; wrk with the run's SMS. Each is timed
# from the common start to its own end; its rate is its work over that
# time, and the combined ceiling (mix_ceiling over these rates, in
# summary) is the reminder rate at which the slowest of the three, put in
# terms of the run's mix, saturates: the run's reminders over the time the
# last of them needed.
ceiling_combined() {
	local r=$1 t0 s0 s1 c0 g0 p0 k0 w0 pp pd pm pw pa t_db d_cpu e g
	reseed
	sink_restart
	gw_reset
	read -r -a s0 < <(pg_stats)
	c0=$(sink_count)
	g0=$(gw_count)
	p0=$(pg_cpu)
	k0=$(proc_cpu "$SINK_PID")
	w0=$(proc_cpu "$GW_PID")
	rm -f "$W"/comb.*
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$W/comb.plan.cpu" "$PGBIN/pgbench" -n -M simple -c 1 \
		-t $((DUE / BATCH + 2)) -D at="$AT_EPOCH" -D batch="$BATCH" -f "$W/plan.sql" \
		"$PG dbname=bench application_name=bench_plan" >"$OUT/pgbench-comb-plan.$r.log" 2>&1 &
	pp=$!
	"$PGBIN/pgbench" -n -M simple -c 1 -T 86400 -D at="$AT_EPOCH" -D send_batch="$SEND_BATCH" \
		-f "$W/dispatch.sql" "$PG dbname=bench application_name=bench_dispatch" \
		>"$OUT/pgbench-comb-dispatch.$r.log" 2>&1 &
	pd=$!
	if [ "$N_EMAIL" -gt 0 ]; then
		{
			LD_LIBRARY_PATH="$PFX/usr/lib/postfix" /usr/bin/time -f '%U %S' -o "$W/comb.mail.cpu" \
				"$PFX/usr/sbin/smtp-source" -d -s "$WORKERS" -m "$N_EMAIL" -l "$MSG_SIZE" \
				-f billing@bench.example -t c1@bench.example "127.0.0.1:$SINK_PORT" \
				>"$OUT/smtp-source-comb.$r.log" 2>&1
			date +%s.%N >"$W/comb.mail.end"
		} &
		pm=$!
	fi
	if [ "$N_SMS" -gt 0 ]; then
		{
			BENCH_SMS_BODY="$W/sms_body.json" BENCH_SMS_TOKEN=$(cat "$W/sms_token") \
				BENCH_SMS_COUNT=$N_SMS /usr/bin/time -f '%U %S' -o "$W/comb.sms.cpu" \
				wrk -t 1 -c "$SMS_CONN" -d 86400s -s "$DUNN_SRCDIR/bench/sms.lua" "$GW" \
				>"$OUT/wrk-comb.$r.log" 2>&1
			date +%s.%N >"$W/comb.sms.end"
		} &
		pw=$!
	fi
	# dunnd refreshes the outbox's statistics once a burst has queued
	# 10,000 rows; so does ceiling_db2, after 2 s.
	{ sleep 2 && q bench "ANALYZE dunning.deliveries"; } &
	pa=$!
	wait "$pp" || { tail "$OUT/pgbench-comb-plan.$r.log" >&2; exit 1; }
	R[comb_plan_s:$r]=$(elapsed "$t0")
	# Planning is done; delivery is once no row is left queued or leased.
	while [ "$(q bench "SELECT EXISTS (SELECT 1 FROM dunning.deliveries
	                    WHERE status IN ('queued', 'sending'))")" = t ]; do
		kill -0 "$pd" 2>/dev/null || { tail "$OUT/pgbench-comb-dispatch.$r.log" >&2; exit 1; }
		sleep 0.1
	done
	t_db=$(elapsed "$t0")
	d_cpu=$(proc_cpu "$pd")
	kill -TERM "$pd" 2>/dev/null # an asynchronous job ignores SIGINT
	wait "$pd" 2>/dev/null || true
	wait "$pa" || true
	[ -n "${pm:-}" ] && { wait "$pm" || { tail "$OUT/smtp-source-comb.$r.log" >&2; exit 1; }; }
	[ -n "${pw:-}" ] && { wait "$pw" || { tail "$OUT/wrk-comb.$r.log" >&2; exit 1; }; }
	e=$(date +%s.%N)
	sleep 1 # requests wrk left in flight land before the counts
	read -r -a s1 < <(pg_stats)
	R[comb_db:$r]=$(calc "(${s1[2]} - ${s0[2]}) / 2 / $t_db")
	R[comb_db_plan:$r]=$(calc "(${s1[0]} - ${s0[0]}) / ${R[comb_plan_s:$r]}")
	R[comb_db_s:$r]=$t_db
	R[comb_mail:$r]=0
	R[comb_sms:$r]=0
	if [ -n "${pm:-}" ]; then
		R[comb_mail_s:$r]=$(calc "$(cat "$W/comb.mail.end") - $t0")
		R[comb_mail:$r]=$(calc "($(sink_count) - $c0) / ${R[comb_mail_s:$r]}")
	fi
	if [ -n "${pw:-}" ]; then
		# wrk stops at its N_SMS-th answer; a few more were in flight.
		R[comb_sms_s:$r]=$(calc "$(cat "$W/comb.sms.end") - $t0")
		R[comb_sms:$r]=$(calc "$N_SMS / ${R[comb_sms_s:$r]}")
		(( $(gw_count) - g0 >= N_SMS )) || say "(combined: the gateway counted fewer than $N_SMS SMS)"
	fi
	R[comb_wall:$r]=$(calc "$e - $t0")
	R[comb_pg_util:$r]=$(calc "($(pg_cpu) - $p0) / ($e - $t0)")
	R[comb_sink_util:$r]=$(calc "($(proc_cpu "$SINK_PID") - $k0) / ($e - $t0)")
	R[comb_gw_util:$r]=$(calc "($(proc_cpu "$GW_PID") - $w0) / ($e - $t0)")
	g=$(cat "$W"/comb.*.cpu | awk '$1 + 0 == $1 { s += $1 + $2 } END { print s + 0 }')
	R[comb_gen_util:$r]=$(calc "($d_cpu + $g) / ($e - $t0)")
}

# dunnd under /usr/bin/time (and maybe timeout): a child or grandchild.
find_dunnd() {
	local c g
	for c in $(pgrep -P "$1"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = dunnd ] && { echo "$c"; return; }
		for g in $(pgrep -P "$c"); do
			[ "$(cat "/proc/$g/comm" 2>/dev/null)" = dunnd ] && { echo "$g"; return; }
		done
	done
}

# Samples the sink's and the gateway's counts and dunnd's CPU while it runs.
sampler() {
	local parent=$1 file=$2 pid cpu
	while [ -e "$W/sampling" ]; do
		pid=$(find_dunnd "$parent")
		cpu=$([ -n "$pid" ] && proc_cpu "$pid" || echo 0)
		# The profiled run: which processes are this run's.
		[ -n "${PIDS_FILE:-}" ] && { echo "$pid"; pgrep -P "$PM_PID"; } >>"$PIDS_FILE"
		echo "$(date +%s.%N) $(sink_count) $(gw_count) $cpu" >>"$file"
		sleep 0.2
	done
}

iso_epoch() { date -u -d "$1" +%s.%N; }

# One dunnd --once over the book, end to end. $1 round, $2 tag; with
# BENCH_TIMEOUT set, dunnd is stopped (SIGTERM) after that many seconds.
run_e2e() {
	local r=$1 tag=$2 cfg t0 t1 s0 s1 c0 g0 p0 k0 w0 rc pid samples log
	local ne ns plan_end email_end sms_end planned spid
	[ "${SEED_FROM:-}" = none ] || reseed "${SEED_FROM:-bench_seed}"
	sink_restart
	gw_reset
	cfg=$(write_config bench)
	read -r -a s0 < <(pg_stats)
	c0=$(sink_count)
	g0=$(gw_count)
	p0=$(pg_cpu)
	k0=$(proc_cpu "$SINK_PID")
	w0=$(proc_cpu "$GW_PID")
	log="$OUT/dunnd.$tag.$r.log"
	samples="$OUT/samples.$tag.$r.tsv"
	: >"$samples"
	touch "$W/sampling"
	t0=$(date +%s.%N)
	DUNND_ALLOW_ROOT=1 /usr/bin/time -f '%e %U %S %M' -o "$W/time" \
		${BENCH_TIMEOUT:+timeout -s TERM "$BENCH_TIMEOUT"} \
		"$BIN/dunnd" -c "$cfg" --once --at "$AT" 2>"$log" &
	pid=$!
	sampler "$pid" "$samples" &
	spid=$!
	wait "$pid" && rc=0 || rc=$?
	t1=$(date +%s.%N)
	rm -f "$W/sampling"
	wait "$spid" || true
	sleep 0.3
	read -r -a s1 < <(pg_stats)
	read -r _ u s m < <(tail -n 1 "$W/time")
	ne=$(( $(sink_count) - c0 ))
	ns=$(( $(gw_count) - g0 ))
	planned=$((s1[0] - s0[0]))
	plan_end=$(grep -m 1 'event=cycle_done' "$log" | cut -d' ' -f1 || true)
	plan_end=$([ -n "$plan_end" ] && iso_epoch "$plan_end" || echo "$t1")
	email_end=$(awk -v n="$ne" '$2 - 0 >= n && n > 0 { print $1; exit }' "$samples")
	sms_end=$(awk -v n="$((ns + g0))" '$3 - 0 >= n && n > 0 { print $1; exit }' "$samples")

	R[rc:$tag:$r]=$rc
	R[planned:$tag:$r]=$planned
	R[n_email:$tag:$r]=$ne
	R[n_sms:$tag:$r]=$ns
	R[wall:$tag:$r]=$(calc "$t1 - $t0")
	R[plan:$tag:$r]=$(calc "$planned / ($plan_end - $t0)")
	R[email:$tag:$r]=$(calc "$ne / (${email_end:-$t1} - $t0)")
	R[sms:$tag:$r]=$(calc "$ns / (${sms_end:-$t1} - $t0)")
	R[e2e:$tag:$r]=$(calc "($ne + $ns) / ($t1 - $t0)")
	R[cpu:$tag:$r]=$(calc "$u + $s")
	R[cpu10k:$tag:$r]=$(calc "($u + $s) * 10000 / ($ne + $ns + 0.000001)")
	R[plan_cpu10k:$tag:$r]=$(awk -v e="$plan_end" -v p="$planned" '$1 <= e { c = $4 }
		END { printf "%.6f", c * 10000 / (p + 0.000001) }' "$samples")
	R[rss:$tag:$r]=$(calc "$m / 1024")
	R[pg_util:$tag:$r]=$(calc "($(pg_cpu) - $p0) / ($t1 - $t0)")
	R[sink_util:$tag:$r]=$(calc "($(proc_cpu "$SINK_PID") - $k0) / ($t1 - $t0)")
	R[gw_util:$tag:$r]=$(calc "($(proc_cpu "$GW_PID") - $w0) / ($t1 - $t0)")
	R[dunnd_util:$tag:$r]=$(calc "($u + $s) / ($t1 - $t0)")
	R[sent:$tag:$r]=$(q bench "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'")
	R[queued:$tag:$r]=$((s1[1] - s0[1]))
	read -r R[dead:$tag:$r] R[dead_live:$tag:$r] R[dead_ratio:$tag:$r] R[upd:$tag:$r] \
		R[hot:$tag:$r] < <(outbox_dead)
	[ "$rc" -eq 0 ] || echo "bench: dunnd ($tag $r) exited $rc, log $log" >&2
}

round_line() {
	local r=$1
	echo "db plan $(fmt0 "${R[db_plan:$r]}")/s, db lease+sent $(fmt0 "${R[db_dispatch:$r]}")/s," \
		"db all $(fmt0 "${R[db:$r]}")/s, db 2 conns $(fmt0 "${R[db2:$r]}")/s, smtp-source $(fmt0 "${R[mail:$r]}")/s," \
		"wrk $(fmt0 "${R[sms:$r]}")/s | together: db $(fmt0 "${R[comb_db:$r]}")/s in" \
		"$(fmt1 "${R[comb_db_s:$r]}") s, smtp-source $(fmt0 "${R[comb_mail:$r]}")/s, wrk" \
		"$(fmt0 "${R[comb_sms:$r]}")/s | dunnd planning alone $(fmt0 "${R[plan:plan:$r]}")/s" \
		"(${R[planned:plan:$r]} cases, ${R[queued:plan:$r]} queued) | e2e: plan $(fmt0 "${R[plan:e2e:$r]}")/s," \
		"email $(fmt0 "${R[email:e2e:$r]}")/s, sms $(fmt0 "${R[sms:e2e:$r]}")/s," \
		"e2e $(fmt0 "${R[e2e:e2e:$r]}")/s in $(fmt1 "${R[wall:e2e:$r]}") s" \
		"(${R[n_email:e2e:$r]} mails, ${R[n_sms:e2e:$r]} SMS, ${R[sent:e2e:$r]} sent rows," \
		"${R[dead:e2e:$r]} dead tuples in deliveries after ${R[upd:e2e:$r]} updates)," \
		"rss $(fmt1 "${R[rss:e2e:$r]}") MiB, cpu ${R[cpu:e2e:$r]} s" \
		"| email only $(fmt0 "${R[email:email:$r]:-0}")/s (${R[n_email:email:$r]:-0} mails)," \
		"SMS only $(fmt0 "${R[sms:sms:$r]:-0}")/s (${R[n_sms:sms:$r]:-0} SMS)"
}

# "median min max" of R[key:1..ROUNDS]
stat3() {
	local key=$1 r
	for r in $(seq 1 "$ROUNDS"); do echo "${R[$key:$r]}"; done | sort -g |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		       printf "%.6f %.6f %.6f", m, v[1], v[NR] }'
}
med() { stat3 "$1" | cut -d' ' -f1; }
mmm() { local a; read -r -a a < <(stat3 "$1"); echo "$(fmt0 "${a[0]}") ($(fmt0 "${a[1]}")-$(fmt0 "${a[2]}"))"; }
mmm1() { local a; read -r -a a < <(stat3 "$1"); echo "$(fmt2 "${a[0]}") ($(fmt2 "${a[1]}")-$(fmt2 "${a[2]}"))"; }

# The ceiling of the whole run: the rate at which each resource would
# carry this book's mix (email and SMS run side by side, the database
# carries both), the lowest of the three. $2-$4: the keys of the
# database's, the mail's and the SMS rates (the solo ceilings by default;
# the combined phase's for the combined ceiling).
mix_ceiling() {
	local r=$1 ne=${R[n_email:e2e:$1]} ns=${R[n_sms:e2e:$1]}
	awk -v db="${R[${2:-db2}:$r]}" -v mail="${R[${3:-mail}:$r]}" -v sms="${R[${4:-sms}:$r]}" \
		-v ne="$ne" -v ns="$ns" 'BEGIN { m = db
		if (ne > 0 && (t = (ne + ns) * mail / ne) < m) m = t
		if (ns > 0 && (t = (ne + ns) * sms / ns) < m) m = t
		printf "%.6f", m }'
}

summary() {
	local r
	for r in $(seq 1 "$ROUNDS"); do
		R[ceil:$r]=$(mix_ceiling "$r")
		R[ratio:$r]=$(calc "${R[e2e:e2e:$r]} / ${R[ceil:$r]}")
		R[comb_ceil:$r]=$(mix_ceiling "$r" comb_db comb_mail comb_sms)
		R[comb_ratio:$r]=$(calc "${R[e2e:e2e:$r]} / ${R[comb_ceil:$r]}")
		R[comb_of_solo:$r]=$(calc "${R[comb_ceil:$r]} / ${R[ceil:$r]}")
		R[plan_ratio:$r]=$(calc "${R[plan:plan:$r]} / ${R[db2:$r]}")
		R[plan_alone_ratio:$r]=$(calc "${R[plan:plan:$r]} / ${R[db_plan:$r]}")
		R[plan_serial_ratio:$r]=$(calc "${R[plan:plan:$r]} / ${R[db:$r]}")
		R[mix_plan_ratio:$r]=$(calc "${R[plan:e2e:$r]} / ${R[db2:$r]}")
		R[mix_email_ratio:$r]=$(calc "${R[email:e2e:$r]} / ${R[mail:$r]}")
		R[mix_sms_ratio:$r]=$(calc "${R[sms:e2e:$r]} / ${R[sms:$r]}")
		[ "$N_EMAIL" -gt 0 ] && R[email_ratio:$r]=$(calc "${R[email:email:$r]} / ${R[mail:$r]}")
		[ "$N_SMS" -gt 0 ] && R[sms_ratio:$r]=$(calc "${R[sms:sms:$r]} / ${R[sms:$r]}")
	done
	say "median (min-max) of $ROUNDS rounds, warm-up dropped:"
	row phase 'dunnd/s' 'ceiling/s' ratio 'cpu s/10k' 'rss MiB'
	row planning "$(mmm plan:plan)" "$(mmm db2) db" "$(mmm1 plan_ratio)" "$(mmm1 plan_cpu10k:plan)" \
		"$(mmm1 rss:plan)"
	[ "$N_EMAIL" -gt 0 ] && row email "$(mmm email:email)" "$(mmm mail) smtp" "$(mmm1 email_ratio)" \
		"$(mmm1 cpu10k:email)" "$(mmm1 rss:email)"
	[ "$N_SMS" -gt 0 ] && row sms "$(mmm sms:sms)" "$(mmm sms) wrk" "$(mmm1 sms_ratio)" \
		"$(mmm1 cpu10k:sms)" "$(mmm1 rss:sms)"
	row e2e "$(mmm e2e:e2e)" "$(mmm ceil)" "$(mmm1 ratio)" "$(mmm1 cpu10k:e2e)" "$(mmm1 rss:e2e)"
	row e2e "$(mmm e2e:e2e)" "$(mmm comb_ceil) combined" "$(mmm1 comb_ratio)" "$(mmm1 cpu10k:e2e)" \
		"$(mmm1 rss:e2e)"
	say "phases: each measured alone: planning from a run with hold_sending (claim + decide +" \
		"outbox, nothing sent), email and SMS from runs that only deliver an outbox of that one" \
		"channel (planned by the ceiling's script); each against the ceiling of what it drives"
	say "ceilings: database (pgbench, dunnd's SQL on two connections as dunnd has: plan + lease +" \
		"mark-sent side by side) $(mmm db2)/s, planning $(mmm db2_plan)/s in the same runs;" \
		"on one connection: planning alone $(mmm db_plan)/s (dunnd's planning is" \
		"$(mmm1 plan_alone_ratio) of it), lease + mark-sent alone $(mmm db_dispatch)/s, the whole" \
		"path serially $(mmm db)/s ($(mmm1 plan_serial_ratio)); mail $(mmm mail)/s; sms $(mmm sms)/s"
	say "combined ceiling: the load generators at once, each with its part of the end-to-end" \
		"run's work: pgbench (dunnd's planning and delivery statements, one connection each)" \
		"$(mmm comb_db)/s delivered in $(mmm1 comb_db_s) s (planning $(mmm comb_db_plan)/s, done in $(mmm1 comb_plan_s) s)$(
			[ "$N_EMAIL" -gt 0 ] && echo ", smtp-source $N_EMAIL mails at $(mmm comb_mail)/s in" \
				"$(mmm1 comb_mail_s) s")$([ "$N_SMS" -gt 0 ] && echo ", wrk $N_SMS SMS at" \
				"$(mmm comb_sms)/s in $(mmm1 comb_sms_s) s");" \
		"the slowest, put in terms of the mix, saturates at $(mmm comb_ceil) reminders/s" \
		"($(mmm1 comb_of_solo) of the solo ceiling $(mmm ceil)/s); wall $(mmm1 comb_wall) s; CPU in" \
		"cores: postgres $(mmm1 comb_pg_util), smtp-sink $(mmm1 comb_sink_util), gateway" \
		"$(mmm1 comb_gw_util), the generators $(mmm1 comb_gen_util)"
	say "in the end-to-end run planning went at $(mmm plan:e2e)/s ($(mmm1 mix_plan_ratio) of the" \
		"database ceiling), email at $(mmm email:e2e)/s ($(mmm1 mix_email_ratio) of smtp-source)" \
		"and SMS at $(mmm sms:e2e)/s ($(mmm1 mix_sms_ratio) of wrk): all three share the machine," \
		"and both channels follow planning"
	say "outbox after each end-to-end run: deliveries $(mmm dead:e2e) dead tuples beside" \
		"$(mmm dead_live:e2e) live, a dead-tuple ratio of $(mmm1 dead_ratio:e2e), after" \
		"$(mmm upd:e2e) updates ($(mmm hot:e2e) of them HOT)" \
		"(pg_stat_user_tables over its partitions; BENCHMARKS.md, \"Queue health\")"
	say "e2e wall $(mmm1 wall:e2e) s; CPU of each part in cores: dunnd $(mmm1 dunnd_util:e2e)," \
		"postgres $(mmm1 pg_util:e2e), smtp-sink $(mmm1 sink_util:e2e), gateway $(mmm1 gw_util:e2e)"
	say "planning-alone run: wall $(mmm1 wall:plan) s; cores: dunnd $(mmm1 dunnd_util:plan)," \
		"postgres $(mmm1 pg_util:plan)"
	[ "$N_EMAIL" -gt 0 ] && say "email-only run: wall $(mmm1 wall:email) s; cores: dunnd" \
		"$(mmm1 dunnd_util:email), postgres $(mmm1 pg_util:email), smtp-sink $(mmm1 sink_util:email)"
	[ "$N_SMS" -gt 0 ] && say "SMS-only run: wall $(mmm1 wall:sms) s; cores: dunnd" \
		"$(mmm1 dunnd_util:sms), postgres $(mmm1 pg_util:sms), gateway $(mmm1 gw_util:sms)"
	say "(phase rates are counted from the run's start to the phase's last row;" \
		"planning cpu is dunnd's CPU until planning ended)"
	return 0
}

row() { say "$(printf '%-9s %-26s %-26s %-20s %-19s %s' "$@")"; }

# "dead live ratio updates hot" of deliveries, its partitions summed, as
# autovacuum and page pruning left them at the end of a run (pg_stats
# waited for the counters): what /metrics reports as
# dunnd_outbox_dead_tuples and dunnd_outbox_dead_tuple_ratio, and the
# updates that made them (the database is made afresh for each run).
outbox_dead() {
	q bench "SELECT coalesce(sum(n_dead_tup), 0), coalesce(sum(n_live_tup), 0),
	         round(coalesce(sum(n_dead_tup)::numeric / nullif(sum(n_dead_tup + n_live_tup), 0), 0), 4),
	         coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_hot_upd), 0)
	         FROM pg_stat_user_tables WHERE relid IN (SELECT inhrelid FROM pg_inherits
	         WHERE inhparent = 'dunning.deliveries'::regclass)" | tr '|' ' '
}

# Per table, its partitions summed.
dead_tuples() {
	q bench "SELECT string_agg(t || ' ' || dead || ' dead/' || live || ' live'
	         || ' (autovacuum ' || av || 'x)', ', ' ORDER BY t)
	         FROM (SELECT regexp_replace(relname, '_(legacy|default|[0-9]{6})$', '') AS t,
	                      sum(n_dead_tup) AS dead, sum(n_live_tup) AS live,
	                      sum(autovacuum_count) AS av
	               FROM pg_stat_user_tables WHERE schemaname = 'dunning'
	               AND relname ~ '^(cases|deliveries|events)(_(legacy|default|[0-9]{6}))?$'
	               GROUP BY 1) x"
}

# Dead tuples after an end-to-end run, then purge over what it left.
queue_health() {
	local t out
	run_e2e 1 health
	say "queue health after an end-to-end run: $(dead_tuples)"
	t=$(date +%s.%N)
	out=$("$BIN/dunnctl" -c "$W/bench.json" purge --older-than 1 --at 2026-11-13T12:00:00Z --json 2>&1) ||
		{ say "purge failed: $out"; return 0; }
	sleep 1
	say "old rows leave the outbox through dunnctl purge (whole partitions by DETACH and DROP," \
		"folded into report_daily first; what is left in batches of 10,000):" \
		"$(echo "$out" | sed -n 's/.*"deliveries_deleted": *\([0-9]*\).*/\1/p')" \
		"deliveries in $(fmt2 "$(elapsed "$t")") s; after it: $(dead_tuples)"
}

long_transaction() {
	local tag=longtx
	reseed
	"$PGBIN/psql" -X -q "$PG dbname=bench application_name=bench_longtx" -c \
		"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT txid_current(), count(*) FROM dunning.cases;
		 SELECT pg_sleep(86400)" >/dev/null 2>&1 &
	LONGTX_PID=$!
	sleep 1
	BENCH_TIMEOUT=$(printf '%.0f' "$(calc "$(med wall:e2e) * 5 + 30")") SEED_FROM=none run_e2e 1 "$tag"
	say "long transaction: with one REPEATABLE READ transaction open beside it, e2e" \
		"$(fmt0 "${R[e2e:$tag:1]}")/s (median without: $(fmt0 "$(med e2e:e2e)")/s," \
		"$(fmt2 "$(calc "${R[e2e:$tag:1]} / $(med e2e:e2e)")")x), planning $(fmt0 "${R[plan:$tag:1]}")/s" \
		"(without $(fmt0 "$(med plan:e2e)")/s), wall $(fmt1 "${R[wall:$tag:1]}") s," \
		"dunnd exit ${R[rc:$tag:1]}; $(dead_tuples)"
	q postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	            WHERE application_name = 'bench_longtx'" >/dev/null
	wait "$LONGTX_PID" 2>/dev/null || true
	LONGTX_PID=
}

two_instances() {
	local cfg t0 t1 pa pb c0 g0 p0 ne ns dup_sms sent_email
	reseed
	sink_restart
	gw_reset
	cfg=$(write_config bench)
	c0=$(sink_count)
	g0=$(gw_count)
	p0=$(pg_cpu)
	t0=$(date +%s.%N)
	DUNND_ALLOW_ROOT=1 /usr/bin/time -f '%e %U %S %M' -o "$W/time.a" "$BIN/dunnd" -c "$cfg" \
		--once --at "$AT" 2>"$OUT/dunnd.two.a.log" &
	pa=$!
	DUNND_ALLOW_ROOT=1 /usr/bin/time -f '%e %U %S %M' -o "$W/time.b" "$BIN/dunnd" -c "$cfg" \
		--once --at "$AT" 2>"$OUT/dunnd.two.b.log" &
	pb=$!
	wait "$pa" || echo "bench: dunnd a exited $?" >&2
	wait "$pb" || echo "bench: dunnd b exited $?" >&2
	t1=$(date +%s.%N)
	sleep 0.5
	ne=$(( $(sink_count) - c0 ))
	ns=$(( $(gw_count) - g0 ))
	sent_email=$(q bench "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent' AND channel = 'email'")
	dup_sms=$(/usr/bin/python3 "$DUNN_SRCDIR/bench/tally.py" dups "$W/gateway.jsonl")
	read -r _ ua sa ma < <(tail -n 1 "$W/time.a")
	read -r _ ub sb mb < <(tail -n 1 "$W/time.b")
	say "two instances: combined $(fmt0 "$(calc "($ne + $ns) / ($t1 - $t0)")")/s" \
		"(one instance: median $(fmt0 "$(med e2e:e2e)")/s); queued a" \
		"$(grep -o 'cycle_done queued=[0-9]*' "$OUT/dunnd.two.a.log" | head -n 1 | cut -d= -f2)," \
		"b $(grep -o 'cycle_done queued=[0-9]*' "$OUT/dunnd.two.b.log" | head -n 1 | cut -d= -f2);" \
		"duplicates at the sink $((ne - sent_email)) (mail $ne for $sent_email sent rows)," \
		"at the gateway $dup_sms; CPU in cores: dunnd a $(fmt2 "$(calc "($ua + $sa) / ($t1 - $t0)")")," \
		"b $(fmt2 "$(calc "($ub + $sb) / ($t1 - $t0)")"), postgres" \
		"$(fmt2 "$(calc "($(pg_cpu) - $p0) / ($t1 - $t0)")") of $(nproc) cores;" \
		"rss a $(fmt1 "$(calc "$ma / 1024")") MiB, b $(fmt1 "$(calc "$mb / 1024")") MiB"
}

small_book() {
	local n=$((N / 10)) due=$((DUE / 10))
	(( n % 7919 != 0 )) || n=$((n + 1))
	seed_book bench_small "$n" "$due"
	SEED_FROM=bench_small run_e2e 1 small
	say "book of $n accounts ($due due): e2e $(fmt0 "${R[e2e:small:1]}")/s, planning" \
		"$(fmt0 "${R[plan:small:1]}")/s, cpu $(fmt2 "${R[cpu10k:small:1]}") s/10k, peak rss" \
		"$(fmt1 "${R[rss:small:1]}") MiB; at $N accounts: rss $(fmt1 "$(med rss:e2e)") MiB" \
		"($(fmt0 "$(calc "100 * ($(med rss:e2e) / ${R[rss:small:1]} - 1)")")%)," \
		"cpu $(fmt2 "$(med cpu10k:e2e)") s/10k"
	q postgres "DROP DATABASE bench_small WITH (FORCE)"
}

# A system-wide profile of one more end-to-end run, recorded with call
# graphs. The machine may be shared, so after the share of every process
# the report keeps to this run's own (dunnd, its PostgreSQL's backends,
# smtp-sink, the gateway, by pid): their shares by object and each one's
# top symbols, self time (bench/tally.py perf, over perf script: perf
# report's --pid filter drops most samples of processes forked during the
# recording). perf.data stays in the results for perf report.
profile() {
	local f="$OUT/perf.txt" pids
	run_e2e_profiled
	pids=$({ cat "$W/perf.pids"; echo "$PM_PID $SINK_PID $GW_PID"; } | tr ' ' '\n' | grep -E '^[0-9]+$' |
		sort -un | paste -sd, -)
	perf script -i "$W/perf.data" -G -F comm,pid,ip,sym,dso 2>/dev/null >"$W/perf.script" || true
	{
		echo "== one end-to-end run, $(fmt0 "${R[e2e:perf:1]}")/s in $(fmt1 "${R[wall:perf:1]}") s," \
			"perf record -g -e cpu-clock -a; load before it $(cat "$W/perf.load")"
		/usr/bin/python3 "$DUNN_SRCDIR/bench/tally.py" perf "$W/perf.script" "$pids" || true
	} >"$f"
	mv "$W/perf.data" "$OUT/perf.data" 2>/dev/null || true
	say "profile of one more run (perf record -g -e cpu-clock -a; this run's processes by pid): $f"
}

run_e2e_profiled() {
	cut -d' ' -f1-3 /proc/loadavg >"$W/perf.load"
	: >"$W/perf.pids"
	perf record -q -g -e cpu-clock -a -o "$W/perf.data" -- sleep 600 >/dev/null 2>&1 &
	local ppid=$!
	sleep 1
	PIDS_FILE="$W/perf.pids" run_e2e 1 perf
	kill -INT "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null || true
}

# The command that reproduces this run: make bench with every BENCH_
# variable it was given.
bench_cmd() {
	local v c="make bench"
	for v in $(compgen -v BENCH_); do
		c+=" $v=${!v}"
	done
	echo "$c"
}

# The summary: medians over the rounds (ratios are the median of each
# round's ratio), the same figures with their min and max on the line
# before.
final_line() {
	say "summary, median (min-max) of $ROUNDS rounds: e2e $(mmm e2e:e2e)/s, ceiling $(mmm ceil)/s," \
		"combined ceiling $(mmm comb_ceil)/s, ratio $(mmm1 ratio), combined ratio $(mmm1 comb_ratio)," \
		"rss $(mmm1 rss:e2e) MiB; reproduce: $(bench_cmd)"
	echo "bench: e2e_per_s=$(fmt0 "$(med e2e:e2e)") ceiling_per_s=$(fmt0 "$(med ceil)")" \
		"combined_ceiling_per_s=$(fmt0 "$(med comb_ceil)") ratio=$(fmt2 "$(med ratio)")" \
		"combined_ratio=$(fmt2 "$(med comb_ratio)") rss_mb=$(fmt1 "$(med rss:e2e)")" |
		tee -a "$OUT/report.txt"
}
