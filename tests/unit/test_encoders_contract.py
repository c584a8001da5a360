"""The encoder contract: one command kind per input, the device's network, the LoRa
port and frame rules every encoder shares, and the catalogue of built-ins."""

import re
from pathlib import Path

import pytest

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput
from senflow.codecs.encoder_catalogue import BUILT_IN_ENCODERS
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import downlink
from senflow.common.senml import SenmlRecord

LORA = EncodeContext("urn:dev:DEVEUI:0123456789ABCDEF:")
INTERNET = EncodeContext("urn:dev:DVNUUID:5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b:")
MIGRATION = Path(__file__).parents[2] / "services/registry/senflow/registry/migrations"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"senml": (SenmlRecord(n="a", v=1),), "payload": b"\x01"},
        {"data": {"a": 1}, "payload": b""},
    ],
)
def test_input_is_refused_when_it_is_not_exactly_one_command(kwargs: dict[str, object]) -> None:
    with pytest.raises(EncodeFailed, match="exactly one of senml, data or payload") as failed:
        EncodeInput(**kwargs)  # type: ignore[arg-type]
    assert failed.value.reason == "invalid-command"
    assert failed.value.retriable is False


def test_input_is_refused_when_f_port_is_not_an_integer() -> None:
    with pytest.raises(EncodeFailed, match=r"^invalid-command: f_port: '2' is not an integer$"):
        EncodeInput.of_payload(b"\x01", "2")  # type: ignore[arg-type]


def test_input_says_which_command_it_holds() -> None:
    assert EncodeInput.of_senml([SenmlRecord(n="a", v=1)]).kind == "senml"
    assert EncodeInput.of_data({}).described() == "a data object"
    assert EncodeInput.of_payload(b"").described() == "a raw payload"


@pytest.mark.parametrize(
    ("urn", "is_lora"),
    [
        ("urn:dev:DEVEUI:0123456789ABCDEF:", True),
        ("urn:dev:deveui:0123456789abcdef:", True),
        ("urn:dev:IMEI:490154203237518:", False),
        (INTERNET.device_urn, False),
        ("urn:dev:MQTT:sensor-1:", False),
    ],
)
def test_context_knows_a_lora_device_by_its_urn(urn: str, is_lora: bool) -> None:
    assert EncodeContext(urn).is_lora is is_lora


@pytest.mark.parametrize(
    ("port", "size", "detail"),
    [
        (None, 1, r"f_port: a LoRa downlink needs a port \(1–223\), none given"),
        (0, 1, r"f_port: 0 is not an application port \(1–223\)"),
        (224, 1, r"f_port: 224 is not an application port \(1–223\)"),
        (1, 243, r"the payload is 243 bytes; a LoRaWAN downlink carries at most 242"),
    ],
)
def test_lora_downlink_is_refused_when_port_or_size_is_wrong(
    port: int | None, size: int, detail: str
) -> None:
    with pytest.raises(EncodeFailed, match=f"^invalid-command: {detail}$"):
        downlink(LORA, bytes(size), port)


SLOW = "more than the 51 that fit at the slowest LoRaWAN data rates"


@pytest.mark.parametrize(
    ("size", "warnings"),
    [
        (0, ()),
        (51, ()),
        (52, (f"the payload is 52 bytes: {SLOW}",)),
        (242, (f"the payload is 242 bytes: {SLOW}",)),
    ],
)
def test_lora_downlink_warns_when_it_fits_only_fast_data_rates(
    size: int, warnings: tuple[str, ...]
) -> None:
    assert downlink(LORA, bytes(size), 223) == EncodeOutput(bytes(size), 223, warnings)


def test_other_networks_take_any_size_and_no_port() -> None:
    assert downlink(INTERNET, bytes(500), None) == EncodeOutput(bytes(500), None)
    assert downlink(INTERNET, b"\x01", 2).warnings == (
        f"port 2 (f_port) ignored: {INTERNET.device_urn} is not on LoRa",
    )


def test_catalogue_holds_the_encoders_the_registry_lists() -> None:
    sql = (MIGRATION / "0002_complete_model.sql").read_text()
    listed = set(re.findall(r"\('([a-z0-9-]+)', '[^']*', '.', 'encoder'", sql))
    assert (
        listed
        == set(BUILT_IN_ENCODERS)
        == {
            "lora-raw-encoder",
            "cayenne-lpp-encoder",
            "thingsml-encoder",
        }
    )
    assert all(encoder.version == 1 for encoder in BUILT_IN_ENCODERS.values())
