#!/bin/bash
# make bench: dunnd end to end over a large book, beside the ceilings of
# what it drives (BENCHMARKS.md explains the method and the figures).
#
#   BENCH_ACCOUNTS (1000000)  accounts in the book
#   BENCH_DUE      (N/5)      cases due at the run's instant
#   BENCH_ROUNDS   (3)        measured rounds, after one warm-up round
#   BENCH_SMS_PCT  (10)       share of due cases whose track sends SMS
#   BENCH_BATCH (500), BENCH_SEND_BATCH (200)   dunnd batch_size, send_batch
#   BENCH_EMAIL_WORKERS (2), BENCH_SESSION_BATCH (100), BENCH_SMS_INFLIGHT (64)
#   BENCH_EXTRAS   (1)        queue health, long transaction, two instances,
#                             a book a tenth the size
#   BENCH_PERF     (0)        1: a system-wide perf profile (-g) of one more run
#   BENCH_ONLY     ()         "api": only the billing API's bulk upsert phase;
#                             "perf": only the profiled end-to-end run;
#                             "instances": only 1, 2, 3 dunnd on one database
#   BENCH_INSTANCES (1 2 3)   the instance counts of that phase
#   BENCH_API_INVOICES (50000) invoices per pass of that phase
#
# Every server is our own, on 127.0.0.1 or a unix socket: PostgreSQL,
# Postfix's smtp-sink (from the Debian package, extracted, not installed)
# and the gateway simulator. Results and logs: build-bench/results/.
set -euo pipefail
export DUNN_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build-bench}
BIN="$DUNN_SRCDIR/$B"
CACHE="$DUNN_SRCDIR/build-bench"
OUT="$CACHE/results"
. "$DUNN_SRCDIR/tests/servers/lib.sh"
. "$DUNN_SRCDIR/bench/lib.sh"
. "$DUNN_SRCDIR/bench/api.sh"
. "$DUNN_SRCDIR/bench/instances.sh"

N=${BENCH_ACCOUNTS:-1000000}
DUE=${BENCH_DUE:-$((N / 5))}
ROUNDS=${BENCH_ROUNDS:-3}
SMS_PCT=${BENCH_SMS_PCT:-10}
BATCH=${BENCH_BATCH:-500}
SEND_BATCH=${BENCH_SEND_BATCH:-200}
WORKERS=${BENCH_EMAIL_WORKERS:-2}
SESSION=${BENCH_SESSION_BATCH:-100}
SMS_CONN=${BENCH_SMS_INFLIGHT:-64}
EXTRAS=${BENCH_EXTRAS:-1}
PERF=${BENCH_PERF:-0}
AT=2026-11-10T12:00:00Z
AT_EPOCH=$(date -u -d '2026-11-10 12:00:00' +%s)
(( DUE * 2 <= N )) || { echo "bench: BENCH_DUE must be at most half of BENCH_ACCOUNTS" >&2; exit 2; }

bench_deps
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.tsv "$OUT"/*.txt
trap 'bench_stop' EXIT
trap 'exit 130' INT TERM
bench_start
if [ "${BENCH_ONLY:-}" = api ]; then
	api_bulk
	exit 0
fi
if [ "${BENCH_ONLY:-}" = instances ]; then
	say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	seed_book bench_seed "$N" "$DUE"
	say "book: $N accounts, $DUE due now ($SMS_PCT% of them by SMS), batch_size $BATCH," \
		"send_batch $SEND_BATCH, $WORKERS SMTP workers x $SESSION, $SMS_CONN SMS in flight"
	instances
	exit 0
fi
/usr/bin/python3 "$DUNN_SRCDIR/bench/pgbench_gen.py" "$DUNN_SRCDIR" "$W"

say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
	"$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "command: $(bench_cmd) (at commit $(git -C "$DUNN_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo unknown))"
say "book: $N accounts, $DUE due now ($SMS_PCT% of them by SMS), $DUE more waiting; batch_size $BATCH," \
	"send_batch $SEND_BATCH, $WORKERS SMTP workers x $SESSION messages per session, $SMS_CONN SMS in flight"

# Calibration: a 40-account book through dunnd to a dumping sink gives the
# message size smtp-source sends and the SMS request wrk sends.
calibrate
say "calibration: email message $MSG_SIZE bytes, SMS request $(wc -c <"$W/sms_body.json") bytes"

t=$(date +%s.%N)
seed_book bench_seed "$N" "$DUE"
say "seed: $N accounts, $N invoices, $((2 * DUE)) cases by SQL (generate_series, setseed)" \
	"in $(fmt1 "$(elapsed "$t")") s; database $(db_size bench_seed)"
N_SMS=$(q bench_seed "SELECT count(*) FROM dunning.accounts WHERE segment = 'sms'")
N_EMAIL=$((DUE - N_SMS))

t=$(date +%s.%N)
plan_books
say "delivery books: the seeded book planned by pgbench, one with email only, one with SMS only," \
	"in $(fmt1 "$(elapsed "$t")") s"

if [ "${BENCH_ONLY:-}" = perf ]; then
	profile
	exit 0
fi

for round in $(seq 0 "$ROUNDS"); do
	tag=$([ "$round" -eq 0 ] && echo "warm-up" || echo "round $round")
	ceiling_db "$round"
	ceiling_db2 "$round"
	ceiling_mail "$round"
	ceiling_sms "$round"
	ceiling_combined "$round"
	run_plan "$round"
	run_e2e "$round" e2e
	[ "$N_EMAIL" -gt 0 ] && run_deliver "$round" email
	[ "$N_SMS" -gt 0 ] && run_deliver "$round" sms
	say "$tag: $(round_line "$round")"
done

summary

if [ "$EXTRAS" = 1 ]; then
	queue_health
	long_transaction
	two_instances
	small_book
	api_bulk
fi
[ "$PERF" = 1 ] && profile
final_line
