"""pt_offload over real sockets: a worker keeps answering while offloaded
blocking calls run, the queue bound and its deadline answer 503, and shutdown
waits for a running call (examples/offload.c, pt_bg_server)."""
import json
import threading
import time

from conftest import wait_until


def in_background(server, path, results, key):
    """GET path on a thread; results[key] = (status, body, seconds taken)."""
    def run():
        t0 = time.monotonic()
        try:
            status, _, body = server.get(path, conn=server.conn(timeout=60))
            results[key] = (status, body, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - checked by the test
            results[key] = ("error", repr(e), time.monotonic() - t0)

    t = threading.Thread(target=run)
    t.start()
    return t


def span(result):
    """(start, end) of a request as the server saw it, in epoch ms: the
    envelope's now and now + elapsed. (The client threads' clocks would not
    do: a thread may read its answer late.)"""
    env = json.loads(result[1])
    return env["now"], env["now"] + env["elapsed"]


def test_fast_requests_stay_fast_while_blocking_calls_run(start_server):
    s = start_server("offload", workers=1)
    results = {}
    ms = 4000
    threads = [in_background(s, f"/sleep?ms={ms}", results, i) for i in range(6)]
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["running"] == 6, 10)
    fast = []
    for _ in range(10):
        t0 = time.monotonic()
        status, _, body = s.get_json("/fast")
        fast.append(time.monotonic() - t0)
        assert status == 200 and body["data"] == {"fast": True}
    for t in threads:
        t.join(30)
    # Every fast request was answered at once, not after a call's 4 s.
    assert max(fast) < ms / 3000, fast
    assert all(r[0] == 200 and json.loads(r[1])["data"] == {"slept": ms} for r in results.values()), results
    # The six ran side by side on the pool, not one after the other (24 s).
    assert max(r[2] for r in results.values()) < 2 * ms / 1000, results
    assert s.get_json("/stats")[2]["data"]["running"] == 0


def test_blocking_on_the_worker_freezes_it(start_server):
    # The counter-check: the same sleep without offload holds the worker.
    s = start_server("offload", workers=1)
    results = {}
    ms = 3000
    t = in_background(s, f"/block?ms={ms}", results, "block")
    # /fast goes once the worker is blocked (it says so on stderr first).
    assert wait_until(lambda: "/block holds this worker" in s.stderr(), 10), s.logs()
    t0 = time.monotonic()
    status, _, _ = s.get("/fast")
    waited = time.monotonic() - t0
    t.join(30)
    assert status == 200 and results["block"][0] == 200
    assert waited > ms / 3000, waited


def test_full_queue_waits_then_answers_503(start_server):
    s = start_server("offload", workers=1, OFFLOAD_THREADS=1, OFFLOAD_QUEUE=1,
                     OFFLOAD_QUEUE_TIMEOUT_MS=300)
    results = {}
    a = in_background(s, "/sleep?ms=4500", results, "running")
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["running"] == 1, 10)
    b = in_background(s, "/sleep?ms=10", results, "queued")
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["queued"] == 1, 10)
    t0 = time.monotonic()
    status, _, body = s.get("/sleep?ms=10")
    took = time.monotonic() - t0
    assert status == 503 and body == b"offload queue full", (status, body)
    # After the 300 ms wait for room, not once the running call freed it.
    assert 0.25 <= took < 1.5, took
    a.join(30)
    b.join(30)
    assert results["running"][0] == 200 and results["queued"][0] == 200, results
    # The queued call ran only once the running one's 4.5 s were over.
    assert span(results["queued"])[1] >= span(results["running"])[0] + 4500, results


def test_waiter_for_room_gets_the_freed_slot(start_server):
    s = start_server("offload", workers=1, OFFLOAD_THREADS=1, OFFLOAD_QUEUE=1,
                     OFFLOAD_QUEUE_TIMEOUT_MS=10000)
    results = {}
    ts = [in_background(s, "/sleep?ms=3000", results, "a")]
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["running"] == 1, 10)
    ts.append(in_background(s, "/sleep?ms=10", results, "b"))
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["queued"] == 1, 10)
    ts.append(in_background(s, "/sleep?ms=10", results, "c"))   # waits for room
    for t in ts:
        t.join(30)
    assert {k: v[0] for k, v in results.items()} == {"a": 200, "b": 200, "c": 200}, results
    # c had room only once a's 3 s call was over and b left the queue.
    assert span(results["c"])[1] >= span(results["a"])[0] + 3000, results


def test_shutdown_waits_for_a_running_call(start_server):
    s = start_server("offload", workers=1)
    results = {}
    t = in_background(s, "/sleep?ms=3000", results, "call")
    assert wait_until(lambda: s.get_json("/stats")[2]["data"]["running"] == 1, 10)
    t0 = time.monotonic()
    assert s.stop(timeout=15) == 0
    assert time.monotonic() - t0 >= 1.0
    t.join(30)
    assert results["call"][0] == 200 and json.loads(results["call"][1])["data"] == {"slept": 3000}


def test_call_outlasting_the_shutdown_deadline_is_abandoned(start_server):
    # The abandoned request's memory is what LeakSanitizer would report: expected.
    s = start_server("pt_bg_server", workers=1, PT_SHUTDOWN_TIMEOUT_MS=300, ASAN_OPTIONS="detect_leaks=0")
    results = {}
    t = in_background(s, "/offload/20000", results, "call")
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["offloading"] == 1, 10)
    t0 = time.monotonic()
    assert s.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 6   # the 300 ms deadline, not the 20 s call
    t.join(30)
    assert "offload pool: 1 call(s) still running at exit" in s.stderr(), s.logs()
