"""How `senflow dlq` shows dead letters to a person: the table's caption says when there
are more, times read as UTC, and the detail view survives odd values."""

import io
from typing import Any

from rich.console import Console

from senflow.cli.api_client import ApiError
from senflow.cli.dlq_render import (
    entries_table,
    entry_detail,
    moment,
    replay_refusals,
    replay_summary,
)
from senflow.cli.dlq_replay import Refused, ReplayResult


def rendered(renderable: Any) -> str:
    out = io.StringIO()
    Console(width=200, file=out).print(renderable)
    return out.getvalue()


def an_entry(**changes: Any) -> dict[str, Any]:
    return {
        "id": "3-17",
        "device_id": "dev-1",
        "reason": "timeout",
        "detail": "no answer in 10 s",
        "status_code": None,
        "attempts": 4,
        "dead_lettered_at": "2026-11-25T11:32:43.5+01:00",
        "replayed_at": None,
        **changes,
    }


def test_the_caption_says_how_to_see_more_when_only_some_are_shown() -> None:
    text = rendered(entries_table("d", {"items": [an_entry()], "total": 40}))
    assert "1 of 40: --limit shows more" in text
    assert "2026-11-25T10:32:43.500Z" in text  # in UTC
    assert "timeout" in text and "no answer in 10 s" in text


def test_no_entries_is_a_sentence_not_an_empty_table() -> None:
    assert "No dead letters of destination d match." in rendered(
        entries_table("d", {"items": [], "total": 0})
    )


def test_the_detail_shows_who_replayed_it_and_says_when_there_is_no_pack() -> None:
    text = rendered(
        entry_detail("d", an_entry(replayed_at="2026-11-25T12:00:00Z", replayed_by="admin"))
    )
    assert "2026-11-25T12:00:00.000Z by admin" in text
    assert "(the record was no valid delivery)" in text


def test_moment_keeps_what_came_when_it_is_no_time() -> None:
    assert moment("not a time") == "not a time"
    assert moment(None) == "—"


def test_replay_summary_says_nothing_was_replayed_only_when_nothing_was_refused() -> None:
    refused = Refused("3-17", ApiError(409, "Conflict", "replayed before"), "add --force")
    assert replay_summary("d", ReplayResult(0, [refused])) is None
    assert "Nothing replayed" in str(replay_summary("d", ReplayResult(0, [])))
    assert "Replayed 2 dead letters of destination d" in str(replay_summary("d", ReplayResult(2)))
    assert [line.plain for line in replay_refusals(ReplayResult(0, [refused]))] == [
        "entry 3-17 refused: 409 Conflict: replayed before",
        "  add --force",
    ]
