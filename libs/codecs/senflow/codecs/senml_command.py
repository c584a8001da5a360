"""A SenML command, resolved into the named values an encoder sends.

The records are checked and resolved as an uplink pack is (`senml_normalise`, RFC 8428
§4.6: `bn + n`, `bv` added, one value field per record), then each name is made relative
to the device: a name that starts with the device's URN (compared without regard to case)
loses it, so `{"bn": "urn:dev:DEVEUI:…:", "n": "1/digitalOutput"}` and
`{"n": "1/digitalOutput"}` name the same value; a name that starts with another device's
URN (`urn:dev:…`) is refused. Times and sums are not values to send: a command is carried
out when it arrives. Every error is `invalid-command` naming the record (its position in
the command as given) and the field.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from senflow.codecs.errors import EncodeFailed
from senflow.codecs.senml_normalise import normalise
from senflow.common.senml import SenmlRecord

ValueField = Literal["v", "vs", "vb", "vd"]
_VALUE_FIELDS: tuple[ValueField, ...] = ("v", "vs", "vb", "vd")
_ANY_DEVICE = "urn:dev:"


@dataclass(frozen=True)
class CommandValue:
    """One value of a command: `index` is its record's position in the command."""

    index: int
    name: str
    unit: str | None
    field: ValueField
    value: int | float | str | bool

    def where(self, field: str | None = None) -> str:
        """Where this value sits, for an error detail: "record 2, field 'v'"."""
        return f"record {self.index}, field {field or self.field!r}"


def command_values(records: Sequence[SenmlRecord], device_urn: str) -> tuple[CommandValue, ...]:
    """The command's values, in order, named relative to the device (module docstring)."""
    fields = [record.model_dump(exclude_none=True) for record in records]
    if not fields:
        raise EncodeFailed("invalid-command", "the command holds no record")
    try:
        # "now" is 0: times are checked, but a command has no use for them.
        resolved = normalise(fields, device_urn, 0.0)
    except ValueError as err:
        raise EncodeFailed("invalid-command", str(err)) from None
    # normalise leaves out records made only of base fields; the others keep their order.
    positions = [i for i, f in enumerate(fields) if any(label[0] != "b" for label in f)]
    values, base_name = [], ""
    for index, record in zip(positions, resolved, strict=True):
        base_name = record.bn if record.bn is not None else base_name
        name = _relative(index, base_name + (record.n or ""), device_urn)
        field = next((f for f in _VALUE_FIELDS if getattr(record, f) is not None), None)
        if field is None:
            raise EncodeFailed(
                "invalid-command",
                f"record {index}, field 'v': a command value needs v, vs, vb"
                " or vd (a sum is not a command)",
            )
        values.append(CommandValue(index, name, record.u, field, getattr(record, field)))
    return tuple(values)


def _relative(index: int, name: str, device_urn: str) -> str:
    if name[: len(device_urn)].casefold() == device_urn.casefold():
        name = name[len(device_urn) :]
    elif name[: len(_ANY_DEVICE)].casefold() == _ANY_DEVICE:
        raise EncodeFailed(
            "invalid-command",
            f"record {index}, field 'bn': {name!r} is a value of another device than {device_urn}",
        )
    if not name:
        raise EncodeFailed(
            "invalid-command", f"record {index}, field 'n': the record names no value"
        )
    return name
