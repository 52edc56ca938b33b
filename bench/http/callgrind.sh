#!/usr/bin/env bash
# bench/http/callgrind.sh — user-space instructions per request of one server,
# counted by valgrind's callgrind: repeatable on a loaded machine, where CPU
# time per request is not.
#
# The server runs under callgrind with instrumentation off; after a probe and
# a one-second warm-up (connections accepted, buffers grown, caches warm),
# instrumentation is switched on (callgrind_control) for wrk -t1 -c$CONNS
# over $SECS seconds, then off again before the server is stopped:
#   instructions per request = Ir counted / requests wrk counted.
# Start-up and shutdown are not counted; requests in flight at either edge
# (at most $CONNS of thousands) are the error. The kernel's share is not
# counted either: callgrind sees only user space.
#
# Then the functions with the most instructions (self cost) in the load run.
#
# Usage: bash bench/http/callgrind.sh [binary [path]]
#   binary   default build/examples/hello_world (given PORT, HOST, PONTY_WORKERS=1)
#   path     default /hello
# Environment: CG_SECS=3, CG_CONNS=64, CG_TOP=25 (functions listed),
#   CG_ENV="VAR=value ..." extra environment for the server,
#   CG_CWD=dir the server's working directory (default: the current one),
#   CG_BODY=file POSTs the file's bytes as JSON (bench/jsonbody/post.lua)
#     instead of GETs,
#   CG_KEEP=dir keeps the callgrind.out files there.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-build/examples/hello_world}
case $BIN in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
URLPATH=${2:-/hello}
SECS=${CG_SECS:-3}
CONNS=${CG_CONNS:-64}
TOP=${CG_TOP:-25}

note() { printf 'bench/http/callgrind: %s\n' "$*" >&2; }
for t in valgrind callgrind_annotate wrk curl; do
    command -v $t >/dev/null 2>&1 || { note "$t not installed; nothing measured"; exit 1; }
done
[ -x "$BIN" ] || { note "${BIN#"$ROOT"/} not built"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ponty-callgrind.XXXXXX")
SPID=""
cleanup() {
    [ -n "$SPID" ] && { kill -KILL "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
    if [ -n "${CG_KEEP:-}" ]; then mkdir -p "$CG_KEEP" && cp "$TMP"/cg.* "$CG_KEEP"/ 2>/dev/null; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $(( 20000 + RANDOM % 20000 ))
}

# callgrind_control finds the server through vgdb, whose rendezvous files
# are named after $HOST and $USER: both sides must see the same ones.
export HOST=127.0.0.1 USER=${USER:-ponty} LOGNAME=${LOGNAME:-${USER:-ponty}}

# run: one server under callgrind; prints the requests counted.
run() {
    local port i reqs=0
    port=$(free_port)
    # shellcheck disable=SC2086
    (cd "${CG_CWD:-.}" && exec env PORT="$port" PONTY_WORKERS=1 ${CG_ENV:-} \
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.load" \
        "$BIN") > "$TMP/load.log" 2>&1 &
    SPID=$!
    for i in $(seq 300); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port$URLPATH" && break
        kill -0 "$SPID" 2>/dev/null || { note "server exited: $(tail -n 3 "$TMP/load.log")"; exit 1; }
        sleep 0.1
    done
    local wrk_args=()
    [ -n "${CG_BODY:-}" ] && wrk_args=(-s "$ROOT/bench/jsonbody/post.lua")
    BODY_FILE=${CG_BODY:-} timeout -k 5 30 wrk -t1 -c"$CONNS" -d1s "${wrk_args[@]}" "http://127.0.0.1:$port$URLPATH" > /dev/null
    callgrind_control -i on "$SPID" > "$TMP/ctl.log" 2>&1 || { note "callgrind_control failed: $(cat "$TMP/ctl.log")"; exit 1; }
    reqs=$(BODY_FILE=${CG_BODY:-} timeout -k 5 $(( SECS + 30 )) wrk -t1 -c"$CONNS" -d"${SECS}s" "${wrk_args[@]}" \
           "http://127.0.0.1:$port$URLPATH" \
           | awk '/ requests in /{print $1; exit}')
    callgrind_control -i off "$SPID" >> "$TMP/ctl.log" 2>&1
    kill -TERM "$SPID"
    for i in $(seq 300); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    wait "$SPID" 2>/dev/null
    SPID=""
    echo "${reqs:-0}"
}

total_ir() { awk '/^totals:/{t = $2} END {print t + 0}' "$1"; }

n=$(run)
[ -f "$TMP/cg.load" ] && [ "${n:-0}" -gt 0 ] || { note "no result (requests: ${n:-0})"; exit 1; }
l=$(total_ir "$TMP/cg.load")
echo "server: ${BIN#"$ROOT"/} $URLPATH; wrk -t1 -c$CONNS -d${SECS}s under callgrind: $n requests"
awk -v l="$l" -v n="$n" 'BEGIN { printf "user-space instructions per request: %.0f  (%d over %d requests)\n", l / n, l, n }'
echo
echo "top functions by self instructions per request:"
fn_table() {  # callgrind.out -> "instructions<TAB>function" lines
    callgrind_annotate --threshold=100 --auto=no "$1" 2>/dev/null \
        | awk '/^-+$/ { sep++; next }
               sep >= 4 && $1 ~ /^[0-9,]+$/ {
                   ir = $1; gsub(",", "", ir); name = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", name)
                   if (name != "PROGRAM TOTALS") printf "%s\t%s\n", ir, name }'
}
fn_table "$TMP/cg.load" | awk -F'\t' -v n="$n" '{ printf "%10.1f  %s\n", $1 / n, $2 }' | sort -rn | head -n "$TOP"
