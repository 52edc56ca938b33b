"""Robustness: random, mostly broken schemas and instances through
pt-jsonschema. Every run must end in exit 0, 1 or 2 with no sanitizer
report (run it against an ASan build to make that meaningful).

    fuzz_schemas.py PT_JSONSCHEMA SEED CASES"""
import json, os, random, subprocess, sys, tempfile
random.seed(int(sys.argv[2]))
tmp = tempfile.mkdtemp()
cs, ci = os.path.join(tmp, "s.json"), os.path.join(tmp, "i.json")
KW = ["type","enum","const","minimum","maximum","exclusiveMinimum","multipleOf","minLength","maxLength","pattern","format",
      "items","additionalItems","minItems","uniqueItems","contains","required","properties","patternProperties",
      "additionalProperties","dependencies","propertyNames","if","then","else","allOf","anyOf","oneOf","not","$ref","$id",
      "definitions","$defs","minProperties"]
def junk(d=0):
    r = random.random()
    if d > 3 or r < 0.35:
        return random.choice([None, True, False, 0, -1, 1.5, 1e300, "", "#", "#/", "#/definitions/a", "#/properties", "a.json",
                              "http://x/y#z", "#foo", "~", "[", "(", "\\", "string", "integer", "email", "%25", "#/items/0", "#/$defs/b"])
    if r < 0.55:
        return [junk(d+1) for _ in range(random.randint(0, 3))]
    return {random.choice(KW + ["a", "b"]): junk(d+1) for _ in range(random.randint(0, 4))}
tool = sys.argv[1]
crash = 0
rcs = {0: 0, 1: 0, 2: 0}
for n in range(int(sys.argv[3])):
    s = junk(); i = junk()
    json.dump(s, open(cs, "w")); json.dump(i, open(ci, "w"))
    r = subprocess.run([tool, cs, ci], capture_output=True, text=True)
    rcs[r.returncode] = rcs.get(r.returncode, 0) + 1
    if r.returncode not in (0, 1, 2) or "Sanitizer" in r.stderr or "runtime error" in r.stderr:
        crash += 1
        print("CRASH", r.returncode, json.dumps(s), json.dumps(i)); print(r.stderr[:1500])
        break
print("crashes:", crash, "exit codes:", rcs)
for f in (cs, ci):
    if os.path.exists(f):
        os.unlink(f)
os.rmdir(tmp)
sys.exit(1 if crash else 0)
