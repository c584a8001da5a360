"""Consumes deliveries and hands each to its destination's sink, at least once.

Partitions are processed concurrently, the records of one partition in order (so one
device's deliveries stay in order). A batch's offsets are committed only after every
record in it was delivered or dead-lettered. A crash before the commit redelivers the
batch: receivers see duplicates with the same `Senflow-Message-Id`.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.deliveries import Delivery
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.dispatcher import metrics
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.retrying import RetryingSink

log = logging.getLogger(__name__)


class DeliveryConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        destinations: DestinationView,
        destinations_follower: CompactedTopicView,
        sinks: dict[str, RetryingSink],
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._destinations = destinations
        self._follower = destinations_follower
        self._sinks = sinks
        self.delivered = 0
        self.dead_lettered = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; the batch in hand is finished and committed first."""
        while not stop.is_set():
            batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
            if not batches:
                continue
            await asyncio.gather(*(self._process(records) for records in batches.values()))
            offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
            await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as err:
            # A rebalance took the partitions away: their new owner redelivers from the last
            # commit, so nothing is lost (receivers may see duplicates).
            log.warning("commit failed after a rebalance: %s", err)

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
                await self._follower.catch_up()
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
            attempts = await sink.deliver(delivery, destination)
            self.delivered += 1
            metrics.DELIVERED.labels(destination.type).inc()
            metrics.INGEST_TO_DELIVERED.observe(
                (datetime.now(UTC) - delivery.received_at).total_seconds()
            )
            log.info(
                "delivered after %d attempt(s)",
                attempts,
                extra={"message_id": message_id, "destination_id": destination.id},
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
