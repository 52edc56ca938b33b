"""Errors as statuses (pt_raise, error kinds, NULL handlers, 404/405),
percent-decoding, cleanups on the raise path, process-wide mutex across
workers, and Python-compatible JSON output."""
import http
import json
import threading
import time
import urllib.parse

import pytest

from conftest import JSON_CT, TEXT_CT, check_envelope, now_ms, request_bytes


def reason(code):
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 418, 422, 429, 500, 503])
def test_raise_status_with_text(test_server, code):
    text = f"custom é {code}"
    status, headers, body = test_server.get(f"/raise/{code}?text={urllib.parse.quote(text)}")
    assert status == code
    assert headers["Content-Type"] == TEXT_CT
    assert body == text.encode()
    assert headers["Content-Length"] == str(len(body))


@pytest.mark.parametrize("code", [400, 404, 409, 451, 500])
def test_raise_status_with_json_body(test_server, code):
    status, headers, body = test_server.get(f"/raise/{code}?body=json")
    assert status == code
    assert headers["Content-Type"] == JSON_CT
    assert body == json.dumps({"status": code, "detail": "raised"}).encode()


@pytest.mark.parametrize("code", [400, 401, 404, 405, 409, 410, 500, 502, 503, 599])
def test_raise_status_bare(test_server, code):
    status, headers, body = test_server.get(f"/raise/{code}")
    assert status == code
    assert headers["Content-Type"] == TEXT_CT
    assert body == f"{code}: {reason(code)}".encode()


