#!/bin/bash
# make demo: start PostgreSQL and a mail sink, seed a multilingual book
# through dunnctl, walk 30 simulated days with `dunnd --once --at`, and
# print what went out each day, counted at the sink. Then dunnd runs as a
# daemon and the staff console's address and a demo login are printed;
# with KEEP=1 (make demo KEEP=1) it stays up until Ctrl-C.
set -euo pipefail
export DUNN_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
BIN="$DUNN_SRCDIR/$B"
. "$DUNN_SRCDIR/tests/servers/lib.sh"
trap 'servers_stop' EXIT
trap 'exit 130' INT TERM

# The demo runs as whoever started it, root on a fresh machine.
export DUNND_ALLOW_ROOT=1
START=2026-11-02
DAYS=30
echo "demo: starting PostgreSQL and the mail sink"
servers_start
PSQL="$(srv_pgbin)/psql"
"$PSQL" -q "$DUNN_PG" -c "CREATE DATABASE demo"
CONN="$DUNN_PG dbname=demo"
W="$SRV_DIR/demo"
mkdir -p "$W"
head -c 32 /dev/urandom | base64 >"$W/link_secret"
chmod 600 "$W/link_secret" # dunnd refuses a secret others may read
# The repository's policy, with a call for the team on each final step:
# the console's call queue has work when the walk is over.
/usr/bin/python3 - "$DUNN_SRCDIR/config/policy.json" "$W/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for t in p["tracks"]:
    for s in t["steps"]:
        if s["template"] == "final" and "phone" not in s["channels"]:
            s["channels"].append("phone")
json.dump(p, open(sys.argv[2], "w"), indent=2)
PY
cat >"$W/dunnd.json" <<JSON
{
  "database": {"conninfo": "$CONN"},
  "http": {"listen": "127.0.0.1:0", "admin_listen": "127.0.0.1:0", "public_url": "https://pay.demo.example",
           "link_secret_file": "link_secret"},
  "policy": "$W/policy.json",
  "templates": "$DUNN_SRCDIR/config/templates",
  "migrations": "$DUNN_SRCDIR/migrations",
  "module_dir": "$BIN/modules",
  "company": "Demo Telecom",
  "support": "support@demo.example",
  "log_level": "warning",
  "channels": {"email": {"module": "email", "server": "$DUNN_SMTP",
               "from": "Demo Telecom Billing <billing@demo.example>", "starttls": "off"},
               "phone": {"module": "phone_task"}}
}
JSON
ctl() { "$BIN/dunnctl" -c "$W/dunnd.json" "$@"; }
q() { "$PSQL" -qAt "$CONN" -c "$1"; }

ctl migrate | tail -n 1
/usr/bin/python3 "$DUNN_SRCDIR/scripts/demo_book.py" "$W" "$START" 240
ctl import accounts "$W/accounts.csv"
ctl import invoices "$W/invoices.csv"
# A few repeat defaulters: a resolved case from earlier this year puts
# them on the stricter track.
q "INSERT INTO dunning.cases (account_id, cycle, state, opened_at, closed_at, close_reason)
   SELECT id, 1, 'resolved', timestamptz '$START' - interval '90 days',
          timestamptz '$START' - interval '60 days', 'paid'
   FROM dunning.accounts WHERE id % 6 = 0"
echo "demo: $(q "SELECT count(*) FROM dunning.accounts") accounts," \
	"$(q "SELECT count(*) FROM dunning.invoices") invoices in" \
	"$(q "SELECT string_agg(DISTINCT currency, ' ' ORDER BY currency) FROM dunning.invoices")," \
	"locales $(q "SELECT string_agg(DISTINCT locale, ' ' ORDER BY locale) FROM dunning.accounts")"
echo "demo: before the walk, dunnctl simulate previews the policy (no sends, nobody pays):"
ctl simulate --days "$DAYS" --at "${START}T00:00:00Z" 2>/dev/null | tail -n 1 | sed 's/^/  /'
echo

printf '%-4s %-10s | %-27s | %-7s | %-4s %-5s %-5s | %-5s\n' day date \
	"reminders by stage (email)" notices paid promi dispu sink
printf '%-4s %-10s | %-6s %-6s %-6s %-5s | %-7s | %-4s %-5s %-5s | %-5s\n' "" "" \
	step1 step2 step3 total "" "" "" "" ""
