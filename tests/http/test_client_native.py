"""The native HTTP/1.1 path of the pooled client (src/client/native.c),
black-box: pt_client_server with one worker (so one connection pool) against
real upstreams started here (tests/http/upstream.py). Each test that counts
connections gets an upstream of its own and asks it by absolute URL, so the
pool holds nothing of it beforehand. tests/http/test_client.py runs the
client's whole contract against both paths."""
import concurrent.futures
import json
import os
import sys
from urllib.parse import quote

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import free_port, wait_until  # noqa: E402
from upstream import Upstream  # noqa: E402

PT_HTTP_ETIMEDOUT, PT_HTTP_ERESOLVE, PT_HTTP_ECONNECT, PT_HTTP_ECONNRESET = 2, 3, 4, 5
PT_HTTP_EPROTO, PT_HTTP_ETOOBIG = 8, 9


@pytest.fixture(scope="module")
def shared_upstream():
    u = Upstream()
    yield u
    u.close()


@pytest.fixture
def up():
    u = Upstream()
    yield u
    u.close()


@pytest.fixture(scope="module")
def server(module_server_factory, shared_upstream):
    return module_server_factory("pt_client_server", workers=1, UPSTREAM_URL=shared_upstream.url,
                                 PONTY_HTTP_CLIENT="native")


def info(server, url, **params):
    qs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
    status, _, body = server.get(f"/info?url={quote(url, safe='')}" + (f"&{qs}" if qs else ""))
    assert status == 200, body
    return json.loads(body)["data"]


def test_keep_alive_reuses_connections(server, up):
    for _ in range(30):
        d = info(server, up.url + "/json")
        assert (d["status"], d["error"], d["body"]) == (200, 0, '{"ok": true}')
    assert up.total_conns == 1
    # six at once need six connections; the next rounds find them pooled
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        for _ in range(3):
            ds = list(ex.map(lambda _: info(server, up.url + "/stall?ms=100&tag=ka"), range(6)))
            assert all(d["status"] == 200 for d in ds)
    assert up.peak_stalling["ka"] >= 2
    assert up.total_conns <= 7, up.total_conns


def test_chunked_body(server, up):
    d = info(server, up.url + "/chunked?n=400")
    want = "".join(f"chunk-{i};" for i in range(400)).encode()
    assert d["status"] == 200 and d["error"] == 0
    assert d["body_len"] == len(want) and d["sum"] == sum(want) and d["nul_ended"]
    assert ["Transfer-Encoding", "chunked"] in d["headers"]
    # the connection is reused after a chunked body
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 1


def test_large_body(server, up):
    n = 3_000_017
    d = info(server, up.url + f"/big?n={n}")
    want = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
    assert d["error"] == 0 and d["body_len"] == n and d["sum"] == sum(want) and d["nul_ended"]
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 1


def test_body_delimited_by_close(server, up):
    d = info(server, up.url + "/eof")
    assert (d["status"], d["error"], d["body"]) == (200, 0, "until the end")
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 2  # the close-delimited one could not be kept


def test_head_has_no_body(server, up):
    d = info(server, up.url + "/json", method="HEAD")
    assert (d["status"], d["error"], d["body_len"]) == (200, 0, 0)
    assert ["Content-Length", "12"] in d["headers"]
    assert info(server, up.url + "/json")["body"] == '{"ok": true}'
    assert up.total_conns == 1


def test_interim_answer_skipped(server, up):
    d = info(server, up.url + "/interim")
    assert (d["status"], d["error"], d["body"]) == (200, 0, '{"ok": true}')
    assert not any(name == "X-Interim" for name, _ in d["headers"])
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 1


def test_http10_answer_not_kept(server, up):
    d = info(server, up.url + "/http10")
    assert (d["status"], d["error"], d["body"]) == (200, 0, '{"ok": true}')
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 2


def test_connection_close_from_upstream(server, up):
    for _ in range(3):
        d = info(server, up.url + "/bye")
        assert d["status"] == 200 and ["Connection", "close"] in d["headers"]
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 4


def test_connection_close_asked_by_the_request(server, up):
    # the upstream keeps the connection open anyway: the client must not
    # pool a connection it asked to close
    assert info(server, up.url + "/json", close=1)["status"] == 200
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 2


def test_upstream_closes_an_idle_pooled_connection(server, up):
    assert info(server, up.url + "/drop?ms=0")["status"] == 200
    # The upstream has closed it (its FIN is on the pooled connection)
    # before the next request.
    assert wait_until(lambda: up.open_conns == 0, 10), up.open_conns
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 2
    assert up.hit_count("(unanswered)") == 0


