"""Soak and overload against a running server (used by tests/http/test_soak.py
for a short run and bench/soak/run.sh for the long one).

soak(): CLIENTS threads send mixed traffic for `secs`: hits (GET /whoami,
keep-alive), misses (404), validation failures (malformed percent-encoding,
400 and close), posted bodies, raised errors, and slow readers (a large
response read a few KiB at a time). The server's RSS and open fds are
sampled every `every` seconds. Returns the samples and request counts.

overload(): opens more connections than the server admits, all at once, each
with a request; counts 503 answers and how long the slowest answer took;
then checks that ordinary requests are served again."""
import os
import random
import socket
import threading
import time

HOST = "127.0.0.1"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def _read_response(s, buf=b"", slow=False):
    """Reads one response; returns (status, rest of the buffer) or (None, b"")."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096 if slow else 65536)
        if not d:
            return None, b""
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = s.recv(4096 if slow else 65536)
        if not d:
            return None, b""
        rest += d
        if slow:
            time.sleep(0.001)
    return status, rest[n:]


KINDS = [
    ("hit", b"GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n", 200, True),
    ("miss", b"GET /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n", 404, True),
    ("invalid", b"GET /request/a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, False),
    ("post", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world", 200, True),
    ("raise", b"GET /raise/418?text=teapot HTTP/1.1\r\nHost: x\r\n\r\n", 418, True),
    ("slow", b"GET /big/262144 HTTP/1.1\r\nHost: x\r\n\r\n", 200, True),
]


def soak(port, pid, secs, clients=8, every=2.0, seed=1):
    stop = time.monotonic() + secs
    counts = {k[0]: 0 for k in KINDS}
    errors = []
    lock = threading.Lock()

    def client(i):
        rng = random.Random(seed + i)
        s, buf = None, b""
        while time.monotonic() < stop:
            name, req, want, keep = rng.choice(KINDS)
            try:
                if s is None:
                    s = socket.create_connection((HOST, port), timeout=30)
                    buf = b""
                s.sendall(req)
                status, buf = _read_response(s, buf, slow=name == "slow")
                if status != want:
                    with lock:
                        errors.append((name, status))
                with lock:
                    counts[name] += 1
                if not keep or status is None:
                    s.close()
                    s = None
            except OSError as e:
                with lock:
                    errors.append((name, repr(e)))
                if s:
                    s.close()
                s = None
        if s:
            s.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    samples = []
    t0 = time.monotonic()
    while time.monotonic() < stop:
        samples.append((round(time.monotonic() - t0, 1), rss_kib(pid), nfds(pid)))
        time.sleep(every)
    for t in threads:
        t.join()
    time.sleep(0.5)
    samples.append((round(time.monotonic() - t0, 1), rss_kib(pid), nfds(pid)))
    return samples, counts, errors


def growth_after_warmup(samples, warm_frac=0.3):
    """RSS (KiB) and fds: the last sample minus the first after warm-up."""
    i = max(1, int(len(samples) * warm_frac))
    return samples[-1][1] - samples[i][1], samples[-1][2] - samples[i][2]


def overload(port, n):
    """n connections at once, one request each. Returns (answers by status,
    slowest answer in s, recovered: a fresh request answered 200)."""
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection((HOST, port), timeout=30))
        except OSError:
            break
    t0 = time.monotonic()
    for s in socks:
        try:
            s.sendall(b"GET /sleep/200 HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
    by_status, slowest = {}, 0.0
    for s in socks:
        try:
            status, _ = _read_response(s)
        except OSError:
            status = None
        slowest = max(slowest, time.monotonic() - t0)
        by_status[status] = by_status.get(status, 0) + 1
        s.close()
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(b"GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
        recovered = _read_response(s)[0] == 200
    return by_status, slowest, recovered
