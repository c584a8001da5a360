"""Applying workers' reports and the LoRa network server's results to a downlink's
status: what each asks for, and which the status machine lets through (a repeated or out
of order one changes nothing). Pure."""

from datetime import UTC, datetime
from typing import get_args

import pytest

from senflow.common.downlinks import DownlinkReport, DownlinkStatus, LoraDownlinkResult
from senflow.registry.domain.downlink_status import (
    EVENT_TYPES,
    NOT_ALLOWED,
    WRONG_NETWORK,
    StatusChange,
    brings_missing_bytes,
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
        ("executing", "failed"),
    ],
)
def test_a_report_applies_when_it_moves_the_status_forward(current: str, to: str) -> None:
    assert refusal(current, "KPNLORA", StatusChange(DOWNLINK, to)) is None  # type: ignore[arg-type]


def test_only_the_network_server_may_send_a_downlink_still_queued() -> None:
    # Its result can be read before the router's `executing` report; a worker's cannot.
    lora_sent = LoraDownlinkResult(correlation_id=DOWNLINK, result="sent", at=AT)
    assert refusal("queued", "KPNLORA", from_lora_result(lora_sent)) is None
    assert refusal("queued", "KPNLORA", from_report(report("sent"))) == NOT_ALLOWED


@pytest.mark.parametrize("result", ["acknowledged", "failed"])
def test_a_sent_downlink_moves_on_only_by_the_network_servers_result(result: str) -> None:
    lora_result = LoraDownlinkResult.model_validate(
        {"correlation_id": DOWNLINK, "result": result, "at": AT}
    )
    assert refusal("sent", "KPNLORA", from_lora_result(lora_result)) is None
    # A worker's late word, e.g. a re-execution after a crash whose DIY encoder changed:
    worker = from_report(report(result, reason="script-error: changed meanwhile"))
    assert refusal("sent", "KPNLORA", worker) == NOT_ALLOWED
    assert refusal("sent", "MQTT", worker) == NOT_ALLOWED


def test_a_late_executing_report_brings_the_bytes_only_of_a_sent_downlink_without_them() -> None:
    late = from_report(report("executing", payload_hex="0164", f_port=10))
    assert late.at == AT
    assert refusal("sent", "KPNLORA", late) == NOT_ALLOWED  # the status stays
    assert brings_missing_bytes(late, None, sent=True)
    assert not brings_missing_bytes(late, "0164", sent=True)  # it has them already
    assert not brings_missing_bytes(late, None, sent=False)  # cancelled, expired: never sent
    failed = from_report(report("failed", reason="late"))
    assert not brings_missing_bytes(failed, None, sent=True)


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
    assert set(EVENT_TYPES) == set(get_args(DownlinkStatus))
    # The names are a wire contract (consumers of senflow.downlinks.v1 match on them).
    assert EVENT_TYPES == {
        "queued": "DownlinkQueued",
        "executing": "DownlinkExecuting",
        "sent": "DownlinkSent",
        "acknowledged": "DownlinkAcknowledged",
        "failed": "DownlinkFailed",
        "expired": "DownlinkExpired",
        "cancelled": "DownlinkCancelled",
    }
