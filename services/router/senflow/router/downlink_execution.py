"""From a queued downlink to what the router publishes for it: the encoded bytes, and on
LoRa the network server's record; or the failure, with its reason. Pure (the encoders
are looked up through the function handed in).

Only a `queued` downlink is executed: every later status is the registry's answer to a
report (the router's own, or another worker's), and a downlink past its time to live is
the registry's to expire.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.codecs.errors import EncodeFailed
from senflow.common.downlinks import DownlinkCommand, DownlinkReport, DownlinkSnapshot, LoraDownlink
from senflow.common.senml import URN_SCHEMES, device_urn

REPORTER = "router"
LORA = "KPNLORA"
MAX_REASON = 1000  # DownlinkReport.reason's bound
UNKNOWN_ENCODER = "unknown-encoder"
UNSUPPORTED_NETWORK = "unsupported-network"
INTERNAL_ERROR = "internal-error"

# The encoder of an id (None: send the command as it is) for a customer, if there is one.
EncoderLookup = Callable[[str | None, str], Encoder | None]
Skip = Literal["not-queued", "expired"]


@dataclass(frozen=True)
class Execution:
    """What to publish for one downlink, in this order: `lora` (an encoded LoRa downlink
    only), then `report` (`executing` with the bytes, or `failed` with the reason)."""

    downlink: DownlinkSnapshot
    report: DownlinkReport
    lora: LoraDownlink | None = None
    encoder_id: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.report.status == "failed"


def skip_reason(downlink: DownlinkSnapshot | None, now: datetime) -> Skip | None:
    """Why this change event is not one to execute; None: execute it."""
    if downlink is None or downlink.status != "queued":
        return "not-queued"
    if downlink.expires_at <= now:
        return "expired"
    return None


def execute(downlink: DownlinkSnapshot, encoder_of: EncoderLookup, now: datetime) -> Execution:
    """Encode a queued downlink for its device; an encoder's refusal is a `failed` report,
    never raised (anything else raised is a bug, for the caller's error boundary)."""
    encoder = encoder_of(downlink.encoder_id, downlink.customer_id)
    if encoder is None:
        return failure(
            downlink,
            now,
            UNKNOWN_ENCODER,
            f"no encoder {downlink.encoder_id} of customer {downlink.customer_id}: not built"
            " in, and no DIY encoder of theirs by that id",
        )
    scheme = URN_SCHEMES.get(downlink.network_type)
    if scheme is None:
        return failure(
            downlink, now, UNSUPPORTED_NETWORK, f"no downlinks to {downlink.network_type} devices"
        )
    ctx = EncodeContext(device_urn(scheme, downlink.identifier))
    try:
        output = encoder.encode(encode_input(downlink.command), ctx)
    except EncodeFailed as err:
        return failure(downlink, now, err.reason, f"{encoder.id}: {err.detail}")
    if downlink.network_type == LORA:
        return _lora(downlink, encoder, output, now)
    report = _report(downlink, now, "executing", payload_hex=output.payload.hex().upper())
    return Execution(downlink, report, encoder_id=downlink.encoder_id, warnings=output.warnings)


def encode_input(command: DownlinkCommand) -> EncodeInput:
    """The command as an encoder takes it."""
    if command.senml is not None:
        return EncodeInput.of_senml(command.senml, command.f_port)
    if command.data is not None:
        return EncodeInput.of_data(command.data, command.f_port)
    return EncodeInput.of_payload(bytes.fromhex(command.payload_hex or ""), command.f_port)


def failure(downlink: DownlinkSnapshot, now: datetime, reason: str, detail: str) -> Execution:
    """The downlink failed: a `failed` report saying `<reason>: <detail>`, nothing else."""
    report = _report(downlink, now, "failed", reason=f"{reason}: {detail}"[:MAX_REASON])
    return Execution(downlink, report, encoder_id=downlink.encoder_id)


def _lora(
    downlink: DownlinkSnapshot, encoder: Encoder, output: EncodeOutput, now: datetime
) -> Execution:
    if output.f_port is None:  # the built-in encoders never; a guard against a new one
        return failure(
            downlink,
            now,
            "invalid-command",
            f"{encoder.id} chose no LoRa port and the command names none (f_port 1-223)",
        )
    payload_hex = output.payload.hex().upper()
    lora = LoraDownlink(
        correlation_id=downlink.id,
        dev_eui=downlink.identifier,
        f_port=output.f_port,
        payload_hex=payload_hex,
        confirmed=downlink.confirmed,
        expires_at=downlink.expires_at,
    )
    report = _report(downlink, now, "executing", payload_hex=payload_hex, f_port=output.f_port)
    return Execution(
        downlink, report, lora, encoder_id=downlink.encoder_id, warnings=output.warnings
    )


def _report(
    downlink: DownlinkSnapshot,
    now: datetime,
    status: Literal["executing", "failed"],
    reason: str | None = None,
    payload_hex: str | None = None,
    f_port: int | None = None,
) -> DownlinkReport:
    return DownlinkReport(
        downlink_id=downlink.id,
        status=status,
        reason=reason,
        payload_hex=payload_hex,
        f_port=f_port,
        reported_at=now,
        reporter=REPORTER,
    )
