"""Behaviour matched byte for byte with Python ponty on aiohttp 3.8 (the
expected bytes below were taken from it; Python ponty is not needed to run
these), on the examples run as processes: Unicode word placeholders and
int() on Unicode digits and spaces.

The same fidelity on pt_fields_server's routes (digits placeholders, NUL,
repr() in schema messages, "format", charset on raised text, OPTIONS *,
SimpleCookie, body charsets) is tested in-process through the test client:
tests/unit/test_tc_fidelity.c.

Servers: the examples greet and bangs."""
import json

import pytest

from conftest import JSON_CT, TEXT_CT, request_bytes


@pytest.fixture(scope="module")
def srv(module_server_factory):
    return {name: module_server_factory(name) for name in ("greet", "bangs")}


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


