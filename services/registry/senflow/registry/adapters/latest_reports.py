"""The latest report per key on a compacted topic that workers publish what they observe
to (the routers' decoder statuses, the dispatchers' destination health), held in memory by
following it. Not in the database: it is the workers' report, not registry state.

Never fails the API: `start()` returns at once and follows in the background, trying again
while Kafka or the topic is not there (or the view stopped following); until a report on
a key arrives, `get` answers None (unknown). Once loaded, the last reports read are kept.
"""

import asyncio
import logging
from typing import Generic, TypeVar

from senflow.common.compacted_view import CompactedTopicView
from senflow.common.contract import Contract
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.registry.adapters.following import Retrying

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Contract)


class LatestReports(Generic[R]):
    """`get(key)`; without a Kafka bootstrap it never learns any (e.g. in tests)."""

    def __init__(
        self,
        topic: str,
        contract: type[R],
        kafka_bootstrap: str | None = None,
        retry_s: float = 5.0,
        load_timeout_s: float = 30.0,
        logger: logging.Logger = log,
    ) -> None:
        self._topic = topic
        self._contract = contract
        self._bootstrap = kafka_bootstrap
        self._retry_s = retry_s
        self._load_timeout_s = load_timeout_s
        self._log = logger
        self._by_key: dict[str, R] = {}
        self._retrying = Retrying(f"follow {topic}", self._follow, retry_s, logger)

    def get(self, key: str) -> R | None:
        return self._by_key.get(key)

    def apply(self, _topic: str, key: bytes | None, value: bytes | None) -> None:
        """A record of the topic (a `CompactedTopicView` callback); a bad one is skipped."""
        if key is None:
            return
        if value is None:
            self._by_key.pop(key.decode(errors="replace"), None)
            return
        try:
            report = loads(self._contract, value)
        except ContractError as err:
            self._log.warning("skipped a record of %s: %s", self._topic, err)
            return
        self._by_key[key.decode(errors="replace")] = report

    async def start(self) -> None:
        if self._bootstrap is not None:
            await self._retrying.start()

    async def stop(self) -> None:
        """Stop following; idempotent."""
        await self._retrying.stop()

    async def _follow(self) -> None:
        assert self._bootstrap is not None
        view = CompactedTopicView(self._bootstrap, (self._topic,), self.apply)
        try:
            await view.start(self._load_timeout_s)
            # The view has no event for "stopped following": poll its cheap flag.
            while view.loaded:  # noqa: ASYNC110
                await asyncio.sleep(self._retry_s)
        finally:
            await view.stop()
