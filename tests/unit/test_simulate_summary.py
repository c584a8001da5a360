"""`senflow simulate`'s summary: counts, rejections by reason, rate and latency percentiles."""

import pytest

from senflow.cli.simulate_summary import Outcome, Tally, percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7
    assert percentile([], 50) is None


def test_summary_counts_accepted_and_rejected_by_reason() -> None:
    tally = Tally(planned=5, target_rate_per_s=10)
    outcomes = [
        Outcome(True, latency_s=0.010),
        Outcome(True, latency_s=0.030),
        Outcome(False, "http-401", latency_s=0.001),
        Outcome(False, "http-401"),
        Outcome(False, "timeout"),
    ]
    for i, outcome in enumerate(outcomes):
        tally.sent_one(at=i * 0.1)
        tally.answered_one(outcome)
    summary = tally.summary(elapsed_s=0.5)
    assert (summary.sent, summary.accepted) == (5, 2)
    assert summary.rejected == {"http-401": 2, "timeout": 1}
    assert summary.rejected_total == 3
    assert not summary.ok
    # Latency is of acknowledgements: a refusal's quick answer does not count.
    assert summary.latency_p50_ms == pytest.approx(10)
    assert summary.latency_p99_ms == pytest.approx(30)
    assert summary.latency_max_ms == pytest.approx(30)


def test_achieved_rate_is_measured_between_sends_like_the_target() -> None:
    tally = Tally(planned=11, target_rate_per_s=10)
    for i in range(11):
        tally.sent_one(at=100 + i * 0.1)
        tally.answered_one(Outcome(True, latency_s=0.005))
    summary = tally.summary(elapsed_s=1.2)
    assert summary.ok
    assert summary.achieved_rate_per_s == pytest.approx(10)


def test_unanswered_and_unsent_uplinks_count_as_rejected_when_the_run_ends() -> None:
    tally = Tally(planned=4, target_rate_per_s=1)
    tally.sent_one(at=0)
    tally.answered_one(Outcome(True, latency_s=0.002))
    tally.sent_one(at=1)  # never answered
    summary = tally.summary(elapsed_s=31)
    assert summary.rejected == {"no-answer": 1, "not-sent": 2}
    assert not summary.ok
    assert summary.achieved_rate_per_s == pytest.approx(1)


def test_summary_as_json_keeps_every_figure() -> None:
    tally = Tally(planned=1, target_rate_per_s=5)
    tally.sent_one(at=0)
    tally.answered_one(Outcome(True, latency_s=0.0123456))
    assert tally.summary(elapsed_s=0.25).as_dict() == {
        "ok": True,
        "planned": 1,
        "sent": 1,
        "accepted": 1,
        "rejected": 0,
        "rejected_by_reason": {},
        "elapsed_s": 0.25,
        "target_rate_per_s": 5,
        "achieved_rate_per_s": None,  # one send has no interval
        "ack_latency_ms": {"p50": 12.35, "p99": 12.35, "max": 12.35},
    }
