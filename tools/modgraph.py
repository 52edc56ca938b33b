#!/usr/bin/env python3
"""The module graph of src/, and the check that it stays acyclic.

    tools/modgraph.py SOURCE_DIR [BUILD_DIR]
    tools/modgraph.py --self-test

Prints one line per edge, "module -> module (what)", from two sources:

  includes  every #include "mod/..." in src/<module>/ naming another module
  symbols   (with BUILD_DIR) every function or object a module's objects use
            that another module's objects define: a call through a public
            header (ponty/*.h) is an edge too, which includes cannot show

and exits 1 if an edge is not in ALLOWED below (an upward edge, or one that
would close a cycle), 0 otherwise. ctest runs it as modules.layering.
"""
import os
import re
import subprocess
import sys

# Each module and the modules it may use, lowest first. The CMake object
# library of a module gets exactly these src/ directories on its include
# path (src/*/CMakeLists.txt); this table is the order docs/architecture.md
# draws. It must itself be acyclic: every module lists only modules above it
# in this list.
ALLOWED = {
    "core": [],
    "json": [],
    "route": ["core"],
    "fields": ["core", "json", "route"],
    "resilience": ["core"],
    "memo": ["core"],
    "client": ["core", "resilience"],
    "http": ["core", "json", "route", "fields", "resilience", "memo", "client"],
}
ORDER = list(ALLOWED)

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.M)


def include_edges(src):
    edges = {}
    for mod in sorted(os.listdir(src)):
        d = os.path.join(src, mod)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                for m in INCLUDE.finditer(f.read()):
                    to = m.group(1)
                    if to != mod and to != "ponty":
                        edges.setdefault((mod, to), []).append(f"{mod}/{name}: {to}/{m.group(2)}")
    return edges


def nm(path):
    out = subprocess.run(["nm", "-g", path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWGS":
            defined.add(parts[2])
    return defined, undefined


def symbol_edges(build):
    """Object files per module: CMake puts those of the object library
    pt_<mod> under src/<mod>/CMakeFiles/pt_<mod>.dir/."""
    objs = {}
    for mod in ORDER:
        d = os.path.join(build, "src", mod, "CMakeFiles", f"pt_{mod}.dir")
        if mod == "json":
            d = os.path.join(build, "src", "json", "CMakeFiles", "pt_jsonschema.dir")
        files = [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".o")] if os.path.isdir(d) else []
        if not files:
            sys.exit(f"modgraph: no objects for module {mod} under {d} (build first)")
        objs[mod] = files
    owner, uses = {}, {}
    for mod, files in objs.items():
        uses[mod] = set()
        for f in files:
            dfn, und = nm(f)
            for s in dfn:
                owner.setdefault(s, mod)
            uses[mod] |= und
    edges = {}
    for mod, und in uses.items():
        for s in sorted(und):
            to = owner.get(s)
            if to and to != mod:
                edges.setdefault((mod, to), []).append(s)
    return edges


def cyclic(allowed):
    seen, stack = set(), set()

    def visit(m):
        if m in stack:
            return True
        if m in seen:
            return False
        seen.add(m)
        stack.add(m)
        bad = any(visit(n) for n in allowed.get(m, []))
        stack.discard(m)
        return bad

    return any(visit(m) for m in allowed)


def self_test():
    """The check itself: a tree with an upward include and one with only
    allowed includes, in a temporary directory."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        for mod, text in (("memo", '#include "core/wait.h"\n'), ("core", ""), ("http", '#include "memo/x.h"\n')):
            os.makedirs(os.path.join(d, "src", mod))
            with open(os.path.join(d, "src", mod, "x.c"), "w") as f:
                f.write(text)
        if main(["modgraph", d]) != 0:
            print("modgraph self-test: allowed edges were refused")
            return 1
        with open(os.path.join(d, "src", "memo", "y.c"), "w") as f:
            f.write('#include "http/conn.h"\n')
        if main(["modgraph", d]) != 1:
            print("modgraph self-test: memo -> http was not refused")
            return 1
    print("modgraph self-test: ok")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    if cyclic(ALLOWED):
        print("modgraph: ALLOWED itself has a cycle")
        return 1
    bad = 0
    graphs = [("includes", include_edges(os.path.join(argv[1], "src")))]
    if len(argv) == 3:
        syms = symbol_edges(argv[2])
        # Edges every build has: if the objects' symbols yield none of them,
        # the reading of nm's output is broken, and an empty graph would pass.
        missing = [e for e in (("http", "core"), ("memo", "core"), ("fields", "json")) if e not in syms]
        if missing:
            print(f"modgraph: no symbol edge {missing} found in {argv[2]}: the objects were not read")
            return 1
        graphs.append(("symbols", syms))
    for kind, edges in graphs:
        print(f"# {kind}")
        for (a, b), why in sorted(edges.items(), key=lambda e: (ORDER.index(e[0][0]) if e[0][0] in ORDER else 99, e[0][1])):
            ok = a in ALLOWED and b in ALLOWED[a]
            print(f"{a} -> {b}{'' if ok else '   NOT ALLOWED'}  ({len(why)}: {', '.join(why[:4])}{' ...' if len(why) > 4 else ''})")
            if not ok:
                bad = 1
    if bad:
        print("modgraph: an edge goes up or sideways; the allowed order is in tools/modgraph.py (ALLOWED) "
              "and docs/architecture.md")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
