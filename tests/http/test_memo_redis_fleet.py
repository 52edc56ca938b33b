"""Two cachetest processes sharing one Redis load the value once between
them, and with maxwait PT_MEMO_NOWAIT (CACHE_MAXWAIT_MS=0) the Redis lock is as mandatory as the local one.

The load takes 3 s (CACHE_LOAD_MS) and the first request goes alone: the
other nine are sent once a loader runs, so none of them can arrive after the
load on a loaded machine and be a plain hit."""
import json
import os
import shutil

import pytest

import memo_server
from memo_server import Redis, data_of, timed_get

LOAD_MS = 3000

# Not a skip: scripts/setup.sh installs redis-server, and a machine without
# it must fail loudly rather than pass with the fleet untested.
assert shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server"), \
    "redis-server is not installed: run scripts/setup.sh"


@pytest.fixture
def redis():
    r = Redis()
    yield r
    r.stop()


def total_loads(servers):
    return sum(data_of(s, "/cachetest/loads")["loads"] for s in servers)


def first_then_rest(servers):
    """One request to the first process starts the load; once it runs
    (the loads counter moved), four more to it and five to the other go at
    once. Returns [first] + rest."""
    calls = [(lambda s=s: timed_get(s, "/cachetest")) for s in servers for _ in range(5)]
    return memo_server.first_then_rest(calls[0], lambda: total_loads(servers) == 1, calls[1:], servers[0].logs)


def test_two_processes_one_load(redis, start_server):
    servers = [start_server("cachetest", PONTY_REDIS_URL=redis.url, CACHE_LOAD_MS=LOAD_MS,
                            CACHE_MAXWAIT_MS=2 * LOAD_MS) for _ in range(2)]
    for status, body, _ in first_then_rest(servers):
        assert status == 200, body
        assert json.loads(body)["data"] == {"key": "value"}
    assert total_loads(servers) == 1
    # later requests are hits in either process
    for s in servers:
        status, body, took = timed_get(s, "/cachetest")
        assert status == 200 and json.loads(body)["elapsed"] < LOAD_MS / 3
    assert total_loads(servers) == 1


def test_two_processes_mandatory_lock(redis, start_server):
    servers = [start_server("cachetest", PONTY_REDIS_URL=redis.url, CACHE_LOAD_MS=LOAD_MS) for _ in range(2)]
    res = first_then_rest(servers)
    assert [r[0] for r in res] == [200] + [409] * 9, res
    assert total_loads(servers) == 1


def test_redis_down_is_an_error_not_a_hang(redis, start_server):
    s = start_server("cachetest", PONTY_REDIS_URL=redis.url, CACHE_MAXWAIT_MS=2000)
    redis.stop()
    status, body, took = timed_get(s, "/cachetest")
    assert status == 500
    assert took < 6
