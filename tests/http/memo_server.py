"""Helpers for the memo HTTP tests: start a built example on a free port,
fire simultaneous requests, start a throwaway redis-server."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

BUILD = os.environ.get("PT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
# Examples read their files (validator.json) from examples/, as `make run` does.
EXAMPLES_DIR = os.path.join(os.environ.get("PT_SOURCE_DIR") or
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."), "examples")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("port %d did not open" % port)


class Server:
    """An example binary serving on a free port; stop() asserts a clean exit."""

    def __init__(self, name, **env):
        self.port = free_port()
        e = dict(os.environ, PORT=str(self.port), PONTY_WORKERS="2")
        e.update({k: str(v) for k, v in env.items()})
        self.proc = subprocess.Popen([os.path.join(BUILD, "examples", name)], env=e, cwd=EXAMPLES_DIR,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port, self.proc)

    def get(self, path, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        t0 = time.time()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body, time.time() - t0

    def get_json(self, path):
        status, body, _ = self.get(path)
        assert status == 200, body
        return json.loads(body)["data"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert self.proc.returncode == 0, err.decode(errors="replace")


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


class Redis:
    def __init__(self):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        self.url = "redis://127.0.0.1:%d/0" % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
