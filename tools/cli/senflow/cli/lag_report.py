"""Consumer lag as numbers: what `senflow lag`, its `--json` and the lag exporter show.

Definitions follow Kafka's own `kafka-consumer-groups.sh --describe`, so the two agree:
- committed: the group's committed offset for the partition (the next record it will read);
  None when the group never committed there (Kafka's tool prints `-`);
- end: the log-end offset (high watermark, read-uncommitted, as the tool reads it);
- lag: end − committed (None without a commit);
- age: how old the oldest unconsumed record is (now − the timestamp of the record at the
  committed offset); 0 when nothing is waiting, None when unknown.
"""

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int | None
    age_s: float | None = None
    consumer_id: str | None = None  # the member that owns the partition now, if any
    client_id: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class GroupLag:
    group: str
    state: str  # Stable, Empty, PreparingRebalance, … (as the broker reports it)
    members: int
    partitions: tuple[PartitionLag, ...] = field(default_factory=tuple)

    @property
    def total_lag(self) -> int:
        return sum(p.lag for p in self.partitions if p.lag is not None)

    @property
    def max_age_s(self) -> float:
        return max((p.age_s for p in self.partitions if p.age_s is not None), default=0.0)

    def as_json(self) -> dict[str, object]:
        return {
            "group": self.group,
            "state": self.state,
            "members": self.members,
            "total_lag": self.total_lag,
            "max_age_s": self.max_age_s,
            "partitions": [asdict(p) for p in self.partitions],
        }


def partition_lag(
    topic: str,
    partition: int,
    committed: int | None,
    end: int,
    oldest_unconsumed_ms: int | None,
    now_ms: int,
) -> PartitionLag:
    """One partition's numbers from its offsets and the timestamp of the record at
    `committed` (None when nothing is waiting or it could not be read)."""
    if committed is None or committed < 0:
        return PartitionLag(topic, partition, None, end, None, None)
    # A committed offset past the end (the topic was truncated or recreated) is lag 0, as
    # the tool shows it, not a negative number.
    lag = max(end - committed, 0)
    if lag == 0:
        age: float | None = 0.0
    elif oldest_unconsumed_ms is None:
        age = None
    else:
        age = max(now_ms - oldest_unconsumed_ms, 0) / 1000
    return PartitionLag(topic, partition, committed, end, lag, age)


@dataclass(frozen=True)
class Thresholds:
    """`--max-lag` / `--max-age`: a group over either is reported, and the command fails."""

    max_lag: int | None = None
    max_age_s: float | None = None

    def breaches(self, group: GroupLag) -> list[str]:
        found = []
        if self.max_lag is not None and group.total_lag > self.max_lag:
            found.append(f"{group.group}: lag {group.total_lag} > {self.max_lag}")
        if self.max_age_s is not None and group.max_age_s > self.max_age_s:
            found.append(
                f"{group.group}: oldest waiting {group.max_age_s:.1f}s > {self.max_age_s}s"
            )
        return found
