"""Expires downlinks not sent within their time to live, every `interval_s`.

Every registry replica runs one; a round runs only where it takes a transaction-level
advisory lock (`DownlinkUpdates.expire_due`), so one replica sweeps at a time and a dead
one's turn is simply taken by the next. Postgres away: the round is logged and skipped.
"""

import logging
from typing import Protocol

from senflow.registry.adapters.background import BackgroundTask
from senflow.registry.adapters.keep_running import keep_running

log = logging.getLogger(__name__)


class Expirer(Protocol):
    async def expire_due(self, limit: int = 500) -> int: ...


class DownlinkExpiry:
    """`start()` returns at once; `stop()` is idempotent and rolls back a round under way."""

    def __init__(self, expirer: Expirer, interval_s: float = 5.0, batch_size: int = 500) -> None:
        self._expirer = expirer
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._background = BackgroundTask("downlink-expiry")

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def sweep(self) -> int:
        """Expire every downlink due now, a batch per transaction; how many."""
        total = 0
        while True:
            expired = await self._expirer.expire_due(self._batch_size)
            total += expired
            if expired < self._batch_size:
                return total

    async def _run(self) -> None:
        await keep_running(self._round, name="downlink expiry", retry_s=self._interval_s, log=log)

    async def _round(self) -> None:
        if expired := await self.sweep():
            log.info("expired %d downlink(s) not sent within their time to live", expired)
