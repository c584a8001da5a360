"""Validation rules of the management model. Pure: values in, `InvalidField` out."""

import re
from urllib.parse import urlsplit

from senflow.registry.errors import InvalidField

_HEX16 = re.compile(r"^[0-9A-Fa-f]{16}$")
_HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")
_SPECIAL = re.compile(r"[^0-9A-Za-z]")


def eui(field: str, value: str) -> str:
    """A DevEUI/JoinEUI: 16 hex digits, returned upper-case (the canonical form)."""
    if not _HEX16.match(value):
        raise InvalidField(field, "must be 16 hexadecimal digits (EUI-64)")
    return value.upper()


def app_key(field: str, value: str) -> str:
    if not _HEX32.match(value):
        raise InvalidField(field, "must be 32 hexadecimal digits")
    return value.upper()


def destination_secret(field: str, value: str) -> str:
    """≥ 32 characters with an upper-case letter, a lower-case letter, a digit and a special."""
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
    if len(value) < 32:
        raise InvalidField(field, "must be at least 32 characters")
    if missing:
        raise InvalidField(field, "must contain " + ", ".join(missing))
    return value


def destination_url(field: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidField(field, "must be an absolute https:// URL")
    return value
