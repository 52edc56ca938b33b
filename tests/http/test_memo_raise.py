"""A loader or an invalidation block that raises (pt_raise never returns)
must not leave its key locked: the next request loads again instead of
getting 409 forever."""
import json


def data(body):
    return json.loads(body)["data"]


def test_raising_loader_does_not_poison_the_key(start_server):
    s = start_server("pt_test_server")
    status, _, body = s.get("/cache_raise")
    assert (status, body) == (503, b"loader raised")
    # With maxwait 0 a key left "loading" would answer 409 here.
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
