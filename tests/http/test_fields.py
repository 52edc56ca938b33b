"""Declared request fields, through the six examples that mirror the seed's
Request classes: bool_query (BoolQueryParam), punctuation
(StringQueryParameter punc), greet_lang (route name + lang values),
bangs (PosIntQueryParameter key="bangs"), validated_body (ValidatedJsonBody
validator.json) and person (ParsedJsonBody(Person), mimetype
application/json). Every transcript of the seed for them, then the
statuses, media types and exact messages around them.

Expected messages are computed the way the seed's Python computes them
(repr() of the value, the dict of legal values, int()) wherever they can be."""
import http
import json
import os
import re
import urllib.parse

import pytest

from conftest import JSON_CT, SOURCE_DIR, TEXT_CT, check_envelope, now_ms, request_bytes, wait_until

EXAMPLES = ["bool_query", "punctuation", "greet_lang", "bangs", "validated_body", "person"]

# The seed's _boolish_vals, in its order (the order of the 400 message).
BOOLISH = {"1": True, "0": False, "yes": True, "no": False,
           "true": True, "false": False, "t": True, "f": False}
# The seed's _hellos.
HELLOS = {"en": "hello", "es": "hola", "no": "hallo"}


def server_h_default(member):
    """A default limit documented in include/ponty/server.h ("max_uri; /* 8192 bytes")."""
    with open(os.path.join(SOURCE_DIR, "include", "ponty", "server.h")) as f:
        m = re.search(member + r";\s*/\*\s*(\d+)\s*(MiB|KiB|bytes)?", f.read())
    n = int(m.group(1))
    return n * {"MiB": 1 << 20, "KiB": 1 << 10}.get(m.group(2), 1)


