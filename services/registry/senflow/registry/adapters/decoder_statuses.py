"""The routers' latest `DecoderStatus` per decoder id, held in memory by following the
compacted status topic. Not in the database: it is the routers' report, not registry state.

Never fails the API: `start()` returns at once and follows in the background, trying again
while Kafka or the topic is not there (or the view stopped following); until a status
arrives, a decoder's status is unknown.
"""

import asyncio
import contextlib
import logging

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.decoder_status import DecoderStatus
from senflow.common.errors import ContractError
from senflow.common.serde import loads

log = logging.getLogger(__name__)


class DecoderStatuses:
    """`get(decoder_id)`; without a Kafka bootstrap it never learns any (e.g. in tests)."""

    def __init__(
        self, kafka_bootstrap: str | None = None, retry_s: float = 5.0, load_timeout_s: float = 30.0
    ) -> None:
        self._bootstrap = kafka_bootstrap
        self._retry_s = retry_s
        self._load_timeout_s = load_timeout_s
        self._by_id: dict[str, DecoderStatus] = {}
        self._task: asyncio.Task[None] | None = None

    def get(self, decoder_id: str) -> DecoderStatus | None:
        return self._by_id.get(decoder_id)

    def apply(self, _topic: str, key: bytes | None, value: bytes | None) -> None:
        """A record of the status topic (a `CompactedTopicView` callback); a bad one is skipped."""
        if key is None:
            return
        if value is None:
            self._by_id.pop(key.decode(errors="replace"), None)
            return
        try:
            status = loads(DecoderStatus, value)
        except ContractError as err:
            log.warning("skipped a decoder status record: %s", err)
            return
        self._by_id[status.decoder_id] = status

    async def start(self) -> None:
        if self._bootstrap is not None and self._task is None:
            self._task = asyncio.create_task(self._follow(self._bootstrap), name="decoder-statuses")

    async def stop(self) -> None:
        """Stop following; idempotent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self, bootstrap: str) -> None:
        while True:
            view = CompactedTopicView(bootstrap, (topics.DECODER_STATUS,), self.apply)
            try:
                await view.start(self._load_timeout_s)
                # The view has no event for "stopped following": poll its cheap flag.
                while view.loaded:  # noqa: ASYNC110
                    await asyncio.sleep(self._retry_s)
            except Exception as err:  # noqa: BLE001 - health is optional: keep serving, retry
                log.warning("cannot follow %s (retrying): %r", topics.DECODER_STATUS, err)
            finally:
                await view.stop()
            await asyncio.sleep(self._retry_s)
