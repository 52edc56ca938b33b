"""Two cachetest processes sharing one Redis load the value once between
them, and with maxwait PT_MEMO_NOWAIT (CACHE_MAXWAIT_MS=0) the Redis lock is as mandatory as the local one."""
import json
import os
import shutil

import pytest

from memo_server import Redis, data_of, simultaneous, timed_get

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


def test_two_processes_one_load(redis, start_server):
    servers = [start_server("cachetest", PONTY_REDIS_URL=redis.url, CACHE_MAXWAIT_MS=3000) for _ in range(2)]
    calls = [(lambda s=s: timed_get(s, "/cachetest")) for s in servers for _ in range(5)]
    for status, body, _ in simultaneous(calls):
        assert status == 200, body
        assert json.loads(body)["data"] == {"key": "value"}
    assert total_loads(servers) == 1
    # later requests are hits in either process
    for s in servers:
        status, body, took = timed_get(s, "/cachetest")
        assert status == 200 and json.loads(body)["elapsed"] < 100
    assert total_loads(servers) == 1


def test_two_processes_mandatory_lock(redis, start_server):
    servers = [start_server("cachetest", PONTY_REDIS_URL=redis.url) for _ in range(2)]
    calls = [(lambda s=s: timed_get(s, "/cachetest")) for s in servers for _ in range(5)]
    res = simultaneous(calls)
    statuses = sorted(r[0] for r in res)
    assert statuses == [200] + [409] * 9
    assert total_loads(servers) == 1


def test_redis_down_is_an_error_not_a_hang(redis, start_server):
    s = start_server("cachetest", PONTY_REDIS_URL=redis.url, CACHE_MAXWAIT_MS=2000)
    redis.stop()
    status, body, took = timed_get(s, "/cachetest")
    assert status == 500
    assert took < 6
