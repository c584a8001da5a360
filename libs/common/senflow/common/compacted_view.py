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
        self._targets: dict[TopicPartition, int] = {}

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    async def wait_loaded(self) -> None:
        await self._loaded.wait()

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
        await asyncio.wait_for(self._loaded.wait(), load_timeout_s)

    async def catch_up(self, timeout_s: float = 5.0) -> None:
        """Wait until every record on the topics at this moment has been applied.

        For a consumer that meets an id the view does not know yet: the entity may have
        been published a moment ago, so look again once the view has caught up.
        Raises TimeoutError after `timeout_s`.
        """
        assert self._consumer is not None, "start() first"
        targets = await self._consumer.end_offsets(list(self._targets))
        async with asyncio.timeout(timeout_s):
            while not await self._reached(targets):
                self._advanced.clear()
                await self._advanced.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

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
