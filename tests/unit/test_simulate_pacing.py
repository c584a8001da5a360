"""`senflow simulate`'s schedule: how many uplinks, when each is due, from which device."""

import pytest

from senflow.cli.simulate_errors import InvalidPlan
from senflow.cli.simulate_pacing import MAX_COUNT, Schedule, Slot


def test_duration_at_a_rate_gives_that_many_uplinks_evenly_spaced() -> None:
    schedule = Schedule.plan(rate_per_s=4, devices=2, duration_s=2.5)
    assert schedule.total == 10
    assert [schedule.due_s(i) for i in range(4)] == pytest.approx([0, 0.25, 0.5, 0.75])
    assert schedule.length_s == pytest.approx(2.25)


def test_devices_take_turns_and_count_their_own_sequence() -> None:
    schedule = Schedule.plan(rate_per_s=10, devices=3, count=7)
    assert [schedule.slot(i) for i in range(7)] == [
        Slot(0, 0),
        Slot(1, 0),
        Slot(2, 0),
        Slot(0, 1),
        Slot(1, 1),
        Slot(2, 1),
        Slot(0, 2),
    ]


@pytest.mark.parametrize(
    ("duration_s", "count", "total"),
    [(None, None, 100), (None, 42, 42), (3.0, 1000, 30), (30.0, 5, 5), (0.01, None, 1)],
)
def test_the_fewer_of_count_and_duration_wins_when_both_are_given(
    duration_s: float | None, count: int | None, total: int
) -> None:
    # 10 s by default; a run shorter than one interval still sends one uplink.
    assert Schedule.plan(10, 1, duration_s, count).total == total


def test_a_rate_that_does_not_divide_the_duration_rounds_down() -> None:
    assert Schedule.plan(rate_per_s=3, devices=1, duration_s=1.9).total == 5
    assert Schedule.plan(rate_per_s=0.1, devices=1, duration_s=100).total == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_s": 0.01, "devices": 1}, "--rate"),
        ({"rate_per_s": 20_000, "devices": 1}, "--rate"),
        ({"rate_per_s": 1, "devices": 0}, "--devices"),
        ({"rate_per_s": 1, "devices": 10_001}, "--devices"),
        ({"rate_per_s": 1, "devices": 1, "duration_s": 3601}, "--duration"),
        ({"rate_per_s": 1, "devices": 1, "duration_s": 0}, "--duration"),
        ({"rate_per_s": 1, "devices": 1, "count": MAX_COUNT + 1}, "--count"),
        ({"rate_per_s": 1, "devices": 1, "count": 0}, "--count"),
        ({"rate_per_s": 1, "devices": 1, "count": 5000}, "at most 3600 s"),
    ],
)
def test_plan_refuses_a_run_beyond_its_bounds_when_asked(
    kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidPlan, match=message):
        Schedule.plan(**kwargs)  # type: ignore[arg-type]


def test_the_longest_run_allowed_is_an_hour() -> None:
    schedule = Schedule.plan(rate_per_s=10_000, devices=10_000, duration_s=3600, count=MAX_COUNT)
    assert schedule.total == MAX_COUNT
    assert Schedule.plan(rate_per_s=1, devices=1, duration_s=3600).length_s < 3600
