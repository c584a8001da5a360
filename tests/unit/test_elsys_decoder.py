"""`› Elsys sensors`: table-driven, hex fixtures in, exact SenML out.

Vectors and their sources:
- TTN: the uplink examples of TheThingsNetwork/lorawan-devices, vendor/elsys/<model>-codec.yaml
  (ers-co2, ers-sound, ers-eye, ems, ems-door, ems-desk; elt-2 and elt-ultrasonic carry theirs
  commented out), checked there against Elsys' elsys.js.
- SAMPLE: Elsys' long-standing sample uplink 0100e202290400270506060308070d62 (the ERS CO2
  example plus VDD), used by many Elsys decoder ports, and two longer samples from the
  self-tests of such ports (external probes; an ELT with pressure).
- OURS: edge cases built from Elsys' type table (sign, extremes, GPS, every remaining type,
  truncation, unknown type).
"""

import re
from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.catalogue import BUILT_IN
from senflow.codecs.elsys import ELSYS
from senflow.common.uplinks import LoraUplink

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)
BT = 1585650750.5
G = 9.80665


def rec(n: str, v: object, u: str | None = None) -> dict[str, object]:
    return {"n": n, "v": v} if u is None else {"n": n, "u": u, "v": v}


def pack(*records: dict[str, object]) -> list[dict[str, object]]:
    """The expected pack: the first record also carries `bn` and `bt`."""
    first, *rest = records
    return [{"bn": URN, "bt": BT, **first}, *rest]


def accel(x: int, y: int, z: int) -> list[dict[str, object]]:
    """Elsys sends 1/63 g per step; the decoder emits m/s2."""
    return [
        rec(f"acceleration{axis}", pytest.approx(steps / 63 * G), "m/s2")
        for axis, steps in zip("XYZ", (x, y, z), strict=True)
    ]


ERS = [
    rec("temperature", 22.6, "Cel"),
    rec("humidity", 41, "%RH"),
    rec("illuminance", 39, "lx"),
    rec("motion", 6, "count"),
]
EMS = [rec("temperature", 22.6, "Cel"), rec("humidity", 41, "%RH"), *accel(1, 39, 5)]


def decode(payload_hex: str) -> list[dict[str, object]]:
    uplink = LoraUplink(
        dev_eui="0123456789abcdef", f_port=5, f_cnt_up=7, payload_hex=payload_hex, received_at=AT
    )
    records = ELSYS.decode(DecodeInput.of_lora(uplink), DecodeContext(URN))
    return [r.model_dump(exclude_none=True) for r in records]


