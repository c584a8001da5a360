"""How each destination is doing, from the outcome of each delivery attempt. Pure: no
I/O, and the clock is a parameter, so a sequence of outcomes always gives the same states.

Over a destination's latest `window` attempts:

- `healthy` → `degraded` when at least `degraded_ratio` of them failed, or a delivery to it
  was dead-lettered within `dead_letter_memory_s`;
- → `failing` when at least `failing_ratio` of them, and `failing_min_attempts`, failed
  (back to `degraded` when the share falls under that);
- → `disabled` when it has been `failing` for `auto_disable_after_s` without a break.
  Its deliveries are then refused (`admit` says so: the caller dead-letters them), but for
  one probe every `probe_interval_s`; a probe, or any attempt, that succeeds re-enables it
  (`degraded`, with a fresh window);
- back to `healthy` after `healthy_after` successes in a row, without a dead letter in
  the last `dead_letter_memory_s`; recovery starts a fresh window, so it does not flap.

`disabled` is the dispatcher's own decision, apart from the customer's `enabled`. The
first outcome of a destination is a change too (from unknown), so a destination that
works shows `healthy` as soon as it was delivered to.
"""

import enum
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from senflow.common.delivery_outcomes import DeliveryOutcome
from senflow.common.destination_health import MAX_LAST_ERROR, DestinationHealth, HealthState
from senflow.common.latest_changes import LatestChanges

# Dead letters that say nothing about the receiver: the platform's or the customer's doing.
NOT_THE_DESTINATION = frozenset(
    {
        "destination-auto-disabled",
        "destination-disabled",
        "destination-not-found",
        "unsupported-destination-type",
        "invalid-delivery",
        "internal-error",
    }
)


class Admission(enum.Enum):
    DELIVER = "deliver"
    PROBE = "probe"  # the one attempt let through to an auto-disabled destination
    REFUSE = "refuse"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Track:
    customer_id: str
    destination_type: str
    window: deque[bool]  # True = failed, oldest first
    state: HealthState = "healthy"
    successes_in_a_row: int = 0
    failing_since: datetime | None = None
    next_probe_at: datetime | None = None
    last_dead_letter_at: datetime | None = None
    last_error: str | None = None
    last_status_code: int | None = None


