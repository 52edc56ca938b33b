"""A real HTTP/1.1 upstream for the client tests, run in a background thread.

Keep-alive connections, one thread per connection. Paths:
  /json                 200 {"ok": true}
  /text                 200 text/plain "plain words"
  /echo                 200 JSON of the request: method, path, query, headers, body
                        (?slowread=MS: the body is read only after MS ms)
  /status/<n>           <n> with {"status": n}
  /stall?ms=N&tag=T     waits N ms, then 200 {"stalled": N}; counts concurrency per tag
  /slowbody?ms=N        headers at once (Content-Length 10), then a byte every N ms
  /reset                reads the request, then resets the connection (RST)
  /close                reads the request, then closes without answering
  /count                200 {"hits": <hits so far on /count>}
  /drop?ms=N            200 {"ok": true} (keep-alive), then closes the idle connection after N ms
  /bye                  200 {"ok": true} with Connection: close, then closes
  /chunked?n=K          200 text/plain, chunked: K chunks "chunk-<i>;"
  /big?n=N              200 application/octet-stream, N bytes cycling 0..255
  /eof                  200 text/plain, no Content-Length: the body ends with the close
  /interim              100 Continue, then 200 {"ok": true}
  /http10               HTTP/1.0 200 {"ok": true} with Content-Length, no keep-alive
                        (the connection stays open: the client must not reuse it)
  /garbage              answers bytes that are not HTTP, then closes
  /oneshot              200 {"ok": true}, then the next request on that
                        connection is read and the connection closed unanswered
HEAD gets the headers of GET and no body.

With an ssl.SSLContext it serves HTTPS; rcvbuf=N sets its sockets' SO_RCVBUF. It records: open connections (now), peak concurrent /stall requests per tag, hits per
path.
"""
import json
import socket
import socketserver
import struct
import threading
import time
from urllib.parse import urlsplit, parse_qs


class Upstream:
    def __init__(self, ssl_context=None, rcvbuf=None):
        self.lock = threading.Lock()
        self.open_conns = 0
        self.total_conns = 0
        self.stalling = {}       # tag → /stall requests in progress
        self.peak_stalling = {}  # tag → most at once
        self.hits = {}
        self.local = threading.local()
        up = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with up.lock:
                    up.open_conns += 1
                    up.total_conns += 1
                try:
                    up._serve(self.request)
                finally:
                    with up.lock:
                        up.open_conns -= 1

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def server_bind(self):
                # a small receive buffer (inherited by accepted sockets) makes
                # a large request body wait for the reader
                if rcvbuf:
                    self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
                super().server_bind()

            def finish_request(self, request, client_address):
                if ssl_context is not None:
                    try:
                        request = ssl_context.wrap_socket(request, server_side=True)
                    except (OSError, ValueError):
                        return  # the client refused our certificate
                self.RequestHandlerClass(request, client_address, self)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def hit_count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    # ---- one connection ----

    def _serve(self, sock):
        buf = b""
        self.local.dead_next = False
        sock.settimeout(30)
        while True:
            while b"\r\n\r\n" not in buf:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers.setdefault(k.strip().lower(), []).append(v.strip())
            n = int(headers.get("content-length", ["0"])[0])
            if "slowread=" in target:  # let the body wait in the socket first
                time.sleep(int(parse_qs(urlsplit(target).query)["slowread"][0]) / 1000)
            while len(buf) < n:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
            body, buf = buf[:n], buf[n:]
            if self.local.dead_next:
                with self.lock:
                    self.hits["(unanswered)"] = self.hits.get("(unanswered)", 0) + 1
                sock.shutdown(socket.SHUT_RDWR)
                return
            self.local.method = method
            if not self._answer(sock, method, target, headers, body):
                return

    def _send(self, sock, status, body, ctype="application/json", extra=()):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", f"Content-Length: {len(body)}",
                "X-Upstream: yes", *extra]
        if getattr(self.local, "method", "") == "HEAD":
            body = b""
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def _answer(self, sock, method, target, headers, body):
        u = urlsplit(target)
        q = parse_qs(u.query)
        path = u.path
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        if path == "/json":
            self._send(sock, 200, {"ok": True})
        elif path == "/text":
            self._send(sock, 200, b"plain words", "text/plain")
        elif path == "/echo":
            self._send(sock, 200, {"method": method, "path": path, "query": u.query,
                                   "headers": {k: v[0] for k, v in headers.items()},
                                   "body": body.decode("utf-8", "replace")})
        elif path.startswith("/status/"):
            n = int(path.split("/")[2])
            self._send(sock, n, {"status": n})
        elif path == "/stall":
            ms = int(q.get("ms", ["1000"])[0])
            tag = q.get("tag", [""])[0]
            with self.lock:
                self.stalling[tag] = self.stalling.get(tag, 0) + 1
                self.peak_stalling[tag] = max(self.peak_stalling.get(tag, 0), self.stalling[tag])
            time.sleep(ms / 1000)
            with self.lock:
                self.stalling[tag] -= 1
            try:
                self._send(sock, 200, {"stalled": ms})
            except OSError:
                return False
        elif path == "/slowbody":
            ms = int(q.get("ms", ["500"])[0])
            try:
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n")
                for _ in range(10):
                    time.sleep(ms / 1000)
                    sock.sendall(b"x")
            except OSError:
                return False
        elif path == "/reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        elif path == "/close":
            sock.shutdown(socket.SHUT_RDWR)
            return False
        elif path == "/drop":
            self._send(sock, 200, {"ok": True})
            time.sleep(int(q.get("ms", ["100"])[0]) / 1000)
            sock.shutdown(socket.SHUT_RDWR)
            return False
        elif path == "/bye":
            self._send(sock, 200, {"ok": True}, extra=("Connection: close",))
            sock.shutdown(socket.SHUT_RDWR)
            return False
        elif path == "/chunked":
            n = int(q.get("n", ["3"])[0])
            out = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                   b"X-Upstream: yes\r\n\r\n"]
            for i in range(n):
                c = f"chunk-{i};".encode()
                out.append(b"%x\r\n%s\r\n" % (len(c), c))
            out.append(b"0\r\n\r\n")
            sock.sendall(b"".join(out))
        elif path == "/big":
            n = int(q.get("n", ["1000000"])[0])
            self._send(sock, 200, bytes(range(256)) * (n // 256) + bytes(range(n % 256)),
                       "application/octet-stream")
        elif path == "/eof":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
            sock.shutdown(socket.SHUT_RDWR)
            return False
        elif path == "/interim":
            sock.sendall(b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n")
            self._send(sock, 200, {"ok": True})
        elif path == "/http10":
            sock.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n'
                         b'{"ok": true}')
        elif path == "/garbage":
            sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            sock.shutdown(socket.SHUT_RDWR)
            return False
        elif path == "/oneshot":
            self._send(sock, 200, {"ok": True})
            self.local.dead_next = True
        elif path == "/count":
            self._send(sock, 200, {"hits": self.hits[path]})
        else:
            self._send(sock, 404, {"error": "no such path"})
        return True
