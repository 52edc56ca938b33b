#!/bin/sh
# The installed tree works for a user. Installs the built tree under a
# temporary prefix and, the way a user would:
#   1. builds examples/hello_world.c with `pkg-config --cflags --libs ponty`
#      (the shared library), runs it and asks it for /hello;
#   2. the same with `pkg-config --static ponty-static` (libponty.a);
#   3. builds the README example as C++20 (g++) against the installed
#      headers and the shared library, and runs it;
#   4. builds a CMake project with find_package(ponty) against both
#      imported targets, and checks pt_version() against the headers;
#   5. checks the .pc file a multiarch libdir (lib/x86_64-linux-gnu) gets:
#      its includedir and libdir resolve under the prefix.
# Usage: check.sh BUILD_DIR SOURCE_DIR
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
passed=0

# serve BINARY PATH EXPECTED: runs it on a free port, GETs PATH, greps.
serve() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PORT=$port PONTY_WORKERS=1 "$1" >"$tmp/out" 2>&1 &
    pid=$!
    i=0
    until body=$(curl -sf "http://127.0.0.1:$port$2"); do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "$1 did not answer"; cat "$tmp/out"; exit 1; }; sleep 0.05
    done
    echo "$body" | grep -q "$3" || { echo "$1: unexpected body: $body"; exit 1; }
    kill -TERM "$pid"; wait "$pid"; pid=
    passed=$((passed + 1))
}

libdir=$(pkg-config --variable=libdir ponty)
# 1. shared, no --static
cc -O1 -o "$tmp/hello_shared" "$src/examples/hello_world.c" $(pkg-config --cflags --libs ponty) -Wl,-rpath,"$libdir"
readelf -d "$tmp/hello_shared" | grep -q 'NEEDED.*libponty\.so' || { echo "hello_shared does not use libponty.so"; exit 1; }
serve "$tmp/hello_shared" /hello '"data": {"greeting": "hello world"}'

# 2. static: ponty-static.pc names libponty.a itself
cc -O1 -o "$tmp/hello_static" "$src/examples/hello_world.c" $(pkg-config --cflags --libs --static ponty-static)
if readelf -d "$tmp/hello_static" | grep -q 'NEEDED.*libponty'; then echo "hello_static links libponty.so"; exit 1; fi
serve "$tmp/hello_static" /hello '"data": {"greeting": "hello world"}'

# 3. the README example as C++20
sed -n '/^```c$/,/^```$/p' "$src/README.md" | sed '1d;$d' | awk 'BEGIN{n=0} /^```/{exit} {print}' >"$tmp/readme.cpp"
grep -q 'PT_GET_IN' "$tmp/readme.cpp" || { echo "README example not found"; exit 1; }
g++ -std=c++20 -Wall -Werror -O1 -o "$tmp/readme_cxx" -x c++ "$tmp/readme.cpp" \
    $(pkg-config --cflags --libs ponty) -Wl,-rpath,"$libdir"
# The example serves on 8080 as written; run it with pt_run's port from
# the source replaced, so parallel tests do not collide.
sed 's/pt_run(.port = 8080)/pt_run(.port = (int)pt_env_long("PORT", 8080))/' "$tmp/readme.cpp" >"$tmp/readme2.cpp"
g++ -std=c++20 -O1 -o "$tmp/readme_cxx" -x c++ "$tmp/readme2.cpp" $(pkg-config --cflags --libs ponty) -Wl,-rpath,"$libdir"
serve "$tmp/readme_cxx" '/hello/you?lang=es' '"greeting": "es you!"'

# 4. CMake find_package
mkdir -p "$tmp/cm"
cat >"$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(ponty 0.1 REQUIRED)
add_executable(hello_shared hello.c)
target_link_libraries(hello_shared PRIVATE ponty::ponty)
add_executable(hello_static hello.c)
target_link_libraries(hello_static PRIVATE ponty::ponty_static)
add_executable(version version.c)
target_link_libraries(version PRIVATE ponty::ponty)
CM
cp "$src/examples/hello_world.c" "$tmp/cm/hello.c"
cat >"$tmp/cm/version.c" <<'VC'
#include <ponty.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    printf("%s %d\n", pt_version(), PT_VERSION_NUMBER);
    return strcmp(pt_version(), PT_VERSION_STRING) != 0;
}
VC
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/cm.log" 2>&1 \
    || { cat "$tmp/cm.log"; exit 1; }
cmake --build "$tmp/cm/build" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; exit 1; }
"$tmp/cm/build/version" | grep -q "^$(pkg-config --modversion ponty) " || { echo "version mismatch"; exit 1; }
serve "$tmp/cm/build/hello_shared" /hello '"greeting": "hello world"'
serve "$tmp/cm/build/hello_static" /hello '"greeting": "hello world"'

# 5. a multiarch libdir: configure only, then place the .pc file where it
#    would be installed and ask pkg-config where things are.
cmake -S "$src" -B "$tmp/ma" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu \
    >"$tmp/ma.log" 2>&1 || { cat "$tmp/ma.log"; exit 1; }
mkdir -p "$tmp/ma/root/usr/lib/x86_64-linux-gnu/pkgconfig"
cp "$tmp/ma/ponty.pc" "$tmp/ma/root/usr/lib/x86_64-linux-gnu/pkgconfig/"
inc=$(PKG_CONFIG_PATH="$tmp/ma/root/usr/lib/x86_64-linux-gnu/pkgconfig" pkg-config --variable=includedir ponty)
lib=$(PKG_CONFIG_PATH="$tmp/ma/root/usr/lib/x86_64-linux-gnu/pkgconfig" pkg-config --variable=libdir ponty)
[ "$(cd "$inc" 2>/dev/null || mkdir -p "$inc"; cd "$inc" && pwd)" = "$tmp/ma/root/usr/include" ] \
    || { echo "multiarch includedir is $inc"; exit 1; }
[ "$(cd "$lib" && pwd)" = "$tmp/ma/root/usr/lib/x86_64-linux-gnu" ] || { echo "multiarch libdir is $lib"; exit 1; }
passed=$((passed + 1))

echo "install: $passed passed, 0 failed"
