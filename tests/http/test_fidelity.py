"""Behaviour matched byte for byte with Python ponty on aiohttp 3.8 (the
expected bytes below were taken from it; Python ponty is not needed to run
these): Unicode route placeholders, int() on Unicode digits and spaces, NUL
in query values, path segments and text bodies, repr() of non-printable
characters in schema messages, "format" as an annotation unless asked for,
charset on raised text, OPTIONS *, and cookies read as SimpleCookie reads
them.

Servers: the examples greet and bangs, and pt_fields_server
(tests/servers/fields_server.c)."""
import json

import pytest

from conftest import JSON_CT, TEXT_CT, request_bytes


@pytest.fixture(scope="module")
def srv(module_server_factory):
    return {name: module_server_factory(name) for name in ("greet", "bangs", "pt_fields_server")}


def raw(server, method, target, headers=(), body=b""):
    """One request whose target is sent as these bytes (raw UTF-8 allowed)."""
    headers = list(headers) + ([("Content-Length", str(len(body)))] if body else [])
    req = request_bytes(method, "/", headers, body).replace(b" / ", b" " + target + b" ", 1)
    with server.raw() as c:
        c.send(req)
        return c.read_response()


def data(r):
    assert r.status == 200, r
    assert r.header("Content-Type") == JSON_CT
    return json.loads(r.body)["data"]


def text_err(r, status, body):
    assert (r.status, r.header("Content-Type"), r.body) == (status, TEXT_CT, body), r


# ------------------------------------------------ route placeholders

@pytest.mark.parametrize("target, greeting", [
    ("/hello/é".encode(), b'"hello, \\u00e9!"'),
    (b"/hello/%C3%A9t%C3%A9", b'"hello, \\u00e9t\\u00e9!"'),
    ("/hello/Ωmega_٣".encode(), b'"hello, \\u03a9mega_\\u0663!"'),
])
def test_word_placeholder_takes_unicode_letters_and_digits(srv, target, greeting):
    r = raw(srv["greet"], "GET", target)
    assert r.status == 200 and greeting in r.body, r


@pytest.mark.parametrize("target", [
    "/hello/€", "/hello/😀", "/hello/a\u00a0b", "/hello/a\u0301", "/hello/\u202e", "/hello/\u200b",
    "/hello/a%00b", "/hello/%FF", "/hello/a%C3",
])
def test_word_placeholder_refuses_what_python_w_refuses(srv, target):
    """Symbols, emoji, NBSP, combining marks, format characters, NUL and
    bytes that are not UTF-8 are not \\w: no route, as in Python's re."""
    text_err(raw(srv["greet"], "GET", target.encode()), 404, b"404: Not Found")


@pytest.mark.parametrize("target, n", [("/items/٣", 3), ("/items/３", 3), ("/items/२", 2),
                                       ("/items/%D9%A3%D9%A0", 30), ("/items/7", 7)])
def test_digits_placeholder_takes_unicode_decimal_digits(srv, target, n):
    assert data(raw(srv["pt_fields_server"], "GET", target.encode())) == {"id": n}


@pytest.mark.parametrize("target", ["/items/½", "/items/²", "/items/Ⅻ", "/items/3a"])
def test_digits_placeholder_refuses_other_numerics(srv, target):
    text_err(raw(srv["pt_fields_server"], "GET", target.encode()), 404, b"404: Not Found")


# ------------------------------------------------ int()

@pytest.mark.parametrize("value, bangs", [
    ("%D9%A3", 3), ("%EF%BC%93", 3), ("%E0%A5%A8", 2), ("%C2%A02%E2%80%83", 2),
    ("%E3%80%801_%D9%A3%0A", 13), ("+%EF%BC%90", 0),
])
def test_posint_follows_python_int(srv, value, bangs):
    r = raw(srv["bangs"], "GET", f"/hello?bangs={value}".encode())
    assert data(r) == {"greeting": "hello world" + "!" * bangs}


@pytest.mark.parametrize("value, body", [
    ("%C2%BD", "'½' could not be cast"),
    ("%E2%80%8B3", "'\\u200b3' could not be cast"),
    ("3%C2%AD", "'3\\xad' could not be cast"),
    ("%00", "'\\x00' could not be cast"),
    ("1%002", "'1\\x002' could not be cast"),
])
def test_posint_cast_failures(srv, value, body):
    text_err(raw(srv["bangs"], "GET", f"/hello?bangs={value}".encode()), 400, body.encode())


# ------------------------------------------------ NUL

def test_nul_in_text_body_is_text(srv):
    r = raw(srv["pt_fields_server"], "POST", b"/text", body=b"a\x00b\x00")
    assert data(r) == {"text": "a\x00b\x00", "bytes": 4}
    assert b'"a\\u0000b\\u0000"' in r.body


def test_nul_in_string_query_value_is_named(srv):
    text_err(raw(srv["pt_fields_server"], "GET", b"/iso/x?q=a%00b"), 400,
             b"query param 'q' contains a NUL character, which a C string cannot hold")


def test_nul_in_route_value_is_named(srv):
    text_err(raw(srv["pt_fields_server"], "GET", b"/any/a%00b"), 400,
             b"route param 'seg' contains a NUL character, which a C string cannot hold")


