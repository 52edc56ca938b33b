"""The pooled HTTP client (include/ponty/client.h) and retry, black-box:
pt_client_server and the proxy example against a real upstream started here
(tests/http/upstream.py), over real sockets."""
import concurrent.futures
import json
import os
import re
import ssl
import subprocess
import tempfile
import sys
import time
from urllib.parse import quote

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import binary_path, free_port, wait_until  # noqa: E402
from upstream import Upstream  # noqa: E402

PT_HTTP_ENOCLIENT = 1


@pytest.fixture(scope="module", params=["native", "curl"])
def engine(request):
    """Every test runs against both paths of a worker's requests to plain
    http:// URLs: the native HTTP/1.1 client, and libcurl (forced with
    PONTY_HTTP_CLIENT=curl)."""
    return {"PONTY_HTTP_CLIENT": request.param}


@pytest.fixture(scope="module")
def upstream():
    u = Upstream()
    yield u
    u.close()


@pytest.fixture(scope="module")
def client_server(module_server_factory, upstream, engine):
    return module_server_factory("pt_client_server", UPSTREAM_URL=upstream.url, **engine)


def q(url):
    return quote(url, safe="")


def get_json(server, path):
    """(status, data): the envelope's data, a raw JSON error body, or text."""
    status, _, body = server.get(path)
    if body[:1] != b"{":
        return status, body.decode()
    doc = json.loads(body)
    if list(doc) == ["now", "data", "elapsed"]:
        return status, doc["data"]
    return status, doc


def closed_port_url():
    return f"http://127.0.0.1:{free_port()}/x"


def test_get_json_body_and_headers(client_server):
    status, data = get_json(client_server, "/get?url=/json")
    assert status == 200
    assert data["status"] == 200
    assert data["json"] == {"ok": True}
    assert data["x_upstream"] == "yes"
    assert data["nheaders"] >= 3


def test_text_body_and_upstream_status_passed_through(client_server):
    _, data = get_json(client_server, "/get?url=/text")
    assert data["body"] == "plain words" and data["json"] is None
    _, data = get_json(client_server, "/get?url=/status/404")
    assert data["status"] == 404 and data["json"] == {"status": 404}


def test_default_headers_cookies_json_body(client_server):
    status, _, body = client_server.request("POST", "/send", body=b'{"a": [1, 2]}',
                                            headers={"Content-Type": "application/json"})
    assert status == 200, body
    echo = json.loads(body)["data"]["json"]
    assert echo["method"] == "POST"
    h = echo["headers"]
    assert h["x-default"] == "d" and h["x-test"] == "t"
    assert h["cookie"] == "sid=abc; lang=en"
    assert h["content-type"] == "application/json"
    assert json.loads(echo["body"]) == {"a": [1, 2]}


def test_other_methods_carry_the_body(client_server):
    status, _, body = client_server.request("POST", "/send?method=PUT", body=b'{"b": 1}')
    assert status == 200, body
    echo = json.loads(body)["data"]["json"]
    assert echo["method"] == "PUT" and json.loads(echo["body"]) == {"b": 1}


def test_timeout_is_504_with_message(client_server):
    status, text = get_json(client_server, "/get?client=fast&url=" + q("/stall?ms=2000"))
    assert status == 504
    assert "GET http://127.0.0.1:" in text and "/stall?ms=2000: timed out (after 300 ms)" in text
    # per-request timeout overrides the client's
    status, text = get_json(client_server, "/get?timeout_ms=200&url=" + q("/stall?ms=2000"))
    assert status == 504 and "after 200 ms" in text


def test_slow_body_times_out(client_server):
    t0 = time.monotonic()
    status, text = get_json(client_server, "/get?client=fast&url=" + q("/slowbody?ms=600"))
    assert status == 504 and "timed out" in text
    assert time.monotonic() - t0 < 2.0  # the 6 s body was cut short


def test_refused_is_502(client_server):
    status, text = get_json(client_server, "/get?url=" + q(closed_port_url()))
    assert status == 502
    assert "could not connect" in text and "/x" in text


