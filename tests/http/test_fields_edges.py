"""Declared request fields at their edges, as a user meets them over a
socket: empty, percent-encoded, non-ASCII, invalid UTF-8 and very long
values (up to the URI limit); integers per Python's int() and beyond 64
bits; repeated query keys; route fields; chunked bodies; and the start-up
checks that refuse a broken declaration (the program run as a process).

Headers, cookies, media types, body kinds and the body limit, custom casts,
required query fields and only declared fields reaching the handler are
tested in-process through the test client: tests/unit/test_tc_fields.c.

Servers: the examples (bangs, punctuation, greet_lang, bool_query),
pt_fields_server (tests/servers/fields_server.c) and pt_bad_route_server
(tests/servers/bad_route_server.c, the broken declaration picked by $PT_BAD)."""
import http
import json
import os
import re
import subprocess
import urllib.parse

import pytest

from conftest import (JSON_CT, SOURCE_DIR, TEXT_CT, Server, binary_path, check_envelope, free_port, now_ms,
                      request_bytes, wait_until)

BOOL_VALUES = ["1", "0", "yes", "no", "true", "false", "t", "f"]  # the seed's _boolish_vals
LANGS = ["en", "es", "no"]
INT64_MAX = 2**63 - 1
# examples/bangs.c has no cap of its own: a greeting past the request memory
# limit (64 MiB of arena, about 32 million bangs) is a 500, as Python's
# MemoryError would be.
BANGS_TOO_MANY = 10**8


def server_h_default(member):
    """A default limit documented in include/ponty/server.h."""
    with open(os.path.join(SOURCE_DIR, "include", "ponty", "server.h")) as f:
        m = re.search(member + r";\s*/\*\s*(\d+)\s*(MiB|KiB|bytes)?", f.read())
    return int(m.group(1)) * {"MiB": 1 << 20, "KiB": 1 << 10}.get(m.group(2), 1)


def q(s):
    return urllib.parse.quote(s, safe="")


@pytest.fixture(scope="module")
def ex(module_server_factory):
    return {name: module_server_factory(name) for name in ("bangs", "punctuation", "greet_lang", "bool_query")}


@pytest.fixture(scope="module")
def fs(module_server_factory):
    return module_server_factory("pt_fields_server")


def ok(server, path, method="GET", body=None, headers=None):
    t0 = now_ms()
    status, hdrs, data = server.request(method, path, body=body, headers=headers)
    t1 = now_ms()
    assert status == 200, (status, data)
    assert hdrs["Content-Type"] == JSON_CT
    return check_envelope(data, t0, t1)


def err(server, path, status, text, method="GET", body=None, headers=None):
    got, hdrs, data = server.request(method, path, body=body, headers=headers)
    assert (got, data.decode("utf-8", "replace")) == (status, text)
    assert hdrs["Content-Type"] == TEXT_CT
    assert hdrs["Content-Length"] == str(len(data))


def raw_request(server, method, path, headers=(), body=b""):
    """One request with exactly these header lines (repeats, odd bytes)."""
    with server.raw() as c:
        c.send(request_bytes(method, path, headers, body))
        return c.read_response()


def raw_ok(server, method, path, headers=(), body=b""):
    t0 = now_ms()
    r = raw_request(server, method, path, headers, body)
    t1 = now_ms()
    assert r.status == 200, r
    assert r.header("Content-Type") == JSON_CT
    return check_envelope(r.body, t0, t1)


def greeting(punc):
    return {"greeting": f"hello world{punc}"}


# ------------------------------------------------ empty and absent values

def test_empty_string_query_is_empty_not_default(ex):
    assert ok(ex["punctuation"], "/hello?punc=") == greeting("")


def test_key_without_equals_is_empty(ex):
    assert ok(ex["punctuation"], "/hello?punc") == greeting("")


def test_empty_posint_does_not_cast(ex):
    err(ex["bangs"], "/hello?bangs=", 400, f"{''!r} could not be cast")


