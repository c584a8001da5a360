"""Per-destination lanes: a slow or failing destination never holds up the others.

Each destination has its own lane of `slots` ordered queues. A delivery goes to the slot
its device hashes to, so one device's deliveries to one destination stay in order, while
other devices (up to `slots` at once) and every other destination go on. A lane holds at
most `capacity` deliveries; when a destination's lane is full, `put` waits: that
backpressure bounds memory per destination (and only then do other destinations feel a slow one;
a destination that keeps failing is parked in the dead-letter lane by its retry budget
long before, see the README). Idle slot workers end, so lanes cost nothing when quiet.
"""

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
log = logging.getLogger(__name__)

_IDLE_S = 30.0  # a slot's worker ends after this long without work


@dataclass
class _Lane(Generic[Item]):
    queues: list["asyncio.Queue[Item]"]
    workers: list["asyncio.Task[None] | None"]
    room: asyncio.Semaphore
    busy: int = 0  # items put and not yet finished
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class Lanes(Generic[Item]):
    def __init__(
        self, handle: Callable[[Item], Awaitable[None]], slots: int, capacity: int
    ) -> None:
        self._handle = handle
        self._slots = slots
        self._capacity = capacity
        self._lanes: dict[str, _Lane[Item]] = {}

    def depth(self, lane_key: str) -> int:
        """Deliveries waiting or in progress for this destination."""
        lane = self._lanes.get(lane_key)
        return lane.busy if lane else 0

    async def put(self, lane_key: str, order_key: str, item: Item) -> None:
        """Queue `item`; waits while the destination's lane is full."""
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lanes[lane_key] = _Lane(
                [asyncio.Queue() for _ in range(self._slots)],
                [None] * self._slots,
                asyncio.Semaphore(self._capacity),
            )
        await lane.room.acquire()
        lane.busy += 1
        lane.idle.clear()
        slot = zlib.crc32(order_key.encode()) % self._slots
        lane.queues[slot].put_nowait(item)
        worker = lane.workers[slot]
        if worker is None or worker.done():
            lane.workers[slot] = asyncio.create_task(self._work(lane, slot))

    async def drained(self) -> None:
        """Wait until every lane has finished what it was given."""
        for lane in list(self._lanes.values()):
            if lane.busy:
                await lane.idle.wait()

    async def close(self) -> None:
        """Cancel every worker (what they held is redelivered after the restart)."""
        tasks = [w for lane in self._lanes.values() for w in lane.workers if w is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()

    async def _work(self, lane: _Lane[Item], slot: int) -> None:
        queue = lane.queues[slot]
        while True:
            if not queue.empty():  # busy: no idle timer to arm and cancel per item
                item = queue.get_nowait()
            else:
                try:
                    async with asyncio.timeout(_IDLE_S):
                        item = await queue.get()
                except TimeoutError:
                    if queue.empty():  # no await from here to the end: no put can slip in
                        return
                    continue
            try:
                await self._handle(item)  # the handler is the error boundary
            except Exception:  # noqa: BLE001 - a bug there must not kill the slot's worker
                log.exception("a lane's handler failed; the item stays unfinished")
            finally:
                lane.busy -= 1
                lane.room.release()
                if not lane.busy:
                    lane.idle.set()
