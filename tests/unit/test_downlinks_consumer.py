"""The downlink consumer's per-record error boundary: each record of the reports, LoRa
results and requests topics is parsed and applied, and what became of it is counted; a
bad record or a failure on one is passed over, only the database being away stops the
batch; a consumer that fails to start is stopped before the next try. The use case and
the Kafka consumer are fakes: no Kafka, no database."""

import asyncio
import json
import logging
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY

from senflow.common import topics
from senflow.common.downlinks import DownlinkRequest
from senflow.registry.adapters import downlink_consumer
from senflow.registry.adapters.downlink_consumer import DownlinkConsumer, handle
from senflow.registry.adapters.keep_running import keep_running
from senflow.registry.domain.downlink_status import (
    APPLIED,
    DUPLICATE,
    INTERNAL_ERROR,
    INVALID_RECORD,
    NOT_ALLOWED,
    Outcome,
    StatusChange,
)
from senflow.registry.errors import Unavailable

AT = datetime(2026, 11, 25, 10, 32, 30, tzinfo=UTC).isoformat()
DOWNLINK = "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d"


class FakeUpdates:
    def __init__(self, outcome: Outcome = APPLIED, fails: Exception | None = None) -> None:
        self.outcome = outcome
        self.fails = fails
        self.changes: list[StatusChange] = []
        self.requests: list[DownlinkRequest] = []

    async def apply(self, change: StatusChange) -> Outcome:
        if self.fails is not None:
            raise self.fails
        self.changes.append(change)
        return self.outcome

    async def request(self, req: DownlinkRequest) -> Outcome:
        if self.fails is not None:
            raise self.fails
        self.requests.append(req)
        return self.outcome


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def report(status: str, **extra: object) -> bytes:
    body = {"downlink_id": DOWNLINK, "status": status, "reported_at": AT, "reporter": "router"}
    return json.dumps(body | extra).encode()


def lora_result(result: str) -> bytes:
    return json.dumps({"correlation_id": DOWNLINK, "result": result, "at": AT}).encode()


def request() -> bytes:
    body = {
        "request_id": "0b9f4c1e-5d2a-5e3b-8c4d-9a1f2e3d4c5b",
        "customer_id": "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31",
        "device_id": DOWNLINK,
        "destination_id": "e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b",
        "delivery_id": "d-1",
        "command": {"senml": [{"n": "interval", "v": 60}]},
        "requested_at": AT,
    }
    return json.dumps(body).encode()


async def test_a_report_is_applied_and_counted_by_its_status() -> None:
    updates = FakeUpdates()
    before = count("senflow_registry_downlink_updates_applied_total", status="executing")
    outcome = await handle(
        updates, topics.DOWNLINK_REPORTS, report("executing", payload_hex="01", f_port=2)
    )
    assert outcome == APPLIED
    assert updates.changes == [StatusChange(DOWNLINK, "executing", payload_hex="01", f_port=2)]
    after = count("senflow_registry_downlink_updates_applied_total", status="executing")
    assert after == before + 1


async def test_a_lora_result_is_applied_as_a_change_for_a_lora_downlink() -> None:
    updates = FakeUpdates()
    await handle(updates, topics.DOWNLINKS_LORA_RESULTS, lora_result("acknowledged"))
    assert updates.changes == [StatusChange(DOWNLINK, "acknowledged", network_type="KPNLORA")]