def test_empty_bool_not_a_legal_value(ex):
    err(ex["bool_query"], "/hello?capitalize", 400, "capitalize must be one of {" + ",".join(BOOL_VALUES) + "}")


def test_empty_query_string(ex):
    assert ok(ex["punctuation"], "/hello?") == greeting("!")


def test_query_keys_are_case_sensitive(ex):
    assert ok(ex["punctuation"], "/hello?PUNC=.&Punc=,") == greeting("!")


# ------------------------------------------------ percent-encoding and '+'

@pytest.mark.parametrize("raw,value", [
    ("a+b", "a b"), ("%2B", "+"), ("a%20b", "a b"), ("%26x%3Dy", "&x=y"), ("%25", "%"),
    ("%3f", "?"), ("%2F%2f", "//"), ("%C3%A9", "\u00e9"), ("%c3%a9", "\u00e9"),
])
def test_query_values_percent_decoded_plus_is_space(ex, raw, value):
    assert ok(ex["punctuation"], f"/hello?punc={raw}") == greeting(value)


def test_query_key_percent_decoded(ex):
    assert ok(ex["punctuation"], "/hello?pu%6Ec=x") == greeting("x")
    assert ok(ex["bangs"], "/hello?b%61ngs=3") == {"greeting": "hello world!!!"}


def test_plus_in_int_is_a_space(ex):
    """'+5' typed into a URL is ' 5' (Python int() strips it): 5 bangs either way."""
    assert ok(ex["bangs"], "/hello?bangs=+5") == {"greeting": "hello world!!!!!"}
    assert ok(ex["bangs"], "/hello?bangs=%2B5") == {"greeting": "hello world!!!!!"}


@pytest.mark.parametrize("raw", ["%ZZ", "%", "%4", "a%G1", "%00"])
def test_malformed_percent_escape_is_400_not_default(ex, raw):
    status, headers, body = ex["punctuation"].get(f"/hello?punc={raw}")
    assert status == 400, (status, body)
    assert headers["Content-Type"] == TEXT_CT


def test_malformed_percent_escape_required_not_reported_missing(fs):
    status, headers, body = fs.get("/need?q=%ZZ&page=1")
    assert status == 400
    assert b"missing" not in body, body


# ------------------------------------------------ non-ASCII and invalid UTF-8

@pytest.mark.parametrize("text", ["\u00e9", "na\u00efve caf\u00e9", "\u2603\u2764", "\U0001f600\U0001f680",
                                  "\u65e5\u672c", "\u00a0", "\ufeff", "\U0010ffff"])
def test_utf8_query_value_round_trips(ex, text):
    """Valid UTF-8 comes back as sent; check_envelope checks Python's \\u escapes."""
    assert ok(ex["punctuation"], f"/hello?punc={q(text)}") == greeting(text)


INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xe2\x82", b"a\x80b", b"\xf8\x88\x80\x80\x80", b"\xc3"]


@pytest.mark.parametrize("raw", INVALID_UTF8)
def test_invalid_utf8_string_query_is_400(ex, raw):
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # invalid by Python's own decoder
    err(ex["punctuation"], f"/hello?punc={urllib.parse.quote_from_bytes(raw, safe='')}", 400,
        "query param 'punc' is not valid UTF-8")


def test_invalid_utf8_checked_before_values(ex):
    err(ex["greet_lang"], "/hello/x?lang=%FF", 400, "query param 'lang' is not valid UTF-8")


def test_invalid_utf8_int_query_could_not_be_cast(ex):
    """An integer field has no text to check: the byte is shown escaped, as repr() would."""
    err(ex["bangs"], "/hello?bangs=%FF", 400, "'\\xff' could not be cast")


def test_invalid_utf8_route_value_is_404(ex):
    """A byte that is not UTF-8 is not \\w: no route matches."""
    status, headers, body = ex["greet_lang"].get("/hello/%FF")
    assert (status, body) == (404, b"404: Not Found")


