"""`› SenML pass-through` and `› ThingsML`: JSON/CBOR payloads in, exact SenML out."""

import json
from datetime import UTC, datetime

import cbor2
import pytest

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.senml_pack import SENML
from senflow.codecs.thingsml import THINGSML
from senflow.common.uplinks import LoraUplink

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)
NOW = 1585650750.5

# RFC 8428 §6: the §5.1.2 example as CBOR, byte for byte.
RFC_CBOR_HEX = (
    "87a721781b75726e3a6465763a6f773a3130653230373361303130383030363a22fb41d303a15b00"
    "106223614120050067766f6c7461676501615602fb405e066666666666a3006763757272656e7406"
    "2402fb3ff3333333333333a3006763757272656e74062302fb3ff4cccccccccccda3006763757272"
    "656e74062202fb3ff6666666666666a3006763757272656e74062102f93e00a3006763757272656e"
    "74062002fb3ff999999999999aa3006763757272656e74060002fb3ffb333333333333"
)
RFC_CBOR_SENML = [
    {"bn": "urn:dev:ow:10e2073a0108006:", "bt": 1276020076.001}
    | {"n": "voltage", "u": "V", "v": 120.1},
    {"n": "current", "u": "A", "t": -5, "v": 1.2},
    {"n": "current", "u": "A", "t": -4, "v": 1.3},
    {"n": "current", "u": "A", "t": -3, "v": 1.4},
    {"n": "current", "u": "A", "t": -2, "v": 1.5},
    {"n": "current", "u": "A", "t": -1, "v": 1.6},
    {"n": "current", "u": "A", "v": 1.7},
]
DOMAIN_EXAMPLE = [
    {"bn": URN, "bt": 1585650750.5, "n": "temperature", "u": "Cel", "v": 20.5},
    {"n": "batteryVoltage", "u": "V", "v": 3.6, "t": 10},
    {"n": "active", "vb": True},
]


def _json(pack: object) -> str:
    return json.dumps(pack, separators=(",", ":")).encode().hex()


def _cbor(pack: object) -> str:
    return cbor2.dumps(pack).hex()


def _decode(decoder: Decoder, payload_hex: str) -> list[dict[str, object]]:
    uplink = LoraUplink(
        dev_eui="0123456789abcdef", f_port=1, f_cnt_up=7, payload_hex=payload_hex, received_at=AT
    )
    records = decoder.decode(DecodeInput.of_lora(uplink), DecodeContext(URN))
    return [r.model_dump(exclude_none=True) for r in records]


SENML_VALID = {
    "json-domain-example": (_json(DOMAIN_EXAMPLE), DOMAIN_EXAMPLE),
    "json-without-bn-or-time": (
        _json([{"n": "temperature", "u": "Cel", "v": 21}]),
        [{"bn": URN, "bt": NOW, "n": "temperature", "u": "Cel", "v": 21}],
    ),
    "json-with-leading-whitespace": (
        (b"\n [" + b'{"n":"a","vs":"x"}]').hex(),
        [{"bn": URN, "bt": NOW, "n": "a", "vs": "x"}],
    ),
    "cbor-rfc-8428-section-6-vector": (RFC_CBOR_HEX, RFC_CBOR_SENML),
    "cbor-bytes-vd-becomes-base64url": (
        _cbor([{-2: "dev:", 0: "a", 8: b"\xfb\xff\n"}]),
        [{"bn": "dev:", "bt": NOW, "n": "a", "vd": "-_8K"}],
    ),
    "cbor-decimal-fraction-value": (  # [{0: "a", 2: 4([-2, 501])}]
        "81a200616102c482211901f5",
        [{"bn": URN, "bt": NOW, "n": "a", "v": 5.01}],
    ),
    "cbor-base-time-and-relative-time": (
        _cbor([{-3: 1585650700, 0: "a", 2: 1}, {0: "b", 6: 30, 4: False}]),
        [{"bn": URN, "bt": 1585650700.0, "n": "a", "v": 1}, {"n": "b", "t": 30, "vb": False}],
    ),
}


@pytest.mark.parametrize(("payload_hex", "expected"), SENML_VALID.values(), ids=SENML_VALID.keys())
def test_senml_decoder_emits_canonical_pack_when_payload_is_senml(
    payload_hex: str, expected: list[dict[str, object]]
) -> None:
    assert _decode(SENML, payload_hex) == expected


