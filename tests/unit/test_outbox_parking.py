"""The outbox relay's batch: a record Kafka refuses for good (too large, checked by the
producer or by the broker) is parked with the error and the rest of the batch goes on;
any other failure (Kafka away) settles nothing, so the whole batch is tried again. The
outbox table and the producer are fakes: no Kafka, no database."""

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from prometheus_client import REGISTRY

from senflow.registry.adapters.outbox import OutboxRow
from senflow.registry.adapters.outbox_relay import Settled, publish_batch, refused_for_good


def row(row_id: int, value: bytes = b"{}") -> OutboxRow:
    headers = {"senflow-event-type": "DownlinkQueued", "senflow-entity-version": "1"}
    return OutboxRow(row_id, "senflow.downlinks.v1", f"key-{row_id}", value, headers)


class InMemoryOutboxRows:
    def __init__(self, *rows: OutboxRow) -> None:
        self.waiting = list(rows)
        self.parked: dict[int, str] = {}

    async def next_batch(self, limit: int) -> list[OutboxRow]:
        return self.waiting[:limit]

    async def settle(self, published: Sequence[int], parked: Sequence[tuple[int, str]]) -> None:
        self.parked.update(parked)
        gone = set(published) | set(self.parked)
        self.waiting = [r for r in self.waiting if r.id not in gone]


class FakeProducer:
    """Acknowledges every record but those it is told to refuse: before sending (as the
    producer does above its max request size) or in Kafka's answer (as the broker does)."""

    def __init__(
        self, refuse_at_send: dict[str, Exception], refuse_in_answer: dict[str, Exception]
    ) -> None:
        self.refuse_at_send = refuse_at_send
        self.refuse_in_answer = refuse_in_answer
        self.sent: list[str] = []

    async def send(self, topic: str, *, key: bytes, value: bytes | None, headers: Any) -> Any:
        if (err := self.refuse_at_send.get(key.decode())) is not None:
            raise err
        self.sent.append(key.decode())
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if (err := self.refuse_in_answer.get(key.decode())) is not None:
            answer.set_exception(err)
        else:
            answer.set_result(None)
        return answer


def parked_total() -> float:
    return REGISTRY.get_sample_value("senflow_registry_outbox_parked_total") or 0.0


async def test_a_record_kafka_refuses_for_good_is_parked_and_the_batch_goes_on() -> None:
    rows = InMemoryOutboxRows(row(1), row(2, b"x" * (2 << 20)), row(3), row(4))
    producer = FakeProducer(
        refuse_at_send={"key-2": MessageSizeTooLargeError("2097200 bytes, above 1048576")},
        refuse_in_answer={"key-4": MessageSizeTooLargeError()},  # the broker's limit
    )
    before = parked_total()

    settled = await publish_batch(rows, producer, 500)  # type: ignore[arg-type]
    assert settled == Settled(published=2, parked=2) and settled.rows == 4

    assert producer.sent == ["key-1", "key-3", "key-4"]
    assert rows.waiting == []  # nothing left to block the next change
    assert set(rows.parked) == {2, 4}
    assert rows.parked[2].startswith("MessageSizeTooLargeError")
    assert parked_total() == before + 2
    assert await publish_batch(rows, producer, 500) == Settled()  # type: ignore[arg-type]


async def test_kafka_away_settles_nothing_so_the_batch_is_tried_again() -> None:
    rows = InMemoryOutboxRows(row(1), row(2))
    producer = FakeProducer({}, {"key-2": KafkaTimeoutError()})
    with pytest.raises(KafkaTimeoutError):
        await publish_batch(rows, producer, 500)  # type: ignore[arg-type]
    assert [r.id for r in rows.waiting] == [1, 2] and rows.parked == {}


@pytest.mark.parametrize(
    ("err", "for_good"),
    [
        (MessageSizeTooLargeError(), True),
        (KafkaTimeoutError(), False),  # aiokafka marks it not retriable: Kafka is away
        (RuntimeError("a bug"), False),
    ],
)
def test_only_what_the_record_itself_causes_is_refused_for_good(
    err: Exception, for_good: bool
) -> None:
    assert refused_for_good(err) is for_good
