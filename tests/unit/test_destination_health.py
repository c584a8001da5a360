"""The dispatcher's destination health: sequences of delivery outcomes in, state changes
out, with a fake clock."""

from datetime import UTC, datetime
from typing import Any

import pytest

from senflow.common.delivery_outcomes import DeliveryOutcome, OutcomeKind
from senflow.dispatcher.health import Admission, HealthTracker
from tests.support.clock import FakeClock
from tests.support.deliveries import CUSTOMER_ID, DESTINATION_ID

T0 = datetime(2026, 11, 25, 10, 33, tzinfo=UTC)


def outcome(kind: OutcomeKind, reason: str | None = None, **fields: Any) -> DeliveryOutcome:
    return DeliveryOutcome(
        message_id="m-1",
        delivery_id="d-1",
        destination_id=fields.pop("destination_id", DESTINATION_ID),
        destination_type="https",
        customer_id=CUSTOMER_ID,
        device_id="dev-1",
        outcome=kind,
        attempt=1,
        reason=reason,
        latency_ms=12.5,
        at=T0,
        **fields,
    )


DELIVERED = outcome("delivered")
FAILED = outcome("failed-attempt", "http-status", status_code=503, detail="HTTP 503")
DEAD_LETTERED = outcome("dead-lettered", "http-status", status_code=400)


def changes(
    script: str, tracker: HealthTracker | None = None, clock: FakeClock | None = None
) -> list[tuple[int, str]]:
    """(position, new state) of each change `script` makes: S delivered, F failed attempt,
    D dead-lettered, each a second after the one before."""
    clock = clock or FakeClock()
    tracker = tracker or HealthTracker(reporter="r", clock=clock)
    found: list[tuple[int, str]] = []
    for position, step in enumerate(script, start=1):
        clock.advance(1)
        recorded = {"S": DELIVERED, "F": FAILED, "D": DEAD_LETTERED}[step]
        if (health := tracker.record(recorded)) is not None:
            found.append((position, health.state))
    return found


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("S" * 200, [(1, "healthy")]),  # the first outcome is a change, from unknown
        ("F", [(1, "degraded")]),
        ("S" * 50 + "F" * 9, [(1, "healthy")]),  # 9 of 50 failed: under 20 %
        ("S" * 50 + "F" * 10, [(1, "healthy"), (60, "degraded")]),
        ("F" * 9, [(1, "degraded")]),  # 100 %, but fewer than 10 attempts
        ("F" * 10, [(1, "degraded"), (10, "failing")]),
        ("F" * 200, [(1, "degraded"), (10, "failing")]),  # reported once, not per failure
        ("S" * 10 + "F" * 40, [(1, "healthy"), (13, "degraded"), (50, "failing")]),
        # Under 80 % failed again: degraded; 20 successes in a row: healthy.
        (
            "F" * 10 + "S" * 20,
            [(1, "degraded"), (10, "failing"), (13, "degraded"), (30, "healthy")],
        ),
        ("F" + "S" * 19, [(1, "degraded")]),
        ("F" + "S" * 20, [(1, "degraded"), (21, "healthy")]),
        ("F" + "S" * 19 + "F" + "S" * 19, [(1, "degraded")]),  # the run starts again
        # Recovery starts a fresh window (20 successes): 4 of 24 is under 20 %, 5 of 25 not.
        ("F" + "S" * 20 + "F" * 4, [(1, "degraded"), (21, "healthy")]),
        ("F" + "S" * 20 + "F" * 5, [(1, "degraded"), (21, "healthy"), (26, "degraded")]),
        # A dead letter degrades, and holds back recovery for a minute.
        ("S" * 5 + "D", [(1, "healthy"), (6, "degraded")]),
        ("S" * 5 + "D" + "S" * 59, [(1, "healthy"), (6, "degraded")]),
        ("S" * 5 + "D" + "S" * 60, [(1, "healthy"), (6, "degraded"), (66, "healthy")]),
    ],
)
def test_state_changes_when_a_sequence_crosses_the_thresholds(
    script: str, expected: list[tuple[int, str]]
) -> None:
    assert changes(script) == expected


@pytest.mark.parametrize(
    "reason",
    [
        "destination-auto-disabled",
        "destination-disabled",
        "destination-not-found",
        "invalid-delivery",
        "internal-error",
    ],
)
def test_a_dead_letter_that_is_not_the_destination_s_doing_changes_nothing(reason: str) -> None:
    tracker = HealthTracker(reporter="r")
    assert tracker.record(DELIVERED) is not None
    assert tracker.record(outcome("dead-lettered", reason)) is None
    assert tracker.record(outcome("dead-lettered", reason, destination_id="other")) is None
    assert tracker.state(DESTINATION_ID) == "healthy"
    assert tracker.state("other") is None


