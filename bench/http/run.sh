#!/usr/bin/env bash
# bench/http/run.sh — wrk against ponty's hello_world and its peers, in one run.
#
# For each target below: start the server pinned to core 0 on a free port,
# wait until it answers 200, warm up, run wrk pinned to core 1, read the
# server's CPU time (utime+stime of all its processes and threads) from /proc
# before and after the measured run, stop the server. Then print one table
# with req/s, p99, CPU µs per request and the ratios against nginx and
# aiohttp, and PASS/MISS for each target of the project's issue.
#
# A benchmark is not a test: this prints numbers and never fails because a
# target is slower. It exits non-zero only when it cannot run at all (no wrk).
# A target whose binary is missing is skipped with a note.
#
# All traffic goes to 127.0.0.1. Every load loop is bounded in time.
#
# Environment (all optional):
#   BENCH_SECS=10          measured seconds per target
#   BENCH_WARMUP=2         warm-up seconds per target (not measured)
#   BENCH_CONNS=64         wrk connections (one wrk thread)
#   BENCH_RUNS=3           rounds per target (interleaved); the report shows medians
#   BENCH_SERVER_CPU=0     core the servers are pinned to
#   BENCH_CLIENT_CPU=1     core wrk is pinned to
#   BENCH_ONLY=a,b         run only these targets (names from the table)
#   BENCH_TARGETS=...      replace the target table (same format as below)
#   BENCH_CHECKS=...       replace the check table (same format as below)
#   BENCH_PYTHON=/usr/bin/python3   interpreter for the aiohttp peer
#   BENCH_NGINX=/usr/sbin/nginx     nginx binary
#   BENCH_LWAN_SRC=dir     lwan's source: a checkout or a bare git directory
#                          (default: a shallow clone of BENCH_LWAN_GIT)
#   BENCH_LWAN_GIT=https://github.com/lpereira/lwan.git
#   BENCH_LWAN_BUILD=build/bench/lwan   where lwan is built (outside git's view;
#                          kept between runs, so it is built once)
#   BENCH_OUT=build/bench/http.tsv  machine-readable results (one row a target)

set -u

# ---------------------------------------------------------------------------
# Configuration: the targets. One line each, fields separated by '|':
#   name | kind | command | path | env
# kind:    nginx   — our own nginx (temp prefix, 1 worker), `return 200` with
#                    the same bytes as hello_world; command = nginx binary
#          aiohttp — bench/http/aiohttp_hello.py on aiohttp, one process
#          lwan    — lwan's "hello" sample (threads = 1), built from its public
#                    source into BENCH_LWAN_BUILD on first use; command = the
#                    sample's name. Skipped with a note when it cannot be built.
#          exec    — a ponty binary (relative to the repo root) plus args; it
#                    gets PORT=<port> and the env column in its environment
# path:    request path (and query) wrk asks for
# env:     space-separated VAR=value pairs for the server
# Add targets here; a missing binary is skipped with a note.
# ---------------------------------------------------------------------------
TARGETS_DEFAULT='
nginx          | nginx   | /usr/sbin/nginx              | /hello                | -
aiohttp        | aiohttp | bench/http/aiohttp_hello.py  | /hello                | -
lwan           | lwan    | hello                        | /                     | -
ponty          | exec    | build/examples/hello_world   | /hello                | PONTY_WORKERS=1
ponty-jsonpack | exec    | build/bench/bench_routes  | /hello                | PONTY_WORKERS=1 PT_BENCH_ROUTES=2
ponty-10routes | exec    | build/bench/bench_routes  | /hello                | PONTY_WORKERS=1 PT_BENCH_ROUTES=10
ponty-10k      | exec    | build/bench/bench_routes  | /hello                | PONTY_WORKERS=1 PT_BENCH_ROUTES=10000
ponty-params   | exec    | build/bench/bench_routes  | /hello/world?a=1&b=2  | PONTY_WORKERS=1 PT_BENCH_ROUTES=10
ponty-metrics  | exec    | build/bench/bench_routes  | /hello                | PONTY_WORKERS=1 PT_BENCH_ROUTES=10 PT_BENCH_OBSERVE=metrics
ponty-observed | exec    | build/bench/bench_routes  | /hello                | PONTY_WORKERS=1 PT_BENCH_ROUTES=10 PT_BENCH_OBSERVE=all
'

