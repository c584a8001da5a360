"""Keyset (cursor) pagination over an entity table, with filters and a sort order.

A cursor encodes the sort it was made for and the last row's (sort value, id), so the
next page starts exactly after it whatever was inserted meanwhile.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from senflow.registry.adapters.db import Conn
from senflow.registry.errors import InvalidField

SORTS = ("created_at", "-created_at", "name", "-name")


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None
    sort: str = "created_at"
    q: str | None = None
    created_since: datetime | None = None
    created_before: datetime | None = None


@dataclass
class Query:
    """`SELECT * FROM <table>` plus conditions; `arg()` numbers the placeholders."""

    table: str
    conditions: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, condition: str) -> None:
        self.conditions.append(condition)


def _encode(sort: str, value: Any, row_id: Any) -> str:
    raw = json.dumps(
        [sort, value.isoformat() if isinstance(value, datetime) else value, str(row_id)]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        made_for, value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as err:
        raise InvalidField("cursor", "is not a cursor this API returned") from err
    if made_for != sort:
        raise InvalidField("cursor", f"belongs to sort '{made_for}', not '{sort}'")
    if sort.lstrip("-") == "created_at":
        value = datetime.fromisoformat(value)
    return value, row_id


async def fetch_page(
    conn: Conn, query: Query, page: PageRequest
) -> tuple[list[asyncpg.Record], str | None]:
    if page.sort not in SORTS:
        raise InvalidField("sort", f"must be one of {', '.join(SORTS)}")
    column = page.sort.lstrip("-")
    descending = page.sort.startswith("-")
    if page.q:
        escaped = page.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query.where(f"name ILIKE {query.arg('%' + escaped + '%')}")
    if page.created_since:
        query.where(f"created_at >= {query.arg(page.created_since)}")
    if page.created_before:
        query.where(f"created_at < {query.arg(page.created_before)}")
    if page.cursor:
        value, row_id = _decode(page.cursor, page.sort)
        op = "<" if descending else ">"
        query.where(f"({column}, id::text) {op} ({query.arg(value)}, {query.arg(row_id)})")
    order = "DESC" if descending else "ASC"
    sql = (
        f"SELECT * FROM {query.table}"
        + (" WHERE " + " AND ".join(query.conditions) if query.conditions else "")
        + f" ORDER BY {column} {order}, id::text {order} LIMIT {query.arg(page.limit + 1)}"
    )
    rows = await conn.fetch(sql, *query.args)
    if len(rows) <= page.limit:
        return list(rows), None
    last = rows[page.limit - 1]
    return list(rows[: page.limit]), _encode(page.sort, last[column], last["id"])
