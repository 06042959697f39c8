# The billing API's bulk upsert (sourced by bench.sh): dunnd in daemon
# mode on its own database, bench/api_client.py posting invoices 1,000 a
# request to the admin listener. BENCH_API_INVOICES (50000) per pass.
api_bulk() {
	local db=bench_api cfg n=${BENCH_API_INVOICES:-50000} pid port line ins upd
	q postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null
	q postgres "CREATE DATABASE $db"
	cfg=$(write_config "$db")
	echo "bench:bench-api-key-0123456789abcdef" >"$W/api_keys"
	chmod 600 "$W/api_keys"
	# The invoices are not yet due: the poller has nothing to do meanwhile.
	/usr/bin/python3 - "$cfg" "$W/api_keys" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["api"] = {"keys_file": sys.argv[2]}
	c["poll_interval_ms"] = 600000
	json.dump(c, open(sys.argv[1], "w"))
	PY
	"$BIN/dunnctl" -c "$cfg" migrate >/dev/null
	rm -f "$W/api.port"
	DUNND_ALLOW_ROOT=1 DUNND_ADMIN_PORT_FILE="$W/api.port" "$BIN/dunnd" -c "$cfg" \
		2>"$OUT/dunnd.api.log" &
	pid=$!
	for _ in $(seq 1 300); do
		[ -s "$W/api.port" ] && break
		sleep 0.1
	done
	port=$(cat "$W/api.port")
	"$DUNN_SRCDIR/bench/api_client.py" "127.0.0.1:$port" bench-api-key-0123456789abcdef "$n" 5000 \
		>"$W/api.out" || { kill "$pid"; cat "$W/api.out" >&2; return 1; }
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	ins=$(sed -n 's/^pass=insert .*per_s=\([0-9]*\).*/\1/p' "$W/api.out")
	upd=$(sed -n 's/^pass=update .*per_s=\([0-9]*\).*/\1/p' "$W/api.out")
	while read -r line; do
		say "api bulk upsert: $line"
	done <"$W/api.out"
	say "api bulk upsert: $n invoices in requests of 1000: insert ${ins}/s, update ${upd}/s" \
		"(load $(cut -d' ' -f1-3 /proc/loadavg))"
	API_PER_S=$ins
	q postgres "DROP DATABASE $db WITH (FORCE)"
}
