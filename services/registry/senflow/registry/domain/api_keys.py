"""API keys: `sfk_<prefix>_<secret>`. Only the SHA-256 of the secret is stored.

The secret has 256 bits of entropy, so a plain hash is enough (no password stretching
needed); the prefix finds the row without scanning.
"""

import hashlib
import secrets
from dataclasses import dataclass

from senflow.registry.errors import Unauthorized


@dataclass(frozen=True)
class NewApiKey:
    prefix: str
    secret_hash: bytes
    plaintext: str


def generate() -> NewApiKey:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(prefix, hash_secret(secret), f"sfk_{prefix}_{secret}")


def split(plaintext: str) -> tuple[str, str]:
    """(prefix, secret) of a presented key; a malformed key is unauthorised."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != "sfk" or not parts[1] or not parts[2]:
        raise Unauthorized("malformed API key")
    return parts[1], parts[2]


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def matches(secret: str, stored_hash: bytes) -> bool:
    return secrets.compare_digest(hash_secret(secret), stored_hash)
