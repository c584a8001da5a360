"""An HTTPS destination's authentication header, and how a request's headers are layered:
the static headers, then authentication, then Senflow's own, each replacing an earlier
header of the same name (header names ignore case)."""

import base64
from collections.abc import Mapping

from senflow.common.events import HttpsAuth
from senflow.dispatcher.errors import DeliveryFailed


def auth_headers(auth: HttpsAuth, credential: str | None) -> dict[str, str]:
    """`Authorization: Basic|Bearer …`, or the API key in its header; none for `none`."""
    if auth.type == "none":
        return {}
    if credential is None:
        raise _misconfigured(f"{auth.type} authentication without a credential")
    if auth.type == "basic":
        if auth.username is None:
            raise _misconfigured("basic authentication without a user name")
        pair = f"{auth.username}:{credential}".encode()  # RFC 7617, UTF-8
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if auth.type == "bearer":
        return {"Authorization": f"Bearer {credential}"}
    return {auth.header: credential}


def _misconfigured(detail: str) -> DeliveryFailed:
    return DeliveryFailed("destination-misconfigured", detail, retriable=False)


def layered(*layers: Mapping[str, str]) -> dict[str, str]:
    """The headers of all `layers`, a later layer's replacing an earlier one's."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged.pop(name.lower(), None)
            merged[name.lower()] = (name, value)
    return dict(merged.values())
