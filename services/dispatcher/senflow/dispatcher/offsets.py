"""Which offsets of a partition may be committed when records finish out of order. Pure.

Deliveries of one partition go to several destinations at different speeds, so they
finish out of order. The committable position is the first offset not yet finished:
everything before it is delivered or dead-lettered; a crash redelivers from there (the
records after it that did finish are delivered again, with the same delivery id).
"""


class PartitionProgress:
    def __init__(self) -> None:
        # Offsets are taken in increasing order, so insertion order is offset order: the
        # first key is the lowest unfinished offset, and memory is what is in flight.
        self._pending: dict[int, None] = {}
        self._next: int | None = None  # one past the highest offset taken

    def taken(self, offset: int) -> None:
        """The record at `offset` was fetched and is on its way (offsets increase)."""
        self._pending[offset] = None
        self._next = offset + 1

    def finished(self, offset: int) -> None:
        """The record at `offset` was delivered or dead-lettered."""
        self._pending.pop(offset, None)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def committable(self) -> int | None:
        """The offset to commit (the next to read after a restart); None before any record."""
        return next(iter(self._pending), self._next)
