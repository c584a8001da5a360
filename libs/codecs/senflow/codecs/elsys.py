"""`› Elsys sensors`: the Elsys payload (ERS, EMS, ELT), decoded into SenML.

A payload is a run of `[type: u8][value]`; the value's size is fixed by its type, and values
are big-endian except the GPS position. Lengths and scaling follow Elsys' own "simple payload
decoder" (elsys.se/en/elsys-payload; also vendor/elsys/elsys.js in TheThingsNetwork/
lorawan-devices). Records are named after the platform's measurements where one exists
(`illuminance`, `CO2Concentration`, `batteryVoltage`, ...) and after Elsys' names otherwise;
the first record also carries the device URN as `bn` and the receive time as `bt`. A type
that appears twice (two pulse readings, two probes) gives two records, in payload order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.binary import read_int, with_base
from senflow.common.senml import SenmlRecord

STANDARD_GRAVITY_M_S2 = 9.80665
ELSYS_ACCELERATION_PER_G = 63  # Elsys: "-128 --> 127, +/-63 = 1G"


def _as_is(raw: int) -> float:
    return raw


def _tenths(raw: int) -> float:
    return raw / 10


def _thousandths(raw: int) -> float:
    return raw / 1000


@dataclass(frozen=True)
class _Field:
    """One value of an Elsys type: its record name, unit and wire layout."""

    name: str
    unit: str | None
    size: int
    signed: bool = False
    scale: Callable[[int], float] = _as_is  # the wire integer -> the value in `unit`
    order: Literal["big", "little"] = "big"


def _g_steps(raw: int) -> float:
    # Converted: Elsys sends 1/63 g per step; RFC 8428 registers no g-force unit, so m/s2.
    return raw / ELSYS_ACCELERATION_PER_G * STANDARD_GRAVITY_M_S2


_ACCELERATION = tuple(_Field(f"acceleration{a}", "m/s2", 1, True, _g_steps) for a in "XYZ")

_TYPES: dict[int, tuple[_Field, ...]] = {
    0x01: (_Field("temperature", "Cel", 2, True, _tenths),),
    0x02: (_Field("humidity", "%RH", 1),),
    0x03: _ACCELERATION,
    0x04: (_Field("illuminance", "lx", 2),),
    0x05: (_Field("motion", "count", 1),),
    # `ppm` is a SenML secondary unit (RFC 8798), the one the platform uses for CO2.
    0x06: (_Field("CO2Concentration", "ppm", 2),),
    # Converted: Elsys sends mV; the registered unit is V.
    0x07: (_Field("batteryVoltage", "V", 2, scale=_thousandths),),
    0x08: (_Field("analog1", "V", 2, scale=_thousandths),),
    # Signed 24-bit little-endian in units of 0.0001 degree, as Elsys' current decoder reads
    # it (its first published decoder returned the raw big-endian integers instead).
    0x09: (
        _Field("latitude", "lat", 3, True, lambda raw: raw / 10_000, "little"),
        _Field("longitude", "lon", 3, True, lambda raw: raw / 10_000, "little"),
    ),
    0x0A: (_Field("pulse1", "count", 2),),
    0x0B: (_Field("pulseAbs", "count", 4),),
    0x0C: (_Field("externalTemperature", "Cel", 2, True, _tenths),),
    0x0D: (_Field("digital", None, 1),),
    # Converted: Elsys sends mm; the registered unit is m.
    0x0E: (_Field("distance", "m", 2, scale=_thousandths),),
    0x0F: (_Field("accMotion", "count", 1),),
    0x10: (
        _Field("irInternalTemperature", "Cel", 2, True, _tenths),
        _Field("irExternalTemperature", "Cel", 2, True, _tenths),
    ),
    0x11: (_Field("occupancy", None, 1),),  # 0 free, 1 pending, 2 occupied
    0x12: (_Field("waterleak", None, 1),),
    # Converted: Elsys sends 0.001 hPa; the registered unit is Pa, and 0.001 hPa = 0.1 Pa.
    0x14: (_Field("pressure", "Pa", 4, scale=_tenths),),
    # One sound type carries two levels, so the platform's `sound` splits in peak and average.
    0x15: (_Field("soundPeak", "dB", 1), _Field("soundAvg", "dB", 1)),
    0x16: (_Field("pulse2", "count", 2),),
    0x17: (_Field("pulseAbs2", "count", 4),),
    0x18: (_Field("analog2", "V", 2, scale=_thousandths),),
    0x19: (_Field("externalTemperature2", "Cel", 2, True, _tenths),),
    0x1A: (_Field("digital2", None, 1),),
}


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    payload = uplink.payload
    if not payload:
        raise ValueError("empty payload: no Elsys type at offset 0")
    records: list[SenmlRecord] = []
    offset = 0
    while offset < len(payload):
        type_id = payload[offset]
        fields = _TYPES.get(type_id)
        if fields is None:
            raise ValueError(f"unknown Elsys type 0x{type_id:02X} at offset {offset}")
        offset += 1
        for field in fields:
            what = f"{field.name} (type 0x{type_id:02X})"
            raw = read_int(
                payload, offset, field.size, signed=field.signed, what=what, order=field.order
            )
            records.append(SenmlRecord(n=field.name, u=field.unit, v=field.scale(raw)))
            offset += field.size
    return with_base(records, uplink, ctx)


ELSYS = Decoder(id="elsys", version=1, name="› Elsys sensors", decode=decode)
