"""The registry's scrape-time gauges: the outbox backlog and whether PostgreSQL answers.
A database outage shows as `senflow_registry_database_up 0` and NaN outbox gauges, never
as the last values seen (which would look current)."""

import asyncio
import math
from typing import Any

import asyncpg
from prometheus_client import REGISTRY

from senflow.registry.adapters.outbox_gauges import OutboxGauges


class FakePool:
    def __init__(self) -> None:
        self.failure: Exception | None = None

    async def fetchrow(self, query: str) -> dict[str, Any]:
        if self.failure is not None:
            raise self.failure
        return {"waiting": 4, "oldest_s": 12.5}


def sample(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


async def test_gauges_show_the_outbox_and_a_database_that_answers() -> None:
    await OutboxGauges(FakePool()).refresh()  # type: ignore[arg-type]

    assert sample("senflow_registry_database_up") == 1
    assert sample("senflow_registry_outbox_backlog") == 4
    assert sample("senflow_registry_outbox_oldest_age_seconds") == 12.5


async def test_gauges_show_the_outage_when_the_database_does_not_answer() -> None:
    pool = FakePool()
    gauges = OutboxGauges(pool)  # type: ignore[arg-type]
    await gauges.refresh()
    for failure in (OSError("connection refused"), asyncpg.CannotConnectNowError("starting")):
        pool.failure = failure
        await gauges.refresh()

        assert sample("senflow_registry_database_up") == 0
        assert math.isnan(sample("senflow_registry_outbox_backlog") or 0.0)
        assert math.isnan(sample("senflow_registry_outbox_oldest_age_seconds") or 0.0)

    pool.failure = None
    await gauges.refresh()
    assert sample("senflow_registry_database_up") == 1
    assert sample("senflow_registry_outbox_backlog") == 4


async def test_a_database_too_slow_to_answer_counts_as_down() -> None:
    class SlowPool(FakePool):
        async def fetchrow(self, query: str) -> dict[str, Any]:
            await asyncio.sleep(5)
            return await super().fetchrow(query)

    await OutboxGauges(SlowPool(), timeout_s=0.05).refresh()  # type: ignore[arg-type]

    assert sample("senflow_registry_database_up") == 0
