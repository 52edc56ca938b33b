"""HTTP/1.1 framing compared side by side with a live nginx.

The test starts nginx (a temporary prefix, `return 200` for every location,
no daemon, its error log in the temporary directory) and pt_test_server, and
sends every case below to both over raw sockets, each followed on the same
connection by a normal request (FOLLOW). The outcome of a case is the class
of every answer before the follow-up's (1xx, 2xx, 4xx, 5xx) and what became of the follow-up: "served" (answered), "closed"
(the server closed the connection or reset it first), "hung" (nothing within
the time allowed). The two outcomes must be equal, except for the cases in
INTENDED, each with the reason ponty answers differently on purpose; an
intended difference that disappears fails too, so the table stays true.

Skipped only when nginx is not installed (scripts/setup.sh installs
nginx-light, so CI runs it).
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import HOST, free_port, wait_until

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/setup.sh installs nginx-light)")

# The follow-up: both servers answer it with a body containing FOLLOW_MARK.
FOLLOW = b"GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"
FOLLOW_MARK = b"thread"
WAIT = 4.0          # seconds without progress before a case counts as hung


@pytest.fixture(scope="module")
def nginx():
    d = tempfile.mkdtemp(prefix="pt-nginx-")
    temps = ""
    v = subprocess.run([NGINX, "-V"], capture_output=True, text=True).stderr
    for m in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if "--without-http_%s_module" % m not in v:
            temps += "    %s_temp_path %s/%s;\n" % (m, d, m)
    # The port is found free, then bound by nginx a moment later: when
    # another process took it in between, nginx exits and gets another.
    for attempt in range(5):
        port = free_port()
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off;
master_process off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %(d)s/body;
%(temps)s
    server {
        listen %(host)s:%(port)d;
        location = /whoami { return 200 "thread\\n"; }
        location / { return 200 "ok\\n"; }
    }
}
""" % {"d": d, "temps": temps, "host": HOST, "port": port})
        proc = subprocess.Popen([NGINX, "-p", d, "-e", os.path.join(d, "error.log"), "-c", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    return True
            except OSError:
                return proc.poll() is not None
        ok = wait_until(up, 20) and proc.poll() is None
        if ok:
            break
        log = open(os.path.join(d, "error.log")).read() if os.path.exists(os.path.join(d, "error.log")) else ""
        assert attempt < 4 and "Address already in use" in log, "nginx did not start: " + log
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


# ---- reading answers ---------------------------------------------------------

def _split_responses(buf, heads):
    """Parses complete responses from buf: [(status, body)], rest. heads: how
    many leading answers are to HEAD requests (no body)."""
    out = []
    while True:
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return out, buf
        head = buf[:i].decode("latin-1").split("\r\n")
        parts = head[0].split(" ")
        if not parts[0].startswith("HTTP/") or len(parts) < 2 or not parts[1].isdigit():
            return out, None        # not HTTP (an HTTP/0.9 answer): unparseable
        status = int(parts[1])
        hdrs = {}
        for line in head[1:]:
            k, _, val = line.partition(":")
            hdrs[k.strip().lower()] = val.strip()
        rest = buf[i + 4:]
        if status < 200 or status in (204, 304) or (heads > len(out) and status < 300):
            body = b""
        elif "chunked" in hdrs.get("transfer-encoding", "").lower():
            body, pos = b"", 0
            while True:
                j = rest.find(b"\r\n", pos)
                if j < 0:
                    return out, buf
                size = int(rest[pos:j].split(b";")[0], 16)
                if len(rest) < j + 2 + size + 2:
                    return out, buf
                body += rest[j + 2:j + 2 + size]
                pos = j + 2 + size + 2
                if size == 0:
                    k = rest.find(b"\r\n", j + 2)   # the empty trailer line
                    pos = k + 2 if k >= 0 else pos
                    break
            rest = rest[pos:]
        elif "content-length" in hdrs:
            n = int(hdrs["content-length"])
            if len(rest) < n:
                return out, buf
            body, rest = rest[:n], rest[n:]
        else:
            return out, buf         # body to the close: read on
        out.append((status, body))
        buf = rest


def outcome(port, data, heads=0):
    """Sends data + FOLLOW; returns (classes of the answers before the
    follow-up's, "served" | "closed" | "hung")."""
    s = socket.create_connection((HOST, port), timeout=WAIT)
    buf, eof = b"", False
    try:
        try:
            s.sendall(data + FOLLOW)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            resps, rest = _split_responses(buf, heads)
            if rest is None:
                return (("not-http",), "closed")
            if any(FOLLOW_MARK in b and st == 200 for st, b in resps):
                break
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                eof = True
                break
            buf += chunk
            deadline = time.monotonic() + WAIT
    finally:
        s.close()
    resps, rest = _split_responses(buf, heads)
    if rest is None:
        return (("not-http",), "closed")
    classes, fate = [], "closed" if eof else "hung"
    for st, body in resps:
        if st == 200 and FOLLOW_MARK in body:
            fate = "served"
            break
        classes.append("%dxx" % (st // 100))
    return tuple(classes), fate


# ---- the cases -----------------------------------------------------------------

def req(line=b"GET /any HTTP/1.1", headers=(b"Host: x",), body=b""):
    return line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def post(headers, body):
    return req(b"POST /any HTTP/1.1", (b"Host: x",) + tuple(headers), body)


def chunked(body):
    return post([b"Transfer-Encoding: chunked"], body)


CASES = {
    # request line
    "plain GET": req(),
    "absolute-form http": req(b"GET http://x/any HTTP/1.1"),
    "absolute-form https": req(b"GET https://x/any HTTP/1.1"),
    "absolute-form with port": req(b"GET http://x:8080/any HTTP/1.1"),
    "absolute-form with query": req(b"GET http://x/any?/a/b HTTP/1.1"),
    "absolute-form other Host": req(b"GET http://y/any HTTP/1.1", (b"Host: x",)),
    "absolute-form no Host header": req(b"GET http://x/any HTTP/1.1", ()),
    "asterisk-form OPTIONS": req(b"OPTIONS * HTTP/1.1"),
    "authority-form CONNECT": req(b"CONNECT x:443 HTTP/1.1"),
    "lowercase method": req(b"get /any HTTP/1.1"),
    "two spaces after method": req(b"GET  /any HTTP/1.1"),
    "tab after method": req(b"GET\t/any HTTP/1.1"),
    "space after version": req(b"GET /any HTTP/1.1 "),
    "target without slash": req(b"GET any HTTP/1.1"),
    "fragment in target": req(b"GET /any#frag HTTP/1.1"),
    "NUL in target": req(b"GET /a\x00ny HTTP/1.1"),
    "control byte in target": req(b"GET /a\x01ny HTTP/1.1"),
    "DEL in target": req(b"GET /a\x7fny HTTP/1.1"),
    "high byte in target": req(b"GET /request/\xc3\xa9 HTTP/1.1"),
    "leading CRLF": b"\r\n" + req(),
    "bare LF line ends": b"GET /any HTTP/1.1\nHost: x\n\n",
    "bare CR in request line": b"GET /any\rHTTP/1.1\r\nHost: x\r\n\r\n",
    "empty request line": b"\r\n\r\n" + req(),
    # versions
    "HTTP/1.0": req(b"GET /any HTTP/1.0", ()),
    "HTTP/1.0 keep-alive": req(b"GET /any HTTP/1.0", (b"Connection: keep-alive",)),
    "HTTP/1.1 Connection: close": req(b"GET /any HTTP/1.1", (b"Host: x", b"Connection: close")),
    "HTTP/2.0": req(b"GET /any HTTP/2.0"),
    "HTTP/3.0": req(b"GET /any HTTP/3.0"),
    "HTTP/1.2": req(b"GET /any HTTP/1.2"),
    "HTTP/0.9 (no version)": b"GET /any\r\n",
    "lowercase http/1.1": req(b"GET /any http/1.1"),
    "HTTP/1": req(b"GET /any HTTP/1"),
    "HTTP/1.1.1": req(b"GET /any HTTP/1.1.1"),
    "HTTP/01.1": req(b"GET /any HTTP/01.1"),
    # methods
    "HEAD": req(b"HEAD /any HTTP/1.1"),
    "PUT with body": req(b"PUT /any HTTP/1.1", (b"Host: x", b"Content-Length: 2"), b"ab"),
    "DELETE": req(b"DELETE /any HTTP/1.1"),
    "PATCH with body": req(b"PATCH /any HTTP/1.1", (b"Host: x", b"Content-Length: 2"), b"ab"),
    "OPTIONS": req(b"OPTIONS /any HTTP/1.1"),
    "unknown method": req(b"FOO /any HTTP/1.1"),
    "TRACE": req(b"TRACE /any HTTP/1.1"),
    # header syntax
    "no Host in HTTP/1.1": req(b"GET /any HTTP/1.1", ()),
    "two Host": req(headers=(b"Host: x", b"Host: y")),
    "empty Host": req(headers=(b"Host:",)),
    "Host with port": req(headers=(b"Host: x:8080",)),
    "Host IPv6": req(headers=(b"Host: [::1]:80",)),
    "Host with slash": req(headers=(b"Host: x/y",)),
    "Host with space": req(headers=(b"Host: x y",)),
    "Host with underscore": req(headers=(b"Host: a_b",)),
    "Host trailing dot": req(headers=(b"Host: x.",)),
    "Host dot dot": req(headers=(b"Host: x..y",)),
    "Host with NUL": req(headers=(b"Host: x\x00y",)),
    "Host high byte": req(headers=(b"Host: \xc3\xa9",)),
    "Host empty port": req(headers=(b"Host: x:",)),
    "Host port not a number": req(headers=(b"Host: x:ab",)),
    "absolute-form with userinfo": req(b"GET http://u@x/any HTTP/1.1"),
    "backslash in target": req(b"GET /request/a\\b HTTP/1.1"),
    "Upgrade request": req(headers=(b"Host: x", b"Connection: Upgrade", b"Upgrade: websocket")),
    "header without colon": req(headers=(b"Host: x", b"X-A b")),
    "space before colon": req(headers=(b"Host: x", b"X-A : b")),
    "empty header name": req(headers=(b"Host: x", b": b")),
    "invalid char in name": req(headers=(b"Host: x", b"X(A): b")),
    "NUL in value": req(headers=(b"Host: x", b"X-A: a\x00b")),
    "control byte in value": req(headers=(b"Host: x", b"X-A: a\x01b")),
    "DEL in value": req(headers=(b"Host: x", b"X-A: a\x7fb")),
    "high bytes in value": req(headers=(b"Host: x", b"X-A: \xc3\xa9\xff")),
    "tab in value": req(headers=(b"Host: x", b"X-A: a\tb")),
    "no space after colon": req(headers=(b"Host:x", b"X-A:b")),
    "trailing whitespace in value": req(headers=(b"Host: x", b"X-A: b \t")),
    "obs-fold": req(headers=(b"Host: x", b"X-A: a", b" b")),
    "obs-fold with tab": req(headers=(b"Host: x", b"X-A: a", b"\tb")),
    "whitespace before first header": req(headers=(b" Host: x",)),
    "bare LF between headers": b"GET /any HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
    "bare CR in value": req(headers=(b"Host: x", b"X-A: a\rb")),
    "header line of spaces": req(headers=(b"Host: x", b"   ")),
    "Expect: 100-continue": post([b"Content-Length: 2", b"Expect: 100-continue"], b"ab"),
    "Expect: unknown": req(headers=(b"Host: x", b"Expect: foo")),
    # Content-Length
    "CL body": post([b"Content-Length: 5"], b"hello"),
    "CL 0": post([b"Content-Length: 0"], b""),
    "CL after tab": post([b"Content-Length:\t5"], b"hello"),
    "CL plus sign": post([b"Content-Length: +5"], b"hello"),
    "CL negative": post([b"Content-Length: -1"], b""),
    "CL leading zeros": post([b"Content-Length: 005"], b"hello"),
    "CL space inside": post([b"Content-Length: 5 5"], b"hello"),
    "CL surrounding whitespace": post([b"Content-Length:  5 "], b"hello"),
    "CL list 5,5": post([b"Content-Length: 5,5"], b"hello"),
    "CL twice same": post([b"Content-Length: 5", b"Content-Length: 5"], b"hello"),
    "CL twice different": post([b"Content-Length: 5", b"Content-Length: 6"], b"hello!"),
    "CL hex": post([b"Content-Length: 0x5"], b"hello"),
    "CL empty": post([b"Content-Length:"], b""),
    "CL overflow": post([b"Content-Length: 99999999999999999999999"], b""),
    "CL and TE": post([b"Content-Length: 5", b"Transfer-Encoding: chunked"], b"0\r\n\r\n"),
    "GET with CL body": req(headers=(b"Host: x", b"Content-Length: 3"), body=b"abc"),
    # Transfer-Encoding
    "TE chunked": chunked(b"5\r\nhello\r\n0\r\n\r\n"),
    "TE Chunked (case)": post([b"Transfer-Encoding: Chunked"], b"5\r\nhello\r\n0\r\n\r\n"),
    "TE chunked trailing space": post([b"Transfer-Encoding: chunked "], b"5\r\nhello\r\n0\r\n\r\n"),
    "TE gzip, chunked": post([b"Transfer-Encoding: gzip, chunked"], b"5\r\nhello\r\n0\r\n\r\n"),
    "TE chunked, chunked": post([b"Transfer-Encoding: chunked, chunked"], b"5\r\nhello\r\n0\r\n\r\n"),
    "TE identity": post([b"Transfer-Encoding: identity"], b""),
    "TE gzip": post([b"Transfer-Encoding: gzip"], b""),
    "TE two headers": post([b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
                           b"5\r\nhello\r\n0\r\n\r\n"),
    "TE xchunked": post([b"Transfer-Encoding: xchunked"], b""),
    "TE ;chunked": post([b"Transfer-Encoding: ;chunked"], b""),
    "TE empty": post([b"Transfer-Encoding:"], b""),
    "TE in HTTP/1.0": req(b"POST /any HTTP/1.0", (b"Transfer-Encoding: chunked",), b"0\r\n\r\n"),
    # chunks
    "chunk size uppercase hex": chunked(b"A\r\n0123456789\r\n0\r\n\r\n"),
    "chunk size leading zeros": chunked(b"0005\r\nhello\r\n0\r\n\r\n"),
    "chunk size 0x": chunked(b"0x5\r\nhello\r\n0\r\n\r\n"),
    "chunk size negative": chunked(b"-5\r\nhello\r\n0\r\n\r\n"),
    "chunk size overflow": chunked(b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    "chunk size empty": chunked(b"\r\nhello\r\n0\r\n\r\n"),
    "chunk size space before CRLF": chunked(b"5 \r\nhello\r\n0\r\n\r\n"),
    "chunk extension": chunked(b"5;a=b\r\nhello\r\n0\r\n\r\n"),
    "chunk extension quoted": chunked(b"5;a=\"b c\"\r\nhello\r\n0\r\n\r\n"),
    "chunk extension space before ;": chunked(b"5 ;a=b\r\nhello\r\n0\r\n\r\n"),
    "chunk extension bare name": chunked(b"5;a\r\nhello\r\n0\r\n\r\n"),
    "chunk data longer than size": chunked(b"5\r\nhelloXX\r\n0\r\n\r\n"),
    "chunk size bare LF": chunked(b"5\nhello\r\n0\r\n\r\n"),
    "chunk data bare LF": chunked(b"5\r\nhello\n0\r\n\r\n"),
    "last chunk with extension": chunked(b"5\r\nhello\r\n0;a=b\r\n\r\n"),
    "trailer": chunked(b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
    "two trailers": chunked(b"5\r\nhello\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"),
    "NUL in chunk data": chunked(b"3\r\na\x00b\r\n0\r\n\r\n"),
    # percent-encoding and paths
    "percent-encoded letter": req(b"GET /request/%61 HTTP/1.1"),
    "percent-encoded space": req(b"GET /request/a%20b HTTP/1.1"),
    "percent-encoded slash": req(b"GET /request/a%2Fb HTTP/1.1"),
    "malformed percent": req(b"GET /request/a%zz HTTP/1.1"),
    "truncated percent": req(b"GET /request/a% HTTP/1.1"),
    "percent-encoded NUL": req(b"GET /request/a%00b HTTP/1.1"),
    "dot segments": req(b"GET /request/a/../b HTTP/1.1"),
    "dot segments above root": req(b"GET /../../request/a HTTP/1.1"),
    "query with percent": req(b"GET /any?a=%2F%zz HTTP/1.1"),
    "double slash": req(b"GET //request/a HTTP/1.1"),
    # pipelining behind each case
    "pipelined GETs": req() + req(),
    "pipelined POST then GET": post([b"Content-Length: 5"], b"hello") + req(),
    "pipelined chunked then GET": chunked(b"5\r\nhello\r\n0\r\n\r\n") + req(),
    "pipelined good then bad": req() + req(b"GET /any HTTP/1.1", ()),
    "pipelined good then HTTP/1.0": req() + req(b"GET /any HTTP/1.0", ()),
    "pipelined HEAD then GET": req(b"HEAD /any HTTP/1.1") + req(),
}

HEADS = {"HEAD": 1, "pipelined HEAD then GET": 1}

# Where ponty answers differently on purpose: case -> reason (docs/reliability.md
# lists them too).
BARE_LF = ("a bare LF ends no line: 400 and close (RFC 9112 2.2 lets a recipient accept "
           "it, as nginx does; an intermediary that does not would frame the message differently)")
TE_400 = ("refused and closed as by nginx, but 400 (a malformed coding list) instead of "
          "nginx's 501 (a coding it does not implement)")
CTL = ("control bytes in a field value are refused (RFC 9110 5.5, llhttp's strict mode); "
       "nginx passes them on")
INTENDED = {
    "asterisk-form OPTIONS": "OPTIONS * is a valid request for the server itself: no route matches "
                             "it, 404 and the connection stays open (nginx: 400, close)",
    "space after version": "the request line is exactly method SP target SP version CRLF "
                           "(llhttp's strict mode); nginx allows spaces after the version",
    "bare LF line ends": BARE_LF,
    "bare LF between headers": BARE_LF,
    "chunk size bare LF": BARE_LF,
    "chunk data bare LF": BARE_LF,
    "HTTP/1.2": "llhttp speaks HTTP/1.0 and 1.1: a later 1.x minor is 505 (nginx serves it as 1.1)",
    "HTTP/0.9 (no version)": "HTTP/0.9 is refused with 400 and close; nginx answers it with a bare "
                             "body and no status line",
    "unknown method": "llhttp parses the registered methods only: any other is 400, close (nginx "
                      "takes any uppercase token, and its `return` answers it)",
    "TRACE": "TRACE is an ordinary method: a route decides (here the `*` route answers it); "
             "nginx refuses TRACE with 405",
    "empty Host": "RFC 9112 3.2 allows an empty Host (a target without an authority); nginx "
                  "refuses it",
    "Host high byte": "Host must be an RFC 3986 reg-name or IP literal; nginx takes any byte "
                      "from 0x80",
    "invalid char in name": "nginx drops a field whose name is not a token (ignore_invalid_headers) "
                            "and serves the request; ponty refuses it: a server behind nginx that "
                            "reads the field would see another request",
    "control byte in value": CTL,
    "DEL in value": CTL,
    "TE chunked, chunked": TE_400,
    "TE ;chunked": TE_400,
    "TE empty": TE_400,
    "percent-encoded slash": "%2F in a path is 400 by decision (docs/guide.md): a proxy routing by "
                             "prefix sees one segment where the router would see two",
    "percent-encoded NUL": "%00 decodes to a byte matched by length; a route value holding it is "
                           "refused by name where it is handed over (docs/fields.md); nginx "
                           "refuses any path holding %00",
    "Host port not a number": "the port of Host is digits (RFC 3986 3.2.3); nginx does not check it",
    "Upgrade request": "a request asking for Upgrade is answered without switching, then the "
                       "connection is closed: llhttp stops parsing there, and the bytes behind it "
                       "could be the other protocol; nginx ignores Upgrade and keeps the connection",
    "CL after tab": "OWS before a field value includes HTAB (RFC 9110 5.6.3): Content-Length:<TAB>5 "
                    "is 5; nginx refuses the tab (400)",
    "double slash": "paths are routed as sent: nginx merges slashes (merge_slashes) and serves "
                    "//request/a; no ponty route matches it (404, the connection stays open)",
}


def test_cases_are_many():
    assert len(CASES) >= 100, len(CASES)
    # an intended difference or a head for a case that was renamed away
    # would be dropped silently by the comparison
    assert set(INTENDED) <= set(CASES), set(INTENDED) - set(CASES)
    assert set(HEADS) <= set(CASES), set(HEADS) - set(CASES)


def test_same_framing_as_nginx(nginx, test_server):
    names = list(CASES)

    def both(name):
        data, heads = CASES[name], HEADS.get(name, 0)
        return outcome(nginx, data, heads), outcome(test_server.port, data, heads)

    with ThreadPoolExecutor(max_workers=8) as ex:
        results = dict(zip(names, ex.map(both, names)))
    unexpected, vanished = [], []
    for name, (theirs, ours) in results.items():
        if theirs != ours and name not in INTENDED:
            unexpected.append("%-34s nginx %-28s ponty %s" % (name, theirs, ours))
        if theirs == ours and name in INTENDED:
            vanished.append(name)
    report = "\n".join(unexpected)
    assert not unexpected, "framing differs from nginx 1.22:\n" + report + "\n" + test_server.logs()
    assert not vanished, "listed as intended differences but now the same: %s" % vanished
    assert test_server.alive()
