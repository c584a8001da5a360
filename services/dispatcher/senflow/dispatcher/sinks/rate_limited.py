"""Paces the attempts to each destination to its `max_rate_per_s`, for any sink.

Sits inside the retrying wrapper, so retries are paced too. One token bucket per
destination (burst 1: attempts at least 1/rate apart); a changed rate starts a new one.
The wait happens before the attempt, outside its timeout. Concurrency per destination is
the lane's business (`DISPATCHER_LANE_SLOTS`), not this wrapper's. Buckets are this
process's own: several dispatcher workers each pace their share of a destination.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.dispatcher.rate_limit import TokenBucket
from senflow.dispatcher.sinks.base import Sink


class RateLimitedSink:
    def __init__(
        self,
        inner: Sink,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        rate = destination.config.max_rate_per_s
        if rate is None:
            self._buckets.pop(destination.id, None)
        else:
            bucket = self._buckets.get(destination.id)
            if bucket is None or bucket.rate_per_s != rate:
                bucket = self._buckets[destination.id] = TokenBucket(rate, now=self._clock())
            wait_s = bucket.reserve(self._clock())
            if wait_s > 0:
                await self._sleep(wait_s)
        await self._inner.deliver(delivery, destination, attempt)
