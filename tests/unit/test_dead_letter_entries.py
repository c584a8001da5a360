"""Dead letters as the registry reads them: an entry from a dead-letter record, the
filters, the headers of a replay, the per-destination index with its bound, and the
publisher of replays."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.dead_letters import DeadLetterReplayed
from senflow.common.serde import dumps, loads
from senflow.registry.adapters.dead_letter_replays import KafkaReplayPublisher
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.adapters.following import Retrying
from senflow.registry.domain.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    dead_letter_of,
    replay_headers,
)
from senflow.registry.errors import Unavailable
from tests.support.deliveries import DESTINATION_ID, a_delivery

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OTHER_DESTINATION_ID = "0b5c1d2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e"


@dataclass(frozen=True)
class FakeRecord:
    """What the index reads of an aiokafka `ConsumerRecord`."""

    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    offset: int = 0
    partition: int = 3
    timestamp: int = int(AT.timestamp() * 1000)
    key: bytes | None = b"dev-1"
    topic: str = topics.DELIVERIES_DEADLETTER


def delivery_headers(
    message_id: str = "m-1", destination_id: str = DESTINATION_ID
) -> list[tuple[str, bytes]]:
    d = a_delivery(message_id, destination_id)
    return h.encode_headers(
        {
            h.MESSAGE_ID: d.message_id,
            h.DELIVERY_ID: d.delivery_id,
            h.CUSTOMER_ID: d.customer_id,
            h.DEVICE_ID: d.device_id,
            h.FLOW_ID: d.flow_id,
            h.DESTINATION_ID: d.destination_id,
            h.DECODER: "lora-raw@2",
        }
    )


def dead_letter_record(
    message_id: str = "m-1",
    offset: int = 0,
    destination_id: str = DESTINATION_ID,
    at: datetime = AT,
    reason: str = "http-status",
) -> FakeRecord:
    dlq: dict[str, str | int | None] = {
        h.DLQ_REASON: reason,
        h.DLQ_DETAIL: "answered 400",
        h.DLQ_SOURCE: f"{topics.DELIVERIES}/3/{offset}",
        h.DLQ_ATTEMPTS: 1,
        h.DLQ_STATUS_CODE: 400,
        h.DLQ_RESPONSE_EXCERPT: "bad request",
    }
    return FakeRecord(
        dumps(a_delivery(message_id, destination_id)),
        delivery_headers(message_id, destination_id) + h.encode_headers(dlq),
        offset=offset,
        timestamp=int(at.timestamp() * 1000),
    )


def replay_record(entry_id: str, at: datetime = AT) -> FakeRecord:
    replayed = DeadLetterReplayed(
        entry_id=entry_id, destination_id=DESTINATION_ID, replayed_at=at, replayed_by="admin"
    )
    return FakeRecord(dumps(replayed), key=entry_id.encode(), topic=topics.DELIVERY_REPLAYS)


def test_entry_is_read_from_the_headers_with_the_record_time_and_position() -> None:
    entry = dead_letter_of(dead_letter_record(offset=17))
    assert entry is not None
    assert (entry.id, entry.destination_id, entry.dead_lettered_at) == ("3-17", DESTINATION_ID, AT)
    assert (entry.message_id, entry.delivery_id) == ("m-1", f"m-1-to-{DESTINATION_ID}")
    assert (entry.device_id, entry.flow_id) == ("dev-1", "flow-1")
    assert (entry.reason, entry.detail, entry.status_code, entry.attempts) == (
        "http-status",
        "answered 400",
        400,
        1,
    )
    assert (entry.response_excerpt, entry.replay_of) == ("bad request", None)
    assert entry.body == [
        {
            "bn": "urn:dev:DEVEUI:0123456789ABCDEF:",
            "bt": 1795645163.21,
            "n": "payload",
            "vs": "01A2",
        },
        {"n": "port", "v": 2},
    ]


def test_entry_takes_ids_from_the_delivery_when_headers_lack_them() -> None:
    entry = dead_letter_of(FakeRecord(dumps(a_delivery("m-9")), [(h.DLQ_REASON, b"timeout")]))
    assert entry is not None
    assert (entry.destination_id, entry.message_id, entry.device_id) == (
        DESTINATION_ID,
        "m-9",
        "dev-1",
    )
    assert (entry.reason, entry.status_code, entry.attempts) == ("timeout", None, None)


def test_entry_of_an_invalid_delivery_is_listed_without_a_body() -> None:
    headers = delivery_headers() + [(h.DLQ_REASON, b"invalid-delivery")]
    entry = dead_letter_of(FakeRecord(b"{not json", headers))
    assert entry is not None
    assert (entry.reason, entry.body) == ("invalid-delivery", None)


def test_record_without_any_destination_makes_no_entry() -> None:
    assert dead_letter_of(FakeRecord(b"{not json", [(h.DLQ_REASON, b"invalid-delivery")])) is None
    assert dead_letter_of(FakeRecord(None)) is None


def test_replay_headers_drop_dead_letter_ones_and_name_the_entry() -> None:
    entry = dead_letter_of(dead_letter_record())
    assert entry is not None
    again = replay_headers(entry.headers, entry.id)
    assert again == delivery_headers() + [(h.REPLAY_OF, b"3-0")]


def test_replay_of_a_replay_names_only_the_latest_entry() -> None:
    headers = delivery_headers() + [(h.REPLAY_OF, b"3-0"), (h.DLQ_REASON, b"timeout")]
    entry = dead_letter_of(FakeRecord(b"{}", headers, offset=8, partition=5))
    assert entry is not None and entry.replay_of == "3-0"
    assert replay_headers(headers, "5-8") == delivery_headers() + [(h.REPLAY_OF, b"5-8")]


def test_filter_since_is_inclusive_until_exclusive_reason_exact() -> None:
    entry = dead_letter_of(dead_letter_record())
    assert entry is not None
    assert DeadLetterFilter(since=AT, until=AT + timedelta(seconds=1)).matches(entry, False)
    assert not DeadLetterFilter(since=AT + timedelta(milliseconds=1)).matches(entry, False)
    assert not DeadLetterFilter(until=AT).matches(entry, False)
    assert DeadLetterFilter(reason="http-status").matches(entry, False)
    assert not DeadLetterFilter(reason="timeout").matches(entry, False)


def test_filter_leaves_replayed_entries_out_unless_asked() -> None:
    entry = dead_letter_of(dead_letter_record())
    assert entry is not None
    assert DeadLetterFilter().matches(entry, True)
    assert not DeadLetterFilter(include_replayed=False).matches(entry, True)
    assert DeadLetterFilter(include_replayed=False).matches(entry, False)


def test_index_keeps_destinations_apart_and_skips_records_without_one() -> None:
    index = DeadLetterIndex()
    index.apply(dead_letter_record("mine", 0))
    index.apply(dead_letter_record("theirs", 1, OTHER_DESTINATION_ID))
    index.apply(FakeRecord(b"{not json", offset=2))
    assert [e.message_id for e in index.entries(DESTINATION_ID)] == ["mine"]
    assert [e.message_id for e in index.entries(OTHER_DESTINATION_ID)] == ["theirs"]
    assert index.get(DESTINATION_ID, "3-1") is None  # another destination's entry
    assert index.get(OTHER_DESTINATION_ID, "3-1") is not None


def test_index_drops_the_oldest_entries_and_their_replays_over_its_bound() -> None:
    index = DeadLetterIndex(kept_per_destination=3)
    index.apply(replay_record("3-0"))  # read before its entry
    for n in range(5):
        index.apply(dead_letter_record(f"m-{n}", n))
    assert [e.id for e in index.entries(DESTINATION_ID)] == ["3-2", "3-3", "3-4"]
    assert index.replay_of("3-0") is None


def test_index_follows_replays_tombstones_and_skips_bad_ones() -> None:
    index = DeadLetterIndex()
    index.apply(dead_letter_record())
    index.apply(replay_record("3-0"))
    replayed = index.replay_of("3-0")
    assert replayed is not None and replayed.replayed_at == AT
    index.apply(FakeRecord(b"{}", key=b"3-0", topic=topics.DELIVERY_REPLAYS))
    assert index.replay_of("3-0") is not None  # a bad record changes nothing
    index.apply(FakeRecord(None, key=b"3-0", topic=topics.DELIVERY_REPLAYS))
    assert index.replay_of("3-0") is None


def test_topics_keep_dead_letters_14_days_and_replays_compacted() -> None:
    specs = {s.name: s for s in topics.ALL_TOPICS}
    dead = specs[topics.DELIVERIES_DEADLETTER]
    assert dead.config == {"retention.ms": str(14 * 24 * 3600 * 1000)}
    replays = specs[topics.DELIVERY_REPLAYS]
    assert (replays.partitions, replays.compacted) == (1, True)
    assert replays.config["cleanup.policy"] == "compact,delete"
    assert int(replays.config["retention.ms"]) >= 2 * int(dead.config["retention.ms"])


async def test_index_without_kafka_is_loaded_and_starts_and_stops_as_no_ops() -> None:
    index = DeadLetterIndex()
    await index.start()
    assert index.loaded
    await index.stop()
    await index.stop()


async def test_index_keeps_the_api_serving_when_kafka_is_unreachable() -> None:
    index = DeadLetterIndex("127.0.0.1:1", retry_s=0.05)
    async with asyncio.timeout(0.5):
        await index.start()  # returns at once, whatever Kafka does
    await asyncio.sleep(0.5)  # a few refused attempts, each logged and retried
    assert (index.loaded, index.entries(DESTINATION_ID)) == (False, [])
    async with asyncio.timeout(2):
        await index.stop()


async def test_retrying_tries_again_after_a_failure_until_stopped() -> None:
    calls = 0
    going = asyncio.Event()

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OSError("refused")
        going.set()
        await asyncio.Event().wait()

    retrying = Retrying("try", attempt, retry_s=0.01)
    await retrying.start()
    async with asyncio.timeout(2):
        await going.wait()
    await retrying.stop()
    await retrying.stop()
    assert calls == 3


class FakeProducer:
    """Acknowledges every record, except from the `refuse_from`-th send on (refused at once)."""

    def __init__(self, refuse_from: int | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self._refuse_from = refuse_from

    async def send(self, topic: str, **record: Any) -> "asyncio.Future[None]":
        if self._refuse_from is not None and len(self.sent) >= self._refuse_from:
            raise KafkaTimeoutError()
        self.sent.append({"topic": topic, **record})
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked


def _replays(*offsets: int) -> list[tuple[DeadLetter, DeadLetterReplayed]]:
    pairs = []
    for offset in offsets:
        entry = dead_letter_of(dead_letter_record(f"m-{offset}", offset))
        assert entry is not None
        replayed = DeadLetterReplayed(
            entry_id=entry.id, destination_id=DESTINATION_ID, replayed_at=AT, replayed_by="admin"
        )
        pairs.append((entry, replayed))
    return pairs


async def test_publisher_sends_the_deliveries_then_records_the_replays() -> None:
    publisher = KafkaReplayPublisher()
    producer = FakeProducer()
    publisher._producer = producer  # as `start()` would once connected
    outcome = await publisher.publish(_replays(0, 1))
    assert (len(outcome.replayed), outcome.failure) == (2, None)
    assert [(s["topic"], s["key"]) for s in producer.sent] == [
        (topics.DELIVERIES, b"dev-1"),
        (topics.DELIVERIES, b"dev-1"),
        (topics.DELIVERY_REPLAYS, b"3-0"),
        (topics.DELIVERY_REPLAYS, b"3-1"),
    ]
    assert producer.sent[0]["value"] == dumps(a_delivery("m-0"))
    assert producer.sent[0]["headers"] == delivery_headers("m-0") + [(h.REPLAY_OF, b"3-0")]
    assert loads(DeadLetterReplayed, producer.sent[3]["value"]).entry_id == "3-1"


async def test_publisher_stops_at_a_refused_send_and_records_only_what_went() -> None:
    publisher = KafkaReplayPublisher()
    producer = FakeProducer(refuse_from=1)
    publisher._producer = producer
    outcome = await publisher.publish(_replays(0, 1, 2))
    # 3-0's delivery went (its record of the replay was refused: still replayed), no other.
    assert [r.entry_id for r in outcome.replayed] == ["3-0"]
    assert [s["topic"] for s in producer.sent] == [topics.DELIVERIES]
    assert outcome.failure is not None and "KafkaTimeoutError" in outcome.failure


async def test_publisher_without_a_connection_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        await KafkaReplayPublisher().publish(_replays(0))
