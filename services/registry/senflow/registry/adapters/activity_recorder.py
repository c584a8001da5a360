"""Counts every device's uplinks and last seen time from the raw uplink topics, in batches.

Exactly once, across crashes: it reads every partition of `senflow.uplinks.lora.raw.v1`
and `senflow.uplinks.device.raw.v1` itself (no consumer group, nothing committed to
Kafka), adds up up to `batch_size` records or `flush_interval_s` of them per device, and
applies the batch in one PostgreSQL transaction that also stores the next offset of every
partition it read. It resumes from those offsets, so a batch is either wholly counted and
never read again, or not counted and read again. A partition without a stored offset (the
first start, or a partition added to a topic) is read from its beginning: what Kafka
still retains of it counts, and a new partition's first records are not missed.

One recorder records at a time, platform-wide: the one whose connection holds a session
advisory lock, which is also the connection that writes. Others stand by and try again
every `retry_s`; when the leader dies its connection closes and the lock is free.

A record that is not a valid uplink, or whose sender no device has (looked up in
`network_info` when its batch is applied), is skipped and counted in a metric; nothing
about a record stops the recorder. Postgres or Kafka away: it logs, waits, starts over
from the stored offsets.
"""

import asyncio
import contextlib
import logging
import time

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from senflow.registry import metrics
from senflow.registry.adapters import device_activity as store
from senflow.registry.adapters.background import BackgroundTask
from senflow.registry.adapters.keep_running import keep_running
from senflow.registry.domain.device_activity import (
    INTERNAL_ERROR,
    UNKNOWN_DEVICE,
    UPLINK_TOPICS,
    ActivityBatch,
)
from senflow.registry.errors import UplinkTopicMissing

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x5E4F_0003  # 1: migrations, 2: the outbox relay
_APPLY_ATTEMPTS = 3  # a device deleted while its batch was applied: resolve again
# The recorder counts in batches, so it asks the broker for batches too: a fetch is answered
# when this much is waiting, or after the fetch wait (half the flush interval, at most
# 0.5 s). With Kafka's default (answer at the first byte) it made a fetch round trip per
# uplink at light load, in the registry and in the broker, for counts applied once a second.
_FETCH_MIN_BYTES = 1024 * 1024
_FETCH_MAX_WAIT_S = 0.5
_CLOCK_MARGIN_S = 0.1  # between the broker's answer and this process seeing it


