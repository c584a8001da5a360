"""`cayenne-lpp-encoder`: SenML commands as Cayenne LPP actuator channels."""

from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.cayenne_lpp import CAYENNE_LPP
from senflow.codecs.cayenne_lpp_encoder import CAYENNE_LPP_ENCODER, DEFAULT_F_PORT
from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput
from senflow.codecs.errors import EncodeFailed
from senflow.common.senml import SenmlRecord as R

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
LORA = EncodeContext(URN)


def encoded(*records: R, f_port: int | None = None) -> EncodeOutput:
    return CAYENNE_LPP_ENCODER.encode(EncodeInput.of_senml(records, f_port), LORA)


@pytest.mark.parametrize(
    ("records", "payload_hex"),
    [
        ([R(n="3/digitalOutput", vb=True)], "030101"),
        ([R(n="3/digitalOutput", vb=False)], "030100"),
        ([R(n="0/digitalOutput", v=255)], "0001FF"),
        ([R(n="5/analogOutput", v=-1.23)], "0503FF85"),
        ([R(n="255/analogOutput", v=327.67)], "FF037FFF"),
        ([R(n="7/analogOutput", v=-327.68)], "07038000"),
        ([R(n="7/analogOutput", u="V", v=12)], "070304B0"),
        (
            [R(bn=URN, n="3/digitalOutput", vb=True), R(n="5/analogOutput", v=-1.23)],
            "0301010503FF85",
        ),
        ([R(bn=URN + "3/", n="digitalOutput", v=1)], "030101"),
    ],
)
def test_actuator_channels_are_encoded_in_command_order(records: list[R], payload_hex: str) -> None:
    assert encoded(*records) == EncodeOutput(bytes.fromhex(payload_hex), DEFAULT_F_PORT)


def test_command_port_replaces_the_default() -> None:
    assert encoded(R(n="1/digitalOutput", vb=True), f_port=99).f_port == 99
    assert DEFAULT_F_PORT == 1


def test_a_finer_analog_value_is_rounded_with_a_warning() -> None:
    assert encoded(R(n="1/analogOutput", v=1.234)) == EncodeOutput(
        bytes.fromhex("0103007B"), 1, ("record 0, field 'v': 1.234 rounded to 1.23",)
    )


@pytest.mark.parametrize(
    ("records", "reason", "detail"),
    [
        (
            [R(n="3/temperature", v=21)],
            "unsupported-command",
            r"record 0, field 'n': '3/temperature' is not an actuator channel;"
            r" cayenne-lpp-encoder sets '<channel>/digitalOutput' and '<channel>/analogOutput'",
        ),
        ([R(n="digitalOutput", v=1)], "unsupported-command", r"record 0, field 'n'"),
        ([R(n="1/digital-output", v=1)], "unsupported-command", r"record 0, field 'n'"),
        (
            [R(n="256/digitalOutput", v=1)],
            "invalid-command",
            r"record 0, field 'n': channel 256 is out of range \(0–255\)",
        ),
        (
            [R(n="1/digitalOutput", v=1), R(n="1/analogOutput", v=1)],
            "invalid-command",
            r"record 1, field 'n': channel 1 is set twice",
        ),
        (
            [R(n="1/digitalOutput", v=256)],
            "invalid-command",
            r"record 0, field 'v': 256 is not a digital output value \(an integer 0–255\)",
        ),
        ([R(n="1/digitalOutput", v=-1)], "invalid-command", r"record 0, field 'v': -1 is not"),
        ([R(n="1/digitalOutput", v=0.5)], "invalid-command", r"record 0, field 'v': 0.5 is not"),
        (
            [R(n="1/digitalOutput", vs="on")],
            "invalid-command",
            r"record 0, field 'vs': a digital output takes vb, or v 0–255",
        ),
        (
            [R(n="1/analogOutput", v=327.68)],
            "invalid-command",
            r"record 0, field 'v': 327.68 is out of range for an analog output"
            r" \(-327.68 to 327.67\)",
        ),
        (
            [R(n="1/analogOutput", vb=True)],
            "invalid-command",
            r"record 0, field 'vb': an analog output takes v",
        ),
        (
            [R(bn=URN), R(n="2/analogOutput", v=1), R(n="2/digitalOutput", vb=True)],
            "invalid-command",
            r"record 2, field 'n': channel 2 is set twice",
        ),
    ],
)
def test_command_is_refused_with_the_field_at_fault(
    records: list[R], reason: str, detail: str
) -> None:
    with pytest.raises(EncodeFailed, match=f"^{reason}: {detail}"):
        encoded(*records)


@pytest.mark.parametrize(
    "command",
    [EncodeInput.of_data({"1": {"digitalOutput": 1}}), EncodeInput.of_payload(b"\x01", 1)],
)
def test_only_a_senml_command_is_encoded(command: EncodeInput) -> None:
    with pytest.raises(EncodeFailed, match="^unsupported-command: cayenne-lpp-encoder encodes"):
        CAYENNE_LPP_ENCODER.encode(command, LORA)


def test_the_cayenne_decoder_reads_back_the_command() -> None:
    command = [R(n="3/digitalOutput", v=1), R(n="5/analogOutput", v=-1.23)]
    payload = encoded(*command).payload
    at = datetime(2024, 5, 1, tzinfo=UTC)
    records = CAYENNE_LPP.decode(DecodeInput(payload, at, 1), DecodeContext(URN))
    assert [(r.n, r.v) for r in records] == [(c.n, c.v) for c in command]


def test_other_networks_get_no_port() -> None:
    ctx = EncodeContext("urn:dev:IMEI:490154203237518:")
    out = CAYENNE_LPP_ENCODER.encode(EncodeInput.of_senml([R(n="1/digitalOutput", v=1)]), ctx)
    assert out == EncodeOutput(bytes.fromhex("010101"), None)
