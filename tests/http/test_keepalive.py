"""Connection handling: keep-alive, HTTP/1.0, Connection: close, HEAD,
pipelining, chunked request bodies, Expect: 100-continue, concurrency."""
import json
import socket
import threading
import time

import pytest

from conftest import JSON_CT, TEXT_CT, check_envelope, now_ms, request_bytes


def big_body(n):
    """What /big/{n} answers: 'a'..'z' repeated."""
    return bytes(ord("a") + i % 26 for i in range(n))


def test_keep_alive_reuses_one_connection(test_server):
    c = test_server.conn()
    try:
        c.connect()
        sock = c.sock
        local = sock.getsockname()
        for i in range(50):
            path = f"/request/{i}?q={i}"
            t0 = now_ms()
            status, headers, body = test_server.request("GET", path, conn=c)
            t1 = now_ms()
            assert status == 200
            assert headers["Connection"] is None or headers["Connection"].lower() != "close"
            data = check_envelope(body, t0, t1)
            assert data["path"] == f"/request/{i}" and data["q"] == str(i)
            # http.client reconnects silently if the server closed: make sure it did not.
            assert c.sock is sock and c.sock.getsockname() == local
    finally:
        c.close()


def test_keep_alive_after_error_responses(test_server):
    """Handler errors (404, 405, raised statuses) keep the connection open."""
    with test_server.raw() as c:
        for path, method, status in [("/nope", "GET", 404), ("/methods", "POST", 405),
                                     ("/raise/409", "GET", 409), ("/null", "GET", 500),
                                     ("/raise_both", "GET", 500), ("/whoami", "GET", 200)]:
            c.send(request_bytes(method, path, [("Content-Length", "0")]))
            r = c.read_response()
            assert r.status == status, (path, r)
            assert r.header("Connection") is None, r


