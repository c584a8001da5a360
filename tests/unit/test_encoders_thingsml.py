"""`thingsml-encoder`: SenML commands as ThingsML CBOR, read back by the ThingsML decoder."""

from datetime import UTC, datetime

import cbor2
import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.senml_normalise import normalise
from senflow.codecs.thingsml import THINGSML
from senflow.codecs.thingsml_encoder import DEFAULT_F_PORT, THINGSML_ENCODER
from senflow.common.senml import SenmlRecord as R

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
LORA = EncodeContext(URN)
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)


def encoded(*records: R, ctx: EncodeContext = LORA, f_port: int | None = None) -> EncodeOutput:
    return THINGSML_ENCODER.encode(EncodeInput.of_senml(records, f_port), ctx)


@pytest.mark.parametrize(
    ("records", "payload_hex"),
    [
        # [{2: 21.5, 23: -24}]: i_ -24 stands for temperature in Cel; the device's bn is left out
        ([R(bn=URN, n="temperature", u="Cel", v=21.5)], "81A202F94D601737"),
        # [{0: "interval", 1: "s", 2: 600}]: not in the table, so n and u stay
        ([R(n="interval", u="s", v=600)], "81A30068696E74657276616C0161730219 0258"),
        # [{0: "temperature", 2: 20}]: no unit, not the table's measurement; 20.0 as an integer
        ([R(n="temperature", v=20.0)], "81A2006B74656D706572617475726502 14"),
        # [{4: true, 23: 13}]: presence is unitless in the table
        ([R(n="presence", vb=True)], "81A204F5170D"),
        # [{0: "blob", 8: h'0102'}]: vd travels as bytes
        ([R(n="blob", vd="AQI")], "81A20064626C6F62084 20102"),
    ],
)
def test_command_is_compact_thingsml_cbor(records: list[R], payload_hex: str) -> None:
    payload = bytes.fromhex(payload_hex.replace(" ", ""))
    assert encoded(*records) == EncodeOutput(payload, DEFAULT_F_PORT)


@pytest.mark.parametrize(
    "records",
    [
        [R(bn=URN, n="temperature", u="Cel", v=21.5), R(n="humidity", u="%RH", v=40)],
        [R(n="interval", u="s", v=600), R(n="mode", vs="eco"), R(n="readSwitch", vb=False)],
        [R(bt=1585650700, n="batteryVoltage", u="V", v=3.6), R(n="counter", v=7, t=-10)],
        [R(bn=URN + "valve/", n="open", vb=True), R(bn="", bv=10), R(n="level", v=2.5)],
        [R(n="blob", vd="AQIDBA"), R(n="energy", u="J", v=1, s=4)],
        [R(n="temperature", u="K", v=293.15), R(n="rate", v=0.1)],
    ],
)
def test_the_thingsml_decoder_reads_back_the_same_records(records: list[R]) -> None:
    payload = encoded(*records).payload
    decoded = THINGSML.decode(DecodeInput(payload, AT, DEFAULT_F_PORT), DecodeContext(URN))
    dumped = [r.model_dump(exclude_none=True) for r in records]
    assert decoded == normalise(dumped, URN, AT.timestamp())


def test_the_device_urn_in_another_case_comes_back_as_the_device_urn() -> None:
    payload = encoded(R(bn="urn:dev:deveui:0123456789abcdef:", n="latitude", u="lat", v=52.1))
    assert cbor2.loads(payload.payload) == [{23: -22, 2: 52.1}]
    decoded = THINGSML.decode(DecodeInput(payload.payload, AT, 1), DecodeContext(URN))
    assert decoded[0].bn == URN


def test_table_measurements_are_sent_as_indices() -> None:
    payload = encoded(R(n="CO2Concentration", u="ppm", v=400), R(n="batteryLevelLow", vb=True))
    assert cbor2.loads(payload.payload) == [{23: 2, 2: 400}, {23: 8, 4: True}]


def test_command_port_replaces_the_default_and_other_networks_get_none() -> None:
    assert encoded(R(n="a", v=1), f_port=42).f_port == 42
    internet = EncodeContext("urn:dev:DVNUUID:5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b:")
    assert encoded(R(n="a", v=1), ctx=internet) == EncodeOutput(
        bytes.fromhex("81A2006161 0201"), None
    )


def test_a_command_too_large_for_a_lora_frame_is_refused() -> None:
    assert encoded(R(n="note", vs="x" * 40)).warnings == ()
    assert encoded(R(n="note", vs="x" * 60)).warnings == (
        "the payload is 71 bytes: more than the 51 that fit at the slowest LoRaWAN data rates",
    )
    with pytest.raises(
        EncodeFailed,
        match="^invalid-command: the payload is 312 bytes; a LoRaWAN downlink carries at most 242$",
    ):
        encoded(R(n="note", vs="x" * 300))


@pytest.mark.parametrize(
    ("records", "detail"),
    [
        ([R(n="a", v=1, vb=True)], "record 0, field 'vb': more than one value field"),
        ([R(n="a", v=1), R(u="Cel")], "record 1, field 'v': no value"),
        (
            [R(bn="urn:dev:IMEI:490154203237518:", n="a", v=1)],
            "record 0, field 'bn': 'urn:dev:IMEI:490154203237518:a' is a value of another device",
        ),
    ],
)
def test_an_invalid_command_is_refused_with_the_field_at_fault(
    records: list[R], detail: str
) -> None:
    with pytest.raises(EncodeFailed, match=f"^invalid-command: {detail}"):
        encoded(*records)


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        (EncodeInput.of_data({"interval": 600}), "a data object"),
        (EncodeInput.of_payload(b"\x01", 1), "a raw payload"),
    ],
)
def test_only_a_senml_command_is_encoded(command: EncodeInput, kind: str) -> None:
    with pytest.raises(EncodeFailed) as failed:
        THINGSML_ENCODER.encode(command, LORA)
    assert failed.value.reason == "unsupported-command"
    assert failed.value.detail == f"thingsml-encoder encodes a SenML command, not {kind}"
