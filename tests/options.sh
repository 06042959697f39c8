#!/bin/bash
# Every configuration key dunnd accepts is documented: the option tables
# of man/dunnd.json.5 and README.md are what dunnd --dump-options prints
# (make options-doc writes them).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
b=${DUNN_BUILD:-$src/build}
exec python3 "$src/scripts/options-doc.py" --check "$b/dunnd" "$b/modules"