def test_dns_failure_is_502(client_server):
    status, text = get_json(client_server, "/get?url=" + q("http://no-such-host.invalid/x"))
    assert status == 502
    assert "could not resolve host" in text and "no-such-host.invalid" in text


@pytest.mark.parametrize("path", ["/reset", "/close"])
def test_reset_or_closed_connection_is_502(client_server, path):
    status, text = get_json(client_server, "/get?url=" + path)
    assert status == 502
    assert "connection reset or closed" in text


def test_tls_with_an_untrusted_certificate_is_502(client_server):
    # TLS goes through libcurl/OpenSSL with verification on: a self-signed
    # upstream is refused with a clear message
    with tempfile.TemporaryDirectory() as d:
        key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        tls = Upstream(ssl_context=ctx)
        try:
            status, text = get_json(client_server, "/get?url=" + q(tls.url + "/json"))
            assert status == 502
            assert text.startswith(f"GET {tls.url}/json: TLS failure (")
            assert "certificate" in text
        finally:
            tls.close()


def test_body_over_max_body_is_502(client_server):
    status, text = get_json(client_server, "/get?client=small&url=/json")
    assert status == 502 and "response body too large (more than 5 bytes)" in text


def test_non_http_url_refused(client_server):
    status, text = get_json(client_server, "/get?url=" + q("file:///etc/passwd"))
    assert status == 502 and "bad URL" in text


def test_unknown_client(client_server):
    status, data = get_json(client_server, "/unknown")
    assert status == 200
    assert data["lease_null"] is True and data["error"] == PT_HTTP_ENOCLIENT
    assert "no lease" in data["message"]
    status, text = get_json(client_server, "/unknown?raise=1")
    assert status == 500 and text == "no HTTP client named 'nope'"


def concurrently(server, paths, workers=None):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or len(paths)) as ex:
        return list(ex.map(lambda p: get_json(server, p), paths))


def test_concurrency_cap_third_lease_waits(client_server, upstream):
    paths = ["/get?client=capped&url=" + q("/stall?ms=3000&tag=cap")] * 3
    results = concurrently(client_server, paths)
    assert [s for s, _ in results] == [200, 200, 200], results
    assert upstream.peak_stalling["cap"] == 2
    waits = sorted(d["wait_ms"] for _, d in results)
    # two got a position at once, the third waited for one to come back (a
    # 3 s stall: the third may be sent up to 1.5 s late and still wait 1.5 s)
    assert waits[1] < 1000 and waits[2] >= 1500, waits


def test_leases_come_back_after_raise_and_return(client_server, upstream):
    for _ in range(4):
        status, text = get_json(client_server, "/raise")
        assert status == 418 and "raised holding a lease (upstream said 200)" in text
        status, _ = get_json(client_server, "/keep")
        assert status == 200
    # with a limit of 2, a leaked lease would make this wait forever
    status, data = get_json(client_server, "/get?client=capped&url=/json")
    assert status == 200 and data["wait_ms"] < 1000


def test_connections_are_reused(client_server, upstream):
    get_json(client_server, "/get?url=/json")
    before = upstream.total_conns
    conn = client_server.conn()  # one keep-alive connection: one worker
    for _ in range(20):
        status, _, _ = client_server.get("/get?url=/json", conn=conn)
        assert status == 200
    conn.close()
    assert upstream.total_conns - before <= 1


def test_pooled_connections_closed_by_the_upstream(client_server, upstream):
    # the upstream closes each connection while it idles in the pool (/drop)
    # or right after answering (/bye): the next request must find a fresh one
    conn = client_server.conn()
    for path in ["/drop?ms=50", "/drop?ms=50", "/bye", "/bye", "/json", "/drop?ms=0", "/json"]:
        status, _, body = client_server.get("/get?url=" + q(path), conn=conn)
        assert status == 200, body
        assert json.loads(body)["data"]["json"] == {"ok": True}
        time.sleep(0.2)
    conn.close()