def test_http10_closes_by_default(test_server):
    with test_server.raw() as c:
        c.send(b"GET /whoami HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.header("Connection").lower() == "close"
        assert r.header("Content-Length") == str(len(r.body))
        assert json.loads(r.body)["data"]["thread"].startswith("ponty-w")
        assert c.closed_by_peer()


def test_http10_keep_alive(test_server):
    with test_server.raw() as c:
        for i in range(3):
            c.send(f"GET /request/x?q={i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            assert r.status == 200
            assert r.header("Connection").lower() == "keep-alive"
            data = r.json()["data"]
            assert data["http_minor"] == 0 and data["q"] == str(i)
        # Without the header the last request closes the connection.
        c.send(b"GET /request/last HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.header("Connection").lower() == "close"
        assert c.closed_by_peer()


def test_connection_close_honored(test_server):
    with test_server.raw() as c:
        c.send(request_bytes("GET", "/whoami", [("Connection", "close")]))
        r = c.read_response()
        assert r.status == 200
        assert r.header("Connection").lower() == "close"
        assert c.closed_by_peer()


def test_requests_after_connection_close_are_not_answered(test_server):
    with test_server.raw() as c:
        c.send(request_bytes("GET", "/request/one", [("Connection", "close")])
               + request_bytes("GET", "/request/two"))
        r = c.read_response()
        assert r.status == 200 and r.json()["data"]["path"] == "/request/one"
        assert c.closed_by_peer()


def test_head_has_get_headers_and_no_body(test_server):
    n = 12345
    status, headers, body = test_server.get(f"/big/{n}")
    assert status == 200 and body == big_body(n)
    with test_server.raw() as c:
        # HEAD then GET on one connection: if HEAD sent body bytes, the GET's
        # status line would not parse.
        c.send(request_bytes("HEAD", f"/big/{n}") + request_bytes("GET", "/whoami"))
        r = c.read_response(head=True)
        assert r.status == 200
        assert r.header("Content-Length") == str(n)
        assert r.header("Content-Type") == headers["Content-Type"]
        assert r.body == b""
        r2 = c.read_response()
        assert r2.status == 200 and r2.json()["data"]["thread"].startswith("ponty-w")


def test_head_envelope_and_errors(test_server):
    with test_server.raw() as c:
        c.send(request_bytes("HEAD", "/unicode") + request_bytes("HEAD", "/nope")
               + request_bytes("GET", "/unicode"))
        h1 = c.read_response(head=True)
        h2 = c.read_response(head=True)
        g = c.read_response()
    assert h1.status == 200 and h1.header("Content-Type") == JSON_CT
    # The envelope differs only in the digits of now/elapsed.
    assert abs(int(h1.header("Content-Length")) - len(g.body)) <= 2
    assert h2.status == 404 and h2.header("Content-Length") == str(len("404: Not Found"))
    assert h2.header("Content-Type") == TEXT_CT


def test_pipelining_in_order_with_slow_request(test_server):
    reqs, expect = [], []
    for i in range(12):
        if i == 5:
            reqs.append(request_bytes("GET", "/sleep/300"))
            expect.append(("slept", 300))
        elif i == 8:
            body = f"echo-{i}".encode()
            reqs.append(request_bytes("POST", "/echo", [("Content-Type", "text/x-test"),
                                                        ("Content-Length", str(len(body)))], body))
            expect.append(("echo", body))
        elif i == 10:
            reqs.append(request_bytes("GET", "/nope"))
            expect.append(("status", 404))
        else:
            reqs.append(request_bytes("GET", f"/request/p{i}?q={i}"))
            expect.append(("q", str(i)))
    with test_server.raw() as c:
        t0 = time.monotonic()
        c.send(b"".join(reqs))
        for kind, val in expect:
            r = c.read_response()
            if kind == "slept":
                assert r.status == 200 and r.json()["data"] == {"slept": 300}
                assert time.monotonic() - t0 >= 0.29
            elif kind == "echo":
                assert (r.status, r.body, r.header("Content-Type")) == (200, val, "text/x-test")
            elif kind == "status":
                assert r.status == val and r.body == b"404: Not Found"
            else:
                assert r.status == 200 and r.json()["data"]["q"] == val, r
        # Still open and usable afterwards.
        c.send(request_bytes("GET", "/request/after"))
        assert c.read_response().json()["data"]["path"] == "/request/after"


def test_pipelining_many_requests(test_server):
    n = 200
    with test_server.raw() as c:
        c.send(b"".join(request_bytes("GET", f"/request/r?q={i}") for i in range(n)))
        for i in range(n):
            r = c.read_response()
            assert r.status == 200 and r.json()["data"]["q"] == str(i)


def test_pipelining_large_responses(test_server):
    """Responses bigger than the socket buffers, pipelined, read in order."""
    sizes = [300_000, 1, 2_000_000, 70_000, 1_500_000]
    with test_server.raw(timeout=30) as c:
        c.send(b"".join(request_bytes("GET", f"/big/{n}") for n in sizes))
        for n in sizes:
            r = c.read_response()
            assert r.status == 200 and len(r.body) == n and r.body == big_body(n)


def test_request_sent_byte_by_byte(test_server):
    body = b"byte by byte"
    req = request_bytes("POST", "/echo?x=1", [("Content-Type", "text/plain"),
                                              ("Content-Length", str(len(body)))], body)
    with test_server.raw() as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(req)):
            c.send(req[i:i + 1])
            if i % 16 == 0:
                time.sleep(0.001)
        r = c.read_response()
    assert (r.status, r.body, r.header("Content-Type")) == (200, body, "text/plain")


def chunked(parts, ext=False, trailers=()):
    out = b""
    for p in parts:
        out += f"{len(p):x}".encode() + (b";name=val" if ext else b"") + b"\r\n" + p + b"\r\n"
    out += b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailers) + b"\r\n"
    return out


def test_chunked_request_body_is_dechunked(test_server):
    parts = [b"hello ", b"chunked ", b"x" * 5000, b"world"]
    with test_server.raw() as c:
        c.send(request_bytes("POST", "/echo", [("Content-Type", "application/octet-stream"),
                                               ("Transfer-Encoding", "chunked")]) + chunked(parts))
        r = c.read_response()
        assert r.status == 200
        assert r.body == b"".join(parts)
        assert r.header("Content-Type") == "application/octet-stream"
        # Extensions and trailers are accepted; the connection stays usable.
        c.send(request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")])
               + chunked([b"abc", b"def"], ext=True, trailers=[("X-Trailer", "t")]))
        r = c.read_response()
        assert (r.status, r.body) == (200, b"abcdef")


def test_chunked_body_in_slow_pieces(test_server):
    payload = chunked([b"one", b"two" * 100, b"three"])
    with test_server.raw() as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.send(request_bytes("POST", "/echo", [("Transfer-Encoding", "chunked")]))
        for i in range(0, len(payload), 7):
            c.send(payload[i:i + 7])
            time.sleep(0.002)
        r = c.read_response()
    assert (r.status, r.body) == (200, b"one" + b"two" * 100 + b"three")


def test_expect_100_continue(test_server):
    body = b'{"k": "v"}'
    with test_server.raw() as c:
        c.send(request_bytes("POST", "/echo", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))),
                                               ("Expect", "100-continue")]))
        interim = c.read_response()
        assert interim.status == 100 and interim.reason == "Continue"
        assert interim.body == b""
        c.send(body)
        r = c.read_response()
        assert (r.status, r.body, r.header("Content-Type")) == (200, body, "application/json")


