"""Status changes of a downlink: what workers' reports and the LoRa network server's
results ask for, whether the status machine allows it, and the event that tells it.

Pure. A change the machine refuses (a report repeated, late or out of order) is ignored,
which is what makes applying a report twice harmless. Once a downlink is `sent`, only the
network server says more (`acknowledged`, or `failed`: no ack): a worker's late `failed`
(e.g. a re-execution after a crash, whose DIY encoder changed meanwhile) must not undo it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from senflow.common.downlinks import (
    LORA,
    DownlinkReport,
    DownlinkStatus,
    LoraDownlinkResult,
    can_move,
)

EVENT_TYPES: dict[str, str] = {
    "queued": "DownlinkQueued",
    "executing": "DownlinkExecuting",
    "sent": "DownlinkSent",
    "acknowledged": "DownlinkAcknowledged",
    "failed": "DownlinkFailed",
    "expired": "DownlinkExpired",
    "cancelled": "DownlinkCancelled",
}
DELETED_EVENT = "DownlinkDeleted"  # its device was deleted: a tombstone
# The router's bytes, recorded after the network had already sent the downlink (its
# `executing` report was read after the network server's `sent`); the status stays.
ENCODED_EVENT = "DownlinkEncoded"
EXPIRED_REASON = "not sent within its time to live"
DEACTIVATED_REASON = "the device was deactivated"


def identity_changed_reason(network_type: str) -> str:
    return f"the device's {network_type} identity changed"


def identity_removed_reason(network_type: str) -> str:
    return f"the device's {network_type} identity was removed"


# Why a record changed no downlink (the label of the ignored-records metrics).
INVALID_RECORD = "invalid-record"  # not the topic's contract
UNKNOWN_DOWNLINK = "unknown-downlink"
NOT_ALLOWED = "not-allowed"  # the status machine refuses it: repeated, late, out of order
WRONG_NETWORK = "wrong-network"  # a LoRa result for a downlink to another network
INTERNAL_ERROR = "internal-error"  # the registry failed on it (a bug): logged
IGNORED_REASONS = (INVALID_RECORD, UNKNOWN_DOWNLINK, NOT_ALLOWED, WRONG_NETWORK, INTERNAL_ERROR)
# Why a destination's downlink request created no downlink.
DUPLICATE = "duplicate"  # a redelivered request: its downlink exists already
NOT_OWNED = "not-owned"  # the device or destination is not the request's customer's
INVALID_COMMAND = "invalid-command"  # the command cannot go to the device (as the API's 422)
EXPIRED = "expired"  # its time to live had passed before it was read
SKIPPED_REASONS = (INVALID_RECORD, DUPLICATE, NOT_OWNED, INVALID_COMMAND, EXPIRED, INTERNAL_ERROR)


@dataclass(frozen=True)
class StatusChange:
    """Move downlink `downlink_id` to `status`; `network_type`, when set, is the only
    network whose downlinks may take it: the change is that network server's result (the
    LoRa network server speaks for LoRa only). `at`: when the reporter saw it."""

    downlink_id: str
    status: DownlinkStatus
    reason: str | None = None
    payload_hex: str | None = None
    f_port: int | None = None
    network_type: str | None = None
    at: datetime | None = field(default=None, compare=False)  # not what the change is

    @property
    def from_network_server(self) -> bool:
        return self.network_type is not None


def from_report(report: DownlinkReport) -> StatusChange:
    """A worker's report; only `executing` carries the encoded bytes."""
    executing = report.status == "executing"
    return StatusChange(
        downlink_id=report.downlink_id,
        status=report.status,
        reason=report.reason if report.status == "failed" else None,
        payload_hex=report.payload_hex if executing else None,
        f_port=report.f_port if executing else None,
        at=report.reported_at,
    )


def from_lora_result(result: LoraDownlinkResult) -> StatusChange:
    """The network server's word on the LoRa downlink whose id is the correlation id."""
    return StatusChange(
        downlink_id=result.correlation_id,
        status=result.result,
        reason=result.reason if result.result == "failed" else None,
        network_type=LORA,
        at=result.at,
    )


def refusal(current: str, network_type: str, change: StatusChange) -> str | None:
    """Why `change` does not apply to a downlink in `current` on `network_type`; None:
    it applies."""
    if change.network_type is not None and change.network_type != network_type:
        return WRONG_NETWORK
    if current == "sent" and not change.from_network_server:
        return NOT_ALLOWED  # a worker's word comes too late: the network has spoken
    if current == "queued" and change.status == "sent" and change.from_network_server:
        # The LoRa network server's `sent` (on its own topic) read before the router's
        # `executing` report; the late report then only brings the bytes.
        return None
    if not can_move(current, change.status):
        return NOT_ALLOWED
    return None


def brings_missing_bytes(change: StatusChange, payload_hex: str | None, sent: bool) -> bool:
    """Whether a refused change still brings what the downlink lacks: the encoded bytes of
    a downlink the network sent before the router's `executing` report was read (`queued
    → sent`). They are recorded, the status stays (`ENCODED_EVENT`)."""
    return (
        change.status == "executing"
        and change.payload_hex is not None
        and payload_hex is None
        and sent
    )


@dataclass(frozen=True)
class Outcome:
    """What became of a record: `ignored` None when it changed a downlink, else why not
    (a metric label), with `detail` for the log."""

    ignored: str | None = None
    detail: str = ""


APPLIED = Outcome()
