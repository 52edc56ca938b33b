#!/usr/bin/python3
"""aiohttp peer for bench/http: the hello_world handler on aiohttp.

GET /hello answers the same envelope as ponty's examples/hello_world:
    {"now": <epoch ms>, "data": {"greeting": "hello world"}, "elapsed": <ms>}
with Content-Type "application/json; charset=utf-8". json.dumps' default
separators (", " and ": ") give the same bytes as ponty and the nginx peer.

One process, one event loop, no access log. Listens on 127.0.0.1 only.
Usage: aiohttp_hello.py PORT
"""
import json
import sys
import time

from aiohttp import web


async def hello(request):
    now = int(time.time() * 1000)
    data = {"greeting": "hello world"}
    elapsed = int(time.time() * 1000) - now
    body = json.dumps({"now": now, "data": data, "elapsed": elapsed})
    return web.Response(text=body, content_type="application/json", charset="utf-8")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = web.Application()
    app.router.add_get("/hello", hello)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
