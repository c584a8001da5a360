"""`senflow-registry [serve|relay|migrate]`: the registry's process entrypoint."""

import asyncio
import contextlib
import sys

import asyncpg

from senflow.common.logs import configure_logging
from senflow.registry import bootstrap
from senflow.registry.adapters.migrations import migrate
from senflow.registry.settings import RegistrySettings


async def _migrate(settings: RegistrySettings) -> None:
    conn = await asyncpg.connect(settings.dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    settings = RegistrySettings()  # reads the environment
    configure_logging(settings.log_level)
    runners = {"serve": bootstrap.run, "relay": bootstrap.run_relay, "migrate": _migrate}
    if command not in runners:
        sys.exit(f"usage: senflow-registry [{'|'.join(runners)}]")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runners[command](settings))


if __name__ == "__main__":
    main()
