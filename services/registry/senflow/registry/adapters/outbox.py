"""The transactional outbox: a change event is stored in the transaction of its change,
and read, deleted or parked by the relay (`outbox_relay`)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from senflow.common import headers as h
from senflow.common.contract import Contract
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps
from senflow.common.topics import ENTITY_TOPICS
from senflow.registry.adapters.db import Conn


async def append(conn: Conn, event: ChangeEvent[Contract]) -> None:
    """Store `event` for the relay. Must run inside the transaction that made the change.

    A deletion (no snapshot) becomes a tombstone; its envelope travels in the headers so
    that consumers still learn the event id, type and version.
    """
    hdrs = {
        h.EVENT_ID: event.event_id,
        h.EVENT_TYPE: event.event_type,
        h.ENTITY_VERSION: str(event.entity_version),
        h.SCHEMA_VERSION: str(event.schema_version),
    }
    if event.customer_id is not None:
        hdrs[h.CUSTOMER_ID] = event.customer_id
    value = dumps(event) if event.snapshot is not None else None
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb)",
        ENTITY_TOPICS[event.entity_type],
        event.entity_id,
        value,
        json.dumps(hdrs),
    )


@dataclass(frozen=True)
class OutboxRow:
    """A change event waiting for the relay: where it goes, its record, its headers."""

    id: int
    topic: str
    key: str
    value: bytes | None
    headers: dict[str, str]


class PostgresOutboxRows:
    """The relay's side of the outbox table, on the relay's own connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def next_batch(self, limit: int) -> list[OutboxRow]:
        """The oldest `limit` rows, in id order."""
        rows = await self._conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1", limit
        )
        return [
            OutboxRow(r["id"], r["topic"], r["key"], r["value"], json.loads(r["headers"]))
            for r in rows
        ]

    async def settle(self, published: Sequence[int], parked: Sequence[tuple[int, str]]) -> None:
        """In one transaction: delete the rows Kafka acknowledged, and move those it refused
        for good to `outbox_parked` with its error."""
        async with self._conn.transaction():
            for row_id, error in parked:
                await self._conn.execute(
                    "WITH moved AS (DELETE FROM outbox WHERE id = $1 RETURNING *)"
                    " INSERT INTO outbox_parked (id, topic, key, value, headers, created_at,"
                    " error) SELECT id, topic, key, value, headers, created_at, $2 FROM moved",
                    row_id,
                    error,
                )
            if published:
                await self._conn.execute(
                    "DELETE FROM outbox WHERE id = ANY($1::bigint[])", list(published)
                )
