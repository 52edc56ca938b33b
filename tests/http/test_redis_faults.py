"""Redis faults under the Redis stores: a server that refuses connections,
one that hangs (SIGSTOP) and resumes. Requests fail fast with the reason,
a lock's maxwait holds while the store hangs, and a lock SET that timed out
but ran when Redis resumed is undone instead of holding the lock for its
whole lease."""
import json
import signal
import time

import pytest

from conftest import free_port
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
        assert took < 1.0, took      # was the full 5 s command timeout
        if i == 2:
            time.sleep(0.6)          # past the fail-fast window: a new attempt
    assert "Connection refused" in s.stderr(), s.logs()


def test_lock_maxwait_holds_while_redis_hangs_and_a_late_set_is_undone(redis, start_server):
    s = start_server("locktest", PONTY_REDIS_URL=redis.url)
    status, body, _ = timed_get(s, "/locktest?secs=0")
    assert json.loads(body)["data"] == {"success": True, "secs": 0}

    redis.proc.send_signal(signal.SIGSTOP)
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert status == 200 and json.loads(body)["data"]["success"] is False, body
    assert took < 6.0, took          # maxwait is 5 s
    redis.proc.send_signal(signal.SIGCONT)
    time.sleep(0.8)                  # Redis runs the SET it had buffered; the
                                     # fail-fast window after the timeout ends

    # The stranded SET (a lock held by nobody, 60 s lease) is deleted with
    # its token before the next acquisition.
    status, body, took = timed_get(s, "/locktest?secs=0")
    assert json.loads(body)["data"] == {"success": True, "secs": 0}, body
    assert took < 2.0, took
