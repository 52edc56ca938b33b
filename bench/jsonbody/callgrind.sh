#!/usr/bin/env bash
# bench/jsonbody/callgrind.sh — user-space instructions per request of
# json_body_server's GET /hello and POST /person (and the difference),
# counted by valgrind's callgrind: repeatable on a loaded machine, where the
# CPU-time ratio run.sh prints is not.
#
# As bench/http/callgrind.sh does for GET routes: the server runs under
# callgrind with instrumentation off; after a probe and a one-second wrk
# warm-up, instrumentation is switched on (callgrind_control) for a wrk run
# of CG_SECS seconds (the POST through post.lua, the seed's Person as body),
# then off:  instructions per request = Ir counted / requests wrk counted.
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
SECS=${CG_SECS:-3}
CONNS=${CG_CONNS:-16}

note() { printf 'bench/jsonbody/callgrind: %s\n' "$*" >&2; }
for t in valgrind callgrind_control wrk curl python3; do
    command -v $t >/dev/null 2>&1 || { note "$t not installed; nothing measured"; exit 1; }
done
[ -x "$server" ] || { note "$server not built"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ponty-cg-json.XXXXXX")
SPID=""
cleanup() {
    [ -n "$SPID" ] && { kill -KILL "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
    if [ -n "${CG_KEEP:-}" ]; then mkdir -p "$CG_KEEP" && cp "$TMP"/cg.* "$CG_KEEP"/ 2>/dev/null; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
# callgrind_control finds the server through vgdb's rendezvous files, named
# after $HOST and $USER: both sides must see the same ones
export HOST=127.0.0.1 USER=${USER:-ponty}
export LOGNAME=${LOGNAME:-$USER}
cp "$here/persons.schema.json" "$TMP/" # the server reads it from its working directory

# count NAME PATH [BODY]: prints instructions per request
count() {
    local name=$1 path=$2 body=${3:-} port n args=()
    [ -n "$body" ] && args=(-s "$here/post.lua")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd "$TMP" && PORT=$port PONTY_WORKERS=1 exec valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$TMP/cg.$name" "$server") > "$TMP/$name.log" 2>&1 &
    SPID=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/hello" && break
        kill -0 "$SPID" 2>/dev/null || { note "server exited: $(tail -n 3 "$TMP/$name.log")"; exit 1; }
        sleep 0.1
    done
    BODY_FILE=$body timeout -k 5 30 wrk -t1 -c"$CONNS" -d1s "${args[@]}" "http://127.0.0.1:$port$path" > /dev/null
    callgrind_control -i on "$SPID" > /dev/null 2>&1 || { note "callgrind_control failed"; exit 1; }
    n=$(BODY_FILE=$body timeout -k 5 $((SECS + 30)) wrk -t1 -c"$CONNS" -d"${SECS}s" "${args[@]}" \
        "http://127.0.0.1:$port$path" | awk '/ requests in /{print $1; exit}')
    callgrind_control -i off "$SPID" > /dev/null 2>&1
    kill -TERM "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=""
    [ "${n:-0}" -gt 0 ] || { note "$name: no requests counted"; exit 1; }
    awk -v n="$n" '/^totals:/ { t = $2 } END { printf "%.0f\n", t / n }' "$TMP/cg.$name"
}

h=$(count hello /hello) || exit 1
p=$(count person /person "$root/bench/jsonschema/person.valid.json") || exit 1
echo "user-space instructions per request (wrk -t1 -c$CONNS -d${SECS}s under callgrind):"
echo "  GET /hello    $h"
echo "  POST /person  $p"
awk -v h="$h" -v p="$p" 'BEGIN { printf "  difference    %d  (POST / GET %.3fx)\n", p - h, p / h }'
