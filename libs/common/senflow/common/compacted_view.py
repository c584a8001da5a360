"""Follows compacted topics from the beginning and hands every record to a callback.

Used by the router (devices, flows) and the dispatcher (destinations) to hold the
registry's current state in memory. Every instance reads all partitions (no consumer
group), so each worker has the full view whatever partitions of data it owns.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)

ApplyRecord = Callable[[str, bytes | None, bytes | None], None]


class CompactedTopicView:
    """`start()` returns once every record present at start-up has been applied.

    After that the view keeps following the topics: `apply(topic, key, value)` is called
    for every record in offset order per partition; `value is None` is a tombstone.
    `apply` must not raise for bad records: it owns their handling.
    """

    def __init__(self, bootstrap: str, topics: tuple[str, ...], apply: ApplyRecord) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self._apply = apply
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._loaded = asyncio.Event()
        self._advanced = asyncio.Event()  # set after every fetch round
        self._failure: BaseException | None = None
        self._targets: dict[TopicPartition, int] = {}

    @property
    def loaded(self) -> bool:
        """True once the start-up records are applied, and while the view keeps following."""
        return self._loaded.is_set() and self._failure is None

    async def wait_loaded(self) -> None:
        await self._loaded.wait()
        self._check_failed()

    async def start(self, load_timeout_s: float = 60.0) -> None:
        # Without a group, aiokafka assigns every partition of the subscribed topics.
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,  # bounds how stale an idle view can be (see catch_up)
        )
        self._consumer = consumer  # first: `stop()` closes it even when `start()` fails
        await consumer.start()
        partitions = list(consumer.assignment())
        if not partitions:
            raise RuntimeError(f"topics {self._topics} do not exist; start the registry first")
        await consumer.seek_to_beginning(*partitions)
        self._targets = dict(await consumer.end_offsets(partitions))
        self._task = asyncio.create_task(self._follow(), name="compacted-view")
        self._task.add_done_callback(self._stopped)
        await asyncio.wait_for(self.wait_loaded(), load_timeout_s)

    async def catch_up(self, since: float | None, timeout_s: float = 5.0) -> None:
        """Wait until the view holds every record its topics had at `since` (epoch
        seconds, e.g. when a message that refers to them was published; None: now). Never
        later than now: a producer whose clock runs ahead must not make the caller wait.

        For a consumer that meets an id the view does not know: the entity may have been
        published a moment before the message. No request is sent: the view's own fetch
        responses report each partition's high watermark; one that came back after
        `since`, with the position at that watermark, proves the view current. So a burst
        of unknown ids costs at most one fetch round (≤ 100 ms), not one per id.
        Raises TimeoutError after `timeout_s`.
        """
        assert self._consumer is not None, "start() first"
        self._check_failed()
        now = time.time()
        since = now if since is None else min(since, now)
        async with asyncio.timeout(timeout_s):
            while not await self._current_since(since):
                self._advanced.clear()
                await self._advanced.wait()
                self._check_failed()

    async def _current_since(self, since: float) -> bool:
        assert self._consumer is not None
        for tp in self._targets:
            polled_ms = self._consumer.last_poll_timestamp(tp)
            highwater = self._consumer.highwater(tp)
            if polled_ms is None or highwater is None or polled_ms / 1000 < since:
                return False
            if await self._consumer.position(tp) < highwater:
                return False
        return True

    async def stop(self) -> None:
        """Stop following and close the consumer; idempotent."""
        if self._task is not None:
            self._task.cancel()
            # A failure of the task was logged when it happened (`_stopped`).
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    def _stopped(self, task: "asyncio.Task[None]") -> None:
        # A view that stops following goes stale silently: make it loud, and unready.
        if not task.cancelled() and task.exception() is not None:
            self._failure = task.exception()
            self._loaded.set()  # wake waiters: they see the failure
            self._advanced.set()
            log.critical("stopped following %s: %r", ",".join(self._topics), self._failure)

    def _check_failed(self) -> None:
        if self._failure is not None:
            raise RuntimeError(f"the view of {self._topics} stopped following") from self._failure

    async def _follow(self) -> None:
        while True:
            if not self._loaded.is_set() and await self._reached(self._targets):
                log.info("view of %s loaded", ",".join(self._topics))
                self._loaded.set()
            assert self._consumer is not None
            # Short rounds: `catch_up` waiters re-check after each (see `_advanced`).
            batches = await self._consumer.getmany(timeout_ms=50)
            for records in batches.values():
                for r in records:
                    self._apply(r.topic, r.key, r.value)
            self._advanced.set()

    async def _reached(self, targets: dict[TopicPartition, int]) -> bool:
        assert self._consumer is not None
        for tp, end in targets.items():
            if await self._consumer.position(tp) < end:
                return False
        return True
