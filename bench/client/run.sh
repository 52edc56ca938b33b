#!/usr/bin/env bash
# bench/client/run.sh — the pooled HTTP client as a proxy: wrk asks
# GET /proxy/json of three proxies in front of the same local nginx upstream
# (which answers {"ok": true}), in one run:
#
#   ponty    examples/proxy, one worker, through the default pooled client
#            (plain http:// on a worker: the native HTTP/1.1 path)
#   ponty-curl  the same with PONTY_HTTP_CLIENT=curl: the libcurl path, for
#            comparison (not a target)
#   nginx    nginx itself, proxy_pass with upstream keep-alive, one worker
#   python   Python ponty's lease_http_client on aiohttp (bench/client/py_proxy.py;
#            it falls back to plain aiohttp with one ClientSession, and says so,
#            when Python ponty is not importable)
#
# The proxy under test is pinned to BENCH_SERVER_CPU, wrk and the upstream
# share BENCH_CLIENT_CPU. CPU per request is the proxy's own utime+stime over
# the measured run divided by the requests served. Prints req/s, p99, CPU
# µs/req, the ratios ponty/nginx and ponty/python, and PASS/MISS for the
# targets (>= 0.7x nginx's req/s, >= 10x Python's). A benchmark, not a test:
# it fails only when it cannot run (no wrk, nginx or build).
#
# Environment (optional):
#   BENCH_SECS=3  BENCH_WARMUP=1  BENCH_CONNS=32  BENCH_SERVER_CPU=0  BENCH_CLIENT_CPU=1
#   BENCH_BUILD_DIR=build        where examples/proxy is
#   PONTY_PY_DIR=<dir>           a checkout of github.com/csira/ponty (its
#                                ponty/ package is put on PYTHONPATH); unset:
#                                build/bench/ponty-py, cloned once when git and
#                                the network allow
#   BENCH_PYTHON=/usr/bin/python3  BENCH_NGINX=/usr/sbin/nginx
set -u

SECS=${BENCH_SECS:-3}
WARMUP=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNS:-32}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
NGINX=${BENCH_NGINX:-/usr/sbin/nginx}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ponty-bench-client.XXXXXX")
PIDS=""

note() { printf 'bench/client: %s\n' "$*"; }

