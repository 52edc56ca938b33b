#!/bin/sh
# Installs the built tree under a temporary prefix, builds examples/hello_world.c
# against it the way a user would (pkg-config ponty), runs it on a free port
# and asks it for /hello. Usage: check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -x "$tmp/prefix/bin/pt-jsonschema"
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
cc -O1 -o "$tmp/hello" "$src/examples/hello_world.c" $(pkg-config --cflags --libs --static ponty)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PORT=$port PONTY_WORKERS=1 "$tmp/hello" >"$tmp/out" 2>&1 &
pid=$!
i=0
until body=$(curl -sf "http://127.0.0.1:$port/hello"); do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/out"; exit 1; }; sleep 0.05
done
echo "$body" | grep -q '"data": {"greeting": "hello world"}' || { echo "unexpected body: $body"; exit 1; }
kill -TERM "$pid"; wait "$pid"; pid=
echo "install: 1 passed, 0 failed"
