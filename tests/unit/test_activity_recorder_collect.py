"""When the activity recorder may call itself caught up. It fetches lazily (the broker
holds a fetch until a MiB waits or the fetch wait passed), so an empty poll proves
everything is read only up to the fetch wait before it ended, and only when it waited at
least that long. No Kafka: a fake consumer that finds nothing."""

import asyncio
import time
from typing import Any

from senflow.registry.adapters.activity_recorder import ActivityRecorder


class NothingToRead:
    def __init__(self) -> None:
        self.timeouts_ms: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[Any, Any]:
        self.timeouts_ms.append(timeout_ms)
        await asyncio.sleep(timeout_ms / 1000)
        return {}


def recorder(flush_interval_s: float) -> ActivityRecorder:
    return ActivityRecorder("postgresql://unused", "unused:9092", flush_interval_s=flush_interval_s)


async def test_an_empty_poll_longer_than_the_fetch_wait_is_caught_up_as_of_that_wait_ago() -> None:
    consumer = NothingToRead()
    batch, caught_up_at = await recorder(1.0)._collect(consumer)  # type: ignore[arg-type]
    ended = time.time()
    assert batch.records == 0
    assert caught_up_at is not None
    # The fetch wait is half the flush interval (0.5 s), plus a margin.
    assert ended - 0.7 < caught_up_at <= ended - 0.6


async def test_an_empty_poll_shorter_than_the_fetch_wait_proves_nothing() -> None:
    # A flush interval of 0.1 s: fetch wait 0.05 s, so a conclusive poll takes 0.15 s,
    # longer than the whole window.
    consumer = NothingToRead()
    _, caught_up_at = await recorder(0.1)._collect(consumer)  # type: ignore[arg-type]
    assert consumer.timeouts_ms and max(consumer.timeouts_ms) <= 100
    assert caught_up_at is None
