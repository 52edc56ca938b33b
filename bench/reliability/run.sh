#!/bin/sh
# bench/reliability/run.sh — the figures of docs/reliability.md, measured and
# written into its table: framing cases, memory per idle connection (vs
# nginx), a SOAK_SECS soak (default 600), overload shedding, and the last
# `make fuzz` run. Needs a build (BENCH_BUILD_DIR, default build).
cd "$(dirname "$0")/../.." || exit 1
exec /usr/bin/python3 bench/reliability/run.py
