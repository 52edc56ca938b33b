"""The request path's shortcuts hold on real sockets: tokens used where they
lie in the input or carried over when a read cuts them, the response head
written from fragments, the envelope's opening reused within a millisecond,
and several requests in one read."""
import email.utils
import re
import socket
import time

import pytest

from conftest import JSON_CT, TEXT_CT, request_bytes


@pytest.fixture(scope="module")
def server(module_server_factory):
    return module_server_factory("pt_test_server", workers=1)


def test_request_cut_at_every_byte_is_parsed_whole(server):
    """One keep-alive connection; each request goes out in two writes cut at
    a different byte, so the URL, a header name and a header value (with
    trailing blanks to trim) are each cut somewhere by a read boundary."""
    req = request_bytes("GET", "/headers", [("X-Long-Header-Name", "some value, with more text  "),
                                            ("Accept", "*/*")])
    with server.raw() as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for cut in range(1, len(req)):
            c.send(req[:cut])
            time.sleep(0.005)  # lets the server read the first part alone
            c.send(req[cut:])
            r = c.read_response()
            assert r.status == 200, (cut, r)
            data = r.json()["data"]
            assert data == {"Host": "127.0.0.1", "X-Long-Header-Name": "some value, with more text",
                            "Accept": "*/*"}, (cut, data)


def test_target_cut_by_a_read(server):
    req = request_bytes("GET", "/request/a%20b/c?q=x%21&z=1")
    with server.raw() as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for cut in range(4, 4 + len("/request/a%20b/c?q=x%21&z=1") + 1):
            c.send(req[:cut])
            time.sleep(0.005)
            c.send(req[cut:])
            d = c.read_response().json()["data"]
            assert d["path"] == "/request/a b/c" and d["q"] == "x!", (cut, d)
            assert d["target"] == "/request/a%20b/c?q=x%21&z=1"


def test_many_requests_in_one_read(server):
    reqs = [request_bytes("GET", f"/request/n{i}", [(f"X-N{i}", "v" * i)]) for i in range(50)]
    with server.raw() as c:
        c.send(b"".join(reqs))
        for i in range(50):
            r = c.read_response()
            assert r.status == 200
            assert r.json()["data"]["path"] == f"/request/n{i}"


HEAD_RE = re.compile(rb"HTTP/1\.1 (\d{3}) ([^\r\n]*)\r\n((?:[^\r\n]+\r\n)*)\r\n")


def raw_head(c, req):
    """Sends req and returns (status, reason, [(name, value)...], body)."""
    c.send(req)
    while b"\r\n\r\n" not in c.buf:
        c._fill()
    m = HEAD_RE.match(c.buf)
    assert m, c.buf[:200]
    headers = [tuple(h.split(": ", 1)) for h in m.group(3).decode().split("\r\n") if h]
    n = int(dict(headers).get("Content-Length", "0"))
    end = m.end()
    while len(c.buf) < end + n:
        c._fill()
    body = c.buf[end:end + n]
    c.buf = c.buf[end + n:]
    return int(m.group(1)), m.group(2).decode(), headers, body


def test_response_heads_field_by_field(server):
    """Status lines, header order and values, Content-Length against the body."""
    with server.raw() as c:
        status, reason, headers, body = raw_head(c, request_bytes("GET", "/whoami"))
        assert (status, reason) == (200, "OK")
        assert [h[0] for h in headers] == ["Content-Type", "Content-Length", "Date", "Server"]
        h = dict(headers)
        assert h["Content-Type"] == JSON_CT and h["Server"] == "ponty"
        assert int(h["Content-Length"]) == len(body)
        date = email.utils.parsedate_to_datetime(h["Date"])
        assert abs(date.timestamp() - time.time()) < 5
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", h["Date"])

        status, reason, headers, body = raw_head(c, request_bytes("GET", "/nowhere"))
        assert (status, reason) == (404, "Not Found")
        assert dict(headers)["Content-Type"] == TEXT_CT and body == b"404: Not Found"

        status, reason, headers, body = raw_head(c, request_bytes("GET", "/raise/418?ct=application/x-tea&hdr=pot"))
        assert (status, reason) == (418, "I'm a teapot")
        h = dict(headers)
        assert h["Content-Type"] == "application/x-tea; charset=utf-8" and h["X-Test"] == "pot"
        assert int(h["Content-Length"]) == len(body)

        status, reason, headers, body = raw_head(c, request_bytes("GET", "/raise/599"))
        assert (status, reason) == (599, "Unknown")

        # HTTP/1.0 keep-alive and close are spelled out.
        status, _, headers, _ = raw_head(c, request_bytes("GET", "/whoami", [("Connection", "keep-alive")],
                                                          version="HTTP/1.0"))
        assert status == 200 and dict(headers)["Connection"] == "keep-alive"
        status, _, headers, _ = raw_head(c, request_bytes("GET", "/whoami", [("Connection", "close")]))
        assert status == 200 and dict(headers)["Connection"] == "close"


def test_envelope_now_follows_the_clock(server):
    """The envelope's opening is reused only within one millisecond: over
    requests spread across time, `now` tracks the wall clock."""
    seen = []
    with server.raw() as c:
        for _ in range(20):
            t0 = int(time.time() * 1000)
            c.send(request_bytes("GET", "/whoami"))
            r = c.read_response()
            t1 = int(time.time() * 1000)
            now = r.json()["now"]
            assert t0 - 2 <= now <= t1 + 2, (t0, now, t1)
            assert r.body.startswith(b'{"now": %d, "data": ' % now)
            seen.append(now)
            time.sleep(0.003)
    assert len(set(seen)) > 10


def test_parked_requests_carry_nothing_over(server):
    """A request struct goes back to the worker when its connection idles
    and the next message on any connection takes it: 40 connections (more
    than the worker keeps) each send a request with a body and headers, one
    with a route capture and a query, one that adds a response header; then
    each sends bare requests. Those must see only their own Host header, no
    capture or query, and no response header of an earlier request."""
    def ask(c, method, path, headers=(), body=b""):
        if body:
            headers = list(headers) + [("Content-Length", str(len(body)))]
        c.send(request_bytes(method, path, headers, body))
        return c.read_response()

    conns = [server.raw() for _ in range(40)]
    try:
        for i, c in enumerate(conns):
            r = ask(c, "POST", "/echo", [(f"X-Old-{i}", "x" * (i + 1)), ("Content-Type", "application/json")],
                    b'{"n": %d}' % i)
            assert r.status == 200 and r.body == b'{"n": %d}' % i, r
            r = ask(c, "GET", f"/request/old{i}?q=old")
            assert r.json()["data"]["path"] == f"/request/old{i}"
            r = ask(c, "GET", "/resp_header")
            assert r.header("X-Added") == "yes"
        time.sleep(0.05)  # every connection idle: their requests parked
        for i, c in enumerate(conns):
            r = ask(c, "GET", "/headers")
            assert r.status == 200
            assert r.json()["data"] == {"Host": "127.0.0.1"}, (i, r.json())
            assert r.header("X-Added") is None, (i, r)
            d = ask(c, "GET", "/request/new").json()["data"]
            assert d["path"] == "/request/new" and d["q"] is None and d["query_string"] == "", (i, d)
    finally:
        for c in conns:
            c.close()
