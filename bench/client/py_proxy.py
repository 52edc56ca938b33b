"""The Python peer of bench/client: GET /proxy/{path} forwarded to the
upstream given as argv[2] through Python ponty's lease_http_client (one
aiohttp ClientSession behind http_client_provider). When Python ponty cannot
be imported, a minimal aiohttp app with one ClientSession does the same and
says so on stderr.

    python3 py_proxy.py PORT http://127.0.0.1:UPSTREAM_PORT
"""
import sys

port = int(sys.argv[1])
upstream = sys.argv[2].rstrip("/")

try:
    from ponty import get, http_client_provider, lease_http_client, render_json, startmeup
except ImportError as e:
    sys.stderr.write(f"py_proxy: Python ponty not importable ({e}); using plain aiohttp\n")
    get = None

if get is not None:
    @get("/proxy/{path}")
    @render_json
    async def proxy(req):
        async with lease_http_client() as sess:
            async with sess.get(f"{upstream}/{req.match_info['path']}") as resp:
                return await resp.json()

    startmeup(port=port, providers=(http_client_provider(),))
else:
    import aiohttp
    from aiohttp import web

    async def proxy(req):
        async with req.app["sess"].get(f"{upstream}/{req.match_info['path']}") as resp:
            return web.json_response({"data": await resp.json()})

    async def session(app):
        app["sess"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        yield
        await app["sess"].close()

    app = web.Application()
    app.router.add_get("/proxy/{path}", proxy)
    app.cleanup_ctx.append(session)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
