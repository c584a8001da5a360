"""Downlinks to MQTT devices: each executing one published to the device's down topic.

The bridge consumes `senflow.downlinks.v1` in a consumer group
(`MQTT_BRIDGE_DOWNLINK_GROUP_ID`), so replicas share the partitions and each downlink is
handled by one of them. For an MQTT device's downlink whose status is `executing` and
that has not expired, it publishes the payload (`senflow.router.downlink_payload`) to
`<prefix>/<client id>/down` with QoS 1, on the bridge's broker connection, with the user
property `senflow-downlink-id`, the Content Type, and a Message Expiry Interval of the
time it has left. Once the broker acknowledged it (PUBACK), it reports `sent`
(`DownlinkReport`, reporter `mqtt-bridge`, acks=all); a partition's offsets are
committed only after its records were handled.

Failures. No broker connection (or no PUBACK in time): the downlink waits, staying
`executing`, and is tried again with backoff (it expires in the registry if that takes too
long, and is then skipped here). A broker that refuses the publish (a failure reason
code, e.g. its ACL) or a client id that makes no topic: reported `failed` with the reason.
Kafka not acknowledging a report: the report is sent again (the registry ignores
repeats); the message is not published again. A record that is not a downlink event, or
that fails unexpectedly, is logged, counted and passed over: one bad record never stops
the others.

Waiting keeps polling. A consumer that does not poll for `max_poll_interval_ms` (5 min) is
dropped from the group, and its partitions go to another replica, which would publish
the same downlinks. So a downlink waiting for the broker is not waited for inside the
batch: the partition is committed up to it, sought back to it and paused for the backoff
delay while the loop goes on polling; then its records are read again from that
downlink on, with whatever arrived since. A later record of the same downlink (expired,
failed because its device's identity changed, deleted with its device) supersedes it,
so it is not published. A batch also hands back to the loop after `max_batch_s` of work,
so that slow PUBACKs cannot hold polling off either.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from senflow.common import topics
from senflow.common.downlinks import MAX_REASON, DownlinkReport
from senflow.common.errors import ContractError
from senflow.common.serde import dumps
from senflow.router.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge import metrics
from senflow.router.mqtt_bridge.downlink_mapping import (
    ExpiredDownlink,
    FailDownlink,
    PublishDownlink,
    downlink_action,
    latest_per_key,
)
from senflow.router.mqtt_bridge.errors import BrokerUnavailable, PublishRefused
from senflow.router.mqtt_bridge.partition_waits import PartitionWaits

log = logging.getLogger(__name__)

REPORTER = "mqtt-bridge"
Record: TypeAlias = ConsumerRecord[bytes, bytes]
# What became of one record: handled (whatever the outcome), waiting for the broker, or
# left unfinished because the bridge is stopping.
Handled = Literal["done", "waiting", "stopped"]
_POLL_MS = 500


class DownlinkBroker(Protocol):
    async def publish_downlink(
        self, topic: str, payload: DevicePayload, downlink_id: str, expiry_s: int
    ) -> None:
        """QoS 1, returns on the PUBACK; `BrokerUnavailable` or `PublishRefused`."""


class ReportProducer(Protocol):
    async def send_and_wait(self, topic: str, *, key: bytes, value: bytes) -> Any: ...


@dataclass(frozen=True)
class Progress:
    """Where one partition's records stand after `handle`: the offset to commit and to
    read from next (None: there were none); `unfinished`: read again from there;
    `waiting`: the record there waits for the broker (pause the partition first)."""

    next_offset: int | None
    unfinished: bool = False
    waiting: bool = False


class DownlinkRelay:
    def __init__(
        self,
        broker: DownlinkBroker,
        producer: ReportProducer,
        topic_prefix: str,
        *,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        max_batch_s: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._broker = broker
        self._producer = producer
        self._topic_prefix = topic_prefix
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._max_batch_s = max_batch_s
        self._clock = clock

    async def run(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        """Handle the group's downlink records until `stopping` is set, polling at least
        every 0.5 s plus one batch's work (`max_batch_s`); the record in hand is finished
        first."""
        waits = PartitionWaits(self._retry_initial_s, self._retry_max_s)
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            waits.resume_due(consumer, loop.time())
            timeout_s = min(_POLL_MS / 1000, waits.next_resume_in(loop.time()))
            batches = await consumer.getmany(
                timeout_ms=max(1, int(timeout_s * 1000)), max_records=200
            )
            # One deadline for the whole poll, not one per partition: 8 partitions' worth
            # of slow publishes would outlast the consumer's max poll interval.
            deadline = loop.time() + self._max_batch_s
            for tp, records in batches.items():
                progress = await self.handle(records, stopping, deadline)
                if progress.next_offset is not None:
                    await _commit(consumer, tp, progress.next_offset)
                if progress.next_offset is not None and progress.unfinished:
                    waits.read_again(consumer, tp, progress.next_offset)
                if progress.waiting:
                    waits.pause(consumer, tp, loop.time())
                else:
                    waits.went_on(tp)
                if stopping.is_set():
                    return

    async def handle(
        self, records: Sequence[Record], stopping: asyncio.Event, deadline: float | None = None
    ) -> Progress:
        """Handle one partition's records in order, up to the first that waits for the
        broker, or the `deadline` (loop time; default `max_batch_s` from now), or stopping.

        What is left unfinished is committed up to the first record not handled: it is read
        again there (a superseded record before it is covered by its later one).
        """
        if not records:
            return Progress(None)
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + self._max_batch_s
        for record in latest_per_key(records):
            if stopping.is_set() or loop.time() > deadline:
                return Progress(int(record.offset), unfinished=True)
            handled = await self._handle_one(record, stopping)
            if handled != "done":
                return Progress(int(record.offset), unfinished=True, waiting=handled == "waiting")
        return Progress(int(records[-1].offset) + 1)

    async def _handle_one(self, record: Record, stopping: asyncio.Event) -> Handled:
        try:
            action = downlink_action(record.value, self._topic_prefix, self._clock())
            if action is None:
                return "done"
            if isinstance(action, ExpiredDownlink):
                metrics.DOWNLINKS.labels("expired").inc()
                return "done"
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
        return "done"

    async def _publish(self, action: PublishDownlink, stopping: asyncio.Event) -> Handled:
        expiry_s = action.expiry_s(self._clock())
        if expiry_s <= 0:  # expired while the broker was away: the registry expires it
            metrics.DOWNLINKS.labels("expired").inc()
            return "done"
        try:
            await self._broker.publish_downlink(
                action.topic, action.payload, action.downlink_id, expiry_s
            )
        except PublishRefused as err:
            return await self._fail(action.downlink_id, action.device_id, str(err), stopping)
        except BrokerUnavailable as err:
            metrics.DOWNLINK_PUBLISH_RETRIES.inc()
            log.warning(
                "downlink %s waits for the MQTT broker: %s",
                action.downlink_id,
                err,
                extra={"device_id": action.device_id, "downlink_id": action.downlink_id},
            )
            return "waiting"
        if not await self._report(action.downlink_id, "sent", None, stopping):
            return "stopped"
        metrics.DOWNLINKS.labels("sent").inc()
        log.info(
            "downlink %s sent",
            action.downlink_id,
            extra={"device_id": action.device_id, "downlink_id": action.downlink_id},
        )
        return "done"

    async def _fail(
        self, downlink_id: str, device_id: str, reason: str, stopping: asyncio.Event
    ) -> Handled:
        log.warning(
            "downlink %s failed: %s",
            downlink_id,
            reason,
            extra={"device_id": device_id, "downlink_id": downlink_id},
        )
        if not await self._report(downlink_id, "failed", reason, stopping):
            return "stopped"
        metrics.DOWNLINKS.labels("failed").inc()
        return "done"

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
            reason=reason[:MAX_REASON] if reason else None,
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
