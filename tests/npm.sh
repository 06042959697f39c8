#!/bin/sh
# Outside judges from the npm registry (test-only, never a runtime
# dependency), installed once into a cache, $DUNN_NPM_CACHE or
# ~/.cache/dunnd-npm:
#   (no argument)  the payment providers' own Node libraries the payment
#                  tests sign with, and puppeteer-core and axe-core that
#                  drive the console's browser test
#   openapi        Redocly's CLI, which check_api lints api/openapi.json with
# Prints the node_modules directory, or why it cannot be had (exit 1).
set -u
dir=${DUNN_NPM_CACHE:-${HOME:-/tmp}/.cache/dunnd-npm}
case "${1:-}" in
"") pkgs="stripe@23 @adyen/api-library@32 puppeteer-core@24 axe-core@4"
    need="stripe @adyen/api-library puppeteer-core axe-core" ;;
openapi) pkgs="@redocly/cli@2"; need="@redocly/cli" ;;
*) echo "usage: tests/npm.sh [openapi]"; exit 2 ;;
esac
command -v node >/dev/null 2>&1 || { echo "node is not installed (scripts/deps.sh installs nodejs)"; exit 1; }
missing=0
for m in $need; do
	[ -d "$dir/node_modules/$m" ] || missing=1
done
if [ $missing = 1 ]; then
	command -v npm >/dev/null 2>&1 || { echo "npm is not installed (scripts/deps.sh installs npm)"; exit 1; }
	mkdir -p "$dir" || { echo "cannot create $dir"; exit 1; }
	# One installer at a time: suites may start together.
	if ! out=$(cd "$dir" && flock "$dir/.lock" npm install --no-audit --no-fund --silent $pkgs 2>&1); then
		echo "npm install $pkgs into $dir failed: $(printf '%s' "$out" | tail -n 3)"
		exit 1
	fi
fi
echo "$dir/node_modules"