def test_stale_pooled_connection_retried_once_for_get_not_post(server, up):
    # /oneshot leaves its connection pooled but dead: the upstream closes it
    # unanswered on the next request it reads
    assert info(server, up.url + "/oneshot")["status"] == 200
    d = info(server, up.url + "/json")
    assert (d["status"], d["error"]) == (200, 0)
    assert up.hit_count("(unanswered)") == 1 and up.total_conns == 2
    # a POST may not be sent twice: it fails
    assert info(server, up.url + "/oneshot")["status"] == 200
    status, _, body = server.request("POST", "/send?url=" + quote(up.url + "/echo", safe=""), body=b"{}")
    assert status == 502 and b"connection reset or closed" in body and b"Empty reply" in body, body
    assert up.hit_count("(unanswered)") == 2


def test_timeout_then_the_pool_still_works(server, up):
    d = info(server, up.url + "/stall?ms=2000", client="fast")
    assert d["error"] == PT_HTTP_ETIMEDOUT and d["status"] == 0
    assert d["message"] == f"GET {up.url}/stall?ms=2000: timed out (after 300 ms)"
    d = info(server, up.url + "/slowbody?ms=150", client="fast")
    assert d["error"] == PT_HTTP_ETIMEDOUT and d["body_len"] == 0
    assert info(server, up.url + "/json")["status"] == 200


def test_gateway_statuses(server, up):
    status, _, body = server.get("/get?client=fast&url=" + quote(up.url + "/stall?ms=2000", safe=""))
    assert status == 504 and b"timed out" in body
    port = free_port()
    status, _, body = server.get("/get?url=" + quote(f"http://127.0.0.1:{port}/x", safe=""))
    assert status == 502
    assert f"GET http://127.0.0.1:{port}/x: could not connect (Failed to connect to 127.0.0.1 port {port}: ".encode() \
        in body
    status, _, body = server.get("/get?url=" + quote(up.url + "/reset", safe=""))
    assert status == 502 and b"connection reset or closed" in body


def test_reset_close_and_garbage(server, up):
    d = info(server, up.url + "/reset")
    assert d["error"] == PT_HTTP_ECONNRESET and "connection reset" in d["message"]
    d = info(server, up.url + "/close")
    assert d["error"] == PT_HTTP_ECONNRESET and "Empty reply from server" in d["message"]
    d = info(server, up.url + "/garbage")
    assert d["error"] == PT_HTTP_EPROTO and d["message"].startswith(f"GET {up.url}/garbage: invalid HTTP response (")


def test_body_limits(server, up):
    for path in ["/json", "/chunked?n=3"]:  # Content-Length, then chunked
        d = info(server, up.url + path, client="small")
        assert d["error"] == PT_HTTP_ETOOBIG and "response body too large (more than 5 bytes)" in d["message"]
    assert info(server, up.url + "/text", client="small")["error"] == PT_HTTP_ETOOBIG


def test_host_names_are_resolved(server, up):
    # localhost may resolve to ::1 first, where nothing listens: the next
    # address is tried
    d = info(server, f"http://localhost:{up.port}/echo")
    assert d["status"] == 200
    d = info(server, "http://no-such-host.invalid/x")
    assert d["error"] == PT_HTTP_ERESOLVE
    assert d["message"] == "GET http://no-such-host.invalid/x: could not resolve host " \
                           "(Could not resolve host: no-such-host.invalid)"


def test_request_headers_as_sent(server, up):
    d = info(server, up.url + "/echo")
    echo = json.loads(server.get("/get?url=" + quote(up.url + "/echo", safe=""))[2])["data"]["json"]
    h = echo["headers"]
    assert h["host"] == f"127.0.0.1:{up.port}" and h["accept"] == "*/*"
    assert h["x-default"] == "d" and h["cookie"] == "sid=abc; lang=en"
    assert "content-length" not in h and echo["method"] == "GET" and echo["path"] == "/echo"
    assert d["status"] == 200


@pytest.fixture
def slow_reader():
    u = Upstream(rcvbuf=16384)
    yield u
    u.close()


def test_large_request_body(server, slow_reader):
    # more than the socket takes at once (more than the largest send buffer,
    # and the upstream reads late, through a small buffer): the rest is queued and written as the upstream reads
    # The Python upstream reads and echoes 6 MB: seconds on a loaded machine,
    # so the exchange gets 60 s rather than the client's default 5 s.
    up = slow_reader
    n = 6_000_000
    c = server.conn(timeout=90)
    try:
        status, _, body = server.get(f"/sendbig?n={n}&timeout_ms=60000&url="
                                     + quote(up.url + "/echo?slowread=300", safe=""), conn=c)
    finally:
        c.close()
    assert status == 200, body[:200]
    echo = json.loads(body)["data"]["json"]
    assert echo["method"] == "POST" and echo["headers"]["content-length"] == str(n)
    want = (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n].decode()
    assert echo["body"] == want
    assert info(server, up.url + "/json")["status"] == 200
    assert up.total_conns == 1
