"""The test endpoint: deliveries show up on GET /destinations/{id}/messages, newest first,
the latest 100 only; nobody else can read them."""

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support.api import Api, Route, create_customer, create_route
from tests.support.kafka import lora_uplink, produce
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

TEST_DESTINATION = {"name": "try-out", "type": "test", "config": {}}


async def _messages_until(route: Route, done: Any, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Poll the endpoint until `done(items)`: the API follows the topic asynchronously."""
    async with asyncio.timeout(timeout_s):
        while True:
            items: list[dict[str, Any]] = (
                await route.api.ok("GET", f"/destinations/{route.destination_id}/messages")
            )["items"]
            if done(items):
                return items
            await asyncio.sleep(0.2)


def _uplink_number(item: dict[str, Any]) -> int:
    return int(json.loads(item["body"])[0]["vs"], 16)


async def test_delivery_shows_up_with_the_headers_and_body_an_https_receiver_gets(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    route = await create_route(admin, platform.database_url, TEST_DESTINATION)
    await produce(producer, route.dev_eui, _uplink(route.dev_eui, 7))

    [item] = await _messages_until(route, lambda items: len(items) >= 1)
    assert _uplink_number(item) == 7
    assert json.loads(item["body"])[0]["bn"] == f"urn:dev:DEVEUI:{route.dev_eui}:"
    headers = item["headers"]
    assert headers["Things-Plug-UUID"] == route.destination_id
    assert headers["Content-Type"] == "application/json"
    assert headers["Senflow-Message-Id"] == item["message_id"]
    assert headers["Senflow-Delivery-Id"] == item["delivery_id"]
    assert "Things-Message-Token" not in headers  # no secret, nothing to sign with


async def test_latest_100_are_shown_newest_first_after_105_uplinks(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    route = await create_route(admin, platform.database_url, TEST_DESTINATION)
    for n in range(105):
        await producer.send(
            topics.UPLINKS_RAW_LORA, key=route.dev_eui.encode(), value=_uplink(route.dev_eui, n)
        )
    await producer.flush()

    items = await _messages_until(
        route, lambda items: bool(items) and _uplink_number(items[0]) == 104
    )
    assert [_uplink_number(i) for i in items] == list(range(104, 4, -1))


async def test_another_customer_gets_a_404_and_other_types_a_409(
    platform: Platform, admin: Api
) -> None:
    route = await create_route(admin, platform.database_url, TEST_DESTINATION)
    _, other = await create_customer(admin, "other")
    resp = await other.call("GET", f"/destinations/{route.destination_id}/messages")
    assert resp.status_code == 404
    kafka = await route.api.ok(
        "POST", "/destinations", {"name": "k", "type": "kafka", "config": {"topic": "acme.x"}}
    )
    resp = await route.api.call("GET", f"/destinations/{kafka['id']}/messages")
    assert resp.status_code == 409
    assert "only test destinations" in resp.json()["detail"]


def _uplink(dev_eui: str, n: int) -> bytes:
    return lora_uplink(dev_eui, f_cnt=n, payload_hex=f"{n:04X}")
