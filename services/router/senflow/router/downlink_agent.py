"""The downlink executor: the router's agent on `senflow.downlinks.v1`.

Two steps, each taken on the registry's change event (`downlink_execution.step_for`),
none past the downlink's time to live:
- `queued`: encode the command with the downlink's encoder and report `executing` with the
  bytes (and on LoRa the port) on `senflow.downlinks.reports.v1` (key = downlink id), or
  `failed` with the reason (the encoder's refusal, or any bug: the per-message error
  boundary). Nothing reaches a network yet: the registry accepts the report only while
  the downlink is still queued, so one cancelled meanwhile stays cancelled.
- `executing` of a LoRa downlink (the registry accepted the report): publish the
  `LoraDownlink` for the network server on `senflow.downlinks.lora.v1` (key DevEUI). Internet,
  M2M and MQTT downlinks go out from that event through the HTTP ingest and the MQTT bridge.
Every record is sent with acks=all and watched as the router's deliveries are: a record
Kafka refuses stops the worker before faust commits past its event.

At least once: after a crash an event may be handled again, and its record published
twice. That is allowed: the registry ignores a second `executing` report (its status
machine), and the network server drops a correlation id it has seen. Every other status,
and tombstones, are ignored.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from senflow.common import topics
from senflow.common.downlinks import DownlinkSnapshot, LoraDownlink
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
    lora_downlink,
    step_for,
)

log = logging.getLogger(__name__)

# Hands a record to the producer; returns Kafka's pending answer (see app.py's `send`).
Send = Callable[[str, bytes | None, bytes | None, KafkaHeaders], Awaitable["asyncio.Future[Any]"]]
# Watches a sent record's answer (app.py's `_stop_if_refused`).
OnSent = Callable[["asyncio.Future[Any]"], None]


class RegistryFollower(Protocol):
    async def wait_loaded(self) -> None: ...

    async def catch_up(self, since: float | None, timeout_s: float = 5.0) -> None: ...


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
        """Take one change event's step (encode a queued downlink, hand an executing LoRa
        one to the network server). A bad record is logged and skipped, any failure to
        take the step becomes a `failed` report; only a record Kafka refuses raises (in the
        router, `on_sent` has stopped the process by then)."""
        if not value:
            return  # a tombstone: the downlink's device was deleted
        try:
            downlink = loads(ChangeEvent[DownlinkSnapshot], value).snapshot
        except ContractError as err:
            log.error("skipping an unreadable downlink event: %s", err)
            metrics.DOWNLINKS_EXECUTED.labels("unknown", "invalid-event").inc()
            return
        step = step_for(downlink, self._clock())
        if downlink is None or step == "ignore":
            return
        if step == "expired":
            log.info(
                "downlink %s past its time to live: not %s",
                downlink.id,
                "executed" if downlink.status == "queued" else "handed to the network server",
                extra=_fields(downlink),
            )
            metrics.DOWNLINKS_EXECUTED.labels(downlink.network_type, "expired").inc()
            return
        try:
            plan = (
                self._lora(downlink)
                if step == "hand-over"
                else await self._plan(downlink, published_at)
            )
        except Exception as err:  # noqa: BLE001 - the error boundary: fail this downlink only
            log.exception(
                "unexpected failure executing downlink %s", downlink.id, extra=_fields(downlink)
            )
            plan = failure(downlink, self._clock(), INTERNAL_ERROR, f"{type(err).__name__}: {err}")
        if isinstance(plan, LoraDownlink):
            await self._hand_over(plan, downlink)
        else:
            await self._report(plan)

    async def _plan(self, downlink: DownlinkSnapshot, published_at: float | None) -> Execution:
        await self._follower.wait_loaded()
        if self._encoders(downlink.encoder_id, downlink.customer_id) is None:
            # A DIY encoder the registry published a moment before the downlink.
            with contextlib.suppress(TimeoutError):
                await self._follower.catch_up(published_at)
        return execute(downlink, self._encoders, self._clock())

    def _lora(self, downlink: DownlinkSnapshot) -> LoraDownlink | Execution:
        """The network server's record of an executing LoRa downlink; a failure when the
        event carries no bytes to send (its `executing` report was not the router's)."""
        lora = lora_downlink(downlink)
        if lora is not None:
            return lora
        log.error(
            "downlink %s is executing without its encoded bytes and port: not sent",
            downlink.id,
            extra=_fields(downlink),
        )
        detail = "executing without the encoded bytes and port of a LoRa downlink"
        return failure(downlink, self._clock(), INTERNAL_ERROR, detail)

    async def _hand_over(self, lora: LoraDownlink, downlink: DownlinkSnapshot) -> None:
        """The registry accepted the router's `executing` report: the downlink goes to the
        LoRa network server, with the bytes the event carries."""
        sent = await self._send(topics.DOWNLINKS_LORA, lora.dev_eui.encode(), dumps(lora), [])
        sent.add_done_callback(self._on_sent)
        metrics.DOWNLINKS_EXECUTED.labels(downlink.network_type, "handed-over").inc()
        log.info(
            "downlink %s handed to the LoRa network server", downlink.id, extra=_fields(downlink)
        )

    async def _report(self, plan: Execution) -> None:
        downlink = plan.downlink
        report = await self._send(
            topics.DOWNLINK_REPORTS, downlink.id.encode(), dumps(plan.report), []
        )
        report.add_done_callback(self._on_sent)
        metrics.DOWNLINKS_EXECUTED.labels(downlink.network_type, plan.report.status).inc()
        fields = _fields(downlink)
        if plan.failed:
            log.warning("downlink %s failed: %s", downlink.id, plan.report.reason, extra=fields)
            return
        encoder = plan.downlink.encoder_id or "none"
        log.info("downlink %s executing (encoder %s)", downlink.id, encoder, extra=fields)
        for warning in plan.warnings:
            log.info("downlink %s encoded with a warning: %s", downlink.id, warning, extra=fields)


def _fields(downlink: DownlinkSnapshot) -> dict[str, str]:
    """The log's context fields (the downlink id is in each message: no such field yet)."""
    return {"device_id": downlink.device_id, "customer_id": downlink.customer_id}
