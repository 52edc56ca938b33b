"""cachetest reproduces the seed's localcache transcript over HTTP."""
import json

from memo_server import Server, simultaneous

CONFLICT = b"409: Conflict"


def five(server, path="/cachetest"):
    return simultaneous([lambda: server.get(path)] * 5)


def test_mandatory_lock_then_hits():
    s = Server("cachetest")  # CACHE_MAXWAIT_MS unset: maxwait 0
    try:
        res = five(s)
        statuses = sorted(r[0] for r in res)
        assert statuses == [200, 409, 409, 409, 409]
        for status, body, took in res:
            if status == 409:
                assert body == CONFLICT
                assert took < 0.5  # declined at once
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
        assert s.get_json("/cachetest/loads") == {"loads": 1}
    finally:
        s.stop()


def test_maxwait_2000_all_succeed_after_one_load():
    s = Server("cachetest", CACHE_MAXWAIT_MS=2000)
    try:
        res = five(s)
        for status, body, took in res:
            assert status == 200, body
            doc = json.loads(body)
            assert doc["data"] == {"key": "value"}
            assert 900 <= doc["elapsed"] < 2000
        assert s.get_json("/cachetest/loads") == {"loads": 1}
    finally:
        s.stop()


def test_maxwait_shorter_than_load_gives_stampede():
    s = Server("cachetest", CACHE_MAXWAIT_MS=300)
    try:
        res = simultaneous([lambda: s.get("/cachetest")] * 3)
        statuses = sorted(r[0] for r in res)
        assert statuses == [200, 409, 409]
        for status, body, took in res:
            if status == 409:
                assert body == CONFLICT
                assert 0.25 <= took < 0.9
    finally:
        s.stop()


def test_showcase_serves_the_examples():
    s = Server("showcase", CACHE_MAXWAIT_MS=2000)
    try:
        assert s.get_json("/cachetest/cachetest") == {"key": "value"}
        assert s.get_json("/locktest/locktest?secs=0") == {"success": True, "secs": 0}
    finally:
        s.stop()
