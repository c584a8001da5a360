"""Resolve a SenML pack (RFC 8428 §4.6) into the platform's canonical form.

Resolution follows RFC 8428: base fields (`bn`, `bt`, `bu`, `bv`, `bs`) apply to their own
record and every later one until replaced; names are `bn + n` and must match
`[A-Za-z0-9][A-Za-z0-9:./_-]*`; times are `bt + t`, and a sum below 2**28 is relative to
"now" (here: `received_at`); `v` gets `bv` added and `s` gets `bs` added; a record has at
most one of `v`, `vs`, `vb`, `vd` and needs one of them unless it has a sum. Unknown fields
are ignored (§4.4) unless their label ends with `_` (must-understand: an error); a `bver`
above 10 is refused. A record made only of base fields just sets bases for the records
after it (as in RFC 8428 §5.1.7) and is not emitted.

Canonical form (what every SenML-producing decoder emits):
- The first record carries `bn` (the base name in effect for it; `default_base_name` when
  the device sent none) and `bt` (its absolute time; `received_at` when the device sent
  no time).
- Each record carries `n` relative to the `bn` in effect in the output (omitted when the
  name equals it). A record whose name does not start with that `bn` carries its own
  base name as a new `bn`, which then applies to the records after it.
- `t` is relative to the first record's `bt`, and omitted when equal to it.
- No `bu`, `bv`, `bs` or `bver`: units, values and sums are resolved per record.
- Records keep the pack's order.
Invalid input raises `ValueError` naming the record index and field.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

from senflow.common.senml import SenmlRecord

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9:./_-]*")
_BASE64URL = re.compile(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?")  # unpadded (§5)
_RELATIVE_BELOW = 2**28
_MAX_VERSION = 10
_VALUE_FIELDS = ("v", "vs", "vb", "vd")
_STRINGS = frozenset({"bn", "bu", "n", "u", "vs", "vd"})
_NUMBERS = frozenset({"bt", "bv", "bs", "v", "s", "t", "ut"})
_KNOWN = _STRINGS | _NUMBERS | {"vb", "bver"}


@dataclass(frozen=True)
class _Bases:
    name: str
    time: Fraction = Fraction(0)
    unit: str | None = None
    value: int | float | None = None
    sum: int | float | None = None


@dataclass(frozen=True)
class _Resolved:
    base_name: str
    name: str
    time: Fraction
    fields: dict[str, object]


def normalise(
    records: list[dict[str, object]], default_base_name: str, received_at: float
) -> tuple[SenmlRecord, ...]:
    """The pack resolved per RFC 8428 §4.6, in canonical form (see the module docstring)."""
    resolved = _resolve(records, _Bases(name=default_base_name), Fraction(received_at))
    if not resolved:
        raise ValueError("the pack holds no measurement")
    first = resolved[0]
    base_name = first.base_name
    out = []
    for index, record in enumerate(resolved):
        head: dict[str, object] = {}
        if index == 0:
            head = {"bn": base_name, "bt": float(first.time)}
        elif not record.name.startswith(base_name):
            base_name = record.base_name
            head = {"bn": base_name}
        if record.name != base_name:
            head["n"] = record.name[len(base_name) :]
        if index > 0 and record.time != first.time:
            head["t"] = float(record.time - first.time)
        out.append(SenmlRecord.model_validate(head | record.fields))
    return tuple(out)


def _resolve(records: object, bases: _Bases, now: Fraction) -> list[_Resolved]:
    if not isinstance(records, list):
        raise ValueError("a SenML pack is an array of records")
    resolved = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise ValueError(f"record {index}: not an object")
        fields = _checked(index, record)
        bases = _applied(bases, fields)
        regular = {k: v for k, v in fields.items() if not k.startswith("b")}
        if regular:
            resolved.append(_resolved(index, bases, regular, now))
    return resolved


def _checked(index: int, record: Mapping[object, object]) -> dict[str, object]:
    checked: dict[str, object] = {}
    for label, value in record.items():
        if not isinstance(label, str):
            raise ValueError(f"record {index}, field {label!r}: a label must be a string")
        if label.endswith("_"):
            raise ValueError(f"record {index}, field {label!r}: unsupported must-understand field")
        if label not in _KNOWN:
            continue  # RFC 8428 §4.4: fields not understood are ignored
        if not _well_typed(label, value):
            raise ValueError(f"record {index}, field {label!r}: wrong type or value {value!r}")
        checked[label] = value
    return checked


def _well_typed(label: str, value: object) -> bool:
    if label == "vd":
        return isinstance(value, str) and bool(_BASE64URL.fullmatch(value))
    if label in _STRINGS:
        return isinstance(value, str)
    if label == "vb":
        return isinstance(value, bool)
    if label == "bver":
        return type(value) is int and 0 < value <= _MAX_VERSION
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _applied(bases: _Bases, fields: dict[str, object]) -> _Bases:
    return _Bases(
        name=str(fields.get("bn", bases.name)),
        time=Fraction(_number(fields["bt"])) if "bt" in fields else bases.time,
        unit=str(fields["bu"]) if "bu" in fields else bases.unit,
        value=_number(fields["bv"]) if "bv" in fields else bases.value,
        sum=_number(fields["bs"]) if "bs" in fields else bases.sum,
    )


def _resolved(index: int, bases: _Bases, regular: dict[str, object], now: Fraction) -> _Resolved:
    present = [label for label in _VALUE_FIELDS if label in regular]
    if len(present) > 1:
        raise ValueError(f"record {index}, field {present[1]!r}: more than one value field")
    name = bases.name + str(regular.get("n", ""))
    if not _NAME.fullmatch(name):
        raise ValueError(f"record {index}, field 'n': {name!r} (bn + n) is not a SenML name")
    fields: dict[str, object] = {}
    unit = regular.get("u", bases.unit)
    if unit is not None:
        fields["u"] = unit
    if present == ["v"] and bases.value is not None:
        fields["v"] = bases.value + _number(regular["v"])
    elif present:
        fields[present[0]] = regular[present[0]]
    if "s" in regular or bases.sum is not None:
        fields["s"] = _number(regular.get("s", 0)) + (bases.sum or 0)
    if not present and "s" not in fields:
        raise ValueError(f"record {index}, field 'v': no value (v, vs, vb or vd) and no sum")
    if "ut" in regular:
        fields["ut"] = regular["ut"]
    time = bases.time + Fraction(_number(regular.get("t", 0)))
    if time < _RELATIVE_BELOW:  # relative to "now" (RFC 8428 §4.5.3)
        time += now
    return _Resolved(base_name=bases.name, name=name, time=time, fields=fields)


def _number(value: object) -> int | float:
    return cast(int | float, value)  # type-checked by _well_typed already