# The targets of the issue, checked against peers measured in this run:
#   target | measure | reference | op | threshold | description
# measure: rps (req/s), cpu (CPU µs/req), p99 (ms). With a reference target
# the ratio target/reference is compared; with '-' the value itself.
# The "15x per core" line is there because one wrk thread tops out near
# 210k req/s on the 2-core machine while aiohttp serves ~22k: 15x aiohttp's
# req/s is beyond what wrk -t1 can ask for, so the CPU form is the one that
# can still tell.
CHECKS_DEFAULT='
ponty          | rps | nginx          | >= | 0.9 | req/s >= 0.9x nginx
ponty          | cpu | nginx          | <= | 1.0 | CPU/req <= nginx
ponty          | cpu | lwan           | <= | 1.0 | CPU/req <= lwan (its hello sample, threads = 1)
ponty          | rps | aiohttp        | >= | 15  | req/s >= 15x aiohttp
ponty          | cpu | aiohttp        | <= | 0.0667 | CPU/req <= aiohttp/15 (15x per core)
ponty          | p99 | -              | <  | 1.0 | p99 < 1 ms at 64 connections
ponty-10k      | rps | ponty-10routes | >= | 0.9 | 10,000 routes: req/s within 10% of 10 routes
ponty-params   | rps | ponty          | >= | 0.9 | route param + 2 query params: >= 90% of plain req/s
ponty-metrics  | cpu | ponty-10routes | <= | 1.05 | metrics on: CPU/req <= 1.05x without
ponty-observed | cpu | ponty-10routes | <= | 1.2 | metrics + request ids + access log: CPU/req <= 1.2x without
'

# Peers the ratio columns are taken against.
REF_NGINX=nginx
REF_AIOHTTP=aiohttp
REF_LWAN=lwan

SECS=${BENCH_SECS:-10}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNS:-64}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
START_TIMEOUT=15          # seconds to wait for a server to answer
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${BENCH_OUT:-$ROOT/build/bench/http.tsv}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# ---------------------------------------------------------------------------
# Cleanup: every server we start is recorded; on exit all of them (and their
# descendants) are killed and the temp dir removed.
# ---------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ponty-bench-http.XXXXXX")
STARTED_PIDS=""

cleanup() {
    local p
    [ -n "$WRK_PID" ] && { kill -TERM "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; }
    for p in $STARTED_PIDS; do stop_server "$p"; done
    STARTED_PIDS=""
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench/http: interrupted" >&2; exit 130' INT TERM HUP

note() { printf 'bench/http: %s\n' "$*"; }

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

# A free TCP port on 127.0.0.1 (bind to port 0 and read back what we got).
free_port() {
    local p
    p=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) \
        || p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) \
        || p=$(( 20000 + RANDOM % 20000 ))
    printf '%s' "$p"
}

# The pid given and all its descendants, from the ppid field of /proc/*/stat.
tree_pids() {
    local f line
    for f in /proc/[0-9]*/stat; do
        { read -r line < "$f"; } 2>/dev/null && printf '%s\n' "$line"
    done | awk -v root="$1" '
        { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, a, " "); kids[a[2]] = kids[a[2]] " " pid }
        END {
            q[1] = root; n = 1; i = 1
            while (i <= n) {
                p = q[i++]; print p
                m = split(kids[p], c, " ")
                for (j = 1; j <= m; j++) q[++n] = c[j]
            }
        }'
}