THINGSML_VALID = {
    "json-indices": (
        _json([{"i_": -24, "v": 21.5}, {"i_": 6, "v": 3.6, "t": 10}, {"i_": 13, "vb": True}]),
        [
            {"bn": URN, "bt": NOW, "n": "temperature", "u": "Cel", "v": 21.5},
            {"n": "batteryVoltage", "u": "V", "v": 3.6, "t": 10},
            {"n": "presence", "vb": True},
        ],
    ),
    "json-indices-mixed-with-plain-senml": (
        _json([{"bn": URN, "i_": -23, "v": 55}, {"n": "mode", "vs": "eco"}]),
        [{"bn": URN, "bt": NOW, "n": "humidity", "u": "%RH", "v": 55}, {"n": "mode", "vs": "eco"}],
    ),
    "cbor-indices": (
        _cbor([{-3: 1585650700, 23: -22, 2: 52.08}, {23: -21, 2: 5.11}, {23: 5, 2: 97}]),
        [
            {"bn": URN, "bt": 1585650700.0, "n": "latitude", "u": "lat", "v": 52.08},
            {"n": "longitude", "u": "lon", "v": 5.11},
            {"n": "batteryLevel", "u": "%EL", "v": 97},
        ],
    ),
    "cbor-literal-hex": (  # [{23: -24, 2: 21.5}] with 21.5 as a half-precision float
        "81a2173702f94d60",
        [{"bn": URN, "bt": NOW, "n": "temperature", "u": "Cel", "v": 21.5}],
    ),
    "cbor-plain-senml-labels": (
        _cbor([{0: "counter", 2: 12}]),
        [{"bn": URN, "bt": NOW, "n": "counter", "v": 12}],
    ),
}


@pytest.mark.parametrize(
    ("payload_hex", "expected"), THINGSML_VALID.values(), ids=THINGSML_VALID.keys()
)
def test_thingsml_decoder_expands_indices_when_payload_is_thingsml(
    payload_hex: str, expected: list[dict[str, object]]
) -> None:
    assert _decode(THINGSML, payload_hex) == expected


INVALID = {
    "senml-empty-payload": (SENML, "", r"empty payload"),
    "senml-truncated-json": (SENML, b'[{"n":"a",'.hex(), r"not a SenML JSON pack"),
    "senml-json-nan": (SENML, b'[{"n":"a","v":NaN}]'.hex(), r"NaN is not a SenML number"),
    "senml-json-duplicate-label": (SENML, b'[{"n":"a","v":1,"v":2}]'.hex(), r"duplicate label"),
    "senml-json-not-objects": (SENML, _json([1, 2]), r"array of objects"),
    "senml-json-two-values": (SENML, _json([{"n": "a", "v": 1, "vb": True}]), r"record 0, field"),
    "senml-json-thingsml-index": (SENML, _json([{"i_": 6, "v": 3.6}]), r"field 'i_'"),
    "senml-cbor-trailing-bytes": (SENML, _cbor([{0: "a", 2: 1}]) + "00", r"1 trailing bytes"),
    "senml-cbor-truncated": (SENML, _cbor([{0: "a", 2: 1}])[:-2], r"not a SenML CBOR pack"),
    "senml-cbor-duplicate-key": (SENML, "81a3006161006162 0201".replace(" ", ""), r"CBOR pack"),
    "senml-cbor-label-twice": (SENML, _cbor([{0: "a", "n": "b", 2: 1}]), r"field 'n': given"),
    "senml-cbor-unknown-label": (SENML, _cbor([{23: 6, 2: 3.6}]), r"record 0, field 23"),
    "senml-cbor-vd-text": (SENML, _cbor([{0: "a", 8: "aGk"}]), r"field 'vd': must be a byte"),
    "senml-cbor-not-array": (SENML, _cbor({0: "a", 2: 1}), r"array of maps"),
    "senml-cbor-record-not-map": (SENML, _cbor([[0, "a"]]), r"record 0: not a map"),
    "senml-cbor-no-value": (SENML, _cbor([{0: "a", 1: "V"}]), r"record 0, field 'v'"),
    "senml-cbor-value-is-text": (SENML, _cbor([{0: "a", 2: "1"}]), r"field 'v': wrong type"),
    "thingsml-unknown-index": (THINGSML, _json([{"i_": 99, "v": 1}]), r"index 99"),
    "thingsml-index-is-text": (THINGSML, _json([{"i_": "6", "v": 1}]), r"index '6'"),
    "thingsml-index-is-bool": (THINGSML, _json([{"i_": True, "v": 1}]), r"index True"),
    "thingsml-index-with-name": (THINGSML, _json([{"i_": 6, "n": "a", "v": 1}]), r"replaces"),
    "thingsml-index-with-unit": (THINGSML, _cbor([{23: 6, 1: "V", 2: 1}]), r"replaces"),
    "thingsml-cbor-unknown-label": (THINGSML, _cbor([{24: 6, 2: 1}]), r"field 24"),
    "thingsml-cbor-index-no-value": (THINGSML, _cbor([{23: -24}]), r"record 0, field 'v'"),
}


@pytest.mark.parametrize(("decoder", "payload_hex", "reason"), INVALID.values(), ids=INVALID.keys())
def test_decoder_raises_value_error_when_payload_is_invalid(
    decoder: Decoder, payload_hex: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        _decode(decoder, payload_hex)
