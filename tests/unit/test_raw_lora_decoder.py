"""`= Raw LoRa payload`: table-driven, hex fixtures in, exact SenML out."""

from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.raw_lora import RAW_LORA
from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import LoraUplink

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload_hex", "f_port", "expected"),
    [
        (
            "0a1b2C",
            1,
            [
                {"bn": URN, "bt": 1585650750.5, "n": "payload", "vs": "0A1B2C"},
                {"n": "port", "v": 1},
            ],
        ),
        ("", 0, [{"bn": URN, "bt": 1585650750.5, "n": "payload", "vs": ""}, {"n": "port", "v": 0}]),
        (
            "FF" * 51,
            223,
            [
                {"bn": URN, "bt": 1585650750.5, "n": "payload", "vs": "FF" * 51},
                {"n": "port", "v": 223},
            ],
        ),
    ],
)
def test_raw_decoder_wraps_payload_and_port(
    payload_hex: str, f_port: int, expected: list[dict[str, object]]
) -> None:
    uplink = LoraUplink(
        dev_eui="0123456789abcdef",
        f_port=f_port,
        f_cnt_up=1,
        payload_hex=payload_hex,
        received_at=AT,
    )
    records = RAW_LORA.decode(DecodeInput.of_lora(uplink), DecodeContext(device_urn=URN))
    assert [r.model_dump(exclude_none=True) for r in records] == expected
    assert all(isinstance(r, SenmlRecord) for r in records)
