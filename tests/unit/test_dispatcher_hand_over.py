"""Giving partitions up (a rebalance, or stopping): deliveries in progress are finished,
queued ones are left to the next owner, and the commit stops at the first unfinished one.
With a fake consumer, producer and sink (no Kafka)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.common.serde import dumps
from senflow.dispatcher.consumer import DeliveryConsumer
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.health import HealthTracker
from senflow.dispatcher.outcomes import OutcomeReporter
from tests.support.deliveries import DESTINATION_ID, a_delivery, a_destination

TP = TopicPartition(topics.DELIVERIES, 0)


def a_record(offset: int) -> "ConsumerRecord[bytes, bytes]":
    value = dumps(a_delivery(message_id=f"m-{offset}"))
    headers = h.encode_headers({h.DESTINATION_ID: DESTINATION_ID})
    return ConsumerRecord(
        TP.topic, TP.partition, offset, 0, 0, b"dev-1", value, None, 0, len(value), headers
    )


@dataclass
class FakeConsumer:
    records: list["ConsumerRecord[bytes, bytes]"]
    committed: list[dict[TopicPartition, int]] = field(default_factory=list)

    def subscribe(self, _topics: list[str], listener: object) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        records, self.records = self.records, []
        if not records:
            await asyncio.sleep(0.01)
        return {TP: records} if records else {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.append(dict(offsets))


@dataclass
class HeldSink:
    """Holds the first delivery until released; counts what it was given."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: list[str] = field(default_factory=list)

    async def deliver(self, delivery: Any, _d: DestinationSnapshot, _attempt: int) -> None:
        self.started.set()
        await self.release.wait()
        self.delivered.append(delivery.message_id)


class Producer:
    async def send_and_wait(self, *_: Any, **__: Any) -> None:
        raise AssertionError("nothing is dead-lettered here")


async def test_giving_a_partition_up_finishes_what_is_in_progress_and_commits_before_the_rest() -> (
    None
):
    view = DestinationView()
    view._destinations[DESTINATION_ID] = a_destination("test", TestEndpointConfig())
    consumer, sink = FakeConsumer([a_record(10), a_record(11)]), HeldSink()
    outcomes = OutcomeReporter(Producer(), HealthTracker(reporter="r"))  # type: ignore[arg-type]
    dispatcher = DeliveryConsumer(
        consumer,  # type: ignore[arg-type]
        Producer(),  # type: ignore[arg-type]
        view,
        None,  # type: ignore[arg-type]
        {"test": sink},
        outcomes,
        commit_interval_s=3600,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    async with asyncio.timeout(2):
        await sink.started.wait()  # offset 10 in progress; 11 (same device) queued behind it
    handing_over = asyncio.create_task(dispatcher.hand_over({TP}))
    await asyncio.sleep(0.05)
    assert not handing_over.done()  # waits for the delivery in progress
    sink.release.set()
    async with asyncio.timeout(2):
        await handing_over
    assert consumer.committed == [{TP: 11}]  # 10 delivered, 11 left to the next owner
    await asyncio.sleep(0.05)
    assert sink.delivered == ["m-10"]
    stop.set()
    async with asyncio.timeout(2):
        await running
