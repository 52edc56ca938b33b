"""Around the handler and seeing what it does, over pt_ops_server run as a
process: the request id, the client's address, the access log, metrics,
health, and pipelined requests through hooks.

Hooks (per table and global), the envelope with 201 and a Location header,
CORS and the JSON error format are tested in-process through the test
client, on the same service: tests/unit/test_tc_hooks.c."""
import json
import re
import socket
import threading
import time

import pytest

from conftest import HOST, wait_until

ID_RE = re.compile(r"^[0-9a-f]{24}$")


@pytest.fixture(scope="module")
def ops(module_server_factory):
    return module_server_factory("pt_ops_server", PT_CORS="https://app.example, https://b.example")


@pytest.fixture(scope="module")
def ops_json(module_server_factory):
    return module_server_factory("pt_ops_server", PT_JSON_ERRORS=1)


# ---- request id and peer ----

def test_request_id_generated_and_echoed(ops):
    status, headers, body = ops.get("/whoami")
    rid = headers["X-Request-Id"]
    assert ID_RE.match(rid), rid
    data = json.loads(body)["data"]
    assert data["id"] == rid
    # Every answer carries one, errors included, and they differ.
    ids = {ops.get("/boom")[1]["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5 and all(ID_RE.match(i) for i in ids)


def test_request_id_taken_when_well_formed(ops):
    status, headers, body = ops.get("/whoami", headers={"X-Request-Id": "abc-123.x:y"})
    assert headers["X-Request-Id"] == "abc-123.x:y"
    assert json.loads(body)["data"]["id"] == "abc-123.x:y"


@pytest.mark.parametrize("bad", ["has space", "a" * 129, "semi;colon", "quo\"te"])
def test_request_id_replaced_when_malformed(ops, bad):
    _, headers, body = ops.get("/whoami", headers={"X-Request-Id": bad})
    assert ID_RE.match(headers["X-Request-Id"])
    assert json.loads(body)["data"]["id"] == headers["X-Request-Id"]


def test_peer_address_and_port(ops):
    c = ops.conn()
    c.connect()
    local_port = c.sock.getsockname()[1]
    status, _, body = ops.request("GET", "/whoami", conn=c)
    c.close()
    data = json.loads(body)["data"]
    assert data["peer"] == "127.0.0.1"
    assert data["port"] == local_port


def test_request_ids_off(start_server):
    s = start_server("pt_ops_server", PT_NO_IDS=1)
    status, headers, body = s.get("/whoami")
    assert headers["X-Request-Id"] is None
    assert json.loads(body)["data"]["id"] is None


# ---- health ----

def test_health(start_server):
    s = start_server("pt_ops_server")
    status, _, body = s.get("/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "checks": {"static": {"ok": True}, "flag": {"ok": True}}}
    assert s.request("POST", "/sick")[0] == 200
    status, _, body = s.get("/health")
    assert status == 503
    assert json.loads(body) == {"status": "fail", "checks": {
        "static": {"ok": True}, "flag": {"ok": False, "error": "sick since POST /sick"}}}


# ---- metrics ----

def parse_metrics(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out


def test_metrics_count_by_route_and_status(start_server):
    s = start_server("pt_ops_server", workers=2)
    for _ in range(7):
        assert s.get("/hello")[0] == 200
    for i in range(3):
        assert s.get(f"/items/{i}?lang=xx")[0] == 400
    s.get("/items/5")
    s.get("/nowhere")
    status, headers, body = s.get("/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    m = parse_metrics(body.decode())
    assert m['ponty_requests_total{method="GET",route="/hello",status="200"}'] == 7
    assert m['ponty_requests_total{method="GET",route="/items/{id}",status="400"}'] == 3
    assert m['ponty_requests_total{method="GET",route="/items/{id}",status="200"}'] == 1
    assert m['ponty_requests_total{method="",route="(unmatched)",status="404"}'] == 1
    assert m['ponty_request_duration_seconds_count{method="GET",route="/hello"}'] == 7
    assert m['ponty_request_duration_seconds_bucket{method="GET",route="/hello",le="+Inf"}'] == 7
    assert m['ponty_request_duration_seconds_sum{method="GET",route="/hello"}'] > 0
    # The scrape itself is in flight while it renders; its connection is open.
    assert m["ponty_requests_in_flight"] == 1
    assert m["ponty_connections_open"] >= 1
    assert "ponty_offload_queued" in m


def test_metrics_caches_and_locks(start_server):
    """Named caches: hits, misses, loads, stampedes; named locks:
    acquisitions, waits, timeouts (one family of samples at a time)."""
    s = start_server("pt_ops_server", workers=2)

    def metric(name):
        return parse_metrics(s.get("/metrics")[2].decode()).get(name, 0)

    # The other two go once the first request's 2 s load runs (its counter
    # moved), so they meet it however late a loaded machine sends them.
    first = {}
    loader = threading.Thread(target=lambda: first.setdefault("status", s.get("/cached")[0]))
    loader.start()
    assert wait_until(lambda: metric('ponty_cache_loads_total{cache="ops"}') == 1, 10), s.logs()
    got = []
    threads = [threading.Thread(target=lambda: got.append(s.get("/cached")[0])) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads + [loader]:
        t.join()
    assert (first["status"], got) == (200, [409, 409])   # one load; the others are stampedes (NOWAIT)
    assert s.get("/cached")[0] == 200        # a hit
    # The second /locked goes once the holder has the lock (held 2 s).
    holder = threading.Thread(target=lambda: got.append(s.get("/locked?hold=2000")[0]))
    holder.start()
    assert wait_until(lambda: metric('ponty_lock_acquired_total{lock="ops_lock"}') == 1, 10), s.logs()
    assert s.get("/locked")[0] == 409        # waited 100 ms, timed out
    holder.join()
    assert s.get("/locked")[0] == 200
    text = s.get("/metrics")[2].decode()
    m = parse_metrics(text)
    assert m['ponty_cache_loads_total{cache="ops"}'] == 1
    assert m['ponty_cache_stampedes_total{cache="ops"}'] == 2
    assert m['ponty_cache_hits_total{cache="ops"}'] == 1
    assert m['ponty_lock_acquired_total{lock="ops_lock"}'] == 2
    assert m['ponty_lock_waits_total{lock="ops_lock"}'] == 1
    assert m['ponty_lock_timeouts_total{lock="ops_lock"}'] == 1
    # Each family's samples come together (the text format requires it).
    seen, last = set(), None
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        fam = line.split("{")[0].split(" ")[0]
        for suffix in ("_bucket", "_sum", "_count"):   # a histogram is one family
            if fam.endswith(suffix) and fam.startswith("ponty_request_duration_seconds"):
                fam = fam[: -len(suffix)]
        if fam != last:
            assert fam not in seen, f"{fam} is split"
            seen.add(fam)
            last = fam


def test_metrics_breaker_state(start_server):
    s = start_server("pt_ops_server")
    m = parse_metrics(s.get("/metrics")[2].decode())
    assert m['ponty_breaker_state{breaker="upstream"}'] == 0
    s.request("POST", "/fail_upstream")
    s.request("POST", "/fail_upstream")
    m = parse_metrics(s.get("/metrics")[2].decode())
    assert m['ponty_breaker_state{breaker="upstream"}'] == 2


def test_metrics_in_flight_and_connections(start_server):
    s = start_server("pt_ops_server", workers=2)
    done = []
    threads = [threading.Thread(target=lambda: done.append(s.get("/slow")[0])) for _ in range(3)]
    for t in threads:
        t.start()
    def inflight():
        m = parse_metrics(s.get("/metrics")[2].decode())
        return m["ponty_requests_in_flight"] == 4 and m["ponty_connections_open"] >= 4
    assert wait_until(inflight, 10)
    for t in threads:
        t.join()
    assert done == [200, 200, 200]
    idle = socket.create_connection((HOST, s.port))
    try:
        assert wait_until(lambda: parse_metrics(s.get("/metrics")[2].decode())["ponty_connections_open"] == 2, 10)
    finally:
        idle.close()
    assert wait_until(lambda: parse_metrics(s.get("/metrics")[2].decode())["ponty_connections_open"] == 1, 10)


# ---- access log ----

CLF_RE = re.compile(r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                    r'"(\S+) (\S+) HTTP/1\.[01]" (\d{3}) (\d+) (\d+\.\d{3}) rid=(\S+)$')


def log_lines(s, pred):
    return [l for l in s.stderr().splitlines() if pred(l)]


def test_access_log_common(start_server):
    s = start_server("pt_ops_server", PT_LOG="common")
    _, h1, b1 = s.get("/hello?x=1")
    _, h2, _ = s.get("/boom", headers={"X-Request-Id": "req-42"})
    assert wait_until(lambda: len(log_lines(s, CLF_RE.match)) >= 2, 10), s.logs()
    lines = [CLF_RE.match(l).groups() for l in log_lines(s, CLF_RE.match)]
    hello = [l for l in lines if l[1] == "/hello?x=1"][0]
    assert hello[0] == "GET" and hello[2] == "200"
    assert int(hello[3]) > len(b1)            # headers included
    assert hello[5] == h1["X-Request-Id"]
    boom = [l for l in lines if l[1] == "/boom"][0]
    assert boom[2] == "404" and boom[5] == "req-42"


def test_access_log_json_lines(start_server):
    s = start_server("pt_ops_server", PT_LOG="json")
    s.get("/items/7?lang=es")
    s.get('/hello?q="x"')
    def entries():
        out = []
        for l in s.stderr().splitlines():
            if l.startswith("{"):
                out.append(json.loads(l))
        return out
    assert wait_until(lambda: len(entries()) >= 2, 10), s.logs()
    e = [x for x in entries() if x["target"] == "/items/7?lang=es"][0]
    assert e["method"] == "GET" and e["status"] == 200 and e["peer"] == "127.0.0.1"
    assert e["bytes"] > 0 and e["duration_ms"] >= 0 and ID_RE.match(e["request_id"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["time"])
    assert any(x["target"] == '/hello?q="x"' for x in entries())


def test_access_log_flushed_at_shutdown(start_server):
    s = start_server("pt_ops_server", PT_LOG="common")
    for i in range(50):
        s.get(f"/hello?n={i}")
    s.stop()
    lines = log_lines(s, CLF_RE.match)
    assert len([l for l in lines if "/hello?n=" in l]) == 50


def test_access_log_off_by_default(ops):
    ops.get("/hello?quiet=1")
    time.sleep(0.3)
    assert "quiet=1" not in ops.stderr()


# ---- pipelining through hooks ----

def test_pipelined_requests_through_hooks_stay_in_order(ops_json):
    with ops_json.raw() as c:
        c.send(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /admin/stats HTTP/1.1\r\nHost: x\r\n\r\n"
               b"HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        r1, r2, r3 = c.read_response(), c.read_response(), c.read_response()
        r4, r5 = c.read_response(head=True), c.read_response()
    assert [r.status for r in (r1, r2, r3, r4, r5)] == [404, 200, 401, 404, 200]
    assert json.loads(r1.body)["error"]["message"] == "no such boom"
    assert json.loads(r2.body)["data"] is True            # waited 300 ms in its handler
    assert json.loads(r3.body)["error"]["message"] == "token required"
    assert r4.body == b"" and int(r4.header("Content-Length")) > 0
    assert [r.header("X-Status-Seen") for r in (r1, r2, r3, r4, r5)] == ["404", "200", "401", "404", "200"]
    ids = [r.header("X-Request-Id") for r in (r1, r2, r3, r4, r5)]
    assert len(set(ids)) == 5