def test_invalid_utf8_route_value_is_400(fs):
    status, headers, body = fs.get("/any/%FF")
    assert status == 400, body
    assert headers["Content-Type"] == TEXT_CT
    assert body == b"route param 'seg' is not valid UTF-8"


def test_raw_non_ascii_byte_in_target_is_400(ex):
    r = raw_request(ex["punctuation"], "GET", "/hello?punc=\xff")
    assert r.status == 400, r


# ------------------------------------------------ very long values

def test_long_value_at_uri_limit(ex):
    limit = server_h_default("max_uri")
    prefix = "/hello?punc="
    value = "x" * (limit - len(prefix))
    assert ok(ex["punctuation"], prefix + value) == greeting(value)


def test_long_value_over_uri_limit_414(ex):
    limit = server_h_default("max_uri")
    prefix = "/hello?punc="
    r = raw_request(ex["punctuation"], "GET", prefix + "x" * (limit - len(prefix) + 1))
    assert (r.status, r.body) == (414, f"414: {http.HTTPStatus(414).phrase}".encode())


def test_long_encoded_utf8_value(ex):
    limit = server_h_default("max_uri")
    prefix = "/hello?punc="
    n = (limit - len(prefix)) // len(q("\u00e9"))
    assert ok(ex["punctuation"], prefix + q("\u00e9") * n) == greeting("\u00e9" * n)


def test_long_zero_padded_int(ex):
    """int('000…0007') == 7, however many zeros fit in the URI."""
    limit = server_h_default("max_uri")
    prefix = "/hello?bangs="
    value = "0" * (limit - len(prefix) - 1) + "7"
    assert value.lstrip("0") == "7"  # int() itself refuses strings this long (4300 digits)
    assert ok(ex["bangs"], prefix + value) == {"greeting": "hello world" + "!" * 7}


def test_long_garbage_int_message_repeats_value(ex):
    value = "9" * 4000 + "x"
    err(ex["bangs"], f"/hello?bangs={value}", 400, f"{value!r} could not be cast")


# ------------------------------------------------ integers: Python int() rules, 64 bits

def expected_bangs(raw):
    """What the seed's PosIntQueryParameter answers for raw, computed with
    Python's int(); beyond 64 bits the C cannot hold it: a cast failure."""
    try:
        n = int(raw)
    except ValueError:
        return 400, f"{raw!r} could not be cast"
    if not -2**63 <= n <= INT64_MAX:
        return 400, f"{raw!r} could not be cast"
    if n < 0:
        return 400, f"{n} less than 0"
    if n >= BANGS_TOO_MANY:
        return 500, "500: Internal Server Error"
    return 200, {"greeting": "hello world" + "!" * n}


INT_CASES = ["5", "+5", " 5", "5 ", "\t5\n", " \r\n 5 \x0b\x0c", "007", "0", "-0", "+0", "1_000", "1_0_0",
             "1__000", "_1", "1_", "+_1", "-3", "-1_0", "- 5", "+-5", "--5", "5.0", "5e0", "0x10", "0o7",
             "0b1", "1 2", "", " ", "+", "-", "abc", "5a", "\u00bd", "it's", 'say "hi"', "a\\b",
             "10000", "10001", str(BANGS_TOO_MANY), str(INT64_MAX), str(INT64_MAX + 1), str(2**64),
             "9" * 30, str(-2**63), str(-2**63 - 1), "0" * 40 + "3"]


@pytest.mark.parametrize("raw", INT_CASES, ids=[repr(c) for c in INT_CASES])
def test_posint_python_int_rules(ex, raw):
    status, want = expected_bangs(raw)
    path = f"/hello?bangs={q(raw)}"
    if status == 200:
        assert ok(ex["bangs"], path) == want
    else:
        err(ex["bangs"], path, status, want)


