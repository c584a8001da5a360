"""`› ThingsML`: SenML where a record may name its measurement by index (`i_`).

ThingsML is SenML JSON or CBOR in which a record may carry `i_` (CBOR label 23) instead
of `n` and `u`: the index stands for a name and unit from the table below (domain.md §5).
Each `i_` is replaced by its `n` and `u` (no `u` for the unitless indices marked `-`), and
the pack is then normalised like plain SenML (`senml_normalise`). An unknown index, or an
`i_` next to an `n` or `u` it would replace, is a `ValueError`.
"""

from collections.abc import Mapping

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.senml_normalise import normalise
from senflow.codecs.senml_pack import SENML_CBOR_LABELS, parse_pack
from senflow.common.senml import SenmlRecord

INDEX_LABEL = "i_"
THINGSML_CBOR_LABELS: Mapping[int, str] = {**SENML_CBOR_LABELS, 23: INDEX_LABEL}

MEASUREMENTS: Mapping[int, tuple[str, str | None]] = {
    -24: ("temperature", "Cel"),
    -23: ("humidity", "%RH"),
    -22: ("latitude", "lat"),
    -21: ("longitude", "lon"),
    -20: ("altitude", "m"),
    -19: ("power", "W"),
    -18: ("pressure", "Pa"),
    -17: ("angle", "rad"),
    -16: ("length", "m"),
    -15: ("breadth", "m"),
    -14: ("height", "m"),
    -13: ("weight", "kg"),
    -12: ("thickness", "m"),
    -11: ("distance", "m"),
    -10: ("area", "m2"),
    -9: ("volume", "m3"),
    -8: ("velocity", "m/s"),
    -7: ("electricCurrent", "A"),
    -6: ("electricPotential", "V"),
    -5: ("electricResistance", "Ohm"),
    -4: ("illuminance", "lx"),
    -3: ("accelerationX", "m/s2"),
    -2: ("accelerationY", "m/s2"),
    -1: ("accelerationZ", "m/s2"),
    0: ("heading", "rad"),
    1: ("COConcentration", "ppm"),
    2: ("CO2Concentration", "ppm"),
    3: ("sound", "dB"),
    4: ("frequency", "Hz"),
    5: ("batteryLevel", "%EL"),
    6: ("batteryVoltage", "V"),
    7: ("radius", "m"),
    8: ("batteryLevelLow", None),
    9: ("compassX", "T"),
    10: ("compassY", "T"),
    11: ("compassZ", "T"),
    12: ("readSwitch", None),
    13: ("presence", None),
    14: ("counter", None),
}


def expand_indices(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The records with each `i_` replaced by the `n` and `u` it stands for."""
    return [_expanded(index, record) for index, record in enumerate(records)]


def _expanded(index: int, record: dict[str, object]) -> dict[str, object]:
    if INDEX_LABEL not in record:
        return record
    measurement = record[INDEX_LABEL]
    if type(measurement) is not int or measurement not in MEASUREMENTS:
        raise ValueError(f"record {index}, field 'i_': unknown measurement index {measurement!r}")
    if "n" in record or "u" in record:
        raise ValueError(
            f"record {index}, field 'i_': replaces n and u, so it cannot come with them"
        )
    name, unit = MEASUREMENTS[measurement]
    expanded = {label: value for label, value in record.items() if label != INDEX_LABEL}
    expanded["n"] = name
    if unit is not None:
        expanded["u"] = unit
    return expanded


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    records = parse_pack(uplink.payload, THINGSML_CBOR_LABELS)
    return normalise(expand_indices(records), ctx.device_urn, uplink.received_at.timestamp())


THINGSML = Decoder(id="thingsml", version=1, name="› ThingsML", decode=decode)
