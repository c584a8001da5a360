"""When each uplink of a simulation is due. Pure.

A run sends `total` uplinks at a fixed total rate, round robin over the devices: uplink
`i` is due `i / rate` seconds after the start and comes from device `i % devices`, as its
sequence number `i // devices`. So every device sends once per `devices / rate` seconds,
and a run that falls behind (the targets answer slowly) catches up without bursting
beyond what is due.
"""

import math
from dataclasses import dataclass

from senflow.cli.simulate_errors import InvalidPlan

# Every run is bounded, whatever the options: at most an hour, a million uplinks.
MAX_DURATION_S = 3600.0
MAX_COUNT = 1_000_000
MIN_RATE_PER_S = 0.1
MAX_RATE_PER_S = 10_000.0
MAX_DEVICES = 10_000  # what one bulk import takes
DEFAULT_DURATION_S = 10.0


@dataclass(frozen=True)
class Slot:
    """Which device sends the i-th uplink, and its sequence number on that device."""

    device_index: int
    seq: int


@dataclass(frozen=True)
class Schedule:
    rate_per_s: float
    total: int
    devices: int

    @classmethod
    def plan(
        cls,
        rate_per_s: float,
        devices: int,
        duration_s: float | None = None,
        count: int | None = None,
    ) -> "Schedule":
        """The run the options ask for: `count` uplinks, or as many as `duration_s` holds
        at the rate (the fewer, when both are given; 10 s when neither is).
        `InvalidPlan` says which bound an option breaks."""
        if not MIN_RATE_PER_S <= rate_per_s <= MAX_RATE_PER_S:
            raise InvalidPlan(f"--rate must be {MIN_RATE_PER_S} to {MAX_RATE_PER_S:.0f} per second")
        if not 1 <= devices <= MAX_DEVICES:
            raise InvalidPlan(f"--devices must be 1 to {MAX_DEVICES}")
        if duration_s is not None and not 0 < duration_s <= MAX_DURATION_S:
            raise InvalidPlan(f"--duration must be above 0 and at most {MAX_DURATION_S:.0f} s")
        if count is not None and not 1 <= count <= MAX_COUNT:
            raise InvalidPlan(f"--count must be 1 to {MAX_COUNT}")
        if duration_s is None and count is None:
            duration_s = DEFAULT_DURATION_S
        totals = [count] if count is not None else []
        if duration_s is not None:
            # At least one uplink: a run shorter than one interval still sends its first.
            totals.append(max(1, math.floor(duration_s * rate_per_s + 1e-9)))
        schedule = cls(rate_per_s, min(totals), devices)
        if schedule.length_s > MAX_DURATION_S:
            raise InvalidPlan(
                f"{schedule.total} uplinks at {rate_per_s}/s would take {schedule.length_s:.0f} s;"
                f" at most {MAX_DURATION_S:.0f} s: raise --rate or lower --count"
            )
        return schedule

    @property
    def length_s(self) -> float:
        """From the start until the last uplink is due."""
        return (self.total - 1) / self.rate_per_s

    def due_s(self, i: int) -> float:
        """Seconds after the start when uplink `i` is due."""
        return i / self.rate_per_s

    def slot(self, i: int) -> Slot:
        return Slot(i % self.devices, i // self.devices)
