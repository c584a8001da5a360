"""The router's decoder health: sequences of decode outcomes in, status changes out."""

from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.common.decoder_status import DecoderStatus
from senflow.router.decoder_health import DecoderHealth
from senflow.router.resolver import DecoderResolver
from senflow.router.view import RegistryView

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def changes(outcomes: str, health: DecoderHealth | None = None) -> list[tuple[int, str]]:
    """(position, new status) of each change that `outcomes` makes: S decoded, F failed."""
    health = health or DecoderHealth(reporter="r")
    found: list[tuple[int, str]] = []
    for position, outcome in enumerate(outcomes, start=1):
        error = ValueError("bad") if outcome == "F" else None
        if (status := health.record("diy-1", 1, error)) is not None:
            found.append((position, status.status))
    return found


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("S" * 200, []),
        ("F" * 19, []),
        ("F" * 20, [(20, "failing")]),
        ("F" * 200, [(20, "failing")]),  # reported once, not per failure
        ("S" * 31 + "F" * 24, []),  # 24 of 50 failed: under half
        ("S" * 31 + "F" * 25, [(56, "failing")]),  # 25 of 50: half
        ("SF" * 20, [(40, "failing")]),  # 20 of 40
        ("SSF" * 40, []),  # a third fail: not failing, however long
        ("F" * 20 + "S" * 19, [(20, "failing")]),
        ("F" * 20 + "S" * 20, [(20, "failing"), (40, "ok")]),
        ("F" * 20 + "S" * 19 + "F" + "S" * 19, [(20, "failing")]),  # the run starts again
        ("F" * 20 + "S" * 19 + "F" + "S" * 20, [(20, "failing"), (60, "ok")]),
        # Recovery starts a fresh window: 19 failures after 20 successes are not enough.
        ("F" * 20 + "S" * 20 + "F" * 19, [(20, "failing"), (40, "ok")]),
        ("F" * 20 + "S" * 20 + "F" * 20, [(20, "failing"), (40, "ok"), (60, "failing")]),
    ],
)
def test_status_changes_when_a_sequence_crosses_the_thresholds(
    outcomes: str, expected: list[tuple[int, str]]
) -> None:
    assert changes(outcomes) == expected


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("FF", []),
        ("FFF", [(3, "failing")]),
        ("SSSSSSSFFF", []),  # 3 of 10: under 40 %
        ("SSSSSSFFFF", [(10, "failing")]),
        ("FFFSS", [(3, "failing"), (5, "ok")]),
    ],
)
def test_thresholds_are_the_constructor_s(outcomes: str, expected: list[tuple[int, str]]) -> None:
    health = DecoderHealth(
        reporter="r", window=10, min_failures=3, min_failure_ratio=0.4, ok_after=2
    )
    assert changes(outcomes, health) == expected


def test_a_status_change_says_what_happened_in_the_window() -> None:
    health = DecoderHealth(reporter="host:42", clock=lambda: AT)
    for _ in range(10):
        health.record("diy-1", 3, None)
    for n in range(19):
        assert health.record("diy-1", 3, ValueError(f"bad {n}")) is None
    status = health.record("diy-1", 3, ValueError("x" * 600))
    assert status == DecoderStatus(
        decoder_id="diy-1",
        decoder_version=3,
        status="failing",
        failures=20,
        decodes=30,
        last_error="x" * 500,
        changed_at=AT,
        reporter="host:42",
    )


def test_an_error_without_a_message_is_named_by_its_type() -> None:
    health = DecoderHealth(reporter="r")
    status = None
    for _ in range(20):
        status = health.record("d", 1, KeyError()) or status
    assert status is not None and status.last_error == "KeyError"


def test_decoders_are_tracked_apart() -> None:
    health = DecoderHealth(reporter="r")
    seen = []
    for _ in range(20):
        seen.append(health.record("ok-one", 1, None))
        seen.append(health.record("bad-one", 1, ValueError("bad")))
    [status] = [s for s in seen if s is not None]
    assert (status.decoder_id, status.failures, status.decodes) == ("bad-one", 20, 20)


def test_a_new_version_starts_a_fresh_window_and_keeps_its_status() -> None:
    health = DecoderHealth(reporter="r")
    for _ in range(20):
        health.record("diy-1", 1, ValueError("bad"))
    for _ in range(19):
        assert health.record("diy-1", 2, None) is None  # the fix has not proven itself yet
    recovered = health.record("diy-1", 2, None)
    assert recovered is not None
    assert (recovered.status, recovered.decoder_version, recovered.decodes) == ("ok", 2, 20)
    for _ in range(19):
        health.record("diy-1", 2, ValueError("bad"))
    assert health.record("diy-1", 3, ValueError("bad")) is None  # v3: 1 failure so far


def test_drain_takes_the_latest_change_per_decoder_once() -> None:
    health = DecoderHealth(reporter="r", window=4, min_failures=2, ok_after=1)
    assert health.drain() == []
    for outcome in ("F", "F", "S"):  # a: failing, then ok
        health.record("a", 1, ValueError("bad") if outcome == "F" else None)
    health.record("b", 1, ValueError("bad"))
    health.record("b", 1, ValueError("bad"))
    drained = health.drain()
    assert [(s.decoder_id, s.status) for s in drained] == [("a", "ok"), ("b", "failing")]
    assert health.drain() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_failures": 0},
        {"min_failures": 51},
        {"ok_after": 0},
        {"min_failure_ratio": 0.0},
        {"min_failure_ratio": 1.5},
    ],
)
def test_thresholds_that_cannot_work_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DecoderHealth(reporter="r", **kwargs)  # type: ignore[arg-type]


def test_the_resolver_reports_each_outcome_of_a_decoder() -> None:
    outcomes: list[tuple[str, int, str | None]] = []
    resolver = DecoderResolver(
        RegistryView(),
        on_outcome=lambda d, v, err: outcomes.append((d, v, None if err is None else str(err))),
    )
    decoder = resolver("cayenne-lpp")
    assert decoder is not None
    ctx = DecodeContext(device_urn="urn:dev:DEVEUI:0000000000000000:")
    decoder.decode(DecodeInput(payload=bytes.fromhex("0167FFD7"), received_at=AT), ctx)
    with pytest.raises(ValueError):
        decoder.decode(DecodeInput(payload=b"", received_at=AT), ctx)
    assert outcomes == [
        ("cayenne-lpp", 1, None),
        ("cayenne-lpp", 1, "empty payload: no Cayenne LPP channel at offset 0"),
    ]
