"""`Things-Message-Token`: hex(sha256(body + secret)), KPN's proof that whoever sent a body
holds the shared secret. Devices send it to the ingest, the dispatcher sends it to
destinations, and a destination sends it with a command in its answer."""

import hashlib
import hmac

TOKEN_HEADER = "Things-Message-Token"


def message_token(body: bytes, secret: str) -> str:
    """The token for `body`: lowercase hex."""
    return hashlib.sha256(body + secret.encode()).hexdigest()


def token_matches(body: bytes, secret: str, token: str) -> bool:
    """Whether `token` is `message_token(body, secret)` (any case, surrounding spaces
    ignored), compared in constant time."""
    expected = message_token(body, secret).encode()
    # Bytes: compare_digest refuses non-ASCII text, and a header may carry anything.
    given = token.strip().lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected, given)
