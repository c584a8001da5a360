"""What `senflow dlq replay` asks for: named entries, or a selection that must be asked
for explicitly; contradictions refused before anything is sent."""

from datetime import UTC, datetime, timedelta

import pytest

from senflow.cli.dlq_replay import InvalidReplay, ReplayPlan, dead_letters_path, entry_path

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def plan(
    entry_ids: list[str] | None = None,
    replay_all: bool = False,
    since: str | None = None,
    until: str | None = None,
    reason: str | None = None,
    force: bool = False,
) -> ReplayPlan:
    return ReplayPlan.of(entry_ids or [], replay_all, since, until, reason, force, NOW)


def test_named_entries_are_replayed_one_by_one_when_given() -> None:
    assert plan(["3-17", "3-18"], force=True) == ReplayPlan(("3-17", "3-18"), force=True)


def test_all_is_a_selection_without_bounds_when_asked_for() -> None:
    assert plan(replay_all=True).selection_body() == {
        "since": None,
        "until": None,
        "reason": None,
        "include_replayed": False,
    }


def test_a_range_sends_its_times_with_their_zone_and_force_takes_replayed_ones_too() -> None:
    body = plan(since="2h", until="2026-11-25T11:30:00Z", reason="timeout", force=True)
    assert body.selection_body() == {
        "since": (NOW - timedelta(hours=2)).isoformat(),
        "until": "2026-11-25T11:30:00+00:00",
        "reason": "timeout",
        "include_replayed": True,
    }


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({}, "give entry ids, --all, or a range"),
        ({"entry_ids": ["3-17"], "replay_all": True}, "not both"),
        ({"entry_ids": ["3-17"], "since": "1h"}, "not both"),
        ({"replay_all": True, "until": "1h"}, "drop --from/--until"),
        ({"since": "1h", "until": "2h"}, "--from must be before --until"),
    ],
)
def test_replay_is_refused_when_the_arguments_name_nothing_or_contradict(
    kwargs: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidReplay, match=says):
        plan(**kwargs)  # type: ignore[arg-type]


def test_paths_quote_ids_when_they_hold_characters_of_a_url() -> None:
    assert dead_letters_path("d/1") == "/destinations/d%2F1/dead-letters"
    assert entry_path("d", "3-17?x") == "/destinations/d/dead-letters/3-17%3Fx"