@pytest.mark.parametrize(
    ("payload_hex", "expected"),
    [
        # TTN ers-co2-codec.yaml
        ("0100E202290400270506060308", pack(*ERS, rec("CO2Concentration", 776, "ppm"))),
        # TTN ers-sound-codec.yaml
        (
            "0100E202290400270506150101",
            pack(*ERS, rec("soundPeak", 1, "dB"), rec("soundAvg", 1, "dB")),
        ),
        # TTN ers-eye-codec.yaml
        ("0100E2022904002705061101", pack(*ERS, rec("occupancy", 1))),
        # TTN ems-codec.yaml: pulse1 twice, both kept in payload order.
        (
            "0100E20229030127050A110112110A2111",
            pack(
                *EMS,
                rec("pulse1", 4353, "count"),
                rec("waterleak", 17),
                rec("pulse1", 8465, "count"),
            ),
        ),
        # TTN ems-door-codec.yaml: no temperature, the pack starts with acceleration.
        (
            "030127050A11010B000A0011",
            pack(*accel(1, 39, 5), rec("pulse1", 4353, "count"), rec("pulseAbs", 655377, "count")),
        ),
        # TTN ems-desk-codec.yaml
        ("0100E20229030127051102", pack(*EMS, rec("occupancy", 2))),
        # TTN elt-2-codec.yaml (commented-out example): 100729.105 hPa.
        ("0100E20229030127051406010111", pack(*EMS, rec("pressure", 10072910.5, "Pa"))),
        # TTN elt-ultrasonic-codec.yaml (commented-out example): distance 8977 mm.
        (
            "0100E202290301270514060101110E2311",
            pack(*EMS, rec("pressure", 10072910.5, "Pa"), rec("distance", 8.977, "m")),
        ),
        # SAMPLE: the ERS CO2 example with VDD 3426 mV.
        (
            "0100e202290400270506060308070d62",
            pack(*ERS, rec("CO2Concentration", 776, "ppm"), rec("batteryVoltage", 3.426, "V")),
        ),
        # SAMPLE: the same with two external probes (type 0x19 twice).
        (
            "0100E202290400270506060308070D621900E21900A3",
            pack(
                *ERS,
                rec("CO2Concentration", 776, "ppm"),
                rec("batteryVoltage", 3.426, "V"),
                rec("externalTemperature2", 22.6, "Cel"),
                rec("externalTemperature2", 16.3, "Cel"),
            ),
        ),
        # SAMPLE: an ELT: external probe, motion count and pressure (999.977 hPa).
        (
            "0100f5021c0301023d070e1e0c00ee0f0014000f4229",
            pack(
                rec("temperature", 24.5, "Cel"),
                rec("humidity", 28, "%RH"),
                *accel(1, 2, 61),
                rec("batteryVoltage", 3.614, "V"),
                rec("externalTemperature", 23.8, "Cel"),
                rec("accMotion", 0, "count"),
                rec("pressure", 99997.7, "Pa"),
            ),
        ),
        # OURS: negative temperatures (internal, IR pair) and negative acceleration.
        (
            "01FF9C1000E2FF9C03C13F00",
            pack(
                rec("temperature", -10.0, "Cel"),
                rec("irInternalTemperature", 22.6, "Cel"),
                rec("irExternalTemperature", -10.0, "Cel"),
                *accel(-63, 63, 0),
            ),
        ),
        # OURS: GPS, signed 24-bit little-endian in 0.0001 degree (40.4168 N, 3.7038 W).
        ("09C82A06526FFF", pack(rec("latitude", 40.4168, "lat"), rec("longitude", -3.7038, "lon"))),
        # OURS: the extremes of the unsigned types.
        (
            "0BFFFFFFFF04FFFF02FF",
            pack(
                rec("pulseAbs", 4294967295, "count"),
                rec("illuminance", 65535, "lx"),
                rec("humidity", 255, "%RH"),
            ),
        ),
        # OURS: every remaining type once.
        (
            "080BB80D010F03160005170000010018012C19FF9C1A001200150000",
            pack(
                rec("analog1", 3.0, "V"),
                rec("digital", 1),
                rec("accMotion", 3, "count"),
                rec("pulse2", 5, "count"),
                rec("pulseAbs2", 256, "count"),
                rec("analog2", 0.3, "V"),
                rec("externalTemperature2", -10.0, "Cel"),
                rec("digital2", 0),
                rec("waterleak", 0),
                rec("soundPeak", 0, "dB"),
                rec("soundAvg", 0, "dB"),
            ),
        ),
    ],
)
def test_decodes_to_exact_senml_when_payload_is_valid(
    payload_hex: str, expected: list[dict[str, object]]
) -> None:
    assert decode(payload_hex) == expected


@pytest.mark.parametrize(
    ("payload_hex", "message"),
    [
        ("", "empty payload: no Elsys type at offset 0"),
        ("0100", "truncated at offset 1: temperature (type 0x01) needs 2 bytes, 1 left"),
        ("0100E202", "truncated at offset 4: humidity (type 0x02) needs 1 byte, 0 left"),
        ("090102030405", "truncated at offset 4: longitude (type 0x09) needs 3 bytes, 2 left"),
        ("14000F42", "truncated at offset 1: pressure (type 0x14) needs 4 bytes, 3 left"),
        ("1300", "unknown Elsys type 0x13 at offset 0"),  # Grid-EYE: not supported
        ("0100E23D00000000", "unknown Elsys type 0x3D at offset 3"),
        ("0100E200", "unknown Elsys type 0x00 at offset 3"),
    ],
)
def test_raises_value_error_naming_the_offset_when_payload_is_truncated_or_unknown(
    payload_hex: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        decode(payload_hex)


def test_catalogue_serves_the_decoder_when_looked_up_by_id() -> None:
    decoder = BUILT_IN["elsys"]
    assert (decoder.id, decoder.version, decoder.name) == ("elsys", 1, "› Elsys sensors")
    assert decoder is ELSYS
