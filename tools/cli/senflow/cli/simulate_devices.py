"""The simulated devices: their types, identities and secrets. Pure (but for randomness).

Each device type goes through the platform's own interface for it: `lora` as a LoRaWAN
network server would (raw uplinks on Kafka), `internet` and `m2m` as devices posting SenML
to the HTTP ingest, `mqtt` as devices publishing to the broker.

The registry never returns a device's secret, yet the simulator must sign as its devices
(Internet, M2M) or log in as them (MQTT). So the devices it creates get a secret derived
from the API key that created them and their identifier (HMAC-SHA256): a later run with
the same key finds them through the API and derives the same secrets.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from senflow.common.events import NetworkType
from senflow.common.senml import network_urn

JOIN_EUI = "70B3D57ED0000000"  # any valid JoinEUI: the simulator never joins


class DeviceType(StrEnum):
    lora = "lora"
    internet = "internet"
    m2m = "m2m"
    mqtt = "mqtt"


@dataclass(frozen=True)
class DeviceKind:
    network_type: NetworkType
    specification_id: str
    decoder_id: str  # a decoder the simulator's payloads suit, for a flow of these devices


KINDS: dict[DeviceType, DeviceKind] = {
    DeviceType.lora: DeviceKind("KPNLORA", "own-lora", "cayenne-lpp"),
    DeviceType.internet: DeviceKind("INTERNET", "generic-internet", "senml"),
    DeviceType.m2m: DeviceKind("M2M", "generic-m2m", "senml"),
    DeviceType.mqtt: DeviceKind("MQTT", "generic-mqtt", "senml"),
}


@dataclass(frozen=True)
class SimDevice:
    """A registered device the simulator sends as. `secret`: the shared secret (Internet,
    M2M) or MQTT password; None for LoRa, whose network server needs none."""

    device_id: str
    network_type: NetworkType
    identifier: str
    secret: str | None = None

    @property
    def urn(self) -> str:
        return network_urn(self.network_type, self.identifier)


def derived_secret(api_key: str, identifier: str) -> str:
    """40 hex digits: a valid device shared secret (30-100 letters and digits)."""
    digest = hmac.new(api_key.encode(), f"senflow-simulate:{identifier}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def with_luhn_digit(digits: str) -> str:
    """`digits` followed by its Luhn check digit (how an IMEI ends)."""
    total = 0
    # Doubling starts at the digit next to the check digit, i.e. the last of `digits`.
    for position, char in enumerate(reversed(digits)):
        d = int(char)
        if position % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def new_identifier(network_type: NetworkType) -> str:
    """A fresh, random identifier of the network's form (collisions are left to chance:
    64 bits for a DevEUI, 122 for a DvnUUID, 48 for a client id, ~40 for an IMEI)."""
    if network_type == "KPNLORA":
        return secrets.token_hex(8).upper()
    if network_type == "INTERNET":
        return str(uuid.uuid4())
    if network_type == "M2M":
        # 35: a real reporting body prefix; then 12 random digits and the check digit.
        return with_luhn_digit(f"35{secrets.randbelow(10**12):012d}")
    return f"sim-{secrets.token_hex(6)}"


def secret_for(network_type: NetworkType, api_key: str, identifier: str) -> str | None:
    return None if network_type == "KPNLORA" else derived_secret(api_key, identifier)


def network_info(network_type: NetworkType, identifier: str, secret: str | None) -> dict[str, Any]:
    """The `network_info` of a device to register, as the registry API takes it."""
    if network_type == "KPNLORA":
        return {
            "KPNLORA": {
                "dev_eui": identifier,
                "join_eui": JOIN_EUI,
                "app_key": secrets.token_hex(16).upper(),
            }
        }
    if network_type == "INTERNET":
        return {"INTERNET": {"dvn_uuid": identifier, "shared_secret": secret}}
    if network_type == "M2M":
        return {"M2M": {"imei": identifier, "shared_secret": secret}}
    # A broker that ties client ids to user names (infra/mosquitto) needs both equal.
    return {"MQTT": {"client_id": identifier, "username": identifier, "password": secret}}


def device_name(prefix: str, number: int) -> str:
    return f"{prefix}-{number:05d}"
