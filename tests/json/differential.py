"""Differential test: random draft-07 schemas and instances, validated by
Python's jsonschema (Debian python3-jsonschema, the reference for message
wording) and by pt-jsonschema; every error line must match.

    differential.py PT_JSONSCHEMA [CASES] [SEED]

additionalProperties with a subschema reports in Python's set order, which
is arbitrary, so for those schemas the same lines in any order pass.

The formats compared are FORMATS below. Python's FormatChecker only checks a
format whose optional module is importable ("uri" needs rfc3987, Debian's
python3-rfc3987, which python3-jsonschema merely recommends); a format it
cannot check it passes silently, which would make the comparison depend on
what happens to be installed. So the test refuses to run, naming the
package, unless Python checks every format compared. scripts/setup.sh
installs both packages."""
import json, os, random, subprocess, sys, tempfile
try:
    from jsonschema import Draft7Validator, FormatChecker
except ImportError:
    sys.exit("python3-jsonschema is not installed: run scripts/setup.sh")
FORMATS = ["email", "date", "ipv4", "uri"]
missing = [f for f in FORMATS if f not in FormatChecker().checkers]
if missing:
    sys.exit(f"Python's FormatChecker cannot check {missing} (for 'uri': python3-rfc3987): run scripts/setup.sh")
tool = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 400
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
tmp = tempfile.mkdtemp()
fs, fi = os.path.join(tmp, "s.json"), os.path.join(tmp, "i.json")
def rval(d=0):
    r = random.random()
    if d > 2 or r < 0.5:
        return random.choice([None, True, False, 0, 1, -3, 2.5, 1.0, 1e20, 0.1, "", "a", "it's", "ab\"c", "x/y", "日本", "2020-01-01", "a@b"])
    if r < 0.75:
        return [rval(d+1) for _ in range(random.randint(0, 3))]
    return {random.choice(["a","b","c","d/e","~x"]): rval(d+1) for _ in range(random.randint(0, 3))}
def rschema(d=0):
    if d > 2 or random.random() < 0.15:
        return random.choice([True, False, {}])
    s = {}
    for _ in range(random.randint(1, 3)):
        k = random.choice(["type","enum","const","minimum","maximum","exclusiveMinimum","exclusiveMaximum","multipleOf",
            "minLength","maxLength","pattern","format","items","additionalItems","minItems","maxItems","uniqueItems",
            "contains","required","properties","patternProperties","additionalProperties","minProperties","maxProperties",
            "dependencies","propertyNames","if","allOf","anyOf","oneOf","not"])
        if k == "type": s[k] = random.choice(["string","integer","number","object","array","boolean","null",["string","null"],["integer","object"]])
        elif k == "enum": s[k] = [rval(2) for _ in range(random.randint(1,3))]
        elif k == "const": s[k] = rval(1)
        elif k in ("minimum","maximum","exclusiveMinimum","exclusiveMaximum"): s[k] = random.choice([0, 1, 2.5, -1])
        elif k == "multipleOf": s[k] = random.choice([2, 0.5, 3])
        elif k in ("minLength","maxLength","minItems","maxItems","minProperties","maxProperties"): s[k] = random.randint(0,2)
        elif k == "pattern": s[k] = random.choice(["^a", "b$", "\\d", "^[a-z]+$"])
        elif k == "format": s[k] = random.choice(FORMATS)
        elif k == "items": s[k] = rschema(d+1) if random.random()<0.5 else [rschema(d+1) for _ in range(random.randint(1,2))]
        elif k in ("additionalItems","contains","additionalProperties","propertyNames","not"): s[k] = rschema(d+1)
        elif k == "uniqueItems": s[k] = True
        elif k == "required": s[k] = random.sample(["a","b","c"], random.randint(1,2))
        elif k == "properties": s[k] = {n: rschema(d+1) for n in random.sample(["a","b","d/e"], random.randint(1,2))}
        elif k == "patternProperties": s[k] = {p: rschema(d+1) for p in random.sample(["^a","b","~"], random.randint(1,2))}
        elif k == "dependencies": s[k] = {"a": random.choice([["b"], rschema(d+1)])}
        elif k == "if": s[k] = rschema(d+1); s["then"] = rschema(d+1); s["else"] = rschema(d+1)
        else: s[k] = [rschema(d+1) for _ in range(random.randint(1,3))]
    return s
bad = 0
for n in range(N):
    s, i = rschema(), rval()
    v = Draft7Validator(s, format_checker=FormatChecker())
    try:
        errs = list(v.iter_errors(i))
    except Exception as e:
        continue
    json.dump(s, open(fs, "w")); json.dump(i, open(fi, "w"), ensure_ascii=False)
    exp = "".join(("/"+"/".join(str(p).replace("~","~0").replace("/","~1") for p in e.absolute_path) if e.absolute_path else "(root)") + ": " + e.message + "\n" for e in errs)
    r = subprocess.run([tool, fs, fi], capture_output=True, text=True)
    if r.stdout != exp and (sorted(r.stdout.splitlines()) != sorted(exp.splitlines()) or "additionalProperties" not in json.dumps(s)):
        bad += 1
        if bad <= 8:
            print("SCHEMA", json.dumps(s)); print("INST", json.dumps(i, ensure_ascii=False)); print(" want:", exp.strip().replace("\n"," | ")); print(" got: ", r.stdout.strip().replace("\n"," | "), r.stderr.strip())
print(bad, "mismatches of", N)
for f in (fs, fi):
    if os.path.exists(f):
        os.unlink(f)
os.rmdir(tmp)
sys.exit(1 if bad else 0)
