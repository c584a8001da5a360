"""Dead letters per destination in the API, and replaying them through the dispatcher:
listed with their cause, hidden from other customers, replayed with the same delivery id,
refused twice, replayed by range, refused for a disabled destination."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tests.support.api import Api, Tenant, create_customer, create_tenant
from tests.support.kafka import lora_uplink, produce
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


@dataclass
class Parked:
    """A tenant whose receiver answered 400 to its first 3 uplinks, and 204 since."""

    tenant: Tenant
    receiver: WebhookReceiver

    @property
    def path(self) -> str:
        return f"/destinations/{self.tenant.destination_id}/dead-letters"

    async def listed(self, **params: Any) -> dict[str, Any]:
        resp = await self.tenant.api.client.get(
            self.path, params=params, headers={"Authorization": f"Bearer {self.tenant.api.token}"}
        )
        assert resp.status_code == 200, resp.text
        found: dict[str, Any] = resp.json()
        return found

    async def listed_until(self, done: Any, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Poll the listing until `done(items)`: the API follows the topic asynchronously."""
        async with asyncio.timeout(timeout_s):
            while True:
                items: list[dict[str, Any]] = (await self.listed())["items"]
                if done(items):
                    return items
                await asyncio.sleep(0.2)

    def failed_delivery_id(self, message_id: str) -> str:
        [failed] = [
            r
            for r in self.receiver.requests
            if r.answered == 400 and r.headers["Senflow-Message-Id"] == message_id
        ]
        return failed.headers["Senflow-Delivery-Id"]


@pytest.fixture
async def parked(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> AsyncIterator[Parked]:
    receiver = await WebhookReceiver(secret="", script=[400, 400, 400]).start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret  # valid tokens are answered 204
        for f_cnt in (1, 2, 3):
            await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=f_cnt))
        setup = Parked(tenant, receiver)
        await setup.listed_until(lambda items: len(items) == 3)
        yield setup
    finally:
        await receiver.stop()


async def test_dead_letters_are_listed_with_their_cause_and_hidden_from_other_customers(
    parked: Parked, admin: Api
) -> None:
    listed = await parked.listed()
    assert listed["total"] == 3
    for item in listed["items"]:
        assert (item["reason"], item["status_code"], item["attempts"]) == ("http-status", 400, 1)
        assert item["response_excerpt"] == "scripted answer"
        assert item["device_id"] == parked.tenant.device_id
        assert item["flow_id"] == parked.tenant.flow_id
        assert item["delivery_id"] == parked.failed_delivery_id(item["message_id"])
        assert item["replayed_at"] is None
    times = [item["dead_lettered_at"] for item in listed["items"]]
    assert times == sorted(times, reverse=True)

    entry_id = listed["items"][0]["id"]
    one = await parked.tenant.api.ok("GET", f"{parked.path}/{entry_id}")
    assert one["body"][0]["bn"] == f"urn:dev:DEVEUI:{parked.tenant.dev_eui}:"

    _, other = await create_customer(admin, "other")
    assert (await other.call("GET", parked.path)).status_code == 404
    assert (await other.call("GET", f"{parked.path}/{entry_id}")).status_code == 404
    assert (await other.call("POST", f"{parked.path}/{entry_id}/replay")).status_code == 404
    assert (await admin.call("GET", parked.path)).json()["total"] == 3


async def test_replay_delivers_with_the_same_delivery_id_and_a_second_one_is_a_409(
    parked: Parked,
) -> None:
    oldest = (await parked.listed())["items"][-1]
    resp = await parked.tenant.api.call("POST", f"{parked.path}/{oldest['id']}/replay")
    assert (resp.status_code, resp.json()) == (202, {"replayed": 1})

    [accepted] = await parked.receiver.wait_accepted(1)
    assert accepted.headers["Senflow-Message-Id"] == oldest["message_id"]
    assert accepted.headers["Senflow-Delivery-Id"] == parked.failed_delivery_id(
        oldest["message_id"]
    )
    assert accepted.token_valid
    replayed = await parked.tenant.api.ok("GET", f"{parked.path}/{oldest['id']}")
    assert replayed["replayed_at"] is not None
    assert replayed["replayed_by"] == parked.tenant.customer_id

    again = await parked.tenant.api.call("POST", f"{parked.path}/{oldest['id']}/replay")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_replay_by_range_replays_those_not_replayed_yet(parked: Parked) -> None:
    items = (await parked.listed())["items"]
    await parked.tenant.api.ok("POST", f"{parked.path}/{items[-1]['id']}/replay")
    await parked.receiver.wait_accepted(1)

    resp = await parked.tenant.api.call("POST", f"{parked.path}/replay", {})
    assert (resp.status_code, resp.json()) == (202, {"replayed": 2})
    accepted = await parked.receiver.wait_accepted(3)
    assert {r.headers["Senflow-Delivery-Id"] for r in accepted} == {
        item["delivery_id"] for item in items
    }
    replayed = await parked.listed_until(lambda found: all(i["replayed_at"] for i in found))
    assert len(replayed) == 3
    nothing_left = await parked.tenant.api.call("POST", f"{parked.path}/replay", {})
    assert nothing_left.json() == {"replayed": 0}


async def test_replay_to_a_disabled_destination_is_a_409(parked: Parked) -> None:
    api, destination_id = parked.tenant.api, parked.tenant.destination_id
    await api.ok("PATCH", f"/destinations/{destination_id}", {"enabled": False})
    entry_id = (await parked.listed())["items"][0]["id"]

    one = await api.call("POST", f"{parked.path}/{entry_id}/replay")
    assert one.status_code == 409
    assert "disabled" in one.json()["detail"]
    some = await api.call("POST", f"{parked.path}/replay", {})
    assert some.status_code == 409
    assert parked.receiver.accepted == []
