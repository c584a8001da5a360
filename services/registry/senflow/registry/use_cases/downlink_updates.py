"""What moves downlinks without an API call: workers' reports and the LoRa network
server's results, destinations' requests, and expiry.

Each record is applied in its own transaction, with its change event. Applying one twice
changes nothing the second time (the status machine refuses a repeated move; a request's
downlink has the request's id), so the consumer may deliver at least once.
"""

from datetime import UTC, datetime, timedelta

import asyncpg

from senflow.common.downlinks import DownlinkRequest
from senflow.registry import metrics
from senflow.registry.adapters import downlink_rows as rows
from senflow.registry.adapters import store
from senflow.registry.domain.downlink_plan import TtlPolicy
from senflow.registry.domain.downlink_status import (
    APPLIED,
    DUPLICATE,
    ENCODED_EVENT,
    EXPIRED,
    EXPIRED_REASON,
    INVALID_COMMAND,
    INVALID_RECORD,
    NOT_OWNED,
    UNKNOWN_DOWNLINK,
    Outcome,
    StatusChange,
    brings_missing_bytes,
    refusal,
)
from senflow.registry.errors import Conflict, InvalidField, NotFound
from senflow.registry.use_cases.base import UseCases
from senflow.registry.use_cases.downlinks import NewDownlink, emit_change, queue_in

_EXPIRY_LOCK = 0x5E4F_0004  # 1: migrations, 2: the outbox relay, 3: the activity recorder


class DownlinkUpdates(UseCases):
    def __init__(self, pool: asyncpg.Pool, secrets_key: bytes, ttl: TtlPolicy | None = None):
        super().__init__(pool, secrets_key)
        self._ttl = ttl or TtlPolicy()

    async def apply(self, change: StatusChange) -> Outcome:
        """Move the downlink if the status machine allows it; else change nothing, except
        that a late `executing` report still records the bytes of a downlink the network
        sent before it was read (`brings_missing_bytes`)."""
        async with self._transaction() as conn:
            row = await rows.read(conn, change.downlink_id, None, lock=True)
            if row is None:
                return Outcome(UNKNOWN_DOWNLINK, f"no downlink {change.downlink_id}")
            why = refusal(row["status"], row["network_type"], change)
            if why is not None and brings_missing_bytes(
                change, row["payload_hex"], row["sent_at"] is not None
            ):
                encoded = await rows.record_bytes(conn, change.downlink_id, change)
                await emit_change(conn, encoded, ENCODED_EVENT)
                return APPLIED
            if why is not None:
                detail = f"{row['status']} ({row['network_type']}) -> {change.status}"
                return Outcome(why, detail)
            await emit_change(conn, await rows.move(conn, change.downlink_id, change))
        return APPLIED

    async def request(self, req: DownlinkRequest) -> Outcome:
        """Create the downlink a destination asked for, once: its id is the request's."""
        if rows.as_uuid(req.request_id) is None:
            return Outcome(INVALID_RECORD, f"request_id {req.request_id!r} is not a UUID")
        now = datetime.now(UTC)
        ttl = timedelta(seconds=self._ttl.clamped_s(req.ttl_s))
        expires_at = min(req.requested_at, now) + ttl
        if expires_at <= now:
            return Outcome(EXPIRED, f"its time to live ended at {expires_at.isoformat()}")
        new = NewDownlink(req.command, req.confirmed)
        try:
            async with self._transaction() as conn:
                # A redelivered request is a duplicate, whatever changed since (a device
                # deactivated later must not make it look refused).
                if await rows.read(conn, req.request_id, None) is not None:
                    return Outcome(DUPLICATE, f"downlink {req.request_id} exists")
                cid = req.customer_id
                if rows.as_uuid(cid) is None or not await store.owned_ids(
                    conn, "destinations", (req.destination_id,), cid
                ):
                    return Outcome(NOT_OWNED, f"destination {req.destination_id}")
                row = await queue_in(
                    conn, req.request_id, cid, req.device_id, new, expires_at, req.destination_id
                )
        except NotFound as err:
            return Outcome(NOT_OWNED, str(err))
        except (InvalidField, Conflict) as err:
            return Outcome(INVALID_COMMAND, str(err))
        if row is None:
            return Outcome(DUPLICATE, f"downlink {req.request_id} exists")
        metrics.DOWNLINKS_CREATED.labels("destination").inc()
        return APPLIED

    async def expire_due(self, limit: int = 500) -> int:
        """Expire up to `limit` downlinks not sent within their time to live; how many.
        One registry sweeps at a time (the others' rounds find the lock taken)."""
        async with self._transaction() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _EXPIRY_LOCK):
                return 0
            due = await rows.due(conn, limit)
            for downlink_id in due:
                change = StatusChange(downlink_id, "expired", reason=EXPIRED_REASON)
                await emit_change(conn, await rows.move(conn, downlink_id, change))
        metrics.DOWNLINKS_EXPIRED.inc(len(due))
        return len(due)
