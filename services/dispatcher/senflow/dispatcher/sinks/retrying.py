"""Retries around any sink: exponential backoff with full jitter, bounded by attempts and
by the delivery's age.

Honours a destination's `Retry-After` (429/503) up to `max_retry_after_s`. A delivery is
not retried once its next attempt would start more than `max_age_s` after the uplink was
received (a destination's `max_retry_age_s` may shorten that): the last failure goes to
the dead letters, its detail saying so. A non-retriable failure, the last attempt's
failure, or one past the age bound is raised with `attempts` set.
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.dispatcher import metrics
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.base import Sink

log = logging.getLogger(__name__)


def past_age_bound(age_s: float, delay_s: float, max_age_s: float) -> bool:
    """Whether an attempt `delay_s` from now, of a delivery `age_s` old, would come too late."""
    return age_s + delay_s > max_age_s


def retry_age_bound_s(destination: DestinationSnapshot, platform_max_s: float) -> float:
    """The destination's own bound, when it has one shorter than the platform's."""
    own = destination.config.max_retry_age_s
    return platform_max_s if own is None else min(own, platform_max_s)


class RetryingSink:
    def __init__(
        self,
        inner: Sink,
        max_attempts: int,
        backoff_initial_s: float,
        backoff_max_s: float,
        *,
        max_age_s: float = 3600.0,
        max_retry_after_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._max_attempts = max_attempts
        self._initial = backoff_initial_s
        self._max = backoff_max_s
        self._max_age_s = max_age_s
        self._max_retry_after_s = max_retry_after_s
        self._clock = clock  # wall clock: ages count from the ingest's receive time
        self._sleep = sleep

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int = 1
    ) -> None:
        """Deliver, retrying from `attempt` on; a `Sink` itself, so wrappers compose."""
        max_age_s = retry_age_bound_s(destination, self._max_age_s)
        while True:
            started = time.perf_counter()
            try:
                await self._inner.deliver(delivery, destination, attempt)
                metrics.labelled(metrics.ATTEMPT_SECONDS, destination.type, "ok").observe(
                    time.perf_counter() - started
                )
                if attempt > 1:
                    log.info(
                        "delivered at attempt %d",
                        attempt,
                        extra={"message_id": delivery.message_id, "destination_id": destination.id},
                    )
                return
            except DeliveryFailed as err:
                metrics.labelled(metrics.ATTEMPT_SECONDS, destination.type, "failed").observe(
                    time.perf_counter() - started
                )
                metrics.labelled(metrics.FAILED_ATTEMPTS, err.reason).inc()
                err.attempts = attempt
                if not err.retriable or attempt >= self._max_attempts:
                    raise
                delay = self.delay_s(attempt, err.retry_after_s)
                age = self._clock() - delivery.received_at.timestamp()
                if past_age_bound(age, delay, max_age_s):
                    err.detail += (
                        f"; not retried: the next attempt (in {delay:.1f}s) would come after"
                        f" the {max_age_s:g}s retry age bound (the delivery is {age:.0f}s old)"
                    )
                    err.args = (f"{err.reason}: {err.detail}",)
                    raise
                log.warning(
                    "delivery attempt %d failed (%s), retrying in %.2fs",
                    attempt,
                    err,
                    delay,
                    extra={"message_id": delivery.message_id, "destination_id": destination.id},
                )
                await self._sleep(delay)
                attempt += 1

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self._max_retry_after_s)
        return random.uniform(0, min(self._max, self._initial * 2 ** (attempt - 1)))