def validator_schema():
    with open(os.path.join(SOURCE_DIR, "examples", "validator.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def servers(module_server_factory):
    return {name: module_server_factory(name) for name in EXAMPLES}


def q(s):
    return urllib.parse.quote(s, safe="")


def get_ok(server, path, method="GET", body=None, headers=None):
    """A 200 envelope: checks the media type, length and envelope; returns data."""
    t0 = now_ms()
    status, hdrs, data = server.request(method, path, body=body, headers=headers)
    t1 = now_ms()
    assert status == 200, (status, data)
    assert hdrs["Content-Type"] == JSON_CT
    assert hdrs["Content-Length"] == str(len(data))
    return check_envelope(data, t0, t1)


def get_err(server, path, status, text, method="GET", body=None, headers=None):
    """A text/plain error with exactly this status and text."""
    got, hdrs, data = server.request(method, path, body=body, headers=headers)
    assert (got, data.decode("utf-8", "replace")) == (status, text)
    assert hdrs["Content-Type"] == TEXT_CT
    assert hdrs["Content-Length"] == str(len(data))
    return data


def post_json(body, ctype="application/json", **kw):
    """Keyword arguments for Server.request: a POST of body (JSON-encoded
    unless bytes) with that Content-Type (None: no header)."""
    headers = {} if ctype is None else {"Content-Type": ctype}
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return dict(method="POST", body=body, headers=headers, **kw)


def required_msg(name):
    return f"{name!r} is a required property"


def type_msg(value, typ):
    return f"{value!r} is not of type {typ!r}"


# ---------------------------------------------------------------- bool_query

def test_bool_query_transcript_default(servers):
    assert get_ok(servers["bool_query"], "/hello") == {"greeting": "hello world"}


def test_bool_query_transcript_yes(servers):
    assert get_ok(servers["bool_query"], "/hello?capitalize=yes") == {"greeting": "HELLO WORLD"}


def test_bool_query_transcript_illegal(servers):
    """The seed's -v transcript: 400, text/plain; charset=utf-8, the list in
    the order of _boolish_vals."""
    body = get_err(servers["bool_query"], "/hello?capitalize=blah", 400,
                   "capitalize must be one of {" + ",".join(BOOLISH) + "}")
    assert body == b"capitalize must be one of {1,0,yes,no,true,false,t,f}"


@pytest.mark.parametrize("value", list(BOOLISH))
def test_bool_query_every_legal_value(servers, value):
    expected = "HELLO WORLD" if BOOLISH[value] else "hello world"
    assert get_ok(servers["bool_query"], f"/hello?capitalize={value}") == {"greeting": expected}


@pytest.mark.parametrize("value", ["blah", "YES", "True", "T", "2", "-1", "on", "", " 1", "yes "])
def test_bool_query_illegal_values(servers, value):
    get_err(servers["bool_query"], f"/hello?capitalize={q(value)}", 400,
            "capitalize must be one of {" + ",".join(BOOLISH) + "}")


def test_bool_query_other_params_ignored(servers):
    assert get_ok(servers["bool_query"], "/hello?other=yes&Capitalize=yes") == {"greeting": "hello world"}


# ---------------------------------------------------------------- punctuation

def test_punctuation_transcript_default(servers):
    assert get_ok(servers["punctuation"], "/hello") == {"greeting": "hello world!"}


def test_punctuation_transcript_override(servers):
    assert get_ok(servers["punctuation"], "/hello?punc=.") == {"greeting": "hello world."}


@pytest.mark.parametrize("punc", ["?", "!!!", " :)", "&", "=", "+", "#", "%", "/", "\u00e9", "\u2603", "\U0001f600"])
def test_punctuation_values(servers, punc):
    """Any string, percent-encoded by the client, comes back as sent."""
    assert get_ok(servers["punctuation"], f"/hello?punc={q(punc)}") == {"greeting": f"hello world{punc}"}


def test_punctuation_wrong_method(servers):
    status, headers, body = servers["punctuation"].request("POST", "/hello?punc=.", body=b"")
    assert (status, body) == (405, b"405: Method Not Allowed")


# ---------------------------------------------------------------- greet_lang

def test_greet_lang_transcript(servers):
    assert get_ok(servers["greet_lang"], "/hello/muchacho?lang=es") == {"greeting": "hola muchacho!"}


@pytest.mark.parametrize("lang", list(HELLOS))
def test_greet_lang_every_lang(servers, lang):
    assert get_ok(servers["greet_lang"], f"/hello/amigo?lang={lang}") == {"greeting": f"{HELLOS[lang]} amigo!"}


def test_greet_lang_default(servers):
    assert get_ok(servers["greet_lang"], "/hello/amigo") == {"greeting": f"{HELLOS['en']} amigo!"}


@pytest.mark.parametrize("lang", ["fr", "EN", "Es", "", "en ", "e"])
def test_greet_lang_illegal(servers, lang):
    get_err(servers["greet_lang"], f"/hello/amigo?lang={q(lang)}", 400,
            "lang must be one of {" + ",".join(HELLOS) + "}")


@pytest.mark.parametrize("path", ["/hello/", "/hello/a-b", "/hello/a/b", "/hello", "/hello/a%20b"])
def test_greet_lang_name_pattern(servers, path):
    """{name} is served as {name:\\w+}: anything else is not this route."""
    status, headers, body = servers["greet_lang"].get(path + "?lang=es")
    assert (status, body) == (404, b"404: Not Found")


def test_greet_lang_unicode_name(servers):
    assert get_ok(servers["greet_lang"], f"/hello/{q('Jos' + chr(0xe9))}?lang=es") == {
        "greeting": "hola Jos\u00e9!"}


def test_greet_lang_startup_output(servers):
    """The route is printed with the pattern the declared field filled in."""
    want = ["serving:", "GET\t/hello/{name:\\w+}"]
    assert wait_until(lambda: servers["greet_lang"].stdout().splitlines() == want, 5), \
        servers["greet_lang"].stdout()


# ---------------------------------------------------------------- bangs

def test_bangs_transcript(servers):
    assert get_ok(servers["bangs"], "/hello?bangs=7") == {"greeting": "hello world" + "!" * 7}


def test_bangs_transcript_not_an_int(servers):
    get_err(servers["bangs"], "/hello?bangs=abc", 400, f"{'abc'!r} could not be cast")
    get_err(servers["bangs"], "/hello?bangs=abc", 400, "'abc' could not be cast")


def test_bangs_negative(servers):
    get_err(servers["bangs"], "/hello?bangs=-3", 400, "-3 less than 0")


def test_bangs_default(servers):
    assert get_ok(servers["bangs"], "/hello") == {"greeting": "hello world!"}


@pytest.mark.parametrize("n", [0, 1, 2, 10, 100, 10000])
def test_bangs_counts(servers, n):
    assert get_ok(servers["bangs"], f"/hello?bangs={n}") == {"greeting": "hello world" + "!" * n}


def test_bangs_key_is_bangs_not_member_name(servers):
    """key="bangs": the member name num_exclamations is not a query key."""
    assert get_ok(servers["bangs"], "/hello?num_exclamations=5") == {"greeting": "hello world!"}


def test_bangs_has_no_cap_but_the_request_memory_limit(servers):
    """No cap in the example; the 64 MiB request memory limit answers 500
    (Python's MemoryError) and the server goes on."""
    assert get_ok(servers["bangs"], "/hello?bangs=100000") == {"greeting": "hello world" + "!" * 100000}
    get_err(servers["bangs"], "/hello?bangs=1000000000000", 500, "500: Internal Server Error")
    get_err(servers["bangs"], "/hello?bangs=9223372036854775807", 500, "500: Internal Server Error")
    assert get_ok(servers["bangs"], "/hello?bangs=2") == {"greeting": "hello world!!"}


# ---------------------------------------------------------------- validated_body

def test_validated_body_transcript_success(servers):
    data = get_ok(servers["validated_body"], "/test",
                  **post_json(b'{"first_name": "Donald", "last_name": "Duck"}'))
    assert data == {"name": "Duck, Donald"}


def test_validated_body_transcript_last_name_omitted(servers):
    get_err(servers["validated_body"], "/test", 400, required_msg("last_name"),
            **post_json(b'{"first_name": "Donald"}'))
    get_err(servers["validated_body"], "/test", 400, "'last_name' is a required property",
            **post_json(b'{"first_name": "Donald"}'))


def test_validated_body_required_in_schema_order(servers):
    """{} misses both: the first of the schema's "required" list answers."""
    first = validator_schema()["required"][0]
    get_err(servers["validated_body"], "/test", 400, required_msg(first), **post_json({}))


@pytest.mark.parametrize("value", [1, 2.5, True, None, ["x"], {"a": "b"}])
def test_validated_body_wrong_property_type(servers, value):
    get_err(servers["validated_body"], "/test", 400, type_msg(value, "string"),
            **post_json({"first_name": value, "last_name": "Duck"}))


@pytest.mark.parametrize("value", [[], [1], "x", 3, None, True])
def test_validated_body_not_an_object(servers, value):
    get_err(servers["validated_body"], "/test", 400, type_msg(value, "object"),
            **post_json(value))


def test_validated_body_extra_properties_allowed(servers):
    """validator.json does not forbid other keys."""
    data = get_ok(servers["validated_body"], "/test",
                  **post_json({"first_name": "Daisy", "last_name": "Duck", "age": [1]}))
    assert data == {"name": "Duck, Daisy"}


def test_validated_body_any_media_type(servers):
    """No mimetype on this route: the body is JSON whatever the header says."""
    for ctype in ("text/plain", None):
        data = get_ok(servers["validated_body"], "/test",
                      **post_json({"first_name": "A", "last_name": "B"}, ctype=ctype))
        assert data == {"name": "B, A"}


def test_validated_body_unicode(servers):
    first, last = "Jos\u00e9", "\u5c71\u7530"
    data = get_ok(servers["validated_body"], "/test",
                  **post_json({"first_name": first, "last_name": last}))
    assert data == {"name": f"{last}, {first}"}


def test_validated_body_wrong_method(servers):
    status, headers, body = servers["validated_body"].get("/test")
    assert (status, body) == (405, b"405: Method Not Allowed")
    assert headers["Allow"] == "POST"


# ---------------------------------------------------------------- person

MICKEY = {"first_name": "Mickey", "last_name": "Mouse", "favorite_color": "blue", "height": 1000}
MALFORMED_RE = re.compile(r"malformed JSON body: (.+): line (\d+) column (\d+) \(char (\d+)\)")


def test_person_transcript_success(servers):
    """The seed's request bytes; the person is echoed back."""
    body = b'{"first_name": "Mickey", "last_name": "Mouse", "favorite_color": "blue", "height": 1000}'
    assert json.loads(body) == MICKEY
    data = get_ok(servers["person"], "/person", **post_json(body))
    assert data == MICKEY


def test_person_transcript_missing_height(servers):
    body = {k: v for k, v in MICKEY.items() if k != "height"}
    get_err(servers["person"], "/person", 400, "'height' is a required property",
            **post_json(body))


def test_person_transcript_height_wrong_type(servers):
    body = dict(MICKEY, height="abc")
    get_err(servers["person"], "/person", 400, "'abc' is not of type 'integer'",
            **post_json(body))


@pytest.mark.parametrize("missing", list(MICKEY))
def test_person_each_property_required(servers, missing):
    """Optional[str] without a default is still required (the seed's generated schema)."""
    body = {k: v for k, v in MICKEY.items() if k != missing}
    get_err(servers["person"], "/person", 400, required_msg(missing), **post_json(body))


@pytest.mark.parametrize("field,value,typ", [
    ("height", "abc", "integer"), ("height", 1.5, "integer"), ("height", True, "integer"),
    ("height", None, "integer"), ("height", [1], "integer"),
    ("first_name", 1, "string"), ("last_name", None, "string"), ("first_name", {"x": 1}, "string"),
])
def test_person_wrong_types(servers, field, value, typ):
    get_err(servers["person"], "/person", 400, type_msg(value, typ),
            **post_json(dict(MICKEY, **{field: value})))


def test_person_favorite_color_not_string_or_null(servers):
    get_err(servers["person"], "/person", 400, "5 is not valid under any of the given schemas",
            **post_json(dict(MICKEY, favorite_color=5)))


def test_person_null_favorite_color(servers):
    body = dict(MICKEY, favorite_color=None)
    assert get_ok(servers["person"], "/person", **post_json(body)) == body


@pytest.mark.parametrize("height", [0, -5, 2**63 - 1, -2**63])
def test_person_height_range(servers, height):
    body = dict(MICKEY, height=height)
    assert get_ok(servers["person"], "/person", **post_json(body)) == body


def test_person_unicode_echo(servers):
    body = dict(MICKEY, first_name="Mich\u00e9le", favorite_color="\U0001f499")
    assert get_ok(servers["person"], "/person", **post_json(body)) == body


def test_person_unknown_key(servers):
    get_err(servers["person"], "/person", 400, "Additional properties are not allowed ('x' was unexpected)",
            **post_json(dict(MICKEY, x=1)))


def test_person_unknown_keys(servers):
    extras = ["nickname", "age"]
    body = dict(MICKEY, **{k: 1 for k in extras})
    # Python's jsonschema lists the extras sorted.
    listed = ", ".join(repr(k) for k in sorted(extras))
    get_err(servers["person"], "/person", 400, f"Additional properties are not allowed ({listed} were unexpected)",
            **post_json(body))


@pytest.mark.parametrize("value", [[], None, "person", 1])
def test_person_not_an_object(servers, value):
    get_err(servers["person"], "/person", 400, type_msg(value, "object"), **post_json(value))


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                                   "application/json-seq", "json", "application", "", "text/json"])
def test_person_wrong_media_type_415(servers, ctype):
    get_err(servers["person"], "/person", 415, "415: Unsupported Media Type",
            **post_json(MICKEY, ctype=ctype))


