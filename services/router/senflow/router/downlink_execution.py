"""What the router does with a downlink's change event, and what it publishes. Pure (the
encoders are looked up through the function handed in).

Two steps, each on the registry's word:
- `queued`: encode it, and report `executing` with the bytes (and on LoRa the port), or
  `failed` with the reason. Nothing goes to a network yet.
- `executing`, on LoRa: the registry accepted the report (it does only while the downlink
  is still queued), so the network server's `LoraDownlink` is made from the bytes the
  event carries. A downlink cancelled before its report was applied never gets here.
Every other status is ignored; a downlink past its time to live is the registry's to
expire. Internet, M2M and MQTT downlinks go out from their `executing` event too, through
the HTTP ingest and the MQTT bridge.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from senflow.codecs.encode_base import EncodeContext, EncodeInput, Encoder
from senflow.codecs.errors import EncodeFailed
from senflow.common.downlinks import (
    LORA,
    MAX_REASON,
    DownlinkCommand,
    DownlinkReport,
    DownlinkSnapshot,
    LoraDownlink,
)
from senflow.common.senml import URN_SCHEMES, device_urn

REPORTER = "router"
UNKNOWN_ENCODER = "unknown-encoder"
UNSUPPORTED_NETWORK = "unsupported-network"
INTERNAL_ERROR = "internal-error"

# The encoder of an id (None: send the command as it is) for a customer, if there is one.
EncoderLookup = Callable[[str | None, str], Encoder | None]
# encode: a queued downlink; hand-over: an executing LoRa one, to the network server;
# expired: either, past its time to live (the registry expires it); ignore: anything else.
Step = Literal["encode", "hand-over", "expired", "ignore"]


@dataclass(frozen=True)
class Execution:
    """The report to publish for one queued downlink: `executing` with the bytes, or
    `failed` with the reason."""

    downlink: DownlinkSnapshot
    report: DownlinkReport
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.report.status == "failed"


def step_for(downlink: DownlinkSnapshot | None, now: datetime) -> Step:
    """What the router does with a change event carrying `downlink` (None: a tombstone)."""
    if downlink is None:
        return "ignore"
    if downlink.status == "queued":
        step: Step = "encode"
    elif downlink.status == "executing" and downlink.network_type == LORA:
        step = "hand-over"
    else:
        return "ignore"
    return "expired" if downlink.expires_at <= now else step


def lora_downlink(downlink: DownlinkSnapshot) -> LoraDownlink | None:
    """The network server's record of an executing LoRa downlink, from the bytes and port
    the registry took from the router's report; None when it carries none."""
    if downlink.payload_hex is None or downlink.f_port is None:
        return None
    return LoraDownlink(
        correlation_id=downlink.id,
        dev_eui=downlink.identifier,
        f_port=downlink.f_port,
        payload_hex=downlink.payload_hex,
        confirmed=downlink.confirmed,
        expires_at=downlink.expires_at,
    )


def execute(downlink: DownlinkSnapshot, encoder_of: EncoderLookup, now: datetime) -> Execution:
    """Encode a queued downlink for its device: an `executing` report with the bytes (and
    on LoRa the port); an encoder's refusal is a `failed` report, never raised (anything
    else raised is a bug, for the caller's error boundary)."""
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
    lora = downlink.network_type == LORA
    if lora and output.f_port is None:  # the built-in encoders never; a guard against a new one
        return failure(
            downlink,
            now,
            "invalid-command",
            f"{encoder.id} chose no LoRa port and the command names none (f_port 1-223)",
        )
    payload_hex = output.payload.hex().upper()
    f_port = output.f_port if lora else None
    report = _report(downlink, now, "executing", payload_hex=payload_hex, f_port=f_port)
    return Execution(downlink, report, warnings=output.warnings)


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
    return Execution(downlink, report)


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
