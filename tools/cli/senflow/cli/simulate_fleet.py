"""The devices a simulation sends as: created through the registry API, or found there.

Creating is the main path: the simulator then knows every identifier and secret (it
chooses them). It registers the devices with one all-or-nothing bulk import, adds them to
a flow if asked, and returns once the registry's change events are on Kafka, so the first
uplink already finds its device. The admin token owns no devices: with it, a customer and
an API key are created for the run (returned, so a later run can reuse the devices).
"""

from dataclasses import dataclass
from typing import Any

from senflow.cli.simulate_devices import (
    KINDS,
    DeviceType,
    SimDevice,
    device_name,
    network_info,
    new_identifier,
    secret_for,
)
from senflow.cli.simulate_errors import InvalidPlan
from senflow.cli.simulate_published import PublishedWatch
from senflow.cli.simulate_registry import SimulatorRegistry, is_customer_key

SIMULATOR_CUSTOMER = "senflow simulate"


@dataclass(frozen=True)
class Fleet:
    devices: list[SimDevice]
    # Set when the admin token was given: the customer created for the run, and its key.
    new_customer_id: str | None = None
    new_customer_key: str | None = None


def default_name_prefix(device_type: DeviceType) -> str:
    return f"sim-{device_type.value}"


async def create_fleet(
    registry: SimulatorRegistry,
    kafka_bootstrap: str,
    device_type: DeviceType,
    count: int,
    name_prefix: str,
    flow_id: str | None = None,
) -> Fleet:
    """Register `count` new devices of the type (named `<prefix>-00001`, …), in the flow
    if given; return once the platform can see them."""
    if flow_id and not is_customer_key(registry.token):
        raise InvalidPlan("--flow needs an API key of the flow's customer (SENFLOW_API_TOKEN)")
    kind = KINDS[device_type]
    watch = PublishedWatch(kafka_bootstrap)
    try:
        # First: it waits for what comes after this, and an unreachable Kafka leaves
        # nothing created behind.
        await watch.start()
        customer_id = customer_key = None
        if not is_customer_key(registry.token):
            customer_id, customer_key = await registry.create_customer_key(SIMULATOR_CUSTOMER)
            registry = registry.as_customer(customer_key)
        if flow_id:  # before the devices: a wrong id would leave them behind
            await registry.get_flow(flow_id)
        identifiers = [new_identifier(kind.network_type) for _ in range(count)]
        devices_secrets = [secret_for(kind.network_type, registry.token, i) for i in identifiers]
        device_ids = await registry.import_devices(
            [
                {
                    "name": device_name(name_prefix, number),
                    "specification_id": kind.specification_id,
                    "network_info": network_info(kind.network_type, identifier, secret),
                }
                for number, (identifier, secret) in enumerate(
                    zip(identifiers, devices_secrets, strict=True), start=1
                )
            ]
        )
        versions = dict.fromkeys(device_ids, 1)
        if flow_id:
            versions[flow_id] = await registry.add_to_flow(flow_id, device_ids)
        await watch.wait_for(versions)
    finally:
        await watch.stop()
    devices = [
        SimDevice(device_id, kind.network_type, identifier, secret)
        for device_id, identifier, secret in zip(
            device_ids, identifiers, devices_secrets, strict=True
        )
    ]
    return Fleet(devices, customer_id, customer_key)


async def find_fleet(
    registry: SimulatorRegistry,
    device_type: DeviceType,
    count: int,
    name_prefix: str,
    project_id: str | None = None,
) -> Fleet:
    """Up to `count` active devices of the type named `<prefix>-…` (oldest first), in the
    project's flows if given. Internet and M2M devices sign with the secret the simulator
    derives from this API key: devices it did not create with the key are refused (401)."""
    if not is_customer_key(registry.token):
        raise InvalidPlan("--reuse needs the API key of the devices' customer (SENFLOW_API_TOKEN)")
    network_type = KINDS[device_type].network_type

    def identity(device: dict[str, Any]) -> str | None:
        for info in device["network_info"]:
            if info["network_type"] == network_type:
                return str(info["identifier"])
        return None

    def wanted(device: dict[str, Any]) -> bool:
        named = str(device["name"]).startswith(f"{name_prefix}-")
        return named and device["status"] == "active" and identity(device) is not None

    found = await registry.list_devices(name_prefix, project_id, wanted, count)
    if not found:
        where = f" in project {project_id}" if project_id else ""
        raise InvalidPlan(
            f"no active {device_type.value} devices named {name_prefix}-…{where}:"
            " create some with --create"
        )
    devices = []
    for device in found:
        identifier = identity(device)
        assert identifier is not None  # `wanted` kept only those with one
        secret = secret_for(network_type, registry.token, identifier)
        devices.append(SimDevice(str(device["id"]), network_type, identifier, secret))
    return Fleet(devices)
