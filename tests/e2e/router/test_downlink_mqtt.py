"""MQTT devices get their downlinks on `senflow/devices/<client id>/down`: the bridge
publishes each executing downlink there with QoS 1 and the registry then shows it `sent`.

The devices are in no flow, so the router's executor sends each command as it is (a SenML
command as SenML JSON, a raw payload as its bytes).
"""

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any

import aiomqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.api import Api, create_customer, wait_downlink_status, wait_outbox_drained
from tests.support.mosquitto import MqttBroker
from tests.support.mqtt_bridge import running_bridge
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

WITHIN_S = 30.0
INTERVAL = [{"n": "interval", "v": 60}]


@pytest.fixture(scope="module")
def bridge(platform: Platform, mqtt_broker: MqttBroker) -> Iterator[ServiceProcess]:
    with running_bridge(
        platform,
        mqtt_broker,
        "mqtt-bridge-downlinks.log",
        # Its own downlink group too, whatever else runs.
        MQTT_BRIDGE_DOWNLINK_GROUP_ID=f"senflow-mqtt-bridge-downlinks-{secrets.token_hex(4)}",
        MQTT_BRIDGE_RECONNECT_INITIAL_S="0.2",
        MQTT_BRIDGE_RECONNECT_MAX_S="2",
    ) as service:
        yield service


async def mqtt_device(platform: Platform, admin: Api) -> tuple[Api, str, str]:
    """A new customer's MQTT device in no flow: its API, device id and client id."""
    _, api = await create_customer(admin)
    client_id = f"valve-{secrets.token_hex(6)}"
    body = {
        "name": "v",
        "specification_id": "generic-mqtt",
        "network_info": {"MQTT": {"client_id": client_id}},
    }
    device = await api.ok("POST", "/devices", body)
    await wait_outbox_drained(platform.database_url)
    return api, device["id"], client_id


def device_client(broker: MqttBroker, client_id: str, persistent: bool = False) -> aiomqtt.Client:
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if persistent:
        props.SessionExpiryInterval = 300  # the broker keeps its subscription and messages
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=not persistent,
        properties=props,
    )


async def queue(api: Api, device_id: str, command: dict[str, Any]) -> str:
    created = await api.ok(
        "POST", f"/devices/{device_id}/downlinks", {"command": command, "ttl_s": 600}
    )
    return str(created["id"])


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    async with asyncio.timeout(WITHIN_S):
        return await anext(aiter(client.messages))


def user_properties(message: aiomqtt.Message) -> dict[str, str]:
    return dict(getattr(message.properties, "UserProperty", []))


def prop(message: aiomqtt.Message, name: str) -> Any:
    """An MQTT v5 property of the message (paho sets them as attributes), or None."""
    return getattr(message.properties, name, None)


async def test_mqtt_device_gets_its_downlinks_on_its_down_topic_and_they_are_sent(
    platform: Platform, admin: Api, mqtt_broker: MqttBroker, bridge: ServiceProcess
) -> None:
    api, device_id, client_id = await mqtt_device(platform, admin)
    async with device_client(mqtt_broker, client_id) as device:
        await device.subscribe(f"senflow/devices/{client_id}/down", qos=1)

        senml_id = await queue(api, device_id, {"senml": INTERVAL})
        message = await next_message(device)
        assert message.topic.value == f"senflow/devices/{client_id}/down"
        assert message.qos == 1
        assert not message.retain
        assert json.loads(message.payload) == INTERVAL
        assert prop(message, "ContentType") == "application/senml+json"
        assert user_properties(message) == {"senflow-downlink-id": senml_id}
        assert 0 < prop(message, "MessageExpiryInterval") <= 600
        sent = await wait_downlink_status(api, senml_id, "sent", "failed", "expired")
        assert sent["status"] == "sent"

        raw_id = await queue(api, device_id, {"payload_hex": "0164"})
        message = await next_message(device)
        assert message.payload == b"\x01\x64"
        assert prop(message, "ContentType") == "application/octet-stream"
        assert user_properties(message) == {"senflow-downlink-id": raw_id}
        assert (await wait_downlink_status(api, raw_id, "sent", "failed"))["status"] == "sent"


async def test_device_away_in_a_persistent_session_gets_its_downlink_when_it_is_back(
    platform: Platform, admin: Api, mqtt_broker: MqttBroker, bridge: ServiceProcess
) -> None:
    api, device_id, client_id = await mqtt_device(platform, admin)
    async with device_client(mqtt_broker, client_id, persistent=True) as device:
        await device.subscribe(f"senflow/devices/{client_id}/down", qos=1)

    downlink_id = await queue(api, device_id, {"senml": INTERVAL})
    await wait_downlink_status(api, downlink_id, "sent")  # the broker holds it for the device

    async with device_client(mqtt_broker, client_id, persistent=True) as device:
        message = await next_message(device)
    assert json.loads(message.payload) == INTERVAL
    assert user_properties(message) == {"senflow-downlink-id": downlink_id}


async def test_downlink_of_another_device_is_not_on_this_devices_down_topic(
    platform: Platform, admin: Api, mqtt_broker: MqttBroker, bridge: ServiceProcess
) -> None:
    api, device_id, client_id = await mqtt_device(platform, admin)
    _, _, other_client_id = await mqtt_device(platform, admin)
    async with (
        device_client(mqtt_broker, client_id) as device,
        device_client(mqtt_broker, other_client_id) as other,
    ):
        await device.subscribe(f"senflow/devices/{client_id}/down", qos=1)
        await other.subscribe(f"senflow/devices/{other_client_id}/down", qos=1)
        downlink_id = await queue(api, device_id, {"payload_hex": "AA"})
        assert (await next_message(device)).payload == b"\xaa"
        await wait_downlink_status(api, downlink_id, "sent")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):
                await anext(aiter(other.messages))
