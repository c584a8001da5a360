"""Kafka topic destinations: an uplink becomes a record on the customer's topic, on the
platform's cluster or on an "external" one (here the same broker under its address)."""

import json
import secrets
import uuid
from datetime import datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from tests.support.api import Api, create_customer, create_route
from tests.support.kafka import TopicReader, create_topic, header, lora_uplink, produce
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def _expected_senml(dev_eui: str, uplink: bytes) -> list[dict[str, Any]]:
    received_at = json.loads(uplink)["received_at"]
    return [
        {
            "bn": f"urn:dev:DEVEUI:{dev_eui}:",
            "bt": datetime.fromisoformat(received_at).timestamp(),
            "n": "payload",
            "vs": "0A1B2C",
        },
        {"n": "port", "v": 2},
    ]


async def _customer_topic(platform: Platform) -> str:
    topic = f"acme-{secrets.token_hex(4)}.readings"
    await create_topic(platform.kafka_bootstrap, topic, partitions=3)
    return topic


async def test_uplink_is_a_record_on_the_customer_topic_with_key_headers_and_senml(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    topic = await _customer_topic(platform)
    reader = await TopicReader(platform.kafka_bootstrap, topic).start()
    try:
        config = {"topic": topic, "key_template": "{customer_id}/{device_id}"}
        route = await create_route(
            admin, platform.database_url, {"name": "k", "type": "kafka", "config": config}
        )
        uplink = lora_uplink(route.dev_eui, f_cnt=3, payload_hex="0a1b2c")
        await produce(producer, route.dev_eui, uplink)

        [record] = await reader.wait_for(lambda r: True)
        assert record.key == f"{route.customer_id}/{route.device_id}".encode()
        assert json.loads(record.value) == _expected_senml(route.dev_eui, uplink)
        assert b" " not in record.value  # compact JSON, as the HTTPS body
        assert header(record, h.MESSAGE_ID)
        assert header(record, h.DELIVERY_ID) not in (None, header(record, h.MESSAGE_ID))
        assert header(record, h.DEVICE_ID) == route.device_id
        assert header(record, h.FLOW_ID) == route.flow_id
        assert header(record, h.DESTINATION_ID) == route.destination_id
        assert (header(record, h.DECODER) or "").startswith("lora-raw@")
    finally:
        await reader.stop()


async def test_external_cluster_is_written_to_when_its_address_is_allow_listed(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    # The platform allow-lists 127.0.0.1/32 in tests, and its broker listens there.
    port = platform.kafka_bootstrap.split(",")[0].rsplit(":", 1)[1]
    topic = await _customer_topic(platform)
    reader = await TopicReader(platform.kafka_bootstrap, topic).start()
    try:
        config = {"topic": topic, "bootstrap": f"127.0.0.1:{port}"}
        route = await create_route(
            admin, platform.database_url, {"name": "ext", "type": "kafka", "config": config}
        )
        uplink = lora_uplink(route.dev_eui, f_cnt=1, payload_hex="0A1B2C")
        await produce(producer, route.dev_eui, uplink)

        [record] = await reader.wait_for(lambda r: True)
        assert record.key == route.device_id.encode()  # the default template
        assert json.loads(record.value) == _expected_senml(route.dev_eui, uplink)
        assert header(record, h.DESTINATION_ID) == route.destination_id
    finally:
        await reader.stop()


@pytest.mark.parametrize(
    ("config", "secret", "field"),
    [
        ({"topic": "senflow.deliveries.v1"}, None, "config.topic"),
        ({"topic": "senflow.registry.destinations.v1"}, None, "config.topic"),
        ({"topic": "acme.readings", "key_template": "{device}"}, None, "config.key_template"),
        (
            {
                "topic": "acme.readings",
                "bootstrap": "kafka.acme.example:9093",
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-256",
                "sasl_username": "writer",
            },
            None,
            "secret",
        ),
        ({"topic": "acme.readings", "security_protocol": "SSL"}, None, "config.security_protocol"),
    ],
)
async def test_kafka_destination_is_refused_with_the_field_at_fault(
    admin: Api, config: dict[str, Any], secret: str | None, field: str
) -> None:
    _, api = await create_customer(admin)
    body = {"name": "k", "type": "kafka", "config": config, "secret": secret}
    resp = await api.call("POST", "/destinations", body)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]]


async def test_a_platform_topic_is_its_first_customers_alone(admin: Api) -> None:
    _, first = await create_customer(admin)
    _, second = await create_customer(admin)
    topic = f"acme.owned.{uuid.uuid4().hex[:8]}"
    kafka = {"name": "k", "type": "kafka", "config": {"topic": topic}}
    await first.ok("POST", "/destinations", kafka)
    await first.ok("POST", "/destinations", kafka)  # the owner may use it again

    refused = await second.call("POST", "/destinations", kafka)
    assert refused.status_code == 409, refused.text
    assert "another customer" in refused.json()["detail"]
    mine = await second.ok(
        "POST", "/destinations", {**kafka, "config": {"topic": f"{topic}.second"}}
    )
    moved = await second.call("PATCH", f"/destinations/{mine['id']}", {"config": {"topic": topic}})
    assert moved.status_code == 409, moved.text
