"""`› ThingsML command`: a SenML command encoded as ThingsML CBOR.

The records travel as given, in CBOR with ThingsML's integer labels (domain.md §5), so the
ThingsML decoder reads back the same pack. Two things make it shorter for a LoRa frame:
- a record whose `n` and `u` are a measurement of the ThingsML table (`thingsml.MEASUREMENTS`,
  the decoder's own table, so both agree) carries its index `i_` instead; `n` without the
  table's unit (or with another) stays as it is;
- a leading `bn` that is the device's own URN is left out: the device knows its name, and
  the decoder puts it back as the default base name.
Integral numbers travel as CBOR integers and others as the shortest float that keeps the
value; `vd` (base64url text in SenML JSON) travels as a byte string. The command is checked
as a pack first (`senml_command`). On LoRa the port is the command's `f_port`, else
`DEFAULT_F_PORT` (our choice). A data object or a raw payload is `unsupported-command`.
"""

import base64
from collections.abc import Mapping

import cbor2

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import downlink
from senflow.codecs.senml_command import command_values
from senflow.codecs.thingsml import INDEX_LABEL, MEASUREMENTS, THINGSML_CBOR_LABELS

ENCODER_ID = "thingsml-encoder"
DEFAULT_F_PORT = 1
_CBOR_LABELS: Mapping[str, int] = {text: number for number, text in THINGSML_CBOR_LABELS.items()}
_INDICES: Mapping[tuple[str, str | None], int] = {
    measurement: index for index, measurement in MEASUREMENTS.items()
}
_NUMBERS = frozenset({"bt", "bv", "v", "s", "t", "ut"})
_MAX_EXACT_INT = 2**53


def encode(command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
    if command.senml is None:
        raise EncodeFailed(
            "unsupported-command",
            f"{ENCODER_ID} encodes a SenML command, not {command.described()}",
        )
    command_values(command.senml, ctx.device_urn)  # checked as a pack; the errors name the field
    records = [record.model_dump(exclude_none=True) for record in command.senml]
    if records[0].get("bn", "").casefold() == ctx.device_urn.casefold():
        del records[0]["bn"]
    pack = [_labelled(_indexed(record)) for record in records]
    payload = cbor2.dumps([record for record in pack if record], canonical=True)
    return downlink(ctx, payload, command.f_port, default_port=DEFAULT_F_PORT)


def _indexed(record: dict[str, object]) -> dict[str, object]:
    name = record.get("n")
    unit = record.get("u")
    if not isinstance(name, str) or not (unit is None or isinstance(unit, str)):
        return record
    index = _INDICES.get((name, unit))
    if index is None:
        return record
    rest = {label: value for label, value in record.items() if label not in ("n", "u")}
    return {INDEX_LABEL: index, **rest}


def _labelled(record: dict[str, object]) -> dict[int, object]:
    return {_CBOR_LABELS[label]: _wire(label, value) for label, value in record.items()}


def _wire(label: str, value: object) -> object:
    if label == "vd" and isinstance(value, str):  # checked as unpadded base64url already
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if (
        label in _NUMBERS
        and isinstance(value, float)
        and value.is_integer()
        and abs(value) < _MAX_EXACT_INT
    ):
        return int(value)
    return value


THINGSML_ENCODER = Encoder(
    id=ENCODER_ID,
    version=1,
    name="› ThingsML command",
    encode=encode,
    accepts=frozenset({"senml"}),
)
