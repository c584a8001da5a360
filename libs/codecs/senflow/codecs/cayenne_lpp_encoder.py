"""`› Cayenne LPP actuators`: a SenML command as Cayenne LPP actuator channels.

Each record sets one channel and is named as the Cayenne decoder names what the device
reports, `<channel>/<type>` (channel 0–255, decimal), so a command reads like the uplink
that confirms it:
- `<channel>/digitalOutput` (LPP type 0x01, 1 byte): `vb` (true = 1, false = 0) or an
  integer `v` 0–255.
- `<channel>/analogOutput` (LPP type 0x03, 2 bytes, signed, 0.01 per bit): a number `v`
  from -327.68 to 327.67; finer values are rounded to 0.01 with a warning.
The payload is the channels in the command's order, `[channel][type][value]` each, the
same layout the device uses upstream. Units and times are not sent. On LoRa the port is
the command's `f_port`, else `DEFAULT_F_PORT` (our choice: LPP fixes no downlink port).

Any other name (a sensor type such as `3/temperature`, or no channel) is
`unsupported-command`; a channel set twice, a channel or value out of range, or the wrong
value field is `invalid-command` naming the record and field.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import downlink
from senflow.codecs.senml_command import CommandValue, command_values

ENCODER_ID = "cayenne-lpp-encoder"
DEFAULT_F_PORT = 1
DIGITAL_OUTPUT = 0x01
ANALOG_OUTPUT = 0x03
_CHANNEL = re.compile(r"(?P<channel>[0-9]{1,3})/(?P<type>digitalOutput|analogOutput)")
_ANALOG_MIN, _ANALOG_MAX = -32768, 32767  # the wire integer, in 0.01 steps


def encode(command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
    if command.senml is None:
        raise EncodeFailed(
            "unsupported-command",
            f"{ENCODER_ID} encodes a SenML command, not {command.described()}",
        )
    payload = bytearray()
    warnings: list[str] = []
    channels: set[int] = set()
    for value in command_values(command.senml, ctx.device_urn):
        channel, type_id = _channel(value)
        if channel in channels:
            raise EncodeFailed(
                "invalid-command", f"{value.where('n')}: channel {channel} is set twice"
            )
        channels.add(channel)
        if type_id == DIGITAL_OUTPUT:
            payload += bytes((channel, type_id, _digital(value)))
        else:
            raw, rounded = _analog(value)
            payload += bytes((channel, type_id)) + raw.to_bytes(2, "big", signed=True)
            if rounded:
                warnings.append(f"{value.where()}: {value.value} rounded to {raw / 100:g}")
    return downlink(
        ctx, bytes(payload), command.f_port, default_port=DEFAULT_F_PORT, warnings=tuple(warnings)
    )


def _channel(value: CommandValue) -> tuple[int, int]:
    match = _CHANNEL.fullmatch(value.name)
    if match is None:
        raise EncodeFailed(
            "unsupported-command",
            f"{value.where('n')}: {value.name!r} is not an actuator channel; {ENCODER_ID}"
            " sets '<channel>/digitalOutput' and '<channel>/analogOutput'",
        )
    channel = int(match["channel"])
    if channel > 255:
        raise EncodeFailed(
            "invalid-command", f"{value.where('n')}: channel {channel} is out of range (0–255)"
        )
    return channel, DIGITAL_OUTPUT if match["type"] == "digitalOutput" else ANALOG_OUTPUT


def _digital(value: CommandValue) -> int:
    if value.field == "vb":
        return int(bool(value.value))
    number = value.value
    if value.field != "v" or not isinstance(number, int | float):
        raise EncodeFailed(
            "invalid-command", f"{value.where()}: a digital output takes vb, or v 0–255"
        )
    if number != int(number) or not 0 <= number <= 255:
        raise EncodeFailed(
            "invalid-command",
            f"{value.where()}: {number} is not a digital output value (an integer 0–255)",
        )
    return int(number)


def _analog(value: CommandValue) -> tuple[int, bool]:
    """The wire integer, and whether the value had to be rounded to get it."""
    number = value.value
    if value.field != "v" or isinstance(number, bool) or not isinstance(number, int | float):
        raise EncodeFailed("invalid-command", f"{value.where()}: an analog output takes v")
    # Decimal of the shortest repr: 1.23 is 123 hundredths exactly, not 122.99999999999999.
    hundredths = Decimal(repr(number)).scaleb(2)
    raw = int(hundredths.to_integral_value(ROUND_HALF_EVEN))
    if not _ANALOG_MIN <= raw <= _ANALOG_MAX:
        raise EncodeFailed(
            "invalid-command",
            f"{value.where()}: {number} is out of range for an analog output (-327.68 to 327.67)",
        )
    return raw, raw != hundredths


CAYENNE_LPP_ENCODER = Encoder(
    id=ENCODER_ID,
    version=1,
    name="› Cayenne LPP actuators",
    encode=encode,
    accepts=frozenset({"senml"}),
)
