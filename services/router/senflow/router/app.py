"""The router's faust app: one agent per ingest topic (LoRa; Internet, M2M and MQTT),
and one executing downlinks (`downlink_agent`), each with a per-message error boundary.

Faust acknowledges an event even when the agent raises, so the agent never lets an
exception escape: every failure becomes a dead letter carrying its cause. Every record an
uplink makes (acks=all) is watched: a record Kafka refuses stops the process before faust
can commit past its uplink (see `_stop_if_refused`): at least once, without waiting for
each uplink's acknowledgements before taking the next.
"""

import asyncio
import logging
import os
import socket
import uuid
from typing import Any

import faust
import mode

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.deliveries import Delivery
from senflow.common.errors import ContractError
from senflow.common.ops_server import OpsServer
from senflow.common.serde import dumps, loads
from senflow.common.uplinks import DeviceUplink, LoraUplink
from senflow.router import metrics
from senflow.router.decoder_health import DecoderHealth
from senflow.router.downlink_agent import DownlinkExecutor
from senflow.router.downlink_encoders import EncoderResolver
from senflow.router.errors import InvalidUplink, NoFlow, UnknownDevice, UplinkRejected
from senflow.router.resolver import DecoderResolver
from senflow.router.routing import Routed, route_device, route_lora
from senflow.router.settings import RouterSettings
from senflow.router.view import RegistryView

log = logging.getLogger(__name__)

# Stable ids for uplinks that arrive without one: the same record always gets the same id.
_MESSAGE_NS = uuid.UUID("6d1c8f0e-6a43-4c1e-9a3b-5e2f0c0d7a11")


class RegistryViewService(mode.Service):
    """Loads the registry view before the app reports ready, and keeps following it."""

    def __init__(self, settings: RouterSettings, view: RegistryView, **kw: Any) -> None:
        super().__init__(**kw)
        self.follower = CompactedTopicView(
            settings.kafka_bootstrap,
            (topics.REGISTRY_DEVICES, topics.REGISTRY_FLOWS, topics.REGISTRY_CODECS),
            view.apply,
        )
        self._load_timeout_s = settings.view_load_timeout_s

    async def on_start(self) -> None:
        await self.follower.start(self._load_timeout_s)

    async def on_stop(self) -> None:
        await self.follower.stop()


class OpsService(mode.Service):
    def __init__(self, server: OpsServer, **kw: Any) -> None:
        super().__init__(**kw)
        self.server = server

    async def on_start(self) -> None:
        await self.server.start()

    async def on_stop(self) -> None:
        await self.server.stop()


def message_id_of(event: Any) -> str:
    """The uplink's message id: the one it came with, else one derived from the record.

    Topic, partition and offset identify the record; its timestamp tells apart records
    at the same offset of a topic that was deleted and created again (or of another
    cluster), so receivers that deduplicate never drop a new message as a repeat.
    """
    given = h.decode_headers(_header_items(event.headers)).get(h.MESSAGE_ID)
    if given:
        return given
    m = event.message
    return str(uuid.uuid5(_MESSAGE_NS, f"{m.topic}:{m.partition}:{m.offset}:{m.timestamp}"))


def _header_items(raw: Any) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    return list(raw.items()) if isinstance(raw, dict) else list(raw)


