#!/bin/sh
# Install what dunnd needs to build, test and demo on Debian 12.
# Quick when everything is present: only dpkg is consulted.
set -eu

PKGS="build-essential pkg-config libcurl4-openssl-dev libesmtp-dev libevent-dev
libpq-dev libjansson-dev check libssl-dev libicu-dev libcrypt-dev postgresql
postgresql-contrib postgresql-15-auto-failover python3-aiosmtpd python3-jsonschema python3 ca-certificates openssl pgbouncer groff-base man-db
chromium fonts-noto-cjk
clang clang-14 clang-format libclang-rt-14-dev valgrind"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# Node and npm run the payment providers' own libraries in the tests. A
# node that is already there (from any source) is kept: Debian's npm
# would fight another distribution's nodejs.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
