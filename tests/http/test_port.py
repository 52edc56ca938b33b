"""A port already served stops the start-up with a clear message: a second
server never silently shares the port (SO_REUSEPORT would let it)."""
import os
import socket
import subprocess

import pytest

from conftest import HOST, SOURCE_DIR, binary_path, free_port


def start_on(port, workers=2):
    env = dict(os.environ, PORT=str(port), PONTY_WORKERS=str(workers))
    return subprocess.run([binary_path("hello_world")], env=env, cwd=os.path.join(SOURCE_DIR, "examples"),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)


def test_second_server_on_a_served_port_refuses_to_start(start_server):
    first = start_server("hello_world", workers=2)
    p = start_on(first.port)
    assert p.returncode == 1, p
    assert f"port {first.port} is already in use" in p.stderr, p.stderr
    # The first server still has every connection to itself.
    for _ in range(20):
        assert first.get("/hello")[0] == 200
    assert first.stop() == 0


@pytest.mark.parametrize("reuseport", [True, False])
@pytest.mark.parametrize("addr", ["127.0.0.1", "0.0.0.0"])
def test_any_other_listener_on_the_port_stops_the_start(reuseport, addr):
    port = free_port()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((addr, port))
    s.listen(8)
    try:
        p = start_on(port)
    finally:
        s.close()
    assert p.returncode == 1, p
    assert f"ponty: cannot start: port {port} is already in use" in p.stderr, p.stderr


def test_ipv6_wildcard_listener_counts_too():
    port = free_port()
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("::", port))
    s.listen(8)
    try:
        p = start_on(port)
    finally:
        s.close()
    assert p.returncode == 1 and f"port {port} is already in use" in p.stderr, p


def test_a_free_port_serves_with_every_worker(start_server):
    s = start_server("hello_world", workers=4)
    # Every listener is ours: many fresh connections all get answers.
    for _ in range(40):
        assert s.get("/hello")[0] == 200
    assert s.stop() == 0
