"""The test endpoint end to end without Kafka: what the dispatcher's sink keeps, how the
registry holds it (newest first, 100 per destination, 5 days), and the GET that shows it."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from senflow.common import topics
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.common.serde import dumps, loads
from senflow.common.test_messages import TestMessage
from senflow.dispatcher.sinks.payload import body_of
from senflow.dispatcher.sinks.test_endpoint import TestEndpointSink, as_test_message
from senflow.registry.adapters.test_messages import TestMessages
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.errors import Conflict, NotFound
from tests.support.deliveries import (
    CUSTOMER_ID,
    DESTINATION_ID,
    SECRETS_KEY,
    a_delivery,
    a_destination,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KAFKA_DESTINATION_ID = "0b5c1d2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e"


def _kept(message_id: str, at: datetime, destination_id: str = DESTINATION_ID) -> bytes:
    destination = a_destination("test", TestEndpointConfig(), destination_id=destination_id)
    return dumps(as_test_message(a_delivery(message_id, destination_id), destination, None, 1, at))


def test_kept_message_has_the_https_headers_and_body_unsigned_without_a_secret() -> None:
    delivery = a_delivery()
    message = as_test_message(delivery, a_destination("test", TestEndpointConfig()), None, 2, NOW)
    assert message.body.encode() == body_of(delivery)
    assert message.headers == {
        "Content-Type": "application/json",
        "Things-Plug-UUID": DESTINATION_ID,
        "Senflow-Message-Id": "m-1",
        "Senflow-Delivery-Id": delivery.delivery_id,
        "Senflow-Attempt": "2",
    }
    assert (message.customer_id, message.received_at) == (CUSTOMER_ID, NOW)


def test_kept_message_is_signed_as_an_https_delivery_when_the_destination_has_a_secret() -> None:
    delivery = a_delivery()
    message = as_test_message(
        delivery, a_destination("test", TestEndpointConfig(), "s3cret"), "s3cret", 1, NOW
    )
    token = hashlib.sha256(body_of(delivery) + b"s3cret").hexdigest()
    assert message.headers["Things-Message-Token"] == token
    assert message.headers["Senflow-Signature"].startswith(f"t={int(NOW.timestamp())},v1=")


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_and_wait(self, topic: str, **record: Any) -> None:
        self.sent.append({"topic": topic, **record})


async def test_sink_keeps_each_delivery_on_the_test_topic_keyed_by_destination() -> None:
    producer = FakeProducer()
    sink = TestEndpointSink(producer, SECRETS_KEY, timeout_s=1.0)
    await sink.deliver(a_delivery(), a_destination("test", TestEndpointConfig()), 1)
    [sent] = producer.sent
    assert (sent["topic"], sent["key"]) == (topics.TEST_MESSAGES, DESTINATION_ID.encode())
    kept = loads(TestMessage, sent["value"])
    assert (kept.destination_id, kept.message_id) == (DESTINATION_ID, "m-1")
    assert ("senflow-delivery-id", kept.delivery_id.encode()) in sent["headers"]


def test_topic_is_not_compacted_and_kept_five_days() -> None:
    [spec] = [s for s in topics.ALL_TOPICS if s.name == topics.TEST_MESSAGES]
    assert (spec.partitions, spec.compacted) == (8, False)
    assert spec.config == {"retention.ms": str(5 * 24 * 3600 * 1000)}


@pytest.fixture
def kept() -> TestMessages:
    return TestMessages(clock=lambda: NOW)  # no Kafka: fed by `apply` below


def test_latest_100_are_kept_newest_first(kept: TestMessages) -> None:
    for n in range(105):
        kept.apply(_kept(f"m-{n}", NOW - timedelta(minutes=105 - n)))
    latest = kept.latest(DESTINATION_ID)
    assert [m.message_id for m in latest] == [f"m-{n}" for n in range(104, 4, -1)]


def test_messages_older_than_five_days_are_dropped_on_reading(kept: TestMessages) -> None:
    kept.apply(_kept("old", NOW - timedelta(days=5, seconds=1)))
    kept.apply(_kept("recent", NOW - timedelta(days=4)))
    assert [m.message_id for m in kept.latest(DESTINATION_ID)] == ["recent"]


def test_bad_records_are_skipped_and_destinations_kept_apart(kept: TestMessages) -> None:
    kept.apply(b"{not json")
    kept.apply(None)
    kept.apply(_kept("theirs", NOW, destination_id=KAFKA_DESTINATION_ID))
    assert kept.latest(DESTINATION_ID) == []
    assert [m.message_id for m in kept.latest(KAFKA_DESTINATION_ID)] == ["theirs"]


async def test_follower_without_kafka_starts_and_stops_as_no_ops() -> None:
    kept = TestMessages()
    await kept.start()
    await kept.stop()
    await kept.stop()


async def test_follower_keeps_the_api_serving_when_kafka_is_unreachable() -> None:
    kept = TestMessages("127.0.0.1:1", retry_s=0.05)
    async with asyncio.timeout(0.5):
        await kept.start()  # returns at once, whatever Kafka does
    await asyncio.sleep(0.5)  # a few refused attempts, each logged and retried
    assert kept.latest(DESTINATION_ID) == []
    async with asyncio.timeout(2):
        await kept.stop()


CUSTOMER_KEY = "customer-key"
CUSTOMER = Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read"}))


class FakeDestinations:
    async def test_endpoint(self, _p: Principal, did: str) -> DestinationSnapshot:
        if did == KAFKA_DESTINATION_ID:
            raise Conflict(f"destination {did} is of type kafka: only test destinations keep")
        if did != DESTINATION_ID:  # another customer's, or none: the same answer
            raise NotFound(f"destination {did} not found")
        return a_destination("test", TestEndpointConfig())


class FakeApiKeys:
    async def authenticate(self, _key: str) -> Principal:
        return CUSTOMER


@pytest.fixture
async def client(kept: TestMessages) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(destinations=FakeDestinations(), api_keys=FakeApiKeys())
    app = create_app(use_cases, "a" * 24, _ready, test_messages=kept)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def _ready() -> bool:
    return True


async def _get(client: httpx.AsyncClient, destination_id: str) -> httpx.Response:
    return await client.get(
        f"/destinations/{destination_id}/messages",
        headers={"Authorization": f"Bearer {CUSTOMER_KEY}"},
    )


async def test_messages_are_listed_newest_first_with_headers_and_body(
    client: httpx.AsyncClient, kept: TestMessages
) -> None:
    kept.apply(_kept("first", NOW - timedelta(seconds=2)))
    kept.apply(_kept("second", NOW - timedelta(seconds=1)))
    resp = await _get(client, DESTINATION_ID)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["message_id"] for i in items] == ["second", "first"]
    assert set(items[0]) == {"message_id", "delivery_id", "received_at", "headers", "body"}
    assert items[0]["headers"]["Senflow-Message-Id"] == "second"
    assert items[0]["body"].startswith('[{"bn":"urn:dev:DEVEUI:0123456789ABCDEF:"')


async def test_messages_of_another_customer_s_destination_are_a_404(
    client: httpx.AsyncClient,
) -> None:
    resp = await _get(client, "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


async def test_messages_of_a_destination_that_is_no_test_endpoint_are_a_409(
    client: httpx.AsyncClient,
) -> None:
    resp = await _get(client, KAFKA_DESTINATION_ID)
    assert resp.status_code == 409
    assert "only test destinations" in resp.json()["detail"]
