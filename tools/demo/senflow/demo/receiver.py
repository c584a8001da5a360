"""A local webhook receiver that checks `Things-Message-Token` on every request."""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    token_valid: bool
    arrived_at: float  # epoch seconds

    @property
    def message_id(self) -> str:
        return self.headers.get("Senflow-Message-Id", "")


@dataclass
class Receiver:
    secret: str
    received: list[Received] = field(default_factory=list)
    # Called with each request as it arrives (e.g. to move a progress bar).
    on_arrival: Callable[[Received], None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; the URL to deliver to."""
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/hook"

    async def wait_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until `done()` holds, checked at each arrival; False if the timeout came first."""
        try:
            async with asyncio.timeout(timeout_s):
                while not done():
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = hashlib.sha256(body + self.secret.encode()).hexdigest()
        valid = hmac.compare_digest(request.headers.get("Things-Message-Token", ""), expected)
        received = Received(dict(request.headers), body, valid, time.time())
        self.received.append(received)
        if self.on_arrival is not None:
            self.on_arrival(received)
        self._arrived.set()
        return web.Response(status=204 if valid else 401)
