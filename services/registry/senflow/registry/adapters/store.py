"""SQL reads of the registry's entities as the snapshots that change events carry."""

import json
from typing import Any
from uuid import UUID

import asyncpg

from senflow.common.events import (
    CONFIG_TYPES,
    CustomerSnapshot,
    DestinationSnapshot,
    DeviceSnapshot,
    FlowSnapshot,
    NetworkInfoSnapshot,
    ProjectSnapshot,
)
from senflow.registry.adapters.db import Conn
from senflow.registry.errors import NotFound


def as_uuid(value: str, what: str) -> UUID:
    """An id from a URL or body; a malformed one is a 404, like a missing one."""
    try:
        return UUID(value)
    except ValueError as err:
        raise NotFound(f"{what} {value} not found") from err


def _scoped(sql: str, what: str, entity_id: str, customer_id: str | None) -> tuple[str, list[Any]]:
    """`sql` (ending in `WHERE id = $1`) limited to the customer's own rows, and its args."""
    args: list[Any] = [as_uuid(entity_id, what)]
    if customer_id is not None:
        sql += " AND customer_id = $2"
        args.append(as_uuid(customer_id, what))
    return sql, args


async def _row(
    conn: Conn, sql: str, what: str, entity_id: str, customer_id: str | None
) -> asyncpg.Record:
    scoped_sql, args = _scoped(sql, what, entity_id, customer_id)
    row = await conn.fetchrow(scoped_sql, *args)
    if row is None:
        raise NotFound(f"{what} {entity_id} not found")
    return row


async def customer(conn: Conn, cid: str) -> tuple[CustomerSnapshot, int]:
    r = await _row(conn, "SELECT * FROM customers WHERE id = $1", "customer", cid, None)
    return CustomerSnapshot(id=str(r["id"]), name=r["name"], status=r["status"]), r["version"]


async def project(conn: Conn, pid: str, customer_id: str | None) -> tuple[ProjectSnapshot, int]:
    r = await _row(conn, "SELECT * FROM projects WHERE id = $1", "project", pid, customer_id)
    snap = ProjectSnapshot(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        name=r["name"],
        description=r["description"],
    )
    return snap, r["version"]


async def device(conn: Conn, did: str, customer_id: str | None) -> tuple[DeviceSnapshot, int]:
    r = await _row(conn, "SELECT * FROM devices WHERE id = $1", "device", did, customer_id)
    infos = await conn.fetch(
        "SELECT * FROM network_info WHERE device_id = $1 ORDER BY network_type", r["id"]
    )
    snap = DeviceSnapshot(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        name=r["name"],
        specification_id=r["specification_id"],
        status=r["status"],
        barcode=r["barcode"],
        description=r["description"],
        tags=json.loads(r["tags"]),
        network_info=tuple(
            NetworkInfoSnapshot(
                network_type=i["network_type"],
                identifier=i["identifier"],
                attributes=json.loads(i["attributes"]),
                sealed_secret=i["sealed_secret"],
            )
            for i in infos
        ),
    )
    return snap, r["version"]


async def destination(
    conn: Conn, did: str, customer_id: str | None
) -> tuple[DestinationSnapshot, int]:
    r = await _row(
        conn, "SELECT * FROM destinations WHERE id = $1", "destination", did, customer_id
    )
    snap = DestinationSnapshot(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        name=r["name"],
        type=r["type"],
        config=CONFIG_TYPES[r["type"]].model_validate(json.loads(r["config"])),
        sealed_secret=r["sealed_secret"],
        sealed_credential=r["sealed_credential"],
        format_script=r["format_script"],
        enabled=r["enabled"],
    )
    return snap, r["version"]


async def flow(conn: Conn, fid: str, customer_id: str | None) -> tuple[FlowSnapshot, int]:
    r = await _row(conn, "SELECT * FROM flows WHERE id = $1", "flow", fid, customer_id)
    devices = await conn.fetch(
        "SELECT device_id FROM flow_devices WHERE flow_id = $1 ORDER BY device_id", r["id"]
    )
    dests = await conn.fetch(
        "SELECT destination_id FROM flow_destinations WHERE flow_id = $1 ORDER BY destination_id",
        r["id"],
    )
    snap = FlowSnapshot(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        project_id=str(r["project_id"]),
        name=r["name"],
        enabled=r["enabled"],
        device_ids=tuple(str(d["device_id"]) for d in devices),
        destination_ids=tuple(str(d["destination_id"]) for d in dests),
        decoder_ids=tuple(r["decoder_ids"]),
        encoder_ids=tuple(r["encoder_ids"]),
        description=r["description"],
    )
    return snap, r["version"]


async def lock(conn: Conn, table: str, entity_id: str, customer_id: str | None) -> int:
    """Lock an entity's row for this transaction (serialising its writers); its version."""
    assert table in _VERSIONED
    what = table.rstrip("s")
    sql, args = _scoped(f"SELECT version FROM {table} WHERE id = $1", what, entity_id, customer_id)
    version = await conn.fetchval(sql + " FOR UPDATE", *args)
    if version is None:
        raise NotFound(f"{what} {entity_id} not found")
    return int(version)


async def bump(conn: Conn, table: str, entity_id: str) -> None:
    """Count a change of the entity: a new version and updated_at."""
    assert table in _VERSIONED
    await conn.execute(
        f"UPDATE {table} SET version = version + 1, updated_at = now() WHERE id = $1",
        UUID(entity_id),
    )


_VERSIONED = ("customers", "projects", "devices", "destinations", "flows")


async def owned_ids(conn: Conn, table: str, ids: tuple[str, ...], customer_id: str) -> set[str]:
    """Those of `ids` that exist in `table` and belong to the customer."""
    assert table in ("devices", "destinations")
    uuids = []
    for i in ids:
        try:
            uuids.append(UUID(i))
        except ValueError:
            continue
    rows = await conn.fetch(
        f"SELECT id FROM {table} WHERE id = ANY($1::uuid[]) AND customer_id = $2",
        uuids,
        UUID(customer_id),
    )
    return {str(r["id"]) for r in rows}
