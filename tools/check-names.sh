#!/bin/sh
# One naming rule, checked on the built libraries: every exported pt_[a-z]
# symbol is declared in include/ (public API); cross-file internals are
# pt__, file-local statics have no prefix.
#   tools/check-names.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
bad=0
for lib in "$build/libponty.a" "$build/src/json/libpt_jsonschema.a"; do
    [ -f "$lib" ] || { echo "check-names: $lib not built"; exit 1; }
    for s in $(nm -g --defined-only "$lib" 2>/dev/null | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep '^pt_[a-z]' | sort -u); do
        if ! grep -rqw -- "$s" "$src/include"; then
            echo "check-names: $s is exported by $(basename "$lib") but not declared in include/ (internal names are pt__...)"
            bad=1
        fi
    done
done
exit $bad
