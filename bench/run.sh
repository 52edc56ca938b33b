#!/bin/sh
# bench/run.sh — every ponty benchmark (`make bench` runs this).
#
#   bench/http/run.sh        wrk: hello_world vs nginx, aiohttp and lwan (always)
#   bench/http/callgrind.sh  user-space instructions per GET /hello (when valgrind
#                            is installed; BENCH_CALLGRIND=0 skips it)
#   bench/jsonschema/run.sh  JSON Schema validator benchmark (when present)
#   bench/memo/run.sh        cache hits/s and 10,000 simultaneous misses
#   bench/offload/run.sh     pt_offload round trip vs uv_queue_work; /fast p99 under blocking load
#   bench/client/run.sh      GET /proxy: ponty's pooled client vs nginx proxy_pass and Python ponty
#   bench/resilience/run.sh  breaker and throttle overhead per call
#   bench/reliability/run.sh memory per idle connection vs nginx, soak, overload; rewrites
#                            the table in docs/reliability.md (SOAK_SECS, here 60 s)
#   bench/jsonbody/run.sh    JSON bodies: ponty vs fastify over HTTP, parser
#                            and writer MB/s vs jansson and V8
#
# Benchmarks print numbers and ratios against peers measured in the same run;
# they are not tests. One suite failing to run does not stop the other; the
# exit status is non-zero only if a suite could not run at all.
# Environment knobs (BENCH_SECS, BENCH_ONLY, ...) are described in
# bench/README.md.
cd "$(dirname "$0")/.." || exit 1

rc=0
bash bench/http/run.sh || rc=1

if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
    echo
    bash bench/http/callgrind.sh || rc=1
fi

if [ -f bench/jsonschema/run.sh ]; then
    echo
    if [ -x bench/jsonschema/run.sh ]; then bench/jsonschema/run.sh || rc=1; else sh bench/jsonschema/run.sh || rc=1; fi
else
    echo
    echo "bench: bench/jsonschema/run.sh not present, skipped"
fi

if [ -f bench/memo/run.sh ]; then
    echo
    sh bench/memo/run.sh "${BENCH_BUILD_DIR:-build}" "${BENCH_MEMO_SECS:-2}" || rc=1
fi

if [ -f bench/offload/run.sh ]; then
    echo
    sh bench/offload/run.sh "${BENCH_BUILD_DIR:-build}" "${BENCH_OFFLOAD_SECS:-3}" || rc=1
fi

if [ -f bench/client/run.sh ]; then
    echo
    BENCH_BUILD_DIR="${BENCH_BUILD_DIR:-build}" bash bench/client/run.sh || rc=1
fi

if [ -f bench/resilience/run.sh ]; then
    echo
    sh bench/resilience/run.sh "${BENCH_BUILD_DIR:-build}" "${BENCH_RES_SECS:-0.5}" || rc=1
fi

if [ -f bench/reliability/run.sh ]; then
    echo
    SOAK_SECS=${SOAK_SECS:-60} sh bench/reliability/run.sh || rc=1
fi

if [ -f bench/jsonbody/run.sh ]; then
    echo
    PT_BUILD_DIR="$PWD/${BENCH_BUILD_DIR:-build}" bash bench/jsonbody/run.sh || rc=1
fi
exit $rc
