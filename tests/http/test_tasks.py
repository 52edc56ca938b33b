"""Background tasks (pt_spawn, pt_every, pt_wait_stop_ms, pt_stopping) and
provider resources (pt_resource_publish, pt_resource), over pt_bg_server."""
import json
import os
import subprocess
import time

from conftest import binary_path, free_port, wait_until


def test_spawn_outside_pt_run_is_refused(start_server):
    s = start_server("pt_bg_server")
    assert "spawn before run: 108" in s.stdout()


def test_every_and_spawn_from_startup_run_on_workers(start_server):
    s = start_server("pt_bg_server", TICK_MS=20)
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["ticks"] >= 5, 10), s.logs()
    data = s.get_json("/ticks")[2]["data"]
    assert data["once"] is True
    assert data["stopping"] is False
    # pt_every keeps ticking: the count grows between two reads.
    n = data["ticks"]
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["ticks"] > n, 10)


def test_every_interval_is_respected(start_server):
    # With a one-hour interval the first run happens at once and no second one.
    s = start_server("pt_bg_server", TICK_MS=3600000)
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["ticks"] == 1, 10)
    time.sleep(0.3)
    assert s.get_json("/ticks")[2]["data"]["ticks"] == 1


def test_shutdown_wakes_waiting_tasks_promptly(start_server):
    # A task in pt_every's one-hour wait and one in pt_wait_stop_ms(-1) both
    # return at the signal; the server exits well before any deadline.
    s = start_server("pt_bg_server", TICK_MS=3600000)
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["ticks"] == 1, 10)
    t0 = time.monotonic()
    assert s.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 6, s.logs()   # an hour's wait, cut short
    out = s.stdout()
    assert "waiter saw stop" in out
    # Teardowns run after the tasks ended, in reverse order.
    assert out.index("waiter saw stop") < out.index("teardown second") < out.index("teardown ticker"), out


def test_spawn_from_handler_and_drain_waits_for_it(start_server):
    s = start_server("pt_bg_server", workers=1)
    status, _, body = s.request("POST", "/spawn/0")
    assert status == 200 and json.loads(body)["data"] == {"rc": 0}
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["spawned_done"] == 1, 10)
    # A task in a plain pt_sleep_ms is not cut short: the drain waits for it.
    # 4 s: the signal comes well before the task ends, however slow the
    # machine is between the spawn's answer and the signal.
    status, _, body = s.request("POST", "/spawn/4000")
    assert json.loads(body)["data"] == {"rc": 0}
    t0 = time.monotonic()
    assert s.stop(timeout=15) == 0
    took = time.monotonic() - t0
    assert took >= 1.0, took
    out = s.stdout()
    assert "spawned task done after 4000 ms" in out
    assert out.index("spawned task done after 4000 ms") < out.index("teardown second"), out


def test_drain_abandons_tasks_at_the_shutdown_deadline(start_server):
    # The abandoned task's memory is what LeakSanitizer would report: expected.
    s = start_server("pt_bg_server", workers=1, PT_SHUTDOWN_TIMEOUT_MS=300, ASAN_OPTIONS="detect_leaks=0")
    s.request("POST", "/spawn/60000")
    t0 = time.monotonic()
    assert s.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 5
    assert "abandoned at the shutdown deadline" in s.stderr()
    assert "spawned task done" not in s.stdout()


def test_resources_lookup(start_server):
    s = start_server("pt_bg_server")
    assert s.get_json("/resource/ticker")[2]["data"] == {"found": True}
    assert s.get_json("/resource/second")[2]["data"] == {"found": True}
    status, _, body = s.get("/resource/nope")
    assert status == 404 and body == b"no resource nope"


def run_to_exit(env, timeout=15):
    """Starts pt_bg_server expecting it to fail at start-up; returns (code, out, err)."""
    e = dict(os.environ)
    e.update({"PORT": str(free_port()), "PONTY_WORKERS": "1"})
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    e.update({k: str(v) for k, v in env.items()})
    p = subprocess.run([binary_path("pt_bg_server")], env=e, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_failing_provider_tears_down_the_started_ones():
    code, out, err = run_to_exit({"PT_FAIL_SECOND": 1})
    assert code == 1, (out, err)
    assert "ponty: cannot start: provider 'second' failed to start" in err
    # The failed provider's startup cleans up after itself: only the first
    # is torn down; the tasks it queued never ran.
    assert "teardown ticker" in out and "teardown second" not in out, out
    assert "waiter saw stop" not in out


def test_duplicate_resource_fails_the_start():
    code, out, err = run_to_exit({"PT_DUP": 1})
    assert code == 1, (out, err)
    assert "resource 'ticker' is published twice" in err
    assert "ponty: cannot start: provider 'second' failed to start" in err
    # "second" started (its startup returned 0), so it is torn down too, first.
    assert out.index("teardown second") < out.index("teardown ticker"), out


def test_spawn_from_a_plain_thread_while_serving(start_server):
    # The offloaded function runs on a pool thread, which has no scheduler:
    # its task goes round-robin to a worker.
    s = start_server("pt_bg_server")
    status, _, body = s.request("POST", "/spawn-from-pool")
    assert status == 200 and json.loads(body)["data"] == {"rc": 0}
    assert wait_until(lambda: s.get_json("/ticks")[2]["data"]["spawned_done"] == 1, 10)


def test_envelope_status(start_server):
    s = start_server("pt_bg_server")
    status, _, body = s.get("/status/202")
    assert status == 202 and json.loads(body)["data"] == {"ok": True}
    status, _, body = s.get("/status/99")
    assert status == 500 and body == b"500: Internal Server Error"
    assert "invalid final status 99" in s.stderr()
