"""Publishes outbox rows to Kafka in id order, then deletes them. Never loses one.

One relay is active at a time (a session advisory lock); others wait as hot standbys.
A batch is deleted only after Kafka acknowledged every record of it (acks=all,
idempotent producer), so a crash between publish and delete republishes the batch:
consumers drop those duplicates by event id / entity version.
"""

import asyncio
import contextlib
import logging

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from senflow.registry import metrics

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x5E4F_0002
_CHANNEL = "senflow_outbox"


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
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.is_leader = False
        self.published = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # Survive Kafka or Postgres being away: rows wait in the outbox until both are back.
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - any failure: back off and retry
                self.is_leader = False
                log.warning("outbox relay paused: %s: %s", type(err).__name__, err)
                await asyncio.sleep(1.0)

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
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        futures = []
        for r in rows:
            headers = [(k, v.encode()) for k, v in orjson.loads(r["headers"]).items()]
            futures.append(
                await producer.send(
                    r["topic"], key=r["key"].encode(), value=r["value"], headers=headers
                )
            )
        await asyncio.gather(*futures)
        await conn.execute(
            "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
        self.published += len(rows)
        metrics.OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)
