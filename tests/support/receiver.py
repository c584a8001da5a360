"""An independent HTTP receiver for the tests: records every request, checks the token
itself, and answers from a script of statuses (then 204, or what `answer` makes)."""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

# An answer of the receiver's own making: status, body, headers.
Answer = tuple[int, bytes, dict[str, str]]


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
    # Once the script is done, the answer to a request whose token is valid (instead of a
    # bare 204), made from its headers and body.
    answer: Callable[[dict[str, str], bytes], Answer] | None = None
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
        headers = dict(request.headers)
        answer: Answer | None = None
        if self.script:
            status = self.script.pop(0)
        elif valid and self.answer is not None:
            answer = self.answer(headers, body)
            status = answer[0]
        else:
            status = 204 if valid else 401
        received = Request(headers, body, valid, status, arrived_at)
        self.requests.append(received)
        if 200 <= status < 300:
            self._accepted.append(received)
        self._changed.set()
        if answer is not None:
            return web.Response(status=status, body=answer[1], headers=answer[2])
        return web.Response(status=status, text="scripted answer")
