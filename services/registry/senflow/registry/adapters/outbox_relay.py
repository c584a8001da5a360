"""Publishes outbox rows to Kafka in id order, then deletes them. Never loses one.

One relay is active at a time (a session advisory lock); others wait as hot standbys.
A batch is deleted only after Kafka acknowledged every record of it (acks=all,
idempotent producer), so a crash between publish and delete republishes the batch:
consumers drop those duplicates by event id / entity version.

A record Kafka refuses for good (too large for it, corrupt: `refused_for_good`) would
otherwise be retried forever at the head of the outbox, stalling every later change of
every customer. It is parked instead: moved, with Kafka's error, to `outbox_parked` in
the transaction that deletes the batch's published rows; logged as an error, counted in
`senflow_registry_outbox_parked_total`, kept for an operator. Every other failure (Kafka
away, a timeout) leaves the batch in the outbox to be tried again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from senflow.common import headers as h
from senflow.registry import metrics
from senflow.registry.adapters.background import BackgroundTask
from senflow.registry.adapters.keep_running import keep_running
from senflow.registry.adapters.outbox import OutboxRow, PostgresOutboxRows

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x5E4F_0002
_CHANNEL = "senflow_outbox"
# What Kafka says about one record that it would say again however often it is sent.
# Listed rather than read from aiokafka's `retriable` flag: that flag is False for errors
# that are not the record's (a produce timeout while the broker is away, authorisation, a
# timestamp refused because this host's clock is off), and parking every row while Kafka
# is away or misconfigured would be far worse than waiting.
_REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,  # above the producer's max request or the topic's max message
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
)


def refused_for_good(err: BaseException) -> bool:
    """Whether Kafka refused a record for a reason that sending it again cannot change."""
    return isinstance(err, _REFUSED_FOR_GOOD)


class OutboxRows(Protocol):
    async def next_batch(self, limit: int) -> list[OutboxRow]: ...

    async def settle(self, published: Sequence[int], parked: Sequence[tuple[int, str]]) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        bootstrap: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._bootstrap = bootstrap
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._background = BackgroundTask("outbox-relay")
        self._wake = asyncio.Event()
        self.is_leader = False
        self.published = 0

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        # Survive Kafka or Postgres being away: rows wait in the outbox until both are back.
        await keep_running(self._lead, name="outbox relay", retry_s=1.0, log=log)

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=10_000,
        )
        try:
            # Blocks while another relay leads; its death (connection closed) frees the lock.
            await conn.execute("SELECT pg_advisory_lock($1)", _LEADER_LOCK)
            await producer.start()
            self.is_leader = True
            await conn.add_listener(_CHANNEL, lambda *_: self._wake.set())
            while True:
                # Clear before reading, so a NOTIFY that arrives while a batch is being
                # published wakes the next round instead of being lost.
                self._wake.clear()
                if await self._publish_batch(conn, producer) < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await producer.stop()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        settled = await publish_batch(PostgresOutboxRows(conn), producer, self._batch_size)
        self.published += settled.published
        return settled.rows


@dataclass(frozen=True)
class Settled:
    """What became of a batch's rows: published (and deleted), or parked."""

    published: int = 0
    parked: int = 0

    @property
    def rows(self) -> int:
        return self.published + self.parked


async def publish_batch(rows: OutboxRows, producer: AIOKafkaProducer, limit: int) -> Settled:
    """Publish the next `limit` rows and settle them: the acknowledged ones deleted, those
    Kafka refused for good parked. Any other failure raises and settles nothing: the batch
    is published again."""
    batch = await rows.next_batch(limit)
    if not batch:
        return Settled()
    answers = [await _send(producer, row) for row in batch]  # in id order
    outcomes = await asyncio.gather(*answers, return_exceptions=True)
    parked: list[tuple[OutboxRow, BaseException]] = []
    for row, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not refused_for_good(outcome):
                raise outcome
            parked.append((row, outcome))
    parked_ids = {row.id for row, _ in parked}
    published = [row.id for row in batch if row.id not in parked_ids]
    await rows.settle(published, [(row.id, _described(err)) for row, err in parked])
    for row, err in parked:
        log.error(
            "outbox event %s parked: Kafka refused it for good: %s",
            row.id,
            _described(err),
            extra={
                "topic": row.topic,
                "key": row.key,
                "event_type": row.headers.get(h.EVENT_TYPE),
                "entity_version": row.headers.get(h.ENTITY_VERSION),
                "value_bytes": len(row.value or b""),
            },
        )
    metrics.OUTBOX_PARKED.inc(len(parked))
    metrics.OUTBOX_PUBLISHED.inc(len(published))
    return Settled(len(published), len(parked))


async def _send(producer: AIOKafkaProducer, row: OutboxRow) -> "asyncio.Future[Any]":
    """Kafka's pending answer for the row's record. A record the producer refuses before
    sending it (larger than its max request) is answered at once, with that error."""
    headers = [(k, v.encode()) for k, v in row.headers.items()]
    try:
        answer: asyncio.Future[Any] = await producer.send(
            row.topic, key=row.key.encode(), value=row.value, headers=headers
        )
    except _REFUSED_FOR_GOOD as err:
        answer = asyncio.get_running_loop().create_future()
        answer.set_exception(err)
    return answer


def _described(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:1000]
