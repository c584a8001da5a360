"""The MQTT bridge: every uplink MQTT devices publish to the broker, onto Kafka, at least once.

Topics. A device publishes its uplinks to `<prefix>/<client id>/up` (prefix
`MQTT_BRIDGE_TOPIC_PREFIX`, by default `senflow/devices`), with QoS 1, where the client id
is the one registered as the device's MQTT network info (1 to 128 of letters, digits and
`. _ : -`). The bridge subscribes to `<prefix>/+/up` with QoS 1 and publishes each message
as a `DeviceUplink` (network type MQTT, identifier = the client id from the topic, source =
the topic, content type = the MQTT v5 Content Type) on `senflow.uplinks.device.raw.v1`,
keyed `MQTT:<client id>`, with a new `senflow-message-id`. A message on another topic, with
an invalid client id, or over 64 KiB goes to `senflow.uplinks.deadletter.v1` with its
cause in headers: none is dropped.

Trust. The bridge trusts the broker: the broker authenticates devices (its password file)
and its ACL lets each publish only to its own topic (Mosquitto: `use_username_as_clientid`
and `pattern write senflow/devices/%u/up`), so the client id in the topic is the
publisher's own. The bridge
itself connects with its own credentials and may read every device's topic.

Delivery: at least once. The bridge holds a persistent MQTT v5 session (a fixed client
id, clean start off, a session expiry), so the broker queues messages while the bridge is
away. Every message is acknowledged (PUBACK) only after Kafka acknowledged its record
(acks=all, idempotent producer); until then the broker keeps it, and gives it again after
a reconnect or restart. A record Kafka refuses stops the bridge without acknowledging
(the supervisor restarts it; the broker redelivers). Redelivered messages are duplicates
on Kafka with a new message id (MQTT carries no id of its own to derive one from).

Order. Messages are sent to Kafka in the order they arrive (pipelined, up to the MQTT
Receive Maximum) and acknowledged in that order, so one device's uplinks stay in order.

One bridge process per client id: a second one with the same id takes over the session
and the two would push each other off in turn.

Downlinks (`downlinks`) are published on the same connection (`publish_downlink`), so the
bridge needs no second client id or login: with Mosquitto's `use_username_as_clientid`
a second connection of the same user would push the first off.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiomqtt
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.router.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge import broker, metrics
from senflow.router.mqtt_bridge.errors import BridgeBug, BrokerUnavailable, KafkaRefused
from senflow.router.mqtt_bridge.mapping import OutboundRecord, dead_letter, subscription, to_record

log = logging.getLogger(__name__)

# After the drain timeout: time for the DISCONNECT before the bridge task is cancelled.
_DISCONNECT_GRACE_S = 5.0


@dataclass(frozen=True)
class _InFlight:
    message: aiomqtt.Message
    record: OutboundRecord
    sent: "asyncio.Future[Any]"  # Kafka's answer for the record


class MqttBridge:
    """Bridges the broker's device topics to Kafka until stopped or Kafka refuses a record.

    `start()` connects in the background (and reconnects with backoff whenever the
    connection drops); `stop()` stops taking messages and acknowledges those Kafka
    confirms within the drain timeout. `run(stop)` does both around an event.
    """

    def __init__(
        self,
        new_client: Callable[[], aiomqtt.Client],
        producer: AIOKafkaProducer,
        topic_prefix: str,
        *,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        drain_timeout_s: float = 10.0,
        publish_timeout_s: float = 10.0,
    ) -> None:
        self._new_client = new_client
        self._producer = producer
        self._topic_prefix = topic_prefix
        self._reconnect_initial_s = reconnect_initial_s
        self._reconnect_max_s = reconnect_max_s
        self._drain_timeout_s = drain_timeout_s
        self._publish_timeout_s = publish_timeout_s
        self._publisher: broker.ConfirmedPublisher | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sessions = 0
        self.connected = False  # subscribed on a live connection

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="mqtt-bridge")

    async def stop(self) -> None:
        """Take no more messages; acknowledge those Kafka confirms within the drain timeout
        (the others are redelivered to the next bridge), disconnect. Idempotent; does not
        raise the bridge's failure (`run` does)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        await asyncio.wait({task}, timeout=self._drain_timeout_s + _DISCONNECT_GRACE_S)
        if not task.done():
            task.cancel()
            await asyncio.wait({task})

    async def run(self, stop: asyncio.Event) -> None:
        """Bridge until `stop` is set. Raises `KafkaRefused` when Kafka refused a record
        (nothing after it was acknowledged to the broker)."""
        await self.start()
        task = self._task
        assert task is not None
        signalled = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, signalled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            signalled.cancel()
            await self.stop()
        if task.done() and not task.cancelled() and (failure := task.exception()) is not None:
            raise failure

    async def publish_downlink(
        self, topic: str, payload: DevicePayload, downlink_id: str, expiry_s: int
    ) -> None:
        """Publish a downlink with QoS 1 on the current connection and wait for the PUBACK.
        `BrokerUnavailable` without a connection or a PUBACK in time (try again later),
        `PublishRefused` when the broker refused it."""
        publisher = self._publisher
        if publisher is None:
            raise BrokerUnavailable("not connected to the MQTT broker")
        properties = broker.downlink_properties(downlink_id, payload.content_type, expiry_s)
        try:
            await publisher.publish(topic, payload.body, properties, self._publish_timeout_s)
        except aiomqtt.MqttError as err:
            raise BrokerUnavailable(str(err)) from err

    async def _run(self) -> None:
        delay = self._reconnect_initial_s
        while not self._stopping.is_set():
            sessions = self._sessions
            try:
                await self._session(self._new_client())
            except aiomqtt.MqttError as err:
                metrics.BROKER_CONNECTIONS_LOST.inc()
                if self._sessions > sessions:  # it had been up: start the backoff again
                    delay = self._reconnect_initial_s
                log.warning("MQTT broker connection failed: %s; again in %.1f s", err, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, self._reconnect_max_s)

    async def _session(self, client: aiomqtt.Client) -> None:
        """One connection: subscribe, bridge until it drops (`MqttError`), Kafka refuses a
        record (`KafkaRefused`) or the bridge stops."""
        async with client:
            topic_filter = subscription(self._topic_prefix)
            await broker.subscribe(client, topic_filter)
            self._sessions += 1
            self._publisher = broker.ConfirmedPublisher(client)
            self.connected = True
            log.info("subscribed to %s on the MQTT broker", topic_filter)
            in_flight: asyncio.Queue[_InFlight | None] = asyncio.Queue()
            forward = asyncio.create_task(self._forward(client, in_flight))
            acknowledge = asyncio.create_task(self._acknowledge(client, in_flight))
            stopping = asyncio.create_task(self._stopping.wait())
            tasks: tuple[asyncio.Task[Any], ...] = (forward, acknowledge, stopping)
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    forward.cancel()
                    in_flight.put_nowait(None)  # acknowledge what is in flight, then end
                    await asyncio.wait({acknowledge}, timeout=self._drain_timeout_s)
                for task in (acknowledge, forward):
                    if task.done() and not task.cancelled() and (error := task.exception()):
                        raise error
            finally:
                self.connected = False
                self._publisher = None
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _forward(
        self, client: aiomqtt.Client, in_flight: "asyncio.Queue[_InFlight | None]"
    ) -> None:
        """Send each message's record to Kafka in arrival order, without waiting for Kafka."""
        async for message in client.messages:
            record = self._record_of(message)
            try:
                sent = await self._producer.send(
                    record.topic, key=record.key, value=record.value, headers=record.headers
                )
            except KafkaError as err:
                raise KafkaRefused(f"{record.topic}: {err!r}") from err
            in_flight.put_nowait(_InFlight(message, record, sent))

    async def _acknowledge(
        self, client: aiomqtt.Client, in_flight: "asyncio.Queue[_InFlight | None]"
    ) -> None:
        """Acknowledge each message to the broker, in arrival order, once Kafka has its record."""
        while (item := await in_flight.get()) is not None:
            try:
                # Shielded: stopping the bridge must not cancel the producer's own future.
                await asyncio.shield(item.sent)
            except KafkaError as err:
                raise KafkaRefused(f"{item.record.topic}: {err!r}") from err
            broker.acknowledge(client, item.message)
            reason = item.record.dead_letter_reason
            if reason is None:
                metrics.BRIDGED.inc()
                log.debug("bridged", extra={"message_id": item.record.message_id})
            else:
                metrics.DEAD_LETTERED.labels(reason).inc()

    def _record_of(self, message: aiomqtt.Message) -> OutboundRecord:
        """The per-message error boundary: every message becomes a record."""
        topic = message.topic.value
        payload = message.payload
        message_id = str(uuid.uuid4())
        try:
            record = to_record(
                topic,
                payload,
                broker.content_type_of(message),
                topic_prefix=self._topic_prefix,
                received_at=datetime.now(UTC),
                message_id=message_id,
            )
        except Exception as err:  # noqa: BLE001 - a bug must not lose the message
            log.exception("unexpected failure mapping an MQTT message")
            record = dead_letter(topic, payload, message_id, BridgeBug(repr(err)))
        if record.dead_letter_reason is not None:
            log.warning(
                "MQTT message dead-lettered: %s: %s",
                record.dead_letter_reason,
                topic[:300],
                extra={"message_id": message_id},
            )
        return record
