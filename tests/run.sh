#!/bin/bash
# make check: start real servers, run every Check suite, tear down always.
set -u
export DUNN_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
export DUNN_BUILD="$DUNN_SRCDIR/$B"
. "$DUNN_SRCDIR/tests/servers/lib.sh"
trap 'servers_stop' EXIT
trap 'exit 130' INT TERM

servers_start || { echo "check: could not start test servers" >&2; exit 1; }
# The daemon refuses root; tests run it as root on purpose.
export DUNND_ALLOW_ROOT=1
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}

failed=()
# What failed, kept for the end of the output: CI keeps only the tail of
# a long log, so a failure's reason must come last, not between suites.
details=""
for t in "$DUNN_BUILD"/tests/check_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	# make valgrind: only the suites that launch dunnd and dunnctl.
	[ "${DUNN_SUITES:-all}" = integration ] && [ ! -e "$DUNN_SRCDIR/tests/integration/$name.c" ] && continue
	# ONLY="check_page check_ctl": just those suites, nothing else (a
	# developer's quick loop; make check without it runs everything).
	if [ -n "${DUNN_ONLY:-}" ]; then
		case " $DUNN_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	t0=$(date +%s)
	out=$("$t" 2>&1)
	rc=$?
	summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks' | tail -n 1)
	printf '%-22s %s (%ss)\n' "$name" "${summary:-(no summary)}" "$(($(date +%s) - t0))"
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | sed 's/^/    /' | tail -n 40
		details+="$name:"$'\n'"$(printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | sed 's/^/    /' | tail -n 8)"$'\n'
		failed+=("$name")
	fi
done
# libFuzzer harnesses, briefly (make fuzz runs each for minutes): one
# line per harness: name, runs, result.
if [ -n "${DUNN_ONLY:-}" ]; then
	if [ ${#failed[@]} -gt 0 ]; then
		printf 'check: why (last lines of each failed suite):\n%s' "$details"
		echo "check: FAILED: ${failed[*]}"
		exit 1
	fi
	echo "check: the suites asked for passed"
	exit 0
elif [ "${DUNN_FUZZ:-1}" = 0 ]; then
	:
elif ! command -v clang >/dev/null 2>&1; then
	printf '%-22s %s\n' "fuzz" "SKIPPED: clang not installed (apt-get install clang-14 libclang-rt-14-dev)"
elif ! out=$(make -C "$DUNN_SRCDIR" --no-print-directory fuzz-build 2>&1); then
	printf '%-22s %s\n' "fuzz" "build failed"
	printf '%s\n' "$out" | grep -v '^  CC' | sed 's/^/    /' | tail -n 20
	failed+=("fuzz")
else
	"$DUNN_SRCDIR/tests/fuzz/run.sh" "${DUNN_FUZZ_SECONDS:-8}" 2 || failed+=("fuzz")
fi
# Every configuration key is documented.
out=$("$DUNN_SRCDIR/tests/options.sh" 2>&1) || failed+=("options.sh")
printf '%-22s %s\n' "options.sh" "$(printf '%s\n' "$out" | tail -n 1)"
# make install into a scratch tree: layout, paths, man pages, unit.
out=$("$DUNN_SRCDIR/tests/install.sh" 2>&1)
rc=$?
printf '%-22s %s\n' "install.sh" "$(printf '%s\n' "$out" | tail -n 1)"
if [ $rc -ne 0 ]; then
	printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/    /' | tail -n 40
	details+="install.sh:"$'\n'"$(printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/    /' | tail -n 8)"$'\n'
	failed+=("install.sh")
fi
if [ ${#failed[@]} -gt 0 ]; then
	[ -n "$details" ] && printf 'check: why (last lines of each failed suite):\n%s' "$details"
	echo "check: FAILED: ${failed[*]}"
	exit 1
fi
echo "check: all suites passed"