def test_expect_100_continue_with_curl(test_server):
    """curl waits for 100 Continue on big uploads: the answer must come at once."""
    import subprocess
    data = "x" * 200_000
    t0 = time.monotonic()
    # curl's own fallback is to send anyway after --expect100-timeout (1 s by
    # default; 6 s here, so a slow machine's answer is far from it).
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "20", "--expect100-timeout", "6",
                          "-H", "Expect: 100-continue",
                          "-H", "Content-Type: text/plain", "--data-binary", "@-",
                          f"http://127.0.0.1:{test_server.port}/echo"],
                         input=data.encode(), capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == data.encode()
    assert time.monotonic() - t0 < 2.0


def test_suspending_handler_on_fresh_connection(start_server):
    """The simplest suspension: one request, alone in its read, that sleeps."""
    s = start_server("pt_test_server")
    with s.raw() as c:
        c.send(request_bytes("GET", "/sleep/20"))
        r = c.read_response()
        assert r.status == 200 and r.json()["data"] == {"slept": 20}
    assert s.alive(), s.logs()


def test_concurrent_requests_do_not_block_each_other(start_server):
    """20 requests that each sleep 1 s, on 20 connections, complete in far
    less than the 10 s a sequential server would need (2 workers × 10 each)."""
    n, ms = 20, 1000
    results, errors = [None] * n, []
    test_server = start_server("pt_test_server")

    def one(i):
        try:
            results[i] = test_server.get_json(f"/sleep/{ms}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - t0
    assert not errors, errors
    for status, headers, env in results:
        assert status == 200 and env["data"] == {"slept": ms}
        assert ms <= env["elapsed"] < ms + 2000
    assert elapsed < 10 / 3, elapsed


def test_partial_request_behind_a_waiting_handler(start_server):
    """A slow request followed, in the same packet, by the first half of
    another: once the slow one is answered the server must go on reading the
    second (not stall until the header timeout)."""
    s = start_server("pt_test_server", PT_HEADER_TIMEOUT_MS=15000)
    with s.raw() as c:
        c.send(b"GET /sleep/100 HTTP/1.1\r\nHost: x\r\n\r\nGET /sleep/1 HTTP/1.1\r\nHo")
        first = c.read_response()
        assert first.status == 200
        time.sleep(0.2)
        t0 = time.monotonic()
        c.send(b"st: x\r\n\r\n")
        second = c.read_response()
        assert second.status == 200
        assert time.monotonic() - t0 < 5.0   # not at the 15 s header timeout
    assert s.stop() == 0


def test_half_closed_client_gets_a_large_response(start_server):
    """A client that sends its request and shuts down its write side must
    still receive the whole response, even one too big for one write."""
    s = start_server("pt_test_server")
    n = 4 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(f"GET /big/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        c.shutdown(socket.SHUT_WR)
        time.sleep(0.3)  # let the server see the EOF while its write is pending
        data = b""
        while True:
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    assert len(body) == length
    assert s.stop() == 0