def test_encoded_nul_is_not_a_malformed_escape(srv):
    """Other query values and paths around an escaped NUL still work."""
    assert data(raw(srv["pt_fields_server"], "GET", b"/iso/x?z=%00&q=ok")) == {
        "name": "x", "q": "ok", "h": "dh", "c": "dc", "undeclared": None, "also_undeclared": 0}


# ------------------------------------------------ repr() in messages

@pytest.mark.parametrize("tag, body", [
    ("\u200babc", "'\\u200babc' is too long"),
    ("\u00a0\u00ad!x", "'\\xa0\\xad!x' is too long"),
    ("\u2028abc", "'\\u2028abc' is too long"),
    ("\U000e0001abc", "'\\U000e0001abc' is too long"),
    ("\u0085abc", "'\\x85abc' is too long"),
    ("é€😀x", "'é€😀x' is too long"),
    ("it's", "\"it's\" is too long"),
])
def test_schema_messages_escape_what_repr_escapes(srv, tag, body):
    payload = json.dumps({"n": 1, "tag": tag}).encode()
    r = raw(srv["pt_fields_server"], "POST", b"/schema", [("Content-Type", "application/json")], payload)
    text_err(r, 400, body.encode())


# ------------------------------------------------ "format"

def test_format_is_an_annotation_by_default(srv):
    r = raw(srv["pt_fields_server"], "POST", b"/format", body=b'{"e": "nope"}')
    assert data(r) == {"body": {"e": "nope"}}


def test_format_checked_when_asked(srv):
    r = raw(srv["pt_fields_server"], "POST", b"/format_checked", body=b'{"e": "nope"}')
    text_err(r, 400, b"'nope' is not a 'email'")
    r = raw(srv["pt_fields_server"], "POST", b"/format_checked", body=b'{"e": "a@b.c"}')
    assert data(r) == {"body": {"e": "a@b.c"}}


# ------------------------------------------------ raises, OPTIONS *

def test_raise_text_with_media_type_gets_charset(srv):
    r = raw(srv["pt_fields_server"], "GET", b"/teapot")
    assert (r.status, r.header("Content-Type"), r.body) == (418, "text/html; charset=utf-8", b"teapot")


def test_options_asterisk_is_404(srv):
    text_err(raw(srv["pt_fields_server"], "OPTIONS", b"*"), 404, b"404: Not Found")


# ------------------------------------------------ cookies

@pytest.mark.parametrize("cookie, session", [
    ('session="a\\101b"', "aAb"),
    ("session=1; session=2", "2"),
    ('session="x\\"y"; Path=/; session="q\\\\"', "q\\"),
    ('session="\\303\\251"', "\u00c3\u00a9"),
    ("$Version=1; session=v; $Path=/", "v"),
])
def test_cookies_as_simplecookie(srv, cookie, session):
    r = raw(srv["pt_fields_server"], "GET", b"/cookie", [("Cookie", cookie)])
    assert data(r)["session"] == session


def test_cookie_octal_nul_is_named(srv):
    r = raw(srv["pt_fields_server"], "GET", b"/cookie", [("Cookie", 'session="a\\000b"')])
    text_err(r, 400, b"cookie 'session' contains a NUL character, which a C string cannot hold")


# ------------------------------------------------ charsets

@pytest.mark.parametrize("ctype, body, text", [
    ("text/plain; charset=latin-1", "café ÿ".encode("latin-1"), "café ÿ"),
    ("text/plain; charset=ISO-8859-1", "naïve".encode("latin-1"), "naïve"),
    ('text/plain; charset="utf-16"', "Ωmega €".encode("utf-16"), "Ωmega €"),   # with its BOM
    ("text/plain; charset=utf_16", "le".encode("utf-16-le"), "le"),           # no BOM: little-endian
    ("text/plain; charset=cp1252", "€uro".encode("cp1252"), "€uro"),
    ("text/plain; charset=utf-8", "é".encode(), "é"),
])
def test_text_body_decoded_from_its_charset(srv, ctype, body, text):
    """aiohttp's request.text() decodes with the Content-Type's charset."""
    r = raw(srv["pt_fields_server"], "POST", b"/text", headers=[("Content-Type", ctype)], body=body)
    assert data(r) == {"text": text, "bytes": len(text.encode())}


@pytest.mark.parametrize("ctype, body", [
    ("application/json; charset=latin-1", '{"name": "José"}'.encode("latin-1")),
    ("application/json; charset=utf-16", '{"name": "José"}'.encode("utf-16")),
])
def test_json_body_decoded_from_its_charset(srv, ctype, body):
    """request.json() reads request.text(): the charset applies to JSON too."""
    r = raw(srv["pt_fields_server"], "POST", b"/json", headers=[("Content-Type", ctype)], body=body)
    assert data(r) == {"kind": "object", "body": {"name": "José"}}


def test_unknown_charset_is_415(srv):
    """Python answers 500 (LookupError); a client's mistake is a 4xx here."""
    r = raw(srv["pt_fields_server"], "POST", b"/text", headers=[("Content-Type", "text/plain; charset=klingon")],
            body=b"x")
    text_err(r, 415, b"unsupported charset 'klingon'")


def test_bytes_invalid_in_the_charset_are_400(srv):
    """An odd number of bytes is no UTF-16 text (Python: UnicodeDecodeError, 500)."""
    r = raw(srv["pt_fields_server"], "POST", b"/text", headers=[("Content-Type", "text/plain; charset=utf-16le")],
            body=b"abc")
    text_err(r, 400, b"request body is not valid utf-16le text")
