"""Applying workers' reports and the LoRa network server's results to a downlink's
status: what each asks for, and which the status machine lets through (a repeated or out
of order one changes nothing). Pure."""

from datetime import UTC, datetime

import pytest

from senflow.common.downlinks import DownlinkReport, LoraDownlinkResult
from senflow.registry.domain.downlink_status import (
    EVENT_TYPES,
    NOT_ALLOWED,
    WRONG_NETWORK,
    StatusChange,
    from_lora_result,
    from_report,
    refusal,
)

AT = datetime(2026, 11, 25, 10, 32, 30, tzinfo=UTC)
DOWNLINK = "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d"


def report(status: str, **extra: object) -> DownlinkReport:
    return DownlinkReport.model_validate(
        {"downlink_id": DOWNLINK, "status": status, "reported_at": AT, "reporter": "router"} | extra
    )


def test_an_executing_report_carries_the_encoded_bytes() -> None:
    change = from_report(report("executing", payload_hex="0164", f_port=10))
    assert change == StatusChange(DOWNLINK, "executing", payload_hex="0164", f_port=10)


def test_a_failed_report_carries_its_reason_and_no_bytes() -> None:
    change = from_report(report("failed", reason="encoder: unsupported-command", f_port=3))
    assert change == StatusChange(DOWNLINK, "failed", reason="encoder: unsupported-command")


def test_a_lora_result_speaks_for_a_lora_downlink_only() -> None:
    result = LoraDownlinkResult(correlation_id=DOWNLINK, result="failed", reason="no ack", at=AT)
    change = from_lora_result(result)
    assert change == StatusChange(DOWNLINK, "failed", reason="no ack", network_type="KPNLORA")
    assert refusal("sent", "INTERNET", change) == WRONG_NETWORK
    assert refusal("sent", "KPNLORA", change) is None


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("queued", "executing"),
        ("queued", "failed"),
        ("executing", "sent"),
        ("queued", "sent"),  # the network server's result read ahead of the router's report
        ("executing", "failed"),
        ("sent", "acknowledged"),
        ("sent", "failed"),
    ],
)
def test_a_report_applies_when_it_moves_the_status_forward(current: str, to: str) -> None:
    assert refusal(current, "KPNLORA", StatusChange(DOWNLINK, to)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "to"),
    [
        ("executing", "executing"),  # repeated
        ("sent", "sent"),
        ("sent", "executing"),  # late
        ("acknowledged", "failed"),
        ("cancelled", "executing"),
        ("expired", "sent"),
        ("failed", "acknowledged"),
    ],
)
def test_a_report_changes_nothing_when_repeated_late_or_out_of_order(current: str, to: str) -> None:
    assert refusal(current, "KPNLORA", StatusChange(DOWNLINK, to)) == NOT_ALLOWED  # type: ignore[arg-type]


def test_every_status_has_a_past_tense_event() -> None:
    assert EVENT_TYPES == {
        "queued": "DownlinkQueued",
        "executing": "DownlinkExecuting",
        "sent": "DownlinkSent",
        "acknowledged": "DownlinkAcknowledged",
        "failed": "DownlinkFailed",
        "expired": "DownlinkExpired",
        "cancelled": "DownlinkCancelled",
    }
