"""Consumer lag as numbers: what `senflow lag`, its `--json` and the lag exporter show.

Definitions follow Kafka's own `kafka-consumer-groups.sh --describe` (3.9), so the two agree:
- committed: the group's committed offset for the partition (the next record it will read);
  None when the group never committed there (Kafka's tool prints `-`);
- end: the log-end offset (high watermark, read-uncommitted, as the tool reads it);
- lag: end − committed, None without a commit. Negative when the committed offset is past
  the end (the topic was truncated or recreated): the tool prints that number as it is, and
  so do we; group totals count it as 0.
Beyond the tool:
- log_start: the partition's first offset still kept;
- lost: log_start − committed when positive: records retention (or a deletion) removed
  before the group read them. The lag still counts them, as the tool does, but the group
  will never see them: its consumer jumps to the log start or the end (auto.offset.reset);
- age: how old the oldest waiting record still kept is (now − its timestamp); 0 when
  nothing readable waits, None when it could not be read.
"""

from dataclasses import asdict, dataclass, field

# What the broker answers for a group it does not know (Kafka's tool then says the group
# "does not exist").
DEAD = "Dead"


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int | None
    age_s: float | None = None
    log_start: int = 0
    lost: int | None = None  # None without a commit, like lag
    consumer_id: str | None = None  # the member that owns the partition now, if any
    client_id: str | None = None
    host: str | None = None

    @property
    def name(self) -> str:
        return f"{self.topic}/{self.partition}"

    @property
    def uncommitted_with_records(self) -> bool:
        """No commit, and records the group may or may not read (auto.offset.reset
        decides): how many wait is unknown. An empty partition has none waiting either way."""
        return self.committed is None and self.end > self.log_start

    @property
    def age_unknown(self) -> bool:
        return self.uncommitted_with_records or (self.lag is not None and self.age_s is None)


@dataclass(frozen=True)
class GroupLag:
    group: str
    state: str  # Stable, Empty, PreparingRebalance, Dead, … (as the broker reports it)
    members: int
    partitions: tuple[PartitionLag, ...] = field(default_factory=tuple)

    @property
    def exists(self) -> bool:
        return self.state != DEAD

    @property
    def total_lag(self) -> int:
        return sum(max(p.lag, 0) for p in self.partitions if p.lag is not None)

    @property
    def total_lost(self) -> int:
        return sum(p.lost for p in self.partitions if p.lost)

    @property
    def max_age_s(self) -> float:
        """The oldest known age (unknown ones are not in it: see `Thresholds`)."""
        return max((p.age_s for p in self.partitions if p.age_s is not None), default=0.0)

    def as_json(self) -> dict[str, object]:
        return {
            "group": self.group,
            "state": self.state,
            "members": self.members,
            "total_lag": self.total_lag,
            "total_lost": self.total_lost,
            "max_age_s": self.max_age_s,
            "partitions": [asdict(p) for p in self.partitions],
        }


def partition_lag(
    topic: str,
    partition: int,
    committed: int | None,
    log_start: int,
    end: int,
    oldest_waiting_ms: int | None,
    now_ms: int,
) -> PartitionLag:
    """One partition's numbers from its offsets and the timestamp of the first record kept
    at or after `committed` (None when nothing waits or it could not be read)."""
    if committed is None or committed < 0:
        return PartitionLag(topic, partition, None, end, None, None, log_start)
    lag = end - committed  # as the tool: negative past the end
    lost = max(log_start - committed, 0)
    if end <= max(committed, log_start):
        age: float | None = 0.0  # nothing that can still be read waits
    elif oldest_waiting_ms is None:
        age = None
    else:
        age = max(now_ms - oldest_waiting_ms, 0) / 1000
    return PartitionLag(topic, partition, committed, end, lag, age, log_start, lost)


@dataclass(frozen=True)
class Thresholds:
    """`--max-lag` / `--max-age`: a group over either is reported, and the command fails.

    A number that cannot be known fails the threshold it would be checked against: a
    partition with records and no commit (how many wait depends on the consumer's reset
    policy), and an age that could not be read. A gate must not pass on a guess.
    """

    max_lag: int | None = None
    max_age_s: float | None = None

    def breaches(self, group: GroupLag) -> list[str]:
        found = []
        uncommitted = [p.name for p in group.partitions if p.uncommitted_with_records]
        if self.max_lag is not None:
            if group.total_lag > self.max_lag:
                found.append(f"{group.group}: lag {group.total_lag} > {self.max_lag}")
            if uncommitted:
                found.append(f"{group.group}: lag unknown, no commit on {_listed(uncommitted)}")
        if self.max_age_s is not None:
            if group.max_age_s > self.max_age_s:
                found.append(
                    f"{group.group}: oldest waiting {group.max_age_s:.1f}s > {self.max_age_s:g}s"
                )
            unknown = [p.name for p in group.partitions if p.age_unknown]
            if unknown:
                found.append(f"{group.group}: oldest waiting unknown on {_listed(unknown)}")
        return found


def _listed(names: list[str], at_most: int = 5) -> str:
    shown = ", ".join(names[:at_most])
    return shown if len(names) <= at_most else f"{shown} and {len(names) - at_most} more"
