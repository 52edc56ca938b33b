#!/bin/sh
# bench/offload/run.sh — what offloading blocking calls buys, in one run.
#
# 1. offload_bench: the pt_offload round trip (a coroutine calling a no-op
#    back to back, then 64 calls in flight) against libuv's own thread pool
#    (uv_queue_work) on the same loop.
# 2. examples/offload with ONE worker: a Python client keeps 8 blocking
#    500 ms calls in flight (GET /sleep?ms=500, offloaded) while wrk measures
#    GET /fast; then the peer: the same 8 calls made on the worker itself
#    (GET /block?ms=500). Prints wrk's p50/p99 for /fast in both and the ratio.
#
# Not a test: prints numbers, never fails because something is slow.
#   bench/offload/run.sh [build-dir] [seconds-per-run]   (defaults: build, 3)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
build=${1:-$root/build}
secs=${2:-3}
if [ ! -x "$build/bench/offload_bench" ] || [ ! -x "$build/examples/offload" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
fi
cmake --build "$build" --target offload_bench offload -j2 >/dev/null || exit 1

echo "== pt_offload round trip (offload_bench, 1.5 s per configuration)"
"$build/bench/offload_bench" 1.5

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench/offload: wrk not installed (scripts/setup.sh installs it); HTTP part skipped"
    exit 1
fi

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$port PONTY_WORKERS=1 "$build/examples/offload" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; do
    i=$((i+1)); [ $i -gt 100 ] && { echo "bench/offload: server did not start"; exit 1; }
    sleep 0.05
done

# measure PATH SECS: 8 clients loop on PATH (500 ms calls) while wrk hits
# /fast for SECS seconds.
measure() {
    /usr/bin/python3 - "$port" "$1" "$(($2 + 2))" <<'PY' &
import http.client, sys, threading, time
port, path, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
end = time.monotonic() + secs
def loop():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < end:
        c.request("GET", path)
        c.getresponse().read()
ts = [threading.Thread(target=loop) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
PY
    load=$!
    sleep 1     # the 8 calls are in flight
    wrk -t1 -c4 -d"${2}s" --timeout 30s --latency "http://127.0.0.1:$port/fast" > "$build/bench/offload_wrk.txt" 2>&1
    wait $load
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} END {print p50, p99, rps}' "$build/bench/offload_wrk.txt"
}

to_ms() {  # wrk latency (e.g. 812.00us, 1.20ms, 2.01s) in ms
    echo "$1" | awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.3f", v}'
}

echo
echo "== GET /fast on 1 worker while 8 blocking 500 ms calls are in flight (wrk -t1 -c4)"
# The peer's /fast requests wait behind up to 8 x 500 ms of blocked loop:
# it gets at least 6 s so that some complete.
peer_secs=$secs; [ "$peer_secs" -lt 6 ] && peer_secs=6
set -- $(measure "/sleep?ms=500" "$secs"); o50=$(to_ms "$1"); o99=$(to_ms "$2"); orps=$3
set -- $(measure "/block?ms=500" "$peer_secs"); b50=$(to_ms "$1"); b99=$(to_ms "$2"); brps=$3
printf "%-40s %10s %10s %10s\n" "" "p50 ms" "p99 ms" "req/s"
printf "%-40s %10s %10s %10s\n" "ponty: calls offloaded (/sleep)" "$o50" "$o99" "$orps"
if awk -v r="$brps" 'BEGIN { exit !(r > 0) }'; then
    printf "%-40s %10s %10s %10s\n" "peer: calls on the worker (/block)" "$b50" "$b99" "$brps"
    awk -v o="$o99" -v b="$b99" 'BEGIN { if (o > 0) printf "p99 ratio peer/ponty: %.0fx\n", b / o }'
else
    printf "%-40s %s\n" "peer: calls on the worker (/block)" "no /fast request answered in ${peer_secs} s"
fi
awk -v o="$o99" 'BEGIN { printf "target: p99 of /fast < 5 ms with offload: %s\n", (o < 5 ? "PASS" : "MISS") }'
