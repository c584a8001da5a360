"""The lag exporter's memory: each group's last good measurement, for a while.

Groups are measured one by one, and a failed measurement of one group leaves the others
alone. Its own last numbers stay for `keep_s` (a few intervals: one failed request should
not make its lag series vanish and its alerts resolve), then go, so numbers that stopped
being measured never look current for long. How old each group's numbers are is exported
with them (`senflow_consumergroup_measured_timestamp_seconds`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from senflow.cli.lag_report import GroupLag


@dataclass(frozen=True)
class Measured:
    lag: GroupLag
    at: float  # epoch seconds


class LatestLags:
    def __init__(self, keep_s: float) -> None:
        self._keep_s = keep_s
        self._by_group: dict[str, Measured] = {}

    def record(self, lag: GroupLag, at: float) -> None:
        """A measurement that succeeded; a group that no longer exists is forgotten."""
        if lag.exists:
            self._by_group[lag.group] = Measured(lag, at)
        else:
            self._by_group.pop(lag.group, None)

    def keep_only(self, groups: Iterable[str]) -> None:
        """The cluster listed these groups: the others are gone (deleted, or expired), and
        their series go at once."""
        listed = set(groups)
        for group in set(self._by_group) - listed:
            del self._by_group[group]

    def current(self, now: float) -> list[Measured]:
        """The groups measured within `keep_s` of `now`, by name; older ones are dropped."""
        for group, measured in list(self._by_group.items()):
            if now - measured.at > self._keep_s:
                del self._by_group[group]
        return [self._by_group[group] for group in sorted(self._by_group)]
