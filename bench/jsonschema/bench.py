"""Validations per second of Python's jsonschema (Draft7Validator), same
protocol as bench.c: validate a parsed document; when invalid, produce the
first error's message. Usage: bench.py SCHEMA DOC [SECONDS]"""
import json, sys, time
from jsonschema import Draft7Validator

schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
v = Draft7Validator(schema)

def once():
    err = next(v.iter_errors(doc), None)
    return err.message if err else None

first = once()
n, t0 = 0, time.perf_counter()
while True:
    for _ in range(1000):
        once()
    n += 1000
    t = time.perf_counter()
    if t - t0 >= secs:
        break
print(f"{n / (t - t0):.0f} {first or 'valid'}")
