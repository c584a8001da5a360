"""Flows: which devices' data goes to which destinations, through which codecs."""

import uuid
from typing import Any

from senflow.registry.adapters import store
from senflow.registry.adapters.db import Conn
from senflow.registry.adapters.listing import PageRequest, Query
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict, InvalidField, NotFound
from senflow.registry.use_cases.base import Page, UseCases, Versioned, check_version, emit

_MEMBERS = {
    "devices": ("flow_devices", "device_id", "devices"),
    "destinations": ("flow_destinations", "destination_id", "destinations"),
}


class Flows(UseCases):
    async def create(self, p: Principal, project_id: str, body: dict[str, Any]) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        fid = str(uuid.uuid4())
        async with self._transaction() as conn:
            try:
                await store.project(conn, project_id, cid)
            except NotFound as err:
                raise InvalidField("project_id", f"unknown project {project_id}") from err
            await conn.execute(
                "INSERT INTO flows (id, customer_id, project_id, name, description, enabled,"
                " decoder_ids, encoder_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                fid,
                cid,
                uuid.UUID(project_id),
                body["name"],
                body.get("description", ""),
                body.get("enabled", True),
                list(dict.fromkeys(body.get("decoder_ids", ()))),
                list(dict.fromkeys(body.get("encoder_ids", ()))),
            )
            for kind in _MEMBERS:
                await _add_members(conn, fid, cid, kind, tuple(body.get(f"{kind[:-1]}_ids", ())))
            await _check_codecs(conn, fid, cid)
            snap, version = await store.flow(conn, fid, cid)
            await emit(conn, "flow", "FlowCreated", snap, fid, version, cid)
        return Versioned(snap, version)

    async def get(self, p: Principal, fid: str) -> Versioned:
        p.require("read")
        async with self._read() as conn:
            return Versioned(*await store.flow(conn, fid, p.require_customer()))

    async def find(self, p: Principal, page: PageRequest, project_id: str | None) -> Page:
        query = Query("flows")
        if project_id:
            query.where(f"project_id = {query.arg(store.as_uuid(project_id, 'project'))}")
        return await self._find_owned(p, query, page, store.flow)

    async def update(
        self, p: Principal, fid: str, changes: dict[str, Any], if_match: int | None
    ) -> Versioned:
        """Change name, description, enabled, decoder_ids or encoder_ids."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "flows", fid, cid), if_match)
            decoders, encoders = changes.get("decoder_ids"), changes.get("encoder_ids")
            await conn.execute(
                "UPDATE flows SET name = coalesce($2, name),"
                " description = coalesce($3, description), enabled = coalesce($4, enabled),"
                " decoder_ids = coalesce($5, decoder_ids), encoder_ids = coalesce($6, encoder_ids)"
                " WHERE id = $1",
                uuid.UUID(fid),
                changes.get("name"),
                changes.get("description"),
                changes.get("enabled"),
                list(dict.fromkeys(decoders)) if decoders is not None else None,
                list(dict.fromkeys(encoders)) if encoders is not None else None,
            )
            await _check_codecs(conn, fid, cid)
            return await _changed(conn, fid, cid, "FlowUpdated")

    async def change_members(
        self,
        p: Principal,
        fid: str,
        kind: str,
        add: tuple[str, ...],
        remove: tuple[str, ...],
        if_match: int | None,
    ) -> Versioned:
        """Add and remove devices or destinations of a flow in one change."""
        p.require("write")
        cid = p.require_customer()
        table, column, _ = _MEMBERS[kind]
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "flows", fid, cid), if_match)
            await _add_members(conn, fid, cid, kind, add)
            await conn.execute(
                f"DELETE FROM {table} WHERE flow_id = $1 AND {column}::text = ANY($2::text[])",
                uuid.UUID(fid),
                list(remove),
            )
            await _check_codecs(conn, fid, cid)
            return await _changed(conn, fid, cid, "FlowUpdated")

    async def delete(self, p: Principal, fid: str, if_match: int | None) -> None:
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            version = await store.lock(conn, "flows", fid, cid)
            check_version(version, if_match)
            await conn.execute("DELETE FROM flows WHERE id = $1", uuid.UUID(fid))
            await emit(conn, "flow", "FlowDeleted", None, fid, version + 1, cid)


async def detach_from_flows(
    conn: Conn, table: str, column: str, member_id: str, cid: str, detach: bool
) -> None:
    """Take a device or destination out of every flow it is in (each flow's change is an
    event), or refuse with 409 naming the flows when the caller did not ask to detach."""
    flows = await conn.fetch(
        f"SELECT f.id FROM flows f JOIN {table} m ON m.flow_id = f.id WHERE m.{column} = $1"
        " ORDER BY f.id FOR UPDATE OF f",
        uuid.UUID(member_id),
    )
    if flows and not detach:
        names = ", ".join(str(f["id"]) for f in flows)
        raise Conflict(f"in use by flow(s) {names}; delete with detach=true to remove it from them")
    for f in flows:
        await conn.execute(
            f"DELETE FROM {table} WHERE flow_id = $1 AND {column} = $2",
            f["id"],
            uuid.UUID(member_id),
        )
        await _changed(conn, str(f["id"]), cid, "FlowUpdated")


async def _changed(conn: Conn, fid: str, cid: str, event_type: str) -> Versioned:
    await store.bump(conn, "flows", fid)
    snap, version = await store.flow(conn, fid, cid)
    await emit(conn, "flow", event_type, snap, fid, version, cid)
    return Versioned(snap, version)


async def _add_members(conn: Conn, fid: str, cid: str, kind: str, ids: tuple[str, ...]) -> None:
    table, column, source = _MEMBERS[kind]
    if not ids:
        return
    unknown = set(ids) - await store.owned_ids(conn, source, ids, cid)
    if unknown:
        raise InvalidField(f"{kind[:-1]}_ids", f"unknown ids: {', '.join(sorted(unknown))}")
    await conn.executemany(
        f"INSERT INTO {table} (flow_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(uuid.UUID(fid), uuid.UUID(i)) for i in dict.fromkeys(ids)],
    )


async def _check_codecs(conn: Conn, fid: str, cid: str) -> None:
    """Every codec of the flow exists, is of the right kind, is global or the customer's
    own, and (if built in) is compatible with the specification of every device in it."""
    flow = await conn.fetchrow(
        "SELECT decoder_ids, encoder_ids FROM flows WHERE id = $1", uuid.UUID(fid)
    )
    assert flow is not None
    for field, kind in (("decoder_ids", "decoder"), ("encoder_ids", "encoder")):
        ids = list(flow[field])
        rows = await conn.fetch(
            "SELECT id, customer_id FROM codecs WHERE id = ANY($1::text[]) AND kind = $2"
            " AND (customer_id IS NULL OR customer_id = $3)",
            ids,
            kind,
            uuid.UUID(cid),
        )
        if missing := set(ids) - {r["id"] for r in rows}:
            raise InvalidField(field, f"unknown {kind}s: {', '.join(sorted(missing))}")
        built_in = [r["id"] for r in rows if r["customer_id"] is None]
        spec_column = "decoder_ids" if kind == "decoder" else "encoder_ids"
        clash = await conn.fetchrow(
            f"SELECT d.id, d.specification_id FROM flow_devices fd JOIN devices d"
            f" ON d.id = fd.device_id JOIN device_specifications s ON s.id = d.specification_id"
            f" WHERE fd.flow_id = $1 AND NOT (s.{spec_column} @> $2::text[]) LIMIT 1",
            uuid.UUID(fid),
            built_in,
        )
        if clash is not None:
            raise InvalidField(
                field,
                f"device {clash['id']} ({clash['specification_id']}) does not support"
                f" {', '.join(built_in)}",
            )
