#!/usr/bin/env bash
# bench/jsonbody/callgrind.sh — user-space instructions per request of
# json_body_server's GET /hello and POST /person (and the difference),
# counted by valgrind's callgrind: repeatable on a loaded machine, where the
# CPU-time ratio run.sh prints is not. Both counts come from
# bench/http/callgrind.sh (the POST with CG_BODY: the seed's Person).
#
#   bash bench/jsonbody/callgrind.sh          (build first: cmake --build build)
#
# Environment: CG_SECS (3), CG_CONNS (16), CG_KEEP=dir keeps the
# callgrind.out files (callgrind_annotate them for the per-function split),
# PT_BUILD_DIR (build).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PT_BUILD_DIR:-$root/build}
server="$build/bench/json_body_server"
export CG_CONNS=${CG_CONNS:-16} CG_TOP=0 CG_CWD="$here" # the server reads persons.schema.json from there

# count PATH [BODY]: prints instructions per request
count() {
    CG_BODY=${2:-} CG_KEEP=${CG_KEEP:+$CG_KEEP/${1#/}} bash "$root/bench/http/callgrind.sh" "$server" "$1" \
        | awk '/^user-space instructions per request:/ { print $5; found = 1 } END { exit !found }'
}

h=$(count /hello) || exit 1
p=$(count /person "$root/bench/jsonschema/person.valid.json") || exit 1
echo "user-space instructions per request (wrk -t1 -c$CG_CONNS -d${CG_SECS:-3}s under callgrind):"
echo "  GET /hello    $h"
echo "  POST /person  $p"
awk -v h="$h" -v p="$p" 'BEGIN { printf "  difference    %d  (POST / GET %.3fx)\n", p - h, p / h }'
