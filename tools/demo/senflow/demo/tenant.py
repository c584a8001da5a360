"""The demo's customer: an API key, a project, an HTTPS destination to the local receiver
and a flow from LoRa devices (Cayenne LPP) to it, made through the registry API."""

import secrets
from dataclasses import dataclass

from senflow.cli.simulate_devices import KINDS, DeviceType
from senflow.cli.simulate_registry import SimulatorRegistry


@dataclass(frozen=True)
class Tenant:
    api: SimulatorRegistry  # with the customer's API key
    customer_id: str
    destination_id: str
    destination_secret: str
    flow_id: str


def new_destination_secret() -> str:
    # The registry wants upper- and lower-case letters, a digit and a special character.
    return "Demo-" + secrets.token_hex(16) + "!Aa1"


async def create_tenant(admin: SimulatorRegistry, receiver_url: str, secret: str) -> Tenant:
    customer_id, key = await admin.create_customer_key("Demo customer")
    api = admin.as_customer(key)
    project = await api.request("POST", "/projects", {"name": "Demo project"})
    destination = await api.request(
        "POST",
        "/destinations",
        {
            "name": "Local receiver",
            "type": "https",
            "config": {"url": receiver_url},
            "secret": secret,
        },
    )
    flow = await api.request(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "Demo flow",
            "destination_ids": [destination["id"]],
            "decoder_ids": [KINDS[DeviceType.lora].decoder_id],
        },
    )
    return Tenant(api, customer_id, str(destination["id"]), secret, str(flow["id"]))
