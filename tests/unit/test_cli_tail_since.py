"""`--since` (and `dlq replay --from/--until`): durations back from now, or times with a
zone; anything else refused with the forms that work."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from senflow.cli.tail_since import InvalidMoment, parse_moment

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        (" 10M ", timedelta(minutes=10)),
        ("0s", timedelta(0)),
    ],
)
def test_a_duration_is_that_long_before_now(text: str, back: timedelta) -> None:
    assert parse_moment(text, NOW) == NOW - back


def test_a_time_with_a_zone_is_that_time_when_given_in_any_form() -> None:
    assert parse_moment("2026-11-25T10:00:00Z", NOW) == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert parse_moment("2026-11-25 11:00+01:00", NOW) == datetime(
        2026, 11, 25, 11, tzinfo=timezone(timedelta(hours=1))
    )


def test_a_time_without_a_zone_is_refused_when_it_would_be_a_guess() -> None:
    with pytest.raises(InvalidMoment, match="no time zone"):
        parse_moment("2026-11-25T10:00:00", NOW)


@pytest.mark.parametrize("text", ["", "10", "m", "10 minutes", "5q", "-10m", "yesterday"])
def test_anything_else_is_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(InvalidMoment, match="neither a duration"):
        parse_moment(text, NOW)


@pytest.mark.parametrize("text", ["99999999d", "5300w", "1" * 400 + "s", "36501d"])
def test_a_duration_beyond_100_years_is_refused_when_it_would_overflow(text: str) -> None:
    with pytest.raises(InvalidMoment, match="more than 100 years back"):
        parse_moment(text, NOW)


def test_a_duration_of_100_years_is_that_long_before_now() -> None:
    assert parse_moment("36500d", NOW) == NOW - timedelta(days=36500)
