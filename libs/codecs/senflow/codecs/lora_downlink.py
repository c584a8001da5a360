"""What every encoder's output must respect on the device's network: the LoRa FPort and
the LoRaWAN frame size. Other networks take any payload and no port.

FPort 0 carries MAC commands and 224 the LoRaWAN test protocol; 225–255 are reserved, so
an application downlink uses 1–223. The largest LoRaWAN application payload is 242 bytes
(the fastest data rates); at the slowest EU868 ones (DR0–DR2) only 51 fit, so a larger
payload is sent with a warning that it may not reach a device far from its gateway.
"""

from senflow.codecs.encode_base import EncodeContext, EncodeOutput
from senflow.codecs.errors import EncodeFailed

MIN_APPLICATION_PORT = 1
MAX_APPLICATION_PORT = 223
LORA_MAX_PAYLOAD_BYTES = 242
LORA_SLOW_RATE_PAYLOAD_BYTES = 51


def is_application_port(port: object) -> bool:
    return type(port) is int and MIN_APPLICATION_PORT <= port <= MAX_APPLICATION_PORT


def downlink(
    ctx: EncodeContext,
    payload: bytes,
    port: int | None,
    *,
    default_port: int | None = None,
    port_field: str = "f_port",
    warnings: tuple[str, ...] = (),
) -> EncodeOutput:
    """The output for `ctx`'s device: on LoRa, `port` (else `default_port`; 1–223, one of
    them required) and a payload that fits a frame, else `invalid-command` naming
    `port_field`; elsewhere no port, and a warning when one was asked for."""
    if not ctx.is_lora:
        if port is not None:
            warnings += (f"port {port} ({port_field}) ignored: {ctx.device_urn} is not on LoRa",)
        return EncodeOutput(payload=payload, f_port=None, warnings=warnings)
    port = default_port if port is None else port
    if port is None:
        raise EncodeFailed(
            "invalid-command", f"{port_field}: a LoRa downlink needs a port (1–223), none given"
        )
    if not is_application_port(port):
        raise EncodeFailed(
            "invalid-command", f"{port_field}: {port!r} is not an application port (1–223)"
        )
    size = len(payload)
    if size > LORA_MAX_PAYLOAD_BYTES:
        raise EncodeFailed(
            "invalid-command",
            f"the payload is {size} bytes; a LoRaWAN downlink carries at most"
            f" {LORA_MAX_PAYLOAD_BYTES}",
        )
    if size > LORA_SLOW_RATE_PAYLOAD_BYTES:
        warnings += (
            f"the payload is {size} bytes: more than the {LORA_SLOW_RATE_PAYLOAD_BYTES} that fit"
            " at the slowest LoRaWAN data rates",
        )
    return EncodeOutput(payload=payload, f_port=port, warnings=warnings)
