#!/bin/sh
# Misuse of the declaration macros gives readable compiler messages. Each
# tests/compile/*.c names on its first line the message its compilation
# must print ("expect: ..."), or "(compiles)" for one that must build.
# Every file is compiled with gcc and clang as C11, and with g++ as C++20.
# Usage: check.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
fail=0 n=0
for f in "$src"/tests/compile/*.c; do
    want=$(sed -n '1s/^\/\* expect: \(.*\) \*\/$/\1/p' "$f")
    for cc in "gcc -std=gnu11" "clang -std=gnu11" "g++ -std=c++20 -x c++"; do
        n=$((n + 1))
        out=$($cc -c -Wall -I"$src/include" -I"$build/include" $(pkg-config --cflags jansson) "$f" -o /dev/null 2>&1)
        rc=$?
        case $want in
        "(compiles)"*)
            [ $rc -eq 0 ] || { echo "FAIL $cc $f: does not compile:"; echo "$out" | head -5; fail=$((fail + 1)); } ;;
        *)
            if [ $rc -eq 0 ]; then echo "FAIL $cc $f: compiled"; fail=$((fail + 1))
            elif ! printf '%s' "$out" | grep -qF "$want"; then
                echo "FAIL $cc $f: message lacks: $want"; echo "$out" | head -5; fail=$((fail + 1))
            fi ;;
        esac
    done
done
echo "compile messages: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
