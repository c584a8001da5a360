"""Registry validation rules and the sealing of secrets between services."""

import pytest

from senflow.common.errors import SecretError
from senflow.common.secrets import generate_key, open_sealed, parse_key, seal
from senflow.registry.domain import api_keys, rules
from senflow.registry.errors import InvalidField, Unauthorized


@pytest.mark.parametrize("value", ["0123456789abcdef", "ABCDEF0123456789"])
def test_eui_is_accepted_and_upper_cased(value: str) -> None:
    assert rules.eui("dev_eui", value) == value.upper()


@pytest.mark.parametrize("value", ["0123", "0123456789abcdeg", "0123456789abcdef0", ""])
def test_eui_is_refused_when_not_16_hex_digits(value: str) -> None:
    with pytest.raises(InvalidField) as err:
        rules.eui("dev_eui", value)
    assert err.value.field == "dev_eui"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("Aa1!" * 7, "at least 32"),
        ("abcdefghijklmnopqrstuvwxyz012345!", "upper-case"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345!", "lower-case"),
        ("Abcdefghijklmnopqrstuvwxyzabcdef!", "a digit"),
        ("Abcdefghijklmnopqrstuvwxyz0123456", "special"),
    ],
)
def test_destination_secret_is_refused_with_reason_when_weak(secret: str, reason: str) -> None:
    with pytest.raises(InvalidField) as err:
        rules.destination_secret("secret", secret)
    assert reason in err.value.reason


def test_destination_secret_is_accepted_when_strong() -> None:
    secret = "Abcdefghijklmnopqrstuvwxyz012345!"
    assert rules.destination_secret("secret", secret) == secret


def test_sealed_secret_opens_only_for_its_entity_and_key() -> None:
    key = parse_key(generate_key())
    sealed = seal(key, "Sup3r-secret!", bound_to="dest-1")
    assert "Sup3r" not in sealed
    assert open_sealed(key, sealed, bound_to="dest-1") == "Sup3r-secret!"
    with pytest.raises(SecretError):
        open_sealed(key, sealed, bound_to="dest-2")
    with pytest.raises(SecretError):
        open_sealed(parse_key(generate_key()), sealed, bound_to="dest-1")


def test_api_key_matches_only_its_own_secret() -> None:
    new = api_keys.generate()
    prefix, secret = api_keys.split(new.plaintext)
    assert prefix == new.prefix
    assert api_keys.matches(secret, new.secret_hash)
    assert not api_keys.matches(secret + "x", new.secret_hash)


@pytest.mark.parametrize("presented", ["", "sfk_", "sfk__x", "abc_def_ghi", "sfk_abc"])
def test_malformed_api_key_is_unauthorized(presented: str) -> None:
    with pytest.raises(Unauthorized):
        api_keys.split(presented)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"things-plug-uuid": "x"}, "set by the platform"),
        ({"Content-Type": "text/plain"}, "set by the platform"),
        ({"bad name": "x"}, "not a valid header name"),
        ({"X-Ok": "a\r\nInjected: 1"}, "not a valid header value"),
    ],
)
def test_static_headers_are_refused_when_they_clash_or_are_malformed(
    headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(InvalidField) as err:
        rules.static_headers("config.headers", headers)
    assert reason in err.value.reason


def test_static_headers_are_accepted_when_valid() -> None:
    assert rules.static_headers("config.headers", {"X-Tenant": "acme"}) == {"X-Tenant": "acme"}