def create_app(settings: RouterSettings) -> tuple[faust.App, RegistryView]:
    view = RegistryView()
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{b}" for b in settings.kafka_bootstrap.split(",")],
        store="memory://",
        datadir=settings.data_dir,
        web_enabled=False,
        producer_acks=-1,
        producer_linger=settings.producer_linger_s,
        consumer_auto_offset_reset=settings.auto_offset_reset,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
    )
    raw_lora = app.topic(topics.UPLINKS_RAW_LORA, key_serializer="raw", value_serializer="raw")
    raw_device = app.topic(topics.UPLINKS_RAW_DEVICE, key_serializer="raw", value_serializer="raw")

    async def send(
        topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> "asyncio.Future[Any]":
        """Hand a record to the app's producer; returns Kafka's pending answer.

        Straight to faust's producer rather than through `Topic.send`: the same producer
        (so faust's flush before every commit covers these records), without the
        per-record channel, future-message and sensor work of `Topic.send` (about a third
        of the router's send cost when profiled).
        """
        pending: asyncio.Future[Any] = await app.producer.send(
            topic, key, value, None, None, headers
        )
        return pending

    view_service = RegistryViewService(settings, view)
    # Decoder health: the agents only record each decode's outcome (a few dict and deque
    # operations); a timer publishes the status changes, so the agents' hot path never
    # awaits a send, nor holds a record back for one.
    health = DecoderHealth(reporter=f"{socket.gethostname()}:{os.getpid()}")
    decoders = DecoderResolver(view, on_outcome=health.record)
    decoder_statuses = app.topic(
        topics.DECODER_STATUS, key_serializer="raw", value_serializer="raw"
    )

    @app.timer(1.0)
    async def publish_decoder_statuses() -> None:
        for status in health.drain():
            metrics.DECODER_FAILING.labels(status.decoder_id).set(status.status == "failing")
            await decoder_statuses.send(key=status.decoder_id.encode(), value=dumps(status))

    app.service(view_service)  # an instance is accepted as well as a class
    app.service(
        OpsService(
            OpsServer(settings.http_host, settings.http_port, lambda: view_service.follower.loaded)
        )
    )

    async def dead_letter(
        event: Any, message_id: str, err: UplinkRejected, **extra: str | None
    ) -> "asyncio.Future[Any]":
        """Send the raw uplink to the dead letters; returns the pending send (not confirmed)."""
        log.warning(
            "uplink dead-lettered: %s: %s",
            err.reason,
            err.detail,
            extra={"message_id": message_id, **extra},
        )
        metrics.UPLINKS.labels(err.reason).inc()
        m = event.message
        hdrs = _header_items(event.headers) + h.encode_headers(
            {
                h.MESSAGE_ID: message_id,
                h.DLQ_REASON: err.reason,
                h.DLQ_DETAIL: err.detail[:1000],
                h.DLQ_SOURCE: f"{m.topic}/{m.partition}/{m.offset}",
                h.FLOW_ID: extra.get("flow_id"),
                h.DEVICE_ID: extra.get("device_id"),
                h.DECODER: extra.get("decoder"),
            }
        )
        return await send(topics.UPLINKS_DEADLETTER, event.key, event.value, hdrs)

    def parse_and_route(event: Any, message_id: str) -> Routed:
        """Route a raw uplink of either ingest topic; `UplinkRejected` when it cannot be."""
        try:
            if event.message.topic == topics.UPLINKS_RAW_LORA:
                return route_lora(loads(LoraUplink, event.value), message_id, view, decoders)
            return route_device(loads(DeviceUplink, event.value), message_id, view, decoders)
        except ContractError as err:
            raise InvalidUplink(str(err)) from err

    async def route(event: Any, message_id: str) -> "list[asyncio.Future[Any]]":
        """The records this uplink makes: deliveries and dead letters (not yet confirmed)."""
        await view_service.follower.wait_loaded()
        try:
            routed = parse_and_route(event, message_id)
        except (UnknownDevice, NoFlow):
            # The registry may have published this device or flow a moment ago.
            await view_service.follower.catch_up(event.message.timestamp)
            routed = parse_and_route(event, message_id)
        metrics.UPLINKS.labels("routed").inc()
        metrics.DELIVERIES_EMITTED.inc(len(routed.deliveries))
        outputs = [await send(topics.DELIVERIES, *_delivery_record(d)) for d in routed.deliveries]
        for failure in routed.failures:
            outputs.append(
                await dead_letter(
                    event,
                    message_id,
                    failure.error,
                    flow_id=failure.flow_id,
                    device_id=routed.device.id,
                    decoder=failure.decoder_id,
                )
            )
        return outputs

    async def route_stream(stream: faust.StreamT[bytes]) -> None:
        """The error boundary: every uplink ends as its records or as a dead letter."""
        async for event in stream.events():
            message_id = message_id_of(event)
            try:
                outputs = await route(event, message_id)
            except UplinkRejected as err:
                outputs = [await dead_letter(event, message_id, err)]
            except Exception as err:  # noqa: BLE001 - the error boundary: never stop the stream
                log.exception(
                    "unexpected failure routing an uplink", extra={"message_id": message_id}
                )
                unexpected = _Unexpected(f"{type(err).__name__}: {err}")
                outputs = [await dead_letter(event, message_id, unexpected)]
            for sent in outputs:
                sent.add_done_callback(_stop_if_refused)

    app.agent(raw_lora, name="route_lora_uplinks")(route_stream)
    app.agent(raw_device, name="route_device_uplinks")(route_stream)

    # Downlinks: encode each queued one and hand it to its network's path (downlink_agent).
    downlinks = app.topic(topics.DOWNLINKS, key_serializer="raw", value_serializer="raw")
    executor = DownlinkExecutor(
        send, _stop_if_refused, view_service.follower, EncoderResolver.of_view(view)
    )
    app.agent(downlinks, name="execute_downlinks")(executor.run)

    return app, view


def _stop_if_refused(sent: "asyncio.Future[Any]") -> None:
    """Runs when Kafka answers a record the router sent.

    faust commits an uplink's offset whatever became of the records sent for it, and
    only logs a failed send: the record would be lost. So a refused record stops the
    process at once, before any later commit can pass it; on restart the uplink is
    processed again from the last commit (its records keep their ids). This callback is
    registered when the record is sent, so it runs before the producer flush that
    precedes every faust commit can return.
    """
    if sent.cancelled() or sent.exception() is None:
        return
    log.critical("Kafka refused a record: stopping the router: %r", sent.exception())
    logging.shutdown()
    os._exit(70)  # EX_SOFTWARE; the supervisor (compose, systemd) restarts the worker


def _delivery_record(d: Delivery) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of a delivery's record."""
    return (
        d.device_id.encode(),
        dumps(d),
        h.encode_headers(
            {
                h.MESSAGE_ID: d.message_id,
                h.DELIVERY_ID: d.delivery_id,
                h.CUSTOMER_ID: d.customer_id,
                h.DEVICE_ID: d.device_id,
                h.FLOW_ID: d.flow_id,
                h.DESTINATION_ID: d.destination_id,
                h.DECODER: f"{d.decoder.id}@{d.decoder.version}",
            }
        ),
    )


class _Unexpected(UplinkRejected):
    """A bug or an environment failure while routing; the raw uplink is kept."""

    reason = "internal-error"
