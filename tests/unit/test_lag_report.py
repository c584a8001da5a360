"""Consumer lag as numbers: one partition's lag, lost records and age; a group's totals; the
thresholds of `senflow lag --max-lag/--max-age`, which fail on what cannot be known."""

import pytest

from senflow.cli.lag_report import GroupLag, PartitionLag, Thresholds, partition_lag

NOW_MS = 1_800_000_000_000


def part(
    committed: int | None,
    end: int,
    oldest_s_ago: float | None = None,
    log_start: int = 0,
    partition: int = 0,
) -> PartitionLag:
    oldest = None if oldest_s_ago is None else NOW_MS - int(oldest_s_ago * 1000)
    return partition_lag("t", partition, committed, log_start, end, oldest, NOW_MS)


def test_lag_is_end_minus_committed_and_age_that_of_the_oldest_waiting_record() -> None:
    p = part(committed=10, end=30, oldest_s_ago=290)
    assert (p.committed, p.end, p.lag, p.lost) == (10, 30, 20, 0)
    assert p.age_s == 290


def test_nothing_waits_when_committed_at_the_end() -> None:
    p = part(committed=30, end=30)
    assert (p.lag, p.age_s) == (0, 0.0)


def test_a_partition_without_commit_shows_dashes_when_never_committed() -> None:
    p = part(committed=None, end=30)
    assert (p.committed, p.lag, p.age_s, p.lost) == (None, None, None, None)
    assert part(committed=-1, end=30).committed is None  # the broker's "no offset"


def test_lag_is_negative_when_committed_past_the_end_as_kafkas_tool_prints_it() -> None:
    """ConsumerGroupCommand (3.9) prints end − committed unclamped; so do we. Nothing
    waits, and the group's total counts it as 0."""
    p = part(committed=40, end=30)
    assert (p.lag, p.age_s, p.lost) == (-10, 0.0, 0)
    group = GroupLag("g", "Stable", 1, (p, part(committed=5, end=8, oldest_s_ago=1, partition=1)))
    assert group.total_lag == 3


def test_records_deleted_before_the_group_read_them_are_lost_when_commit_is_below_log_start() -> (
    None
):
    p = part(committed=5, end=30, oldest_s_ago=280, log_start=20)
    assert (p.lag, p.lost, p.log_start) == (25, 15, 20)  # the tool's lag counts them still
    assert p.age_s == 280  # of record 20, the oldest one still kept


def test_nothing_readable_waits_when_retention_deleted_every_waiting_record() -> None:
    p = part(committed=5, end=30, log_start=30)
    assert (p.lag, p.lost, p.age_s) == (25, 25, 0.0)


def test_age_is_unknown_when_the_waiting_record_could_not_be_read() -> None:
    p = part(committed=10, end=30, oldest_s_ago=None)
    assert p.age_s is None and p.age_unknown


def test_age_is_never_negative_when_clocks_disagree() -> None:
    assert part(committed=10, end=30, oldest_s_ago=-5).age_s == 0


def test_group_totals_sum_lag_and_lost_and_take_the_oldest_age() -> None:
    group = GroupLag(
        "g",
        "Stable",
        2,
        (
            part(committed=10, end=30, oldest_s_ago=50),
            part(committed=5, end=30, oldest_s_ago=80, log_start=20, partition=1),
            part(committed=None, end=9, partition=2),
        ),
    )
    assert (group.total_lag, group.total_lost, group.max_age_s) == (45, 15, 80)
    as_json = group.as_json()
    assert as_json["total_lag"] == 45 and as_json["total_lost"] == 15
    partitions = as_json["partitions"]
    assert isinstance(partitions, list)
    assert partitions[1]["lost"] == 15 and partitions[1]["log_start"] == 20


def test_a_dead_group_does_not_exist() -> None:
    assert not GroupLag("g", "Dead", 0).exists
    assert GroupLag("g", "Empty", 0).exists


def group_of(*partitions: PartitionLag) -> GroupLag:
    return GroupLag("g", "Stable", 1, partitions)


@pytest.mark.parametrize(
    ("thresholds", "group", "expected"),
    [
        (Thresholds(max_lag=20), group_of(part(10, 30, 5)), []),
        (Thresholds(max_lag=19), group_of(part(10, 30, 5)), ["g: lag 20 > 19"]),
        (Thresholds(max_age_s=60), group_of(part(10, 30, 60)), []),
        (
            Thresholds(max_age_s=60),
            group_of(part(10, 30, 61)),
            ["g: oldest waiting 61.0s > 60s"],
        ),
        (Thresholds(), group_of(part(10, 30, None), part(None, 30, partition=1)), []),
    ],
)
def test_a_group_over_a_threshold_breaches_it_when_the_numbers_are_known(
    thresholds: Thresholds, group: GroupLag, expected: list[str]
) -> None:
    assert thresholds.breaches(group) == expected


def test_an_unknown_age_fails_max_age_when_the_waiting_record_could_not_be_read() -> None:
    group = group_of(part(10, 30, oldest_s_ago=None))
    assert Thresholds(max_age_s=3600).breaches(group) == ["g: oldest waiting unknown on t/0"]
    assert Thresholds(max_lag=100).breaches(group) == []


def test_a_partition_with_records_and_no_commit_fails_both_thresholds_when_set() -> None:
    group = group_of(part(10, 10), part(None, 30, partition=1))
    assert Thresholds(max_lag=0).breaches(group) == ["g: lag unknown, no commit on t/1"]
    assert Thresholds(max_age_s=60).breaches(group) == ["g: oldest waiting unknown on t/1"]


def test_an_empty_partition_without_commit_has_nothing_waiting_whatever_the_reset() -> None:
    group = group_of(part(None, 30, log_start=30), part(None, 0, partition=1))
    assert Thresholds(max_lag=0, max_age_s=0).breaches(group) == []


def test_many_unknown_partitions_are_named_up_to_five() -> None:
    group = group_of(*(part(None, 3, partition=n) for n in range(8)))
    (breach,) = Thresholds(max_lag=0).breaches(group)
    assert breach.endswith("t/0, t/1, t/2, t/3, t/4 and 3 more")
