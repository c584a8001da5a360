"""`senflow dlq`: a destination's dead letters, listed, shown and replayed.

Everything goes through the registry's dead-letter API (README, "Dead letters and
replay") with SENFLOW_API_URL and SENFLOW_API_TOKEN, so the API's tenancy holds: a
customer's key sees its own destinations, the admin token every one. An error answer is
printed with the API's own reason and the command exits 1; an unreachable API or a
missing token exits 2 (as `senflow lag` does for an unreachable broker).
"""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from senflow.cli import dlq_render
from senflow.cli.api_client import ApiError, ApiUnreachable, RegistryClient
from senflow.cli.dlq_replay import (
    InvalidReplay,
    ReplayPlan,
    ReplayResult,
    dead_letters_path,
    entry_path,
)
from senflow.cli.dlq_replay import replay as replay_plan
from senflow.cli.settings import CliSettings, load_settings
from senflow.cli.tail_since import InvalidMoment, parse_moment

EXIT_REFUSED = 1
EXIT_UNREACHABLE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    help="A destination's dead letters: list, show, replay (through the registry API, "
    "with SENFLOW_API_URL and SENFLOW_API_TOKEN).",
    no_args_is_help=True,
)

Destination = Annotated[
    str, typer.Option("--destination", "-d", help="The destination's id.", show_default=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="The API's answer as JSON, for scripts.")]
Reason = Annotated[str | None, typer.Option(help="Only this reason, e.g. http-status, timeout.")]
MOMENT_HELP = "10m, 2h, 1d (ago) or a time with its zone, 2026-11-25T10:00:00Z"


@app.command("list")
def list_entries(
    destination: Destination,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    since: Annotated[
        str | None, typer.Option(help=f"Dead-lettered at or after: {MOMENT_HELP}.")
    ] = None,
    until: Annotated[str | None, typer.Option(help=f"Dead-lettered before: {MOMENT_HELP}.")] = None,
    reason: Reason = None,
    as_json: AsJson = False,
) -> None:
    """The destination's dead letters, newest first: why each failed and whether it was
    replayed."""
    now = datetime.now(UTC)
    params = {
        "limit": limit,
        "since": _moment_param(since, "--since", now),
        "until": _moment_param(until, "--until", now),
        "reason": reason,
    }

    async def work(client: RegistryClient) -> int:
        answer = await client.get(dead_letters_path(destination), params)
        if as_json:
            _print_json(answer)
        else:
            Console().print(dlq_render.entries_table(destination, answer))
        return 0

    _run(work)


@app.command("show")
def show(
    entry_id: Annotated[str, typer.Argument(help="The entry, e.g. 3-1742.", show_default=False)],
    destination: Destination,
    as_json: AsJson = False,
) -> None:
    """One dead letter in full, with the SenML pack it would have delivered."""

    async def work(client: RegistryClient) -> int:
        answer = await client.get(entry_path(destination, entry_id))
        if as_json:
            _print_json(answer)
        else:
            Console().print(dlq_render.entry_detail(destination, answer))
        return 0

    _run(work)


@app.command("replay")
def replay(
    destination: Destination,
    entry_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Entries to replay, e.g. 3-1742 3-1750.", show_default=False),
    ] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Every entry never replayed (with --force: every one).")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--from", help=f"Those dead-lettered from: {MOMENT_HELP}.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help=f"Those dead-lettered before: {MOMENT_HELP}.")
    ] = None,
    reason: Reason = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replay entries that were replayed before, too.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Deliver dead letters again, with their delivery ids: named entries, --all, or a
    range (--from/--until, --reason).

    A replayed entry is refused a second time unless --force.
    A range or --all replays at most 10,000 entries per call.
    """
    try:
        plan = ReplayPlan.of(
            entry_ids or [], replay_all, since, until, reason, force, datetime.now(UTC)
        )
    except (InvalidReplay, InvalidMoment) as bad:
        raise typer.BadParameter(str(bad)) from None

    async def work(client: RegistryClient) -> int:
        result = await replay_plan(client, destination, plan)
        _report_replay(destination, result, as_json)
        return EXIT_REFUSED if result.refused else 0

    _run(work)


def _report_replay(destination: str, result: ReplayResult, as_json: bool) -> None:
    if as_json:
        _print_json(dlq_render.replay_json(result))
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for refusal in dlq_render.replay_refusals(result):
        err.print(refusal)
    summary = dlq_render.replay_summary(destination, result)
    if summary is not None and not as_json:
        Console(highlight=False, soft_wrap=True).print(summary)


def _run(work: Callable[[RegistryClient], Awaitable[int]]) -> NoReturn:
    """Run one command's work with a client of the API; every failure becomes a message
    and an exit code, never a traceback."""
    settings = load_settings(CliSettings)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if settings.api_token is None:
        err.print(
            "[red]No API token:[/red] set SENFLOW_API_TOKEN (a customer's API key) or"
            " REGISTRY_ADMIN_TOKEN."
        )
        raise typer.Exit(EXIT_UNREACHABLE)

    async def with_client() -> int:
        async with RegistryClient.from_settings(settings) as client:
            return await work(client)

    try:
        code = asyncio.run(with_client())
    except ApiError as refused:
        err.print(f"[red]The registry API refused:[/red] {escape(refused.describe())}")
        code = EXIT_REFUSED
    except ApiUnreachable as unreachable:
        err.print(
            f"[red]The registry API is not reachable[/red] (SENFLOW_API_URL):"
            f" {escape(str(unreachable))}"
        )
        code = EXIT_UNREACHABLE
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def _moment_param(text: str | None, option: str, now: datetime) -> str | None:
    if text is None:
        return None
    try:
        return parse_moment(text, now).isoformat()
    except InvalidMoment as bad:
        raise typer.BadParameter(str(bad), param_hint=option) from None


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()
