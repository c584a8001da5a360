"""`senflow lag`: consumer lag per group, topic and partition, with the age of the oldest
waiting record; a table, a live view (`--watch`) or JSON, and an exit code for alerts and
readiness gates."""

import asyncio
import json
import logging
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from senflow.cli.lag_probe import PLATFORM_GROUP_PREFIX, LagProbe
from senflow.cli.lag_report import GroupLag, Thresholds
from senflow.cli.settings import CliSettings, load_settings

EXIT_OVER_THRESHOLD = 1  # also: a group named with --group does not exist
EXIT_UNREACHABLE = 2
MIN_WATCH_S = 0.5  # a shorter refresh would only load the brokers


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
        float | None,
        typer.Option(min=MIN_WATCH_S, help="Refresh in place every this many seconds."),
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
    the oldest record each group has not consumed yet and the records retention deleted
    before the group read them (LOST).

    A group named with --group that does not exist fails (exit 1). With a threshold, a
    number that cannot be known (no commit on a partition with records, an age that could
    not be read) fails it too.
    """
    settings = load_settings(CliSettings)
    # The command reports broker trouble itself, in one line.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    thresholds = Thresholds(max_lag, max_age)
    probe = LagProbe(settings.kafka_bootstrap)
    code = asyncio.run(
        _run(
            probe,
            settings.kafka_bootstrap,
            group,
            prefix or None,
            watch,
            times,
            as_json,
            thresholds,
        )
    )
    raise typer.Exit(code)


async def _run(
    probe: LagProbe,
    bootstrap: str,
    groups: list[str] | None,
    prefix: str | None,
    watch: float | None,
    times: int | None,
    as_json: bool,
    thresholds: Thresholds,
) -> int:
    console = Console()
    # Messages whole, not wrapped at 80 columns when stderr is no terminal: scripts grep them.
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        await probe.start()
    except KafkaError as exc:
        err.print(f"[red]Kafka at {bootstrap} is not reachable:[/red] {exc}")
        return EXIT_UNREACHABLE
    try:
        if watch is None:
            snapshot = await _snapshot(probe, groups, prefix)
            _print(console, snapshot, as_json)
            return _verdict(err, snapshot, thresholds, named=bool(groups))
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
    return _verdict(err, snapshot, thresholds, named=bool(groups))


async def _snapshot(
    probe: LagProbe, groups: list[str] | None, prefix: str | None
) -> list[GroupLag]:
    names = groups if groups else await probe.groups(prefix)
    return await probe.measure(names)


def _verdict(err: Console, snapshot: list[GroupLag], thresholds: Thresholds, named: bool) -> int:
    """0, or 1 when a group is over a threshold or, named with --group, does not exist
    (a readiness gate must not pass on a group that is not there yet)."""
    missing = [g.group for g in snapshot if named and not g.exists]
    for name in missing:
        err.print(f"[red]Consumer group '{escape(name)}' does not exist.[/red]")
    breaches = [b for group in snapshot if group.exists for b in thresholds.breaches(group)]
    for breach in breaches:
        err.print(f"[red]over threshold[/red] {escape(breach)}")
    return EXIT_OVER_THRESHOLD if breaches or missing else 0


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


def _table(group: GroupLag) -> Table | str:
    if not group.exists:
        return f"Consumer group '{escape(group.group)}' does not exist."
    lost = group.total_lost > 0  # the column only when retention took records
    table = Table(
        title=f"{escape(group.group)}  [dim]{group.state}, {group.members} member(s)[/dim]",
        title_justify="left",
    )
    # Kafka's tool names the columns CURRENT-OFFSET and LOG-END-OFFSET; shorter here so a
    # table fits 80 columns.
    table.add_column("TOPIC", overflow="ellipsis", min_width=12)
    names = ("PART", "COMMITTED", "END", "LAG", *(("LOST",) if lost else ()), "AGE")
    for name in names:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("OWNER", no_wrap=True, min_width=9)
    for p in group.partitions:
        table.add_row(
            p.topic,
            str(p.partition),
            _or_dash(p.committed),
            str(p.end),
            _or_dash(p.lag),
            *((_or_dash(p.lost),) if lost else ()),
            "-" if p.age_s is None else f"{p.age_s:.1f}s",
            _short_member(p.consumer_id),
        )
    table.add_section()
    total_lost = (str(group.total_lost),) if lost else ()
    age = f"{group.max_age_s:.1f}s"
    table.add_row("total", "", "", "", str(group.total_lag), *total_lost, age, "")
    return table


def _short_member(consumer_id: str | None) -> str:
    """Member ids are `<client id>-<uuid>`: the uuid's last block tells members apart."""
    return "-" if not consumer_id else "…" + consumer_id[-8:]


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
