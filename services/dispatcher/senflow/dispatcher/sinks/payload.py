"""What every sink sends: the SenML pack as compact JSON, or what the destination's format
script makes of it, and the headers an HTTPS receiver gets with it (the test endpoint
shows the same ones)."""

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field

import orjson

from senflow.codecs.format_script import FORMAT_LIMITS, JSON_TYPE, FormatScript
from senflow.codecs.script_engine import ScriptFailed, ScriptLimits
from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.common.message_token import TOKEN_HEADER, message_token
from senflow.dispatcher.errors import DeliveryFailed


def body_of(delivery: Delivery) -> bytes:
    """The SenML pack as compact JSON: exactly the bytes that are sent and hashed."""
    return orjson.dumps([r.model_dump(exclude_none=True) for r in delivery.senml])


@dataclass(frozen=True)
class Body:
    data: bytes  # exactly the bytes that are sent, hashed and signed
    content_type: str = JSON_TYPE


@dataclass
class _Compiled:
    script: str
    compiled: FormatScript | str  # a text: why it does not compile
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Bodies:
    """The body of a delivery to a destination: the SenML JSON, or, when the destination
    has a `format_script`, what its `format(pack)` returns (`format-failed`, dead-lettered
    at once, when it throws, breaches a cap or answers something unusable).

    A script is compiled once per destination and script text (one that does not compile
    fails each delivery); compiling and calling run in a worker thread, one call at a time
    per destination, so a script using its whole CPU cap does not hold up other lanes.
    """

    def __init__(self, limits: ScriptLimits = FORMAT_LIMITS) -> None:
        self._limits = limits
        self._scripts: dict[str, _Compiled] = {}
        self._compiling: dict[str, asyncio.Lock] = {}

    async def of(self, delivery: Delivery, destination: DestinationSnapshot) -> Body:
        pack = body_of(delivery)
        if destination.format_script is None:
            self._scripts.pop(destination.id, None)
            return Body(pack)
        entry = await self._compiled(destination.id, destination.format_script)
        if isinstance(entry.compiled, str):
            raise DeliveryFailed("format-failed", entry.compiled, retriable=False)
        async with entry.lock:
            try:
                formatted = await asyncio.to_thread(entry.compiled.format, pack)
            except ScriptFailed as err:
                raise DeliveryFailed("format-failed", err.reason, retriable=False) from None
        return Body(formatted.data, formatted.content_type)

    async def _compiled(self, destination_id: str, script: str) -> _Compiled:
        entry = self._scripts.get(destination_id)
        if entry is not None and entry.script == script:
            return entry
        async with self._compiling.setdefault(destination_id, asyncio.Lock()):
            entry = self._scripts.get(destination_id)  # another slot may have compiled it
            if entry is None or entry.script != script:
                compiled = await self._compile(destination_id, script)
                entry = self._scripts[destination_id] = _Compiled(script, compiled)
        return entry

    async def _compile(self, destination_id: str, script: str) -> FormatScript | str:
        try:
            return await asyncio.to_thread(FormatScript, script, self._limits, destination_id)
        except ScriptFailed as err:
            return f"the format script does not compile: {err.reason}"


def signature(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def https_headers(
    delivery: Delivery,
    destination_id: str,
    body: bytes,
    secret: str | None,
    attempt: int,
    now: float | None = None,
    content_type: str = JSON_TYPE,
) -> dict[str, str]:
    """Senflow's headers for `body`; without a secret there is nothing to sign with, so
    `Things-Message-Token` and `Senflow-Signature` are left out."""
    headers = {
        "Content-Type": content_type,
        "Things-Plug-UUID": destination_id,
        "Senflow-Message-Id": delivery.message_id,
        "Senflow-Delivery-Id": delivery.delivery_id,
        "Senflow-Attempt": str(attempt),
    }
    if secret is not None:
        headers[TOKEN_HEADER] = message_token(body, secret)
        headers["Senflow-Signature"] = signature(
            body, secret, int(time.time() if now is None else now)
        )
    return headers
