"""Use cases of the registry. Each mutation is one transaction that also writes its event."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from senflow.common import secrets as sealing
from senflow.common.contract import Contract
from senflow.common.events import (
    ChangeEvent,
    CustomerSnapshot,
    DestinationSnapshot,
    DeviceSnapshot,
    EntityType,
    FlowSnapshot,
    HttpsConfig,
    ProjectSnapshot,
)
from senflow.registry.adapters import outbox, store
from senflow.registry.adapters.db import Conn
from senflow.registry.domain import api_keys, rules
from senflow.registry.domain.principal import ADMIN, Principal
from senflow.registry.errors import Conflict, InvalidField, NotFound, StaleVersion, Unauthorized


@dataclass(frozen=True)
class Versioned:
    """A snapshot with its version (the API's ETag)."""

    snapshot: Contract
    version: int


@dataclass(frozen=True)
class CreatedApiKey:
    id: str
    customer_id: str
    key: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


class RegistryService:
    """The registry's use cases over a connection pool and the platform secrets key."""

    def __init__(self, pool: asyncpg.Pool, secrets_key: bytes) -> None:
        self._pool = pool
        self._key = secrets_key

    # --- authentication -------------------------------------------------------------
    async def authenticate(self, presented_key: str) -> Principal:
        prefix, secret = api_keys.split(presented_key)
        row = await self._pool.fetchrow(
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

    # --- customers and keys (admin) ----------------------------------------------------
    async def create_customer(self, name: str) -> Versioned:
        cid = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO customers (id, name) VALUES ($1, $2)", cid, name)
            snap, version = await store.customer(conn, cid)
            await _emit(conn, "customer", "CustomerCreated", snap, version, cid)
        return Versioned(snap, version)

    async def get_customer(self, cid: str) -> Versioned:
        async with self._pool.acquire() as conn:
            return Versioned(*await store.customer(conn, cid))

    async def create_api_key(
        self,
        principal: Principal,
        customer_id: str | None,
        scopes: tuple[str, ...],
        expires_at: datetime | None,
    ) -> CreatedApiKey:
        if principal.is_admin:
            if customer_id is None:
                raise InvalidField("customer_id", "required when the admin creates a key")
        else:
            principal.require("write")
            own = principal.require_customer()
            if customer_id not in (None, own):
                raise NotFound(f"customer {customer_id} not found")
            customer_id = own
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise InvalidField("expires_at", "must be in the future")
        new = api_keys.generate()
        kid = str(uuid.uuid4())
        async with self._pool.acquire() as conn:
            await store.customer(conn, customer_id)
            await conn.execute(
                "INSERT INTO api_keys (id, customer_id, prefix, hash, scopes, expires_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                kid,
                customer_id,
                new.prefix,
                new.secret_hash,
                list(scopes),
                expires_at,
            )
        return CreatedApiKey(kid, customer_id, new.plaintext, scopes, expires_at)

    # --- projects ----------------------------------------------------------------------
    async def create_project(self, p: Principal, name: str, description: str) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        pid = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO projects (id, customer_id, name, description) VALUES ($1,$2,$3,$4)",
                pid,
                cid,
                name,
                description,
            )
            snap, version = await store.project(conn, pid, cid)
            await _emit(conn, "project", "ProjectCreated", snap, version, cid)
        return Versioned(snap, version)

    # --- destinations ------------------------------------------------------------------
    async def create_destination(
        self, p: Principal, name: str, config: HttpsConfig, secret: str
    ) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        rules.destination_url("config.url", config.url)
        rules.destination_secret("secret", secret)
        did = str(uuid.uuid4())
        sealed = sealing.seal(self._key, secret, bound_to=did)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO destinations (id, customer_id, name, type, config, sealed_secret)"
                " VALUES ($1, $2, $3, 'https', $4::jsonb, $5)",
                did,
                cid,
                name,
                config.model_dump_json(),
                sealed,
            )
            snap, version = await store.destination(conn, did, cid)
            await _emit(conn, "destination", "DestinationCreated", snap, version, cid)
        return Versioned(snap, version)

    # --- devices -----------------------------------------------------------------------
    async def register_device(self, p: Principal, name: str, specification_id: str) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        did = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            if (
                await conn.fetchval(
                    "SELECT 1 FROM device_specifications WHERE id = $1", specification_id
                )
                is None
            ):
                raise InvalidField("specification_id", f"unknown specification {specification_id}")
            await conn.execute(
                "INSERT INTO devices (id, customer_id, name, specification_id)"
                " VALUES ($1, $2, $3, $4)",
                did,
                cid,
                name,
                specification_id,
            )
            snap, version = await store.device(conn, did, cid)
            await _emit(conn, "device", "DeviceRegistered", snap, version, cid)
        return Versioned(snap, version)

    async def update_device(
        self,
        p: Principal,
        did: str,
        changes: dict[str, Any],
        if_match: int | None,
    ) -> Versioned:
        """Apply `changes` (name, status); with `if_match`, refuse a stale version (412)."""
        p.require("write")
        cid = p.require_customer()
        async with self._pool.acquire() as conn, conn.transaction():
            current = await store.lock_device(conn, did, cid)
            if if_match is not None and if_match != current:
                raise StaleVersion(f"device is at version {current}, not {if_match}")
            await conn.execute(
                "UPDATE devices SET name = coalesce($2, name), status = coalesce($3, status),"
                " version = version + 1, updated_at = now() WHERE id = $1",
                uuid.UUID(did),
                changes.get("name"),
                changes.get("status"),
            )
            snap, version = await store.device(conn, did, cid)
            kind = {"deactivated": "DeviceDeactivated", "active": "DeviceActivated"}.get(
                str(changes.get("status")), "DeviceUpdated"
            )
            await _emit(conn, "device", kind, snap, version, cid)
        return Versioned(snap, version)

    async def put_lora_network_info(
        self, p: Principal, did: str, dev_eui: str, join_eui: str, app_key: str
    ) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        dev_eui = rules.eui("dev_eui", dev_eui)
        attributes = {"join_eui": rules.eui("join_eui", join_eui)}
        sealed = sealing.seal(self._key, rules.app_key("app_key", app_key), bound_to=did)
        async with self._pool.acquire() as conn, conn.transaction():
            await store.lock_device(conn, did, cid)
            spec_types = await conn.fetchval(
                "SELECT s.network_types FROM devices d JOIN device_specifications s"
                " ON s.id = d.specification_id WHERE d.id = $1",
                uuid.UUID(did),
            )
            if "KPNLORA" not in spec_types:
                raise InvalidField(
                    "network_type", "the device's specification does not support KPNLORA"
                )
            try:
                await conn.execute(
                    "INSERT INTO network_info (device_id, network_type, identifier, attributes,"
                    " sealed_secret) VALUES ($1, 'KPNLORA', $2, $3::jsonb, $4)"
                    " ON CONFLICT (device_id, network_type) DO UPDATE SET identifier = $2,"
                    " attributes = $3::jsonb, sealed_secret = $4",
                    uuid.UUID(did),
                    dev_eui,
                    json.dumps(attributes),
                    sealed,
                )
            except asyncpg.UniqueViolationError as err:
                raise Conflict(f"DevEUI {dev_eui} is already registered to another device") from err
            await conn.execute(
                "UPDATE devices SET version = version + 1, updated_at = now() WHERE id = $1",
                uuid.UUID(did),
            )
            snap, version = await store.device(conn, did, cid)
            await _emit(conn, "device", "DeviceNetworkInfoSet", snap, version, cid)
        return Versioned(snap, version)

    # --- flows -------------------------------------------------------------------------
    async def create_flow(
        self,
        p: Principal,
        project_id: str,
        name: str,
        device_ids: tuple[str, ...],
        destination_ids: tuple[str, ...],
        decoder_ids: tuple[str, ...],
    ) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        fid = str(uuid.uuid4())
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                await store.project(conn, project_id, cid)
            except NotFound as err:
                raise InvalidField("project_id", f"unknown project {project_id}") from err
            for field, table, ids in (
                ("device_ids", "devices", device_ids),
                ("destination_ids", "destinations", destination_ids),
            ):
                unknown = set(ids) - await store.owned_ids(conn, table, ids, cid)
                if unknown:
                    raise InvalidField(field, f"unknown ids: {', '.join(sorted(unknown))}")
            known = {r["id"] for r in await conn.fetch("SELECT id FROM decoders")}
            if bad := set(decoder_ids) - known:
                raise InvalidField("decoder_ids", f"unknown decoders: {', '.join(sorted(bad))}")
            await conn.execute(
                "INSERT INTO flows (id, customer_id, project_id, name, decoder_ids)"
                " VALUES ($1, $2, $3, $4, $5)",
                fid,
                cid,
                uuid.UUID(project_id),
                name,
                list(decoder_ids),
            )
            await conn.executemany(
                "INSERT INTO flow_devices (flow_id, device_id) VALUES ($1, $2)",
                [(fid, d) for d in set(device_ids)],
            )
            await conn.executemany(
                "INSERT INTO flow_destinations (flow_id, destination_id) VALUES ($1, $2)",
                [(fid, d) for d in set(destination_ids)],
            )
            snap, version = await store.flow(conn, fid, cid)
            await _emit(conn, "flow", "FlowCreated", snap, version, cid)
        return Versioned(snap, version)

    # --- reads -------------------------------------------------------------------------
    async def get(self, p: Principal, entity: EntityType, eid: str) -> Versioned:
        p.require("read")
        cid = p.require_customer()
        readers = {
            "project": store.project,
            "device": store.device,
            "destination": store.destination,
            "flow": store.flow,
        }
        async with self._pool.acquire() as conn:
            return Versioned(*await readers[entity](conn, eid, cid))


async def _emit(
    conn: Conn,
    entity: EntityType,
    event_type: str,
    snap: CustomerSnapshot | ProjectSnapshot | DeviceSnapshot | DestinationSnapshot | FlowSnapshot,
    version: int,
    customer_id: str,
) -> None:
    await outbox.append(
        conn,
        ChangeEvent[Contract](
            event_id=str(uuid.uuid4()),
            event_type=event_type,
            entity_type=entity,
            entity_id=snap.id,
            entity_version=version,
            customer_id=customer_id,
            occurred_at=datetime.now(UTC),
            snapshot=snap,
        ),
    )


__all__ = ["ADMIN", "CreatedApiKey", "RegistryService", "Versioned"]
