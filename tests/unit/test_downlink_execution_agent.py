"""The router's downlink agent with a fake producer and registry view: what it publishes
on a queued downlink (a report) and on an executing LoRa one (the network server's
record), what it ignores, and its per-message error boundary."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from prometheus_client import REGISTRY

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.common import topics
from senflow.common.downlinks import DownlinkReport, DownlinkSnapshot, LoraDownlink
from senflow.common.events import ChangeEvent, CodecSnapshot
from senflow.common.headers import KafkaHeaders
from senflow.common.serde import dumps, loads
from senflow.router.downlink_agent import DownlinkExecutor
from senflow.router.downlink_encoders import EncoderResolver
from tests.unit.test_downlink_execution import (
    CAYENNE,
    CAYENNE_HEX,
    DEV_EUI,
    INTERVAL,
    NOW,
    SETPOINT,
    THROWS,
    diy,
    snapshot,
)


@dataclass
class FakeKafka:
    """Records what is sent; answers at once (refusing LoRa records when told to)."""

    refuse_lora: bool = False
    sent: list[tuple[str, bytes | None, bytes | None]] = field(default_factory=list)
    watched: list["asyncio.Future[Any]"] = field(default_factory=list)

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, _headers: KafkaHeaders
    ) -> "asyncio.Future[Any]":
        self.sent.append((topic, key, value))
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic == topics.DOWNLINKS_LORA and self.refuse_lora:
            answer.set_exception(RuntimeError("refused"))
        else:
            answer.set_result(None)
        return answer

    def reports(self) -> list[DownlinkReport]:
        return [loads(DownlinkReport, v) for t, _, v in self.sent if t == topics.DOWNLINK_REPORTS]

    def lora(self) -> list[tuple[bytes | None, LoraDownlink]]:
        return [(k, loads(LoraDownlink, v)) for t, k, v in self.sent if t == topics.DOWNLINKS_LORA]


@dataclass
class FakeFollower:
    on_catch_up: Callable[[], None] = lambda: None
    catch_ups: list[float | None] = field(default_factory=list)

    async def wait_loaded(self) -> None:
        return None

    async def catch_up(self, since: float | None, timeout_s: float = 5.0) -> None:
        self.catch_ups.append(since)
        self.on_catch_up()


def executing(downlink: DownlinkSnapshot, payload_hex: str, f_port: int | None) -> DownlinkSnapshot:
    """The downlink as the registry publishes it once it applied an executing report."""
    return downlink.model_copy(
        update={"status": "executing", "payload_hex": payload_hex, "f_port": f_port}
    )


def event(downlink: DownlinkSnapshot | None, version: int = 1) -> bytes:
    return dumps(
        ChangeEvent[DownlinkSnapshot](
            event_id=f"e-{version}",
            event_type="DownlinkQueued",
            entity_type="downlink",
            entity_id="dl-1",
            entity_version=version,
            customer_id="c-1",
            occurred_at=NOW,
            snapshot=downlink,
        )
    )


def executor(
    kafka: FakeKafka,
    codecs: dict[str, CodecSnapshot] | None = None,
    follower: FakeFollower | None = None,
    encoders: Any = None,
) -> DownlinkExecutor:
    return DownlinkExecutor(
        kafka.send,
        kafka.watched.append,
        follower or FakeFollower(),
        encoders or EncoderResolver((codecs if codecs is not None else {}).get),
        clock=lambda: NOW,
    )


def executed_count(network_type: str, outcome: str) -> float:
    sample = REGISTRY.get_sample_value(
        "senflow_router_downlinks_executed_total",
        {"network_type": network_type, "outcome": outcome},
    )
    return sample or 0.0


async def test_a_queued_lora_downlink_is_only_reported_executing_with_its_bytes() -> None:
    kafka = FakeKafka()
    before = executed_count("KPNLORA", "executing")
    await executor(kafka).handle(event(snapshot(CAYENNE, "cayenne-lpp-encoder")), NOW.timestamp())

    assert kafka.lora() == []  # not before the registry accepted the report
    [report] = kafka.reports()
    assert (report.status, report.payload_hex, report.f_port) == ("executing", CAYENNE_HEX, 1)
    assert kafka.sent[-1][1] == b"dl-1"  # reports are keyed by downlink id
    await asyncio.sleep(0)  # done callbacks run on the loop's next turn
    assert len(kafka.watched) == 1  # its answer is watched
    assert executed_count("KPNLORA", "executing") == before + 1


async def test_the_registrys_executing_lora_downlink_is_handed_to_the_network_server() -> None:
    kafka = FakeKafka()
    queued = snapshot(CAYENNE, "cayenne-lpp-encoder", confirmed=True)
    await executor(kafka).handle(event(executing(queued, CAYENNE_HEX, 1), 2), None)

    [(key, lora)] = kafka.lora()
    assert key == DEV_EUI.encode()
    assert (lora.correlation_id, lora.payload_hex, lora.f_port) == ("dl-1", CAYENNE_HEX, 1)
    assert lora.confirmed and lora.expires_at == queued.expires_at
    assert kafka.reports() == []
    await asyncio.sleep(0)
    assert len(kafka.watched) == 1


async def test_a_downlink_cancelled_before_the_router_acts_never_reaches_the_network_server() -> (
    None
):
    # The router lags: it reads the queued event after the API cancelled the downlink. Its
    # executing report is then refused by the registry (tested there), so no executing
    # event follows; the cancelled one changes nothing here.
    kafka = FakeKafka()
    agent = executor(kafka)
    queued = snapshot(CAYENNE, "cayenne-lpp-encoder")
    await agent.handle(event(queued), None)
    await agent.handle(event(queued.model_copy(update={"status": "cancelled"}), 2), None)
    assert kafka.lora() == []
    assert [r.status for r in kafka.reports()] == ["executing"]


async def test_an_executing_lora_downlink_without_its_bytes_fails_and_is_not_sent() -> None:
    kafka = FakeKafka()
    await executor(kafka).handle(event(snapshot(CAYENNE, status="executing"), 2), None)
    assert kafka.lora() == []
    [report] = kafka.reports()
    assert report.status == "failed"
    assert (report.reason or "").startswith("internal-error: executing without the encoded")


async def test_an_executing_lora_downlink_past_its_time_to_live_is_not_handed_over() -> None:
    kafka = FakeKafka()
    before = executed_count("KPNLORA", "expired")
    late = executing(snapshot(CAYENNE, expires_at=NOW), CAYENNE_HEX, 1)
    await executor(kafka).handle(event(late, 2), None)
    assert kafka.sent == []
    assert executed_count("KPNLORA", "expired") == before + 1


async def test_an_internet_downlink_is_only_reported_executing_with_its_bytes() -> None:
    kafka = FakeKafka()
    internet = snapshot(
        SETPOINT, network_type="INTERNET", identifier="5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b"
    )
    await executor(kafka).handle(event(internet), None)
    assert kafka.lora() == []
    [report] = kafka.reports()
    assert report.status == "executing"
    assert orjson.loads(bytes.fromhex(report.payload_hex or "")) == SETPOINT["senml"]


async def test_an_encoder_failure_publishes_only_the_failed_report() -> None:
    kafka = FakeKafka()
    before = executed_count("KPNLORA", "failed")
    codecs = {"diy-1": diy(THROWS)}
    await executor(kafka, codecs).handle(event(snapshot({"data": {"a": 1}}, "diy-1")), None)
    assert kafka.lora() == []
    [report] = kafka.reports()
    assert report.status == "failed"
    assert report.reason is not None
    assert report.reason.startswith("script-error: diy-1: Error: valve jammed")
    assert executed_count("KPNLORA", "failed") == before + 1


async def test_a_bug_fails_that_downlink_and_the_agent_goes_on() -> None:
    def broken(_command: EncodeInput, _ctx: EncodeContext) -> EncodeOutput:
        raise ZeroDivisionError("division by zero")

    def lookup(encoder_id: str | None, customer_id: str) -> Encoder | None:
        if encoder_id == "broken":
            return Encoder("broken", 1, "b", broken)
        return EncoderResolver(lambda _: None)(encoder_id, customer_id)

    kafka = FakeKafka()
    agent = executor(kafka, encoders=lookup)
    await agent.handle(event(snapshot(CAYENNE, "broken")), None)
    await agent.handle(event(snapshot(CAYENNE, "cayenne-lpp-encoder")), None)
    first, second = kafka.reports()
    assert (first.status, first.reason) == (
        "failed",
        "internal-error: ZeroDivisionError: division by zero",
    )
    assert second.status == "executing"


async def test_an_encoder_published_a_moment_before_is_found_after_catching_up() -> None:
    kafka = FakeKafka()
    codecs: dict[str, CodecSnapshot] = {}
    follower = FakeFollower(on_catch_up=lambda: codecs.update({"diy-1": diy(INTERVAL)}))
    published_at = datetime(2026, 11, 26, 9, 59, tzinfo=UTC).timestamp()
    downlink = snapshot({"data": {"interval": 3}}, "diy-1")
    await executor(kafka, codecs, follower).handle(event(downlink), published_at)
    assert follower.catch_ups == [published_at]
    [report] = kafka.reports()
    assert (report.status, report.payload_hex) == ("executing", "0103")


async def test_an_encoder_still_unknown_after_catching_up_fails_the_downlink() -> None:
    kafka = FakeKafka()
    follower = FakeFollower()
    await executor(kafka, follower=follower).handle(event(snapshot(CAYENNE, "diy-x")), None)
    assert len(follower.catch_ups) == 1
    [report] = kafka.reports()
    assert report.status == "failed" and (report.reason or "").startswith("unknown-encoder:")


@pytest.mark.parametrize(
    "value",
    [
        None,  # a tombstone
        b"",
        b"{not json",
        event(None),
        event(executing(snapshot(SETPOINT, network_type="MQTT", identifier="c1"), "01", None), 2),
        event(snapshot(CAYENNE, "cayenne-lpp-encoder", status="sent"), 3),
        event(snapshot(CAYENNE, "cayenne-lpp-encoder", status="cancelled"), 2),
    ],
    ids=["tombstone", "empty", "unreadable", "no snapshot", "MQTT executing", "sent", "cancelled"],
)
async def test_anything_but_a_queued_or_an_executing_lora_downlink_is_ignored(
    value: bytes | None,
) -> None:
    kafka = FakeKafka()
    await executor(kafka).handle(value, None)
    assert kafka.sent == []


async def test_a_queued_downlink_past_its_time_to_live_is_not_executed() -> None:
    kafka = FakeKafka()
    before = executed_count("KPNLORA", "expired")
    await executor(kafka).handle(event(snapshot(CAYENNE, "cayenne-lpp-encoder", expires_at=NOW)), 0)
    assert kafka.sent == []
    assert executed_count("KPNLORA", "expired") == before + 1


async def test_a_lora_record_kafka_refuses_is_watched() -> None:
    kafka = FakeKafka(refuse_lora=True)
    downlink = executing(snapshot(CAYENNE, "cayenne-lpp-encoder"), CAYENNE_HEX, 1)
    await executor(kafka).handle(event(downlink, 2), None)
    assert [t for t, _, _ in kafka.sent] == [topics.DOWNLINKS_LORA]
    await asyncio.sleep(0)  # done callbacks run on the loop's next turn
    # In the router the watcher stops the process before faust commits past the event.
    [watched] = kafka.watched
    assert isinstance(watched.exception(), RuntimeError)


async def test_the_agent_runs_every_event_of_its_stream() -> None:
    async def events() -> AsyncIterator[Any]:
        for value in (None, event(snapshot(CAYENNE, "cayenne-lpp-encoder"))):
            yield SimpleNamespace(value=value, message=SimpleNamespace(timestamp=0.0))

    kafka = FakeKafka()
    await executor(kafka).run(SimpleNamespace(events=events))
    assert [r.status for r in kafka.reports()] == ["executing"]
