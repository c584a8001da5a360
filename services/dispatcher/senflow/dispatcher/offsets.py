"""Which offsets of a partition may be committed when records finish out of order. Pure.

Deliveries of one partition go to several destinations at different speeds, so they
finish out of order. The committable position is the first offset not yet finished:
everything before it is delivered or dead-lettered; a crash redelivers from there (the
records after it that did finish are delivered again, with the same delivery id).
"""

import heapq


class PartitionProgress:
    def __init__(self) -> None:
        self._pending: set[int] = set()
        self._heap: list[int] = []  # pending offsets, lazily cleaned of finished ones
        self._next: int | None = None  # one past the highest offset taken

    def taken(self, offset: int) -> None:
        """The record at `offset` was fetched and is on its way."""
        self._pending.add(offset)
        heapq.heappush(self._heap, offset)
        if self._next is None or offset >= self._next:
            self._next = offset + 1

    def finished(self, offset: int) -> None:
        """The record at `offset` was delivered or dead-lettered."""
        self._pending.discard(offset)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def committable(self) -> int | None:
        """The offset to commit (the next to read after a restart); None before any record."""
        while self._heap and self._heap[0] not in self._pending:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else self._next
