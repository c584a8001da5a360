"""The ingest endpoints devices post to.

`POST /ingestion/ip/senml/v1` (Internet devices) and `POST /ingestion/m2m/senml/v1` (M2M),
body a SenML pack (JSON, or CBOR with `Content-Type: application/senml+cbor`), header
`Things-Message-Token`. Answers:
- 204, header `Senflow-Message-Id`: the uplink is on Kafka (acks=all). No downlink waits.
- 200, the same header and `Senflow-Downlink-Id`: the uplink is on Kafka and the device's
  oldest pending downlink rides on the answer, its body a SenML command
  (`application/senml+json`) or encoded bytes (`application/octet-stream`); see `answer`
  and `downlinks`.
- 400 malformed pack (the detail says what), 401 unknown device or wrong token (the same
  answer for both, nothing more), 403 device deactivated, 413 body over 64 KiB, 415 media
  type, 503 + `Retry-After` when Kafka did not acknowledge in time: send it again (it may
  have been stored after all, so the retry can be a duplicate).
An `Idempotency-Key` header makes the message id stable across a device's retries.
"""

import asyncio
import base64
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.message_token import TOKEN_HEADER, token_matches
from senflow.common.serde import dumps
from senflow.common.uplinks import MAX_DIRECT_PAYLOAD_BYTES, DeviceUplink, DirectNetworkType
from senflow.router.ingest import metrics
from senflow.router.ingest.answer import uplink_answer
from senflow.router.ingest.directory import DeviceDirectory
from senflow.router.ingest.downlinks import DownlinkHandout
from senflow.router.ingest.pack import (
    CBOR_TYPES,
    JSON_TYPES,
    BadPack,
    check_pack,
    identify,
)

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
# Message ids derived from a device's Idempotency-Key.
_IDEMPOTENCY_NS = uuid.UUID("0b5e1f47-3c2d-4f7a-9b61-2a7e8d9c4f10")
# Compared against when the device is unknown, so both paths hash the same amount.
_NO_SECRET = "x" * 64

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem(status: int, title: str, detail: str | None = None) -> web.Response:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    response = web.json_response(body, status=status, content_type="application/problem+json")
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


class IngestEndpoints:
    def __init__(
        self,
        directory: DeviceDirectory,
        downlinks: DownlinkHandout,
        producer: AIOKafkaProducer,
        send_timeout_s: float,
    ) -> None:
        self._directory = directory
        self._downlinks = downlinks
        self._producer = producer
        self._send_timeout_s = send_timeout_s

    def app(self) -> web.Application:
        # Bodies above the cap are refused by aiohttp itself with 413.
        app = web.Application(client_max_size=MAX_DIRECT_PAYLOAD_BYTES)
        app.router.add_post("/ingestion/ip/senml/v1", self._handler("INTERNET"))
        app.router.add_post("/ingestion/m2m/senml/v1", self._handler("M2M"))
        return app

    def _handler(self, network_type: DirectNetworkType) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                response = await self._ingest(network_type, request)
            except web.HTTPRequestEntityTooLarge:
                response = problem(413, "Payload too large", "at most 65536 bytes")
            metrics.REQUESTS.labels(network_type, str(response.status)).inc()
            return response

        return handle

    async def _ingest(
        self, network_type: DirectNetworkType, request: web.Request
    ) -> web.StreamResponse:
        if not self._directory.loaded:
            return problem(503, "Starting", "the device directory is still loading")
        # Only what the device declared (aiohttp reports octet-stream for no header).
        media_type = request.content_type if request.headers.get("Content-Type") else ""
        if media_type and media_type not in JSON_TYPES | CBOR_TYPES:
            return problem(415, "Unsupported media type", "send application/senml+json or +cbor")
        body = await request.read()
        received_at = datetime.now(UTC)
        token = request.headers.get(TOKEN_HEADER, "")
        try:
            identifier = identify(network_type, body)
        except BadPack as err:
            return problem(400, "Bad SenML pack", str(err))
        try:
            device = await self._directory.find(network_type, identifier)
        except (TimeoutError, RuntimeError) as err:  # the registry view could not catch up
            log.warning("device directory unavailable: %r", err)
            return problem(503, "Unavailable", "cannot check the device now; send it again")
        secret = self._directory.secret(device, network_type) if device else None
        authentic = token_matches(body, secret or _NO_SECRET, token)
        if device is None or secret is None or not authentic:
            return problem(401, "Unauthorized")
        if device.status != "active":
            return problem(403, "Forbidden", "the device is deactivated")
        try:
            check_pack(network_type, identifier, body, received_at)
        except BadPack as err:
            return problem(400, "Bad SenML pack", str(err))
        message_id = _message_id(device.id, request.headers.get("Idempotency-Key"))
        uplink = DeviceUplink(
            network_type=network_type,
            identifier=identifier,
            payload_base64=base64.b64encode(body).decode(),
            content_type=media_type or None,
            received_at=received_at,
        )
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._send_timeout_s):
                await self._producer.send_and_wait(
                    topics.UPLINKS_RAW_DEVICE,
                    key=uplink.key,
                    value=dumps(uplink),
                    headers=h.encode_headers({h.MESSAGE_ID: message_id}),
                )
        except (KafkaError, TimeoutError) as err:
            log.warning("uplink not acknowledged by Kafka: %r", err, extra={"device_id": device.id})
            # Unacknowledged is not refused: it may still be stored, so a retry can duplicate
            # it (the same Idempotency-Key keeps the same message id).
            return problem(503, "Unavailable", "not acknowledged by storage; send it again")
        metrics.ACK_SECONDS.observe(time.perf_counter() - started)
        return uplink_answer(message_id, await self._downlinks.take(device, network_type))


def _message_id(device_id: str, idempotency_key: str | None) -> str:
    if idempotency_key:
        return str(uuid.uuid5(_IDEMPOTENCY_NS, f"{device_id}:{idempotency_key[:200]}"))
    return str(uuid.uuid4())
