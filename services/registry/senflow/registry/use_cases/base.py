"""What every use case shares: the pool, the platform key, transactions and events."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from senflow.common.contract import Contract
from senflow.common.events import ChangeEvent, EntityType
from senflow.registry.adapters import outbox
from senflow.registry.adapters.db import Conn
from senflow.registry.adapters.listing import PageRequest, Query, fetch_page
from senflow.registry.adapters.store import as_uuid
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import StaleVersion


@dataclass(frozen=True)
class Versioned:
    """A snapshot with its version (the API's ETag)."""

    snapshot: Contract
    version: int


@dataclass(frozen=True)
class Page:
    items: list[Versioned]
    next_cursor: str | None


class UseCases:
    def __init__(self, pool: asyncpg.Pool, secrets_key: bytes) -> None:
        self._pool = pool
        self._key = secrets_key

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Conn]:
        async with self._pool.acquire() as conn:
            yield conn

    async def _find_owned(
        self,
        p: Principal,
        query: Query,
        page: PageRequest,
        read: Callable[[Conn, str, str | None], Awaitable[tuple[Contract, int]]],
    ) -> Page:
        """One page of the caller's own rows of `query`, each read as its snapshot."""
        p.require("read")
        query.where(f"customer_id = {query.arg(uuid.UUID(p.require_customer()))}")
        async with self._read() as conn:
            rows, cursor = await fetch_page(conn, query, page)
            items = [Versioned(*await read(conn, str(r["id"]), None)) for r in rows]
        return Page(items, cursor)


def in_project_flows(query: Query, member_table: str, column: str, project_id: str) -> Query:
    """Narrow `query` to the rows that are members of a flow of the project."""
    project = as_uuid(project_id, "project")
    query.where(
        f"id IN (SELECT m.{column} FROM {member_table} m JOIN flows f ON f.id = m.flow_id"
        f" WHERE f.project_id = {query.arg(project)})"
    )
    return query


async def emit(
    conn: Conn,
    entity: EntityType,
    event_type: str,
    snapshot: Contract | None,
    entity_id: str,
    version: int,
    customer_id: str | None,
) -> None:
    """Write the change event to the outbox; `snapshot=None` is a deletion (tombstone)."""
    await outbox.append(
        conn,
        ChangeEvent[Contract](
            event_id=str(uuid.uuid4()),
            event_type=event_type,
            entity_type=entity,
            entity_id=entity_id,
            entity_version=version,
            customer_id=customer_id,
            occurred_at=datetime.now(UTC),
            snapshot=snapshot,
        ),
    )


def check_version(current: int, if_match: int | None) -> None:
    """Refuse a stale `If-Match` (412): the entity changed since the caller read it."""
    if if_match is not None and if_match != current:
        raise StaleVersion(f"the current version is {current}, not {if_match}")
