"""Retries end at the delivery's age bound (the platform's, or a destination's shorter
one), and a Retry-After is honoured up to its own cap, within that bound."""

from dataclasses import dataclass, field

import pytest

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.retrying import RetryingSink, past_age_bound, retry_age_bound_s
from tests.support.deliveries import a_delivery, a_destination

RECEIVED_AT = a_delivery().received_at.timestamp()


@pytest.mark.parametrize(
    ("age_s", "delay_s", "max_age_s", "too_late"),
    [(0, 1, 3600, False), (3599, 1, 3600, False), (3599, 2, 3600, True), (7200, 0, 3600, True)],
)
def test_next_attempt_is_too_late_when_it_would_start_past_the_bound(
    age_s: float, delay_s: float, max_age_s: float, too_late: bool
) -> None:
    assert past_age_bound(age_s, delay_s, max_age_s) is too_late


@pytest.mark.parametrize(("own", "bound"), [(None, 3600), (60, 60), (86_400, 3600)])
def test_a_destination_may_only_shorten_the_platform_s_bound(
    own: float | None, bound: float
) -> None:
    destination = a_destination("test", TestEndpointConfig(max_retry_age_s=own))
    assert retry_age_bound_s(destination, 3600) == bound


@dataclass
class Clock:
    now: float = RECEIVED_AT
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FailingSink:
    """Every attempt fails with a 503 (saying Retry-After when `retry_after_s` is set)."""

    retry_after_s: float | None = None
    attempts: int = 0

    async def deliver(self, _d: Delivery, _destination: DestinationSnapshot, _a: int) -> None:
        self.attempts += 1
        raise DeliveryFailed(
            "http-status",
            "answered 503",
            retriable=True,
            status_code=503,
            retry_after_s=self.retry_after_s,
        )


def _sink(
    inner: FailingSink, clock: Clock, max_age_s: float, max_retry_after_s: float = 300
) -> RetryingSink:
    return RetryingSink(
        inner,
        max_attempts=100,
        backoff_initial_s=10,
        backoff_max_s=10,
        max_age_s=max_age_s,
        max_retry_after_s=max_retry_after_s,
        clock=clock,
        sleep=clock.sleep,
    )


def _destination(max_retry_age_s: float | None = None) -> DestinationSnapshot:
    return a_destination("test", TestEndpointConfig(max_retry_age_s=max_retry_age_s))


async def test_retries_stop_at_the_age_bound_with_the_last_failure_and_its_attempts() -> None:
    clock, inner = Clock(), FailingSink()
    sink = _sink(inner, clock, max_age_s=60)
    with pytest.raises(DeliveryFailed) as failed:
        await sink.deliver(a_delivery(), _destination(), 1)
    assert clock.now - RECEIVED_AT <= 60
    assert inner.attempts == failed.value.attempts > 1
    assert failed.value.reason == "http-status" and failed.value.status_code == 503
    assert "60s retry age bound" in failed.value.detail
    assert failed.value.detail.startswith("answered 503; not retried")


async def test_a_delivery_already_past_the_bound_gets_one_attempt() -> None:
    clock, inner = Clock(now=RECEIVED_AT + 7200), FailingSink()
    with pytest.raises(DeliveryFailed) as failed:
        await _sink(inner, clock, max_age_s=3600).deliver(a_delivery(), _destination(), 1)
    assert (inner.attempts, failed.value.attempts, clock.slept) == (1, 1, [])


async def test_a_destination_s_own_bound_ends_its_retries_sooner() -> None:
    clock, inner = Clock(), FailingSink()
    with pytest.raises(DeliveryFailed) as failed:
        await _sink(inner, clock, max_age_s=3600).deliver(a_delivery(), _destination(25), 1)
    assert clock.now - RECEIVED_AT <= 25
    assert "25s retry age bound" in failed.value.detail


async def test_retry_after_is_honoured_up_to_its_cap_beyond_the_backoff_maximum() -> None:
    clock, inner = Clock(), FailingSink(retry_after_s=120)
    with pytest.raises(DeliveryFailed):
        await _sink(inner, clock, max_age_s=3600, max_retry_after_s=90).deliver(
            a_delivery(), _destination(), 1
        )
    assert set(clock.slept) == {90}  # capped at 90, not at the 10 s backoff maximum


async def test_a_retry_after_past_the_age_bound_dead_letters_at_once() -> None:
    clock, inner = Clock(), FailingSink(retry_after_s=300)
    with pytest.raises(DeliveryFailed) as failed:
        await _sink(inner, clock, max_age_s=120).deliver(a_delivery(), _destination(), 1)
    assert (inner.attempts, clock.slept) == (1, [])
    assert "in 300.0s" in failed.value.detail
