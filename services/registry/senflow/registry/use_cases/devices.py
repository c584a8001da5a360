"""Devices and their network info (one identity per network type)."""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from senflow.common import secrets as sealing
from senflow.common.events import NetworkType
from senflow.registry.adapters import store
from senflow.registry.adapters.db import Conn
from senflow.registry.adapters.listing import PageRequest, Query
from senflow.registry.domain.downlink_status import (
    DEACTIVATED_REASON,
    identity_changed_reason,
    identity_removed_reason,
)
from senflow.registry.domain.network_info import NetworkIdentity, normalise
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, InvalidField, NotFound
from senflow.registry.use_cases.base import (
    Page,
    UseCases,
    Versioned,
    check_version,
    emit,
    in_project_flows,
)
from senflow.registry.use_cases.downlinks import fail_unfinished, forget_device_downlinks
from senflow.registry.use_cases.flows import detach_from_flows


@dataclass(frozen=True)
class NewDevice:
    name: str
    specification_id: str
    barcode: str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    network_info: dict[NetworkType, dict[str, Any]] = field(default_factory=dict)


class Devices(UseCases):
    async def register(self, p: Principal, new: NewDevice) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            return await register_in(conn, self._key, cid, new)

    async def get(self, p: Principal, did: str) -> Versioned:
        p.require("read")
        async with self._read() as conn:
            return Versioned(*await store.device(conn, did, p.require_customer()))

    async def find(
        self,
        p: Principal,
        page: PageRequest,
        project_id: str | None = None,
        specification_id: str | None = None,
    ) -> Page:
        query = Query("devices")
        if specification_id:
            query.where(f"specification_id = {query.arg(specification_id)}")
        if project_id:
            in_project_flows(query, "flow_devices", "device_id", project_id)
        return await self._find_owned(p, query, page, store.device)

    async def update(
        self, p: Principal, did: str, changes: dict[str, Any], if_match: int | None
    ) -> Versioned:
        """Change name, status, barcode, description or tags; `if_match` refuses a stale
        version (412). Deactivated devices stay registered; their uplinks are dead-lettered
        and their downlinks not sent yet fail."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "devices", did, cid), if_match)
            await conn.execute(
                "UPDATE devices SET name = coalesce($2, name), status = coalesce($3, status),"
                " barcode = coalesce($4, barcode), description = coalesce($5, description),"
                " tags = coalesce($6::jsonb, tags) WHERE id = $1",
                uuid.UUID(did),
                changes.get("name"),
                changes.get("status"),
                changes.get("barcode"),
                changes.get("description"),
                json.dumps(changes["tags"]) if "tags" in changes else None,
            )
            await store.bump(conn, "devices", did)
            if changes.get("status") == "deactivated":
                await fail_unfinished(conn, did, DEACTIVATED_REASON)
            snap, version = await store.device(conn, did, cid)
            kind = {"deactivated": "DeviceDeactivated", "active": "DeviceActivated"}
            event = kind.get(str(changes.get("status")), "DeviceUpdated")
            await emit(conn, "device", event, snap, did, version, cid)
        return Versioned(snap, version)

    async def delete(self, p: Principal, did: str, detach: bool, if_match: int | None) -> None:
        """A device in flows is a 409 unless `detach` takes it out of them first."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            version = await store.lock(conn, "devices", did, cid)
            check_version(version, if_match)
            await detach_from_flows(conn, "flow_devices", "device_id", did, cid, detach)
            await forget_device_downlinks(conn, did)  # their rows go with the device
            await conn.execute("DELETE FROM devices WHERE id = $1", uuid.UUID(did))
            await emit(conn, "device", "DeviceDeleted", None, did, version + 1, cid)

    async def set_network_info(
        self, p: Principal, did: str, network_type: NetworkType, body: dict[str, Any]
    ) -> Versioned:
        """Set or replace the device's identity on a network. Its downlinks not sent yet
        to another identifier there fail: that identifier may become another device's."""
        p.require("write")
        cid = p.require_customer()
        identity = normalise(network_type, body)
        async with self._transaction() as conn:
            await store.lock(conn, "devices", did, cid)
            await _put_identity(conn, self._key, cid, did, identity)
            await fail_unfinished(
                conn,
                did,
                identity_changed_reason(network_type),
                network_type,
                except_identifier=identity.identifier,
            )
            await store.bump(conn, "devices", did)
            snap, version = await store.device(conn, did, cid)
            await emit(conn, "device", "DeviceNetworkInfoSet", snap, did, version, cid)
        return Versioned(snap, version)

    async def remove_network_info(self, p: Principal, did: str, network_type: str) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            await store.lock(conn, "devices", did, cid)
            deleted = await conn.execute(
                "DELETE FROM network_info WHERE device_id = $1 AND network_type = $2",
                uuid.UUID(did),
                network_type,
            )
            if deleted == "DELETE 0":
                raise NotFound(f"device {did} has no {network_type} network info")
            await fail_unfinished(conn, did, identity_removed_reason(network_type), network_type)
            await store.bump(conn, "devices", did)
            snap, version = await store.device(conn, did, cid)
            await emit(conn, "device", "DeviceNetworkInfoRemoved", snap, did, version, cid)
        return Versioned(snap, version)


