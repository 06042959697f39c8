#!/bin/bash
# Run every libFuzzer harness in build-fuzz/ for SECONDS each, JOBS at a
# time (default 2: the machine is shared), one line per harness:
#   name  runs  result
# New inputs go to build-fuzz/corpus/NAME (seeded from tests/fuzz/corpus);
# crashes to build-fuzz/crashes/, with the log of a failed run. Logs are
# private to this run: several runs may share build-fuzz. Exit 1 if any
# harness failed.
set -u
SECONDS_EACH=${1:-300}
JOBS=${2:-2}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FB="$SRC/build-fuzz"
mkdir -p "$FB/crashes"
LOGS=$(mktemp -d "$FB/logs.XXXXXX") || exit 1
trap 'rm -rf "$LOGS"' EXIT

one() {
	local bin=$1 name=${1##*/fuzz_} rc
	local work="$FB/corpus/$name" log="$LOGS/$name.log"
	mkdir -p "$work"
	# ASan's leak check stays on: a leak is a failure like a crash.
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$FB/crashes/$name-" \
		"$work" "$SRC/tests/fuzz/corpus/$name" >"$log" 2>&1 </dev/null
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		result="ok (no crash in ${SECONDS_EACH}s)"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		cp "$log" "$FB/crashes/$name-$$.log"
		result="FAILED rc=$rc ${art:-see $FB/crashes/$name-$$.log}"
	fi
	printf '%-16s %10s runs  %s\n' "fuzz_$name" "${runs:-?}" "$result" >"$log.line"
	return $rc
}

bins=("$FB"/fuzz_*)
[ -x "${bins[0]}" ] || { echo "fuzz: no harnesses in $FB (make fuzz-build)"; exit 1; }
failed=0 running=0
for b in "${bins[@]}"; do
	one "$b" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
done
while [ $running -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
for b in "${bins[@]}"; do
	cat "$LOGS/${b##*/fuzz_}.log.line"
done
exit $failed
