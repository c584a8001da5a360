"""`= Raw LoRa payload (downlink)`: bytes sent as they are, on the port asked for.

Takes a raw payload with its `f_port`, or the SenML the raw decoder emits, read back:
a record `{"n": "payload", "vs": "<hex>"}` (upper or lower case, even length; empty for an
empty frame) and, optionally, `{"n": "port", "v": <1–223>}`, which may replace `f_port`
but not contradict it. On a LoRa device the port is required; elsewhere a port is ignored
with a warning. A data object, or any other record name, is `unsupported-command`.
"""

import re

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import downlink
from senflow.codecs.senml_command import CommandValue, command_values

ENCODER_ID = "lora-raw-encoder"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def encode(command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
    if command.payload is not None:
        return downlink(ctx, command.payload, command.f_port)
    if command.senml is None:
        raise EncodeFailed(
            "unsupported-command",
            f"{ENCODER_ID} sends a raw payload, or SenML records 'payload' (vs, hex) and"
            f" 'port' (v), not {command.described()}",
        )
    payload: bytes | None = None
    port, port_field = command.f_port, "f_port"
    for value in command_values(command.senml, ctx.device_urn):
        if value.name == "payload" and payload is None:
            payload = _payload(value)
        elif value.name == "port" and port_field == "f_port":
            port, port_field = _port(value, command.f_port), value.where()
        elif value.name in ("payload", "port"):
            raise EncodeFailed("invalid-command", f"{value.where('n')}: {value.name} given twice")
        else:
            raise EncodeFailed(
                "unsupported-command",
                f"{value.where('n')}: {ENCODER_ID} takes only records 'payload' (vs, hex) and"
                f" 'port' (v), not {value.name!r}",
            )
    if payload is None:
        raise EncodeFailed("invalid-command", "no 'payload' record: nothing to send")
    return downlink(ctx, payload, port, port_field=port_field)


def _payload(value: CommandValue) -> bytes:
    if value.field != "vs":
        raise EncodeFailed("invalid-command", f"{value.where()}: the payload is a hex string in vs")
    text = str(value.value)
    if not _HEX.fullmatch(text):
        raise EncodeFailed(
            "invalid-command",
            f"{value.where()}: {text[:40]!r} is not hex (pairs of 0-9, A-F)",
        )
    return bytes.fromhex(text)


def _port(value: CommandValue, asked: int | None) -> int:
    number = value.value
    if value.field != "v" or not isinstance(number, int | float) or number != int(number):
        raise EncodeFailed("invalid-command", f"{value.where()}: the port is an integer in v")
    port = int(number)
    if asked is not None and port != asked:
        raise EncodeFailed(
            "invalid-command", f"{value.where()}: port {port} contradicts f_port {asked}"
        )
    return port


RAW_LORA_ENCODER = Encoder(
    id=ENCODER_ID,
    version=1,
    name="= Raw LoRa payload (downlink)",
    encode=encode,
    accepts=frozenset({"payload", "senml"}),
)
