"""`› Cayenne LPP`: table-driven, hex fixtures in, exact SenML out.

Vectors and their sources:
- SPEC: the examples of myDevices' Cayenne LPP documentation ("Cayenne Low Power Payload",
  mydevices.com/cayenne/docs/lora), also the fixtures of e.g. python-cayennelpp and
  de.dentrassi.iot cayenne-lpp: 03670110056700FF, 0167FFD7067104D2FB2E0000,
  018806765FF2960A0003E8.
- AABADIE: github.com/aabadie/cayenne-lpp tests/check_cayenne_lpp.c (one fixture per type;
  its barometer fixture carries type byte 0x67 by mistake, so 0A7326EA uses 0x73 with its
  value bytes) and the three buffers its README prints.
- OURS: edge cases built from the spec's table (sign, multi-channel, truncation, unknown type).
"""

import math
import re
from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.catalogue import BUILT_IN
from senflow.codecs.cayenne_lpp import CAYENNE_LPP
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


def accel(channel: int, x: float, y: float, z: float) -> list[dict[str, object]]:
    """Cayenne sends g; the decoder emits m/s2."""
    return [
        rec(f"{channel}/acceleration{axis}", pytest.approx(g * G), "m/s2")
        for axis, g in zip("XYZ", (x, y, z), strict=True)
    ]


def gyro(channel: int, x: float, y: float, z: float) -> list[dict[str, object]]:
    """Cayenne sends deg/s; the decoder emits rad/s."""
    return [
        rec(f"{channel}/angularVelocity{axis}", pytest.approx(math.radians(d)), "rad/s")
        for axis, d in zip("XYZ", (x, y, z), strict=True)
    ]


def decode(payload_hex: str) -> list[dict[str, object]]:
    uplink = LoraUplink(
        dev_eui="0123456789abcdef", f_port=1, f_cnt_up=7, payload_hex=payload_hex, received_at=AT
    )
    records = CAYENNE_LPP.decode(DecodeInput.of_lora(uplink), DecodeContext(URN))
    return [r.model_dump(exclude_none=True) for r in records]


@pytest.mark.parametrize(
    ("payload_hex", "expected"),
    [
        # SPEC: two temperature sensors, channels 3 and 5.
        (
            "03670110056700FF",
            pack(rec("3/temperature", 27.2, "Cel"), rec("5/temperature", 25.5, "Cel")),
        ),
        # SPEC: a negative temperature, then an accelerometer with a negative axis.
        (
            "0167FFD7067104D2FB2E0000",
            pack(rec("1/temperature", -4.1, "Cel"), *accel(6, 1.234, -1.234, 0)),
        ),
        # SPEC: GPS, northern/western hemisphere.
        (
            "018806765FF2960A0003E8",
            pack(
                rec("1/latitude", 42.3519, "lat"),
                rec("1/longitude", -87.9094, "lon"),
                rec("1/altitude", 10.0, "m"),
            ),
        ),
        # AABADIE: one fixture per type.
        ("00000A", pack(rec("0/digitalInput", 10))),
        ("010119", pack(rec("1/digitalOutput", 25))),
        ("00020208", pack(rec("0/analogInput", 5.2))),
        ("010309CE", pack(rec("1/analogOutput", 25.1))),
        ("0A65007B", pack(rec("10/illuminance", 123, "lx"))),
        ("056601", pack(rec("5/presence", 1))),
        ("036861", pack(rec("3/humidity", 48.5, "%RH"))),
        ("0A7326EA", pack(rec("10/pressure", 99620, "Pa"))),  # 996.2 hPa
        # (The library encoded 4.2 deg/s as 419 and 42.3519 as 423518: float truncation.)
        ("0286021201A3FF1A", pack(*gyro(2, 5.3, 4.19, -2.3))),
        (
            "018806765EF2960A0003E8",
            pack(
                rec("1/latitude", 42.3518, "lat"),
                rec("1/longitude", -87.9094, "lon"),
                rec("1/altitude", 10.0, "m"),
            ),
        ),
        # AABADIE README, buffer 1: five channels, GPS in Amsterdam.
        (
            "016700E1026729E20368550465012C058807FDD800BEE10000C8",
            pack(
                rec("1/temperature", 22.5, "Cel"),
                rec("2/temperature", 1072.2, "Cel"),
                rec("3/humidity", 42.5, "%RH"),
                rec("4/illuminance", 300, "lx"),
                rec("5/latitude", 52.3736, "lat"),
                rec("5/longitude", 4.8865, "lon"),
                rec("5/altitude", 2.0, "m"),
            ),
        ),
        # AABADIE README, buffer 2: digital and analog I/O on one channel.
        (
            "01002A01017B0102000101030005",
            pack(
                rec("1/digitalInput", 42),
                rec("1/digitalOutput", 123),
                rec("1/analogInput", 0.01),
                rec("1/analogOutput", 0.05),
            ),
        ),
        # AABADIE README, buffer 3: presence, accelerometer, gyrometer.
        (
            "016601037101F401A400640486001E00280032",
            pack(rec("1/presence", 1), *accel(3, 0.5, 0.42, 0.1), *gyro(4, 0.3, 0.4, 0.5)),
        ),
        # OURS: southern/eastern hemisphere, below sea level; lower-case hex.
        (
            "0788fad50017129dffec78",
            pack(
                rec("7/latitude", -33.8688, "lat"),
                rec("7/longitude", 151.2093, "lon"),
                rec("7/altitude", -50.0, "m"),
            ),
        ),
        # OURS: negative analog values and the extremes of the signed and unsigned types.
        ("0002FFFF01038000", pack(rec("0/analogInput", -0.01), rec("1/analogOutput", -327.68))),
        (
            "FF65FFFF2067800002687F",
            pack(
                rec("255/illuminance", 65535, "lx"),
                rec("32/temperature", -3276.8, "Cel"),
                rec("2/humidity", 63.5, "%RH"),
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
        ("", "empty payload: no Cayenne LPP channel at offset 0"),
        ("03", "truncated at offset 1: channel 3 has no type"),
        ("036701", "truncated at offset 2: 3/temperature needs 2 bytes, 1 left"),
        ("0368", "truncated at offset 2: 3/humidity needs 1 byte, 0 left"),
        ("0367011005", "truncated at offset 5: channel 5 has no type"),
        ("01880676", "truncated at offset 2: 1/latitude needs 3 bytes, 2 left"),
        ("018806765FF2960A0003", "truncated at offset 8: 1/altitude needs 3 bytes, 2 left"),
        ("03FF0110", "unknown Cayenne LPP type 0xFF at offset 1"),
        ("0367011005740100", "unknown Cayenne LPP type 0x74 at offset 5"),
    ],
)
def test_raises_value_error_naming_the_offset_when_payload_is_truncated_or_unknown(
    payload_hex: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        decode(payload_hex)


def test_catalogue_serves_the_decoder_when_looked_up_by_id() -> None:
    decoder = BUILT_IN["cayenne-lpp"]
    assert (decoder.id, decoder.version, decoder.name) == ("cayenne-lpp", 1, "› Cayenne LPP")
    assert decoder is CAYENNE_LPP
