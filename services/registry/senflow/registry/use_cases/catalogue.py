"""The catalogue: device specifications and built-in codecs (global, read-only), and a
customer's own DIY codecs (versioned scripts)."""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from senflow.common.events import CodecSnapshot
from senflow.registry.adapters.db import Conn
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, NotFound
from senflow.registry.use_cases.base import UseCases, check_version, emit

MAX_SCRIPT_BYTES = 256 * 1024


@dataclass(frozen=True)
class Specification:
    id: str
    uuid: str
    name: str
    description: str
    network_types: tuple[str, ...]
    decoder_ids: tuple[str, ...]
    encoder_ids: tuple[str, ...]


@dataclass(frozen=True)
class Codec:
    id: str
    uuid: str
    kind: str
    name: str
    symbol: str
    description: str
    version: int
    built_in: bool
    contract: str | None
    superseded_by: str | None
    script: str | None


class Catalogue(UseCases):
    async def specifications(self, p: Principal) -> list[Specification]:
        p.require("read")
        async with self._read() as conn:
            rows = await conn.fetch("SELECT * FROM device_specifications ORDER BY id")
        return [_specification(r) for r in rows]

    async def specification(self, p: Principal, spec_id: str) -> Specification:
        p.require("read")
        async with self._read() as conn:
            row = await conn.fetchrow("SELECT * FROM device_specifications WHERE id = $1", spec_id)
        if row is None:
            raise NotFound(f"device specification {spec_id} not found")
        return _specification(row)

    async def codecs(self, p: Principal, kind: str | None) -> list[Codec]:
        """Built-in codecs and the caller's own DIY ones."""
        p.require("read")
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM codecs WHERE (customer_id IS NULL OR customer_id = $1)"
                " AND ($2::text IS NULL OR kind = $2) ORDER BY customer_id NULLS FIRST, id",
                _customer_uuid(p),
                kind,
            )
        return [_codec(r) for r in rows]

    async def codec(self, p: Principal, codec_id: str) -> Codec:
        p.require("read")
        async with self._read() as conn:
            return _codec(await _visible(conn, codec_id, _customer_uuid(p)))

    async def create_diy(self, p: Principal, body: dict[str, Any]) -> Codec:
        p.require("write")
        cid = p.require_customer()
        codec_id = "diy-" + secrets.token_hex(6)
        async with self._transaction() as conn:
            row = await conn.fetchrow(
                "INSERT INTO codecs (id, name, symbol, kind, customer_id, description, contract,"
                " script) VALUES ($1, $2, '›', $3, $4, $5, $6, $7) RETURNING *",
                codec_id,
                body["name"],
                body["kind"],
                uuid.UUID(cid),
                body.get("description", ""),
                body["contract"],
                body["script"],
            )
            await _emit_codec(conn, row, "CodecCreated")
        return _codec(row)

    async def update_diy(
        self, p: Principal, codec_id: str, changes: dict[str, Any], if_match: int | None
    ) -> Codec:
        """A new script is a new version of the same codec; flows keep pointing at it."""
        p.require("write")
        cid = uuid.UUID(p.require_customer())
        async with self._transaction() as conn:
            row = await _visible(conn, codec_id, cid, lock=True)
            if row["customer_id"] != cid:
                raise Conflict(f"{codec_id} is built in and read-only")
            check_version(row["version"], if_match)
            row = await conn.fetchrow(
                "UPDATE codecs SET name = coalesce($2, name),"
                " description = coalesce($3, description), script = coalesce($4, script),"
                " contract = coalesce($5, contract), version = version + 1, updated_at = now()"
                " WHERE id = $1 RETURNING *",
                codec_id,
                changes.get("name"),
                changes.get("description"),
                changes.get("script"),
                changes.get("contract"),
            )
            await _emit_codec(conn, row, "CodecUpdated")
        return _codec(row)

    async def delete_diy(self, p: Principal, codec_id: str) -> None:
        p.require("write")
        cid = uuid.UUID(p.require_customer())
        async with self._transaction() as conn:
            row = await _visible(conn, codec_id, cid, lock=True)
            if row["customer_id"] != cid:
                raise Conflict(f"{codec_id} is built in and read-only")
            used = await conn.fetch(
                "SELECT id FROM flows WHERE $1 = ANY(decoder_ids) OR $1 = ANY(encoder_ids)",
                codec_id,
            )
            if used:
                names = ", ".join(str(f["id"]) for f in used)
                raise Conflict(f"{codec_id} is used by flow(s) {names}; remove it from them first")
            await conn.execute("DELETE FROM codecs WHERE id = $1", codec_id)
            await emit(conn, "codec", "CodecDeleted", None, codec_id, row["version"] + 1, str(cid))


def _customer_uuid(p: Principal) -> uuid.UUID | None:
    return uuid.UUID(p.customer_id) if p.customer_id else None


async def _visible(conn: Conn, codec_id: str, cid: uuid.UUID | None, lock: bool = False) -> Any:
    row = await conn.fetchrow(
        "SELECT * FROM codecs WHERE id = $1 AND (customer_id IS NULL OR customer_id = $2)"
        + (" FOR UPDATE" if lock else ""),
        codec_id,
        cid,
    )
    if row is None:
        raise NotFound(f"codec {codec_id} not found")
    return row


async def _emit_codec(conn: Conn, row: Any, event_type: str) -> None:
    snap = CodecSnapshot(
        id=row["id"],
        customer_id=str(row["customer_id"]),
        kind=row["kind"],
        name=row["name"],
        contract=row["contract"],
        script=row["script"],
        version=row["version"],
    )
    await emit(conn, "codec", event_type, snap, snap.id, snap.version, snap.customer_id)


def _specification(r: Any) -> Specification:
    return Specification(
        id=r["id"],
        uuid=str(r["uuid"]),
        name=r["name"],
        description=r["description"],
        network_types=tuple(r["network_types"]),
        decoder_ids=tuple(r["decoder_ids"]),
        encoder_ids=tuple(r["encoder_ids"]),
    )


def _codec(r: Any) -> Codec:
    return Codec(
        id=r["id"],
        uuid=str(r["uuid"]),
        kind=r["kind"],
        name=r["name"],
        symbol=r["symbol"],
        description=r["description"],
        version=r["version"],
        built_in=r["customer_id"] is None,
        contract=r["contract"],
        superseded_by=r["superseded_by"],
        script=r["script"],
    )
