"""Redis faults under the Redis stores: a server that refuses connections,
one that goes away and comes back, one that hangs (SIGSTOP) and resumes.
Requests fail fast with the reason, the workers' connections come back in
the background before any request needs them, a lock's maxwait holds while
the store hangs, and a lock SET that timed out but ran when Redis resumed is
undone instead of holding the lock for its whole lease."""
import json
import signal
import time

import pytest

from conftest import free_port, wait_until
from memo_server import Redis, timed_get


@pytest.fixture
def redis():
    r = Redis()
    yield r
    r.proc.send_signal(signal.SIGCONT)
    r.stop()


def test_refused_connection_fails_fast_with_the_reason(start_server):
    s = start_server("locktest", PONTY_REDIS_URL="redis://127.0.0.1:%d/0" % free_port())
    for i in range(6):
        status, body, took = timed_get(s, "/locktest?secs=0")
        assert status == 200 and json.loads(body)["data"]["success"] is False, body
        assert took < 5 / 3, took    # was the full 5 s command timeout
        if i == 2:
            time.sleep(0.6)          # past the fail-fast window: a new attempt
    assert "Connection refused" in s.stderr(), s.logs()


def connect_workers(server, redis, workers=2):
    """Requests on fresh connections until each worker has its Redis
    connection (SO_REUSEPORT spreads connections by their ports)."""
    for _ in range(40):
        status, body, _ = timed_get(server, "/locktest?secs=0")
        assert json.loads(body)["data"] == {"success": True, "secs": 0}, body
        if len(redis.clients()) == workers:
            return workers
    raise AssertionError("the workers did not all connect: %r" % redis.clients())


def test_connections_come_back_in_the_background(redis, start_server):
    s = start_server("locktest", PONTY_REDIS_URL=redis.url, PONTY_WORKERS=2)
    n = connect_workers(s, redis)

    redis.stop()
    time.sleep(0.5)                  # background attempts meet the refusal
    for _ in range(5):
        status, body, took = timed_get(s, "/locktest?secs=0")
        assert status == 200 and json.loads(body)["data"]["success"] is False, body
        assert took < 5 / 3, took    # the command timeout is 5 s
    assert wait_until(lambda: "Connection refused (reconnecting in the background" in s.stderr(), 10), s.logs()
    assert "no reply within" not in s.stderr(), s.logs()

    # Back on the same port, and no request sent: the workers reconnect by
    # themselves (the backoff is at most 2 s between attempts).
    redis.start()
    assert wait_until(lambda: len(redis.clients()) == n, 10), (redis.clients(), s.logs())
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert json.loads(body)["data"] == {"success": True, "secs": 0}, body
    assert len(redis.clients()) == n  # the request used them: no new connection


def test_lock_maxwait_holds_while_redis_hangs_and_a_late_set_is_undone(redis, start_server):
    # One worker: each worker's connection meets the hang once (and waits for
    # maxwait) before its own background reconnect takes over.
    s = start_server("locktest", PONTY_REDIS_URL=redis.url, PONTY_WORKERS=1)
    n = connect_workers(s, redis, workers=1)

    redis.proc.send_signal(signal.SIGSTOP)
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert status == 200 and json.loads(body)["data"]["success"] is False, body
    assert took < 7.5, took          # maxwait is 5 s
    # While Redis hangs, the background attempts connect (the kernel
    # completes the handshake) but get no answer to PING: requests fail at
    # once with the timeout's reason instead of each waiting for maxwait.
    for _ in range(3):
        status, body, took = timed_get(s, "/locktest?secs=0")
        assert json.loads(body)["data"]["success"] is False, body
        assert took < 5 / 3, took    # not maxwait (5 s)
    assert "no reply within" in s.stderr() and "reconnecting in the background" in s.stderr(), s.logs()
    redis.proc.send_signal(signal.SIGCONT)
    # Redis runs the SET it had buffered; the background reconnect ends.
    time.sleep(0.3)
    assert wait_until(lambda: len(redis.clients()) == n, 10), s.logs()

    # The stranded SET (a lock held by nobody, 60 s lease) is deleted with
    # its token before the next acquisition.
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert json.loads(body)["data"] == {"success": True, "secs": 0}, body
    assert took < 2.0, took


def test_shutdown_while_reconnecting(redis, start_server):
    # Redis hangs: after the first command times out, the background attempt
    # is connected (the kernel completed the handshake) and waits for PING.
    # The reconnect's timer and that connection must neither hold up the
    # drain nor leak (the fixture checks the exit status, LSan's included).
    s = start_server("locktest", PONTY_REDIS_URL=redis.url, PONTY_WORKERS=1)
    connect_workers(s, redis, workers=1)
    redis.proc.send_signal(signal.SIGSTOP)
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert json.loads(body)["data"]["success"] is False, body
    time.sleep(0.3)
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 3.0, s.logs()
