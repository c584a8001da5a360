"""Applies `migrations/NNNN_*.sql` in order, each once, under an advisory lock."""

import logging
from importlib import resources

from senflow.registry.adapters.db import Conn

log = logging.getLogger(__name__)

_LOCK_ID = 0x5E4F_0001  # any constant; serialises concurrent start-ups


async def migrate(conn: Conn) -> list[str]:
    """Apply pending migrations; returns the names applied. Safe to run concurrently."""
    files = sorted(
        (f.name, f.read_text())
        for f in resources.files("senflow.registry.migrations").iterdir()
        if f.name.endswith(".sql")
    )
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in files:
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
            log.info("applied migration %s", name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied
