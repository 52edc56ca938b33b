"""cachetest reproduces the seed's localcache transcript over HTTP."""
import json

from memo_server import data_of, simultaneous, timed_get

CONFLICT = b"409: Conflict"


def five(server, path="/cachetest"):
    return simultaneous([lambda: timed_get(server, path)] * 5)


def test_mandatory_lock_then_hits(start_server):
    s = start_server("cachetest")  # CACHE_MAXWAIT_MS unset (0): PT_MEMO_NOWAIT
    res = five(s)
    statuses = sorted(r[0] for r in res)
    assert statuses == [200, 409, 409, 409, 409]
    for status, body, took in res:
        if status == 409:
            assert body == CONFLICT
            assert took < 0.8  # declined at once, not after the 1 s load
        else:
            doc = json.loads(body)
            assert list(doc) == ["now", "data", "elapsed"]
            assert doc["data"] == {"key": "value"}
            assert 950 <= doc["elapsed"] < 2000
    # now cached: five immediate hits
    for status, body, took in five(s):
        assert status == 200
        doc = json.loads(body)
        assert doc["data"] == {"key": "value"}
        assert doc["elapsed"] < 50
    assert data_of(s, "/cachetest/loads") == {"loads": 1}


def test_maxwait_2000_all_succeed_after_one_load(start_server):
    s = start_server("cachetest", CACHE_MAXWAIT_MS=2000)
    res = five(s)
    for status, body, took in res:
        assert status == 200, body
        doc = json.loads(body)
        assert doc["data"] == {"key": "value"}
        assert 900 <= doc["elapsed"] < 2000
    assert data_of(s, "/cachetest/loads") == {"loads": 1}


def test_maxwait_shorter_than_load_gives_stampede(start_server):
    s = start_server("cachetest", CACHE_MAXWAIT_MS=300)
    res = simultaneous([lambda: timed_get(s, "/cachetest")] * 3)
    statuses = sorted(r[0] for r in res)
    assert statuses == [200, 409, 409]
    for status, body, took in res:
        if status == 409:
            assert body == CONFLICT
            assert 0.25 <= took < 0.9


def test_showcase_serves_the_examples(start_server):
    s = start_server("showcase", CACHE_MAXWAIT_MS=2000)
    assert data_of(s, "/cachetest/cachetest") == {"key": "value"}
    assert data_of(s, "/locktest/locktest?secs=0") == {"success": True, "secs": 0}
