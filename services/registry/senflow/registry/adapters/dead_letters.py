"""Dead-lettered deliveries per destination, held in memory by following the dispatcher's
`senflow.deliveries.deadletter.v1` from its beginning (14 days' retention), with the
replays recorded on `senflow.deliveries.replays.v1`. Not in the database: the topics are
the store, and every API process reads all of them (no consumer group).

Bounded: per destination the latest 10,000 entries in reading order (about the newest;
the partitions are read side by side), older ones are dropped from the index, though
they stay on the topic.

Never fails the API: `start()` returns at once and follows in the background, trying
again while Kafka or the topics are not there; until then every destination shows none.
"""

import logging

from senflow.common import topics
from senflow.common.dead_letters import DeadLetterReplayed
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.registry.adapters.following import TopicFollower
from senflow.registry.domain.dead_letters import (
    MAX_KEPT_PER_DESTINATION,
    DeadLetter,
    RecordLike,
    dead_letter_of,
)

log = logging.getLogger(__name__)


class DeadLetterIndex:
    """`entries(destination_id)`, `get`, `replay_of`; without a Kafka bootstrap it learns
    only what `apply` and `mark` are given (tests)."""

    def __init__(
        self,
        kafka_bootstrap: str | None = None,
        retry_s: float = 5.0,
        kept_per_destination: int = MAX_KEPT_PER_DESTINATION,
    ) -> None:
        self._kept = kept_per_destination
        # Per destination, entry id -> entry, in reading order (a dict keeps insertion order).
        self._by_destination: dict[str, dict[str, DeadLetter]] = {}
        self._replays: dict[str, DeadLetterReplayed] = {}
        self._follower = TopicFollower(
            kafka_bootstrap,
            (topics.DELIVERIES_DEADLETTER, topics.DELIVERY_REPLAYS),
            self.apply,
            auto_offset_reset="earliest",  # everything: a dead letter is kept until replayed
            retry_s=retry_s,
            logger=log,
        )

    @property
    def loaded(self) -> bool:
        """True once the topics' records present at start-up are in (replays need that)."""
        return self._follower.caught_up

    def entries(self, destination_id: str) -> list[DeadLetter]:
        """Oldest first (in reading order)."""
        return list(self._by_destination.get(destination_id, {}).values())

    def get(self, destination_id: str, entry_id: str) -> DeadLetter | None:
        return self._by_destination.get(destination_id, {}).get(entry_id)

    def replay_of(self, entry_id: str) -> DeadLetterReplayed | None:
        return self._replays.get(entry_id)

    def mark(self, replayed: DeadLetterReplayed) -> None:
        """A replay this process just published: shown before the follower reads it back."""
        self._replays[replayed.entry_id] = replayed

    def apply(self, record: RecordLike) -> None:
        """A record of either topic; a bad one is skipped."""
        if record.topic == topics.DELIVERY_REPLAYS:
            self._apply_replay(record)
            return
        entry = dead_letter_of(record)
        if entry is None:
            log.warning(
                "skipped a dead letter without a destination: %s-%s",
                record.partition,
                record.offset,
            )
            return
        kept = self._by_destination.setdefault(entry.destination_id, {})
        kept[entry.id] = entry
        while len(kept) > self._kept:
            self._replays.pop(kept.pop(next(iter(kept))).id, None)

    def _apply_replay(self, record: RecordLike) -> None:
        if record.value is None:  # a tombstone: the replay is forgotten
            if record.key is not None:
                self._replays.pop(record.key.decode(errors="replace"), None)
            return
        try:
            replayed = loads(DeadLetterReplayed, record.value)
        except ContractError as err:
            log.warning("skipped a dead-letter replay record: %s", err)
            return
        self._replays[replayed.entry_id] = replayed

    async def start(self) -> None:
        await self._follower.start()

    async def stop(self) -> None:
        """Stop following; idempotent."""
        await self._follower.stop()
