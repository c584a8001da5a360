"""MQTT devices publish to the broker; the MQTT bridge takes every message to Kafka (at
least once, in order per device) and the platform delivers it to the device's flows."""

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiomqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.uplinks import MAX_DIRECT_PAYLOAD_BYTES
from tests.support.api import Api, create_customer, wait_outbox_drained, webhook_flow
from tests.support.kafka import TopicReader, header
from tests.support.mosquitto import MqttBroker
from tests.support.mqtt_bridge import running_bridge
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


@dataclass
class MqttDevice:
    client_id: str
    device_id: str
    urn: str

    @property
    def topic(self) -> str:
        return f"senflow/devices/{self.client_id}/up"


@pytest.fixture(scope="module")
def bridge(platform: Platform, mqtt_broker: MqttBroker) -> Iterator[ServiceProcess]:
    with running_bridge(
        platform,
        mqtt_broker,
        "mqtt-bridge.log",
        MQTT_BRIDGE_RECONNECT_INITIAL_S="0.2",
        MQTT_BRIDGE_RECONNECT_MAX_S="2",
    ) as service:
        yield service


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(secret="").start()
    yield r
    await r.stop()


async def mqtt_device(platform: Platform, admin: Api, receiver: WebhookReceiver) -> MqttDevice:
    """A customer's MQTT device in a flow (SenML decoder) to an HTTPS destination."""
    _, api = await create_customer(admin)
    client_id = f"meter-{secrets.token_hex(6)}"
    device = await api.ok(
        "POST",
        "/devices",
        {
            "name": "m",
            "specification_id": "generic-mqtt",
            "network_info": {"MQTT": {"client_id": client_id}},
        },
    )
    _, receiver.secret = await webhook_flow(api, [device["id"]], receiver.url)
    await wait_outbox_drained(platform.database_url)
    return MqttDevice(client_id, device["id"], f"urn:dev:MQTT:{client_id}:")


def reading(n: int) -> bytes:
    return json.dumps([{"n": "counter", "v": n, "bt": 1_700_000_000 + n}]).encode()


def senml_json() -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ContentType = "application/senml+json"
    return props


def device_client(broker: MqttBroker, client_id: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host, broker.port, identifier=client_id, protocol=aiomqtt.ProtocolVersion.V5
    )


async def test_50_readings_are_delivered_in_order_with_their_values(
    platform: Platform,
    admin: Api,
    receiver: WebhookReceiver,
    mqtt_broker: MqttBroker,
    bridge: ServiceProcess,
) -> None:
    device = await mqtt_device(platform, admin, receiver)
    uplinks = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_RAW_DEVICE).start()
    try:
        async with device_client(mqtt_broker, device.client_id) as client:
            for n in range(50):  # each waits for the broker's PUBACK (QoS 1)
                await client.publish(device.topic, reading(n), qos=1, properties=senml_json())

        delivered = await receiver.wait_accepted(50, timeout_s=60)
        assert all(r.token_valid for r in delivered)
        assert [json.loads(r.body) for r in delivered] == [
            [{"bn": device.urn, "bt": 1_700_000_000 + n, "n": "counter", "v": n}] for n in range(50)
        ]
        message_ids = [r.headers["Senflow-Message-Id"] for r in delivered]
        assert len(set(message_ids)) == 50

        key = f"MQTT:{device.client_id}".encode()
        raw = await uplinks.wait_for(lambda r: r.key == key, count=50)
        first = json.loads(raw[0].value)
        assert first["network_type"] == "MQTT"
        assert first["identifier"] == device.client_id
        assert first["source"] == device.topic
        assert first["content_type"] == "application/senml+json"
        assert [header(r, h.MESSAGE_ID) for r in raw] == message_ids
    finally:
        await uplinks.stop()


async def test_invalid_topic_and_oversized_payload_are_dead_lettered_with_the_reason(
    platform: Platform,
    admin: Api,
    receiver: WebhookReceiver,
    mqtt_broker: MqttBroker,
    bridge: ServiceProcess,
) -> None:
    device = await mqtt_device(platform, admin, receiver)
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    run = secrets.token_hex(4).encode()
    try:
        bad_topic = "senflow/devices/bad id!/up"
        huge = run + b"x" * MAX_DIRECT_PAYLOAD_BYTES
        async with device_client(mqtt_broker, device.client_id) as client:
            await client.publish(bad_topic, b"reading " + run, qos=1)
            await client.publish(device.topic, huge, qos=1)
            await client.publish(device.topic, reading(7), qos=1)  # the device goes on

        [invalid] = await dead_letters.wait_for(
            lambda r: r.key == bad_topic.encode() and r.value == b"reading " + run
        )
        assert header(invalid, h.DLQ_REASON) == "invalid-mqtt-topic"
        assert header(invalid, h.DLQ_SOURCE) == f"mqtt:{bad_topic}"
        assert "bad id!" in (header(invalid, h.DLQ_DETAIL) or "")
        assert header(invalid, h.MESSAGE_ID)

        [too_large] = await dead_letters.wait_for(
            lambda r: r.key == device.topic.encode() and r.value.startswith(run)
        )
        assert header(too_large, h.DLQ_REASON) == "payload-too-large"
        assert len(too_large.value) == MAX_DIRECT_PAYLOAD_BYTES  # the first 64 KiB are kept

        [after] = await receiver.wait_accepted(1, timeout_s=30)
        assert json.loads(after.body)[0]["v"] == 7
    finally:
        await dead_letters.stop()


async def test_nothing_is_lost_when_the_bridge_is_killed_mid_stream(
    platform: Platform,
    admin: Api,
    receiver: WebhookReceiver,
    mqtt_broker: MqttBroker,
    bridge: ServiceProcess,
) -> None:
    device = await mqtt_device(platform, admin, receiver)
    uplinks = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_RAW_DEVICE).start()
    total = 200
    key = f"MQTT:{device.client_id}".encode()

    async def publish() -> None:
        async with device_client(mqtt_broker, device.client_id) as client:
            for n in range(total):
                await client.publish(device.topic, reading(n), qos=1)
                await asyncio.sleep(0.02)  # a stream, so the kill lands in the middle

    publishing = asyncio.create_task(publish())
    try:
        await uplinks.wait_for(lambda r: r.key == key, count=40, timeout_s=60)
        bridge.kill()  # SIGKILL: whatever it had not acknowledged stays with the broker
        await asyncio.sleep(0.5)  # the device keeps publishing; the broker queues it
        await asyncio.to_thread(bridge.start)
        await publishing

        async with asyncio.timeout(120):
            while True:
                values = {json.loads(r.body)[0]["v"] for r in receiver.accepted}
                if values >= set(range(total)):
                    break
                await asyncio.sleep(0.2)
        assert values == set(range(total)), "a reading was lost"
        assert all(r.token_valid for r in receiver.accepted)
    finally:
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)
        await uplinks.stop()
        if bridge.proc is None or bridge.proc.poll() is not None:
            await asyncio.to_thread(bridge.start)  # for the tests after this one
