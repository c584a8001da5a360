"""A fast local receiver that timestamps each delivery on arrival."""

import ssl
import time
from typing import Self

import orjson
from aiohttp import web


class TimingReceiver:
    def __init__(self) -> None:
        self.latencies_s: list[float] = []
        self.count = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, tls: ssl.SSLContext | None = None) -> Self:
        """Listen on a free port of 127.0.0.1: HTTPS with `tls` (a server context)."""
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=tls).start()
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.count += 1
        if request.headers.get("Things-Plug-UUID"):
            bt = orjson.loads(body)[0]["bt"]  # the uplink's receive time, set at ingest
            self.latencies_s.append(time.time() - bt)
        return web.Response(status=204)
