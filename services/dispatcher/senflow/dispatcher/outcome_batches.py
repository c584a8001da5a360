"""Hands records to the producer as one batch per partition, for records nobody waits on
(the outcome events): per record, `AIOKafkaProducer.send` costs a future, a partitioner
call and the accumulator's bookkeeping, and with no linger a produce request per few
records; a batch per partition and round costs a fraction of that.

Records are partitioned as the producer's default partitioner does (murmur2 of the key),
so a key keeps its partition, as with `send`.
"""

import asyncio
import functools
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

_MAX_KEYS = 10_000  # keys whose partition is kept; past this many they are hashed anew


class BatchSender:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        on_lost: Callable[[int, BaseException], None],
    ) -> None:
        """`on_lost(count, error)`: `count` records the producer did not take or Kafka
        refused."""
        self._producer = producer
        self._topic = topic
        self._on_lost = on_lost
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[bytes, tuple[int, int]] = {}  # key -> (of how many, which)

    async def send(self, records: Iterable[tuple[bytes, bytes]]) -> None:
        """Queue `records` (key, value) with the producer; Kafka's answers are watched, not
        awaited. Raises only when the topic's partitions cannot be known."""
        partitions = list(await self._producer.partitions_for(self._topic))
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for key, value in records:
            by_partition.setdefault(self._partition(key, partitions), []).append((key, value))
        for partition, group in by_partition.items():
            batch = self._producer.create_batch()
            for key, value in group:
                if batch.append(timestamp=None, key=key, value=value) is None:  # full
                    await self._submit(batch, partition)
                    batch = self._producer.create_batch()
                    if batch.append(timestamp=None, key=key, value=value) is None:
                        # Not expected: an empty batch takes any record (a record too
                        # large for Kafka is refused with its batch, and counted then).
                        self._on_lost(1, ValueError("an empty batch refused the record"))
            await self._submit(batch, partition)

    async def _submit(self, batch: object, partition: int) -> None:
        count: int = batch.record_count()  # type: ignore[attr-defined]
        if not count:
            return
        try:
            sent = await self._producer.send_batch(batch, self._topic, partition=partition)
        except Exception as err:  # noqa: BLE001 - counted as lost, whatever it is
            self._on_lost(count, err)
            return
        sent.add_done_callback(functools.partial(self._check, count))

    def _check(self, count: int, sent: "asyncio.Future[object]") -> None:
        if not sent.cancelled() and (err := sent.exception()) is not None:
            self._on_lost(count, err)

    def _partition(self, key: bytes, partitions: list[int]) -> int:
        known = self._partitions.get(key)
        if known is not None and known[0] == len(partitions):
            return known[1]
        partition: int = self._partitioner(key, partitions, partitions)
        if len(self._partitions) >= _MAX_KEYS:
            self._partitions.clear()
        self._partitions[key] = (len(partitions), partition)
        return partition
