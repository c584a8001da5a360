"""`lora-raw-encoder`: a raw payload, or the raw decoder's SenML read back, sent as is."""

import pytest

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.raw_lora_encoder import RAW_LORA_ENCODER
from senflow.common.senml import SenmlRecord as R

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
LORA = EncodeContext(URN)
INTERNET = EncodeContext("urn:dev:DVNUUID:5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b:")
encode = RAW_LORA_ENCODER.encode


@pytest.mark.parametrize(
    ("command", "payload_hex", "f_port"),
    [
        (EncodeInput.of_payload(bytes.fromhex("01FF"), 5), "01FF", 5),
        (EncodeInput.of_payload(b"", 1), "", 1),
        (EncodeInput.of_senml([R(bn=URN, n="payload", vs="01ff"), R(n="port", v=5)]), "01FF", 5),
        (EncodeInput.of_senml([R(n="payload", vs="0A0b")], f_port=223), "0A0B", 223),
        (EncodeInput.of_senml([R(n="port", v=2.0), R(n="payload", vs="00")], f_port=2), "00", 2),
    ],
)
def test_payload_is_sent_as_is_on_its_port(
    command: EncodeInput, payload_hex: str, f_port: int
) -> None:
    assert encode(command, LORA) == EncodeOutput(bytes.fromhex(payload_hex), f_port)


@pytest.mark.parametrize(
    ("command", "reason", "detail"),
    [
        (
            EncodeInput.of_payload(b"\x01"),
            "invalid-command",
            r"f_port: a LoRa downlink needs a port",
        ),
        (EncodeInput.of_payload(b"\x01", 0), "invalid-command", r"f_port: 0 is not an application"),
        (EncodeInput.of_payload(bytes(243), 1), "invalid-command", r"the payload is 243 bytes"),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="port", v=300)]),
            "invalid-command",
            r"record 1, field 'v': 300 is not an application port \(1–223\)",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="port", v=3)], f_port=4),
            "invalid-command",
            r"record 1, field 'v': port 3 contradicts f_port 4",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="port", v=1.5)]),
            "invalid-command",
            r"record 1, field 'v': the port is an integer in v",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="port", vs="1")]),
            "invalid-command",
            r"record 1, field 'vs': the port is an integer in v",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="0G")], f_port=1),
            "invalid-command",
            r"record 0, field 'vs': '0G' is not hex \(pairs of 0-9, A-F\)",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="012")], f_port=1),
            "invalid-command",
            r"record 0, field 'vs': '012' is not hex",
        ),
        (
            EncodeInput.of_senml([R(n="payload", v=1)], f_port=1),
            "invalid-command",
            r"record 0, field 'v': the payload is a hex string in vs",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="payload", vs="02")], f_port=1),
            "invalid-command",
            r"record 1, field 'n': payload given twice",
        ),
        (
            EncodeInput.of_senml([R(n="port", v=1)]),
            "invalid-command",
            r"no 'payload' record: nothing to send",
        ),
        (
            EncodeInput.of_senml([R(n="payload", vs="01"), R(n="interval", v=60)], f_port=1),
            "unsupported-command",
            r"record 1, field 'n': lora-raw-encoder takes only records 'payload' \(vs, hex\) and"
            r" 'port' \(v\), not 'interval'",
        ),
        (
            EncodeInput.of_data({"payload": "01"}, f_port=1),
            "unsupported-command",
            r"lora-raw-encoder sends a raw payload, or SenML records 'payload' \(vs, hex\) and"
            r" 'port' \(v\), not a data object",
        ),
    ],
)
def test_command_is_refused_with_the_field_at_fault(
    command: EncodeInput, reason: str, detail: str
) -> None:
    with pytest.raises(EncodeFailed, match=f"^{reason}: {detail}") as failed:
        encode(command, LORA)
    assert failed.value.reason == reason


def test_other_networks_get_the_payload_and_no_port() -> None:
    assert encode(EncodeInput.of_payload(b"\x01"), INTERNET) == EncodeOutput(b"\x01", None)
    out = encode(EncodeInput.of_senml([R(n="payload", vs="01"), R(n="port", v=3)]), INTERNET)
    assert out.f_port is None
    assert out.warnings == (
        f"port 3 (record 1, field 'v') ignored: {INTERNET.device_urn} is not on LoRa",
    )
