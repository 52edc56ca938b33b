#!/bin/sh
# Breaker and throttle overhead per call, with an empty call and an
# uncontended pthread mutex measured in the same run as peers.
#   bench/resilience/run.sh [build-dir] [seconds-per-case]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
secs=${2:-0.5}
if [ ! -x "$build/bench/res_bench" ]; then
    cmake -S "$here/../.." -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target res_bench -j2 >/dev/null
"$build/bench/res_bench" "$secs"