def test_raise_with_content_type_and_headers(test_server):
    status, headers, body = test_server.get(
        "/raise/402?text=%3Cb%3Ex%3C%2Fb%3E&ct=text%2Fhtml&hdr=v1")
    assert (status, body) == (402, b"<b>x</b>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"  # text bodies are UTF-8
    assert headers["X-Test"] == "v1"


def test_raise_204_has_no_body(test_server):
    with test_server.raw() as c:
        c.send(request_bytes("GET", "/raise/204") + request_bytes("GET", "/whoami"))
        r = c.read_response()
        assert r.status == 204 and r.header("Content-Length") is None
        assert c.read_response().status == 200  # no stray body bytes in between


def test_raise_1xx_is_a_programming_error(test_server):
    with test_server.raw() as c:
        c.send(request_bytes("GET", "/raise/150") + request_bytes("GET", "/whoami"))
        r = c.read_response()
        assert r.status == 500 and r.body == b"500: Internal Server Error"
        assert c.read_response().status == 200


@pytest.mark.parametrize("code", [0, 99, 1000])
def test_raise_invalid_status_is_500(test_server, code):
    status, headers, body = test_server.get(f"/raise/{code}")
    assert (status, body) == (500, b"500: Internal Server Error")


def test_raise_both_text_and_body_is_500(test_server):
    status, headers, body = test_server.get("/raise_both")
    assert (status, body) == (500, b"500: Internal Server Error")
    assert headers["Content-Type"] == TEXT_CT
    assert "raise_both" in test_server.stderr()  # logged with the route's handler


def test_null_handler_is_500(test_server):
    status, headers, body = test_server.get("/null")
    assert (status, body) == (500, b"500: Internal Server Error")
    assert headers["Content-Type"] == TEXT_CT


@pytest.mark.parametrize("kind,code", [("does_not_exist", 404), ("validation", 400),
                                       ("locked", 409), ("stampede", 409), ("error", 500)])
def test_error_kinds(test_server, kind, code):
    status, headers, body = test_server.get(f"/kinds/{kind}")
    assert status == code
    assert body == f"{code}: {reason(code)}".encode()
    assert headers["Content-Type"] == TEXT_CT


def test_user_defined_error_kind(test_server):
    status, headers, body = test_server.get("/kinds/custom")
    assert (status, body) == (418, b"kind custom")


def test_resp_header_applies_to_envelope_and_error(test_server):
    status, headers, body = test_server.get("/resp_header")
    assert status == 200 and headers["X-Added"] == "yes"
    status, headers, body = test_server.get("/resp_header?raise=1")
    assert (status, body) == (409, b"conflict") and headers["X-Added"] == "yes"


def test_not_found(test_server):
    for path in ["/nope", "/raise/abc", "/sleep/-1", "/methods/", "/METHODS", "//whoami"]:
        status, headers, body = test_server.get(path)
        assert (status, body) == (404, b"404: Not Found"), path
        assert headers["Content-Type"] == TEXT_CT


@pytest.mark.parametrize("method", ["POST", "OPTIONS", "PROPFIND", "TRACE"])
def test_405_with_allow(test_server, method):
    status, headers, body = test_server.request(method, "/methods", body=b"")
    assert status == 405
    assert body == b"405: Method Not Allowed"
    assert headers["Allow"] == "GET, HEAD, PUT, DELETE, PATCH"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_each_registered_method(test_server, method):
    t0 = now_ms()
    status, headers, body = test_server.request(method, "/methods", body=b"")
    t1 = now_ms()
    assert status == 200
    assert check_envelope(body, t0, t1) == {"method": method}


@pytest.mark.parametrize("method,route", [("GET", "any"), ("DELETE", "any"), ("PROPFIND", "any"),
                                          ("POST", "post")])
def test_any_method_route(test_server, method, route):
    status, headers, body = test_server.request(method, "/any", body=b"")
    assert status == 200
    assert json.loads(body)["data"] == {"route": route, "method": method}


@pytest.mark.parametrize("raw,decoded", [("/hello/%79ou", "/hello/you"),
                                         ("/a%20b/%C3%A9", "/a b/\u00e9"),
                                         ("/a+b", "/a+b"),
                                         ("/%7e%7E", "/~~")])
def test_percent_decoding_of_path(test_server, raw, decoded):
    status, headers, body = test_server.get("/request" + raw + "?q=a%20b+c")
    assert status == 200
    data = json.loads(body)["data"]
    assert data["path"] == "/request" + decoded
    assert data["target"] == "/request" + raw + "?q=a%20b+c"
    assert data["query_string"] == "q=a%20b+c"
    assert data["q"] == "a b c"


def test_percent_decoded_route_param(module_server_factory):
    s = module_server_factory("greet")
    status, headers, body = s.get("/hello/%79ou")
    assert status == 200
    assert json.loads(body)["data"] == {"greeting": "hello, you!"}


@pytest.mark.parametrize("path", ["/request/%zz", "/request/%4", "/request/a%",
                                  "/request/%g1"])
def test_malformed_percent_encoding_400(test_server, path):
    status, headers, body = test_server.get(path)
    assert status == 400
    assert body.startswith(b"400: Bad Request")
    assert headers["Content-Type"] == TEXT_CT


def defer_count(server):
    return server.get_json("/defer_count")[2]["data"]["count"]


def test_cleanups_run_on_raise_and_return_paths(test_server):
    before = defer_count(test_server)
    n = 5
    for _ in range(n):
        status, _, body = test_server.get("/defer")
        assert (status, body) == (400, b"deferred")
    status, _, _ = test_server.get("/defer_ok")
    assert status == 200
    # Cleanups run when the request ends, before its response is written.
    assert defer_count(test_server) == before + n + 1


def test_cleanups_run_when_raising_after_a_suspension(start_server):
    s = start_server("pt_test_server")
    before = defer_count(s)
    for _ in range(3):
        status, _, body = s.get("/defer_sleep")
        assert (status, body) == (400, b"deferred")
    assert defer_count(s) == before + 3


def test_mutex_excludes_across_workers(start_server):
    """Concurrent read-sleep-write increments under a pt_mutex_t from both
    workers lose nothing, and they run one at a time."""
    test_server = start_server("pt_test_server", workers=2)
    # Find keep-alive connections on each worker (the kernel spreads them).
    by_worker = {}
    conns = []
    for _ in range(64):
        c = test_server.conn(timeout=30)
        conns.append(c)
        thread = test_server.get_json("/whoami", conn=c)[2]["data"]["thread"]
        by_worker.setdefault(thread, []).append(c)
        if len(by_worker) >= 2 and sum(len(v) for v in by_worker.values()) >= 12:
            break
    try:
        assert len(by_worker) == 2, f"connections did not reach both workers: {list(by_worker)}"
        use = [c for cs in by_worker.values() for c in cs[:6]]
        before = test_server.get_json("/mutex_count")[2]["data"]["count"]
        results, errors = [], []

        def one(c):
            try:
                results.append(test_server.get_json("/mutex", conn=c)[2]["data"])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=one, args=(c,)) for c in use]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.monotonic() - t0
        assert not errors, errors
        n = len(use)
        assert len({r["thread"] for r in results}) == 2
        assert sorted(r["value"] for r in results) == list(range(before + 1, before + n + 1))
        assert test_server.get_json("/mutex_count")[2]["data"]["count"] == before + n
        assert elapsed >= n * 0.05 * 0.95, elapsed  # serialised: n sleeps of 50 ms
    finally:
        for c in conns:
            c.close()


def test_python_compatible_json(test_server):
    t0 = now_ms()
    status, headers, body = test_server.get("/unicode")
    t1 = now_ms()
    assert status == 200
    data = check_envelope(body, t0, t1)  # byte-identical to json.dumps of the parsed value
    expected = {
        "e_acute": "\u00e9", "snowman": "\u2603", "emoji": "\U0001F600",
        "controls": "tab\there\nnl \"q\" \\ \x01\x1f\x7f", "caf\u00e9": "key",
        "tenth": 0.1, "third": 1.0 / 3.0, "one": 1.0, "big": 1e100, "e16": 1e16,
        "under16": 123456789012345.6, "small": 1e-7, "milli": 0.0001, "neg": -2.5,
        "negzero": -0.0, "maxint": 2 ** 63 - 1, "minint": -2 ** 63,
        "list": [1, 2.5, None, True, False, {}, []],
    }
    assert data == expected
    assert list(data) == list(expected)
    # The data part is exactly what Python writes for the same values
    # (ensure_ascii escapes, lowercase hex, repr of floats).
    assert json.dumps(expected).encode() in body
    for fragment in [rb'"\u00e9"', rb'"\ud83d\ude00"', rb'\u007f', rb'"tenth": 0.1,',
                     rb'"big": 1e+100,', rb'"one": 1.0,', rb'"small": 1e-07,', rb'"negzero": -0.0,']:
        assert fragment in body, fragment
