#!/usr/bin/env python3
"""The one naming rule, applied: pt_ for what include/ declares (public),
pt__ for internals shared between files, no prefix for file-local statics.
Run from the repository root after adding code; tools/check-names.sh (a
ctest) fails when an exported pt_ symbol is not declared in include/."""
import os, re, sys

ROOT = os.getcwd()
ID = re.compile(r"\bpt_[a-z][a-z0-9_]*\b")

def files(dirs, exts):
    for d in dirs:
        for dp, _, fs in os.walk(d):
            for f in fs:
                if f.endswith(exts):
                    yield os.path.join(dp, f)

public = set()
for f in files(["include"], (".h", ".h.in")):
    public |= set(ID.findall(open(f).read()))

# file-local statics in src/*.c (functions and variables)
STATIC = re.compile(r"^(?:_Noreturn\s+)?static\s+(?:inline\s+)?(?:const\s+)?[A-Za-z_][\w\s\*]*?\b(pt_[a-z][a-z0-9_]*)\s*(\(|\[|=|;)", re.M)
renames_local = {}   # file -> {old: new}
all_src = list(files(["src"], (".c", ".h", ".S", ".cc", ".cpp")))
for f in all_src:
    if not f.endswith(".c"):
        continue
    text = open(f).read()
    ids_in_file = set(re.findall(r"\b[A-Za-z_]\w*\b", text))
    m = {}
    for name in set(STATIC.findall(text)):
        name = name[0]
        if name in public:
            continue
        new = name[3:]
        # collisions: another identifier in this file, a libc/keyword name
        if new in ids_in_file or new in {"free", "close", "open", "read", "write", "index", "stat", "time", "exit", "abort", "fail", "signal", "accept", "listen", "bind", "socket", "send", "recv", "shutdown", "sleep", "wait", "kill", "main", "log", "round", "random", "rand", "select", "poll", "printf", "puts", "strdup", "memset", "memcpy"}:
            new = "pt_" + name[3:]  # keep; decided below
            continue
        m[name] = new
    if m:
        renames_local[f] = m

# cross-file internals: every pt_ identifier in src/ that is not public and
# not a file-local static renamed above
internal = set()
for f in all_src:
    text = open(f).read()
    for name in set(ID.findall(text)):
        if name in public or name.startswith("pt__"):
            continue
        if f in renames_local and name in renames_local[f]:
            continue
        internal.add(name)
# a static kept with its prefix (collision) in one file must not become pt__ elsewhere by mistake: fine either way
targets = list(files(["src", "tests", "bench", "tools", "examples"], (".c", ".h", ".S", ".cc", ".cpp", ".txt", ".cmake"))) + list(files(["docs"], (".md",))) + ["README.md", "CMakeLists.txt"]
glob_map = {n: "pt__" + n[3:] for n in internal}
def sub_all(text, mapping):
    if not mapping:
        return text
    pat = re.compile(r"\b(" + "|".join(sorted(map(re.escape, mapping), key=len, reverse=True)) + r")\b")
    return pat.sub(lambda m: mapping[m.group(1)], text)
changed = 0
for f in targets:
    if not os.path.isfile(f):
        continue
    text = open(f).read()
    new = sub_all(text, glob_map)
    if f in renames_local:
        new = sub_all(new, renames_local[f])
    if new != text:
        open(f, "w").write(new)
        changed += 1
print(f"{len(internal)} cross-file internals -> pt__, {sum(len(v) for v in renames_local.values())} statics unprefixed, {changed} files changed")
