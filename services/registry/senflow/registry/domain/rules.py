"""Validation rules of the management model. Pure: values in, `InvalidField` out."""

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from senflow.registry.errors import InvalidField

_HEX16 = re.compile(r"^[0-9A-Fa-f]{16}$")
_HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")
_SPECIAL = re.compile(r"[^0-9A-Za-z]")
_DEVICE_SECRET = re.compile(r"^[0-9a-zA-Z]{30,100}$")
_MQTT_CLIENT_ID = re.compile(r"^[0-9A-Za-z._:-]{1,128}$")


def eui(field: str, value: str) -> str:
    """A DevEUI/JoinEUI: 16 hex digits, returned upper-case (the canonical form)."""
    if not _HEX16.match(value):
        raise InvalidField(field, "must be 16 hexadecimal digits (EUI-64)")
    return value.upper()


def app_key(field: str, value: str) -> str:
    if not _HEX32.match(value):
        raise InvalidField(field, "must be 32 hexadecimal digits")
    return value.upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def imei(field: str, value: str) -> str:
    if not (len(value) == 15 and value.isdigit()):
        raise InvalidField(field, "must be 15 digits")
    if not luhn_valid(value):
        raise InvalidField(field, "has a wrong check digit (Luhn)")
    return value


def iccid(field: str, value: str) -> str:
    if not (19 <= len(value) <= 20 and value.isdigit()):
        raise InvalidField(field, "must be 19 or 20 digits")
    return value


def dvn_uuid(field: str, value: str) -> str:
    """A DvnUUID, returned in canonical lower-case form."""
    try:
        return str(uuid.UUID(value))
    except ValueError as err:
        raise InvalidField(field, "must be a UUID") from err


def device_secret(field: str, value: str) -> str:
    if not _DEVICE_SECRET.match(value):
        raise InvalidField(field, "must be 30 to 100 letters and digits")
    return value


def mqtt_client_id(field: str, value: str) -> str:
    if not _MQTT_CLIENT_ID.match(value):
        raise InvalidField(field, "must be 1 to 128 of letters, digits and . _ : -")
    return value


def destination_secret(field: str, value: str) -> str:
    """≥ 32 characters with an upper-case letter, a lower-case letter, a digit and a special."""
    if len(value) < 32:
        raise InvalidField(field, "must be at least 32 characters")
    missing = [
        what
        for what, ok in (
            ("an upper-case letter", any(c.isupper() for c in value)),
            ("a lower-case letter", any(c.islower() for c in value)),
            ("a digit", any(c.isdigit() for c in value)),
            ("a special character", bool(_SPECIAL.search(value))),
        )
        if not ok
    ]
    if missing:
        raise InvalidField(field, "must contain " + ", ".join(missing))
    return value


def destination_url(field: str, value: str) -> str:
    """An absolute https:// URL; plain http:// only for a receiver on this machine."""
    parts = urlsplit(value)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise InvalidField(field, "must be an absolute https:// URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InvalidField(field, "must use https:// (http:// is for localhost receivers only)")
    if parts.username or parts.password:
        raise InvalidField(field, "must not carry credentials; use headers or authentication")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Headers the platform sets on every delivery; a static header may not override them.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "things-plug-uuid",
        "things-message-token",
        "senflow-message-id",
        "senflow-delivery-id",
        "senflow-attempt",
        "senflow-signature",
    }
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")


def header_name(field: str, name: str) -> str:
    """A header an HTTPS destination may set: a valid name, none the platform sets."""
    if not _HEADER_NAME.match(name):
        raise InvalidField(field, f"{name!r} is not a valid header name")
    if name.lower() in RESERVED_HEADERS:
        raise InvalidField(field, f"{name} is set by the platform")
    return name


def static_headers(field: str, headers: dict[str, str]) -> dict[str, str]:
    """Additional headers of an HTTPS destination: valid names, none the platform sets."""
    if len(headers) > 20:
        raise InvalidField(field, "at most 20 headers")
    for name, value in headers.items():
        header_name(field, name)
        if "\r" in value or "\n" in value or len(value) > 4096:
            raise InvalidField(field, f"the value of {name} is not a valid header value")
    return headers
