#!/bin/sh
# Cache benchmark: hits/s on one thread and on all threads, a peer table in
# the same run, Python's functools.lru_cache for scale, and 10,000
# simultaneous misses on one key.
#   bench/memo/run.sh [build-dir] [seconds-per-run]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
secs=${2:-1}
if [ ! -x "$build/bench/memo_bench" ]; then
    cmake -S "$here/../.." -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target memo_bench -j2 >/dev/null
"$build/bench/memo_bench" "$secs"
/usr/bin/python3 - "$secs" <<'PY'
import functools, sys, time
secs = float(sys.argv[1])
@functools.lru_cache(maxsize=None)
def f(k):
    return {"k": k}
keys = ["key:%d" % i for i in range(1024)]
for k in keys:
    f(k)
n, end = 0, time.perf_counter() + secs
t0 = time.perf_counter()
while time.perf_counter() < end:
    for k in keys:
        f(k)
    n += len(keys)
print("%-44s %14.0f %14s" % ("peer: python3 functools.lru_cache (GIL)", n / (time.perf_counter() - t0), "-"))
PY
