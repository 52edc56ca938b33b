"""pt_json_parse against Python's json.loads on random and mutated texts.

Each text goes through pt-jsonschema with the schema {} (which reads its
instance with pt_json_parse): it must accept exactly the texts json.loads
accepts, and for the ones both refuse, report the same reason, line, column
and position (texts are ASCII, so Python's character positions are bytes).
Accepted texts are also validated against a schema that compares them with
the value Python read (const), so the tree holds what json.loads holds.

    parse_differential.py PT_JSONSCHEMA [CASES] [SEED]"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

tool = sys.argv[1]
cases = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)


def value(depth):
    k = rng.randrange(9 if depth < 4 else 6)
    if k == 0:
        return rng.choice([None, True, False])
    if k == 1:
        return rng.choice([0, -1, 7, 2**63 - 1, -(2**63), 2**63, -(2**64) - 3, 10**25])
    if k == 2:
        return rng.choice([0.5, -1e-7, 1e300, 2.5e-308, 123.456])
    if k in (3, 4, 5):
        return "".join(rng.choice('ab "\\/\b\n\t\u0000\u001f\u00e9\ud800\udc00') for _ in range(rng.randrange(6)))
    if k in (6, 7):
        return [value(depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "c", "\u0000", "\\"]): value(depth + 1) for _ in range(rng.randrange(4))}


MUT = list('{}[]",:0123456789-+.eE tfnrulsa\\/') + ["\\u", "\\ud800", "\n", "1e400", "00", "-0", "true", "null"]


def mutate(text):
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(3)
        if op == 0 and text:
            text = text[:i] + text[i + 1:]
        elif op == 1:
            text = text[:i] + rng.choice(MUT) + text[i:]
        else:
            text = text[:i] + rng.choice(MUT) + text[i + 2:]
    return text


def run(schema_path, text_path):
    r = subprocess.run([tool, schema_path, text_path], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


failures = 0
with tempfile.TemporaryDirectory() as d:
    any_schema = os.path.join(d, "any.json")
    with open(any_schema, "w") as f:
        f.write("{}")
    inst = os.path.join(d, "x.json")
    for n in range(cases):
        text = json.dumps(value(0))  # ASCII: ensure_ascii
        if rng.random() < 0.7:
            text = mutate(text)
        with open(inst, "w") as f:
            f.write(text)
        try:
            py = json.loads(text)
            perr = None
        except json.JSONDecodeError as e:
            py, perr = None, e
        except RecursionError:
            continue
        if perr is None and (py != py or "Infinity" in text or "NaN" in text):
            continue  # NaN/Infinity literals: Python extensions ponty refuses
        rc, out, err = run(any_schema, inst)
        if perr is None:
            if rc != 0:
                print(f"FAIL accept {text!r}: rc {rc} {err.strip()}")
                failures += 1
                continue
            # the tree holds what Python read: {"const": value} must pass
            if isinstance(py, float) and py in (float("inf"), float("-inf")):
                continue
            cs = os.path.join(d, "const.json")
            with open(cs, "w") as f:
                json.dump({"const": py}, f)
            # schema files are read by jansson: 64-bit integers, no NUL, no lone surrogate
            if not re.search(r"\d{19}|\\u0000|\\ud[89ab]|\\ud[c-f]|Infinity", json.dumps({"const": py})):
                rc2, out2, err2 = run(cs, inst)
                if rc2 != 0:
                    print(f"FAIL value {text!r}: {out2.strip()} {err2.strip()}")
                    failures += 1
        else:
            want = f"{perr.msg}: line {perr.lineno} column {perr.colno} (char {perr.pos})"
            m = re.search(r"cannot load instance '[^']*': (.*)", err)
            if rc != 2 or not m or m.group(1) != want:
                print(f"FAIL reject {text!r}: rc {rc} {err.strip()!r}, want {want!r}")
                failures += 1
print(f"{cases} texts, {failures} failures")
sys.exit(1 if failures else 0)
