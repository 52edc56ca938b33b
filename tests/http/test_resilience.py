"""The breaker and throttle examples over real sockets: every state change
of the circuit as a client sees it, and the throttle's rate moving between
its bounds."""
import json
import time


def flaky(s, fail):
    status, headers, body = s.get("/flaky?fail=%d" % fail)
    return status, headers, body


def test_breaker_opens_fails_fast_and_recovers(start_server):
    # The open window (3 s) holds the three requests below with room to
    # spare on a slow machine.
    s = start_server("breaker", BREAKER_RESET_MS="3000")

    status, _, body = flaky(s, 0)
    assert status == 200
    d = json.loads(body)["data"]
    assert d["result"] == "ok"
    assert d["breaker"] == {"state": "closed", "fails": 0, "runs": 1, "until_half_open_ms": 0}

    # Two failures: 500 each, still closed; a success in between resets them.
    for n in (1, 2):
        status, _, body = flaky(s, 1)
        assert status == 500
        assert json.loads(body)["breaker"]["fails"] == n
        assert json.loads(body)["breaker"]["state"] == "closed"
    assert flaky(s, 0)[0] == 200
    for n in (1, 2):
        assert flaky(s, 1)[0] == 500

    # The third consecutive failure opens the circuit.
    status, _, body = flaky(s, 1)
    assert status == 500
    b = json.loads(body)["breaker"]
    assert b["state"] == "open" and b["fails"] == 3
    runs = b["runs"]

    # Open: 503 at once, with or without fail, and the call does not run.
    for fail in (0, 1, 0):
        t0 = time.monotonic()
        status, headers, body = flaky(s, fail)
        assert status == 503
        assert body == b"circuit flaky is open"
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert headers["Retry-After"] in ("1", "2", "3")
        assert time.monotonic() - t0 < 1.0

    # After the reset timeout one trial runs; its success closes the circuit.
    time.sleep(3.2)
    status, _, body = flaky(s, 0)
    assert status == 200
    b = json.loads(body)["data"]["breaker"]
    assert b == {"state": "closed", "fails": 0, "runs": runs + 1, "until_half_open_ms": 0}


def test_breaker_failed_trial_reopens(start_server):
    # 2 s open windows: each check inside one comes well before its end.
    s = start_server("breaker", BREAKER_RESET_MS="2000")
    for _ in range(3):
        assert flaky(s, 1)[0] == 500
    assert flaky(s, 0)[0] == 503
    time.sleep(2.2)
    status, _, body = flaky(s, 1)  # the trial fails: open again, for another reset
    assert status == 500
    b = json.loads(body)["breaker"]
    assert b["state"] == "open" and b["fails"] == 4 and b["until_half_open_ms"] > 1000
    assert flaky(s, 0)[0] == 503
    time.sleep(2.2)
    assert flaky(s, 0)[0] == 200


def test_breaker_in_showcase(start_server):
    s = start_server("showcase")
    status, _, body = s.get("/breaker/flaky?fail=0")
    assert status == 200
    assert json.loads(body)["data"]["breaker"]["state"] == "closed"


def throttled(s, fail):
    status, _, body = s.get("/throttled?fail=%d" % fail)
    assert status == 200
    return json.loads(body)["data"]


def test_throttle_rate_moves_between_bounds(start_server):
    s = start_server("throttle")
    d = throttled(s, 1)
    assert d["rate"] == 50 and d["min_rate"] == 20 and d["max_rate"] == 100
    assert d["fails"] == 1 and d["ok"] is False
    for _ in range(9):
        d = throttled(s, 1)
    assert d["rate"] == 37.5            # a window of failures: × 0.75
    assert d["fails"] == 0              # counts start again
    rates = []
    for _ in range(30):
        rates.append(throttled(s, 1)["rate"])
    assert rates[-1] == 20              # and never below min
    assert min(rates) == 20
    for _ in range(10):
        d = throttled(s, 0)
    assert d["rate"] == 25              # a window of successes: × 1.25
    for _ in range(70):
        d = throttled(s, 0)
    assert d["rate"] == 100             # never above max


def test_throttle_spaces_concurrent_requests(start_server):
    import threading
    s = start_server("throttle")
    n = 12
    done = []

    def one():
        done.append(throttled(s, 0)["waited_ms"])

    t0 = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    span = time.monotonic() - t0
    # 12 slots at 50/s with ±20 % jitter: at least 11 gaps of 16 ms.
    assert len(done) == n
    assert span >= 11 * 0.016
    assert max(done) > 0                # someone waited for a later slot
