#!/bin/bash
# Every configuration key dunnd accepts is documented in dunnd.json(5):
# the key lists are read from lib/config.c, the page from man/.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
missing=0
keys=$(sed -nE '/ (keys|db_keys|http_keys|console_keys|api_keys)\[\] = \{/,/NULL};/p' "$src/lib/config.c" | grep -o '"[a-z_]*"' | tr -d '"' | sort -u)
for k in $keys; do
	if ! grep -qE "(^|[ .\"])$k([ ,\"]|$)" "$src/man/dunnd.json.5"; then
		echo "options: '$k' is accepted by lib/config.c but not documented in man/dunnd.json.5"
		missing=1
	fi
done
[ $missing -eq 0 ] && echo "options: all $(echo "$keys" | wc -w) keys documented"
exit $missing
