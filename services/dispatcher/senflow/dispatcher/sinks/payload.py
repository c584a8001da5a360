"""What every sink sends: the SenML pack as compact JSON, and the headers an HTTPS
receiver gets with it (the test endpoint shows the same ones)."""

import hashlib
import hmac
import time

import orjson

from senflow.common.deliveries import Delivery


def body_of(delivery: Delivery) -> bytes:
    """The SenML pack as compact JSON: exactly the bytes that are sent and hashed."""
    return orjson.dumps([r.model_dump(exclude_none=True) for r in delivery.senml])


def message_token(body: bytes, secret: str) -> str:
    return hashlib.sha256(body + secret.encode()).hexdigest()


def signature(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def https_headers(
    delivery: Delivery,
    destination_id: str,
    body: bytes,
    secret: str | None,
    attempt: int,
    now: float | None = None,
) -> dict[str, str]:
    """Senflow's headers for `body`; without a secret there is nothing to sign with, so
    `Things-Message-Token` and `Senflow-Signature` are left out."""
    headers = {
        "Content-Type": "application/json",
        "Things-Plug-UUID": destination_id,
        "Senflow-Message-Id": delivery.message_id,
        "Senflow-Delivery-Id": delivery.delivery_id,
        "Senflow-Attempt": str(attempt),
    }
    if secret is not None:
        headers["Things-Message-Token"] = message_token(body, secret)
        headers["Senflow-Signature"] = signature(
            body, secret, int(time.time() if now is None else now)
        )
    return headers
