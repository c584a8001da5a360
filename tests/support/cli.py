"""Running the `senflow` CLI as a user does: a process, with a time limit."""

import asyncio
from dataclasses import dataclass

from tests.support.processes import BIN


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: bytes
    stderr: str


async def run_senflow(env: dict[str, str], *args: str, timeout_s: float) -> CliRun:
    """`senflow *args` with `env`; killed if it outlasts `timeout_s` (which then raises)."""
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "senflow"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return CliRun(proc.returncode, out, err.decode())