def test_requests_from_several_workers(client_server):
    results = concurrently(client_server, ["/get?url=" + q("/stall?ms=100")] * 24, workers=12)
    assert all(s == 200 for s, _ in results)
    assert len({d["thread"] for _, d in results}) >= 2


def test_plain_thread_request(client_server):
    status, data = get_json(client_server, "/thread?url=/json")
    assert status == 200 and data["status"] == 200 and data["error"] == 0
    assert json.loads(data["body"]) == {"ok": True}
    status, data = get_json(client_server, "/thread?url=" + q(closed_port_url()))
    assert data["status"] == 0 and "could not connect" in data["body"]


def test_retries_are_bounded(client_server):
    t0 = time.monotonic()
    status, data = get_json(client_server, "/retry?max=3&url=" + q(closed_port_url()))
    assert status == 502
    assert data["attempts"] == 4 and "could not connect" in data["message"]
    assert time.monotonic() - t0 >= 0.15  # three 50 ms sleeps
    status, data = get_json(client_server, "/retry?max=3&url=/json")
    assert status == 200 and data["attempts"] == 1
    # an HTTP error status is an answer, not a failure: no retry
    status, data = get_json(client_server, "/retry?max=3&url=/status/500")
    assert status == 200 and data == {"attempts": 1, "status": 500}


def test_retry_succeeds_after_failures(client_server, upstream):
    # /close fails every time: three attempts, each reaching the upstream
    # (libcurl itself may send a request again once when a pooled connection
    # turns out dead, so the upstream can see more)
    before = upstream.hit_count("/close")
    status, data = get_json(client_server, "/retry?max=2&url=/close")
    assert status == 502 and data["attempts"] == 3
    assert upstream.hit_count("/close") - before >= 3


def test_teardown_closes_connections(start_server, engine):
    upstream = Upstream()  # its own, so other servers' pools do not count
    try:
        s = start_server("pt_client_server", UPSTREAM_URL=upstream.url, **engine)
        for _ in range(4):
            assert get_json(s, "/get?url=/json")[0] == 200
        time.sleep(0.3)
        assert upstream.open_conns >= 1  # pooled, kept alive
        s.stop()
        assert wait_until(lambda: upstream.open_conns == 0, 5), upstream.open_conns
    finally:
        upstream.close()


@pytest.mark.parametrize("var,message", [
    ("PT_DUP", b"ponty: HTTP client '_default' is already registered: client names must be unique"),
    ("PT_BAD_HEADER", b"ponty: HTTP client 'small': a default header or cookie holds CR, LF"),
])
def test_startup_errors(upstream, var, message):
    env = dict(os.environ, PORT=str(free_port()), UPSTREAM_URL=upstream.url, PONTY_WORKERS="1")
    env[var] = "1"
    p = subprocess.run([binary_path("pt_client_server")], env=env, capture_output=True, timeout=30)
    assert p.returncode == 1
    assert message in p.stderr


# ---- the proxy example ----

def test_proxy_example(start_server, upstream, engine):
    s = start_server("proxy", UPSTREAM_URL=upstream.url, UPSTREAM_TIMEOUT_MS=300, **engine)
    status, headers, body = s.get("/proxy/json")
    assert status == 200 and json.loads(body)["data"] == {"ok": True}
    status, _, body = s.get("/proxy/text")
    assert status == 200 and json.loads(body)["data"] == "plain words"
    status, _, body = s.get("/proxy/status/404")
    assert status == 404 and json.loads(body)["data"] == {"status": 404}
    status, _, body = s.get("/proxy/echo?a=1&b=x%20y")
    echo = json.loads(body)["data"]
    assert echo["path"] == "/echo" and echo["query"] == "a=1&b=x%20y"
    status, _, body = s.get("/proxy/stall?ms=2000")
    assert status == 504 and b"timed out (after 300 ms)" in body


