"""Follows compacted topics from the beginning and hands every record to a callback.

Used by the router (devices, flows) and the dispatcher (destinations) to hold the
registry's current state in memory. Every instance reads all partitions (no consumer
group), so each worker has the full view whatever partitions of data it owns.
"""

import asyncio
import contextlib
import logging
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
        )
        await consumer.start()
        self._consumer = consumer
        partitions = list(consumer.assignment())
        if not partitions:
            raise RuntimeError(f"topics {self._topics} do not exist; start the registry first")
        await consumer.seek_to_beginning(*partitions)
        self._targets = dict(await consumer.end_offsets(partitions))
        self._task = asyncio.create_task(self._follow(), name="compacted-view")
        self._task.add_done_callback(self._stopped)
        await asyncio.wait_for(self.wait_loaded(), load_timeout_s)

    async def catch_up(self, timeout_s: float = 5.0) -> None:
        """Wait until every record on the topics at this moment has been applied.

        For a consumer that meets an id the view does not know yet: the entity may have
        been published a moment ago, so look again once the view has caught up.
        Raises TimeoutError after `timeout_s`.
        """
        assert self._consumer is not None, "start() first"
        self._check_failed()
        targets = await self._consumer.end_offsets(list(self._targets))
        async with asyncio.timeout(timeout_s):
            while not await self._reached(targets):
                self._advanced.clear()
                await self._advanced.wait()
                self._check_failed()

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
            batches = await self._consumer.getmany(timeout_ms=200)
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
