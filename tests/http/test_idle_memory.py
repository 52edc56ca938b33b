"""Memory per idle keep-alive connection, over 10,000 connections: at most
1 KiB of server RSS each. An idle connection keeps only its struct: the
request, its arena block and every buffer are freed when it goes idle."""
import pytest

from conftest import SANITIZED
from idle_memory import measure, raise_fd_limit

N = 10000


def test_idle_keepalive_connection_costs_at_most_1_kib(start_server):
    if raise_fd_limit(N + 1000) < N + 1000:
        pytest.fail("the open-file hard limit is below %d" % (N + 1000))
    s = start_server("pt_test_server", workers=2)
    per_conn = measure(s.port, [s.proc.pid], N)
    print("server RSS per idle keep-alive connection: %.0f bytes" % per_conn)
    if not SANITIZED:  # ASan's redzones and quarantine are not the server's
        assert per_conn <= 1024, "%.0f bytes per idle connection" % per_conn
    # Still serving, and every connection was answered.
    assert s.get("/whoami")[0] == 200
