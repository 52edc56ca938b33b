"""cachetest reproduces the seed's localcache transcript over HTTP: five
requests for a key that takes a while to load; one loads, the others are
declined at once (the mandatory lock) or wait for that one load (maxwait).

The load is made 3 s here (CACHE_LOAD_MS; the example's default is 1 s) and
the first request goes alone: the others are sent once the server runs its
loader. A loaded machine can delay any request by a good part of a second,
so "simultaneous" requests could otherwise miss the load and be hits."""
import json

import memo_server
from memo_server import data_of, simultaneous, timed_get

CONFLICT = b"409: Conflict"
LOAD_MS = 3000


def first_then_rest(server, n, path="/cachetest"):
    """One request starts the load; once its loader runs (the example's load
    counter moved), the other n - 1 go at once. Returns [first] + rest."""
    return memo_server.first_then_rest(lambda: timed_get(server, path),
                                       lambda: data_of(server, "/cachetest/loads")["loads"] == 1,
                                       [lambda: timed_get(server, path)] * (n - 1), server.logs)


def test_mandatory_lock_then_hits(start_server):
    s = start_server("cachetest", CACHE_LOAD_MS=LOAD_MS)  # CACHE_MAXWAIT_MS unset (0): PT_MEMO_NOWAIT
    res = first_then_rest(s, 5)
    assert [r[0] for r in res] == [200, 409, 409, 409, 409], res
    doc = json.loads(res[0][1])
    assert list(doc) == ["now", "data", "elapsed"]
    assert doc["data"] == {"key": "value"}
    assert LOAD_MS - 50 <= doc["elapsed"] < 2 * LOAD_MS
    for status, body, took in res[1:]:
        assert body == CONFLICT
        assert took < LOAD_MS / 3000  # declined at once, not after the load
    # now cached: five immediate hits
    for status, body, took in simultaneous([lambda: timed_get(s, "/cachetest")] * 5):
        assert status == 200
        doc = json.loads(body)
        assert doc["data"] == {"key": "value"}
        assert doc["elapsed"] < LOAD_MS / 3
    assert data_of(s, "/cachetest/loads") == {"loads": 1}


def test_maxwait_all_succeed_after_one_load(start_server):
    s = start_server("cachetest", CACHE_LOAD_MS=LOAD_MS, CACHE_MAXWAIT_MS=2 * LOAD_MS)
    res = first_then_rest(s, 5)
    for status, body, took in res:
        assert status == 200, body
        assert json.loads(body)["data"] == {"key": "value"}
    assert LOAD_MS - 50 <= json.loads(res[0][1])["elapsed"] < 2 * LOAD_MS
    # The other four waited for the load in flight (sent well before its end).
    for _, body, _ in res[1:]:
        assert 500 <= json.loads(body)["elapsed"] < 2 * LOAD_MS, body
    assert data_of(s, "/cachetest/loads") == {"loads": 1}


def test_maxwait_shorter_than_load_gives_stampede(start_server):
    s = start_server("cachetest", CACHE_LOAD_MS=LOAD_MS, CACHE_MAXWAIT_MS=300)
    res = first_then_rest(s, 3)
    assert [r[0] for r in res] == [200, 409, 409], res
    for status, body, took in res[1:]:
        assert body == CONFLICT
        # Declined once its 300 ms maxwait passed, not at once, nor after the load.
        assert 0.25 <= took < LOAD_MS / 3000


def test_showcase_serves_the_examples(start_server):
    s = start_server("showcase", CACHE_MAXWAIT_MS=2000)
    assert data_of(s, "/cachetest/cachetest") == {"key": "value"}
    assert data_of(s, "/locktest/locktest?secs=0") == {"success": True, "secs": 0}
