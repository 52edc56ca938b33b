#!/bin/sh
# tests/fuzz/run.sh BUILD_DIR SECS JOBS TARGET... — runs each libFuzzer
# target for SECS seconds, JOBS targets at a time, from its seed corpus
# (tests/fuzz/corpus/<target>, read-only) plus BUILD_DIR/corpus/<target>
# (where new inputs go). Prints executions per target and fails if any
# target reported (crash, sanitizer report, leak, timeout); the report and
# the reproducer stay in BUILD_DIR/fuzz-<target>.log and BUILD_DIR/.
set -u
build=$1 secs=$2 jobs=$3
shift 3
src=$(cd "$(dirname "$0")" && pwd)
cd "$build" || exit 1
run_one() {
    t=$1
    mkdir -p "corpus/$t"
    # leaks are checked per input; rss_limit keeps a runaway input finite.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    ./tests/fuzz/"$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="./$t-" "corpus/$t" "$src/corpus/$t" >"fuzz-$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-$t.log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: $t: ${execs:-?} executions in ${secs} s, no report"
    else
        echo "fuzz: $t: FAILED (exit $rc) after ${execs:-?} executions; see $build/fuzz-$t.log"
        grep -E "ERROR|SUMMARY|runtime error" "fuzz-$t.log" | head -5
    fi
    return $rc
}
rc=0
pids=""
n=0
status_dir=$(mktemp -d)
for t in "$@"; do
    ( run_one "$t"; echo $? >"$status_dir/$t" ) &
    n=$((n + 1))
    if [ $n -ge "$jobs" ]; then
        wait
        n=0
    fi
done
wait
for t in "$@"; do
    [ "$(cat "$status_dir/$t" 2>/dev/null)" = 0 ] || rc=1
done
rm -rf "$status_dir"
exit $rc
