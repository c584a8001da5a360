"""Outcome events handed to the producer as a batch per partition, with a fake producer."""

import asyncio
from dataclasses import dataclass, field

from aiokafka.partitioner import DefaultPartitioner

from senflow.dispatcher.outcome_batches import BatchSender
from tests.support.fake_batches import FakeBatch

PARTITIONS = list(range(8))


@dataclass
class FakeProducer:
    room: int = 100
    answer: BaseException | None = None
    batches: list[tuple[int, list[tuple[bytes, bytes]]]] = field(default_factory=list)

    async def partitions_for(self, _topic: str) -> set[int]:
        return set(PARTITIONS)

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.room)

    async def send_batch(
        self, batch: FakeBatch, _topic: str, *, partition: int
    ) -> "asyncio.Future[object]":
        self.batches.append((partition, batch.records))
        answered: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.answer is None:
            answered.set_result(None)
        else:
            answered.set_exception(self.answer)
        return answered


def sender(producer: FakeProducer, lost: list[int]) -> BatchSender:
    return BatchSender(producer, "t", lambda count, _err: lost.append(count))  # type: ignore[arg-type]


async def test_each_key_goes_to_the_partition_the_default_partitioner_picks() -> None:
    producer, lost = FakeProducer(), []
    records = [(f"destination-{n % 5}".encode(), f"event-{n}".encode()) for n in range(20)]
    await sender(producer, lost).send(records)
    partitioner = DefaultPartitioner()
    for partition, batch in producer.batches:
        assert {partitioner(key, PARTITIONS, PARTITIONS) for key, _ in batch} == {partition}
    in_batches = [record for _, batch in producer.batches for record in batch]
    assert sorted(in_batches) == sorted(records)
    for key in {key for key, _ in records}:  # each key's records keep their order
        assert [v for k, v in in_batches if k == key] == [v for k, v in records if k == key]
    assert lost == []


async def test_a_full_batch_is_sent_and_a_new_one_started() -> None:
    producer, lost = FakeProducer(room=3), []
    records = [(b"one-destination", f"event-{n}".encode()) for n in range(7)]
    await sender(producer, lost).send(records)
    assert [len(batch) for _, batch in producer.batches] == [3, 3, 1]
    assert [record for _, batch in producer.batches for record in batch] == records


async def test_records_of_batches_kafka_refuses_are_counted_as_lost() -> None:
    producer, lost = FakeProducer(room=2, answer=RuntimeError("no")), []
    await sender(producer, lost).send([(b"k", b"1"), (b"k", b"2"), (b"k", b"3")])
    await asyncio.sleep(0)  # the answers' callbacks
    assert sorted(lost) == [1, 2]  # both batches, every record
