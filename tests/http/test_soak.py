"""A short soak (bench/soak/run.sh runs the 10-minute one): 15 s of mixed
traffic — hits, misses, validation failures, bodies, raised errors, slow
readers — with the server's RSS and open fds sampled. After warm-up both
stay flat, every answer is the expected one, and an overload (more
connections than the server admits) is shed with 503 at once and recovers."""
from conftest import SANITIZED
from soak import growth_after_warmup, overload, soak

SECS = 15
MAX_CONNS = 64  # per worker; 2 workers


def test_soak_flat_memory_and_fds(start_server):
    # Under ASan freed memory sits in a quarantine (256 MB by default) that
    # fills for seconds and then churns by tens of MB: a small one makes the
    # RSS settle within the warm-up, so growth after it still means a leak.
    env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:quarantine_size_mb=8"} if SANITIZED else {}
    s = start_server("pt_test_server", workers=2, **env)
    samples, counts, errors = soak(s.port, s.proc.pid, SECS, clients=6, every=1.0)
    print("samples (s, RSS KiB, fds):", samples)
    print("requests:", counts)
    assert not errors, errors[:10]
    assert all(n > 0 for n in counts.values()), counts
    rss, fds = growth_after_warmup(samples)
    assert fds <= 2, samples
    # Flat: a few allocator pages of slack, not growth with the request count.
    assert rss <= (16384 if SANITIZED else 2048), samples


def test_overload_sheds_with_503_and_recovers(start_server):
    s = start_server("pt_test_server", workers=2, PT_MAX_CONNS=MAX_CONNS)
    by_status, slowest, recovered = overload(s.port, 4 * 2 * MAX_CONNS)
    print("answers:", by_status, "slowest %.2f s" % slowest)
    assert by_status.get(503, 0) >= 2 * MAX_CONNS, by_status
    assert set(by_status) <= {200, 503}, by_status
    assert slowest < 10, slowest
    assert recovered
