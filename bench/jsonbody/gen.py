"""Writes the JSON benchmark bodies (deterministic):
  persons.json  1000 Person objects in an array (~91 KB), as the seed's
                Person schema describes them
  mixed.json    ~1 MB of mixed JSON: nested objects and arrays, strings
                with escapes and non-ASCII, floats, integers, booleans
Usage: python3 gen.py OUTDIR"""
import json
import os
import random
import sys

out = sys.argv[1]
rng = random.Random(2026)
FIRST = ["Mickey", "Minnie", "Donald", "Daisy", "Goofy", "Pluto", "Scrooge", "Huey", "Dewey", "Louie"]
LAST = ["Mouse", "Duck", "McDuck", "Goof", "Dog", "Beagle", "Gander", "Pig"]
COLORS = ["blue", "red", "green", "yellow", None]

persons = [{"first_name": rng.choice(FIRST) + str(i), "last_name": rng.choice(LAST),
            "favorite_color": rng.choice(COLORS), "height": rng.randrange(50, 250)} for i in range(1000)]
with open(os.path.join(out, "persons.json"), "w") as f:
    json.dump(persons, f)

WORDS = ["alpha", "beta", "gamma", "delta", "caf\u00e9", "na\u00efve", "quote\"d", "back\\slash",
         "tab\tbed", "new\nline", "\u20ac100", "\U0001f600 smile", "plain text here"]


def value(depth):
    k = rng.random()
    if depth > 4 or k < 0.45:
        c = rng.randrange(6)
        if c == 0:
            return rng.uniform(-1e6, 1e6)
        if c == 1:
            return rng.randrange(-10**9, 10**9)
        if c == 2:
            return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6)))
        if c == 3:
            return rng.choice([True, False, None])
        if c == 4:
            return round(rng.uniform(0, 1000), 2)
        return rng.choice(WORDS)
    if k < 0.7:
        return [value(depth + 1) for _ in range(rng.randrange(1, 8))]
    return {rng.choice(WORDS).replace(" ", "_") + str(i): value(depth + 1) for i in range(rng.randrange(1, 8))}


docs, size = [], 0
while size < 1_000_000:
    d = {"id": len(docs), "name": rng.choice(WORDS), "score": rng.random() * 100,
         "tags": [rng.choice(WORDS) for _ in range(3)], "attrs": value(0)}
    docs.append(d)
    size += len(json.dumps(d)) + 2
with open(os.path.join(out, "mixed.json"), "w") as f:
    json.dump({"items": docs, "count": len(docs)}, f)
