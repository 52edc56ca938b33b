"""JSON request bodies as Python's json.loads reads them: integers of any
size (validated, echoed digit for digit, refused by an int64 struct member),
"\\u0000" and lone surrogates in strings and keys, the nesting limit, and
random documents echoed byte-identical to Python's json.dumps.

Servers: pt_fields_server (/json takes a json_t, /schema a validated
json_t) and the person example (a struct-bound body)."""
import json
import math
import random
import re
import struct

import pytest

from conftest import JSON_CT, TEXT_CT, check_envelope, now_ms

BIG = 12345678901234567890
HUGE = -123456789012345678901234567890123456789


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


def test_big_integers_echo_digit_for_digit(fs):
    doc = {"h": BIG, "list": [HUGE, 1, -(2**63), 2**63 - 1, 2**63], "nested": {"x": 10**40}}
    assert ok(fs, "/json", doc) == {"kind": "object", "body": doc}


def test_big_integer_alone_is_a_real_for_the_handler(fs):
    """A handler's json_t holds a big integer as a real (documented); the
    response still writes its digits."""
    assert ok(fs, "/json", BIG) == {"kind": "real", "body": BIG}


def test_big_integers_validated_and_echoed(fs):
    assert ok(fs, "/schema", {"n": BIG}) == {"body": {"n": BIG}}
    bad(fs, "/schema", {"n": -BIG}, "-12345678901234567890 is less than the minimum of 1")
    bad(fs, "/schema", {"n": BIG, "tag": HUGE}, f"{HUGE} is not of type 'string'")


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


def test_nul_and_lone_surrogates(fs):
    doc = {"a\u0000b": "x\u0000y", "s": ["\ud800", "\udfff", "\udc00\ud800", "\ud83d\ude00", "\u00e9"]}
    raw = json.dumps(doc).encode()
    assert b"\\ud800" in raw and b"\\u0000" in raw
    # (a pair written as two escapes reads back as one code point, as in Python)
    assert ok(fs, "/json", raw) == {"kind": "object", "body": json.loads(raw)}


def test_lone_surrogate_in_schema_messages(fs):
    bad(fs, "/schema", {"n": "\ud800"}, "'\\ud800' is not of type 'integer'")
    bad(fs, "/schema", {"n": 1, "tag": "\u0000\u0000\u0000\u0000"}, "'\\x00\\x00\\x00\\x00' is too long")


def test_number_beyond_double_for_a_json_t(fs):
    bad(fs, "/json", b"[1e400]", "JSON body holds a number beyond the range of a double")


def nested(levels):
    return b"[" * levels + b"]" * levels


def test_nesting_limit_256(fs):
    assert ok(fs, "/json", nested(256))["kind"] == "array"
    bad(fs, "/json", nested(257), "JSON body nested deeper than 256 levels")
    # far deeper than any stack could recurse: refused while parsing
    bad(fs, "/json", b"[" * 200000, "JSON body nested deeper than 256 levels")


STACK_MSG = re.compile(r"document nested too deeply for this schema \(more than \d+ bytes of stack\)")


def test_recursive_schema_bounded_by_the_stack(fs):
    """The validator recurses per level (and per $ref) on the request's
    coroutine stack. Its budget fits the stack: 40 levels always validate;
    the nesting limit (256) either validates or answers 400 naming the stack
    (sanitizer builds use bigger frames); never a crash; 257 never reach it."""
    assert ok(fs, "/recursive", nested(40)) == json.loads(nested(40))
    bad(fs, "/recursive", b"[" * 39 + b"1" + b"]" * 39, "1 is not of type 'array'")
    status, _, data = post(fs, "/recursive", nested(256))
    assert status == 200 or (status == 400 and STACK_MSG.fullmatch(data.decode())), (status, data[:200])
    bad(fs, "/recursive", nested(257), "JSON body nested deeper than 256 levels")
    assert ok(fs, "/recursive", nested(3)) == [[[]]]  # the server is still there


def test_repeated_keys_last_value_first_position(fs):
    body = b'{"a": 1, "b": 2, "a": 3}'
    data = ok(fs, "/json", body)
    assert data["body"] == json.loads(body)
    assert list(data["body"]) == ["a", "b"]


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


def test_tree_body_validated_and_echoed_straight(fs):
    doc = [{"n": 1, "s": "\ud800\u0000", "f": 0.1}, {"n": -BIG, "x": [HUGE, 1e300, None, True]}]
    assert ok(fs, "/tree", doc) == doc
    bad(fs, "/tree", [{"n": BIG}], "12345678901234567890 is greater than the maximum of 100")
    bad(fs, "/tree", {"n": 1}, "{'n': 1} is not of type 'array'")
    bad(fs, "/tree", b"[", "malformed JSON body: Expecting value: line 1 column 2 (char 1)")


def test_tree_random_documents_round_trip(fs):
    rng = random.Random(31)
    for _ in range(100):
        raw = json.dumps(random_value(rng, 0)).encode()
        assert ok(fs, "/any_tree", raw) == json.loads(raw), raw
