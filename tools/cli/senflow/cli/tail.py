"""`senflow tail`: follow the decoded messages of devices, flows or customers, live.

An operator's tool: it reads the router's output topic straight from Kafka
(SENFLOW_KAFKA_BOOTSTRAP), so it sees every customer's messages and no API key limits
it. It joins no consumer group and commits nothing (see `tail_reader`), and shows each
decoded message once however many destinations it goes to (see `tail_selection`).
"""

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from senflow.cli import tail_format
from senflow.cli.settings import CliSettings, load_settings
from senflow.cli.tail_reader import DeliveriesReader, StartAt, TailUnavailable
from senflow.cli.tail_selection import MessagePicker, Selection
from senflow.cli.tail_since import InvalidMoment, parse_moment
from senflow.common import headers as h
from senflow.common import topics
from senflow.common.deliveries import Delivery

EXIT_UNREACHABLE = 2  # as `senflow lag`
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C

Show = Callable[[Delivery, str | None], None]


def command(
    device: Annotated[
        list[str] | None,
        typer.Option("--device", "-d", help="Only this device's messages (repeatable)."),
    ] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option("--flow", "-f", help="Only this flow's messages (repeatable)."),
    ] = None,
    customer: Annotated[
        list[str] | None,
        typer.Option("--customer", "-c", help="Only this customer's messages (repeatable)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Start this far back (10m, 1h30m, 2d) or at this time (2026-11-25T10:00Z), "
            "by when the router published the message."
        ),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest message Kafka keeps.")
    ] = False,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, help="Stop after this many messages."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, for scripts.")
    ] = False,
) -> None:
    """Follow decoded messages (SenML) of a device, flow or customer as the router emits
    them: by default only new ones, until Ctrl-C or --count.

    Give at least one of --device, --flow, --customer; several narrow it down.
    Each decoded message shows once, however many destinations it goes to.

    An operator tool: it reads senflow.deliveries.v1 from Kafka directly
    (SENFLOW_KAFKA_BOOTSTRAP) and sees every customer's data, with no API key.
    It joins no consumer group and commits nothing: the platform never notices it.
    """
    selection = Selection.of(device or (), flow or (), customer or ())
    if selection.empty:
        raise typer.BadParameter(
            "give at least one of them", param_hint="--device / --flow / --customer"
        )
    start = _start_at(since, from_beginning)
    settings = load_settings(CliSettings)
    # The command reports broker trouble itself; aiokafka's own log lines would only
    # interleave with the messages (Python prints a library's warnings when no logging
    # is configured).
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        code = asyncio.run(_run(settings.kafka_bootstrap, selection, start, count, as_json, err))
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def _start_at(since: str | None, from_beginning: bool) -> StartAt:
    if since is not None and from_beginning:
        raise typer.BadParameter("use --since or --from-beginning, not both", param_hint="--since")
    if since is None:
        return StartAt(from_beginning=from_beginning)
    try:
        return StartAt(since=parse_moment(since, datetime.now(UTC)))
    except InvalidMoment as bad:
        raise typer.BadParameter(str(bad), param_hint="--since") from None


async def _run(
    bootstrap: str,
    selection: Selection,
    start: StartAt,
    count: int | None,
    as_json: bool,
    err: Console,
) -> int:
    reader = DeliveriesReader(bootstrap)
    picker = MessagePicker(selection)
    try:
        partitions = await reader.start(start)
        err.print(
            f"[dim]Following {topics.DELIVERIES} ({partitions} partitions) on {escape(bootstrap)},"
            f" {start.describe()}, for {escape(selection.describe())}. Ctrl-C to stop.[/dim]",
            soft_wrap=True,
        )
        show = _json_printer() if as_json else _line_printer()
        shown = 0
        async for record in reader.records():
            record_headers = h.decode_headers(record.headers)
            delivery = picker.pick(record_headers, record.value)
            if delivery is None:
                continue
            show(delivery, record_headers.get(h.REPLAY_OF))
            shown += 1
            if count is not None and shown >= count:
                break
        return 0
    except TailUnavailable as unavailable:
        err.print(f"[red]{escape(str(unavailable))}[/red]")
        return EXIT_UNREACHABLE
    except BrokenPipeError:
        _silence_stdout()  # `senflow tail --json | head -3`: the reader left, so do we
        return 0
    finally:
        await reader.stop()
        if picker.invalid:
            err.print(f"[yellow]Skipped {picker.invalid} records that were no valid delivery.")


class _PipedConsole(Console):
    def on_broken_pipe(self) -> None:
        # rich exits with 1 here; a reader that stopped reading is no failure of ours.
        self.quiet = True
        raise BrokenPipeError


def _line_printer() -> Show:
    console = _PipedConsole(highlight=False)

    def show(delivery: Delivery, replay_of: str | None) -> None:
        console.print(tail_format.line(delivery, replay_of), soft_wrap=True)

    return show


def _json_printer() -> Show:
    def show(delivery: Delivery, replay_of: str | None) -> None:
        sys.stdout.write(tail_format.json_line(delivery, replay_of) + "\n")
        sys.stdout.flush()  # a pipe is block-buffered, and a tail is read as it goes

    return show


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; pointed at /dev/null, that flush cannot
    # fail with a second BrokenPipeError and its "Exception ignored" noise.
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
