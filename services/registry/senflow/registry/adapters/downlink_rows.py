"""SQL of the `downlinks` table: rows in, snapshots and records out."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from senflow.common.downlinks import FINAL_STATUSES, DownlinkCommand, DownlinkSnapshot
from senflow.registry.adapters.db import Conn
from senflow.registry.domain.downlink_plan import FlowEncoders, Route
from senflow.registry.domain.downlink_status import StatusChange


@dataclass(frozen=True)
class DownlinkRecord:
    """A downlink as the API shows it: its snapshot, version and per-status times."""

    snapshot: DownlinkSnapshot
    version: int
    executing_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None


def snapshot(r: asyncpg.Record) -> DownlinkSnapshot:
    return DownlinkSnapshot(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        device_id=str(r["device_id"]),
        network_type=r["network_type"],
        identifier=r["identifier"],
        flow_id=_text(r["flow_id"]),
        encoder_id=r["encoder_id"],
        command=DownlinkCommand.model_validate(json.loads(r["command"])),
        confirmed=r["confirmed"],
        status=r["status"],
        reason=r["reason"],
        source=r["source"],
        destination_id=_text(r["destination_id"]),
        payload_hex=r["payload_hex"],
        f_port=r["f_port"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        status_changed_at=r["status_changed_at"],
    )


def record(r: asyncpg.Record) -> DownlinkRecord:
    return DownlinkRecord(
        snapshot(r), r["version"], r["executing_at"], r["sent_at"], r["finished_at"]
    )


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def device_flows(conn: Conn, device_id: str) -> list[FlowEncoders]:
    """The flows the device is in, oldest first."""
    rows = await conn.fetch(
        "SELECT f.id, f.encoder_ids, array(SELECT fd.destination_id::text FROM flow_destinations"
        " fd WHERE fd.flow_id = f.id) AS destination_ids FROM flows f JOIN flow_devices m"
        " ON m.flow_id = f.id WHERE m.device_id = $1 ORDER BY f.created_at, f.id",
        uuid.UUID(device_id),
    )
    return [
        FlowEncoders(str(r["id"]), tuple(r["encoder_ids"]), tuple(r["destination_ids"]))
        for r in rows
    ]


async def insert(
    conn: Conn,
    downlink_id: str,
    customer_id: str,
    device_id: str,
    to: Route,
    command: DownlinkCommand,
    confirmed: bool,
    expires_at: datetime,
    destination_id: str | None = None,
) -> asyncpg.Record | None:
    """The new queued downlink's row; None when one with this id exists already."""
    return await conn.fetchrow(
        "INSERT INTO downlinks (id, customer_id, device_id, network_type, identifier, flow_id,"
        " encoder_id, command, confirmed, source, destination_id, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12)"
        " ON CONFLICT (id) DO NOTHING RETURNING *",
        uuid.UUID(downlink_id),
        uuid.UUID(customer_id),
        uuid.UUID(device_id),
        to.network_type,
        to.identifier,
        uuid.UUID(to.flow_id) if to.flow_id else None,
        to.encoder_id,
        json.dumps(command.model_dump(mode="json", exclude_none=True)),
        confirmed,
        "api" if destination_id is None else "destination",
        uuid.UUID(destination_id) if destination_id else None,
        expires_at,
    )


async def read(
    conn: Conn, downlink_id: str, customer_id: str | None, lock: bool = False
) -> asyncpg.Record | None:
    """The downlink's row (the customer's own only, when one is given); `lock` holds it
    for this transaction. A malformed id reads as none."""
    did = as_uuid(downlink_id)
    if did is None:
        return None
    sql = "SELECT * FROM downlinks WHERE id = $1"
    args: list[Any] = [did]
    if customer_id is not None:
        sql += " AND customer_id = $2"
        args.append(uuid.UUID(customer_id))
    return await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), *args)


async def move(conn: Conn, downlink_id: str, change: StatusChange) -> asyncpg.Record:
    """Set the new status (the caller checked it is allowed), its time and what it
    carries; the version goes up."""
    row = await conn.fetchrow(
        "UPDATE downlinks SET status = $2::text, reason = coalesce($3, reason),"
        " payload_hex = coalesce($4, payload_hex), f_port = coalesce($5, f_port),"
        " version = version + 1, status_changed_at = now(),"
        " executing_at = CASE WHEN $2::text = 'executing' THEN now() ELSE executing_at END,"
        " sent_at = CASE WHEN $2::text = 'sent' THEN now() ELSE sent_at END,"
        " finished_at = CASE WHEN $2::text = ANY($6::text[]) THEN now() ELSE finished_at END"
        " WHERE id = $1 RETURNING *",
        uuid.UUID(downlink_id),
        change.status,
        change.reason,
        change.payload_hex,
        change.f_port,
        sorted(FINAL_STATUSES),
    )
    assert row is not None, "move() is called on a locked, existing row"
    return row


async def record_bytes(conn: Conn, downlink_id: str, change: StatusChange) -> asyncpg.Record:
    """Store the encoded bytes (and when they were made, no later than when the network
    sent them) of a downlink past `executing`, its status unchanged; the version goes up."""
    row = await conn.fetchrow(
        "UPDATE downlinks SET payload_hex = $2, f_port = coalesce($3, f_port),"
        " executing_at = coalesce(executing_at, least(coalesce($4, now()), sent_at)),"
        " version = version + 1 WHERE id = $1 RETURNING *",
        uuid.UUID(downlink_id),
        change.payload_hex,
        change.f_port,
        change.at,
    )
    assert row is not None, "record_bytes() is called on a locked, existing row"
    return row


async def unfinished(
    conn: Conn,
    device_id: str,
    network_type: str | None = None,
    except_identifier: str | None = None,
) -> list[str]:
    """The device's downlinks still to be sent (queued, executing), oldest first, locked:
    on `network_type` only when one is given, and not those to `except_identifier`."""
    rows = await conn.fetch(
        "SELECT id FROM downlinks WHERE device_id = $1 AND status IN ('queued', 'executing')"
        " AND ($2::text IS NULL OR network_type = $2)"
        " AND ($3::text IS NULL OR identifier <> $3)"
        " ORDER BY created_at, id FOR UPDATE",
        uuid.UUID(device_id),
        network_type,
        except_identifier,
    )
    return [str(r["id"]) for r in rows]


async def due(conn: Conn, limit: int) -> list[str]:
    """Up to `limit` downlinks still waiting to be sent past their expiry, locked for this
    transaction (those another transaction holds are left for the next sweep)."""
    rows = await conn.fetch(
        "SELECT id FROM downlinks WHERE status IN ('queued', 'executing') AND expires_at <= now()"
        " ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [str(r["id"]) for r in rows]


async def of_device(conn: Conn, device_id: str) -> list[asyncpg.Record]:
    """Id, version and owner of each of the device's downlinks, locked."""
    return await conn.fetch(
        "SELECT id, version, customer_id FROM downlinks WHERE device_id = $1 ORDER BY id"
        " FOR UPDATE",
        uuid.UUID(device_id),
    )


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
