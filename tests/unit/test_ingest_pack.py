"""The HTTP ingest's checks on a device's pack: identity from `bn`, validity, token."""

import hashlib
import json
from datetime import UTC, datetime

import cbor2
import pytest

from senflow.common.message_token import token_matches
from senflow.router.ingest.pack import BadPack, check_pack, identify

UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
IMEI = "356938035643809"
AT = datetime(2026, 11, 26, tzinfo=UTC)


def js(*records: dict[str, object]) -> bytes:
    return json.dumps(list(records)).encode()


@pytest.mark.parametrize(
    ("network_type", "body", "identifier"),
    [
        ("INTERNET", js({"bn": f"urn:dev:DVNUUID:{UUID}:", "v": 1}), UUID),
        ("INTERNET", js({"bn": f"urn:dev:DVNUUID:{UUID.upper()}:", "v": 1}), UUID),
        ("INTERNET", js({"bn": f"urn:dev:DVNUUID:{UUID}:sensor:", "n": "t", "v": 1}), UUID),
        ("M2M", js({"bn": f"urn:dev:IMEI:{IMEI}:", "n": "t", "v": 1}), IMEI),
        ("M2M", cbor2.dumps([{-2: f"urn:dev:IMEI:{IMEI}:", 0: "t", 2: 1}]), IMEI),
    ],
)
def test_the_device_is_named_by_the_first_base_name(
    network_type: str, body: bytes, identifier: str
) -> None:
    assert identify(network_type, body) == identifier  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("network_type", "body", "reason"),
    [
        ("INTERNET", b"", "not a SenML pack"),
        ("INTERNET", b"[1", "not a SenML pack"),
        ("INTERNET", b"[]", "empty SenML pack"),
        ("INTERNET", js({"n": "t", "v": 1}), "bn must be urn:dev:DVNUUID:"),
        ("INTERNET", js({"bn": f"urn:dev:IMEI:{IMEI}:", "v": 1}), "bn must be urn:dev:DVNUUID:"),
        ("INTERNET", js({"bn": f"urn:dev:DVNUUID:{UUID}", "v": 1}), "bn must be"),
        ("INTERNET", js({"bn": "urn:dev:DVNUUID:not-a-uuid:", "v": 1}), "not a UUID"),
        ("M2M", js({"bn": "urn:dev:IMEI:12345:", "v": 1}), "15 digits"),
        ("M2M", js({"bn": 7, "v": 1}), "bn must be urn:dev:IMEI:"),
    ],
)
def test_a_pack_without_a_usable_base_name_is_refused_with_the_reason(
    network_type: str, body: bytes, reason: str
) -> None:
    with pytest.raises(BadPack, match=reason):
        identify(network_type, body)  # type: ignore[arg-type]


def test_a_valid_pack_under_the_device_urn_passes() -> None:
    urn = f"urn:dev:DVNUUID:{UUID}:"
    check_pack("INTERNET", UUID, js({"bn": urn, "n": "t", "v": 1}, {"n": "h", "v": 2}), AT)
    check_pack("INTERNET", UUID, js({"bn": urn + "a:", "n": "t", "v": 1}), AT)


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        (({"bn": "{urn}", "n": "t", "v": "warm"},), "invalid SenML"),
        (({"bn": "{urn}", "n": "t"},), "invalid SenML"),
        (({"bn": "{urn}", "n": "t", "v": 1}, {"bn": "urn:dev:DVNUUID:x:", "v": 2}), "record 1"),
        (({"bn": "{urn}", "n": "t", "v": 1, "bad_": 1},), "invalid SenML"),
    ],
)
def test_invalid_senml_or_another_devices_name_is_refused(
    records: tuple[dict[str, object], ...], reason: str
) -> None:
    urn = f"urn:dev:DVNUUID:{UUID}:"
    filled = [{k: (urn if v == "{urn}" else v) for k, v in r.items()} for r in records]
    with pytest.raises(BadPack, match=reason):
        check_pack("INTERNET", UUID, js(*filled), AT)


def test_token_is_sha256_of_body_then_secret() -> None:
    body, secret = b'[{"bn":"x"}]', "s3cret" * 6
    good = hashlib.sha256(body + secret.encode()).hexdigest()
    assert token_matches(body, secret, good)
    assert token_matches(body, secret, good.upper())
    assert not token_matches(body, secret, hashlib.sha256(secret.encode() + body).hexdigest())
    assert not token_matches(body + b" ", secret, good)
    assert not token_matches(body, secret, "")
    assert not token_matches(body, secret, "é" * 64)  # any header text: refused, no error