# CPU ticks used so far by a server: utime+stime of each live process of its
# tree (a process's stat counts all its threads), plus cutime+cstime, which
# hold the time of descendants that already exited and were reaped, so a
# worker that is replaced mid-run is neither lost nor counted twice.
# Prints "total user": all ticks, and those spent in user space.
cpu_ticks() {
    local p line total=0 user=0
    for p in $(tree_pids "$1"); do
        { read -r line < "/proc/$p/stat"; } 2>/dev/null || continue
        line=${line##*) }
        # fields after "pid (comm) ": 1=state ... 12=utime 13=stime 14=cutime 15=cstime
        set -- $line
        total=$(( total + ${12} + ${13} + ${14} + ${15} ))
        user=$(( user + ${12} + ${14} ))
    done
    printf '%s %s' "$total" "$user"
}

alive() { kill -0 "$1" 2>/dev/null; }

# wrk pinned to the client core, bounded by -d and by timeout. Run in the
# background and waited for, so that a signal reaches our trap at once.
WRK_PID=""
run_wrk() {  # secs outfile wrk-args...
    local secs=$1 outfile=$2; shift 2
    timeout -k 5 $(( secs + 30 )) taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${secs}s" "$@" > "$outfile" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID"
    WRK_PID=""
}

# Stop a server and everything it started: TERM, wait up to 5 s, then KILL.
stop_server() {
    local root=$1 pids p i
    alive "$root" || return 0
    pids=$(tree_pids "$root")
    kill -TERM "$root" 2>/dev/null
    for i in $(seq 50); do
        local any=""
        for p in $pids; do alive "$p" && any=1; done
        [ -z "$any" ] && break
        sleep 0.1
    done
    for p in $pids; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
    wait "$root" 2>/dev/null
    STARTED_PIDS=$(printf '%s\n' $STARTED_PIDS | grep -vx "$root" | tr '\n' ' ')
    return 0
}

# GET url once; prints "<status> <content-type>" and writes the body to $2.
probe() {
    local url=$1 body=$2
    if command -v curl >/dev/null 2>&1; then
        curl -s --max-time 1 -o "$body" -w '%{http_code} %{content_type}' "$url" 2>/dev/null
    else
        "$PYTHON" - "$url" "$body" <<'EOF' 2>/dev/null
import sys, urllib.request
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=1)
    open(sys.argv[2], "wb").write(r.read())
    print(r.status, r.headers.get("Content-Type", ""), end="")
except urllib.error.HTTPError as e:
    print(e.code, "", end="")
EOF
    fi
}

# wrk latency "1.23ms" / "850.00us" / "1.02s" / "1.5m" -> milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (match(v, /^[0-9.]+/)) { n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1) } else { print "NA"; exit }
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
        if (f < 0) print "NA"; else printf "%.3f", n * f
    }'
}

# ---------------------------------------------------------------------------
# Starting each kind of server. Each sets SERVER_PID (or returns 1 with a note
# in SKIP_REASON when the target cannot run here).
# ---------------------------------------------------------------------------
SERVER_PID=""
SKIP_REASON=""

start_nginx() {   # name cmd port
    local name=$1 bin=${BENCH_NGINX:-$2} port=$3 prefix="$TMP/nginx-$1" m temps=""
    command -v "$bin" >/dev/null 2>&1 || { SKIP_REASON="nginx binary $bin not found"; return 1; }
    bin=$(command -v "$bin")
    mkdir -p "$prefix/logs" "$prefix/tmp"
    # Point every compiled-in temp path into the prefix, so nothing under
    # /var/lib/nginx is needed (nginx-light leaves some modules out).
    for m in proxy fastcgi uwsgi scgi; do
        "$bin" -V 2>&1 | grep -q -- "--without-http_${m}_module" && continue
        temps="$temps ${m}_temp_path $prefix/tmp/$m;"
    done
    cat > "$prefix/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity auto;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $prefix/tmp/body;
   $temps
    server {
        listen 127.0.0.1:$port;
        location = /hello {
            default_type "application/json; charset=utf-8";
            return 200 '{"now": 1700000000000, "data": {"greeting": "hello world"}, "elapsed": 0}';
        }
    }
}
EOF
    # worker_cpu_affinity auto inside a taskset -c N mask binds the worker to N.
    taskset -c "$SERVER_CPU" "$bin" -p "$prefix" -e "$prefix/logs/error.log" -c "$prefix/nginx.conf" \
        > "$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
}

