"""Dead letters per destination: what is parked, and replaying it through the dispatcher.

A replay publishes the delivery again, with its delivery id (receivers deduplicate on
it): the dispatcher delivers it like any other, in the destination's lane, with retries,
and dead-letters it again if it fails again. A replayed entry is refused a second time
(409) unless forced. That check is this process's view: two API processes replaying the
same entry within about a second may both publish it, which receivers tolerate anyway.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from senflow.common.dead_letters import REPLAYED_BY_ADMIN, DeadLetterReplayed
from senflow.common.events import DestinationSnapshot
from senflow.registry.adapters import store
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.domain.dead_letters import (
    MAX_REPLAYED_PER_REQUEST,
    DeadLetter,
    DeadLetterFilter,
    ReplayOutcome,
)
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, NotFound, TooMany, Unavailable

# The destination as the caller may see it: its own, any for the admin; NotFound otherwise.
DestinationLookup = Callable[[Principal, str], Awaitable[DestinationSnapshot]]


class ReplayPublisher(Protocol):
    async def publish(
        self, replays: Sequence[tuple[DeadLetter, DeadLetterReplayed]]
    ) -> ReplayOutcome: ...


@dataclass(frozen=True)
class Parked:
    entry: DeadLetter
    replayed: DeadLetterReplayed | None  # the latest replay, if any


def destinations_in(pool: asyncpg.Pool) -> DestinationLookup:
    async def visible(p: Principal, did: str) -> DestinationSnapshot:
        async with pool.acquire() as conn:
            destination, _ = await store.destination(conn, did, p.customer_id)
        return destination

    return visible


class DeadLetters:
    def __init__(
        self,
        destinations: DestinationLookup,
        index: DeadLetterIndex,
        publisher: ReplayPublisher,
        max_per_request: int = MAX_REPLAYED_PER_REQUEST,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._destinations = destinations
        self._index = index
        self._publisher = publisher
        self._max = max_per_request
        self._clock = clock
        self._replaying = asyncio.Lock()  # check-then-publish, one request at a time

    async def find(
        self, p: Principal, did: str, selected: DeadLetterFilter, limit: int
    ) -> tuple[list[Parked], int]:
        """Newest first, at most `limit`; and how many match."""
        p.require("read")
        await self._destinations(p, did)
        found = self._parked(did, selected)
        found.sort(key=lambda parked: parked.entry.dead_lettered_at, reverse=True)
        return found[:limit], len(found)

    async def get(self, p: Principal, did: str, entry_id: str) -> Parked:
        p.require("read")
        await self._destinations(p, did)
        return self._one(did, entry_id)

    async def replay_one(self, p: Principal, did: str, entry_id: str, force: bool) -> int:
        """A replayed entry is a 409 unless `force`."""
        await self._replayable(p, did)
        async with self._replaying:
            parked = self._one(did, entry_id)
            if parked.replayed is not None and not force:
                raise Conflict(
                    f"dead letter {entry_id} was replayed at"
                    f" {parked.replayed.replayed_at.isoformat()}; force=true replays it again"
                )
            return await self._replay(p, did, [parked.entry])

    async def replay_matching(self, p: Principal, did: str, selected: DeadLetterFilter) -> int:
        """In the order they were dead-lettered (each device's stay in order)."""
        await self._replayable(p, did)
        async with self._replaying:
            entries = [parked.entry for parked in self._parked(did, selected)]
            if len(entries) > self._max:
                raise TooMany(
                    f"{len(entries)} dead letters match, one request replays at most"
                    f" {self._max:,}: narrow since/until or reason"
                )
            return await self._replay(p, did, entries)

    def _one(self, did: str, entry_id: str) -> Parked:
        entry = self._index.get(did, entry_id)
        if entry is None:
            raise NotFound(f"dead letter {entry_id} of destination {did} not found")
        return Parked(entry, self._index.replay_of(entry.id))

    def _parked(self, did: str, selected: DeadLetterFilter) -> list[Parked]:
        found = []
        for entry in self._index.entries(did):
            replayed = self._index.replay_of(entry.id)
            if selected.matches(entry, replayed is not None):
                found.append(Parked(entry, replayed))
        return found

    async def _replayable(self, p: Principal, did: str) -> None:
        p.require("write")
        destination = await self._destinations(p, did)
        if not destination.enabled:
            raise Conflict(
                f"destination {did} is disabled: its deliveries would be dead-lettered again"
                " (destination-disabled); enable it first"
            )
        if not self._index.loaded:
            raise Unavailable("the dead letters are still being read; try again shortly")

    async def _replay(self, p: Principal, did: str, entries: list[DeadLetter]) -> int:
        if not entries:
            return 0
        now = self._clock()
        by = p.customer_id or REPLAYED_BY_ADMIN
        outcome = await self._publisher.publish(
            [
                (
                    e,
                    DeadLetterReplayed(
                        entry_id=e.id, destination_id=did, replayed_at=now, replayed_by=by
                    ),
                )
                for e in entries
            ]
        )
        for replayed in outcome.replayed:
            self._index.mark(replayed)
        if outcome.failure is not None:
            raise Unavailable(
                f"replayed {len(outcome.replayed)} of {len(entries)}, Kafka refused the rest"
                f" ({outcome.failure}); try again"
            )
        return len(outcome.replayed)
