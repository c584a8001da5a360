"""How a simulation shows on a terminal: a progress bar while it sends, then a table."""

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from senflow.cli.simulate_run import OnProgress
from senflow.cli.simulate_summary import Summary, Tally


@contextlib.contextmanager
def uplink_progress(
    console: Console, description: str, total: int, shown: bool = True
) -> Iterator[OnProgress]:
    """A progress bar of answered uplinks (hidden unless `shown`); yields the callback
    that moves it."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        disable=not shown,
    )
    with progress:
        task = progress.add_task(description, total=total, status="")

        def update(tally: Tally) -> None:
            rejected = tally.rejected.total()
            status = f"[green]{tally.accepted} accepted[/]"
            if rejected:
                status += f" [red]{rejected} rejected[/]"
            progress.update(task, completed=tally.answered, status=status)

        yield update


def summary_table(summary: Summary, title: str, target: str) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("target", target)
    table.add_row("sent", f"{summary.sent} of {summary.planned}")
    table.add_row("accepted", f"[green]{summary.accepted}[/]")
    rejected = f"[red]{summary.rejected_total}[/]" if summary.rejected else "0"
    table.add_row("rejected", rejected)
    for reason, count in sorted(summary.rejected.items()):
        table.add_row(f"  {reason}", f"[red]{count}[/]")
    achieved = summary.achieved_rate_per_s
    table.add_row(
        "rate",
        f"{achieved:,.1f}/s (target {summary.target_rate_per_s:g}/s)"
        if achieved is not None
        else f"- (target {summary.target_rate_per_s:g}/s)",
    )
    table.add_row(
        "ack latency p50 / p99 / max",
        " / ".join(_ms(v) for v in (summary.latency_p50_ms, summary.latency_p99_ms))
        + f" / {_ms(summary.latency_max_ms)} ms",
    )
    table.add_row("elapsed", f"{summary.elapsed_s:.1f} s")
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
