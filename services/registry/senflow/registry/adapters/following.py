"""Background work on Kafka in the API process, which must never fail the API.

`Retrying` runs one attempt after another in a task: Kafka or a topic may be absent when
the API starts, or go away later; each failure is logged and tried again after `retry_s`.
`TopicFollower` is such an attempt for plain topics: every record of every partition (no
consumer group, nothing committed) handed to `apply`, and after a failure from the first
record not yet handed over.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from senflow.registry.adapters.background import BackgroundTask
from senflow.registry.adapters.keep_running import keep_running

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
# Where to start reading a partition met for the first time (not after a failure).
SeekFresh: TypeAlias = Callable[[AIOKafkaConsumer, list[TopicPartition]], Awaitable[None]]


class Retrying:
    """`start()` returns at once; `stop()` cancels the attempt in progress, idempotent.

    `what` names the work in the warning logged (on `logger`) when an attempt fails.
    An attempt that returns is started again after `retry_s` too.
    """

    def __init__(
        self,
        what: str,
        attempt: Callable[[], Awaitable[None]],
        retry_s: float,
        logger: logging.Logger = log,
    ) -> None:
        self._what = what
        self._attempt = attempt
        self._retry_s = retry_s
        self._log = logger
        self._background = BackgroundTask(self._what)

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        # Optional work: whatever stops an attempt, the API keeps serving and it is retried.
        await keep_running(self._attempt, name=self._what, retry_s=self._retry_s, log=self._log)


async def from_beginning(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
    await consumer.seek_to_beginning(*partitions)


class TopicFollower:
    """Hands every record of `topics` to `apply`, in offset order per partition.

    `apply` must not raise for a bad record (it owns their handling): an exception ends the
    attempt, and the batch it was in is handed over again. Without a bootstrap (tests) it
    follows nothing, and counts as caught up.
    """

    def __init__(
        self,
        bootstrap: str | None,
        topics: tuple[str, ...],
        apply: Callable[[Record], None],
        *,
        seek_fresh: SeekFresh = from_beginning,
        auto_offset_reset: str = "latest",  # a partition that appears while following
        retry_s: float = 5.0,
        logger: logging.Logger = log,
    ) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self._apply = apply
        self._seek_fresh = seek_fresh
        self._auto_offset_reset = auto_offset_reset
        self._positions: dict[TopicPartition, int] = {}  # next offset, to resume after a failure
        self._caught_up = bootstrap is None
        self._retrying = Retrying(f"follow {','.join(topics)}", self._follow, retry_s, logger)

    @property
    def caught_up(self) -> bool:
        """True once every record the topics held when following began was handed over."""
        return self._caught_up

    async def start(self) -> None:
        if self._bootstrap is not None:
            await self._retrying.start()

    async def stop(self) -> None:
        """Stop following; idempotent."""
        await self._retrying.stop()

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._bootstrap,
            group_id=None,  # every partition, and no offsets committed anywhere
            enable_auto_commit=False,
            auto_offset_reset=self._auto_offset_reset,
        )
        try:
            await consumer.start()
            ends = await self._seek(consumer)
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        self._apply(record)
                    self._positions[tp] = records[-1].offset + 1
                if not self._caught_up:
                    self._caught_up = await _reached(consumer, ends)
        finally:
            await consumer.stop()

    async def _seek(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
        """Where this process left off, or `seek_fresh`; the end offsets to catch up to."""
        partitions = list(consumer.assignment())
        missing = set(self._topics) - {tp.topic for tp in partitions}
        if missing:
            raise RuntimeError(f"topic {', '.join(sorted(missing))} does not exist (yet)")
        for tp in partitions:
            if tp in self._positions:
                consumer.seek(tp, self._positions[tp])
        fresh = [tp for tp in partitions if tp not in self._positions]
        if fresh:
            await self._seek_fresh(consumer, fresh)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
