"""Device activity in PostgreSQL: applying a batch (counts and offsets in one transaction),
the offsets to resume from, and reading a page's activity for the API."""

import uuid
from dataclasses import dataclass

from senflow.registry.adapters.db import Conn
from senflow.registry.domain.device_activity import Activity, ActivityBatch, Partition, Sender


@dataclass(frozen=True)
class Applied:
    """What a committed batch did: uplinks counted for devices, and for unknown senders."""

    counted: int
    unknown: int


async def stored_offsets(conn: Conn, topics: tuple[str, ...]) -> dict[Partition, int]:
    """The next offset to read per partition of `topics`, as the last batch applied left it."""
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM device_activity_offsets"
        " WHERE topic = ANY($1::text[])",
        list(topics),
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def apply_batch(conn: Conn, batch: ActivityBatch) -> Applied:
    """Add the batch's uplinks to its devices' activity and store its next offsets, all in
    one transaction: after a crash the batch is either wholly applied (and not read again)
    or not at all (and read again from the stored offsets).

    Senders resolve to devices through `network_info`, as they are at this moment. A
    device deleted between resolving and writing fails the transaction with
    `asyncpg.ForeignKeyViolationError`; applying the batch again resolves it anew.
    """
    async with conn.transaction():
        devices = await _devices_of(conn, list(batch.senders))
        tallies, unknown = batch.per_device(devices)
        if tallies:
            ids = list(tallies)
            await conn.execute(
                "INSERT INTO device_activity AS a (device_id, uplinks, last_seen_at)"
                " SELECT t.device_id, t.uplinks, t.last_seen_at FROM unnest($1::uuid[],"
                " $2::bigint[], $3::timestamptz[]) AS t(device_id, uplinks, last_seen_at)"
                " ON CONFLICT (device_id) DO UPDATE SET uplinks = a.uplinks + excluded.uplinks,"
                " last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),"
                " updated_at = now()",
                [uuid.UUID(i) for i in ids],
                [tallies[i].uplinks for i in ids],
                [tallies[i].last_seen_at for i in ids],
            )
        partitions = list(batch.next_offsets)
        await conn.execute(
            "INSERT INTO device_activity_offsets AS o (topic, partition, next_offset)"
            " SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])"
            " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset,"
            " updated_at = now()",
            [t for t, _ in partitions],
            [p for _, p in partitions],
            [batch.next_offsets[tp] for tp in partitions],
        )
    return Applied(counted=sum(t.uplinks for t in tallies.values()), unknown=unknown)


async def _devices_of(conn: Conn, senders: list[Sender]) -> dict[Sender, str]:
    if not senders:
        return {}
    rows = await conn.fetch(
        "SELECT n.network_type, n.identifier, n.device_id"
        " FROM unnest($1::text[], $2::text[]) AS s(network_type, identifier)"
        " JOIN network_info n USING (network_type, identifier)",
        [nt for nt, _ in senders],
        [identifier for _, identifier in senders],
    )
    return {(r["network_type"], r["identifier"]): str(r["device_id"]) for r in rows}


async def activity_of(conn: Conn, device_ids: list[str], customer_id: str) -> dict[str, Activity]:
    """The activity of those of `device_ids` that belong to the customer, in one query; a
    device without any (no uplink counted yet) is left out."""
    rows = await conn.fetch(
        "SELECT a.device_id, a.last_seen_at, a.uplinks FROM device_activity a"
        " JOIN devices d ON d.id = a.device_id"
        " WHERE a.device_id = ANY($1::uuid[]) AND d.customer_id = $2",
        [uuid.UUID(i) for i in device_ids],
        uuid.UUID(customer_id),
    )
    return {str(r["device_id"]): Activity(r["last_seen_at"], r["uplinks"]) for r in rows}
