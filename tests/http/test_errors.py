"""Errors as statuses over a socket: the answers after a 204 and a 1xx
raise on a pipelined connection, a programming error logged on the server's
stderr, a percent-decoded placeholder of an example, and the process-wide
mutex across two workers.

Raised statuses, texts, JSON bodies and kinds, NULL handlers, 404/405,
percent-decoding, cleanups and the envelope's JSON are tested in-process
through the test client: tests/unit/test_tc_errors.c."""
import json
import threading
import time

from conftest import TEXT_CT, request_bytes


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


def test_raise_both_text_and_body_is_500(test_server):
    status, headers, body = test_server.get("/raise_both")
    assert (status, body) == (500, b"500: Internal Server Error")
    assert headers["Content-Type"] == TEXT_CT
    assert "raise_both" in test_server.stderr()  # logged with the route's handler


def test_percent_decoded_route_param(module_server_factory):
    s = module_server_factory("greet")
    status, headers, body = s.get("/hello/%79ou")
    assert status == 200
    assert json.loads(body)["data"] == {"greeting": "hello, you!"}


def defer_count(server):
    return server.get_json("/defer_count")[2]["data"]["count"]


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