sink_before=0
for day in $(seq 1 "$DAYS"); do
	date=$(date -u -d "$START + $((day - 1)) days" +%F)
	# Customers pay along the way: about one in twelve each few days.
	if (( day % 4 == 0 )); then
		for ref in $(q "SELECT external_ref FROM dunning.invoices
		                WHERE paid_at IS NULL AND hashtext(external_ref || '$day') % 8 = 0"); do
			ctl pay "$ref" --at "${date}T06:00:00Z" >/dev/null
		done
	fi
	# Some customers promise a date, some dispute a charge.
	if (( day == 3 )); then
		for ref in $(q "SELECT a.external_ref FROM dunning.accounts a JOIN dunning.cases c
		                ON c.account_id = a.id AND c.state = 'active' ORDER BY a.id LIMIT 8"); do
			ctl promise "$ref" --until "$(date -u -d "$date + 7 days" +%F)" \
				--at "${date}T05:00:00Z" >/dev/null
		done
	fi
	if (( day == 6 )); then
		for ref in $(q "SELECT i.external_ref FROM dunning.invoices i JOIN dunning.cases c
		                ON c.account_id = i.account_id AND c.state = 'active'
		                WHERE i.paid_at IS NULL ORDER BY i.id DESC LIMIT 4"); do
			ctl dispute "$ref" --reason "charge not recognised" --at "${date}T05:00:00Z" >/dev/null
		done
	fi
	if (( day == 12 )); then
		ctl dispute uphold D-1001 --note "duplicate charge" --at "${date}T05:00:00Z" >/dev/null
		ctl dispute reject D-1002 --note "usage confirmed" --at "${date}T05:00:00Z" >/dev/null
	fi
	# Six runs a day so every time zone gets its daytime window.
	for hour in 00 04 08 12 16 20; do
		"$BIN/dunnd" -c "$W/dunnd.json" --once --at "${date}T${hour}:00:00Z" \
			2>>"$W/dunnd.log" || { echo "demo: dunnd failed, see log:"; tail "$W/dunnd.log"; exit 1; }
	done
	read -r s1 s2 s3 tot <<<"$(q "SELECT count(*) FILTER (WHERE step = 1),
		count(*) FILTER (WHERE step = 2), count(*) FILTER (WHERE step = 3), count(*)
		FROM dunning.deliveries WHERE kind = 'reminder' AND channel = 'email'
		AND created_at >= '$date' AND created_at < date '$date' + 1" | tr '|' ' ')"
	conf=$(q "SELECT count(*) FROM dunning.deliveries WHERE kind <> 'reminder'
		AND created_at >= '$date' AND created_at < date '$date' + 1")
	promised=$(q "SELECT count(*) FROM dunning.cases WHERE state = 'paused'")
	disputed=$(q "SELECT count(*) FROM dunning.disputes WHERE resolved_at IS NULL")
	paid=$(q "SELECT count(*) FROM dunning.invoices WHERE paid_at >= '$date'
		AND paid_at < date '$date' + 1")
	sink_now=$(ls "$DUNN_MAILDIR" | grep -c '\.eml$' || true)
	printf '%-4s %-10s | %-6s %-6s %-6s %-5s | %-7s | %-4s %-5s %-5s | %-5s\n' "$day" "$date" \
		"$s1" "$s2" "$s3" "$tot" "$conf" "$paid" "$promised" "$disputed" \
		"$((sink_now - sink_before))"
	sink_before=$sink_now
done
echo "columns: notices = payment confirmations and promise/dispute notices;"
echo "         promi = cases paused on a promise; dispu = open disputes;"
echo "         sink = messages the mail sink received that day"
echo
echo "demo: deliveries by kind and status:"
q "SELECT '  ' || kind || ' ' || status || ': ' || count(*) FROM dunning.deliveries
   GROUP BY kind, status ORDER BY 1"
echo
echo "demo: deliveries by status:"
q "SELECT '  ' || status || ': ' || count(*) FROM dunning.deliveries GROUP BY status ORDER BY status"
echo "demo: cases by state and track:"
q "SELECT '  ' || state || ' / ' || coalesce(track, '-') || ': ' || count(*)
   FROM dunning.cases GROUP BY state, track ORDER BY 1"
echo "demo: the mail sink received $(ls "$DUNN_MAILDIR" | grep -c '\.eml$') messages;" \
	"dunnd recorded $(q "SELECT count(*) FROM dunning.deliveries WHERE status = 'sent'
	                     AND channel = 'email'") emails as sent"
echo "demo: a few subjects as customers read them:"
for f in $(ls "$DUNN_MAILDIR"/*.eml | head -n 6); do
	/usr/bin/python3 -c 'import email,email.policy,sys
m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default)
print("  ", m["to"].addresses[0].display_name, "|", m["subject"])' "$f"
done

# The staff console on the book the walk left: dunnd as a daemon.
DEMO_PW=demo-console-password
printf '%s\n' "$DEMO_PW" | ctl staff add demo --role admin --password-stdin >/dev/null
printf '%s\n' "$DEMO_PW" | ctl staff add agent-ko --role agent --locale ko --password-stdin >/dev/null
rm -f "$W/admin.port"
DUNND_ADMIN_PORT_FILE="$W/admin.port" "$BIN/dunnd" -c "$W/dunnd.json" 2>>"$W/dunnd.log" &
DUNND_PID=$!
trap 'kill "$DUNND_PID" 2>/dev/null; wait "$DUNND_PID" 2>/dev/null; servers_stop' EXIT
for _ in $(seq 100); do
	[ -s "$W/admin.port" ] && break
	kill -0 "$DUNND_PID" 2>/dev/null || { echo "demo: dunnd stopped, see $W/dunnd.log"; exit 1; }
	sleep 0.1
done
[ -s "$W/admin.port" ] || { echo "demo: dunnd did not listen, see $W/dunnd.log"; exit 1; }
echo
echo "demo: $(q "SELECT count(*) FROM dunning.phone_tasks WHERE completed_at IS NULL") call tasks wait in the console's queue"
echo "demo: staff console: http://127.0.0.1:$(cat "$W/admin.port")/console/"
echo "demo:   sign in as demo (admin) or agent-ko (agent, Korean), password $DEMO_PW"
if [ "${KEEP:-0}" = 1 ]; then
	echo "demo: KEEP=1: dunnd keeps running; Ctrl-C stops it and the servers"
	wait "$DUNND_PID" || true
else
	echo "demo: stopping (make demo KEEP=1 keeps the console running)"
fi
