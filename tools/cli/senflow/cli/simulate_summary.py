"""What a simulation achieved: counts, rejections by reason, rate and ack latency. Pure."""

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# An uplink still unanswered when the run ends (the sender's own timeout did not fire).
NO_ANSWER = "no-answer"
# A planned uplink the run never sent (it was interrupted, or waited past its end).
NOT_SENT = "not-sent"


@dataclass(frozen=True)
class Outcome:
    """How a target answered one uplink.

    `accepted`: Kafka acknowledged it (acks=all), the ingest answered 2xx, or the broker
    sent its PUBACK. Otherwise `reason` says why not, e.g. `http-401`, `timeout`,
    `connection-failed`. `latency_s` runs from the send to the answer; `message_id` is the
    uplink's id when the sender knows it (chosen by the LoRa sender, answered by the ingest).
    """

    accepted: bool
    reason: str | None = None
    latency_s: float | None = None
    message_id: str | None = None


def percentile(ordered: "array[float] | list[float]", q: float) -> float | None:
    """The nearest-rank `q`-th percentile (0 < q <= 100) of values sorted ascending."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    planned: int
    sent: int
    accepted: int
    rejected: dict[str, int]
    elapsed_s: float
    target_rate_per_s: float
    achieved_rate_per_s: float | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def ok(self) -> bool:
        """Every planned uplink was sent and accepted."""
        return self.accepted == self.planned and not self.rejected

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "planned": self.planned,
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": self.rejected_total,
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "target_rate_per_s": self.target_rate_per_s,
            "achieved_rate_per_s": _rounded(self.achieved_rate_per_s, 2),
            "ack_latency_ms": {
                "p50": _rounded(self.latency_p50_ms, 2),
                "p99": _rounded(self.latency_p99_ms, 2),
                "max": _rounded(self.latency_max_ms, 2),
            },
        }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Tally:
    """Counts a run's uplinks as they are sent and answered; times on one monotonic clock."""

    planned: int
    target_rate_per_s: float
    sent: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    # Compact: a million latencies take 8 MB here, not the ~32 MB of a list of floats.
    _latencies_s: "array[float]" = field(default_factory=lambda: array("d"))
    _first_sent_at: float | None = None
    _last_sent_at: float | None = None

    @property
    def answered(self) -> int:
        return self.accepted + self.rejected.total()

    def sent_one(self, at: float) -> None:
        self.sent += 1
        if self._first_sent_at is None:
            self._first_sent_at = at
        self._last_sent_at = at

    def answered_one(self, outcome: Outcome) -> None:
        if not outcome.accepted:
            self.rejected[outcome.reason or "unknown"] += 1
            return
        self.accepted += 1
        if outcome.latency_s is not None:  # acknowledgements only: a refusal is no ack
            self._latencies_s.append(outcome.latency_s)

    def summary(self, elapsed_s: float) -> Summary:
        """The run as it ended: uplinks sent but not answered count as rejected
        (`no-answer`), and so do planned ones never sent (`not-sent`)."""
        rejected = dict(self.rejected)
        if unanswered := self.sent - self.answered:
            rejected[NO_ANSWER] = rejected.get(NO_ANSWER, 0) + unanswered
        if unsent := self.planned - self.sent:
            rejected[NOT_SENT] = unsent
        ordered = array("d", sorted(self._latencies_s))
        return Summary(
            planned=self.planned,
            sent=self.sent,
            accepted=self.accepted,
            rejected=rejected,
            elapsed_s=elapsed_s,
            target_rate_per_s=self.target_rate_per_s,
            achieved_rate_per_s=self._achieved_rate(),
            latency_p50_ms=_ms(percentile(ordered, 50)),
            latency_p99_ms=_ms(percentile(ordered, 99)),
            latency_max_ms=_ms(ordered[-1] if ordered else None),
        )

    def _achieved_rate(self) -> float | None:
        # Intervals between sends, like the target rate: n sends on pace span (n-1)/rate s.
        if self._first_sent_at is None or self._last_sent_at is None or self.sent < 2:
            return None
        span = self._last_sent_at - self._first_sent_at
        return (self.sent - 1) / span if span > 0 else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
