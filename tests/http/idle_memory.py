"""Server memory per idle keep-alive connection: opens N connections, sends
one request on each, reads every answer, and compares the server's RSS
(VmRSS of every given pid) before and after. A warm-up round first brings
the allocator's per-thread pools up, so what is measured is what each idle
connection keeps. Used by tests/http/test_idle_memory.py and
bench/idle/run.sh."""
import resource
import socket
import time

REQUEST = b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n"


def raise_fd_limit(n):
    """Raises this process's open-file limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise AssertionError("closed before a response: %r" % buf[:200])
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        rest += s.recv(65536)


def open_idle(port, n, path="/whoami", host="127.0.0.1"):
    """n keep-alive connections, each after one answered request."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(REQUEST % path.encode())
        socks.append(s)
        if len(socks) % 500 == 0:
            for t in socks[-500:]:
                _read_response(t)
    for t in socks[len(socks) - len(socks) % 500:]:
        _read_response(t)
    return socks


def measure(port, pids, n, path="/whoami", warm=500, settle=0.5):
    """Bytes of server RSS per idle connection over n connections."""
    warmup = open_idle(port, warm, path)
    for s in warmup:
        s.close()
    time.sleep(settle)
    before = rss_kib(pids)
    socks = open_idle(port, n, path)
    time.sleep(settle)
    after = rss_kib(pids)
    for s in socks:
        s.close()
    return (after - before) * 1024 / n
