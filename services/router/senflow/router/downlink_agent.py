"""The downlink executor: the router's agent on `senflow.downlinks.v1`.

For every change event of a downlink that is `queued` (and not past its time to live) it
encodes the command with the downlink's encoder and publishes, with acks=all:
- LoRa: the `LoraDownlink` for the network server on `senflow.downlinks.lora.v1` (key
  DevEUI), confirmed by Kafka before anything else, then the `executing` report;
- Internet, M2M, MQTT: the `executing` report with the bytes; the HTTP ingest and the MQTT
  bridge deliver them from the registry's next change event;
- a failure (the encoder's refusal, or any bug: the per-message error boundary): only the
  `failed` report, with its reason.
Reports go to `senflow.downlinks.reports.v1` (key = downlink id), watched as the router's
deliveries are: a record Kafka refuses stops the worker before faust commits past it.

At least once: after a crash the same queued event may be executed again, and its
records published twice. That is allowed: the network server drops a correlation id it
has seen, and the registry ignores a second `executing` report (its status machine).
Every other status (including the registry's answer to our own report) is ignored, as
are tombstones.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from senflow.common import topics
from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.errors import ContractError
from senflow.common.events import ChangeEvent
from senflow.common.headers import KafkaHeaders
from senflow.common.serde import dumps, loads
from senflow.router import metrics
from senflow.router.downlink_execution import (
    INTERNAL_ERROR,
    EncoderLookup,
    Execution,
    execute,
    failure,
    skip_reason,
)

log = logging.getLogger(__name__)

# Hands a record to the producer; returns Kafka's pending answer (see app.py's `send`).
Send = Callable[[str, bytes | None, bytes | None, KafkaHeaders], Awaitable["asyncio.Future[Any]"]]
# Watches a sent record's answer (app.py's `_stop_if_refused`).
OnSent = Callable[["asyncio.Future[Any]"], None]


class RegistryFollower(Protocol):
    async def wait_loaded(self) -> None: ...

    async def catch_up(self, since: float, timeout_s: float = 5.0) -> None: ...


class DownlinkExecutor:
    def __init__(
        self,
        send: Send,
        on_sent: OnSent,
        follower: RegistryFollower,
        encoders: EncoderLookup,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._send = send
        self._on_sent = on_sent
        self._follower = follower
        self._encoders = encoders
        self._clock = clock

    async def run(self, stream: Any) -> None:
        """The faust agent: one downlink change event at a time, in partition order."""
        async for event in stream.events():
            await self.handle(event.value, event.message.timestamp)

    async def handle(self, value: bytes | None, published_at: float | None) -> None:
        """Execute one change event's downlink if it is queued. A bad record is logged and
        skipped, any failure to execute becomes a `failed` report; only a record Kafka
        refuses raises (in the router, `on_sent` has stopped the process by then)."""
        if not value:
            return  # a tombstone: the downlink's device was deleted
        try:
            downlink = loads(ChangeEvent[DownlinkSnapshot], value).snapshot
        except ContractError as err:
            log.error("skipping an unreadable downlink event: %s", err)
            metrics.DOWNLINKS_EXECUTED.labels("unknown", "invalid-event").inc()
            return
        skip = skip_reason(downlink, self._clock())
        if downlink is None or skip == "not-queued":
            return
        if skip == "expired":
            log.info(
                "downlink %s past its time to live: not executed",
                downlink.id,
                extra=_fields(downlink),
            )
            metrics.DOWNLINKS_EXECUTED.labels(downlink.network_type, "expired").inc()
            return
        try:
            plan = await self._plan(downlink, published_at)
        except Exception as err:  # noqa: BLE001 - the error boundary: fail this downlink only
            log.exception(
                "unexpected failure executing downlink %s", downlink.id, extra=_fields(downlink)
            )
            plan = failure(downlink, self._clock(), INTERNAL_ERROR, f"{type(err).__name__}: {err}")
        await self._publish(plan)

    async def _plan(self, downlink: DownlinkSnapshot, published_at: float | None) -> Execution:
        await self._follower.wait_loaded()
        if self._encoders(downlink.encoder_id, downlink.customer_id) is None:
            # A DIY encoder the registry published a moment before the downlink.
            with contextlib.suppress(TimeoutError):
                await self._follower.catch_up(self._published_at(published_at))
        return execute(downlink, self._encoders, self._clock())

    def _published_at(self, record_timestamp: float | None) -> float:
        """When the record was published, for `catch_up`: its timestamp, but never later
        than now (a producer whose clock runs ahead must not make the agent wait)."""
        now = self._clock().timestamp()
        return now if record_timestamp is None else min(record_timestamp, now)

    async def _publish(self, plan: Execution) -> None:
        downlink = plan.downlink
        if plan.lora is not None:
            lora = await self._send(
                topics.DOWNLINKS_LORA, plan.lora.dev_eui.encode(), dumps(plan.lora), []
            )
            lora.add_done_callback(self._on_sent)
            # On Kafka before the registry hears "executing": never executing without it.
            await lora
        report = await self._send(
            topics.DOWNLINK_REPORTS, downlink.id.encode(), dumps(plan.report), []
        )
        report.add_done_callback(self._on_sent)
        metrics.DOWNLINKS_EXECUTED.labels(downlink.network_type, plan.report.status).inc()
        fields = _fields(downlink)
        if plan.failed:
            log.warning("downlink %s failed: %s", downlink.id, plan.report.reason, extra=fields)
            return
        encoder = plan.encoder_id or "none"
        log.info("downlink %s executing (encoder %s)", downlink.id, encoder, extra=fields)
        for warning in plan.warnings:
            log.info("downlink %s encoded with a warning: %s", downlink.id, warning, extra=fields)


def _fields(downlink: DownlinkSnapshot) -> dict[str, str]:
    """The log's context fields (the downlink id is in each message: no such field yet)."""
    return {"device_id": downlink.device_id, "customer_id": downlink.customer_id}
