"""What test-endpoint destinations received, held in memory by following the dispatcher's
`senflow.destinations.test-messages.v1`: per destination the latest 100 messages, and only
those of the last 5 days (the topic's retention). Not in the database: the topic is the
store, and every API process reads all of it (no consumer group).

Never fails the API: `start()` returns at once and follows in the background, trying
again while Kafka or the topic is not there; until then every destination shows none.
"""

import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

from senflow.common import topics
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.common.test_messages import TestMessage
from senflow.registry.adapters.following import TopicFollower

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
        self._clock = clock
        self._by_destination: dict[str, deque[TestMessage]] = {}
        self._follower = TopicFollower(
            kafka_bootstrap,
            (topics.TEST_MESSAGES,),
            lambda record: self.apply(record.value),
            seek_fresh=self._seek_recent,
            retry_s=retry_s,
            logger=log,
        )

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
        await self._follower.start()

    async def stop(self) -> None:
        """Stop following; idempotent."""
        await self._follower.stop()

    async def _seek_recent(self, consumer: AIOKafkaConsumer, fresh: list[TopicPartition]) -> None:
        """The first record of the last 5 days (older ones would only be dropped on
        reading: retention deletes whole segments)."""
        since_ms = int((self._clock() - KEPT_FOR).timestamp() * 1000)
        found = await consumer.offsets_for_times({tp: since_ms for tp in fresh})
        for tp in fresh:
            if found.get(tp) is not None:
                consumer.seek(tp, found[tp].offset)
            else:  # nothing that recent
                await consumer.seek_to_end(tp)