async def register_in(conn: Conn, key: bytes, cid: str, new: NewDevice) -> Versioned:
    """Register one device inside the caller's transaction (used by bulk import too)."""
    spec = await conn.fetchrow(
        "SELECT network_types FROM device_specifications WHERE id = $1", new.specification_id
    )
    if spec is None:
        raise InvalidField("specification_id", f"unknown specification {new.specification_id}")
    did = str(uuid.uuid4())
    await conn.execute(
        "INSERT INTO devices (id, customer_id, name, specification_id, barcode, description,"
        " tags) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
        did,
        cid,
        new.name,
        new.specification_id,
        new.barcode,
        new.description,
        json.dumps(new.tags),
    )
    for network_type, body in new.network_info.items():
        await _put_identity(conn, key, cid, did, normalise(network_type, body))
    snap, version = await store.device(conn, did, cid)
    await emit(conn, "device", "DeviceRegistered", snap, did, version, cid)
    return Versioned(snap, version)


async def _put_identity(
    conn: Conn, key: bytes, cid: str, did: str, identity: NetworkIdentity
) -> None:
    """Store (or replace) the device's identity on one network type, enforcing the rules:
    the specification supports the type, the customer is subscribed to it (within its
    device limit), and the identifier is not another device's."""
    nt = identity.network_type
    supported = await conn.fetchval(
        "SELECT s.network_types FROM devices d JOIN device_specifications s"
        " ON s.id = d.specification_id WHERE d.id = $1",
        uuid.UUID(did),
    )
    if nt not in supported:
        raise InvalidField("network_type", f"the device's specification does not support {nt}")
    subscription_sql = (
        "SELECT status, max_devices FROM network_subscriptions"
        " WHERE customer_id = $1 AND network_type = $2"
    )
    sub = await conn.fetchrow(subscription_sql, uuid.UUID(cid), nt)
    if sub is not None and sub["max_devices"] is not None:
        # Counting against a limit: serialise this customer's registrations on this type.
        sub = await conn.fetchrow(subscription_sql + " FOR UPDATE", uuid.UUID(cid), nt)
    if sub is None or sub["status"] != "active":
        raise Conflict(f"the customer has no active {nt} network subscription")
    if sub["max_devices"] is not None:
        used = await conn.fetchval(
            "SELECT count(*) FROM network_info n JOIN devices d ON d.id = n.device_id"
            " WHERE d.customer_id = $1 AND n.network_type = $2 AND n.device_id <> $3",
            uuid.UUID(cid),
            nt,
            uuid.UUID(did),
        )
        if used >= sub["max_devices"]:
            raise Conflict(f"the {nt} subscription allows {sub['max_devices']} device(s)")
    sealed = sealing.seal(key, identity.secret, bound_to=did) if identity.secret else None
    try:
        await conn.execute(
            "INSERT INTO network_info (device_id, network_type, identifier, attributes,"
            " sealed_secret) VALUES ($1, $2, $3, $4::jsonb, $5)"
            " ON CONFLICT (device_id, network_type) DO UPDATE SET identifier = $3,"
            " attributes = $4::jsonb, sealed_secret = $5",
            uuid.UUID(did),
            nt,
            identity.identifier,
            json.dumps(identity.attributes),
            sealed,
        )
    except asyncpg.UniqueViolationError as err:
        raise Conflict(
            f"{nt} identifier {identity.identifier} is already registered to another device"
        ) from err
