"""An independent HTTP receiver for the tests: records every request, checks the token
itself, and answers from a script of statuses (then 204)."""

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]
    body: bytes
    token_valid: bool
    answered: int
    arrived_at: float = 0.0  # epoch seconds, when the request came in (before any delay)


@dataclass
class WebhookReceiver:
    secret: str
    script: list[int] = field(default_factory=list)  # statuses to answer first, in order
    delay_s: float = 0.0
    requests: list[Request] = field(default_factory=list)
    _accepted: list[Request] = field(default_factory=list)  # the 2xx ones, kept as they come
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self, port: int = 0) -> "WebhookReceiver":
        """Listen on `port` (a free one by default; the same one again after `stop`)."""
        app = web.Application()
        app.router.add_route("*", "/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def accepted(self) -> list[Request]:
        return self._accepted

    async def wait_accepted(self, count: int, timeout_s: float = 20.0) -> list[Request]:
        async with asyncio.timeout(timeout_s):
            while len(self.accepted) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.accepted

    async def _handle(self, request: web.Request) -> web.Response:
        arrived_at = time.time()
        body = await request.read()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        expected = hashlib.sha256(body + self.secret.encode()).hexdigest()
        valid = hmac.compare_digest(request.headers.get("Things-Message-Token", ""), expected)
        status = self.script.pop(0) if self.script else (204 if valid else 401)
        received = Request(dict(request.headers), body, valid, status, arrived_at)
        self.requests.append(received)
        if 200 <= status < 300:
            self._accepted.append(received)
        self._changed.set()
        return web.Response(status=status, text="scripted answer")
