"""`senflow lag`: consumer lag per group, topic and partition, with the age of the oldest
waiting record; a table, a live view (`--watch`) or JSON, and an exit code for alerts and
readiness gates."""

import asyncio
import json
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from senflow.cli.lag_probe import PLATFORM_GROUP_PREFIX, LagProbe
from senflow.cli.lag_report import GroupLag, Thresholds
from senflow.cli.settings import CliSettings

EXIT_OVER_THRESHOLD = 1
EXIT_UNREACHABLE = 2


def command(
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group", "-g", help="Only this group (repeatable). Default: the platform's groups."
        ),
    ] = None,
    prefix: Annotated[
        str, typer.Option(help="Which groups are the platform's, by name prefix ('' = all).")
    ] = PLATFORM_GROUP_PREFIX,
    watch: Annotated[
        float | None, typer.Option(help="Refresh in place every this many seconds.")
    ] = None,
    times: Annotated[
        int | None, typer.Option(min=1, help="With --watch: stop after this many refreshes.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document per refresh.")] = False,
    max_lag: Annotated[
        int | None, typer.Option(min=0, help="Fail (exit 1) when a group's total lag is above.")
    ] = None,
    max_age: Annotated[
        float | None,
        typer.Option(min=0, help="Fail (exit 1) when a group's oldest waiting record is older."),
    ] = None,
) -> None:
    """Committed offset, end offset, lag and time lag per partition; totals per group.

    The numbers are those of Kafka's `kafka-consumer-groups.sh --describe`, plus the age of
    the oldest record each group has not consumed yet.
    """
    settings = CliSettings()
    thresholds = Thresholds(max_lag, max_age)
    code = asyncio.run(
        _run(settings.kafka_bootstrap, group, prefix or None, watch, times, as_json, thresholds)
    )
    raise typer.Exit(code)


async def _run(
    bootstrap: str,
    groups: list[str] | None,
    prefix: str | None,
    watch: float | None,
    times: int | None,
    as_json: bool,
    thresholds: Thresholds,
) -> int:
    console = Console()
    err = Console(stderr=True)
    probe = LagProbe(bootstrap)
    try:
        await probe.start()
    except KafkaError as exc:
        err.print(f"[red]Kafka at {bootstrap} is not reachable:[/red] {exc}")
        return EXIT_UNREACHABLE
    try:
        if watch is None:
            snapshot = await _snapshot(probe, groups, prefix)
            _print(console, snapshot, as_json)
            return _verdict(err, snapshot, thresholds)
        return await _watch(console, err, probe, groups, prefix, watch, times, as_json, thresholds)
    except KafkaError as exc:
        err.print(f"[red]Kafka error:[/red] {exc!r}")
        return EXIT_UNREACHABLE
    finally:
        await probe.stop()


async def _watch(
    console: Console,
    err: Console,
    probe: LagProbe,
    groups: list[str] | None,
    prefix: str | None,
    interval: float,
    times: int | None,
    as_json: bool,
    thresholds: Thresholds,
) -> int:
    snapshot: list[GroupLag] = []
    refreshes = 0
    live = None if as_json else Live(console=console, auto_refresh=False)
    try:
        if live is not None:
            live.start()
        while times is None or refreshes < times:
            if refreshes:
                await asyncio.sleep(interval)
            snapshot = await _snapshot(probe, groups, prefix)
            refreshes += 1
            if live is None:
                _print(console, snapshot, as_json=True)
            else:
                live.update(_render(snapshot), refresh=True)
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        if live is not None:
            live.stop()
    return _verdict(err, snapshot, thresholds)


async def _snapshot(
    probe: LagProbe, groups: list[str] | None, prefix: str | None
) -> list[GroupLag]:
    names = groups if groups else await probe.groups(prefix)
    return await probe.measure(names)


def _verdict(err: Console, snapshot: list[GroupLag], thresholds: Thresholds) -> int:
    breaches = [b for group in snapshot for b in thresholds.breaches(group)]
    for breach in breaches:
        err.print(f"[red]over threshold[/red] {breach}")
    return EXIT_OVER_THRESHOLD if breaches else 0


def _print(console: Console, snapshot: list[GroupLag], as_json: bool) -> None:
    if as_json:
        # One line per refresh: `--watch --json` streams JSON lines.
        print(json.dumps([g.as_json() for g in snapshot]), flush=True)
    else:
        console.print(_render(snapshot))


def _render(snapshot: list[GroupLag]) -> Group:
    if not snapshot:
        return Group("No consumer groups found.")
    return Group(*(_table(group) for group in snapshot))


def _table(group: GroupLag) -> Table:
    table = Table(
        title=f"{group.group}  [dim]{group.state}, {group.members} member(s)[/dim]",
        title_justify="left",
    )
    # Kafka's tool names the columns CURRENT-OFFSET and LOG-END-OFFSET; shorter here so a
    # table fits 80 columns.
    table.add_column("TOPIC", overflow="ellipsis", min_width=12)
    for name in ("PART", "COMMITTED", "END", "LAG", "AGE"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("OWNER", no_wrap=True, min_width=9)
    for p in group.partitions:
        table.add_row(
            p.topic,
            str(p.partition),
            _or_dash(p.committed),
            str(p.end),
            _or_dash(p.lag),
            "-" if p.age_s is None else f"{p.age_s:.1f}s",
            _short_member(p.consumer_id),
        )
    table.add_section()
    table.add_row("total", "", "", "", str(group.total_lag), f"{group.max_age_s:.1f}s", "")
    return table


def _short_member(consumer_id: str | None) -> str:
    """Member ids are `<client id>-<uuid>`: the uuid's last block tells members apart."""
    return "-" if not consumer_id else "…" + consumer_id[-8:]


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
