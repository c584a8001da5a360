"""MQTT broker destinations: an uplink is published to the customer's broker with QoS 1;
a broker that is down costs every attempt, then a dead letter with the reason."""

import asyncio
import json
import secrets

import aiomqtt
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_route
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.mosquitto import MqttBroker
from tests.support.platform import Platform
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e


async def _first_message(
    broker: MqttBroker, topic: str, subscribed: asyncio.Event
) -> aiomqtt.Message:
    async with aiomqtt.Client(
        broker.host, broker.port, protocol=aiomqtt.ProtocolVersion.V5
    ) as client:
        await client.subscribe(topic, qos=1)  # returns after the SUBACK
        subscribed.set()
        async for message in client.messages:
            return message
    raise AssertionError("the subscription ended without a message")


async def test_uplink_is_published_with_qos_1_as_senml_with_its_ids(
    platform: Platform, admin: Api, producer: AIOKafkaProducer, mqtt_broker: MqttBroker
) -> None:
    topic = f"acme/{secrets.token_hex(4)}/readings"
    subscribed = asyncio.Event()
    receiving = asyncio.create_task(_first_message(mqtt_broker, topic, subscribed))
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        config = {
            "host": mqtt_broker.host,
            "port": mqtt_broker.port,
            "tls": False,
            "topic": topic,
            "qos": 1,
        }
        route = await create_route(
            admin, platform.database_url, {"name": "m", "type": "mqtt", "config": config}
        )
        uplink = lora_uplink(route.dev_eui, f_cnt=5, payload_hex="01A2")
        await produce(producer, route.dev_eui, uplink)

        message = await asyncio.wait_for(receiving, 20)
        assert message.qos == 1
        assert str(message.topic) == topic
        assert isinstance(message.payload, bytes)
        senml = json.loads(message.payload)
        assert senml[0]["bn"] == f"urn:dev:DEVEUI:{route.dev_eui}:"
        assert senml[0]["vs"] == "01A2"
        assert senml[1] == {"n": "port", "v": 2}
        assert message.properties is not None
        # paho's Properties set their attributes dynamically
        ids = dict(message.properties.UserProperty)  # type: ignore[attr-defined]
        assert ids[h.MESSAGE_ID]
        assert ids[h.DELIVERY_ID] not in ("", ids[h.MESSAGE_ID])
        assert message.properties.ContentType == "application/json"  # type: ignore[attr-defined]
    finally:
        receiving.cancel()
        await asyncio.gather(receiving, return_exceptions=True)  # done, or cancelled now


async def test_delivery_is_dead_lettered_after_every_attempt_when_the_broker_is_down(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.DELIVERIES_DEADLETTER).start()
    try:
        config = {"host": "127.0.0.1", "port": free_port(), "tls": False, "topic": "acme/x"}
        route = await create_route(
            admin, platform.database_url, {"name": "down", "type": "mqtt", "config": config}
        )
        await produce(producer, route.dev_eui, lora_uplink(route.dev_eui, f_cnt=1))

        [dead] = await dead_letters.wait_for(
            lambda r: header(r, h.DESTINATION_ID) == route.destination_id, timeout_s=30
        )
        assert header(dead, h.DLQ_REASON) == "connection-failed"
        assert header(dead, h.DLQ_ATTEMPTS) == platform.env["DISPATCHER_MAX_ATTEMPTS"]
        assert json.loads(dead.value)["destination_id"] == route.destination_id
    finally:
        await dead_letters.stop()
