"""Helpers for the memo HTTP tests, on top of conftest's Server: timed
requests, simultaneous requests, and a throwaway redis-server."""
import json
import shutil
import socket
import subprocess
import threading
import time

from conftest import HOST, free_port, wait_until


def timed_get(server, path, timeout=30):
    """GET → (status, body, seconds taken), on a fresh connection."""
    t0 = time.monotonic()
    status, _, body = server.get(path, conn=server.conn(timeout=timeout))
    return status, body, time.monotonic() - t0


def data_of(server, path):
    """The envelope's data of a 200 answer."""
    status, _, body = server.get(path)
    assert status == 200, body
    return json.loads(body)["data"]


def simultaneous(calls, stagger=0.0):
    """Runs the callables at once (optionally staggered), returns results in order."""
    out = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i, f):
        start.wait()
        if stagger:
            time.sleep(stagger * i)
        out[i] = f()

    ts = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def first_then_rest(first_call, loading, rest_calls, logs=lambda: ""):
    """first_call starts a load on a thread; once loading() says its loader
    runs, rest_calls go at once. Returns [first] + their results."""
    first = {}
    t = threading.Thread(target=lambda: first.setdefault("r", first_call()))
    t.start()
    try:
        assert wait_until(loading, 10), logs()
        rest = simultaneous(rest_calls)
    finally:
        t.join(30)
    return [first["r"]] + rest


def _port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


class Redis:
    def __init__(self):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        # The port is found free, then bound by redis-server a moment later:
        # when another process took it in between, redis-server exits and
        # is started on another port.
        for _ in range(5):
            self.port = free_port()
            if self.start(must=False):
                break
        else:
            raise RuntimeError("redis-server did not start on any of 5 free ports")
        self.url = "redis://%s:%d/0" % (HOST, self.port)

    def start(self, must=True):
        """Starts redis-server on self.port (again, after stop()). True once
        it accepts connections; False (or, with must, an error) if it exited."""
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", HOST,
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(lambda: _port_open(self.port) or self.proc.poll() is not None, 20):
            raise RuntimeError("redis-server did not start")
        if self.proc.poll() is not None:
            if must:
                raise RuntimeError("redis-server exited at start-up (port %d taken?)" % self.port)
            return False
        return True

    def command(self, *args):
        """One command over a fresh connection; the reply as bytes (bulk or
        status) or int."""
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            req = b"*%d\r\n" % len(args) + b"".join(
                b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
            s.sendall(req)
            f = s.makefile("rb")
            line = f.readline()
            kind, rest = line[:1], line[1:-2]
            if kind == b"$":
                n = int(rest)
                return None if n < 0 else f.read(n + 2)[:-2]
            if kind == b":":
                return int(rest)
            if kind == b"-":
                raise RuntimeError(rest.decode())
            return rest

    def clients(self):
        """The other clients' lines of CLIENT LIST (not this query's own)."""
        lines = self.command("CLIENT", "LIST").decode().splitlines()
        return [l for l in lines if "cmd=client" not in l]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
