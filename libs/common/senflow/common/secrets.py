"""Sealing of secrets that travel between services (AES-256-GCM under the platform key).

The registry seals a destination's or device's secret before it enters a change event;
only services holding `SENFLOW_SECRETS_KEY` can open it. The entity id is bound in as
associated data, so a sealed secret copied onto another entity does not open.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from senflow.common.errors import SecretError

_PREFIX = "v1:"


def parse_key(encoded: str) -> bytes:
    """Decode a platform key (urlsafe base64 of 32 bytes); errors say what is wrong."""
    try:
        key = base64.urlsafe_b64decode(encoded.encode() + b"=" * (-len(encoded) % 4))
    except ValueError as err:
        raise ValueError("secrets key must be urlsafe base64") from err
    if len(key) != 32:
        raise ValueError("secrets key must decode to 32 bytes")
    return key


def generate_key() -> str:
    """A fresh platform key, as `parse_key` reads it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def seal(key: bytes, plaintext: str, bound_to: str) -> str:
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + ct).decode()


def credential_binding(entity_id: str) -> str:
    """What an entity's second secret (an HTTPS destination's authentication credential) is
    bound to: not the id alone, so its sealed secret cannot pass for it, nor it for that."""
    return f"{entity_id}:credential"


def open_sealed(key: bytes, sealed: str, bound_to: str) -> str:
    if not sealed.startswith(_PREFIX):
        raise SecretError("unknown sealed-secret format")
    raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :].encode())
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
    except InvalidTag as err:
        raise SecretError("sealed secret does not open with this key for this entity") from err
