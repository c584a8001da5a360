"""Projects: a customer's solutions, each grouping flows."""

import uuid
from typing import Any

from senflow.registry.adapters import store
from senflow.registry.adapters.listing import PageRequest, Query
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import Conflict
from senflow.registry.use_cases.base import Page, UseCases, Versioned, check_version, emit


class Projects(UseCases):
    async def create(self, p: Principal, name: str, description: str) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        pid = str(uuid.uuid4())
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO projects (id, customer_id, name, description) VALUES ($1,$2,$3,$4)",
                pid,
                cid,
                name,
                description,
            )
            snap, version = await store.project(conn, pid, cid)
            await emit(conn, "project", "ProjectCreated", snap, pid, version, cid)
        return Versioned(snap, version)

    async def get(self, p: Principal, pid: str) -> Versioned:
        p.require("read")
        async with self._read() as conn:
            return Versioned(*await store.project(conn, pid, p.require_customer()))

    async def find(self, p: Principal, page: PageRequest) -> Page:
        return await self._find_owned(p, Query("projects"), page, store.project)

    async def update(
        self, p: Principal, pid: str, changes: dict[str, Any], if_match: int | None
    ) -> Versioned:
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            check_version(await store.lock(conn, "projects", pid, cid), if_match)
            await conn.execute(
                "UPDATE projects SET name = coalesce($2, name),"
                " description = coalesce($3, description) WHERE id = $1",
                uuid.UUID(pid),
                changes.get("name"),
                changes.get("description"),
            )
            await store.bump(conn, "projects", pid)
            snap, version = await store.project(conn, pid, cid)
            await emit(conn, "project", "ProjectUpdated", snap, pid, version, cid)
        return Versioned(snap, version)

    async def delete(self, p: Principal, pid: str, cascade: bool, if_match: int | None) -> None:
        """A project with flows is a 409 unless `cascade` deletes its flows with it."""
        p.require("write")
        cid = p.require_customer()
        async with self._transaction() as conn:
            version = await store.lock(conn, "projects", pid, cid)
            check_version(version, if_match)
            flows = await conn.fetch(
                "SELECT id, version FROM flows WHERE project_id = $1 FOR UPDATE", uuid.UUID(pid)
            )
            if flows and not cascade:
                raise Conflict(f"project {pid} has {len(flows)} flow(s); delete them or cascade")
            for f in flows:
                await conn.execute("DELETE FROM flows WHERE id = $1", f["id"])
                await emit(conn, "flow", "FlowDeleted", None, str(f["id"]), f["version"] + 1, cid)
            await conn.execute("DELETE FROM projects WHERE id = $1", uuid.UUID(pid))
            await emit(conn, "project", "ProjectDeleted", None, pid, version + 1, cid)
