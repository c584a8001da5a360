"""Customers: the tenants, managed by the platform admin."""

import uuid
from typing import Any

from senflow.common.events import NetworkType
from senflow.registry.adapters import store
from senflow.registry.adapters.listing import PageRequest, Query, fetch_page
from senflow.registry.errors import Conflict
from senflow.registry.use_cases.base import Page, UseCases, Versioned, check_version, emit


class Customers(UseCases):
    async def create(self, name: str, network_types: tuple[NetworkType, ...]) -> Versioned:
        cid = str(uuid.uuid4())
        async with self._transaction() as conn:
            await conn.execute("INSERT INTO customers (id, name) VALUES ($1, $2)", cid, name)
            await conn.executemany(
                "INSERT INTO network_subscriptions (id, customer_id, network_type)"
                " VALUES ($1, $2, $3)",
                [(uuid.uuid4(), cid, t) for t in dict.fromkeys(network_types)],
            )
            snap, version = await store.customer(conn, cid)
            await emit(conn, "customer", "CustomerCreated", snap, cid, version, cid)
        return Versioned(snap, version)

    async def get(self, cid: str) -> Versioned:
        async with self._read() as conn:
            return Versioned(*await store.customer(conn, cid))

    async def find(self, page: PageRequest) -> Page:
        async with self._read() as conn:
            rows, cursor = await fetch_page(conn, Query("customers"), page)
            items = [Versioned(*await store.customer(conn, str(r["id"]))) for r in rows]
        return Page(items, cursor)

    async def update(self, cid: str, changes: dict[str, Any], if_match: int | None) -> Versioned:
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "customers", cid, None), if_match)
            await conn.execute(
                "UPDATE customers SET name = coalesce($2, name), status = coalesce($3, status)"
                " WHERE id = $1",
                uuid.UUID(cid),
                changes.get("name"),
                changes.get("status"),
            )
            await store.bump(conn, "customers", cid)
            snap, version = await store.customer(conn, cid)
            kind = {"suspended": "CustomerSuspended", "active": "CustomerReactivated"}
            await emit(
                conn,
                "customer",
                kind.get(str(changes.get("status")), "CustomerUpdated"),
                snap,
                cid,
                version,
                cid,
            )
        return Versioned(snap, version)

    async def delete(self, cid: str) -> None:
        """Only an empty customer can be deleted; suspend one that still owns objects."""
        async with self._transaction() as conn:
            version = await store.lock(conn, "customers", cid, None)
            owned = await conn.fetchval(
                "SELECT (SELECT count(*) FROM devices WHERE customer_id = $1)"
                " + (SELECT count(*) FROM projects WHERE customer_id = $1)"
                " + (SELECT count(*) FROM destinations WHERE customer_id = $1)"
                " + (SELECT count(*) FROM codecs WHERE customer_id = $1)",
                uuid.UUID(cid),
            )
            if owned:
                raise Conflict(f"customer {cid} still owns {owned} object(s); suspend it instead")
            await conn.execute("DELETE FROM customers WHERE id = $1", uuid.UUID(cid))
            await emit(conn, "customer", "CustomerDeleted", None, cid, version + 1, cid)
