"""CPU seconds that named processes spend during a measurement, from /proc/<pid>/stat
(user + system time, the process's threads included)."""

import os
import re
import time
from pathlib import Path

from tests.support import infra

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of `pid` so far; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


class CpuMeter:
    """`start()` then `stop()`: CPU seconds per name in between (processes gone: left out);
    `wall_s` is the time in between."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._before: dict[str, float] = {}
        self._started = 0.0
        self.wall_s = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._before = {n: s for n, p in self._pids.items() if (s := cpu_seconds(p)) is not None}

    def stop(self) -> dict[str, float]:
        self.wall_s = time.monotonic() - self._started
        used = {}
        for name, before in self._before.items():
            now = cpu_seconds(self._pids[name])
            if now is not None:
                used[name] = now - before
        return used


def kafka_broker_pid(bootstrap: str) -> int | None:
    """The pid of the local broker that serves `bootstrap`, when the project's scripts
    started it (its pid file, its command line and its listener port agree), else None."""
    port = bootstrap.rsplit(":", 1)[-1]
    for pid_file in (
        infra.TEST_STATE / "pids" / "kafka.pid",
        infra.ROOT / ".senflow/pids/kafka.pid",
    ):
        try:
            pid = int(pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"kafka.Kafka" not in cmdline:
            continue
        config = Path(cmdline[-2].decode()).read_text() if len(cmdline) > 1 else ""
        if re.search(rf"^listeners=.*:{port}\b", config, re.MULTILINE):
            return pid
    return None
