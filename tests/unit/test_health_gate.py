"""The health gate around each attempt, inside the retrying wrapper as the factory composes
it (refusals, probes, retries cut short), and the delivery outcome events, with a scripted
sink, a fake clock and a fake producer (no Kafka)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import REGISTRY

from senflow.common import topics
from senflow.common.delivery_outcomes import DeliveryOutcome
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.common.serde import loads
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.health import Admission, HealthTracker
from senflow.dispatcher.outcomes import OutcomeReporter
from senflow.dispatcher.sinks.health_gate import HealthGatedSink
from senflow.dispatcher.sinks.retrying import RetryingSink
from tests.support.clock import FakeClock
from tests.support.deliveries import DESTINATION_ID, a_delivery, a_destination
from tests.support.fake_batches import FakeBatch


@dataclass
class ScriptedSink:
    """Fails with `failures` (in order), then delivers; counts its calls."""

    failures: list[DeliveryFailed] = field(default_factory=list)
    calls: int = 0

    async def deliver(self, _d: Any, _destination: DestinationSnapshot, _attempt: int) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)


@dataclass
class FakeProducer:
    """Records what is sent, in batches; answers each batch with `answer` (None =
    acknowledged)."""

    answer: BaseException | None = None
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    async def partitions_for(self, _topic: str) -> set[int]:
        return {0, 1}

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(
        self, batch: FakeBatch, topic: str, *, partition: int
    ) -> "asyncio.Future[object]":
        self.sent.extend((topic, key, value) for key, value in batch.records)
        answered: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.answer is None:
            answered.set_result(None)
        else:
            answered.set_exception(self.answer)
        return answered


def http_503() -> DeliveryFailed:
    # With a Retry-After, so the retrying wrapper waits exactly that long (no jitter).
    return DeliveryFailed(
        "http-status", "HTTP 503", retriable=True, status_code=503, retry_after_s=10
    )


@dataclass
class Gated:
    clock: FakeClock
    health: HealthTracker
    producer: FakeProducer
    outcomes: OutcomeReporter
    inner: ScriptedSink
    sink: RetryingSink

    async def deliver(self) -> None:
        destination = a_destination("test", TestEndpointConfig())
        await self.sink.deliver(a_delivery(), destination, 1)

    async def events(self) -> list[DeliveryOutcome]:
        await self.outcomes.start()
        await self.outcomes.stop()  # hands what is queued to the producer
        return [loads(DeliveryOutcome, value) for _, _, value in self.producer.sent]


@pytest.fixture
def gated() -> Gated:
    clock = FakeClock()
    health = HealthTracker(reporter="r", auto_disable_after_s=25, probe_interval_s=30, clock=clock)
    producer = FakeProducer()
    outcomes = OutcomeReporter(producer, health, clock=clock)
    inner = ScriptedSink()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    sink = RetryingSink(
        HealthGatedSink(inner, health, outcomes),
        max_attempts=5,
        backoff_initial_s=10,
        backoff_max_s=10,
        max_age_s=1e9,
        clock=lambda: clock.now.timestamp(),
        sleep=sleep,
    )
    return Gated(clock, health, producer, outcomes, inner, sink)


async def make_failing(gated: Gated) -> None:
    gated.inner.failures = [http_503() for _ in range(10)]
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            await gated.deliver()  # 5 attempts each, 10 s apart
    assert gated.health.state(DESTINATION_ID) == "failing"  # since the 10th, just now


async def make_disabled(gated: Gated) -> None:
    """Disabled, and due for a probe."""
    await make_failing(gated)
    gated.clock.advance(25)
    with pytest.raises(DeliveryFailed, match="destination-auto-disabled"):
        await gated.deliver()
    gated.clock.advance(30)


async def test_deliveries_to_an_auto_disabled_destination_are_refused_without_an_attempt(
    gated: Gated,
) -> None:
    await make_failing(gated)
    gated.clock.advance(25)
    calls = gated.inner.calls
    with pytest.raises(DeliveryFailed) as refused:
        await gated.deliver()
    assert (refused.value.reason, refused.value.retriable) == ("destination-auto-disabled", False)
    assert "probed every 30s" in refused.value.detail
    assert gated.inner.calls == calls


async def test_a_retried_delivery_stops_at_its_next_attempt_once_the_destination_is_disabled(
    gated: Gated,
) -> None:
    await make_failing(gated)
    gated.inner.failures = [http_503() for _ in range(5)]
    calls = gated.inner.calls
    with pytest.raises(DeliveryFailed) as stopped:
        await gated.deliver()  # attempts at +0, +10, +20: at +30 the 25 s are up
    assert stopped.value.reason == "destination-auto-disabled"
    assert gated.inner.calls - calls == 3


async def test_a_probe_is_tried_once_and_its_failure_dead_lettered_with_its_own_reason(
    gated: Gated,
) -> None:
    await make_disabled(gated)
    gated.inner.failures = [http_503() for _ in range(5)]
    calls = gated.inner.calls
    with pytest.raises(DeliveryFailed) as failed:
        await gated.deliver()
    assert (failed.value.reason, failed.value.retriable, failed.value.attempts) == (
        "http-status",
        False,
        1,
    )
    assert gated.inner.calls - calls == 1
    assert gated.health.state(DESTINATION_ID) == "disabled"


async def test_a_probe_that_works_re_enables_the_destination(gated: Gated) -> None:
    await make_disabled(gated)
    await gated.deliver()  # the probe: delivered
    assert gated.health.state(DESTINATION_ID) == "degraded"
    await gated.deliver()  # no longer gated
    assert gated.health.admit(DESTINATION_ID) is Admission.DELIVER


async def test_every_attempt_is_an_outcome_event_keyed_by_destination_with_its_latency(
    gated: Gated,
) -> None:
    gated.inner.failures = [http_503()]
    await gated.deliver()
    events = await gated.events()
    assert [(e.outcome, e.attempt, e.status_code, e.reason) for e in events] == [
        ("failed-attempt", 1, 503, "http-status"),
        ("delivered", 2, None, None),
    ]
    delivery = a_delivery()
    latency_s = (gated.clock.now - delivery.received_at).total_seconds()
    assert events[1].latency_ms == pytest.approx(latency_s * 1000)
    assert events[1].model_dump(include={"message_id", "delivery_id", "device_id"}) == {
        "message_id": delivery.message_id,
        "delivery_id": delivery.delivery_id,
        "device_id": "dev-1",
    }
    assert {(topic, key) for topic, key, _ in gated.producer.sent} == {
        (topics.DELIVERY_OUTCOMES, DESTINATION_ID.encode())
    }


async def test_a_dead_letter_is_an_outcome_event_and_a_non_delivery_none() -> None:
    producer = FakeProducer()
    outcomes = OutcomeReporter(producer, HealthTracker(reporter="r"))
    await outcomes.start()
    refused = DeliveryFailed("destination-not-found", DESTINATION_ID, retriable=False)
    outcomes.dead_lettered(a_delivery(), None, refused)
    outcomes.dead_lettered(None, None, refused)  # an unreadable record: nothing to say
    await outcomes.stop()
    [event] = [loads(DeliveryOutcome, value) for _, _, value in producer.sent]
    assert (event.outcome, event.reason, event.destination_type) == (
        "dead-lettered",
        "destination-not-found",
        None,
    )


def lost(cause: str) -> float:
    found = REGISTRY.get_sample_value(
        "senflow_dispatcher_outcome_events_lost_total", {"cause": cause}
    )
    return found or 0.0


async def test_an_outcome_event_kafka_refuses_is_counted_and_stops_nothing() -> None:
    before = lost("refused")
    producer = FakeProducer(answer=RuntimeError("broker says no"))
    outcomes = OutcomeReporter(producer, HealthTracker(reporter="r"))
    await outcomes.start()
    for _ in range(3):
        outcomes.delivered(a_delivery(), a_destination("test", TestEndpointConfig()), 1)
    await outcomes.stop()
    await asyncio.sleep(0)  # the answers' callbacks
    assert len(producer.sent) == 3
    assert lost("refused") - before == 3


async def test_outcome_events_beyond_the_queue_are_counted_not_waited_for() -> None:
    before = lost("overflow")
    producer = FakeProducer()
    outcomes = OutcomeReporter(producer, HealthTracker(reporter="r"), capacity=2)
    for _ in range(5):  # not started: nothing takes from the queue
        outcomes.delivered(a_delivery(), a_destination("test", TestEndpointConfig()), 1)
    assert lost("overflow") - before == 3
    await outcomes.start()
    await outcomes.stop()
    assert len(producer.sent) == 2