def test_person_missing_media_type_415(servers):
    """No Content-Type at all (raw bytes: http.client adds none for bytes bodies either)."""
    s = servers["person"]
    body = json.dumps(MICKEY).encode()
    with s.raw() as c:
        c.send(request_bytes("POST", "/person", [("Content-Length", str(len(body)))], body))
        r = c.read_response()
    assert (r.status, r.body) == (415, b"415: Unsupported Media Type")
    assert r.header("Content-Type") == TEXT_CT


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "Application/JSON",
                                   "APPLICATION/JSON;charset=UTF-8", "application/json ; charset=utf-8",
                                   "application/json;"])
def test_person_media_type_parameters_and_case(servers, ctype):
    assert get_ok(servers["person"], "/person", **post_json(MICKEY, ctype=ctype)) == MICKEY


def test_person_415_before_body_errors(servers):
    """The media type is checked before the body is read as JSON."""
    get_err(servers["person"], "/person", 415, "415: Unsupported Media Type",
            **post_json(b'{"first_name": ', ctype="text/plain"))


def check_malformed(server, path, body, bad_at, bad_len=1, **kw):
    """400 (not 500) whose message names the reason, line, column and
    position of the offending token body[bad_at:bad_at+bad_len] exactly as
    Python's json.loads reports them (JSONDecodeError)."""
    status, headers, data = server.request(path=path, **post_json(body, **kw))
    assert status == 400, (status, data)
    assert headers["Content-Type"] == TEXT_CT
    m = MALFORMED_RE.fullmatch(data.decode())
    assert m, data
    with pytest.raises(json.JSONDecodeError) as py:
        json.loads(body)
    e = py.value
    assert (m[1], int(m[2]), int(m[3]), int(m[4])) == (e.msg, e.lineno, e.colno, e.pos), data
    assert bad_at <= e.pos <= bad_at + bad_len, (e.pos, bad_at, data)
    return m[1]