async def test_a_refused_report_is_counted_by_its_reason_when_the_machine_refuses_it() -> None:
    updates = FakeUpdates(Outcome(NOT_ALLOWED, "acknowledged -> sent"))
    before = count("senflow_registry_downlink_updates_ignored_total", reason=NOT_ALLOWED)
    outcome = await handle(updates, topics.DOWNLINKS_LORA_RESULTS, lora_result("sent"))
    assert outcome.ignored == NOT_ALLOWED
    after = count("senflow_registry_downlink_updates_ignored_total", reason=NOT_ALLOWED)
    assert after == before + 1


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (topics.DOWNLINK_REPORTS, b"{not json"),
        (topics.DOWNLINK_REPORTS, None),
        (topics.DOWNLINK_REPORTS, report("queued")),  # workers never report queued
        (topics.DOWNLINK_REPORTS, report("sent", extra_field=1)),
        (topics.DOWNLINKS_LORA_RESULTS, lora_result("delivered")),
        (topics.DOWNLINK_REQUESTS, b'{"request_id": "x"}'),
    ],
)
async def test_a_record_is_passed_over_when_it_is_not_its_topics_contract(
    topic: str, value: bytes | None
) -> None:
    updates = FakeUpdates()
    outcome = await handle(updates, topic, value)
    assert outcome.ignored == INVALID_RECORD
    assert updates.changes == [] and updates.requests == []


async def test_a_request_is_handed_over_and_a_duplicate_is_counted_as_skipped() -> None:
    updates = FakeUpdates(Outcome(DUPLICATE, "exists"))
    before = count("senflow_registry_downlink_requests_skipped_total", reason=DUPLICATE)
    outcome = await handle(updates, topics.DOWNLINK_REQUESTS, request())
    assert outcome.ignored == DUPLICATE
    assert [r.request_id for r in updates.requests] == ["0b9f4c1e-5d2a-5e3b-8c4d-9a1f2e3d4c5b"]
    after = count("senflow_registry_downlink_requests_skipped_total", reason=DUPLICATE)
    assert after == before + 1


async def test_a_record_is_passed_over_when_the_registry_fails_on_it() -> None:
    updates = FakeUpdates(fails=KeyError("a bug"))
    before = count("senflow_registry_downlink_updates_ignored_total", reason=INTERNAL_ERROR)
    outcome = await handle(updates, topics.DOWNLINK_REPORTS, report("sent"))
    assert outcome.ignored == INTERNAL_ERROR
    after = count("senflow_registry_downlink_updates_ignored_total", reason=INTERNAL_ERROR)
    assert after == before + 1


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("postgres away"),
        asyncpg.InterfaceError("connection closed"),
        asyncpg.CannotConnectNowError("starting up"),
        Unavailable("try again"),
    ],
)
async def test_the_batch_stops_when_the_database_is_away(error: Exception) -> None:
    with pytest.raises(type(error)):
        await handle(FakeUpdates(fails=error), topics.DOWNLINK_REPORTS, report("sent"))


class FailingStartConsumer:
    """An AIOKafkaConsumer whose start() fails (Kafka away) after it opened connections."""

    made: list["FailingStartConsumer"] = []
    third_made = asyncio.Event()

    def __init__(self, *_topics: str, **_config: object) -> None:
        self.stopped = False
        FailingStartConsumer.made.append(self)
        if len(FailingStartConsumer.made) == 3:
            FailingStartConsumer.third_made.set()

    async def start(self) -> None:
        raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")

    async def stop(self) -> None:
        self.stopped = True


async def test_a_consumer_whose_start_fails_is_stopped_before_the_next_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(downlink_consumer, "AIOKafkaConsumer", FailingStartConsumer)
    FailingStartConsumer.made.clear()
    FailingStartConsumer.third_made = asyncio.Event()
    consumer = DownlinkConsumer(FakeUpdates(), "127.0.0.1:9092", "g", retry_s=0.01)
    await consumer.start()
    async with asyncio.timeout(5):
        await FailingStartConsumer.third_made.wait()
    await consumer.stop()
    assert all(c.stopped for c in FailingStartConsumer.made[:-1])  # none leaks its client


async def test_the_consumer_loop_survives_a_stray_cancellation_and_ends_on_stop() -> None:
    rounds: list[int] = []
    second_round = asyncio.Event()

    async def round_() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise asyncio.CancelledError  # not ours: aiokafka re-raising its own
        second_round.set()
        await asyncio.sleep(3600)

    log = logging.getLogger("test")
    task = asyncio.create_task(keep_running(round_, name="t", retry_s=0.01, log=log))
    async with asyncio.timeout(5):
        await second_round.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
