#!/bin/sh
# Installs the Debian packages ponty needs, and only those that are missing.
# Run as root (or with sudo available). Prints what it installs and why.
set -eu

PKGS="cmake make gcc g++ clang libclang-rt-14-dev pkg-config curl \
libuv1-dev node-llhttp libjansson-dev libpcre2-dev libcurl4-openssl-dev \
libhiredis-dev redis-server libcmocka-dev json-schema-test-suite libsqlite3-dev \
python3 python3-pytest python3-jsonschema python3-rfc3987 python3-aiohttp python3-typing-extensions openssl nginx-light wrk valgrind \
git zlib1g-dev"
# `setup.sh cross` adds what `make aarch64-check` needs to run the aarch64
# context switch under qemu-user.
if [ "${1:-}" = cross ]; then
    PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# npm (the OpenAPI test's validator, the fastify benchmark): Debian's, unless
# a Node.js that bundles its own npm is installed (nodesource's nodejs, which
# conflicts with Debian's npm package).
if [ "${1:-}" != cross ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

echo "ponty setup: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "ponty setup: not root and no sudo. Install these packages as root, then re-run:" >&2
    echo "    apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# nginx and redis are only test/bench peers: do not leave their services running.
$SUDO apt-get install -y -q --no-install-recommends $missing
for svc in nginx redis-server; do
    if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true; fi
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
echo "ponty setup: done"
