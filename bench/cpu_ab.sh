#!/bin/bash
# dunnd's CPU per reminder, end to end, of several builds in turn over one
# seeded book (BENCHMARKS.md, "CPU per reminder"): each round runs
# dunnd --once of every build, each over a fresh copy of the book, and
# prints its user + system CPU (/usr/bin/time) per 10,000 messages.
#
#   bench/cpu_ab.sh ROUNDS BUILD...    builds are directories under the tree,
#                                      made with make B=DIR CFLAGS="-O2 -g" all
#   BENCH_ACCOUNTS (100000), BENCH_DUE (N/5); PERF_OUT=FILE: perf record -g
#   of each run's dunnd into FILE.BUILD.ROUND
set -euo pipefail
export DUNN_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$DUNN_SRCDIR/build-bench"
OUT="$CACHE/results-cpu"
. "$DUNN_SRCDIR/tests/servers/lib.sh"
. "$DUNN_SRCDIR/bench/lib.sh"
N=${BENCH_ACCOUNTS:-100000}
DUE=${BENCH_DUE:-$((N / 5))}
SMS_PCT=10 BATCH=500 SEND_BATCH=200 WORKERS=2 SESSION=100 SMS_CONN=64 PERF=0
AT=2026-11-10T12:00:00Z
[ $# -ge 2 ] || { echo "usage: bench/cpu_ab.sh ROUNDS BUILD..." >&2; exit 2; }
ROUNDS=$1
shift
bench_deps
mkdir -p "$OUT"
trap 'bench_stop' EXIT
bench_start
BIN="$DUNN_SRCDIR/$1"
seed_book bench_seed "$N" "$DUE"
for r in $(seq 1 "$ROUNDS"); do
	for b in "$@"; do
		BIN="$DUNN_SRCDIR/$b"
		pp=
		if [ -n "${PERF_OUT:-}" ]; then
			(
				while ! p=$(pgrep -f "^$BIN/dunnd -c $W/bench.json" -n); do sleep 0.05; done
				perf record -g -o "$PERF_OUT.$(basename "$b").$r" -p "$p" >/dev/null 2>&1
			) &
			pp=$!
		fi
		run_e2e "$r" "$b"
		[ -z "$pp" ] || wait "$pp" || true
		echo "cpu_ab: $b round $r: load $(cut -d' ' -f1 /proc/loadavg)," \
			"e2e $(fmt0 "${R[e2e:$b:$r]}")/s in $(fmt1 "${R[wall:$b:$r]}") s," \
			"${R[n_email:$b:$r]} mails, ${R[n_sms:$b:$r]} SMS, ${R[sent:$b:$r]} sent rows," \
			"dunnd cpu ${R[cpu:$b:$r]} s = $(fmt2 "${R[cpu10k:$b:$r]}") s/10k, exit ${R[rc:$b:$r]}"
	done
done
