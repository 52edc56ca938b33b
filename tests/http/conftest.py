"""Fixtures for the black-box HTTP tests.

Every test talks to a real server binary over real sockets on 127.0.0.1:

  * ``start_server(name, **env)`` starts ``$PT_BUILD_DIR/examples/<name>`` or
    ``$PT_BUILD_DIR/tests/<name>`` on a free port, waits until it accepts
    connections and returns a :class:`Server`. (The port is found free, then
    bound by the server a moment later: when another process took it in
    between, the server says so at start-up and is started on another.) At teardown the server gets
    SIGTERM and must exit with status 0 within 15 s; otherwise the test fails
    with the server's stdout and stderr (ASan/LSan reports land there).
  * ``RawConn`` sends raw bytes and reads complete responses one at a time
    (status line, headers, Content-Length or chunked body), for pipelining and
    malformed input.

Environment: PT_BUILD_DIR (the CMake build directory; ctest sets it).
"""
import errno
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest

BUILD_DIR = os.environ.get("PT_BUILD_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "build")
SOURCE_DIR = os.environ.get("PT_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
START_TIMEOUT = 20.0   # ASan builds start slower, more so on a loaded machine
STOP_TIMEOUT = 15.0
IO_TIMEOUT = 10.0

def _sanitized_build():
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            return any(line.strip().upper() in ("PT_SANITIZE:BOOL=ON", "PT_SANITIZE:BOOL=TRUE")
                       for line in f)
    except OSError:
        return False


SANITIZED = _sanitized_build()

JSON_CT = "application/json; charset=utf-8"
TEXT_CT = "text/plain; charset=utf-8"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def binary_path(name):
    for sub in ("examples", "tests"):
        p = os.path.join(BUILD_DIR, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not built under {BUILD_DIR}/examples or {BUILD_DIR}/tests")


class Server:
    """A running server process on 127.0.0.1:port."""

    def __init__(self, name, env=None, workers=2, cwd=None):
        self.name = name
        self.path = binary_path(name)
        self.env = dict(os.environ)
        self.env.update({"PONTY_WORKERS": str(workers)})
        # Leaks are reported at exit as a non-zero status; keep them fatal.
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = str(v)
        self._dir = tempfile.TemporaryDirectory(prefix=f"pt-{name}-")
        self.out_path = os.path.join(self._dir.name, "stdout")
        self.err_path = os.path.join(self._dir.name, "stderr")
        # Examples read their files (validator.json) from examples/, as `make run` does.
        self.cwd = cwd or os.path.join(SOURCE_DIR, "examples")
        self.returncode = None
        self.stopped = False
        for attempt in range(5):
            self.port = free_port()
            self.env["PORT"] = str(self.port)
            self._out = open(self.out_path, "wb")
            self._err = open(self.err_path, "wb")
            self.proc = subprocess.Popen([self.path], env=self.env, stdin=subprocess.DEVNULL, cwd=self.cwd,
                                         stdout=self._out, stderr=self._err)
            if self._wait_ready(last=attempt == 4):
                return
            self._out.close()
            self._err.close()

    # ---- process ----

    def _wait_ready(self, last=True):
        """True once the server accepts connections; False when it exited
        because its port was taken meanwhile (unless last: then it fails)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if not last and f"port {self.port} is already in use" in self.stderr():
                    return False
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} at start-up\n"
                                     + self.logs())
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"{self.name} did not accept connections within {START_TIMEOUT} s\n"
                             + self.logs())

    def stdout(self):
        self._out.flush()
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        self._err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def logs(self):
        return (f"--- {self.name} stdout ---\n{self.stdout()[-4000:]}\n"
                f"--- {self.name} stderr ---\n{self.stderr()[-12000:]}")

    def send_signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; kills it and fails if it does not."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.stopped = True
            raise AssertionError(f"{self.name} did not exit within {timeout} s of the signal\n"
                                 + self.logs())
        self.stopped = True
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT, expect_code=0):
        """Signals the server, waits, and asserts its exit status."""
        if self.stopped:
            return self.returncode
        if self.proc.poll() is None:
            self.send_signal(sig)
        code = self.wait_exit(timeout)
        if expect_code is not None:
            assert code == expect_code, (f"{self.name} exited with {code} (expected {expect_code})\n"
                                         + self.logs())
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped = True

    def close_files(self):
        self._out.close()
        self._err.close()
        self._dir.cleanup()

    def alive(self):
        return self.proc.poll() is None

    # ---- clients ----

    def conn(self, timeout=IO_TIMEOUT):
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request; returns (status, HTTPMessage headers, body bytes).
        Uses a fresh connection unless conn is given."""
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, r.headers, data
        finally:
            if own:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def get_json(self, path, **kw):
        status, headers, body = self.get(path, **kw)
        return status, headers, json.loads(body)

    def raw(self, timeout=IO_TIMEOUT):
        return RawConn(self.port, timeout)


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # list of (name, value) in order
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.reason} {self.headers} {self.body[:200]!r}>"


class RawConn:
    """A raw TCP connection that reads HTTP/1.1 responses one by one."""

    MAX_RESPONSE = 64 << 20

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.eof = False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        if len(self.buf) > self.MAX_RESPONSE:
            raise AssertionError("response larger than the test allows")
        return True

    def _read_until(self, marker):
        while marker not in self.buf:
            if not self._fill():
                raise EOFError(f"connection closed before {marker!r}; got {self.buf[:300]!r}")
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError(f"connection closed after {len(self.buf)} of {n} body bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head=False):
        """Reads one complete response. head=True: a response to HEAD (no body)."""
        while True:
            block = self._read_until(b"\r\n\r\n").decode("latin-1")
            lines = block[:-4].split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code, _, reason = rest.partition(" ")
            assert version.startswith("HTTP/1."), f"bad status line {lines[0]!r}"
            status = int(code)
            headers = []
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                assert sep and name and name == name.strip(), f"bad header line {line!r}"
                headers.append((name, value.strip()))
            resp = Response(version, status, reason, headers, b"")
            if 100 <= status < 200:
                assert resp.header("Content-Length") is None, "1xx with a Content-Length"
                if status == 100:
                    return resp
                continue
            break
        if head or status in (204, 304):
            return resp
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if te and "chunked" in te.lower():
            body = b""
            for _ in range(100000):
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_exact(size)
                self._read_until(b"\r\n")
            resp.body = body
        elif cl is not None:
            assert cl.isdigit(), f"bad Content-Length {cl!r}"
            resp.body = self._read_exact(int(cl))
        else:
            while self._fill():
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def closed_by_peer(self, timeout=IO_TIMEOUT):
        """True when the server closes the connection (EOF or reset) within
        timeout with no further bytes; False on timeout. Bytes that arrive
        instead fail the assertion."""
        if self.buf:
            raise AssertionError(f"unexpected extra bytes {self.buf[:200]!r}")
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        assert data == b"", f"unexpected bytes instead of close: {data[:200]!r}"
        return True


def request_bytes(method, path, headers=(), body=b"", version="HTTP/1.1", host=True):
    """Builds a request. headers: sequence of (name, value)."""
    lines = [f"{method} {path} {version}"]
    if host:
        lines.append(f"Host: {HOST}")
    lines += [f"{k}: {v}" for k, v in headers]
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def check_envelope(body, t0_ms, t1_ms):
    """Parses an envelope response body, checks its layout against Python's
    json.dumps and its times against the window measured around the request;
    returns data."""
    env = json.loads(body)
    assert list(env) == ["now", "data", "elapsed"], env
    assert isinstance(env["now"], int) and not isinstance(env["now"], bool)
    # 'now' is taken before the handler runs; allow 1 ms for clock rounding.
    assert t0_ms - 1 <= env["now"] <= t1_ms + 1, (t0_ms, env["now"], t1_ms)
    assert isinstance(env["elapsed"], int) and not isinstance(env["elapsed"], bool)
    assert 0 <= env["elapsed"] <= (t1_ms - t0_ms) + 1, (env["elapsed"], t1_ms - t0_ms)
    assert body == json.dumps(env).encode(), "not byte-identical to Python's json.dumps"
    return env["data"]


def now_ms():
    return time.time_ns() // 1_000_000


def wait_until(pred, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def connection_refused(port):
    """True if a fresh connection to port is refused (or reset before any byte)."""
    try:
        s = socket.create_connection((HOST, port), timeout=1.0)
    except OSError as e:
        return e.errno in (errno.ECONNREFUSED, errno.ECONNRESET) or isinstance(
            e, (ConnectionRefusedError, ConnectionResetError))
    try:
        s.settimeout(1.0)
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(1)
        return data == b""
    except OSError:
        return True
    finally:
        s.close()


def _server_factory():
    """Yields start(name, workers=2, **env) → Server; at the end stops every
    server it started with SIGTERM and fails unless each exited 0."""
    servers = []

    def start(name, workers=2, **env):
        s = Server(name, env=env, workers=workers)
        servers.append(s)
        return s

    yield start
    errors = []
    for s in servers:
        try:
            s.stop()
        except AssertionError as e:
            errors.append(str(e))
        finally:
            s.kill()
            s.close_files()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def start_server():
    """Factory for servers that live for one test."""
    yield from _server_factory()


@pytest.fixture(scope="module")
def module_server_factory():
    """Like start_server, but the servers live for the whole test module."""
    yield from _server_factory()


@pytest.fixture(scope="module")
def test_server(module_server_factory):
    """pt_test_server with default limits, 2 workers, shared by a module."""
    s = module_server_factory("pt_test_server")
    yield s
    assert s.alive(), "pt_test_server died during the module\n" + s.logs()
