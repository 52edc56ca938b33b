"""The documented examples, over HTTP, against the seed transcripts:
hello_world (GET /hello), greet (GET /hello/{name}), five_letters
(GET /obj/{id} with [a-zA-Z]{5}), fail (GET /fail → 400 {"a": 1}), and the
showcase that mounts them all under /<example>."""
import email.utils
import json
import os
import re
import signal
import time

import pytest

from conftest import JSON_CT, TEXT_CT, check_envelope, now_ms, wait_until

SOURCE_DIR = os.environ.get("PT_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = ["hello_world", "greet", "five_letters", "fail"]


def showcase_examples():
    """The examples the showcase mounts, in order: PT_EXAMPLES in examples/CMakeLists.txt."""
    with open(os.path.join(SOURCE_DIR, "examples", "CMakeLists.txt")) as f:
        m = re.search(r"set\(PT_EXAMPLES([^)]*)\)", f.read())
    return m.group(1).split()


def plain(path):
    """{name:regex} → {name}: start-up output shows the patterns declared fields fill in."""
    out, i = [], 0
    while i < len(path):
        if path[i] == "{":
            depth, j = 0, i
            while True:
                if path[j] == "{":
                    depth += 1
                elif path[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append("{" + path[i + 1:j].split(":", 1)[0] + "}")
            i = j + 1
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def declared_routes(example):
    """(METHOD, path) pairs declared in examples/<example>.c, read from the
    source, with {name:regex} shown as {name} (as plain() shows served ones)."""
    with open(os.path.join(SOURCE_DIR, "examples", example + ".c")) as f:
        src = f.read()
    out = []
    for macro, path in re.findall(r'\bPT_(GET|POST|PUT|DELETE|PATCH|ANY)(?:_IN)?\("((?:[^"\\]|\\.)*)"', src):
        method = "*" if macro == "ANY" else macro
        out.append((method, plain(path.encode().decode("unicode_escape"))))
    return out


@pytest.fixture(scope="module")
def servers(module_server_factory, tmp_path_factory):
    servers = {name: module_server_factory(name) for name in EXAMPLES}
    # The showcase runs the notes example's provider: its database goes to a
    # temporary directory, not the source tree the servers run in.
    servers["showcase"] = module_server_factory("showcase", NOTES_DB=os.path.join(tmp_path_factory.mktemp("notes"), "notes.db"))
    return servers


def check_common_headers(headers, body, ctype):
    assert headers["Content-Type"] == ctype
    assert headers["Content-Length"] == str(len(body))
    assert len(headers.get_all("Content-Length")) == 1
    assert headers["Server"]
    date = email.utils.parsedate_to_datetime(headers["Date"])
    assert headers["Date"].endswith(" GMT")
    assert abs(date.timestamp() - time.time()) < 5, headers["Date"]


def get_envelope(server, path):
    t0 = now_ms()
    status, headers, body = server.get(path)
    t1 = now_ms()
    assert status == 200, body
    check_common_headers(headers, body, JSON_CT)
    return check_envelope(body, t0, t1)


def test_hello_world(servers):
    assert get_envelope(servers["hello_world"], "/hello") == {"greeting": "hello world"}


def test_hello_world_envelope_bytes(servers):
    """The body is exactly {"now": N, "data": {...}, "elapsed": M} with
    Python's separators, recomputed from the values it carries."""
    status, headers, body = servers["hello_world"].get("/hello")
    m = re.fullmatch(rb'\{"now": (\d+), "data": \{"greeting": "hello world"\}, "elapsed": (\d+)\}', body)
    assert m, body
    assert body == json.dumps({"now": int(m[1]), "data": {"greeting": "hello world"},
                               "elapsed": int(m[2])}).encode()


def test_now_increases_across_requests(servers):
    s = servers["hello_world"]
    nows = []
    for _ in range(3):
        nows.append(json.loads(s.get("/hello")[2])["now"])
        time.sleep(0.005)
    assert nows == sorted(nows) and nows[-1] > nows[0], nows


@pytest.mark.parametrize("name", ["you", "World_42", "x", "_"])
def test_greet(servers, name):
    assert get_envelope(servers["greet"], f"/hello/{name}") == {"greeting": f"hello, {name}!"}


def test_greet_transcript(servers):
    """The seed transcript: GET /hello/you → data.greeting "hello, you!"."""
    status, headers, body = servers["greet"].get("/hello/you")
    assert status == 200
    assert json.loads(body)["data"] == {"greeting": "hello, you!"}


def test_greet_unicode_word(servers):
    """\\w is Unicode-aware: é is a word character; JSON escapes it as \\u00e9."""
    t0 = now_ms()
    status, headers, body = servers["greet"].get("/hello/%C3%A9t%C3%A9")
    t1 = now_ms()
    assert status == 200, body
    assert check_envelope(body, t0, t1) == {"greeting": "hello, \u00e9t\u00e9!"}
    assert b'"hello, \\u00e9t\\u00e9!"' in body


@pytest.mark.parametrize("path", ["/hello/you!", "/hello/", "/hello/a/b", "/hello/a-b", "/hello"])
def test_greet_not_found(servers, path):
    status, headers, body = servers["greet"].get(path)
    assert status == 404
    assert body == b"404: Not Found"
    check_common_headers(headers, body, TEXT_CT)


@pytest.mark.parametrize("ident", ["abcde", "ABCDE", "aBcDe"])
def test_five_letters_ok(servers, ident):
    assert get_envelope(servers["five_letters"], f"/obj/{ident}") == {"id": ident}


@pytest.mark.parametrize("ident", ["abcd", "abcdef", "abc1e", "abc_e", "ab%20de"])
def test_five_letters_not_found(servers, ident):
    status, headers, body = servers["five_letters"].get(f"/obj/{ident}")
    assert status == 404
    assert body == b"404: Not Found"
    check_common_headers(headers, body, TEXT_CT)


def test_fail(servers):
    status, headers, body = servers["fail"].get("/fail")
    assert status == 400
    assert body == b'{"a": 1}'
    check_common_headers(headers, body, JSON_CT)


def test_fail_reason_phrase(servers):
    with servers["fail"].raw() as c:
        c.send(b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response()
    assert (r.version, r.status, r.reason) == ("HTTP/1.1", 400, "Bad Request")
    assert r.body == json.dumps({"a": 1}).encode()


@pytest.mark.parametrize("example", EXAMPLES)
def test_wrong_method_is_405(servers, example):
    method, path = declared_routes(example)[0]
    concrete = {"hello_world": "/hello", "greet": "/hello/you",
                "five_letters": "/obj/abcde", "fail": "/fail"}[example]
    status, headers, body = servers[example].request("POST", concrete, body=b"")
    assert status == 405
    assert body == b"405: Method Not Allowed"
    assert headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("example", EXAMPLES)
def test_startup_output_lists_routes(servers, example):
    out = servers[example].stdout().splitlines()
    assert out[0] == "serving:"
    assert [(m, plain(p)) for m, p in (line.split("\t") for line in out[1:])] == declared_routes(example)


def test_showcase_index(servers):
    s = servers["showcase"]
    data = get_envelope(s, "/")
    for r in data["routes"]:
        r["path"] = plain(r["path"])
    expected = [{"example": ex, "method": m, "path": f"/{ex}{p}"}
                for ex in showcase_examples() for m, p in declared_routes(ex)]
    assert data == {"routes": expected}


def test_showcase_startup_output(servers):
    out = servers["showcase"].stdout().splitlines()
    assert out[0] == "serving:"
    lines = [(m, plain(p)) for m, p in (line.split("\t") for line in out[1:])]
    assert lines == [("GET", "/")] + [(m, f"/{ex}{p}") for ex in showcase_examples()
                                      for m, p in declared_routes(ex)] + \
        [("GET", "/metrics"), ("GET", "/health"), ("GET", "/openapi.json")]


def test_showcase_observed(servers):
    # make run serves metrics, health, the OpenAPI document, an access log
    # on stderr and X-Request-Id on every answer.
    s = servers["showcase"]
    status, headers, body = s.get("/hello_world/hello")
    assert status == 200 and len(headers["X-Request-Id"]) == 24
    assert s.get("/nope")[1]["X-Request-Id"]
    assert s.get("/health")[0] == 200
    status, _, body = s.get("/metrics")
    assert status == 200
    assert 'ponty_requests_total{method="GET",route="/hello_world/hello",status="200"}' in body.decode()
    assert s.get_json("/openapi.json")[2]["openapi"] == "3.1.0"
    assert wait_until(lambda: '"GET /hello_world/hello HTTP/1.1" 200' in s.stderr(), 10)


def test_showcase_mounted_routes(servers):
    s = servers["showcase"]
    assert get_envelope(s, "/hello_world/hello") == {"greeting": "hello world"}
    assert get_envelope(s, "/greet/hello/you") == {"greeting": "hello, you!"}
    assert get_envelope(s, "/five_letters/obj/abcde") == {"id": "abcde"}
    status, headers, body = s.get("/fail/fail")
    assert (status, body, headers["Content-Type"]) == (400, b'{"a": 1}', JSON_CT)


@pytest.mark.parametrize("path", ["/hello", "/hello/you", "/obj/abcde", "/fail",
                                  "/five_letters/obj/abcd", "/greet/hello/you!", "/nope/"])
def test_showcase_unmounted_paths_404(servers, path):
    status, headers, body = servers["showcase"].get(path)
    assert (status, body) == (404, b"404: Not Found")


def test_sigint_exits_zero(start_server):
    s = start_server("hello_world")
    assert s.get("/hello")[0] == 200
    assert s.stop(sig=signal.SIGINT) == 0