@dataclass
class HealthTracker:
    """Every destination's state; `record` and `admit` are cheap enough for each attempt."""

    reporter: str
    auto_disable_after_s: float = 300.0
    probe_interval_s: float = 30.0
    window: int = 50
    degraded_ratio: float = 0.2
    failing_ratio: float = 0.8
    failing_min_attempts: int = 10
    dead_letter_memory_s: float = 60.0
    healthy_after: int = 20
    clock: Callable[[], datetime] = _now
    _tracks: dict[str, _Track] = field(default_factory=dict, init=False, repr=False)
    _pending: LatestChanges[DestinationHealth] = field(
        default_factory=LatestChanges, init=False, repr=False
    )
    _census: Counter[tuple[str, str]] = field(default_factory=Counter, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.degraded_ratio <= self.failing_ratio <= 1:
            raise ValueError("need 0 < degraded_ratio <= failing_ratio <= 1")
        if not 0 < self.failing_min_attempts <= self.window:
            raise ValueError("failing_min_attempts must be between 1 and window")
        if not 0 < self.healthy_after <= self.window:
            raise ValueError("healthy_after must be between 1 and window")

    def state(self, destination_id: str) -> HealthState | None:
        track = self._tracks.get(destination_id)
        return None if track is None else track.state

    def admit(self, destination_id: str) -> Admission:
        """Whether to attempt a delivery to this destination now."""
        track = self._tracks.get(destination_id)
        if track is None:
            return Admission.DELIVER
        now = self.clock()
        if track.state == "failing" and self._disable_when_due(track, now):
            self._changed(destination_id, track)
        if track.state != "disabled":
            return Admission.DELIVER
        assert track.next_probe_at is not None
        if now < track.next_probe_at:
            return Admission.REFUSE
        track.next_probe_at = now + timedelta(seconds=self.probe_interval_s)
        return Admission.PROBE

    def record(self, outcome: DeliveryOutcome) -> DestinationHealth | None:
        """Note one outcome; the destination's new health if this changed it."""
        dead_letter = outcome.outcome == "dead-lettered"
        if dead_letter and outcome.reason in NOT_THE_DESTINATION:
            return None
        did = outcome.destination_id
        track = self._tracks.get(did)
        new = track is None
        if track is None:
            track = self._tracks[did] = _Track(
                outcome.customer_id,
                outcome.destination_type or "unknown",
                deque(maxlen=self.window),
            )
            self._census[track.destination_type, track.state] += 1
        before = track.state
        now = self.clock()
        if dead_letter:
            track.last_dead_letter_at = now
        else:
            self._attempted(track, outcome)
        if track.state != "disabled":
            self._assess(track, now)
        elif outcome.outcome == "delivered":  # re-enabled: start over, on probation
            track.window = deque([False], maxlen=self.window)
            track.failing_since = track.next_probe_at = track.last_dead_letter_at = None
            self._become(track, "degraded")
        return self._changed(did, track) if new or track.state != before else None

    def drain(self) -> list[DestinationHealth]:
        """The changes not yet taken, latest per destination, oldest change first."""
        return self._pending.drain()

    def census(self) -> dict[tuple[str, str], int]:
        """How many destinations are in each state, by (destination type, state)."""
        return dict(self._census)

    def _attempted(self, track: _Track, outcome: DeliveryOutcome) -> None:
        failed = outcome.outcome == "failed-attempt"
        track.window.append(failed)
        if failed:
            track.successes_in_a_row = 0
            error = f"{outcome.reason}: {outcome.detail}" if outcome.detail else outcome.reason
            track.last_error = (error or "failed")[:MAX_LAST_ERROR]
            track.last_status_code = outcome.status_code
        else:
            track.successes_in_a_row += 1

    def _assess(self, track: _Track, now: datetime) -> None:
        attempts = len(track.window)
        failures = sum(track.window)
        if attempts >= self.failing_min_attempts and failures >= self.failing_ratio * attempts:
            if track.state != "failing":
                track.failing_since = now
                self._become(track, "failing")
            self._disable_when_due(track, now)
            return
        recent_dead_letter = track.last_dead_letter_at is not None and (
            now - track.last_dead_letter_at
        ) < timedelta(seconds=self.dead_letter_memory_s)
        troubled = failures > 0 and failures >= self.degraded_ratio * attempts
        if track.state == "failing" or (
            track.state == "healthy" and (troubled or recent_dead_letter)
        ):
            track.failing_since = None
            self._become(track, "degraded")
        elif (
            track.state == "degraded"
            and track.successes_in_a_row >= self.healthy_after
            and not recent_dead_letter
        ):
            track.window = deque([False] * track.successes_in_a_row, maxlen=self.window)
            self._become(track, "healthy")

    def _disable_when_due(self, track: _Track, now: datetime) -> bool:
        """Disable a failing destination once it has failed for long enough."""
        assert track.failing_since is not None
        if now - track.failing_since < timedelta(seconds=self.auto_disable_after_s):
            return False
        track.next_probe_at = now + timedelta(seconds=self.probe_interval_s)
        self._become(track, "disabled")
        return True

    def _become(self, track: _Track, state: HealthState) -> None:
        self._census[track.destination_type, track.state] -= 1
        self._census[track.destination_type, state] += 1
        track.state = state

    def _changed(self, did: str, track: _Track) -> DestinationHealth:
        health = DestinationHealth(
            destination_id=did,
            customer_id=track.customer_id,
            state=track.state,
            failed_attempts=sum(track.window),
            attempts=len(track.window),
            last_error=track.last_error,
            last_status_code=track.last_status_code,
            changed_at=self.clock(),
            reporter=self.reporter,
        )
        self._pending.put(did, health)
        return health
