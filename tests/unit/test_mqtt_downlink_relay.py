"""The MQTT bridge's downlink relay with a fake broker and a fake Kafka producer: publish,
then report, then commit; wait for an absent broker; fail what the broker refuses; never
stop on one bad record."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError

from senflow.common import topics
from senflow.common.downlinks import DownlinkReport, DownlinkSnapshot
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps, loads
from senflow.router.ingest.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge.downlinks import DownlinkRelay
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


def relay(broker: FakeBroker, producer: FakeProducer, clock: Clock | None = None) -> DownlinkRelay:
    return DownlinkRelay(
        broker,
        producer,
        "senflow/devices",
        retry_initial_s=0.001,
        retry_max_s=0.002,
        clock=clock or Clock(),
    )


async def test_executing_downlink_is_published_then_reported_sent_then_committed() -> None:
    broker, producer = FakeBroker(), FakeProducer()

    next_offset = await relay(broker, producer).handle(
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
    assert next_offset == 8


async def test_only_executing_mqtt_downlinks_are_published_and_all_records_are_committed() -> None:
    broker, producer = FakeBroker(), FakeProducer()
    records = [
        rec(0, "dl-1", value("dl-1", "queued")),
        rec(1, "dl-2", value("dl-2", network_type="INTERNET", identifier="x")),
        rec(2, "dl-3", None),
        rec(3, "dl-4", value("dl-4", ttl_s=-1)),  # expired already
    ]
    assert await relay(broker, producer).handle(records, asyncio.Event()) == 4
    assert broker.published == []
    assert producer.reports == []


async def test_downlink_superseded_within_the_fetch_is_not_published_again() -> None:
    broker, producer = FakeBroker(), FakeProducer()
    records = [rec(0, "dl-1", value("dl-1")), rec(1, "dl-1", value("dl-1", "sent"))]
    assert await relay(broker, producer).handle(records, asyncio.Event()) == 2
    assert broker.published == []


async def test_downlink_waits_for_the_broker_when_it_is_away_then_goes_out() -> None:
    broker = FakeBroker(BrokerUnavailable("down"), BrokerUnavailable("no PUBACK"))
    producer = FakeProducer()
    await relay(broker, producer).handle([rec(0, "dl-1", value("dl-1"))], asyncio.Event())
    assert [p[2] for p in broker.published] == ["dl-1"]
    assert [r.status for r in producer.reports] == ["sent"]


async def test_downlink_that_expires_while_the_broker_is_away_is_given_up() -> None:
    clock = Clock()

    class ExpiringBroker(FakeBroker):
        async def publish_downlink(self, *args: Any) -> None:
            clock.now += timedelta(seconds=700)
            raise BrokerUnavailable("down")

    broker, producer = ExpiringBroker(), FakeProducer()
    assert (
        await relay(broker, producer, clock).handle(
            [rec(0, "dl-1", value("dl-1"))], asyncio.Event()
        )
        == 1
    )
    assert producer.reports == []  # the registry expires it


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
    assert await relay(broker, producer).handle(records, asyncio.Event()) == 3
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
    assert await relay(broker, producer).handle(records, stopping) == 11
    assert [r.downlink_id for r in producer.reports] == ["dl-1"]


async def test_empty_fetch_commits_nothing() -> None:
    assert await relay(FakeBroker(), FakeProducer()).handle([], asyncio.Event()) is None