def test_proxy_unreachable_upstream(start_server, engine):
    s = start_server("proxy", UPSTREAM_URL=f"http://127.0.0.1:{free_port()}", **engine)
    status, _, body = s.get("/proxy/anything")
    assert status == 502 and b"could not connect" in body


def test_proxy_without_upstream_and_in_showcase(start_server, upstream, engine):
    s = start_server("proxy", UPSTREAM_URL=None, **engine)
    status, _, body = s.get("/proxy/x")
    assert status == 502 and body == b"UPSTREAM_URL is not set: no upstream to proxy to"
    show = start_server("showcase", UPSTREAM_URL=None, **engine)
    assert show.get("/hello_world/hello")[0] == 200
    assert show.get("/proxy/proxy/json")[0] == 502
    show2 = start_server("showcase", UPSTREAM_URL=upstream.url, **engine)
    status, _, body = show2.get("/proxy/proxy/json")
    assert status == 200 and json.loads(body)["data"] == {"ok": True}


# ---- the retry example ----

def test_retry_example_transcript():
    p = subprocess.run([binary_path("retry")], env=dict(os.environ, RETRY_SEED="7"),
                       capture_output=True, timeout=60, text=True)
    lines = p.stdout.strip().split("\n")
    attempts = [re.fullmatch(r"i = (\d), now = (\d+\.\d{6})", line) for line in lines[:-1]]
    assert all(attempts), p.stdout
    if p.returncode == 0:
        assert lines[-1] == "42" and attempts[-1].group(1) == "0"
        assert all(m.group(1) != "0" for m in attempts[:-1])
    else:
        assert len(attempts) == 11 and "getval failed" in p.stderr
    times = [float(m.group(2)) for m in attempts]
    for n, (a, b) in enumerate(zip(times, times[1:])):
        assert b - a >= min(0.1 * 2 ** n, 4.0) - 0.002, (n, times)


def test_breaker_opens_and_refuses_without_a_connection(start_server, upstream, engine):
    """A client given a breaker: after max_fails (2) failed requests the
    circuit opens and requests fail at once with 503, nothing sent."""
    s = start_server("pt_client_server", UPSTREAM_URL=upstream.url, **engine)
    status, data = get_json(s, "/guarded?url=/json")
    assert (status, data["state"]) == (200, "closed")
    for _ in range(2):
        status, text = get_json(s, "/guarded?url=" + q(closed_port_url()))
        assert status == 502 and "could not connect" in text
    before = upstream.hit_count("/count")
    status, text = get_json(s, "/guarded?url=/count")
    assert status == 503, text
    assert "circuit 'upstream' is open" in text
    assert upstream.hit_count("/count") == before
    assert s.stop() == 0


def test_client_metrics(start_server, upstream, engine):
    """/metrics shows each started client's leases, requests and failures."""
    s = start_server("pt_client_server", UPSTREAM_URL=upstream.url, **engine)
    for _ in range(3):
        assert get_json(s, "/get?client=capped&url=/json")[0] == 200
    assert get_json(s, "/get?client=capped&url=" + q(closed_port_url()))[0] == 502
    text = s.get("/metrics")[2].decode()
    lines = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
    assert lines['ponty_http_client_requests_total{client="capped"}'] == "4"
    assert lines['ponty_http_client_errors_total{client="capped"}'] == "1"
    assert lines['ponty_http_client_leases{client="capped"}'] == "0"
    assert 'ponty_http_client_requests_total{client="_default"}' in lines
    assert s.stop() == 0


def test_throttle_paces_a_client(start_server, upstream, engine):
    """A client given a throttle of 5 requests a second: six requests, even
    sent at once from two workers, take at least a second."""
    s = start_server("pt_client_server", UPSTREAM_URL=upstream.url, **engine)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        statuses = list(ex.map(lambda _: s.get("/paced")[0], range(6)))
    elapsed = time.monotonic() - t0
    assert statuses == [200] * 6
    assert elapsed >= 0.95, elapsed
    assert s.stop() == 0