def test_route_posint_beyond_64_bits(fs):
    assert ok(fs, f"/items/{INT64_MAX}") == {"id": INT64_MAX}
    for n in (INT64_MAX + 1, 2**64, 10**30):
        err(fs, f"/items/{n}", 400, f"{str(n)!r} could not be cast")


@pytest.mark.parametrize("raw", ["007", "0", "123456"])
def test_route_posint_values(fs, raw):
    assert ok(fs, f"/items/{raw}") == {"id": int(raw)}


@pytest.mark.parametrize("raw", ["abc", "-1", "+1", "1_0", "%201", "1.5", ""])
def test_route_posint_pattern_is_digits(fs, raw):
    status, _, body = fs.get(f"/items/{raw}")
    assert (status, body) == (404, b"404: Not Found")


# ------------------------------------------------ repeated query keys: the first wins

@pytest.mark.parametrize("query,punc", [
    ("punc=a&punc=b", "a"), ("punc=&punc=b", ""), ("punc&punc=b", ""), ("x=1&punc=c&punc=d", "c"),
    ("punc=%C3%A9&punc=e", "\u00e9"), ("pu%6Ec=f&punc=g", "f"),
])
def test_repeated_query_key_first_wins(ex, query, punc):
    assert ok(ex["punctuation"], f"/hello?{query}") == greeting(punc)


def test_repeated_key_first_wins_even_when_bad(ex):
    err(ex["bangs"], "/hello?bangs=x&bangs=3", 400, "'x' could not be cast")
    assert ok(ex["bangs"], "/hello?bangs=3&bangs=x") == {"greeting": "hello world!!!"}
    assert ok(ex["bool_query"], "/hello?capitalize=yes&capitalize=blah") == {"greeting": "HELLO WORLD"}
    err(ex["greet_lang"], "/hello/x?lang=xx&lang=es", 400, "lang must be one of {" + ",".join(LANGS) + "}")


# ------------------------------------------------ over the socket only
#
# Headers, cookies, media types, bodies, the raw request, custom casts,
# required query fields and declared sources against pt_fields_server are
# tested through the in-process test client (tests/unit/test_tc_fields.c,
# the same routes). What stays here depends on how bytes arrive: chunked
# framing and bodies read across socket reads.

def test_chunked_body_has_no_content_length(fs):
    body = b"5\r\nhello\r\n0\r\n\r\n"
    data = raw_ok(fs, "POST", "/hdr", [("X-Token", "t"), ("Transfer-Encoding", "chunked")], body)
    assert data["clen"] == ""


def test_headers_past_the_first_eight_on_one_connection(fs):
    """A request keeps its first 8 headers in itself and the rest in its
    arena: fields read from either side of that line, and the next request
    on the connection (reset, fewer headers) sees only its own."""
    c = fs.conn()
    try:
        for n in (20, 3, 9, 0, 40):
            headers = {f"X-Fill-{i}": str(i) for i in range(n)}
            headers.update({"X-Token": f"t{n}", "Accept-Language": f"l{n}"})
            status, _, data = fs.request("GET", "/hdr", headers=headers, conn=c)
            assert status == 200, data
            got = json.loads(data)["data"]
            assert (got["token"], got["lang"], got["plain"]) == (f"t{n}", f"l{n}", "")
    finally:
        c.close()


def test_text_body_is_exactly_the_body():
    """Text bodies, then bodies of alternating sizes on one connection: each
    must come back exactly as sent. Its own server: reading past the buffer
    may crash a sanitized build.
    Reproduction: POST 1000 bytes of 'x' to /text, then "abc" on the same
    connection: the handler gets "abc" followed by stale bytes."""
    texts = ["plain", "caf\u00e9\n\u2603\t\U0001f600", "{not json", "x" * 5000]
    s = Server("pt_fields_server")
    try:
        c = s.conn()
        bodies = [t.encode() for t in texts] + [b"x" * 1000, b"abc", b"y" * 1023, b"hi"] * 10
        for body in bodies:
            status, _, data = s.request("POST", "/text", body=body, headers={"Content-Type": "text/plain"}, conn=c)
            assert status == 200, data
            assert json.loads(data)["data"] == {"text": body.decode(), "bytes": len(body)}
        c.close()
        s.stop(expect_code=0)
    finally:
        s.kill()
        s.close_files()


