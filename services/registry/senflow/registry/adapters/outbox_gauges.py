"""The outbox backlog gauges and whether the database answers, read when `/metrics` is
scraped.

Read at scrape time rather than by the relay after each pass: the backlog matters most
while Kafka is away, which is exactly when the relay makes no passes, and every replica
(the relay's standbys too) then reports the same numbers. One indexed query per scrape.
"""

import asyncio
import logging
import math

import asyncpg

from senflow.registry import metrics

log = logging.getLogger(__name__)


class OutboxGauges:
    def __init__(self, pool: asyncpg.Pool, timeout_s: float = 2.0) -> None:
        self._pool = pool
        self._timeout_s = timeout_s

    async def refresh(self) -> None:
        """Set the gauges. While the database does not answer, `database_up` is 0 and the
        outbox gauges NaN: their last values would look current, and an outage would pass
        for a healthy outbox (SenflowRegistryDatabaseDown fires instead)."""
        try:
            async with asyncio.timeout(self._timeout_s):
                row = await self._pool.fetchrow(
                    "SELECT count(*) AS waiting, coalesce(extract(epoch FROM now() - ("
                    "SELECT created_at FROM outbox ORDER BY id LIMIT 1)), 0) AS oldest_s"
                    " FROM outbox"
                )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.debug("outbox gauges not refreshed: %r", err)
            metrics.DATABASE_UP.set(0)
            metrics.OUTBOX_BACKLOG.set(math.nan)
            metrics.OUTBOX_OLDEST_AGE.set(math.nan)
            return
        assert row is not None
        metrics.DATABASE_UP.set(1)
        metrics.OUTBOX_BACKLOG.set(row["waiting"])
        metrics.OUTBOX_OLDEST_AGE.set(max(0.0, float(row["oldest_s"])))
