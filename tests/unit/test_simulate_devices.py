"""`senflow simulate`'s devices: identities the registry accepts, secrets it can derive again."""

import re
import uuid

import pytest

from senflow.cli.simulate_devices import (
    KINDS,
    DeviceType,
    SimDevice,
    derived_secret,
    device_name,
    network_info,
    new_identifier,
    secret_for,
    with_luhn_digit,
)

SECRET_RULE = re.compile(r"^[0-9a-zA-Z]{30,100}$")  # the registry's device shared secret


@pytest.mark.parametrize("imei", ["490154203237518", "356938035643809", "352099001761481"])
def test_luhn_digit_completes_published_imeis(imei: str) -> None:
    assert with_luhn_digit(imei[:14]) == imei


def test_new_identifiers_have_their_network_form() -> None:
    assert re.fullmatch(r"[0-9A-F]{16}", new_identifier("KPNLORA"))
    assert uuid.UUID(new_identifier("INTERNET")).version == 4
    imei = new_identifier("M2M")
    assert re.fullmatch(r"\d{15}", imei) and with_luhn_digit(imei[:14]) == imei
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", new_identifier("MQTT"))
    assert len({new_identifier("KPNLORA") for _ in range(100)}) == 100


def test_derived_secret_is_stable_per_key_and_device_and_a_valid_shared_secret() -> None:
    secret = derived_secret("sfk_a_b", "356938035643809")
    assert SECRET_RULE.fullmatch(secret)
    assert secret == derived_secret("sfk_a_b", "356938035643809")
    assert secret != derived_secret("sfk_a_c", "356938035643809")
    assert secret != derived_secret("sfk_a_b", "490154203237518")


def test_lora_devices_have_no_secret_and_the_others_do() -> None:
    assert secret_for("KPNLORA", "sfk_a_b", "0123456789ABCDEF") is None
    for network_type in ("INTERNET", "M2M", "MQTT"):
        assert secret_for(network_type, "sfk_a_b", "x") == derived_secret("sfk_a_b", "x")


def test_network_info_carries_the_identity_and_secret_each_network_wants() -> None:
    lora = network_info("KPNLORA", "0123456789ABCDEF", None)["KPNLORA"]
    assert lora["dev_eui"] == "0123456789ABCDEF"
    assert re.fullmatch(r"[0-9A-F]{32}", lora["app_key"])
    assert network_info("INTERNET", "u", "s") == {
        "INTERNET": {"dvn_uuid": "u", "shared_secret": "s"}
    }
    assert network_info("M2M", "i", "s") == {"M2M": {"imei": "i", "shared_secret": "s"}}
    # A broker with use_username_as_clientid needs the user name to be the client id.
    assert network_info("MQTT", "c", "s") == {
        "MQTT": {"client_id": "c", "username": "c", "password": "s"}
    }


def test_every_type_has_a_specification_and_a_decoder_for_its_payloads() -> None:
    assert {t: (k.network_type, k.specification_id) for t, k in KINDS.items()} == {
        DeviceType.lora: ("KPNLORA", "own-lora"),
        DeviceType.internet: ("INTERNET", "generic-internet"),
        DeviceType.m2m: ("M2M", "generic-m2m"),
        DeviceType.mqtt: ("MQTT", "generic-mqtt"),
    }


def test_a_device_is_named_by_its_urn_and_numbered_by_name() -> None:
    assert SimDevice("d", "M2M", "490154203237518").urn == "urn:dev:IMEI:490154203237518:"
    assert device_name("sim-lora", 7) == "sim-lora-00007"
