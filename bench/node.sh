# bench/node.sh — sourced (POSIX sh) by the benchmarks that run Node.js peers (fastify,
# ajv): makes a Node.js of at least version 20 the first `node` and `npm`
# on PATH, fetching one when the machine has none or an older one.
#
#   . "$root/bench/node.sh"; pt_bench_node "$build" || exit 1
#
# A `node` already on PATH whose major version is >= PT_NODE_MAJOR (20) is
# used as it is. Otherwise the npm registry's node-linux-<arch> package
# (the official Node.js binary, bin/node) of the newest PT_NODE_MAJOR.x
# release is unpacked into BUILD/node<MAJOR>/ once, and that directory's
# bin/ goes first on PATH. When there is no npm either, the registry's npm
# package (PT_NPM_MAJOR, 10) goes into BUILD/node<MAJOR>/lib/node_modules.
# Only the registry (PT_NPM_REGISTRY, default https://registry.npmjs.org)
# is contacted: per package one metadata request and one tarball, checked
# against the registry's sha512 integrity before it is unpacked.

# `local` is not POSIX but every sh the benchmarks run under (dash, bash,
# busybox) has it.
# shellcheck disable=SC3043

PT_NODE_MAJOR=${PT_NODE_MAJOR:-20}

pt_node_major() { # prints the major version of the node on PATH, or 0
    local v
    v=$(node --version 2>/dev/null) || { echo 0; return; }
    v=${v#v}
    echo "${v%%.*}"
}

# pt_npm_unpack PACKAGE MAJOR DEST: the newest MAJOR.x.y release of the
# registry's PACKAGE unpacked into DEST (the tarball's package/ directory),
# after checking its sha512 integrity.
pt_npm_unpack() {
    local pkg="$1" major="$2" dest="$3" registry meta ver url sri tgz ok
    registry=${PT_NPM_REGISTRY:-https://registry.npmjs.org}
    command -v curl >/dev/null || { echo "bench: curl is needed to fetch $pkg" >&2; return 1; }
    echo "bench: fetching $pkg@$major from $registry into $dest ..." >&2
    meta=$(curl -fsS --max-time 60 -H 'Accept: application/vnd.npm.install-v1+json' "$registry/$pkg") ||
        { echo "bench: cannot read $registry/$pkg" >&2; return 1; }
    # shellcheck disable=SC2046
    set -- $(printf '%s' "$meta" | python3 -c '
import json, sys
major = sys.argv[1]
d = json.load(sys.stdin)["versions"]
vs = [v for v in d if v.split(".")[0] == major and all(p.isdigit() for p in v.split("."))]
if vs:
    v = max(vs, key=lambda s: tuple(int(p) for p in s.split(".")))
    print(v, d[v]["dist"]["tarball"], d[v]["dist"].get("integrity", "-"))
' "$major")
    ver=${1:-} url=${2:-} sri=${3:-}
    [ -n "$url" ] || { echo "bench: no $pkg $major.x on $registry" >&2; return 1; }
    tgz=$(mktemp "${TMPDIR:-/tmp}/ponty-npm.XXXXXX")
    if ! curl -fsS --max-time 600 -o "$tgz" "$url"; then
        rm -f "$tgz"
        echo "bench: download of $url failed" >&2
        return 1
    fi
    case $sri in
        sha512-*)
            if [ "$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)" != "${sri#sha512-}" ]; then
                rm -f "$tgz"
                echo "bench: $url does not match the registry's integrity" >&2
                return 1
            fi ;;
    esac
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp" && tar -xzf "$tgz" -C "$dest.tmp" --strip-components=1 &&
        rm -rf "$dest" && mv "$dest.tmp" "$dest"
    ok=$?
    rm -f "$tgz"
    [ $ok -eq 0 ] || { rm -rf "$dest.tmp"; echo "bench: unpacking $pkg $ver failed" >&2; return 1; }
}

pt_bench_node() { # BUILD_DIR
    local build="$1" dir arch
    if [ "$(pt_node_major)" -ge "$PT_NODE_MAJOR" ] && command -v npm >/dev/null; then
        return 0
    fi
    dir="$build/node$PT_NODE_MAJOR"
    if [ "$(pt_node_major)" -lt "$PT_NODE_MAJOR" ] && [ ! -x "$dir/bin/node" ]; then
        case $(uname -m) in
            x86_64) arch=x64 ;;
            aarch64 | arm64) arch=arm64 ;;
            *) echo "bench: no Node.js >= $PT_NODE_MAJOR here and no npm build for $(uname -m)" >&2; return 1 ;;
        esac
        echo "bench: node $(node --version 2>/dev/null || echo missing) is older than $PT_NODE_MAJOR" >&2
        pt_npm_unpack "node-linux-$arch" "$PT_NODE_MAJOR" "$dir" && [ -x "$dir/bin/node" ] || return 1
    fi
    if [ -x "$dir/bin/node" ]; then
        PATH="$dir/bin:$PATH"
        export PATH
        hash -r
    fi
    [ "$(pt_node_major)" -ge "$PT_NODE_MAJOR" ] || { echo "bench: $dir/bin/node does not run" >&2; return 1; }
    # the package holds node alone: npm (to install the peers) from the
    # machine, or from the registry next to it
    if ! command -v npm >/dev/null; then
        mkdir -p "$dir/bin" "$dir/lib/node_modules"
        [ -f "$dir/lib/node_modules/npm/bin/npm-cli.js" ] ||
            pt_npm_unpack npm "${PT_NPM_MAJOR:-10}" "$dir/lib/node_modules/npm" || return 1
        ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/bin/npm"
        PATH="$dir/bin:$PATH"
        export PATH
        hash -r
    fi
    echo "bench: using $(command -v node) ($(node --version)), npm $(npm --version 2>/dev/null)" >&2
}
