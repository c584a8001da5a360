"""Changes waiting to be published to a compacted topic: only the latest per key matters."""

from typing import Generic, TypeVar

V = TypeVar("V")


class LatestChanges(Generic[V]):
    """The latest change per key, in the order the changes happened; `drain` takes them."""

    def __init__(self) -> None:
        self._pending: dict[str, V] = {}

    def put(self, key: str, change: V) -> None:
        self._pending.pop(key, None)  # re-inserted: the order is that of the changes
        self._pending[key] = change

    def drain(self) -> list[V]:
        pending, self._pending = self._pending, {}
        return list(pending.values())
