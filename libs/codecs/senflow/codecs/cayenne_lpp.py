"""`› Cayenne LPP`: myDevices' Cayenne Low Power Payload, decoded into SenML.

A payload is a run of `[channel: u8][type: u8][value]`; each value is big-endian and its
size is fixed by its type (the Cayenne LPP data types, after the IPSO Smart Objects). Every
value becomes one record named `<channel>/<measurement>`, e.g. `3/temperature`; the first
record also carries the device URN as `bn` and the receive time as `bt`. Units are RFC 8428's
registered SenML units, so a few Cayenne units are converted where the table says so.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.binary import read_int, with_base
from senflow.common.senml import SenmlRecord

STANDARD_GRAVITY_M_S2 = 9.80665


@dataclass(frozen=True)
class _Field:
    """One value of a Cayenne data type: its record name, unit and wire layout."""

    name: str
    unit: str | None
    size: int
    signed: bool
    scale: Callable[[int], float]  # the wire integer -> the value in `unit`


def _as_is(raw: int) -> float:
    return raw


def _axes(name: str, unit: str, scale: Callable[[int], float]) -> tuple[_Field, ...]:
    return tuple(_Field(f"{name}{axis}", unit, 2, True, scale) for axis in "XYZ")


_TYPES: dict[int, tuple[_Field, ...]] = {
    0x00: (_Field("digitalInput", None, 1, False, _as_is),),
    0x01: (_Field("digitalOutput", None, 1, False, _as_is),),
    0x02: (_Field("analogInput", None, 2, True, lambda raw: raw / 100),),
    0x03: (_Field("analogOutput", None, 2, True, lambda raw: raw / 100),),
    0x65: (_Field("illuminance", "lx", 2, False, _as_is),),
    0x66: (_Field("presence", None, 1, False, _as_is),),
    0x67: (_Field("temperature", "Cel", 2, True, lambda raw: raw / 10),),
    0x68: (_Field("humidity", "%RH", 1, False, lambda raw: raw / 2),),
    # Converted: Cayenne sends 0.001 g, and RFC 8428 registers no g-force unit (its `g` is
    # the gram), so the value goes out in m/s2.
    0x71: _axes("acceleration", "m/s2", lambda raw: raw / 1000 * STANDARD_GRAVITY_M_S2),
    # Converted: Cayenne sends 0.1 hPa; the registered unit is Pa, and 0.1 hPa = 10 Pa.
    0x73: (_Field("pressure", "Pa", 2, False, lambda raw: raw * 10),),
    # Converted: Cayenne sends 0.01 deg/s. No angular-velocity unit is registered; rad/s is
    # the SI unit that goes with the registered `rad` (the platform's angles are in rad).
    0x86: _axes("angularVelocity", "rad/s", lambda raw: math.radians(raw / 100)),
    0x88: (
        _Field("latitude", "lat", 3, True, lambda raw: raw / 10_000),
        _Field("longitude", "lon", 3, True, lambda raw: raw / 10_000),
        _Field("altitude", "m", 3, True, lambda raw: raw / 100),
    ),
}


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    payload = uplink.payload
    if not payload:
        raise ValueError("empty payload: no Cayenne LPP channel at offset 0")
    records: list[SenmlRecord] = []
    offset = 0
    while offset < len(payload):
        channel = payload[offset]
        if offset + 1 >= len(payload):
            raise ValueError(f"truncated at offset {offset + 1}: channel {channel} has no type")
        type_id = payload[offset + 1]
        fields = _TYPES.get(type_id)
        if fields is None:
            raise ValueError(f"unknown Cayenne LPP type 0x{type_id:02X} at offset {offset + 1}")
        offset += 2
        for field in fields:
            name = f"{channel}/{field.name}"
            raw = read_int(payload, offset, field.size, signed=field.signed, what=name)
            records.append(SenmlRecord(n=name, u=field.unit, v=field.scale(raw)))
            offset += field.size
    return with_base(records, uplink, ctx)


CAYENNE_LPP = Decoder(id="cayenne-lpp", version=1, name="› Cayenne LPP", decode=decode)
