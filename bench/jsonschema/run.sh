#!/bin/sh
# JSON Schema validation benchmark: pt_jsonschema vs Python's jsonschema
# (Debian python3-jsonschema) vs ajv (npm), measured in the same run on the
# seed's Person schema with a valid and an invalid document.
#
#   sh bench/jsonschema/run.sh [SECONDS]     (build first: cmake --build build)
#
# Each driver validates an already-parsed document in a loop for SECONDS
# (default 2) and, when the document is invalid, reads the first error's
# message, as a 400 response would. ajv is installed into
# bench/jsonschema/node_modules (git-ignored) on first use.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PT_BUILD_DIR:-$root/build}
secs=${1:-2}
bench="$build/bench/json_bench"
python=${PYTHON:-/usr/bin/python3}

[ -x "$bench" ] || { echo "missing $bench: build first (cmake --build build)" >&2; exit 1; }
if [ ! -d "$here/node_modules/ajv" ]; then
    echo "installing ajv into $here/node_modules ..." >&2
    (cd "$here" && npm install --silent --no-audit --no-fund --no-save --prefix "$here" ajv@8 >/dev/null)
fi

schema="$here/person.schema.json"
row() { printf '%-9s %-20s %14s %10s   %s\n' "$@"; }
printf "%-9s %-20s %14s %10s   %s\n" doc engine "validations/s" "ours/this" "first error"
for doc in valid invalid; do
    data="$here/person.$doc.json"
    ours=$("$bench" "$schema" "$data" "$secs")
    py=$("$python" "$here/bench.py" "$schema" "$data" "$secs")
    ajv=$(NODE_PATH="$here/node_modules" node "$here/bench.js" "$schema" "$data" "$secs")
    o=${ours%% *}; p=${py%% *}; a=${ajv%% *}
    row "$doc" "pt_jsonschema (C)" "$o" "1.00x" "${ours#* }"
    row "$doc" "python jsonschema" "$p" "$(awk "BEGIN{printf \"%.1fx\", $o/$p}")" "${py#* }"
    row "$doc" "ajv (node)" "$a" "$(awk "BEGIN{printf \"%.2fx\", $o/$a}")" "${ajv#* }"
done