@pytest.fixture(scope="module")
def small_body(module_server_factory):
    return module_server_factory("pt_fields_server", PT_MAX_BODY=64)


def test_chunked_body_over_limit_413(small_body):
    chunk = b"x" * 40
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2)) + b"0\r\n\r\n"
    r = raw_request(small_body, "POST", "/text", [("Transfer-Encoding", "chunked")], body)
    assert r.status == 413, r


# ------------------------------------------------ start-up checks

def bad_tables():
    """{table: (METHOD, path, handler)} read from tests/servers/bad_route_server.c."""
    with open(os.path.join(SOURCE_DIR, "tests", "servers", "bad_route_server.c")) as f:
        src = f.read()
    out = {}
    for table, body in re.findall(r'#define PT_BAD_TABLE "(\w+)"\n(.*?)#undef PT_BAD_TABLE', src, re.S):
        m = re.search(r'PT_(GET|POST)_IN\("([^"]*)", (\w+),', body)
        out[table] = (m[1], m[2], m[3])
    return out


STARTUP_ERRORS = {
    "placeholder": "placeholder 'who' has no declared route field in ph_in",
    "unplaced": "route field 'id' of up_in has no {id} placeholder in the path",
    "query_nodflt": "query field 'q' must be .required or have a .dflt",
    "bad_dflt": "default 'many' of field 'bangs' does not cast",
    "bad_bool_dflt": "default 'maybe' of field 'loud' does not cast",
    "no_schema_file": "field 'body': cannot open schema file 'no-such-dir/missing-schema.json'",
    "bad_schema_text": "schema of field 'body' is not JSON",
    "no_cast": "field 'x' needs a .cast function",
}


def test_every_broken_table_is_checked():
    assert set(bad_tables()) == set(STARTUP_ERRORS) | {"ok"}


@pytest.mark.parametrize("table", sorted(STARTUP_ERRORS))
def test_startup_refuses_broken_declaration(table):
    method, path, handler = bad_tables()[table]
    env = dict(os.environ, PORT=str(free_port()), PONTY_WORKERS="1", PT_BAD=table)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    p = subprocess.run([binary_path("pt_bad_route_server")], env=env, cwd=os.path.join(SOURCE_DIR, "examples"),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    stderr = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, (p.returncode, stderr)
    lines = [line for line in stderr.splitlines() if line.startswith("ponty: cannot start: ")]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith(f"ponty: cannot start: {method} {path}: {STARTUP_ERRORS[table]}"), line
    assert line.endswith(f"(handler {handler})"), line
    assert "serving:" not in p.stdout.decode()


def test_startup_missing_schema_names_path_and_reason():
    env = dict(os.environ, PORT=str(free_port()), PONTY_WORKERS="1", PT_BAD="no_schema_file")
    p = subprocess.run([binary_path("pt_bad_route_server")], env=env, cwd=os.path.join(SOURCE_DIR, "examples"),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert p.returncode == 1
    assert "'no-such-dir/missing-schema.json': No such file or directory" in p.stderr.decode(), p.stderr


def test_startup_sound_declaration_serves(start_server):
    """The control: the same program with the sound table starts and serves."""
    s = start_server("pt_bad_route_server", PT_BAD="ok")
    assert ok(s, "/ok/abc?n=2") == {"ok": True}
    err(s, "/ok/abc?n=-2", 400, "-2 less than 0")
    want = ["serving:", "GET\t/ok/{name:\\w+}"]
    assert wait_until(lambda: s.stdout().splitlines() == want, 5), s.stdout()
