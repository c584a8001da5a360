"""Downlinks to MQTT devices: each executing one published to the device's down topic.

The bridge consumes `senflow.downlinks.v1` in a consumer group
(`MQTT_BRIDGE_DOWNLINK_GROUP_ID`), so replicas share the partitions and each downlink is
handled by one of them. For an MQTT device's downlink whose status is `executing` and
that has not expired, it publishes the payload (`ingest.downlink_payload`) to
`<prefix>/<client id>/down` with QoS 1, on the bridge's broker connection, with the user
property `senflow-downlink-id`, the Content Type, and a Message Expiry Interval of the
time it has left. Once the broker acknowledged it (PUBACK), it reports `sent`
(`DownlinkReport`, reporter `mqtt-bridge`, acks=all); a partition's offsets are
committed only after its records were handled.

Failures. No broker connection (or no PUBACK in time): the downlink waits and is tried
again with backoff, staying `executing` (it expires in the registry if that takes too
long, and is then skipped here). A broker that refuses the publish (a failure reason
code, e.g. its ACL) or a client id that makes no topic: reported `failed` with the reason.
Kafka not acknowledging a report: the report is sent again (the registry ignores
repeats); the message is not published again. A record that is not a downlink event, or
that fails unexpectedly, is logged, counted and passed over: one bad record never stops
the others.

At least once. A bridge that stops between a publish and its commit (crash, rebalance)
leaves the record to the next owner, which publishes it again: the device may get a
downlink twice, with the same `senflow-downlink-id`. A new consumer group starts from the
oldest records kept; within each fetch only a downlink's last record counts, which skips
most of those already sent.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from senflow.common import topics
from senflow.common.downlinks import DownlinkReport
from senflow.common.errors import ContractError
from senflow.common.serde import dumps
from senflow.router.ingest.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge import metrics
from senflow.router.mqtt_bridge.downlink_mapping import (
    ExpiredDownlink,
    FailDownlink,
    PublishDownlink,
    downlink_action,
    latest_per_key,
)
from senflow.router.mqtt_bridge.errors import BrokerUnavailable, PublishRefused

log = logging.getLogger(__name__)

REPORTER = "mqtt-bridge"
Record: TypeAlias = ConsumerRecord[bytes, bytes]


class DownlinkBroker(Protocol):
    async def publish_downlink(
        self, topic: str, payload: DevicePayload, downlink_id: str, expiry_s: int
    ) -> None:
        """QoS 1, returns on the PUBACK; `BrokerUnavailable` or `PublishRefused`."""


class ReportProducer(Protocol):
    async def send_and_wait(self, topic: str, *, key: bytes, value: bytes) -> Any: ...


class DownlinkRelay:
    def __init__(
        self,
        broker: DownlinkBroker,
        producer: ReportProducer,
        topic_prefix: str,
        *,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._broker = broker
        self._producer = producer
        self._topic_prefix = topic_prefix
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._clock = clock

    async def run(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        """Handle the group's downlink records until `stopping` is set; the record in hand
        is finished first (a publish waiting for the broker is given up)."""
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            for tp, records in batches.items():
                next_offset = await self.handle(records, stopping)
                if next_offset is not None:
                    await _commit(consumer, tp, next_offset)
                if stopping.is_set():
                    return

    async def handle(self, records: Sequence[Record], stopping: asyncio.Event) -> int | None:
        """Handle one partition's records in order; the offset to commit (None: no records).

        Stopping midway commits up to the first record not handled: the next owner
        starts there (a superseded record before it is covered by its later one).
        """
        if not records:
            return None
        for record in latest_per_key(records):
            if stopping.is_set() or not await self._handle_one(record, stopping):
                return int(record.offset)
        return int(records[-1].offset) + 1

    async def _handle_one(self, record: Record, stopping: asyncio.Event) -> bool:
        """False when stopping left it unfinished."""
        try:
            action = downlink_action(record.value, self._topic_prefix, self._clock())
            if action is None:
                return True
            if isinstance(action, ExpiredDownlink):
                metrics.DOWNLINKS.labels("expired").inc()
                return True
            if isinstance(action, FailDownlink):
                return await self._fail(
                    action.downlink_id, action.device_id, action.reason, stopping
                )
            return await self._publish(action, stopping)
        except ContractError as err:
            metrics.DOWNLINKS.labels("invalid-record").inc()
            log.error("skipping an unreadable downlink record: %s", err)
        except Exception:  # noqa: BLE001 - one record's bug must not stop the others
            metrics.DOWNLINKS.labels("internal-error").inc()
            log.exception(
                "unexpected failure handling a downlink record at %s/%d/%d",
                record.topic,
                record.partition,
                record.offset,
            )
        return True

    async def _publish(self, action: PublishDownlink, stopping: asyncio.Event) -> bool:
        delay = self._retry_initial_s
        while True:
            expiry_s = action.expiry_s(self._clock())
            if expiry_s <= 0:  # expired while the broker was away: the registry expires it
                metrics.DOWNLINKS.labels("expired").inc()
                return True
            try:
                await self._broker.publish_downlink(
                    action.topic, action.payload, action.downlink_id, expiry_s
                )
                break
            except PublishRefused as err:
                return await self._fail(action.downlink_id, action.device_id, str(err), stopping)
            except BrokerUnavailable as err:
                metrics.DOWNLINK_PUBLISH_RETRIES.inc()
                log.warning(
                    "downlink %s waits for the MQTT broker (again in %.1f s): %s",
                    action.downlink_id,
                    delay,
                    err,
                    extra={"device_id": action.device_id, "downlink_id": action.downlink_id},
                )
                if await _stopped_within(stopping, delay):
                    return False
                delay = min(delay * 2, self._retry_max_s)
        if not await self._report(action.downlink_id, "sent", None, stopping):
            return False
        metrics.DOWNLINKS.labels("sent").inc()
        log.info(
            "downlink %s sent",
            action.downlink_id,
            extra={"device_id": action.device_id, "downlink_id": action.downlink_id},
        )
        return True

    async def _fail(
        self, downlink_id: str, device_id: str, reason: str, stopping: asyncio.Event
    ) -> bool:
        log.warning(
            "downlink %s failed: %s",
            downlink_id,
            reason,
            extra={"device_id": device_id, "downlink_id": downlink_id},
        )
        if not await self._report(downlink_id, "failed", reason, stopping):
            return False
        metrics.DOWNLINKS.labels("failed").inc()
        return True

    async def _report(
        self,
        downlink_id: str,
        status: Literal["sent", "failed"],
        reason: str | None,
        stopping: asyncio.Event,
    ) -> bool:
        """Send the report until Kafka acknowledges it; False when stopping first."""
        report = DownlinkReport(
            downlink_id=downlink_id,
            status=status,
            reason=reason[:1000] if reason else None,
            reported_at=self._clock(),
            reporter=REPORTER,
        )
        delay = self._retry_initial_s
        while True:
            try:
                await self._producer.send_and_wait(
                    topics.DOWNLINK_REPORTS, key=downlink_id.encode(), value=dumps(report)
                )
                return True
            except KafkaError as err:
                metrics.DOWNLINK_REPORT_RETRIES.inc()
                log.warning(
                    "downlink %s: report not acknowledged: %r",
                    downlink_id,
                    err,
                    extra={"downlink_id": downlink_id},
                )
                if await _stopped_within(stopping, delay):
                    return False
                delay = min(delay * 2, self._retry_max_s)


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()


async def _commit(consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
    try:
        await consumer.commit({tp: offset})
    except KafkaError as err:  # e.g. a rebalance took the partition: its next owner redoes it
        log.warning("downlink offsets of %s not committed: %r", tp, err)
