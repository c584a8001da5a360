"""The ingest's answer to a stored uplink: 204, or 200 with the device's downlink, whose
`sent` report goes to Kafka first. No Kafka: a fake producer stands in."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaConnectionError

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.downlinks import DownlinkReport, DownlinkSnapshot
from senflow.common.events import ChangeEvent, DeviceSnapshot
from senflow.common.serde import dumps, loads
from senflow.router.downlink_payload import DevicePayload, device_payload
from senflow.router.ingest.answer import uplink_answer
from senflow.router.ingest.downlinks import DownlinkHandout
from senflow.router.ingest.pending import PendingDownlink

NOW = datetime.now(UTC)
DEVICE = DeviceSnapshot(
    id="dev-1", customer_id="cust-1", name="d", specification_id="s", status="active"
)


def snapshot(downlink_id: str = "dl-1", **fields: Any) -> DownlinkSnapshot:
    # Expiry counts from now, not from import: a full run collects this module minutes
    # before it runs these tests.
    now = datetime.now(UTC)
    return DownlinkSnapshot.model_validate(
        {
            "id": downlink_id,
            "customer_id": "cust-1",
            "device_id": "dev-1",
            "network_type": "INTERNET",
            "identifier": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "command": {"senml": [{"n": "interval", "v": 60}]},
            "status": "executing",
            "created_at": now,
            "expires_at": now + timedelta(minutes=10),
            "status_changed_at": now,
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # A SenML command sent as it is: its records as JSON, empty fields left out.
        (
            {"command": {"senml": [{"bn": "urn:dev:x:", "n": "interval", "v": 60}, {"vb": True}]}},
            DevicePayload(
                b'[{"bn":"urn:dev:x:","n":"interval","v":60},{"vb":true}]',
                "application/senml+json",
            ),
        ),
        # The same, whatever bytes the executor recorded for it.
        (
            {"payload_hex": "5B5D"},
            DevicePayload(b'[{"n":"interval","v":60}]', "application/senml+json"),
        ),
        # Encoded by the flow's encoder: its bytes.
        (
            {"encoder_id": "thingsml-encoder", "payload_hex": "81A202F94D601737"},
            DevicePayload(bytes.fromhex("81A202F94D601737"), "application/octet-stream"),
        ),
        # A raw payload without an encoder, before or after the executor copied it.
        (
            {"command": {"payload_hex": "0164"}},
            DevicePayload(b"\x01\x64", "application/octet-stream"),
        ),
        (
            {"command": {"payload_hex": "0164"}, "payload_hex": "0164"},
            DevicePayload(b"\x01\x64", "application/octet-stream"),
        ),
        # Encoded, but the bytes are missing: nothing to send.
        ({"encoder_id": "thingsml-encoder"}, None),
    ],
)
def test_device_payload_is_the_senml_json_or_the_encoded_bytes(
    fields: dict[str, Any], expected: DevicePayload | None
) -> None:
    assert device_payload(snapshot(**fields)) == expected


def pending(payload: DevicePayload) -> PendingDownlink:
    return PendingDownlink("dl-1", "cust-1", "dev-1", "INTERNET", NOW, NOW, 2, payload)


def test_answer_is_204_with_the_message_id_when_no_downlink_waits() -> None:
    answer = uplink_answer("msg-1", None)
    assert answer.status == 204
    assert answer.body is None
    assert answer.headers["Senflow-Message-Id"] == "msg-1"
    assert "Senflow-Downlink-Id" not in answer.headers


@pytest.mark.parametrize(
    "payload",
    [
        DevicePayload(b'[{"n":"interval","v":60}]', "application/senml+json"),
        DevicePayload(b"\x01\x64", "application/octet-stream"),
    ],
)
def test_answer_is_200_with_the_downlink_body_and_ids_when_one_waits(
    payload: DevicePayload,
) -> None:
    answer = uplink_answer("msg-1", pending(payload))
    assert answer.status == 200
    assert answer.body == payload.body
    assert answer.content_type == payload.content_type
    assert answer.headers["Senflow-Message-Id"] == "msg-1"
    assert answer.headers["Senflow-Downlink-Id"] == "dl-1"


class FakeProducer:
    def __init__(self, fail: BaseException | None = None, delay_s: float = 0) -> None:
        self.fail = fail
        self.delay_s = delay_s
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def send_and_wait(self, topic: str, *, key: bytes, value: bytes) -> None:
        await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        self.sent.append((topic, key, value))


@pytest.fixture(autouse=True)
def view_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CompactedTopicView, "loaded", property(lambda self: True))


def handout(producer: FakeProducer, timeout_s: float = 1.0) -> DownlinkHandout:
    h = DownlinkHandout(
        "unused:9092",
        producer,
        report_timeout_s=timeout_s,
        max_per_device=8,
        max_total=100,
    )
    executing = ChangeEvent[DownlinkSnapshot](
        event_id="e",
        event_type="DownlinkExecuting",
        entity_type="downlink",
        entity_id="dl-1",
        entity_version=2,
        customer_id="cust-1",
        occurred_at=datetime.now(UTC),
        snapshot=snapshot(),
    )
    h.apply(topics.DOWNLINKS, b"dl-1", dumps(executing))
    return h


async def test_take_reports_sent_then_hands_the_downlink_out_once() -> None:
    producer = FakeProducer()
    h = handout(producer)

    taken = await h.take(DEVICE, "INTERNET")

    assert taken is not None and taken.id == "dl-1"
    [(topic, key, value)] = producer.sent
    assert (topic, key) == (topics.DOWNLINK_REPORTS, b"dl-1")
    report = loads(DownlinkReport, value)
    assert (report.downlink_id, report.status, report.reporter) == ("dl-1", "sent", "ingest")
    assert await h.take(DEVICE, "INTERNET") is None


@pytest.mark.parametrize(
    ("fail", "delay_s"), [(KafkaConnectionError(), 0.0), (None, 5.0)], ids=["refused", "slow"]
)
async def test_take_answers_with_the_downlink_and_keeps_it_pending_when_the_report_is_unacked(
    fail: BaseException | None, delay_s: float
) -> None:
    h = handout(FakeProducer(fail, delay_s), timeout_s=0.05)

    first = await h.take(DEVICE, "INTERNET")
    again = await h.take(DEVICE, "INTERNET")

    assert first is not None and again is not None
    assert first.id == again.id == "dl-1"


async def test_take_leaves_the_downlink_pending_when_cancelled_during_the_report() -> None:
    producer = FakeProducer(delay_s=5.0)
    h = handout(producer, timeout_s=10)
    task = asyncio.create_task(h.take(DEVICE, "INTERNET"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    producer.delay_s = 0
    taken = await h.take(DEVICE, "INTERNET")
    assert taken is not None and taken.id == "dl-1"


async def test_take_gives_nothing_when_the_view_stopped_following(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = handout(FakeProducer())
    monkeypatch.setattr(CompactedTopicView, "loaded", property(lambda self: False))
    assert await h.take(DEVICE, "INTERNET") is None


async def test_unreadable_downlink_event_is_skipped() -> None:
    h = handout(FakeProducer())
    h.apply(topics.DOWNLINKS, b"dl-2", orjson.dumps({"not": "an event"}))
    h.apply(topics.DOWNLINKS, None, b"{}")
    # What was held before is still held, and the bad records added nothing.
    taken = await h.take(DEVICE, "INTERNET")
    assert taken is not None and taken.id == "dl-1"
    assert await h.take(DEVICE, "INTERNET") is None
