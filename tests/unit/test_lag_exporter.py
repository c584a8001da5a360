"""The lag exporter without Kafka (a fake probe): what it serves, and that one failed
measurement neither blanks the other groups nor, for a few intervals, the group itself."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from senflow.cli.lag_exporter import KEEP_INTERVALS, LagCollector, measure_round
from senflow.cli.lag_latest import LatestLags
from senflow.cli.lag_report import GroupLag, partition_lag

INTERVAL_S = 10.0
KEEP_S = KEEP_INTERVALS * INTERVAL_S


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def lagging(group: str, committed: int = 10, end: int = 30, log_start: int = 0) -> GroupLag:
    now_ms = 1_800_000_000_000
    p = partition_lag("t", 0, committed, log_start, end, now_ms - 60_000, now_ms)
    return GroupLag(group, "Empty", 0, (p,))


@dataclass
class FakeProbe:
    lags: dict[str, GroupLag] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    listing_fails: bool = False

    async def groups(self, prefix: str | None) -> list[str]:
        if self.listing_fails:
            raise ConnectionError("Kafka is away")
        return sorted(g for g in self.lags if prefix is None or g.startswith(prefix))

    async def measure_group(self, group: str) -> GroupLag:
        if group in self.failing:
            raise TimeoutError(f"{group}: coordinator not available")
        return self.lags[group]


def served(collector: LagCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def groups_served(collector: LagCollector) -> set[str]:
    return {
        dict(labels)["group"]
        for (name, labels) in served(collector)
        if name == "senflow_consumergroup_lag"
    }


def part_labels(group: str) -> tuple[tuple[str, str], ...]:
    return (("group", group), ("partition", "0"), ("topic", "t"))


async def test_collector_serves_each_groups_numbers_and_when_they_were_measured() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({"senflow-a": lagging("senflow-a", committed=5, log_start=20)})
    await measure_round(probe, collector, "senflow-")

    samples = served(collector)
    labels = part_labels("senflow-a")
    assert samples[("senflow_consumergroup_lag", labels)] == 25
    assert samples[("senflow_consumergroup_lost_records", labels)] == 15
    assert samples[("senflow_consumergroup_committed_offset", labels)] == 5
    assert samples[("senflow_consumergroup_log_end_offset", labels)] == 30
    assert samples[("senflow_consumergroup_lag_seconds", labels)] == 60
    assert (
        samples[("senflow_consumergroup_members", (("group", "senflow-a"), ("state", "Empty")))]
        == 0
    )
    measured = ("senflow_consumergroup_measured_timestamp_seconds", (("group", "senflow-a"),))
    assert samples[measured] == clock.now
    assert samples[("senflow_lag_exporter_last_success_timestamp_seconds", ())] == clock.now
    assert samples[("senflow_lag_exporter_failed_measurements_total", ())] == 0
    assert collector.listed_at == clock.now


async def test_one_failing_group_leaves_the_others_fresh_when_measured_one_by_one() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({g: lagging(g) for g in ("senflow-a", "senflow-b")})
    await measure_round(probe, collector, "senflow-")
    started = clock.now

    probe.failing = {"senflow-a"}
    clock.now += INTERVAL_S
    await measure_round(probe, collector, "senflow-")

    samples = served(collector)
    assert groups_served(collector) == {"senflow-a", "senflow-b"}
    stamp = "senflow_consumergroup_measured_timestamp_seconds"
    assert samples[(stamp, (("group", "senflow-a"),))] == started  # its last good numbers
    assert samples[(stamp, (("group", "senflow-b"),))] == clock.now
    assert samples[("senflow_lag_exporter_failed_measurements_total", ())] == 1
    # Not every group was measured: the exporter's own success stamp stays behind.
    assert samples[("senflow_lag_exporter_last_success_timestamp_seconds", ())] == started


async def test_a_group_is_dropped_only_after_keep_intervals_of_failures() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({g: lagging(g) for g in ("senflow-a", "senflow-b")})
    await measure_round(probe, collector, "senflow-")
    probe.failing = {"senflow-a"}

    for _ in range(KEEP_INTERVALS):
        clock.now += INTERVAL_S
        await measure_round(probe, collector, "senflow-")
        assert "senflow-a" in groups_served(collector)

    clock.now += 0.001
    assert groups_served(collector) == {"senflow-b"}  # dropped, also between measurements


async def test_a_failed_listing_keeps_every_group_for_a_while_then_drops_them() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({g: lagging(g) for g in ("senflow-a", "senflow-b")})
    await measure_round(probe, collector, "senflow-")

    probe.listing_fails = True
    clock.now += INTERVAL_S
    await measure_round(probe, collector, "senflow-")
    assert groups_served(collector) == {"senflow-a", "senflow-b"}
    assert collector.failures == 1

    clock.now += KEEP_S
    await measure_round(probe, collector, "senflow-")
    assert groups_served(collector) == set()


async def test_a_group_gone_from_the_listing_goes_at_once() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({g: lagging(g) for g in ("senflow-a", "senflow-b")})
    await measure_round(probe, collector, "senflow-")

    del probe.lags["senflow-a"]
    clock.now += INTERVAL_S
    await measure_round(probe, collector, "senflow-")
    assert groups_served(collector) == {"senflow-b"}


async def test_a_group_that_died_since_the_listing_is_forgotten() -> None:
    clock = Clock()
    collector = LagCollector(KEEP_S, clock)
    probe = FakeProbe({"senflow-a": lagging("senflow-a")})
    await measure_round(probe, collector, "senflow-")

    probe.lags["senflow-a"] = GroupLag("senflow-a", "Dead", 0)
    await measure_round(probe, collector, "senflow-")
    assert groups_served(collector) == set()


async def test_nothing_is_served_and_not_ready_before_the_first_listing() -> None:
    collector = LagCollector(KEEP_S, Clock())
    await measure_round(FakeProbe(listing_fails=True), collector, "senflow-")

    samples = served(collector)
    assert collector.listed_at is None
    assert samples[("senflow_lag_exporter_last_success_timestamp_seconds", ())] == 0
    assert not any(name.startswith("senflow_consumergroup") for name, _ in samples)


def test_latest_lags_keeps_a_measurement_exactly_keep_s() -> None:
    latest = LatestLags(keep_s=30)
    latest.record(lagging("senflow-a"), at=100)
    assert [m.lag.group for m in latest.current(130)] == ["senflow-a"]
    assert latest.current(130.5) == []
    assert latest.current(100) == []  # dropped for good, not hidden
