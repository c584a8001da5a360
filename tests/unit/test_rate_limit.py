"""Per-destination pacing: the token bucket on a fake clock, and the sink wrapper."""

from dataclasses import dataclass, field

import pytest

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.dispatcher.rate_limit import TokenBucket
from senflow.dispatcher.sinks.rate_limited import RateLimitedSink
from tests.support.deliveries import a_delivery, a_destination


def test_bucket_spaces_events_evenly_once_its_burst_is_spent() -> None:
    bucket = TokenBucket(rate_per_s=5, now=100.0)
    assert [bucket.reserve(100.0) for _ in range(4)] == pytest.approx([0, 0.2, 0.4, 0.6])


def test_bucket_refills_with_time_but_not_beyond_its_burst() -> None:
    bucket = TokenBucket(rate_per_s=2, burst=3, now=0.0)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve(0.0) == pytest.approx(0.5)  # in debt: due at 0.5 s
    assert bucket.reserve(0.75) == pytest.approx(0.25)  # the debt was repaid first
    assert [bucket.reserve(100.0) for _ in range(4)] == pytest.approx([0, 0, 0, 0.5])


def test_bucket_ignores_a_clock_that_goes_back() -> None:
    bucket = TokenBucket(rate_per_s=1, now=10.0)
    assert bucket.reserve(10.0) == 0
    assert bucket.reserve(5.0) == pytest.approx(1.0)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0.5)])
def test_bucket_refuses_settings_that_cannot_work(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=rate, burst=burst)


@dataclass
class Clock:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class CountingSink:
    attempts: list[float] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)

    async def deliver(self, _d: Delivery, _destination: DestinationSnapshot, _a: int) -> None:
        self.attempts.append(self.clock.now)


def _test_destination(rate: float | None) -> DestinationSnapshot:
    return a_destination("test", TestEndpointConfig(max_rate_per_s=rate))


async def test_attempts_to_a_destination_are_paced_when_it_has_a_rate() -> None:
    clock = Clock()
    inner = CountingSink(clock=clock)
    sink = RateLimitedSink(inner, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        await sink.deliver(a_delivery(), _test_destination(5), 1)
    assert inner.attempts[-1] - inner.attempts[0] == pytest.approx(19 * 0.2)


async def test_attempts_are_not_held_when_the_destination_has_no_rate() -> None:
    clock = Clock()
    sink = RateLimitedSink(CountingSink(clock=clock), clock=clock, sleep=clock.sleep)
    for _ in range(20):
        await sink.deliver(a_delivery(), _test_destination(None), 1)
    assert clock.slept == []


async def test_a_changed_rate_takes_effect_at_the_next_attempt() -> None:
    clock = Clock()
    sink = RateLimitedSink(CountingSink(clock=clock), clock=clock, sleep=clock.sleep)
    for rate in (1, 1, 10, 10):
        await sink.deliver(a_delivery(), _test_destination(rate), 1)
    assert clock.slept == pytest.approx([1.0, 0.1])