start_aiohttp() {  # name script port
    local name=$1 script=$2 port=$3
    case $script in /*) ;; *) script="$ROOT/$script" ;; esac
    [ -f "$script" ] || { SKIP_REASON="$script not found"; return 1; }
    command -v "$PYTHON" >/dev/null 2>&1 || { SKIP_REASON="$PYTHON not found"; return 1; }
    "$PYTHON" -c 'import aiohttp' 2>/dev/null || { SKIP_REASON="aiohttp not importable by $PYTHON (apt-get install python3-aiohttp)"; return 1; }
    taskset -c "$SERVER_CPU" "$PYTHON" "$script" "$port" > "$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
}

# lwan: built from its public source (never part of this repository) into
# BENCH_LWAN_BUILD, once; later runs reuse the binary. Needs git (for a bare
# or remote source), cmake, a C compiler and zlib's headers, all installed by
# scripts/setup.sh.
LWAN_BUILD=${BENCH_LWAN_BUILD:-$ROOT/build/bench/lwan}
LWAN_ERR=""
build_lwan() {  # sample -> sets LWAN_BIN or LWAN_ERR
    local sample=$1 src=${BENCH_LWAN_SRC:-} log="$LWAN_BUILD/build.log"
    LWAN_BIN="$LWAN_BUILD/out/src/samples/$sample/$sample"
    [ -x "$LWAN_BIN" ] && return 0
    [ -n "$LWAN_ERR" ] && return 1
    mkdir -p "$LWAN_BUILD" || { LWAN_ERR="cannot create $LWAN_BUILD"; return 1; }
    command -v cmake >/dev/null 2>&1 || { LWAN_ERR="cmake not installed"; return 1; }
    [ -f /usr/include/zlib.h ] || { LWAN_ERR="zlib headers missing (make setup installs zlib1g-dev)"; return 1; }
    rm -rf "$LWAN_BUILD/src"
    if [ -z "$src" ]; then
        command -v git >/dev/null 2>&1 || { LWAN_ERR="git not installed and BENCH_LWAN_SRC not set"; return 1; }
        note "lwan: cloning ${BENCH_LWAN_GIT:-https://github.com/lpereira/lwan.git}"
        timeout 120 git clone -q --depth 1 "${BENCH_LWAN_GIT:-https://github.com/lpereira/lwan.git}" "$LWAN_BUILD/src" \
            > "$log" 2>&1 || { LWAN_ERR="git clone failed (set BENCH_LWAN_SRC to a checkout): $(tail -n 1 "$log")"; return 1; }
    elif [ -f "$src/CMakeLists.txt" ]; then
        cp -r "$src" "$LWAN_BUILD/src"
    elif git --git-dir="$src" rev-parse --verify -q HEAD >/dev/null 2>&1; then
        mkdir -p "$LWAN_BUILD/src" && git --git-dir="$src" archive HEAD | tar -x -C "$LWAN_BUILD/src" \
            || { LWAN_ERR="cannot export $src"; return 1; }
    else
        LWAN_ERR="BENCH_LWAN_SRC=$src is neither a source tree nor a git directory"; return 1
    fi
    note "lwan: building its $sample sample in ${LWAN_BUILD#"$ROOT"/} (once)"
    { cmake -S "$LWAN_BUILD/src" -B "$LWAN_BUILD/out" -DCMAKE_BUILD_TYPE=Release \
        && cmake --build "$LWAN_BUILD/out" --target "$sample" -j "$(nproc 2>/dev/null || echo 1)"; } > "$log" 2>&1
    [ -x "$LWAN_BIN" ] || { LWAN_ERR="build failed (see ${log#"$ROOT"/})"; return 1; }
}

start_lwan() {  # name sample port
    local name=$1 sample=$2 port=$3 dir="$TMP/lwan-$1"
    build_lwan "$sample" || { SKIP_REASON="lwan: $LWAN_ERR"; return 1; }
    # The sample reads <its name>.conf from its working directory.
    mkdir -p "$dir"
    printf 'keep_alive_timeout = 60\nquiet = true\nthreads = 1\nlistener 127.0.0.1:%s\n' "$port" > "$dir/$sample.conf"
    ( cd "$dir" && exec taskset -c "$SERVER_CPU" "$LWAN_BIN" ) > "$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
}

start_exec() {  # name "cmd args" port "env"
    local name=$1 cmd=$2 port=$3 envs=$4 bin
    # shellcheck disable=SC2086
    set -- $cmd
    bin=$1; shift
    case $bin in /*) ;; *) bin="$ROOT/$bin" ;; esac
    [ -x "$bin" ] || { SKIP_REASON="${bin#"$ROOT"/} not built"; return 1; }
    [ "$envs" = "-" ] && envs=""
    # env and taskset both exec, so $! is the server's own pid.
    # shellcheck disable=SC2086
    env PORT="$port" HOST=127.0.0.1 $envs taskset -c "$SERVER_CPU" "$bin" "$@" > "$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
}

# ---------------------------------------------------------------------------
# One target, one round: start, wait, warm up, measure, stop. Appends this
# round's figures to R_RPS/R_P99/R_CPU; the report uses their medians.
# ---------------------------------------------------------------------------
declare -A RPS P99 CPU USR REQS ERRS STATE INFO R_RPS R_P99 R_CPU R_USR OKRUNS
ORDER=()

run_target() {
    local name=$1 kind=$2 cmd=$3 path=$4 envs=$5 round=$6
    local port url status i c0 c1 out reqs rps p99 errs sock non2xx cpu
    case ${STATE[$name]:-} in skipped*) return ;; esac
    port=$(free_port)
    url="http://127.0.0.1:$port$path"
    SERVER_PID=""; SKIP_REASON=""
    case $kind in
        nginx)   start_nginx "$name" "$cmd" "$port" ;;
        aiohttp) start_aiohttp "$name" "$cmd" "$port" ;;
        lwan)    start_lwan "$name" "$cmd" "$port" ;;
        exec)    start_exec "$name" "$cmd" "$port" "$envs" ;;
        *)       SKIP_REASON="unknown kind '$kind'"; false ;;
    esac || { STATE[$name]="skipped: $SKIP_REASON"; note "$name: skipped ($SKIP_REASON)"; return; }
    STARTED_PIDS="$STARTED_PIDS $SERVER_PID"

    # Wait (bounded) until it answers 200 on the benchmarked path.
    status=""
    for i in $(seq $(( START_TIMEOUT * 10 ))); do
        alive "$SERVER_PID" || break
        status=$(probe "$url" "$TMP/$name.body")
        case $status in 200\ *) break ;; esac
        sleep 0.1
    done
    case $status in
        200\ *) ;;
        *)
            if alive "$SERVER_PID"; then
                STATE[$name]="skipped: GET $path answered '${status:-nothing}' within ${START_TIMEOUT}s"
            else
                STATE[$name]="skipped: server exited at startup (log: $(tail -n 2 "$TMP/$name.log" | tr '\n' ' '))"
            fi
            note "$name: ${STATE[$name]}"
            stop_server "$SERVER_PID"; return ;;
    esac
    INFO[$name]="${status#200 } $(wc -c < "$TMP/$name.body" | tr -d ' ') body bytes: $(head -c 120 "$TMP/$name.body" | tr "\n\r" "  ")"
    note "$name [round $round/$RUNS]: up on 127.0.0.1:$port (pid $SERVER_PID, $(tree_pids "$SERVER_PID" | wc -l) process(es)); warm-up ${WARMUP}s, measure ${SECS}s"

    # Warm-up (not measured), then the measured run, both bounded by timeout.
    run_wrk "$WARMUP" /dev/null "$url"
    read -r c0 u0 <<< "$(cpu_ticks "$SERVER_PID")"
    run_wrk "$SECS" "$TMP/$name.wrk" --latency "$url"
    read -r c1 u1 <<< "$(cpu_ticks "$SERVER_PID")"
    out=$(cat "$TMP/$name.wrk")
    stop_server "$SERVER_PID"

    reqs=$(printf '%s\n' "$out" | awk '/ requests in /{print $1; exit}')
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/{print $2; exit}')
    p99=$(printf '%s\n' "$out" | awk '/^ +99%/{print $2; exit}')
    sock=$(printf '%s\n' "$out" | awk -F'[ ,]+' '/Socket errors:/{print $4+$6+$8+$10; exit}')
    non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/{print $NF; exit}')
    errs=$(( ${sock:-0} + ${non2xx:-0} ))
    if [ -z "$reqs" ] || [ -z "$rps" ] || [ "$reqs" = 0 ]; then
        [ "${OKRUNS[$name]:-0}" -gt 0 ] || STATE[$name]="failed: wrk gave no result ($(printf '%s' "$out" | tail -n 1))"
        note "$name [round $round]: wrk gave no result ($(printf '%s' "$out" | tail -n 1))"
        return
    fi
    p99=$(to_ms "${p99:-NA}")
    # CPU µs per request = delta ticks / CLK_TCK / requests * 1e6
    cpu=$(awk -v d=$(( c1 - c0 )) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.3f", d / hz / n * 1e6 }')
    R_RPS[$name]="${R_RPS[$name]:-} $rps"
    R_P99[$name]="${R_P99[$name]:-} $p99"
    R_CPU[$name]="${R_CPU[$name]:-} $cpu"
    # user space's share of that CPU time, in percent
    usr=$(awk -v d=$(( c1 - c0 )) -v u=$(( u1 - u0 )) 'BEGIN { if (d > 0) printf "%.1f", u / d * 100; else print "NA" }')
    R_USR[$name]="${R_USR[$name]:-} $usr"
    REQS[$name]=$(( ${REQS[$name]:-0} + reqs ))
    ERRS[$name]=$(( ${ERRS[$name]:-0} + errs ))
    OKRUNS[$name]=$(( ${OKRUNS[$name]:-0} + 1 ))
    STATE[$name]=ok
    [ "$errs" -gt 0 ] && note "$name: $errs errors/non-2xx responses during the run (see wrk output)"
    note "$name [round $round]: $rps req/s, p99 $p99 ms, $cpu CPU µs/req ($(( c1 - c0 )) ticks over $reqs requests)"
}

# Median of a space-separated list of numbers ("NA" entries ignored).
median() {
    printf '%s\n' $1 | awk '$1 != "NA" && $1 != "" { v[++n] = $1 + 0 }
        END {
            if (n == 0) { print "NA"; exit }
            for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
            m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            printf "%.3f", m
        }'
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
command -v wrk >/dev/null 2>&1 || { note "wrk not installed (apt-get install wrk); nothing measured"; exit 1; }
command -v taskset >/dev/null 2>&1 || { note "taskset not installed (util-linux); nothing measured"; exit 1; }
ncpu=$(nproc 2>/dev/null || echo 1)
[ "$ncpu" -lt 2 ] && note "only $ncpu CPU: server and wrk share a core, numbers are not comparable to the targets"

only=",${BENCH_ONLY:-},"
TLINES=()
while IFS='|' read -r f_name f_kind f_cmd f_path f_env; do
    f_name=$(trim "$f_name")
    case $f_name in ''|'#'*) continue ;; esac
    if [ "$only" != ",," ] && [ "${only#*,"$f_name",}" = "$only" ]; then continue; fi
    ORDER+=("$f_name")
    TLINES+=("$f_name|$(trim "$f_kind")|$(trim "$f_cmd")|$(trim "$f_path")|$(trim "${f_env:--}")")
done <<< "${BENCH_TARGETS:-$TARGETS_DEFAULT}"

# Rounds are interleaved (every target once, then again) so that drift of the
# machine during the run hits all targets alike; the report takes medians.
for round in $(seq "$RUNS"); do
    for t in "${TLINES[@]}"; do
        IFS='|' read -r f_name f_kind f_cmd f_path f_env <<< "$t"
        run_target "$f_name" "$f_kind" "$f_cmd" "$f_path" "$f_env" "$round"
    done
done
for n in "${ORDER[@]}"; do
    [ "${STATE[$n]:-}" = ok ] || continue
    RPS[$n]=$(median "${R_RPS[$n]}")
    P99[$n]=$(median "${R_P99[$n]}")
    CPU[$n]=$(median "${R_CPU[$n]}")
    USR[$n]=$(median "${R_USR[$n]}")
done

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
ratio() {  # a b -> a/b with 2 decimals, or "-" when either is missing
    [ -n "${1:-}" ] && [ -n "${2:-}" ] || { printf -- '-'; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

echo
echo "ponty bench/http — wrk -t1 -c$CONNS -d${SECS}s --latency; server on core $SERVER_CPU, wrk on core $CLIENT_CPU;"
echo "median of $RUNS interleaved round(s) per target; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
# (max - min) / median of the per-round req/s, in percent: the run's noise.
spread() {
    printf '%s\n' $1 | awk '$1 != "" { v = $1 + 0; if (n++ == 0 || v < lo) lo = v; if (n == 1 || v > hi) hi = v }
        END { if (n < 2 || m + 0 == 0) print "-"; else printf "%.0f%%", (hi - lo) / m * 100 }' m="$2"
}

printf '%-16s %12s %9s %11s %7s %10s %10s %9s %12s %7s %7s\n' \
    target req/s "p99 ms" "CPU µs/req" "user %" "rps/nginx" "cpu/nginx" "cpu/lwan" "rps/aiohttp" errors spread
printf '%-16s %12s %9s %10s %7s %10s %10s %9s %12s %7s %7s\n' \
    ---------------- ------------ --------- ---------- ------- ---------- ---------- --------- ------------ ------- -------
mkdir -p "$(dirname "$OUT")" 2>/dev/null
printf 'target\treq_s\tp99_ms\tcpu_us_req\tuser_pct\trequests\terrors\trounds\treq_s_rounds\tp99_ms_rounds\tcpu_us_req_rounds\tstate\n' \
    > "$OUT" 2>/dev/null || OUT=/dev/null
for n in "${ORDER[@]}"; do
    if [ "${STATE[$n]}" = ok ]; then
        printf '%-16s %12s %9s %10s %7s %10s %10s %9s %12s %7s %7s\n' "$n" \
            "$(awk -v v="${RPS[$n]}" 'BEGIN { printf "%.0f", v }')" "${P99[$n]}" "${CPU[$n]}" "${USR[$n]}" \
            "$(ratio "${RPS[$n]}" "${RPS[$REF_NGINX]:-}")" \
            "$(ratio "${CPU[$n]}" "${CPU[$REF_NGINX]:-}")" \
            "$(ratio "${CPU[$n]}" "${CPU[$REF_LWAN]:-}")" \
            "$(ratio "${RPS[$n]}" "${RPS[$REF_AIOHTTP]:-}")" "${ERRS[$n]}" \
            "$(spread "${R_RPS[$n]}" "${RPS[$n]}")"
    else
        printf '%-16s %s\n' "$n" "(${STATE[$n]})"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "${RPS[$n]:-}" "${P99[$n]:-}" "${CPU[$n]:-}" "${USR[$n]:-}" \
        "${REQS[$n]:-}" "${ERRS[$n]:-}" "${OKRUNS[$n]:-0}" "$(trim "${R_RPS[$n]:-}")" \
        "$(trim "${R_P99[$n]:-}")" "$(trim "${R_CPU[$n]:-}")" "${STATE[$n]}" >> "$OUT"
done

echo
echo "responses (status 200, content type, body):"
for n in "${ORDER[@]}"; do
    [ -n "${INFO[$n]:-}" ] && printf '  %-16s %s\n' "$n" "${INFO[$n]}"
done

echo
echo "targets:"
while IFS='|' read -r c_t c_m c_ref c_op c_thr c_desc; do
    c_t=$(trim "$c_t")
    case $c_t in ''|'#'*) continue ;; esac
    c_m=$(trim "$c_m"); c_ref=$(trim "$c_ref"); c_op=$(trim "$c_op"); c_thr=$(trim "$c_thr"); c_desc=$(trim "$c_desc")
    case $c_m in rps) declare -n VAL=RPS ;; cpu) declare -n VAL=CPU ;; p99) declare -n VAL=P99 ;; *) continue ;; esac
    verdict="" value=""
    if [ "${STATE[$c_t]:-}" != ok ]; then
        verdict=SKIP; value="$c_t not measured"
    elif [ "$c_ref" != "-" ] && [ "${STATE[$c_ref]:-}" != ok ]; then
        verdict=SKIP; value="$c_ref not measured"
    elif [ "${VAL[$c_t]}" = NA ] || { [ "$c_ref" != "-" ] && [ "${VAL[$c_ref]}" = NA ]; }; then
        verdict=SKIP; value="no value"
    else
        if [ "$c_ref" = "-" ]; then
            v=${VAL[$c_t]}; value="$c_m $v"
        else
            v=$(awk -v a="${VAL[$c_t]}" -v b="${VAL[$c_ref]}" 'BEGIN { if (b + 0 == 0) print "NA"; else printf "%.3f", a / b }')
            value="$c_m ratio $v vs $c_ref"
        fi
        verdict=$(awk -v v="$v" -v t="$c_thr" -v op="$c_op" 'BEGIN {
            if (v == "NA") { print "SKIP"; exit }
            ok = (op == ">=") ? (v >= t) : (op == "<=") ? (v <= t) : (op == "<") ? (v < t) : (op == ">") ? (v > t) : 0
            print ok ? "PASS" : "MISS" }')
    fi
    printf '  %-4s %-14s %-52s %s\n' "$verdict" "$c_t" "$c_desc" "($value; need $c_op $c_thr)"
    unset -n VAL
done <<< "${BENCH_CHECKS:-$CHECKS_DEFAULT}"
[ "$OUT" != /dev/null ] && { echo; echo "results: ${OUT#"$ROOT"/}"; }
exit 0