def test_healthy_to_disabled_and_back_through_a_probe() -> None:
    clock = FakeClock()
    tracker = HealthTracker(
        reporter="host:42", auto_disable_after_s=300, probe_interval_s=30, clock=clock
    )
    steps: list[tuple[str, object]] = []

    def record(o: DeliveryOutcome, times: int = 1) -> None:
        for _ in range(times):
            if (health := tracker.record(o)) is not None:
                steps.append(("changed", health.state))

    def admit() -> Admission:
        admission = tracker.admit(DESTINATION_ID)
        steps.append(("admit", admission.value))
        return admission

    record(DELIVERED)
    record(FAILED)
    record(FAILED, 9)  # 10 of 11 failed
    clock.advance(299)
    record(FAILED)
    admit()  # failing for 299 s: still tried
    clock.advance(1)
    admit()  # 300 s: disabled, and the first probe is 30 s away
    clock.advance(29)
    admit()
    clock.advance(1)
    admit()
    record(FAILED)  # the probe failed: still disabled
    admit()
    clock.advance(30)
    admit()
    record(DELIVERED)  # the probe worked
    admit()
    record(DELIVERED, 18)
    record(DELIVERED)  # 20 in a row
    assert steps == [
        ("changed", "healthy"),
        ("changed", "degraded"),
        ("changed", "failing"),
        ("admit", "deliver"),
        ("admit", "refuse"),
        ("admit", "refuse"),
        ("admit", "probe"),
        ("admit", "refuse"),
        ("admit", "probe"),
        ("changed", "degraded"),
        ("admit", "deliver"),
        ("changed", "healthy"),
    ]
    assert [(h.state, h.failed_attempts, h.attempts) for h in tracker.drain()] == [
        ("healthy", 0, 20)  # the latest change only; the window started again at the probe
    ]


def test_the_disabling_is_published_with_what_the_window_held() -> None:
    clock = FakeClock()
    tracker = HealthTracker(reporter="host:42", auto_disable_after_s=10, clock=clock)
    for _ in range(10):
        tracker.record(outcome("delivered"))
    for n in range(40):
        tracker.record(outcome("failed-attempt", "http-status", status_code=503, detail=f"n{n}"))
    tracker.drain()
    clock.advance(10)
    assert tracker.admit(DESTINATION_ID) is Admission.REFUSE
    [health] = tracker.drain()
    assert health.model_dump() == {
        "schema_version": 1,
        "destination_id": DESTINATION_ID,
        "customer_id": CUSTOMER_ID,
        "state": "disabled",
        "failed_attempts": 40,
        "attempts": 50,
        "last_error": "http-status: n39",
        "last_status_code": 503,
        "changed_at": clock.now,
        "reporter": "host:42",
    }


def test_only_failing_without_a_break_disables() -> None:
    clock = FakeClock()
    tracker = HealthTracker(reporter="r", auto_disable_after_s=60, clock=clock)
    for _ in range(10):
        tracker.record(FAILED)
    clock.advance(50)
    for _ in range(3):
        tracker.record(DELIVERED)  # 10 of 13 failed: under 80 %, the streak ends
    assert tracker.state(DESTINATION_ID) == "degraded"
    for _ in range(2):
        tracker.record(FAILED)  # 12 of 15: failing again, from now
    clock.advance(50)  # 100 s failing in all, 50 s of them without a break
    assert tracker.admit(DESTINATION_ID) is Admission.DELIVER
    clock.advance(10)
    assert tracker.admit(DESTINATION_ID) is Admission.REFUSE


def test_the_census_counts_destinations_by_type_and_state() -> None:
    tracker = HealthTracker(reporter="r")
    tracker.record(DELIVERED)
    tracker.record(outcome("delivered", destination_id="b"))
    tracker.record(outcome("failed-attempt", "timeout", destination_id="c"))
    assert {k: v for k, v in tracker.census().items() if v} == {
        ("https", "healthy"): 2,
        ("https", "degraded"): 1,
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"degraded_ratio": 0.0},
        {"degraded_ratio": 0.9},  # above failing_ratio
        {"failing_ratio": 1.5},
        {"failing_min_attempts": 0},
        {"failing_min_attempts": 51},
        {"healthy_after": 0},
    ],
)
def test_thresholds_that_cannot_work_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        HealthTracker(reporter="r", **kwargs)  # type: ignore[arg-type]
