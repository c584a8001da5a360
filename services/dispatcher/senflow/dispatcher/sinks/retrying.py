"""Retries around any sink: exponential backoff with full jitter, bounded by attempts.

Honours a destination's `Retry-After` (capped by the backoff maximum). A non-retriable
failure, or the last attempt's failure, is raised with `attempts` set.
"""

import asyncio
import logging
import random

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.dispatcher import metrics
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.base import Sink

log = logging.getLogger(__name__)


class RetryingSink:
    def __init__(
        self, inner: Sink, max_attempts: int, backoff_initial_s: float, backoff_max_s: float
    ) -> None:
        self._inner = inner
        self._max_attempts = max_attempts
        self._initial = backoff_initial_s
        self._max = backoff_max_s

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int = 1
    ) -> None:
        """Deliver, retrying from `attempt` on; a `Sink` itself, so wrappers compose."""
        while True:
            try:
                await self._inner.deliver(delivery, destination, attempt)
                if attempt > 1:
                    log.info(
                        "delivered at attempt %d",
                        attempt,
                        extra={"message_id": delivery.message_id, "destination_id": destination.id},
                    )
                return
            except DeliveryFailed as err:
                metrics.FAILED_ATTEMPTS.labels(err.reason).inc()
                if not err.retriable or attempt >= self._max_attempts:
                    err.attempts = attempt
                    raise
                delay = self.delay_s(attempt, err.retry_after_s)
                log.warning(
                    "delivery attempt %d failed (%s), retrying in %.2fs",
                    attempt,
                    err,
                    delay,
                    extra={"message_id": delivery.message_id, "destination_id": destination.id},
                )
                await asyncio.sleep(delay)
                attempt += 1

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self._max)
        return random.uniform(0, min(self._max, self._initial * 2 ** (attempt - 1)))
