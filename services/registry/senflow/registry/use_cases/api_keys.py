"""Customer API keys: scoped, hashed at rest, shown once, revocable, optionally expiring."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from senflow.registry.adapters import store
from senflow.registry.domain import api_keys
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import InvalidField, NotFound, Unauthorized
from senflow.registry.use_cases.base import UseCases


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


class ApiKeys(UseCases):
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

    async def create(
        self,
        p: Principal,
        customer_id: str | None,
        scopes: tuple[str, ...],
        expires_at: datetime | None,
    ) -> ApiKey:
        owner = key_owner(p, customer_id)
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

    async def of_customer(self, p: Principal, customer_id: str | None) -> list[ApiKey]:
        owner = key_owner(p, customer_id, scope="read")
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM api_keys WHERE customer_id = $1 ORDER BY created_at, id",
                store.as_uuid(owner, "customer"),
            )
        return [_api_key(r) for r in rows]

    async def revoke(self, p: Principal, key_id: str) -> None:
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


def key_owner(p: Principal, customer_id: str | None, scope: str = "write") -> str:
    """Whose keys or subscriptions: the named customer for the admin, else the caller's own
    (naming another customer is a 404)."""
    if p.is_admin:
        if customer_id is None:
            raise InvalidField("customer_id", "required when the admin manages keys")
        return customer_id
    p.require(scope)
    own = p.require_customer()
    if customer_id not in (None, own):
        raise NotFound(f"customer {customer_id} not found")
    return own


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
