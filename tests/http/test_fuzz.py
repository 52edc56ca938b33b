"""Mutation fuzzing over real sockets: thousands of damaged requests (bit
flips, truncations, spliced bytes, oversized numbers, random header soup,
broken chunking) sent to the test server and to the field-declaring
examples. Every answer must be a well-formed HTTP/1.1 response with a
Content-Length that matches its body, or a clean close; the server must go
on serving and exit 0 (clean under ASan/UBSan) at the end. The RNG is
seeded, so a failure reproduces; the run is bounded in count and time."""
import random
import socket
import time

import pytest

from conftest import HOST

SEED = 20261121
CASES = 6000
BUDGET_S = 40.0

SEEDS = [
    b"GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /sleep/1 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /raise/418?text=teapot HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /headers HTTP/1.0\r\nCookie: a=1; b=\"2\"\r\nX-Y: z\r\n\r\n",
    b"DELETE /methods HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /request/a%20x?x=%zz&y=+ HTTP/1.1\r\nHost: x\r\n\r\n",
]

EXAMPLE_SEEDS = [
    b"GET /hello?bangs=7 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /person HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 88\r\n\r\n"
    b'{"first_name": "Mickey", "last_name": "Mouse", "favorite_color": "blue", "height": 1000}',
]

JUNK = [b"\r\n", b"\n", b"\x00", b":", b" ", b"\t", b"%", b"{", b"}", b"[", b"\"", b"\\", b"\xff",
        b"99999999999999999999999", b"-1", b"chunked", b"Content-Length: ", b"Transfer-Encoding: ",
        b"HTTP/1.1", b"\r\n\r\n", b"0\r\n\r\n", b"Expect: 100-continue\r\n", b"Upgrade: h2c\r\n"]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if op == 0 and data:                      # flip a bit
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1 and data:                    # truncate
            del data[rng.randrange(len(data)):]
        elif op == 2:                             # splice junk in
            i = rng.randrange(len(data) + 1)
            data[i:i] = rng.choice(JUNK)
        elif op == 3 and data:                    # delete a run
            i = rng.randrange(len(data))
            del data[i:i + rng.randint(1, 8)]
        elif op == 4:                             # duplicate a run
            if data:
                i = rng.randrange(len(data))
                data[i:i] = data[i:i + rng.randint(1, 16)]
        else:                                     # random bytes
            i = rng.randrange(len(data) + 1)
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
    return bytes(data)


def read_all(sock, deadline):
    """Everything the server sends until it closes or goes quiet."""
    chunks = []
    sock.settimeout(0.3)
    while time.monotonic() < deadline:
        try:
            b = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def check_stream(data):
    """data must be a sequence of complete responses (a last one may be cut
    only if the server closed mid-write, which it never should)."""
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"response head without end: {data[:200]!r}"
        lines = head.split(b"\r\n")
        assert lines[0].startswith(b"HTTP/1.1 "), lines[0]
        status = int(lines[0].split(b" ")[1])
        assert 100 <= status <= 599
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower(), value.strip())
        if status < 200:
            data = rest
            continue
        assert b"content-length" in headers or status == 204, lines
        n = int(headers.get(b"content-length", b"0"))
        assert len(rest) >= n, f"body shorter than Content-Length: {len(rest)} < {n}"
        data = rest[n:]


def run_cases(server, seeds, rng, count, deadline):
    sent = 0
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        payload = mutate(rng, rng.choice(seeds))
        # Sometimes pipeline a valid request behind the damaged one.
        if rng.random() < 0.3:
            payload += rng.choice(seeds)
        with socket.create_connection((HOST, server.port), timeout=5) as s:
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            check_stream(read_all(s, time.monotonic() + 3))
        sent += 1
    return sent


def test_fuzz_test_server(start_server):
    rng = random.Random(SEED)
    s = start_server("pt_test_server", PT_HEADER_TIMEOUT_MS=2000, PT_IDLE_TIMEOUT_MS=2000)
    sent = run_cases(s, SEEDS, rng, CASES, time.monotonic() + BUDGET_S)
    assert sent >= 200
    assert s.alive()
    status, _, body = s.get("/sleep/1")
    assert status == 200
    assert s.stop() == 0


def test_fuzz_declared_fields(start_server):
    rng = random.Random(SEED + 1)
    for name in ("bangs", "person"):
        s = start_server(name, PT_HEADER_TIMEOUT_MS=2000, PT_IDLE_TIMEOUT_MS=2000)
        sent = run_cases(s, EXAMPLE_SEEDS, rng, CASES // 3, time.monotonic() + BUDGET_S / 4)
        assert sent >= 100
        assert s.alive()
        assert s.stop() == 0
