"""The outbox backlog gauges, read from the table when `/metrics` is scraped.

Read at scrape time rather than by the relay after each pass: the backlog matters most
while Kafka is away, which is exactly when the relay makes no passes, and every replica
(the relay's standbys too) then reports the same numbers. One indexed query per scrape.
"""

import asyncio
import logging

import asyncpg

from senflow.registry import metrics

log = logging.getLogger(__name__)


class OutboxGauges:
    def __init__(self, pool: asyncpg.Pool, timeout_s: float = 2.0) -> None:
        self._pool = pool
        self._timeout_s = timeout_s

    async def refresh(self) -> None:
        """Set the gauges; while the database does not answer they keep their last values
        (`/readyz` says the database is away)."""
        try:
            async with asyncio.timeout(self._timeout_s):
                row = await self._pool.fetchrow(
                    "SELECT count(*) AS waiting, coalesce(extract(epoch FROM now() - ("
                    "SELECT created_at FROM outbox ORDER BY id LIMIT 1)), 0) AS oldest_s"
                    " FROM outbox"
                )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.debug("outbox gauges not refreshed: %r", err)
            return
        assert row is not None
        metrics.OUTBOX_BACKLOG.set(row["waiting"])
        metrics.OUTBOX_OLDEST_AGE.set(max(0.0, float(row["oldest_s"])))
