"""A device's identity on one network type, normalised from what the customer sent.

Pure. The identifier is what uplinks are routed by (unique platform-wide per type);
the secret (AppKey, shared secret, MQTT password) is sealed before it is stored.
"""

from dataclasses import dataclass
from typing import Any

from senflow.common.events import NetworkType
from senflow.common.senml import network_urn
from senflow.registry.domain import rules
from senflow.registry.errors import InvalidField


@dataclass(frozen=True)
class NetworkIdentity:
    network_type: NetworkType
    identifier: str
    attributes: dict[str, str]
    secret: str | None

    @property
    def urn(self) -> str:
        return network_urn(self.network_type, self.identifier)


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidField(name, "is required")
    return value


def normalise(network_type: NetworkType, body: dict[str, Any]) -> NetworkIdentity:
    """Validate one network type's fields; `InvalidField` names the field at fault."""
    if network_type == "KPNLORA":
        return NetworkIdentity(
            network_type,
            rules.eui("dev_eui", _required(body, "dev_eui")),
            {"join_eui": rules.eui("join_eui", _required(body, "join_eui"))},
            rules.app_key("app_key", _required(body, "app_key")),
        )
    if network_type == "M2M":
        attributes = {}
        if body.get("iccid"):
            attributes["iccid"] = rules.iccid("iccid", _required(body, "iccid"))
        secret = body.get("shared_secret")
        return NetworkIdentity(
            network_type,
            rules.imei("imei", _required(body, "imei")),
            attributes,
            rules.device_secret("shared_secret", secret) if secret else None,
        )
    if network_type == "INTERNET":
        return NetworkIdentity(
            network_type,
            rules.dvn_uuid("dvn_uuid", _required(body, "dvn_uuid")),
            {},
            rules.device_secret("shared_secret", _required(body, "shared_secret")),
        )
    attributes = {"username": _required(body, "username")} if body.get("username") else {}
    return NetworkIdentity(
        network_type,
        rules.mqtt_client_id("client_id", _required(body, "client_id")),
        attributes,
        body.get("password") or None,
    )
