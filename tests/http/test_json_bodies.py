"""JSON request bodies as Python's json.loads reads them, over a socket: a
struct-bound body refusing integers past 64 bits and echoed straight (the
person example, a process of its own), and random documents, made by
Python, echoed byte-identical to Python's json.dumps.

Big integers, NUL and lone surrogates, numbers beyond a double, the nesting
limit, the recursive schema, repeated keys and tree bodies are tested
in-process through the test client: tests/unit/test_tc_json_bodies.c.

Servers: pt_fields_server (/json takes a json_t, /schema a validated
json_t) and the person example (a struct-bound body)."""
import json
import math
import random
import struct

import pytest

from conftest import JSON_CT, TEXT_CT, check_envelope, now_ms

BIG = 12345678901234567890



@pytest.fixture(scope="module")
def fs(module_server_factory):
    return module_server_factory("pt_fields_server")


@pytest.fixture(scope="module")
def person(module_server_factory):
    return module_server_factory("person")


def post(server, path, body):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return server.request("POST", path, body=body, headers={"Content-Type": "application/json"})


def ok(server, path, body):
    t0 = now_ms()
    status, headers, data = post(server, path, body)
    t1 = now_ms()
    assert status == 200, (status, data)
    assert headers["Content-Type"] == JSON_CT
    return check_envelope(data, t0, t1)  # byte-identical to json.dumps


def bad(server, path, body, message):
    status, headers, data = post(server, path, body)
    assert (status, data.decode()) == (400, message)
    assert headers["Content-Type"] == TEXT_CT


def test_struct_int64_member_refuses_big_integers(person):
    body = {"first_name": "Mickey", "last_name": "Mouse", "favorite_color": None, "height": BIG}
    bad(person, "/person", body, "12345678901234567890 is out of range for a 64-bit integer")
    body["height"] = 2**63 - 1
    assert ok(person, "/person", body) == body


def test_struct_echo_written_straight(person):
    """examples/person.c answers with pt_data_struct: the struct's own bytes,
    byte-identical to json.dumps (check_envelope), lone surrogates included."""
    body = {"first_name": "Mi\ud800", "last_name": "M\u00e9\"o\\u", "favorite_color": None, "height": -(2**63)}
    assert ok(person, "/person", body) == body


def random_value(rng, depth):
    kind = rng.randrange(10 if depth < 6 else 7)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-10**30, 10**30) if rng.random() < 0.3 else rng.randrange(-1000, 1000)
    if kind == 2:
        bits = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]  # any finite double
        return rng.choice([0.1, -2.5e-300, 1e22, 123.456, 5e-324, 1.7976931348623157e308, rng.uniform(-1e6, 1e6),
                           bits if math.isfinite(bits) else 2.5])
    if kind in (3, 4, 5, 6):
        alphabet = "ab \"\\/\b\f\n\r\t\u0000\u001f\u00e9\u20ac\U0001f600\ud800\udc00"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind in (7, 8):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(6))]
    return {random_value(rng, 6) if rng.random() < 0.5 else f"k{i}": random_value(rng, depth + 1)
            for i in range(rng.randrange(6)) if True}


def test_random_documents_round_trip(fs):
    rng = random.Random(13)
    for _ in range(150):
        doc = random_value(rng, 0)
        if isinstance(doc, dict):
            doc = {str(k): v for k, v in doc.items()}
        raw = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        if b"\xed\xa0" in raw or b"\xed\xb0" in raw:  # raw surrogates are not UTF-8: escape them
            raw = json.dumps(doc).encode()
        data = ok(fs, "/json", raw)
        assert data["body"] == json.loads(raw), raw


def test_tree_random_documents_round_trip(fs):
    rng = random.Random(31)
    for _ in range(100):
        raw = json.dumps(random_value(rng, 0)).encode()
        assert ok(fs, "/any_tree", raw) == json.loads(raw), raw
