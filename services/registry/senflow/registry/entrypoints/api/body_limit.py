"""A bound on request bodies: a larger one is a 413 before the API parses it.

Checked twice: a declared `Content-Length` above the bound is answered at once, without
reading the body; a body that streams in without one (chunked) is counted as it arrives,
and refused as soon as it passes the bound. So no request makes the registry hold more
than the bound in memory, whatever it declares.
"""

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from senflow.registry.entrypoints.api.problems import problem

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes, the most this resource takes"


class BodySizeLimit:
    """ASGI middleware: `max_bytes` for every request, or `larger[(method, path)]`."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[tuple[str, str], int] | None = None
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._larger.get((scope["method"], scope["path"]), self._max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await problem(413, "Request body too large", too_large(limit))(scope, receive, send)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException: FastAPI passes it through its body parsing, and the
                    # API's handler answers it as a problem (problems.install).
                    raise HTTPException(413, too_large(limit))
            return message

        await self._app(scope, bounded, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # malformed: the server refuses it, or the count above applies
    return None
