#!/bin/bash
# make install DESTDIR=... PREFIX=/usr into a throwaway tree (own build
# directory, so the test build is untouched); check the tree, that the
# compiled-in paths match it, that the example config validates, and that
# every man page renders without warnings.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dunnd-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

if ! make -s -C "$SRC" install B="$tmp/build" DESTDIR="$root" PREFIX=/usr >"$tmp/make.log" 2>&1; then
	tail -n 20 "$tmp/make.log"
	echo "install: FAILED: make install"
	exit 1
fi

for f in usr/sbin/dunnd usr/bin/dunnctl usr/lib/dunnd/modules/email.so \
	usr/share/dunnd/migrations/0001_domain.sql usr/share/dunnd/presets/kr.json \
	usr/lib/systemd/system/dunnd.service usr/lib/sysusers.d/dunnd.conf \
	usr/lib/tmpfiles.d/dunnd.conf etc/dunnd/dunnd.json etc/dunnd/policy.json \
	etc/dunnd/templates/en usr/share/man/man8/dunnd.8 usr/share/man/man8/dunnctl.8 \
	usr/share/man/man5/dunnd.json.5 usr/include/dunnd/channel.h \
	usr/share/pkgconfig/dunnd-channel.pc; do
	[ -e "$root/$f" ] && ok "$f" || bad "missing $f"
done
for m in "$SRC"/build/modules/*.so; do
	[ -e "$m" ] || continue
	[ -e "$root/usr/lib/dunnd/modules/$(basename "$m")" ] || bad "module $(basename "$m") not installed"
done
[ -x "$root/usr/sbin/dunnd" ] || bad "dunnd not executable"
[ "$(stat -c %a "$root/etc/dunnd/credentials")" = 700 ] && ok "credentials 0700" ||
	bad "etc/dunnd/credentials is not 0700"

# Paths compiled in and written into the unit and pages match the layout.
strings "$root/usr/sbin/dunnd" | grep -qx /usr/lib/dunnd/modules && ok "module dir compiled in" ||
	bad "dunnd was not built with /usr/lib/dunnd/modules"
strings "$root/usr/sbin/dunnd" | grep -qx /usr/share/dunnd/migrations && ok "migrations dir compiled in" ||
	bad "dunnd was not built with /usr/share/dunnd/migrations"
grep -q '^ExecStart=/usr/sbin/dunnd -c /etc/dunnd/dunnd.json$' "$root/usr/lib/systemd/system/dunnd.service" &&
	ok "unit ExecStart" || bad "unit ExecStart does not name /usr/sbin/dunnd and /etc/dunnd/dunnd.json"
grep -q '^LoadCredential=link_secret:/etc/dunnd/credentials/link_secret$' \
	"$root/usr/lib/systemd/system/dunnd.service" && ok "unit LoadCredential" || bad "unit LoadCredential"
{ grep -rq '@[A-Z]*DIR@' "$root/usr/lib" "$root/usr/share/man" ||
	grep -rq '@[A-Z]*@' "$root/usr/share/pkgconfig"; } && bad "unsubstituted @...@ left" ||
	ok "no placeholders left"
grep -q '"link_secret_file": "link_secret"' "$root/etc/dunnd/dunnd.json" && ok "config names the credential" ||
	bad "example config does not name link_secret"

# The installed example config validates against the installed tree
# (module_dir and migrations re-rooted under DESTDIR, secret as a credential).
mkdir -p "$tmp/creds"
head -c 32 /dev/urandom | base64 >"$tmp/creds/link_secret"
chmod 600 "$tmp/creds/link_secret" # dunnd refuses a secret others may read
sed "s|^{|{ \"module_dir\": \"$root/usr/lib/dunnd/modules\", \"migrations\": \"$root/usr/share/dunnd/migrations\",|" \
	"$root/etc/dunnd/dunnd.json" >"$root/etc/dunnd/check.json"
if CREDENTIALS_DIRECTORY="$tmp/creds" "$root/usr/sbin/dunnd" -c "$root/etc/dunnd/check.json" \
	--check-config >"$tmp/check.log" 2>&1; then
	ok "example config: $(cat "$tmp/check.log")"
else
	bad "example config does not validate:"; sed 's/^/     /' "$tmp/check.log"
fi

# Man pages render without warnings.
for p in "$root"/usr/share/man/man*/*; do
	w=$( { MANWIDTH=80 man --warnings -l "$p" >/dev/null; groff -man -Tutf8 -ww -z "$p"; } 2>&1)
	[ -z "$w" ] && ok "man $(basename "$p")" || { bad "man $(basename "$p"):"; echo "$w" | sed 's/^/     /'; }
done

# The installed unit: exposure and syntax.
if command -v systemd-analyze >/dev/null; then
	e=$(systemd-analyze security --offline=true --no-pager "$root/usr/lib/systemd/system/dunnd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for dunnd.service: \([0-9.]*\).*/\1/p')
	awk -v e="${e:-99}" 'BEGIN { exit !(e <= 1.5) }' && ok "unit exposure $e" || bad "unit exposure ${e:-?} > 1.5"
else
	echo "skip unit exposure: systemd-analyze not installed"
fi

if [ $fails -gt 0 ]; then
	echo "install: FAILED ($fails)"
	exit 1
fi
echo "install: all checks passed"
