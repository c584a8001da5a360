"""What test-endpoint destinations received, held in memory by following the dispatcher's
`senflow.destinations.test-messages.v1`: per destination the latest 100 messages, and only
those of the last 5 days (the topic's retention). Not in the database: the topic is the
store, and every API process reads all of it (no consumer group).

Never fails the API: `start()` returns at once and follows in the background, trying
again while Kafka or the topic is not there; until then every destination shows none.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

from senflow.common import topics
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.common.test_messages import TestMessage

log = logging.getLogger(__name__)

KEPT_PER_DESTINATION = 100
KEPT_FOR = timedelta(milliseconds=topics.TEST_MESSAGES_RETENTION_MS)


class TestMessages:
    """`latest(destination_id)`; without a Kafka bootstrap it never learns any (tests)."""

    __test__ = False  # not a pytest class, whatever its name says

    def __init__(
        self,
        kafka_bootstrap: str | None = None,
        retry_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._bootstrap = kafka_bootstrap
        self._retry_s = retry_s
        self._clock = clock
        self._by_destination: dict[str, deque[TestMessage]] = {}
        self._positions: dict[TopicPartition, int] = {}  # next offset, to resume after a failure
        self._task: asyncio.Task[None] | None = None

    def latest(self, destination_id: str) -> list[TestMessage]:
        """Newest first; at most 100, none older than 5 days."""
        since = self._clock() - KEPT_FOR
        kept = self._by_destination.get(destination_id, ())
        return [m for m in reversed(kept) if m.received_at >= since]

    def apply(self, value: bytes | None) -> None:
        """A record of the topic; a bad one is skipped."""
        try:
            message = loads(TestMessage, value)
        except ContractError as err:
            log.warning("skipped a test message record: %s", err)
            return
        kept = self._by_destination.setdefault(
            message.destination_id, deque(maxlen=KEPT_PER_DESTINATION)
        )
        kept.append(message)

    async def start(self) -> None:
        if self._bootstrap is not None and self._task is None:
            self._task = asyncio.create_task(self._follow(self._bootstrap), name="test-messages")

    async def stop(self) -> None:
        """Stop following; idempotent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self, bootstrap: str) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                topics.TEST_MESSAGES,
                bootstrap_servers=bootstrap,
                group_id=None,  # every partition, and no offsets committed anywhere
                enable_auto_commit=False,
            )
            try:
                await consumer.start()
                await self._seek(consumer)
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for tp, records in batches.items():
                        for record in records:
                            self.apply(record.value)
                        self._positions[tp] = records[-1].offset + 1
            except Exception as err:  # noqa: BLE001 - optional: keep serving, retry
                log.warning("cannot follow %s (retrying): %r", topics.TEST_MESSAGES, err)
            finally:
                await consumer.stop()
            await asyncio.sleep(self._retry_s)

    async def _seek(self, consumer: AIOKafkaConsumer) -> None:
        """Where this process left off; otherwise the first record of the last 5 days
        (older ones would only be dropped on reading: retention deletes whole segments)."""
        partitions = list(consumer.assignment())
        if not partitions:
            raise RuntimeError(f"topic {topics.TEST_MESSAGES} does not exist (yet)")
        since_ms = int((self._clock() - KEPT_FOR).timestamp() * 1000)
        fresh = [tp for tp in partitions if tp not in self._positions]
        found = await consumer.offsets_for_times({tp: since_ms for tp in fresh}) if fresh else {}
        for tp in partitions:
            if tp in self._positions:
                consumer.seek(tp, self._positions[tp])
            elif found.get(tp) is not None:
                consumer.seek(tp, found[tp].offset)
            else:  # nothing that recent
                await consumer.seek_to_end(tp)
