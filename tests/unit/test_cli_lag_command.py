"""`senflow lag` without Kafka (a fake probe): exit codes for groups that do not exist and
numbers that cannot be known, bounds of --watch, and settings it cannot use."""

from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from senflow.cli.app import app
from senflow.cli.lag import _run
from senflow.cli.lag_report import GroupLag, Thresholds, partition_lag

NOW_MS = 1_800_000_000_000


def lagging(group: str) -> GroupLag:
    p = partition_lag("t", 0, 10, 0, 30, NOW_MS - 5_000, NOW_MS)
    return GroupLag(group, "Stable", 1, (p,))


@dataclass
class FakeProbe:
    known: dict[str, GroupLag] = field(default_factory=dict)
    stopped: bool = False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.stopped = True

    async def groups(self, prefix: str | None = None) -> list[str]:
        return sorted(self.known)

    async def measure(self, groups: list[str]) -> list[GroupLag]:
        # What the broker answers for a group it does not know.
        return [self.known.get(g, GroupLag(g, "Dead", 0)) for g in groups]


NO_THRESHOLDS = Thresholds()


async def run(
    probe: FakeProbe, groups: list[str] | None, thresholds: Thresholds = NO_THRESHOLDS
) -> int:
    """`senflow lag [--group …] --json` with this probe; the exit code."""
    return await _run(
        probe,  # type: ignore[arg-type]
        "kafka:9092",
        groups,
        None,
        None,
        None,
        True,
        thresholds,
    )


async def test_a_named_group_that_does_not_exist_fails_when_no_threshold_is_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe = FakeProbe({"senflow-router": lagging("senflow-router")})

    code = await run(probe, ["senflow-router", "senflow-typo"])

    assert code == 1
    err = capsys.readouterr().err
    assert "Consumer group 'senflow-typo' does not exist." in err
    assert "senflow-router" not in err
    assert probe.stopped


async def test_a_named_group_that_does_not_exist_fails_a_readiness_gate() -> None:
    assert await run(FakeProbe(), ["senflow-dispatcher"], Thresholds(max_lag=0)) == 1


async def test_groups_found_by_listing_pass_when_within_thresholds() -> None:
    probe = FakeProbe({"senflow-router": lagging("senflow-router")})
    assert await run(probe, None, Thresholds(max_lag=20, max_age_s=60)) == 0
    assert await run(probe, ["senflow-router"], Thresholds(max_lag=20)) == 0


async def test_a_partition_with_records_and_no_commit_fails_the_threshold(
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = "senflow.uplinks.device.raw.v1"
    uncommitted = partition_lag(topic, 1, None, 0, 30, None, NOW_MS)
    group = GroupLag("senflow-router", "Stable", 1, (uncommitted,))

    assert await run(FakeProbe({group.group: group}), ["senflow-router"]) == 0
    code = await run(FakeProbe({group.group: group}), ["senflow-router"], Thresholds(max_lag=0))

    assert code == 1
    # One line, however narrow the terminal: scripts grep it.
    breach = f"over threshold senflow-router: lag unknown, no commit on {topic}/1\n"
    assert breach in capsys.readouterr().err


def test_watch_refuses_intervals_below_half_a_second_when_given() -> None:
    for interval in ("0", "-1", "0.1"):
        result = CliRunner().invoke(app, ["lag", "--watch", interval])
        assert result.exit_code == 2
        assert "--watch" in result.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SENFLOW_KAFKA_BOOTSTRAP", "localhost:abc"),
        ("SENFLOW_KAFKA_BOOTSTRAP", "kafka:9092,"),
        ("SENFLOW_MQTT_PORT", "abc"),
    ],
)
def test_a_setting_it_cannot_use_is_named_without_a_traceback_when_malformed(
    variable: str, value: str
) -> None:
    result = CliRunner().invoke(app, ["lag"], env={variable: value})
    assert result.exit_code == 2
    assert f"Invalid setting: {variable}={value!r}" in result.output
    assert isinstance(result.exception, SystemExit)  # no other exception escaped
