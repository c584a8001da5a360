"""Downlinks through the API: queue one for a device, read and list them, cancel one."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from senflow.common.downlinks import DownlinkCommand, can_move
from senflow.registry import metrics
from senflow.registry.adapters import downlink_rows as rows
from senflow.registry.adapters import store
from senflow.registry.adapters.db import Conn
from senflow.registry.adapters.downlink_rows import DownlinkRecord
from senflow.registry.adapters.listing import PageRequest, Query, fetch_page
from senflow.registry.domain.downlink_commands import check_command
from senflow.registry.domain.downlink_plan import TtlPolicy, route
from senflow.registry.domain.downlink_status import DELETED_EVENT, EVENT_TYPES, StatusChange
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, NotFound
from senflow.registry.use_cases.base import UseCases, emit


@dataclass(frozen=True)
class NewDownlink:
    command: DownlinkCommand
    confirmed: bool = False
    ttl_s: int | None = None
    flow_id: str | None = None
    network_type: str | None = None


@dataclass(frozen=True)
class DownlinkPage:
    items: list[DownlinkRecord]
    next_cursor: str | None


class Downlinks(UseCases):
    def __init__(self, pool: asyncpg.Pool, secrets_key: bytes, ttl: TtlPolicy | None = None):
        super().__init__(pool, secrets_key)
        self._ttl = ttl or TtlPolicy()

    async def create(self, p: Principal, device_id: str, new: NewDownlink) -> DownlinkRecord:
        p.require("write")
        cid = p.require_customer()
        expires_at = datetime.now(UTC) + timedelta(seconds=self._ttl.ttl_s(new.ttl_s))
        async with self._transaction() as conn:
            row = await queue_in(conn, str(uuid.uuid4()), cid, device_id, new, expires_at)
        assert row is not None, "a fresh id is never taken"
        metrics.DOWNLINKS_CREATED.labels("api").inc()
        return rows.record(row)

    async def get(self, p: Principal, downlink_id: str) -> DownlinkRecord:
        p.require("read")
        async with self._read() as conn:
            row = await rows.read(conn, downlink_id, p.require_customer())
        if row is None:
            raise NotFound(f"downlink {downlink_id} not found")
        return rows.record(row)

    async def find(
        self, p: Principal, device_id: str, page: PageRequest, status: str | None = None
    ) -> DownlinkPage:
        """The device's downlinks in the page's order; `status` keeps those in it."""
        p.require("read")
        cid = p.require_customer()
        query = Query("downlinks")
        query.where(f"device_id = {query.arg(store.as_uuid(device_id, 'device'))}")
        query.where(f"customer_id = {query.arg(uuid.UUID(cid))}")
        if status is not None:
            query.where(f"status = {query.arg(status)}")
        async with self._read() as conn:
            await _owned_device(conn, device_id, cid)
            found, cursor = await fetch_page(conn, query, page)
        return DownlinkPage([rows.record(r) for r in found], cursor)

    async def cancel(self, p: Principal, downlink_id: str) -> DownlinkRecord:
        """Withdraw a queued downlink; any other status is a 409 naming it."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            row = await rows.read(conn, downlink_id, cid, lock=True)
            if row is None:
                raise NotFound(f"downlink {downlink_id} not found")
            if not can_move(row["status"], "cancelled"):
                raise Conflict(
                    f"downlink {downlink_id} is {row['status']}: only a queued downlink can be"
                    " cancelled"
                )
            row = await rows.move(conn, downlink_id, StatusChange(downlink_id, "cancelled"))
            await emit_change(conn, row)
        return rows.record(row)


async def queue_in(
    conn: Conn,
    downlink_id: str,
    cid: str,
    device_id: str,
    new: NewDownlink,
    expires_at: datetime,
    destination_id: str | None = None,
) -> asyncpg.Record | None:
    """Check and queue a downlink inside the caller's transaction; its row, or None when
    a downlink with this id exists already (nothing changed)."""
    await _owned_device(conn, device_id, cid, lock=True)
    device, _ = await store.device(conn, device_id, cid)
    if device.status != "active":
        raise Conflict(f"device {device_id} is {device.status}: activate it to send it downlinks")
    to = route(
        device.network_info,
        await rows.device_flows(conn, device_id),
        network_type=new.network_type,
        flow_id=new.flow_id,
        destination_id=destination_id,
    )
    check_command(new.command, to, new.confirmed)
    row = await rows.insert(
        conn,
        downlink_id,
        cid,
        device_id,
        to,
        new.command,
        new.confirmed,
        expires_at,
        destination_id,
    )
    if row is not None:
        await emit_change(conn, row)
    return row


async def emit_change(conn: Conn, row: asyncpg.Record, event_type: str | None = None) -> None:
    """The change event of the downlink's row as it is now (by default its status names
    the event)."""
    snap = rows.snapshot(row)
    kind = event_type or EVENT_TYPES[snap.status]
    await emit(conn, "downlink", kind, snap, snap.id, row["version"], snap.customer_id)


async def fail_unfinished(
    conn: Conn,
    device_id: str,
    reason: str,
    network_type: str | None = None,
    except_identifier: str | None = None,
) -> int:
    """Fail the device's downlinks not sent yet (on `network_type` only, when given; not
    those to `except_identifier`), with their events, inside the caller's transaction:
    its address is no longer theirs to use (it may become another device's). How many."""
    due = await rows.unfinished(conn, device_id, network_type, except_identifier)
    for downlink_id in due:
        change = StatusChange(downlink_id, "failed", reason=reason)
        await emit_change(conn, await rows.move(conn, downlink_id, change))
    return len(due)


async def forget_device_downlinks(conn: Conn, device_id: str) -> None:
    """Tombstones for the downlinks of a device being deleted (its rows go with it)."""
    for r in await rows.of_device(conn, device_id):
        await emit(
            conn,
            "downlink",
            DELETED_EVENT,
            None,
            str(r["id"]),
            r["version"] + 1,
            str(r["customer_id"]),
        )


async def _owned_device(conn: Conn, device_id: str, cid: str, lock: bool = False) -> None:
    """404 unless the device is the customer's; `lock` keeps it from being deleted until
    this transaction ends (without blocking changes of its other fields)."""
    found = await conn.fetchval(
        "SELECT true FROM devices WHERE id = $1 AND customer_id = $2"
        + (" FOR KEY SHARE" if lock else ""),
        store.as_uuid(device_id, "device"),
        uuid.UUID(cid),
    )
    if not found:
        raise NotFound(f"device {device_id} not found")