@pytest.mark.parametrize("body,bad", [
    (b'{"first_name": "Mickey", "height": }', b"}"),
    (b'{"first_name": "Mickey" "last_name": "Mouse"}', b'"last_name"'),
    (b'{\n  "first_name": "Mickey",\n  "height": tall\n}', b"tall"),
    (b"{'first_name': 'Mickey'}", b"'"),
    (b'{"first_name": "Mickey",}', b"}"),
])
def test_person_malformed_json_400_names_position(servers, body, bad):
    check_malformed(servers["person"], "/person", body, body.index(bad), len(bad))


@pytest.mark.parametrize("body", [b"", b"   ", b'{"first_name": "Mickey"', b"[", b'{"a'])
def test_person_truncated_json_400(servers, body):
    """Malformed at the end: the position is the end of the body."""
    check_malformed(servers["person"], "/person", body, 0, len(body))


def test_person_trailing_garbage_400(servers):
    body = json.dumps(MICKEY).encode() + b" x"
    check_malformed(servers["person"], "/person", body, body.index(b" x") + 1)


def test_validated_body_malformed_json_400(servers):
    body = b'{"first_name": "Donald", "last_name": Duck}'
    check_malformed(servers["validated_body"], "/test", body, body.index(b"Duck}"), len(b"Duck"))


