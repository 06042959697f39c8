# Several dunnd processes on one database (BENCHMARKS.md, "Past one
# machine"): 1, 2 and 3 instances (BENCH_INSTANCES) of dunnd --once
# started together over the same seeded book, BENCH_ROUNDS rounds each.
# Reported per count: the combined rate (median, min, max), each
# process's share of the cases, duplicates at the sink and the gateway,
# and what saturates: CPU in cores of dunnd, PostgreSQL, the sink and
# the gateway, the machine's busy share, and what dunnd's backends were
# waiting on (pg_stat_activity sampled every 0.2 s).
# Sourced by bench/bench.sh after bench/lib.sh.

# /proc/stat: "busy total" jiffies of the whole machine.
machine_jiffies() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Samples dunnd's backends' wait events while $W/inst_sampling exists.
wait_sampler() {
	local file=$1
	while [ -e "$W/inst_sampling" ]; do
		q bench "SELECT coalesce(wait_event_type || ':' || wait_event, state)
		         FROM pg_stat_activity WHERE application_name = 'dunnd'
		           AND state <> 'idle'" >>"$file" 2>/dev/null || true
		echo "-" >>"$file"
		sleep 0.2
	done
}

# One run of $1 instances, round $2: fills R[inst_*:$1:$2].
instances_run() {
	local k=$1 r=$2 cfg t0 t1 c0 g0 p0 k0 w0 ne ns i pids=() j0 j1 sent dup_sms
	local cpu=0 share="" waits="$OUT/waits.inst$k.$r.txt" wpid
	reseed
	sink_restart
	gw_reset
	cfg=$(write_config bench)
	c0=$(sink_count)
	g0=$(gw_count)
	p0=$(pg_cpu)
	k0=$(proc_cpu "$SINK_PID")
	w0=$(proc_cpu "$GW_PID")
	read -r -a j0 < <(machine_jiffies)
	: >"$waits"
	touch "$W/inst_sampling"
	wait_sampler "$waits" &
	wpid=$!
	t0=$(date +%s.%N)
	for i in $(seq 1 "$k"); do
		DUNND_ALLOW_ROOT=1 /usr/bin/time -f '%e %U %S %M' -o "$W/time.inst.$i" "$BIN/dunnd" \
			-c "$cfg" --once --at "$AT" 2>"$OUT/dunnd.inst$k.$r.$i.log" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || echo "bench: dunnd $((i + 1)) of $k exited $?" >&2
	done
	t1=$(date +%s.%N)
	rm -f "$W/inst_sampling"
	wait "$wpid" || true
	read -r -a j1 < <(machine_jiffies)
	sleep 0.5
	ne=$(($(sink_count) - c0))
	ns=$(($(gw_count) - g0))
	for i in $(seq 1 "$k"); do
		read -r _ u s _ < <(tail -n 1 "$W/time.inst.$i")
		cpu=$(calc "$cpu + $u + $s")
		share="$share${share:+/}$(grep -o 'cycle_done queued=[0-9]*' "$OUT/dunnd.inst$k.$r.$i.log" |
			head -n 1 | cut -d= -f2)"
	done
	sent=$(q bench "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent' AND channel = 'email'")
	dup_sms=$(/usr/bin/python3 "$DUNN_SRCDIR/bench/tally.py" dups "$W/gateway.jsonl")
	R[inst_e2e:$k:$r]=$(calc "($ne + $ns) / ($t1 - $t0)")
	R[inst_wall:$k:$r]=$(calc "$t1 - $t0")
	R[inst_dunnd:$k:$r]=$(calc "$cpu / ($t1 - $t0)")
	R[inst_pg:$k:$r]=$(calc "($(pg_cpu) - $p0) / ($t1 - $t0)")
	R[inst_sink:$k:$r]=$(calc "($(proc_cpu "$SINK_PID") - $k0) / ($t1 - $t0)")
	R[inst_gw:$k:$r]=$(calc "($(proc_cpu "$GW_PID") - $w0) / ($t1 - $t0)")
	R[inst_busy:$k:$r]=$(calc "(${j1[0]} - ${j0[0]}) / (${j1[1]} - ${j0[1]} + 0.000001)")
	R[inst_share:$k:$r]=$share
	R[inst_dups:$k:$r]="$((ne - sent))/$dup_sms"
	R[inst_n:$k:$r]=$((ne + ns))
}

# The wait events of dunnd's active backends over the runs of $1
# instances, as shares of the samples: "CPU 0.61, IO:WALSync 0.20, ...".
# A backend with no wait event is running on a CPU (or waiting for one).
inst_waits() {
	cat "$OUT"/waits.inst"$1".*.txt 2>/dev/null | awk '
		$0 == "-" { next }
		{ n++; k = ($0 == "active") ? "CPU" : $0; c[k]++ }
		END { for (k in c) printf "%s %.2f\n", k, c[k] / n }' | sort -k2 -gr | head -n 4 |
		awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

instances() {
	local k r one
	for k in ${BENCH_INSTANCES:-1 2 3}; do
		instances_run "$k" 0 # warm-up, dropped
		for r in $(seq 1 "$ROUNDS"); do
			instances_run "$k" "$r"
			say "instances $k round $r: $(fmt0 "${R[inst_e2e:$k:$r]}")/s (${R[inst_n:$k:$r]} in" \
				"$(fmt1 "${R[inst_wall:$k:$r]}") s), cases queued per process ${R[inst_share:$k:$r]}," \
				"duplicates mail/sms ${R[inst_dups:$k:$r]}, cores: dunnd $(fmt2 "${R[inst_dunnd:$k:$r]}")" \
				"postgres $(fmt2 "${R[inst_pg:$k:$r]}") sink $(fmt2 "${R[inst_sink:$k:$r]}")" \
				"gateway $(fmt2 "${R[inst_gw:$k:$r]}"), machine busy $(fmt2 "${R[inst_busy:$k:$r]}")," \
				"load $(cut -d' ' -f1 /proc/loadavg)"
		done
		[ "$k" = 1 ] && one=$(med "inst_e2e:$k")
		say "instances $k: combined $(mmm "inst_e2e:$k")/s$([ -n "${one:-}" ] &&
			echo " ($(fmt2 "$(calc "$(med "inst_e2e:$k") / $one")") of one)"), cores dunnd" \
			"$(mmm1 "inst_dunnd:$k") postgres $(mmm1 "inst_pg:$k") sink $(mmm1 "inst_sink:$k")" \
			"gateway $(mmm1 "inst_gw:$k"), machine busy $(mmm1 "inst_busy:$k");" \
			"dunnd's backends: $(inst_waits "$k")"
	done
}
