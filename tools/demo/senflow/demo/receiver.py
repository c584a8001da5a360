"""A local webhook receiver that checks `Things-Message-Token` on every request."""

import asyncio
import hashlib
import hmac
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    token_valid: bool


@dataclass
class Receiver:
    secret: str
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}/hook"

    async def wait_for(self, count: int, timeout_s: float) -> bool:
        """Wait until `count` requests arrived; False if the timeout came first."""
        try:
            async with asyncio.timeout(timeout_s):
                while len(self.received) < count:
                    self.arrived.clear()
                    await self.arrived.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = hashlib.sha256(body + self.secret.encode()).hexdigest()
        valid = hmac.compare_digest(request.headers.get("Things-Message-Token", ""), expected)
        self.received.append(Received(dict(request.headers), body, valid))
        self.arrived.set()
        return web.Response(status=204 if valid else 401)