class ActivityRecorder:
    """`start()` returns at once and records in the background; `stop()` is idempotent.

    Cancelling (stop) mid-batch rolls the batch's transaction back: it is read again by
    whichever recorder leads next.
    """

    def __init__(
        self,
        dsn: str,
        bootstrap: str,
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        retry_s: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._bootstrap = bootstrap
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._fetch_wait_s = min(_FETCH_MAX_WAIT_S, flush_interval_s / 2)
        self._retry_s = retry_s
        self._background = BackgroundTask("activity-recorder")
        self._standby = False
        # Everything Kafka held up to this (epoch seconds) is applied: the lag's reference.
        self._accounted_until = time.time()
        self._idle = False  # the last poll found nothing more to read, and all is applied
        metrics.ACTIVITY_LAG.set_function(self.lag_s)

    def lag_s(self) -> float:
        """Seconds since the newest record applied was written (0 while none waits)."""
        if self._standby or self._idle:
            return 0.0
        return max(0.0, time.time() - self._accounted_until)

    async def start(self) -> None:
        if not self._background.started:
            self._accounted_until = time.time()
            self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        # Any failure: start over from the stored offsets.
        await keep_running(self._lead, name="activity recorder", retry_s=self._retry_s, log=log)

    async def _lead(self) -> None:
        """Record while this connection holds the leader lock; return when another does."""
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK):
                self._standby = True
                return
            if self._standby:  # took over: the lag counts from now, not from standing by
                self._standby = False
                self._accounted_until = time.time()
            metrics.ACTIVITY_LEADER.set(1)
            await self._record(conn)
        finally:
            self._idle = False
            metrics.ACTIVITY_LEADER.set(0)
            with contextlib.suppress(Exception):
                await conn.close()

    async def _record(self, conn: asyncpg.Connection) -> None:
        consumer = AIOKafkaConsumer(
            *UPLINK_TOPICS,  # to learn their partitions; assigned by hand below
            bootstrap_servers=self._bootstrap,
            group_id=None,  # offsets live in Postgres, with the counts
            enable_auto_commit=False,
            # A stored offset retention has already deleted (or past the end of a topic
            # created anew): go on from the oldest record there is.
            auto_offset_reset="earliest",
            fetch_min_bytes=_FETCH_MIN_BYTES,
            fetch_max_wait_ms=max(1, int(self._fetch_wait_s * 1000)),
        )
        try:
            await consumer.start()  # fails while a topic is missing
            partitions = _partitions(consumer)
            # Assigned by hand rather than followed: when a partition is added aiokafka
            # reassigns every partition from auto_offset_reset (counting records again);
            # this recorder starts over from its stored offsets instead.
            consumer.unsubscribe()
            consumer.assign(sorted(partitions))
            await self._seek(conn, consumer, partitions)
            log.info("recording device activity from %d partitions", len(partitions))
            while _partitions(consumer) == partitions:
                batch, caught_up_at = await self._collect(consumer)
                if batch.records:
                    await self._apply(conn, batch)
                self._idle = caught_up_at is not None
                if caught_up_at is not None:
                    self._accounted_until = caught_up_at
                elif batch.newest_timestamp_ms is not None:
                    self._accounted_until = batch.newest_timestamp_ms / 1000
            log.info("the uplink topics' partitions changed: starting over")
        finally:
            await consumer.stop()

    @staticmethod
    async def _seek(
        conn: asyncpg.Connection, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]
    ) -> None:
        stored = await store.stored_offsets(conn, UPLINK_TOPICS)
        fresh = []
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                fresh.append(tp)
        if fresh:
            await consumer.seek_to_beginning(*fresh)

    async def _collect(self, consumer: AIOKafkaConsumer) -> tuple[ActivityBatch, float | None]:
        """Up to `batch_size` records, read for at most `flush_interval_s`; and, when a poll
        found nothing more to read, a time before which every record is in the batch.

        The broker answers a fetch at the latest after the fetch wait, with all it holds
        then; the consumer keeps a fetch in flight. So a poll that waited longer than that
        and got nothing saw an empty answer, and everything written until the fetch wait
        before the poll ended is read. A shorter empty poll proves nothing: the batch ends
        without a time."""
        batch = ActivityBatch()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._flush_interval_s
        conclusive_s = self._fetch_wait_s + _CLOCK_MARGIN_S
        while batch.records < self._batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            fetched = await consumer.getmany(
                timeout_ms=max(1, int(remaining * 1000)),
                max_records=self._batch_size - batch.records,
            )
            if not fetched:
                if remaining < conclusive_s:
                    return batch, None
                return batch, time.time() - conclusive_s
            for records in fetched.values():
                for record in records:
                    _add(batch, record)
        return batch, None

    async def _apply(self, conn: asyncpg.Connection, batch: ActivityBatch) -> None:
        for attempt in range(1, _APPLY_ATTEMPTS + 1):
            try:
                applied = await store.apply_batch(conn, batch)
                break
            except asyncpg.ForeignKeyViolationError:
                if attempt == _APPLY_ATTEMPTS:
                    raise
        # Counted once committed: a batch rolled back is counted when it is applied.
        metrics.ACTIVITY_BATCHES.inc()
        metrics.ACTIVITY_COUNTED.inc(applied.counted)
        if applied.unknown:
            metrics.ACTIVITY_SKIPPED.labels(UNKNOWN_DEVICE).inc(applied.unknown)
        for reason, records in batch.skipped.items():
            metrics.ACTIVITY_SKIPPED.labels(reason).inc(records)


def _add(batch: ActivityBatch, record: ConsumerRecord[bytes, bytes]) -> None:
    """The per-record error boundary: a record the batch fails on is skipped and logged."""
    try:
        batch.add(record.topic, record.partition, record.offset, record.timestamp, record.value)
    except Exception:  # noqa: BLE001 - a bug must not stop the counting of every device
        batch.skipped[INTERNAL_ERROR] += 1
        log.exception(
            "skipped uplink record %s/%d/%d", record.topic, record.partition, record.offset
        )


def _partitions(consumer: AIOKafkaConsumer) -> set[TopicPartition]:
    """Every partition of the uplink topics, as the consumer's metadata has them now."""
    found: set[TopicPartition] = set()
    for topic in UPLINK_TOPICS:
        ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise UplinkTopicMissing(f"topic {topic} does not exist (yet)")
        found.update(TopicPartition(topic, p) for p in ids)
    return found
