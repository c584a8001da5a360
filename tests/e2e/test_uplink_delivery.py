"""One uplink from a LoRa device to an HTTPS destination, through all three services."""

import hashlib
import json
from datetime import datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_tenant
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


async def test_uplink_reaches_webhook_as_senml_with_valid_token(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        uplink = lora_uplink(tenant.dev_eui.lower(), f_cnt=7, payload_hex="0a1B2c")
        await produce(producer, tenant.dev_eui, uplink)

        [request] = await receiver.wait_accepted(1)
        received_at = json.loads(uplink)["received_at"]
        assert json.loads(request.body) == [
            {
                "bn": f"urn:dev:DEVEUI:{tenant.dev_eui}:",
                "bt": datetime.fromisoformat(received_at).timestamp(),
                "n": "payload",
                "vs": "0A1B2C",
            },
            {"n": "port", "v": 2},
        ]
        assert request.token_valid
        assert (
            request.headers["Things-Message-Token"]
            == hashlib.sha256(request.body + tenant.destination_secret.encode()).hexdigest()
        )
        assert request.headers["Things-Plug-UUID"] == tenant.destination_id
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Senflow-Attempt"] == "1"
        assert request.headers["Senflow-Message-Id"]
        assert request.headers["Senflow-Delivery-Id"] != request.headers["Senflow-Message-Id"]
        metrics = await _metrics(platform.env["DISPATCHER_HTTP_PORT"])
        assert metrics['senflow_dispatcher_delivered_total{destination_type="https"}'] >= 1
    finally:
        await receiver.stop()


async def test_unknown_device_is_dead_lettered_and_router_keeps_going_when_next_is_valid(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        unknown = "FFFF" + tenant.dev_eui[4:]
        # The same record key: both on one partition, the valid one right behind the bad one.
        await produce(producer, tenant.dev_eui, lora_uplink(unknown, f_cnt=1))
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=2))

        [dead] = await dead_letters.wait_for(
            lambda r: (
                header(r, h.DLQ_REASON) == "unknown-device"
                and unknown in (header(r, h.DLQ_DETAIL) or "")
            )
        )
        assert header(dead, h.DLQ_REASON) == "unknown-device"
        assert unknown in (header(dead, h.DLQ_DETAIL) or "")
        assert json.loads(dead.value)["dev_eui"] == unknown  # the raw uplink is kept
        [request] = await receiver.wait_accepted(1)
        assert request.token_valid
    finally:
        await receiver.stop()
        await dead_letters.stop()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\x00 not json", "invalid-uplink"),
        (b'{"dev_eui": "XYZ", "f_port": 1}', "invalid-uplink"),
        (b"", "invalid-uplink"),
    ],
)
async def test_malformed_uplink_is_dead_lettered_with_cause(
    platform: Platform, producer: AIOKafkaProducer, value: bytes, reason: str
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    key = "malformed-" + hashlib.sha1(value).hexdigest()[:8]
    try:
        await produce(producer, key, value)
        [dead] = await dead_letters.wait_for(lambda r: r.key == key.encode())
        assert header(dead, h.DLQ_REASON) == reason
        assert dead.value == value
    finally:
        await dead_letters.stop()


async def _metrics(port: str) -> dict[str, float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    return {name: float(value) for name, value in samples}
