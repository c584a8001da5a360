"""Customers (admin), their API keys and their network subscriptions."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from senflow.common.events import NetworkType
from senflow.registry.adapters import store
from senflow.registry.adapters.listing import PageRequest, Query, fetch_page
from senflow.registry.domain import api_keys
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, InvalidField, NotFound, StaleVersion, Unauthorized
from senflow.registry.use_cases.base import Page, UseCases, Versioned, emit

ALL_NETWORK_TYPES: tuple[NetworkType, ...] = ("KPNLORA", "M2M", "INTERNET", "MQTT")


@dataclass(frozen=True)
class ApiKey:
    id: str
    customer_id: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    key: str | None = None  # only when just created


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    network_type: str
    status: str
    max_devices: int | None
    version: int


class Customers(UseCases):
    async def authenticate(self, presented_key: str) -> Principal:
        prefix, secret = api_keys.split(presented_key)
        async with self._read() as conn:
            row = await conn.fetchrow(
                "SELECT k.customer_id, k.hash, k.scopes, k.expires_at, k.revoked_at, c.status"
                " FROM api_keys k JOIN customers c ON c.id = k.customer_id WHERE k.prefix = $1",
                prefix,
            )
        if row is None or not api_keys.matches(secret, row["hash"]):
            raise Unauthorized("unknown API key")
        if row["revoked_at"] is not None:
            raise Unauthorized("API key revoked")
        if row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC):
            raise Unauthorized("API key expired")
        if row["status"] != "active":
            raise Unauthorized("customer suspended")
        return Principal(str(row["customer_id"]), frozenset(row["scopes"]))

    # --- customers (admin) -------------------------------------------------------------
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

    # --- API keys ----------------------------------------------------------------------
    async def create_key(
        self,
        p: Principal,
        customer_id: str | None,
        scopes: tuple[str, ...],
        expires_at: datetime | None,
    ) -> ApiKey:
        owner = self._key_owner(p, customer_id)
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise InvalidField("expires_at", "must be in the future")
        new = api_keys.generate()
        async with self._transaction() as conn:
            await store.customer(conn, owner)
            row = await conn.fetchrow(
                "INSERT INTO api_keys (id, customer_id, prefix, hash, scopes, expires_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                uuid.uuid4(),
                store.as_uuid(owner, "customer"),
                new.prefix,
                new.secret_hash,
                list(dict.fromkeys(scopes)),
                expires_at,
            )
        return _api_key(row, new.plaintext)

    async def list_keys(self, p: Principal, customer_id: str | None) -> list[ApiKey]:
        owner = self._key_owner(p, customer_id, scope="read")
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM api_keys WHERE customer_id = $1 ORDER BY created_at, id",
                store.as_uuid(owner, "customer"),
            )
        return [_api_key(r) for r in rows]

    async def revoke_key(self, p: Principal, key_id: str) -> None:
        """Revoke a key; it stops working at once. Revoking twice is harmless."""
        async with self._transaction() as conn:
            row = await conn.fetchrow(
                "SELECT customer_id FROM api_keys WHERE id = $1", store.as_uuid(key_id, "API key")
            )
            if row is None or not (p.is_admin or str(row["customer_id"]) == p.customer_id):
                raise NotFound(f"API key {key_id} not found")
            p.require("write")
            await conn.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
                uuid.UUID(key_id),
            )

    @staticmethod
    def _key_owner(p: Principal, customer_id: str | None, scope: str = "write") -> str:
        if p.is_admin:
            if customer_id is None:
                raise InvalidField("customer_id", "required when the admin manages keys")
            return customer_id
        p.require(scope)
        own = p.require_customer()
        if customer_id not in (None, own):
            raise NotFound(f"customer {customer_id} not found")
        return own

    # --- network subscriptions ---------------------------------------------------------
    async def subscriptions(self, p: Principal, customer_id: str | None) -> list[Subscription]:
        owner = self._key_owner(p, customer_id, scope="read")
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM network_subscriptions WHERE customer_id = $1 ORDER BY network_type",
                store.as_uuid(owner, "customer"),
            )
        return [_subscription(r) for r in rows]

    async def set_subscription(
        self,
        customer_id: str,
        network_type: NetworkType,
        status: str,
        max_devices: int | None,
    ) -> Subscription:
        """Admin: create or change a customer's subscription to one network type."""
        async with self._transaction() as conn:
            await store.customer(conn, customer_id)
            row = await conn.fetchrow(
                "INSERT INTO network_subscriptions (id, customer_id, network_type, status,"
                " max_devices) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (customer_id, network_type) DO UPDATE SET status = $4,"
                " max_devices = $5, version = network_subscriptions.version + 1,"
                " updated_at = now() RETURNING *",
                uuid.uuid4(),
                uuid.UUID(customer_id),
                network_type,
                status,
                max_devices,
            )
        return _subscription(row)


def check_version(current: int, if_match: int | None) -> None:
    """Refuse a stale `If-Match` (412): the entity changed since the caller read it."""
    if if_match is not None and if_match != current:
        raise StaleVersion(f"the current version is {current}, not {if_match}")


def _api_key(r: Any, plaintext: str | None = None) -> ApiKey:
    return ApiKey(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        prefix=r["prefix"],
        scopes=tuple(r["scopes"]),
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        revoked_at=r["revoked_at"],
        key=plaintext,
    )


def _subscription(r: Any) -> Subscription:
    return Subscription(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        network_type=r["network_type"],
        status=r["status"],
        max_devices=r["max_devices"],
        version=r["version"],
    )
