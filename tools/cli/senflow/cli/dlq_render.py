"""How `senflow dlq` shows dead letters to a person: a table of entries, one entry in full.

The input is the registry API's answer as it came (`GET …/dead-letters` and
`GET …/dead-letters/{entry_id}`); `--json` prints that answer instead, unchanged. Values
from the platform go in as rich `Text`, never as markup: a receiver's answer excerpt
may hold anything.
"""

from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from senflow.cli.dlq_replay import ReplayResult
from senflow.cli.tail_format import utc_time


def entries_table(destination_id: str, answer: dict[str, Any]) -> RenderableType:
    items: list[dict[str, Any]] = answer.get("items", [])
    total = int(answer.get("total", len(items)))
    if not items:
        return Text(f"No dead letters of destination {destination_id} match.")
    table = Table(
        title=f"Dead letters of destination {destination_id}, newest first",
        title_justify="left",
        caption=_caption(len(items), total),
        caption_justify="left",
    )
    table.add_column("entry", no_wrap=True)
    table.add_column("dead-lettered (UTC)", no_wrap=True)
    table.add_column("reason", no_wrap=True)
    table.add_column("status", justify="right")
    table.add_column("attempts", justify="right")
    table.add_column("device", overflow="fold")
    table.add_column("replayed (UTC)")
    table.add_column("detail", overflow="ellipsis", no_wrap=True, max_width=48)
    for item in items:
        table.add_row(
            Text(str(item.get("id"))),
            Text(moment(item.get("dead_lettered_at"))),
            Text(str(item.get("reason") or ""), style="red"),
            Text(_or_dash(item.get("status_code"))),
            Text(_or_dash(item.get("attempts"))),
            Text(str(item.get("device_id") or "—")),
            _replayed(item),
            Text(str(item.get("detail") or "")),
        )
    return table


def entry_detail(destination_id: str, entry: dict[str, Any]) -> RenderableType:
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column(overflow="fold")
    rows: list[tuple[str, Text]] = [
        ("entry", Text(str(entry.get("id")))),
        ("destination", Text(destination_id)),
        ("dead-lettered", Text(moment(entry.get("dead_lettered_at")))),
        ("reason", Text(str(entry.get("reason") or ""), style="red")),
        ("detail", Text(str(entry.get("detail") or "—"))),
        ("status code", Text(_or_dash(entry.get("status_code")))),
        ("attempts", Text(_or_dash(entry.get("attempts")))),
        ("receiver answered", Text(str(entry.get("response_excerpt") or "—"))),
        ("message id", Text(_or_dash(entry.get("message_id")))),
        ("delivery id", Text(_or_dash(entry.get("delivery_id")))),
        ("device", Text(_or_dash(entry.get("device_id")))),
        ("flow", Text(_or_dash(entry.get("flow_id")))),
        ("replay of", Text(_or_dash(entry.get("replay_of")))),
        ("replayed", _replayed(entry)),
    ]
    for name, value in rows:
        fields.add_row(name, value)
    body = entry.get("body")
    shown_body: RenderableType = (
        JSON.from_data(body) if body is not None else Text("(the record was no valid delivery)")
    )
    heading = Text("body (the SenML pack it would have delivered):", style="bold")
    return Group(fields, Text(""), heading, shown_body)


def replay_json(result: ReplayResult) -> dict[str, Any]:
    """`--json`: how many went, and each refusal with the API's reason."""
    refused = [
        {
            "entry_id": r.entry_id,
            "status": r.error.status,
            "title": r.error.title,
            "detail": r.error.detail,
            "hint": r.hint,
        }
        for r in result.refused
    ]
    return {"replayed": result.replayed, "refused": refused}


def replay_refusals(result: ReplayResult) -> list[Text]:
    """For stderr: each refusal with the API's reason, and what to do where we know."""
    lines = []
    for refusal in result.refused:
        what = f"entry {refusal.entry_id}" if refusal.entry_id else "replay"
        lines.append(Text.assemble((f"{what} refused: ", "red"), refusal.error.describe()))
        if refusal.hint:
            lines.append(Text(f"  {refusal.hint}"))
    return lines


def replay_summary(destination_id: str, result: ReplayResult) -> Text | None:
    """For stdout; None when everything asked for was refused (stderr says why)."""
    if result.replayed:
        noun = "dead letter" if result.replayed == 1 else "dead letters"
        return Text(
            f"Replayed {result.replayed} {noun} of destination {destination_id}:"
            " the dispatcher delivers them again, with their delivery ids."
        )
    if result.refused:
        return None
    return Text(
        "Nothing replayed: no dead letter matches that was not replayed before"
        " (--force takes those too)."
    )


def moment(value: Any) -> str:
    """An API time as `2026-11-25T10:32:43.512Z`; what came, if it is no time."""
    if not value:
        return "—"
    try:
        return utc_time(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _replayed(entry: dict[str, Any]) -> Text:
    if not entry.get("replayed_at"):
        return Text("no", style="dim")
    return Text(f"{moment(entry['replayed_at'])} by {entry.get('replayed_by') or '?'}")


def _caption(shown: int, total: int) -> str:
    if shown >= total:
        return f"{total} in all"
    return f"{shown} of {total}: --limit shows more (up to 1000), --until older ones"


def _or_dash(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
