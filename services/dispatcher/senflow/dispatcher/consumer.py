"""Consumes deliveries and hands each to its destination's sink, at least once.

Partitions are processed concurrently, the records of one partition in order (so one
device's deliveries stay in order). A batch's offsets are committed only after every
record in it was delivered or dead-lettered. A crash before the commit redelivers the
batch: receivers see duplicates with the same `Senflow-Message-Id`.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.deliveries import Delivery
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.dispatcher import metrics
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.base import Sink

log = logging.getLogger(__name__)


class DeliveryConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        destinations: DestinationView,
        destinations_follower: CompactedTopicView,
        sinks: dict[str, Sink],
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._destinations = destinations
        self._follower = destinations_follower
        self._sinks = sinks
        self._batch = asyncio.Lock()
        self.delivered = 0
        self.dead_lettered = 0

    async def run(self, stop: asyncio.Event, max_records: int = 100) -> None:
        """Consume until `stop` is set; the batch in hand is finished and committed first.

        A rebalance waits for the batch in hand (see `_FinishBeforeRevoke`), so a partition
        is never delivered by two workers at once, and one device's order holds.
        """
        self._consumer.subscribe([topics.DELIVERIES], listener=_FinishBeforeRevoke(self._batch))
        while not stop.is_set():
            batches = await self._consumer.getmany(timeout_ms=500, max_records=max_records)
            async with self._batch:
                # Records fetched just before a rebalance may belong to another worker now.
                owned = self._consumer.assignment()
                batches = {tp: recs for tp, recs in batches.items() if tp in owned}
                if not batches:
                    continue
                await asyncio.gather(*(self._process(records) for records in batches.values()))
                offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
                await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as err:
            # The group moved on without us (e.g. a batch outlived max_poll_interval): the
            # new owner redelivers from the last commit, so nothing is lost; receivers may
            # see duplicates, with the same delivery id.
            log.warning("commit refused: %s", err)

    async def _process(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await self._handle(record)

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """The per-message error boundary: delivered, or dead-lettered with its cause."""
        hdrs = h.decode_headers(record.headers)
        message_id = hdrs.get(h.MESSAGE_ID)
        try:
            delivery = loads(Delivery, record.value)
            message_id = delivery.message_id
            destination = self._destinations.get(delivery.destination_id)
            if destination is None:
                # Published (by the router) at the record's timestamp, never later than now.
                await self._follower.catch_up(min(record.timestamp / 1000, time.time()))
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
            metrics.DELIVERED.labels(destination.type).inc()
            metrics.INGEST_TO_DELIVERED.observe(
                (datetime.now(UTC) - delivery.received_at).total_seconds()
            )
            log.info(
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
                    "senflow-dlq-response-excerpt": err.excerpt[:1024] or None,
                },
            )
        except Exception as err:  # noqa: BLE001 - never let one record stop the consumer
            log.exception("unexpected failure delivering", extra={"message_id": message_id})
            await self._dead_letter(record, message_id, "internal-error", repr(err), {})

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


class _FinishBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Holds a rebalance until the batch in hand is delivered and committed."""

    def __init__(self, batch: asyncio.Lock) -> None:
        self._batch = batch

    async def on_partitions_revoked(self, revoked: object) -> None:
        async with self._batch:
            pass

    async def on_partitions_assigned(self, assigned: object) -> None:
        pass
