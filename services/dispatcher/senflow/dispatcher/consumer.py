"""Consumes deliveries and hands each to its destination's sink, at least once.

Every record goes to its destination's lane (see `lanes`): destinations are delivered
independently, one device's deliveries to one destination in order. Offsets are committed
up to the first record not yet delivered or dead-lettered in each partition (see
`offsets`), every `commit_interval_s` and when partitions are given up. A crash
redelivers from there: receivers see duplicates with the same `Senflow-Delivery-Id`.

Giving partitions up (a rebalance, or stopping) does not wait for queued deliveries,
which may be many for a slow destination: those not started are left for the next owner
(the commit stops before them); those in progress are finished first, so one device's
deliveries are never in flight at two workers at once.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.deliveries import Delivery
from senflow.common.errors import ContractError
from senflow.common.events import DestinationSnapshot
from senflow.common.serde import loads
from senflow.dispatcher import metrics
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.lanes import Lanes
from senflow.dispatcher.offsets import PartitionProgress
from senflow.dispatcher.outcomes import OutcomeReporter
from senflow.dispatcher.sinks.base import Sink

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class DeliveryConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        destinations: DestinationView,
        destinations_follower: CompactedTopicView,
        sinks: dict[str, Sink],
        outcomes: OutcomeReporter,
        *,
        lane_slots: int = 8,
        lane_capacity: int = 10_000,
        commit_interval_s: float = 1.0,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._destinations = destinations
        self._follower = destinations_follower
        self._sinks = sinks
        self._outcomes = outcomes  # the sinks report attempts; this, dead letters
        self._lanes: Lanes[tuple[TopicPartition, PartitionProgress, Record]] = Lanes(
            self._finish, lane_slots, lane_capacity
        )
        self._progress: dict[TopicPartition, PartitionProgress] = {}
        self._leaving: set[TopicPartition] = set()  # given up: start nothing more of theirs
        self._running: dict[TopicPartition, int] = {}  # deliveries in progress
        self._settled = asyncio.Condition()
        self._commit_interval_s = commit_interval_s
        self.delivered = 0
        self.dead_lettered = 0

    async def run(self, stop: asyncio.Event, max_records: int = 500) -> None:
        """Consume until `stop` is set; then finish what the lanes hold, and commit."""
        self._consumer.subscribe([topics.DELIVERIES], listener=_HandOver(self))
        last_commit = time.monotonic()
        try:
            while not stop.is_set():
                batches = await self._consumer.getmany(timeout_ms=200, max_records=max_records)
                owned = self._consumer.assignment()
                for tp, records in batches.items():
                    if tp not in owned:  # fetched just before a rebalance took it away
                        continue
                    progress = self._progress.setdefault(tp, PartitionProgress())
                    for record in records:
                        progress.taken(record.offset)
                        item = (tp, progress, record)
                        await self._lanes.put(_lane_of(record), _order_of(record), item)
                if time.monotonic() - last_commit >= self._commit_interval_s:
                    await self.commit()
                    last_commit = time.monotonic()
            await self.hand_over(set(self._progress))
        finally:
            await self._lanes.close()

    async def commit(self, partitions: "set[TopicPartition] | None" = None) -> None:
        """Commit each partition up to its first unfinished record."""
        offsets: dict[TopicPartition, int] = {}
        for tp, progress in self._progress.items():
            position = progress.committable()
            if position is not None and (partitions is None or tp in partitions):
                offsets[tp] = position
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as err:
            # The group moved on without us: the new owner redelivers from the last
            # commit, so nothing is lost; receivers may see duplicates (same delivery id).
            log.warning("commit refused: %s", err)

    async def hand_over(self, partitions: "set[TopicPartition]") -> None:
        """Give partitions up: start none of their queued deliveries, finish those in
        progress, commit up to the first unfinished one."""
        partitions &= set(self._progress)
        if not partitions:
            return
        self._leaving |= partitions
        async with self._settled:
            await self._settled.wait_for(
                lambda: not any(self._running.get(tp) for tp in partitions)
            )
        await self.commit(partitions)
        for tp in partitions:
            del self._progress[tp]
            self._running.pop(tp, None)
        self._leaving -= partitions

    async def _finish(self, item: tuple[TopicPartition, PartitionProgress, Record]) -> None:
        """A lane's handler: deliver (or dead-letter) the record, unless its partition was
        given up since it was fetched (the next owner delivers it)."""
        tp, progress, record = item
        if self._progress.get(tp) is not progress or tp in self._leaving:
            return
        self._running[tp] = self._running.get(tp, 0) + 1
        try:
            await self._handle(record)
            progress.finished(record.offset)
        finally:
            self._running[tp] -= 1
            if tp in self._leaving:  # only `hand_over` waits, and only for leaving ones
                async with self._settled:
                    self._settled.notify_all()

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """The per-message error boundary: delivered, or dead-lettered with its cause."""
        metrics.RECEIVED.inc()
        hdrs = h.decode_headers(record.headers)
        message_id = hdrs.get(h.MESSAGE_ID)
        delivery: Delivery | None = None
        destination: DestinationSnapshot | None = None
        try:
            delivery = loads(Delivery, record.value)
            message_id = delivery.message_id
            replayed = h.REPLAY_OF in hdrs
            if replayed:
                # A replay is a fresh start: its retry age counts from the replay (the
                # record's time), not from an uplink that may be days old.
                replayed_at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                delivery = delivery.model_copy(update={"received_at": replayed_at})
            destination = self._destinations.get(delivery.destination_id)
            if destination is None:
                # Published (by the router) at the record's timestamp, never later than now.
                await self._follower.catch_up(record.timestamp / 1000)
                destination = self._destinations.get(delivery.destination_id)
            if destination is None:
                raise DeliveryFailed(
                    "destination-not-found", delivery.destination_id, retriable=False
                )
            if not destination.enabled:
                raise DeliveryFailed("destination-disabled", destination.id, retriable=False)
            sink = self._sinks.get(destination.type)
            if sink is None:
                raise DeliveryFailed(
                    "unsupported-destination-type", destination.type, retriable=False
                )
            await sink.deliver(delivery, destination, 1)
            self.delivered += 1
            metrics.labelled(metrics.DELIVERED, destination.type).inc()
            if not replayed:  # a replay's latency would measure the customer's wait
                metrics.labelled(metrics.INGEST_TO_DELIVERED, destination.type).observe(
                    (datetime.now(UTC) - delivery.received_at).total_seconds()
                )
            # DEBUG, not INFO: a JSON line per delivery cost about a quarter of a worker's
            # CPU at full speed; each delivery is an outcome event and counted anyway.
            log.debug(
                "delivered",
                extra={
                    "message_id": message_id,
                    "device_id": delivery.device_id,
                    "destination_id": destination.id,
                },
            )
        except ContractError as err:
            await self._dead_letter(record, message_id, "invalid-delivery", str(err), {})
        except DeliveryFailed as err:
            await self._dead_letter(
                record,
                message_id,
                err.reason,
                err.detail,
                {
                    h.DLQ_ATTEMPTS: err.attempts,
                    h.DLQ_STATUS_CODE: err.status_code,
                    h.DLQ_RESPONSE_EXCERPT: err.excerpt[:1024] or None,
                },
            )
            self._outcomes.dead_lettered(delivery, destination, err)
        except Exception as err:  # noqa: BLE001 - never let one record stop the consumer
            log.exception("unexpected failure delivering", extra={"message_id": message_id})
            await self._dead_letter(record, message_id, "internal-error", repr(err), {})
            failure = DeliveryFailed("internal-error", repr(err), retriable=False)
            self._outcomes.dead_lettered(delivery, destination, failure)

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        message_id: str | None,
        reason: str,
        detail: str,
        extra: dict[str, Any],
    ) -> None:
        log.warning(
            "delivery dead-lettered: %s: %s", reason, detail, extra={"message_id": message_id}
        )
        headers = list(record.headers or ()) + h.encode_headers(
            {
                h.DLQ_REASON: reason,
                h.DLQ_DETAIL: detail[:1000],
                h.DLQ_SOURCE: f"{record.topic}/{record.partition}/{record.offset}",
                **extra,
            }
        )
        await self._producer.send_and_wait(
            topics.DELIVERIES_DEADLETTER, key=record.key, value=record.value, headers=headers
        )
        self.dead_lettered += 1
        metrics.DEAD_LETTERED.labels(reason).inc()


def _lane_of(record: Record) -> str:
    """The destination a delivery record is for (the router puts it in a header)."""
    lane = ""
    for name, value in record.headers or ():  # the last one counts, as in `decode_headers`
        if name == h.DESTINATION_ID:
            lane = value.decode("utf-8", "replace")
    return lane or "unaddressed"


def _order_of(record: Record) -> str:
    """What must stay in order within a destination: the device (the record key)."""
    return record.key.decode(errors="replace") if record.key else ""


class _HandOver(ConsumerRebalanceListener):  # type: ignore[misc]
    """Finishes and commits revoked partitions' records before the rebalance completes."""

    def __init__(self, consumer: DeliveryConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: "set[TopicPartition]") -> None:
        await self._consumer.hand_over(set(revoked))

    async def on_partitions_assigned(self, assigned: object) -> None:
        pass