def test_person_body_over_limit_413(servers):
    """More than the documented default max_body: 413 before the body is read."""
    limit = server_h_default("max_body")
    with servers["person"].raw() as c:
        c.send(request_bytes("POST", "/person", [("Content-Type", "application/json"),
                                                 ("Content-Length", str(limit + 1))]))
        r = c.read_response()
        assert r.status == 413, r
        assert r.body == f"413: {http.HTTPStatus(413).phrase}".encode()
        assert c.closed_by_peer()


def test_person_body_at_limit_is_parsed(servers):
    """A valid person padded with whitespace to exactly max_body bytes."""
    limit = server_h_default("max_body")
    core = json.dumps(MICKEY).encode()
    body = core[:-1] + b" " * (limit - len(core)) + b"}"
    assert len(body) == limit
    assert get_ok(servers["person"], "/person", **post_json(body)) == MICKEY


def test_person_wrong_method(servers):
    status, headers, body = servers["person"].get("/person")
    assert (status, body) == (405, b"405: Method Not Allowed")


def test_person_keep_alive_after_errors(servers):
    """Failures answer on the same connection, which keeps serving."""
    s = servers["person"]
    c = s.conn()
    try:
        for body, want in [(b"{", 400), (json.dumps(dict(MICKEY, x=1)).encode(), 400),
                           (json.dumps(MICKEY).encode(), 200)]:
            status, _, data = s.request("POST", "/person", body=body,
                                        headers={"Content-Type": "application/json"}, conn=c)
            assert status == want, data
        status, _, data = s.request("POST", "/person", body=b"{}", headers={"Content-Type": "text/plain"}, conn=c)
        assert status == 415
        status, _, data = s.request("POST", "/person", body=json.dumps(MICKEY).encode(),
                                    headers={"Content-Type": "application/json"}, conn=c)
        assert status == 200 and json.loads(data)["data"] == MICKEY
    finally:
        c.close()
