"""The MQTT bridge's downlink relay with a fake broker, a fake Kafka producer and a fake
consumer: publish, then report, then commit; wait for an absent broker while polling on;
fail what the broker refuses; never stop on one bad record."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError

from senflow.common import topics
from senflow.common.downlinks import DownlinkReport, DownlinkSnapshot
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps, loads
from senflow.router.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge.downlinks import DownlinkRelay, Progress
from senflow.router.mqtt_bridge.errors import BrokerUnavailable, PublishRefused

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def value(downlink_id: str, status: str = "executing", ttl_s: float = 600, **fields: Any) -> bytes:
    snapshot = DownlinkSnapshot.model_validate(
        {
            "id": downlink_id,
            "customer_id": "cust-1",
            "device_id": "dev-1",
            "network_type": "MQTT",
            "identifier": "meter-1",
            "command": {"payload_hex": "0164"},
            "status": status,
            "created_at": NOW,
            "expires_at": NOW + timedelta(seconds=ttl_s),
            "status_changed_at": NOW,
            **fields,
        }
    )
    event = ChangeEvent[DownlinkSnapshot](
        event_id=f"{downlink_id}-{status}",
        event_type="DownlinkChanged",
        entity_type="downlink",
        entity_id=downlink_id,
        entity_version=2,
        customer_id="cust-1",
        occurred_at=NOW,
        snapshot=snapshot,
    )
    return dumps(event)


def rec(offset: int, key: str, data: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topics.DOWNLINKS, 0, offset, 0, 0, key.encode(), data, None, 0, 0, ())


class FakeBroker:
    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)  # one per attempt; then success
        self.published: list[tuple[str, DevicePayload, str, int]] = []

    async def publish_downlink(
        self, topic: str, payload: DevicePayload, downlink_id: str, expiry_s: int
    ) -> None:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.published.append((topic, payload, downlink_id, expiry_s))


class FakeProducer:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.reports: list[DownlinkReport] = []

    async def send_and_wait(self, topic: str, *, key: bytes, value: bytes) -> None:
        assert topic == topics.DOWNLINK_REPORTS
        if self.failures:
            self.failures -= 1
            raise KafkaConnectionError()
        report = loads(DownlinkReport, value)
        assert key == report.downlink_id.encode()
        self.reports.append(report)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def relay(
    broker: FakeBroker, producer: FakeProducer, clock: Clock | None = None, **options: Any
) -> DownlinkRelay:
    return DownlinkRelay(
        broker,
        producer,
        "senflow/devices",
        retry_initial_s=options.pop("retry_initial_s", 0.001),
        retry_max_s=options.pop("retry_max_s", 0.002),
        clock=clock or Clock(),
        **options,
    )


TP = TopicPartition(topics.DOWNLINKS, 0)


class FakeConsumer:
    """One partition's log, read from a position as aiokafka does: `seek` moves it, a
    paused partition returns nothing, `commit` keeps what was committed. `stopping` is set
    once `idle_polls` polls in a row found nothing to read."""

    def __init__(self, log: Sequence[ConsumerRecord[bytes, bytes]], stopping: asyncio.Event):
        self.log = list(log)
        self.position = 0
        self.paused = False
        self.polls = 0
        self.polls_while_paused = 0
        self.committed: list[int] = []
        self._stopping = stopping
        self._idle = 0

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, Any]:
        self.polls += 1
        if self.paused:
            self.polls_while_paused += 1
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        records = [r for r in self.log if r.offset >= self.position][:max_records]
        if not records:
            self._idle += 1
            if self._idle >= 3:
                self._stopping.set()
            return {}
        self._idle = 0
        self.position = records[-1].offset + 1
        return {TP: records}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.append(offsets[TP])

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.position = offset

    def pause(self, *tps: TopicPartition) -> None:
        self.paused = True

    def resume(self, *tps: TopicPartition) -> None:
        self.paused = False


async def run(
    downlinks: DownlinkRelay, records: Sequence[ConsumerRecord[bytes, bytes]]
) -> FakeConsumer:
    stopping = asyncio.Event()
    consumer = FakeConsumer(records, stopping)
    async with asyncio.timeout(10):
        await downlinks.run(consumer, stopping)  # type: ignore[arg-type]
    return consumer


async def test_executing_downlink_is_published_then_reported_sent_then_committed() -> None:
    broker, producer = FakeBroker(), FakeProducer()

    progress = await relay(broker, producer).handle(
        [rec(7, "dl-1", value("dl-1"))], asyncio.Event()
    )

    assert broker.published == [
        (
            "senflow/devices/meter-1/down",
            DevicePayload(b"\x01\x64", "application/octet-stream"),
            "dl-1",
            600,
        )
    ]
    [report] = producer.reports
    assert (report.downlink_id, report.status, report.reporter) == ("dl-1", "sent", "mqtt-bridge")
    assert progress == Progress(8)


async def test_only_executing_mqtt_downlinks_are_published_and_all_records_are_committed() -> None:
    broker, producer = FakeBroker(), FakeProducer()
    records = [
        rec(0, "dl-1", value("dl-1", "queued")),
        rec(1, "dl-2", value("dl-2", network_type="INTERNET", identifier="x")),
        rec(2, "dl-3", None),
        rec(3, "dl-4", value("dl-4", ttl_s=-1)),  # expired already
    ]
    assert await relay(broker, producer).handle(records, asyncio.Event()) == Progress(4)
    assert broker.published == []
    assert producer.reports == []


async def test_downlink_superseded_within_the_fetch_is_not_published_again() -> None:
    broker, producer = FakeBroker(), FakeProducer()
    records = [rec(0, "dl-1", value("dl-1")), rec(1, "dl-1", value("dl-1", "sent"))]
    assert await relay(broker, producer).handle(records, asyncio.Event()) == Progress(2)
    assert broker.published == []


async def test_a_downlink_waiting_for_the_broker_hands_its_partition_back_to_the_poll_loop() -> (
    None
):
    broker, producer = FakeBroker(BrokerUnavailable("down")), FakeProducer()
    records = [rec(3, "dl-0", value("dl-0", "sent")), rec(4, "dl-1", value("dl-1"))]
    progress = await relay(broker, producer).handle(records, asyncio.Event())
    assert progress == Progress(4, unfinished=True, waiting=True)
    assert broker.published == [] and producer.reports == []


async def test_downlink_waits_for_the_broker_while_the_consumer_keeps_polling_then_goes_out() -> (
    None
):
    # Waiting inside a batch for as long as the broker is away (up to the downlink's time
    # to live) would outlast max_poll_interval_ms: the group would hand the partition to
    # another replica, which would publish it too. The relay polls on meanwhile.
    outage = [BrokerUnavailable("down"), BrokerUnavailable("no PUBACK"), BrokerUnavailable("x")]
    broker, producer = FakeBroker(*outage), FakeProducer()
    downlinks = relay(broker, producer, retry_initial_s=0.05, retry_max_s=0.1)
    consumer = await run(downlinks, [rec(0, "dl-1", value("dl-1")), rec(1, "dl-2", value("dl-2"))])
    assert [p[2] for p in broker.published] == ["dl-1", "dl-2"]  # each once, in order
    assert [r.status for r in producer.reports] == ["sent", "sent"]
    assert consumer.polls_while_paused >= 3  # polled on through every wait
    assert consumer.committed[-1] == 2


async def test_downlink_deleted_while_it_waits_for_the_broker_is_never_published() -> None:
    # Its device was deleted (a tombstone) or its identity changed (failed) meanwhile: the
    # records read again after the wait include the later one, which supersedes it.
    stopping = asyncio.Event()
    consumer: FakeConsumer

    class AwayOnce(FakeBroker):
        async def publish_downlink(self, *args: Any) -> None:
            consumer.log.append(rec(1, "dl-1", None))  # arrives while it waits
            raise BrokerUnavailable("down")

    broker, producer = AwayOnce(), FakeProducer()
    consumer = FakeConsumer([rec(0, "dl-1", value("dl-1"))], stopping)
    async with asyncio.timeout(10):
        await relay(broker, producer).run(consumer, stopping)  # type: ignore[arg-type]
    assert broker.published == [] and producer.reports == []
    assert consumer.committed[-1] == 2


async def test_downlink_that_expires_while_the_broker_is_away_is_given_up() -> None:
    clock = Clock()

    class ExpiringBroker(FakeBroker):
        async def publish_downlink(self, *args: Any) -> None:
            clock.now += timedelta(seconds=700)
            raise BrokerUnavailable("down")

    broker, producer = ExpiringBroker(), FakeProducer()
    consumer = await run(relay(broker, producer, clock), [rec(0, "dl-1", value("dl-1"))])
    assert producer.reports == []  # the registry expires it
    assert consumer.committed[-1] == 1


async def test_a_long_batch_hands_back_to_the_poll_loop_and_goes_on_from_where_it_was() -> None:
    class SlowBroker(FakeBroker):
        async def publish_downlink(self, *args: Any) -> None:
            await asyncio.sleep(0.02)  # a slow PUBACK
            await super().publish_downlink(*args)

    broker, producer = SlowBroker(), FakeProducer()
    records = [rec(i, f"dl-{i}", value(f"dl-{i}")) for i in range(5)]
    downlinks = relay(broker, producer, max_batch_s=0.03)
    progress = await downlinks.handle(records, asyncio.Event())
    assert progress.unfinished and not progress.waiting
    assert progress.next_offset == len(broker.published) < 5

    broker.published.clear()
    consumer = await run(relay(broker, FakeProducer(), max_batch_s=0.03), records)
    assert [p[2] for p in broker.published] == [f"dl-{i}" for i in range(5)]
    assert consumer.polls > 2 and consumer.committed[-1] == 5


async def test_downlink_the_broker_refuses_is_reported_failed_with_the_reason() -> None:
    broker = FakeBroker(PublishRefused("the MQTT broker refused the publish: Not authorized"))
    producer = FakeProducer()
    await relay(broker, producer).handle([rec(0, "dl-1", value("dl-1"))], asyncio.Event())
    [report] = producer.reports
    assert report.status == "failed"
    assert report.reason is not None and "Not authorized" in report.reason


async def test_downlink_whose_client_id_makes_no_topic_is_reported_failed() -> None:
    broker, producer = FakeBroker(), FakeProducer()
    record = rec(0, "dl-1", value("dl-1", identifier="a/b"))
    await relay(broker, producer).handle([record], asyncio.Event())
    assert broker.published == []
    assert [r.status for r in producer.reports] == ["failed"]


async def test_report_is_sent_again_when_kafka_does_not_acknowledge_and_not_published_again() -> (
    None
):
    broker, producer = FakeBroker(), FakeProducer(failures=2)
    await relay(broker, producer).handle([rec(0, "dl-1", value("dl-1"))], asyncio.Event())
    assert len(broker.published) == 1
    assert [r.status for r in producer.reports] == ["sent"]


async def test_bad_record_is_passed_over_and_the_next_still_goes_out() -> None:
    class BuggyBroker(FakeBroker):
        async def publish_downlink(self, topic: str, *args: Any) -> None:
            if "boom" in topic:
                raise RuntimeError("a bug")
            await super().publish_downlink(topic, *args)

    broker, producer = BuggyBroker(), FakeProducer()
    records = [
        rec(0, "x", b"not json"),
        rec(1, "dl-0", value("dl-0", identifier="boom")),
        rec(2, "dl-1", value("dl-1")),
    ]
    assert await relay(broker, producer).handle(records, asyncio.Event()) == Progress(3)
    assert [p[2] for p in broker.published] == ["dl-1"]


async def test_stopping_while_the_broker_is_away_commits_only_what_was_handled() -> None:
    stopping = asyncio.Event()

    class AwayBroker(FakeBroker):
        async def publish_downlink(
            self, topic: str, payload: DevicePayload, downlink_id: str, expiry_s: int
        ) -> None:
            if downlink_id == "dl-2":
                stopping.set()
                raise BrokerUnavailable("down")
            await super().publish_downlink(topic, payload, downlink_id, expiry_s)

    broker, producer = AwayBroker(), FakeProducer()
    records = [
        rec(10, "dl-1", value("dl-1")),
        rec(11, "dl-2", value("dl-2")),
        rec(12, "dl-3", value("dl-3")),
    ]
    progress = await relay(broker, producer).handle(records, stopping)
    assert progress.next_offset == 11 and progress.unfinished
    assert [r.downlink_id for r in producer.reports] == ["dl-1"]


async def test_empty_fetch_commits_nothing() -> None:
    progress = await relay(FakeBroker(), FakeProducer()).handle([], asyncio.Event())
    assert progress.next_offset is None