cleanup() {
    local p
    for p in $PIDS; do stop "$p"; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'note interrupted; exit 130' INT TERM HUP

command -v wrk >/dev/null || { note "wrk not installed (apt-get install wrk)"; exit 1; }
[ -x "$NGINX" ] || { note "nginx not found at $NGINX (apt-get install nginx-light)"; exit 1; }
[ -x "$BUILD/examples/proxy" ] || { note "$BUILD/examples/proxy not built"; exit 1; }

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Descendants included: nginx's master and worker.
tree_pids() {
    local p=$1 c
    echo "$p"
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

cpu_ticks() {
    local p line total=0
    for p in $(tree_pids "$1"); do
        { read -r line < "/proc/$p/stat"; } 2>/dev/null || continue
        line=${line##*) }
        set -- $line
        total=$(( total + ${12} + ${13} ))
    done
    echo "$total"
}

stop() {
    local p=$1 i
    kill -0 "$p" 2>/dev/null || return 0
    kill -TERM "$p" 2>/dev/null
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}

wait_200() {  # url pid
    local i
    for i in $(seq 100); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# nginx with a temp prefix, one worker, pinned to $1; $2 = port; $3 = server block body.
start_nginx() {
    local cpu=$1 port=$2 body=$3 name=$4 prefix="$TMP/nginx-$4"
    mkdir -p "$prefix/logs" "$prefix/tmp"
    cat > "$prefix/nginx.conf" <<NGX
daemon off;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    upstream up { server 127.0.0.1:$UP_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$port;
        $body
    }
}
NGX
    taskset -c "$cpu" "$NGINX" -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" > "$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
}

# The shared upstream.
UP_PORT=$(free_port)
start_nginx "$CLIENT_CPU" "$UP_PORT" 'location = /json { default_type application/json; return 200 "{\"ok\": true}"; }' upstream
UP_PID=$SERVER_PID
PIDS="$PIDS $UP_PID"
wait_200 "http://127.0.0.1:$UP_PORT/json" "$UP_PID" || { note "upstream nginx did not start: $(tail -2 "$TMP/upstream.log")"; exit 1; }

# Python ponty, if it can be found.
PY_NOTE=""
PONTY_PY_DIR=${PONTY_PY_DIR:-$BUILD/bench/ponty-py}
if [ ! -d "$PONTY_PY_DIR/ponty" ] && command -v git >/dev/null; then
    timeout 30 git clone -q --depth 1 https://github.com/csira/ponty "$PONTY_PY_DIR" 2>/dev/null || rm -rf "$PONTY_PY_DIR"
fi
if [ -d "$PONTY_PY_DIR/ponty" ] && PYTHONPATH="$PONTY_PY_DIR" "$PYTHON" -c 'import ponty' 2>/dev/null; then
    PY_NOTE="Python ponty from $PONTY_PY_DIR"
else
    PY_NOTE="Python ponty not available: plain aiohttp with one ClientSession"
fi

declare -A RPS P99 CPU
run() {  # name
    local name=$1 port url c0 c1 out reqs
    port=$(free_port)
    url="http://127.0.0.1:$port/proxy/json"
    case $name in
        ponty|ponty-curl)
                env PORT="$port" PONTY_WORKERS=1 UPSTREAM_URL="http://127.0.0.1:$UP_PORT" \
                    PONTY_HTTP_CLIENT="$([ "$name" = ponty-curl ] && echo curl || echo native)" taskset -c "$SERVER_CPU" "$BUILD/examples/proxy" > "$TMP/$name.log" 2>&1 &
                SERVER_PID=$! ;;
        nginx)  start_nginx "$SERVER_CPU" "$port" 'location /proxy/ { proxy_pass http://up/; proxy_http_version 1.1; proxy_set_header Connection ""; }' proxy ;;
        python) PYTHONPATH="$PONTY_PY_DIR" taskset -c "$SERVER_CPU" "$PYTHON" "$HERE/py_proxy.py" "$port" \
                    "http://127.0.0.1:$UP_PORT" > "$TMP/$name.log" 2>&1 &
                SERVER_PID=$! ;;
    esac
    PIDS="$PIDS $SERVER_PID"
    if ! wait_200 "$url" "$SERVER_PID"; then
        note "$name did not answer 200: $(tail -3 "$TMP/$name.log" | tr '\n' ' ')"
        stop "$SERVER_PID"; return
    fi
    timeout $(( WARMUP + 20 )) taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$url" > /dev/null 2>&1
    c0=$(cpu_ticks "$SERVER_PID")
    out=$(timeout $(( SECS + 20 )) taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url" 2>&1)
    c1=$(cpu_ticks "$SERVER_PID")
    stop "$SERVER_PID"
    reqs=$(awk '/ requests in /{print $1; exit}' <<< "$out")
    RPS[$name]=$(awk '/^Requests\/sec:/{print $2; exit}' <<< "$out")
    P99[$name]=$(awk '/^ +99%/{print $2; exit}' <<< "$out")
    local errs
    errs=$(awk '/Non-2xx|Socket errors/' <<< "$out")
    [ -n "$errs" ] && note "$name: $errs"
    CPU[$name]=$(awk -v d=$(( c1 - c0 )) -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN { if (n > 0) printf "%.1f", d / hz / n * 1e6; else print "NA" }')
    note "$name: ${RPS[$name]:-NA} req/s, p99 ${P99[$name]:-NA}, ${CPU[$name]} CPU µs/req"
}

note "upstream nginx on 127.0.0.1:$UP_PORT (cpu $CLIENT_CPU, shared with wrk); proxies on cpu $SERVER_CPU; ${SECS}s, $CONNS connections"
note "$PY_NOTE"
for n in ponty ponty-curl nginx python; do run "$n"; done

ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "NA" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "NA") print "n/a"; else print (r + 0 >= t) ? "PASS" : "MISS" }'; }
echo
printf '%-11s %12s %10s %14s\n' proxy req/s p99 "CPU µs/req"
for n in ponty ponty-curl nginx python; do
    printf '%-11s %12s %10s %14s\n' "$n" "${RPS[$n]:-NA}" "${P99[$n]:-NA}" "${CPU[$n]:-NA}"
done
rn=$(ratio "${RPS[ponty]:-}" "${RPS[nginx]:-}")
rp=$(ratio "${RPS[ponty]:-}" "${RPS[python]:-}")
cn=$(ratio "${CPU[nginx]:-}" "${CPU[ponty]:-}")
cp=$(ratio "${CPU[python]:-}" "${CPU[ponty]:-}")
echo
printf 'ponty/nginx  req/s %sx  (target >= 0.7x: %s); CPU per request: nginx uses %sx of ponty'"'"'s\n' "$rn" "$(verdict "$rn" 0.7)" "$cn"
printf 'ponty/python req/s %sx  (target >= 10x: %s); CPU per request: python uses %sx of ponty'"'"'s\n' "$rp" "$(verdict "$rp" 10)" "$cp"
printf 'ponty native/libcurl path: req/s %sx, CPU per request %sx\n' "$(ratio "${RPS[ponty]:-}" "${RPS[ponty-curl]:-}")" \
    "$(ratio "${CPU[ponty]:-}" "${CPU[ponty-curl]:-}")"
echo "($PY_NOTE)"
