"""A loader or an invalidation block that raises (pt_raise never returns)
must not leave its key locked: the next request loads again instead of
getting 409 forever."""
import json
import threading

from conftest import wait_until


def data(body):
    return json.loads(body)["data"]


def held(s, key):
    """Whether a request holds the scoped lock's key now (GET /lock_held)."""
    status, _, body = s.get("/lock_held/" + key)
    assert status == 200, body
    return data(body)["held"]


def test_raising_loader_does_not_poison_the_key(start_server):
    s = start_server("pt_test_server")
    status, _, body = s.get("/cache_raise")
    assert (status, body) == (503, b"loader raised")
    # With PT_MEMO_NOWAIT a key left "loading" would answer 409 here.
    status, _, body = s.get("/cache_raise")
    assert status == 200 and data(body) == {"load": 1}
    status, _, body = s.get("/cache_raise")
    assert status == 200 and data(body) == {"load": 1}   # now a hit
    assert s.stop() == 0


def test_raise_inside_invalidation_releases_the_key(start_server):
    s = start_server("pt_test_server")
    status, _, body = s.get("/counting")
    assert status == 200 and data(body) == {"load": 0}
    status, _, body = s.get("/invalidate_raise")
    assert (status, body) == (500, b"raised inside an invalidation")
    # The invalidation ended with the request: the value is gone, the key free.
    status, _, body = s.get("/counting")
    assert status == 200 and data(body) == {"load": 1}
    status, _, body = s.get("/invalidate_raise")
    assert status == 500
    assert s.stop() == 0


def test_raise_inside_with_lock_releases_the_lock(start_server):
    s = start_server("pt_test_server")
    status, _, body = s.get("/with_lock_raise?raise=1")
    assert (status, body) == (500, b"raised holding the lock")
    # PT_MEMO_NOWAIT: a lock left held would answer 409 from now on.
    for _ in range(3):
        status, _, body = s.get("/with_lock_raise")
        assert status == 200 and data(body) == {"held": False}, body
    assert s.stop() == 0


def test_with_lock_excludes_concurrent_requests(start_server):
    """The scoped lock really is held for the block: a second request while
    the first sleeps inside it is refused (PT_MEMO_NOWAIT)."""
    s = start_server("pt_test_server", PT_HOLD_MS=2000)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("first", s.get("/with_lock_raise")))
    t.start()
    # The second request goes once the first holds the lock (a loaded
    # machine can start the first one late), well inside its 2 s hold.
    assert wait_until(lambda: held(s, "k"), 10), s.logs()
    status, _, _ = s.get("/with_lock_raise")
    t.join()
    assert status == 409
    assert out["first"][0] == 200
    assert s.get("/with_lock_raise")[0] == 200
    assert s.stop() == 0


def test_raise_inside_invalidate_block_ends_it(start_server):
    s = start_server("pt_test_server")
    status, _, body = s.get("/counting")
    assert status == 200 and data(body) == {"load": 0}
    status, _, body = s.get("/invalidate_block_raise")
    assert (status, body) == (500, b"raised inside PT_INVALIDATE")
    status, _, body = s.get("/counting")
    assert status == 200 and data(body) == {"load": 1}
    assert s.stop() == 0


def test_lock_conflict_body_is_the_key(start_server):
    """As in Python ponty, a lock's 409 carries the key as its body."""
    s = start_server("pt_test_server", PT_HOLD_MS=2000)
    t = threading.Thread(target=lambda: s.get("/hold/user_42"))
    t.start()
    assert wait_until(lambda: held(s, "user_42"), 10), s.logs()
    status, headers, body = s.get("/hold/user_42")
    t.join()
    assert (status, body) == (409, b"user_42")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert s.get("/hold/user_42")[0] == 200
    assert s.stop() == 0
