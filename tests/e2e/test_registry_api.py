"""The management API on a real registry: auth, tenancy, validation, concurrency, events."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_customer, create_tenant, new_dev_eui, wait_outbox_drained
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


async def test_request_is_unauthorized_with_problem_when_token_is_missing(admin: Api) -> None:
    resp = await admin.client.get("/devices/00000000-0000-0000-0000-000000000000")
    assert resp.status_code == 401
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["status"] == 401


async def test_customer_key_cannot_manage_customers(admin: Api) -> None:
    _, customer = await create_customer(admin)
    resp = await customer.call("POST", "/customers", {"name": "x"})
    assert resp.status_code == 403


async def test_read_scoped_key_cannot_write(admin: Api) -> None:
    customer_id, _ = await create_customer(admin)
    key = await admin.ok("POST", "/api-keys", {"customer_id": customer_id, "scopes": ["read"]})
    reader = Api(admin.client, key["key"])
    resp = await reader.call("POST", "/projects", {"name": "p"})
    assert resp.status_code == 403


async def test_expired_key_is_unauthorized(admin: Api) -> None:
    customer_id, _ = await create_customer(admin)
    expires = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    key = await admin.ok(
        "POST", "/api-keys", {"customer_id": customer_id, "scopes": ["read"], "expires_at": expires}
    )
    await asyncio.sleep(1.2)
    resp = await Api(admin.client, key["key"]).call("GET", f"/projects/{customer_id}")
    assert resp.status_code == 401
    assert resp.json()["detail"] == "API key expired"


@pytest.mark.parametrize("collection", ["projects", "devices", "destinations", "flows"])
async def test_other_customers_object_is_404_like_a_missing_one(
    platform: Platform, admin: Api, collection: str
) -> None:
    owner = await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)
    _, intruder = await create_customer(admin)
    ids = {
        "projects": owner.project_id,
        "devices": owner.device_id,
        "destinations": owner.destination_id,
        "flows": owner.flow_id,
    }
    theirs = await intruder.call("GET", f"/{collection}/{ids[collection]}")
    missing = await intruder.call("GET", f"/{collection}/00000000-0000-0000-0000-000000000000")
    assert theirs.status_code == missing.status_code == 404
    assert (await owner.api.call("GET", f"/{collection}/{ids[collection]}")).status_code == 200


async def test_flow_cannot_reference_another_customers_device(
    platform: Platform, admin: Api
) -> None:
    owner = await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)
    _, intruder = await create_customer(admin)
    project = await intruder.ok("POST", "/projects", {"name": "p"})
    resp = await intruder.call(
        "POST",
        "/flows",
        {"project_id": project["id"], "name": "f", "device_ids": [owner.device_id]},
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "device_ids"


async def test_invalid_dev_eui_is_422_naming_the_field(admin: Api) -> None:
    _, api = await create_customer(admin)
    device = await api.ok("POST", "/devices", {"name": "d", "specification_id": "own-lora"})
    resp = await api.call(
        "PUT",
        f"/devices/{device['id']}/network-info/KPNLORA",
        {"dev_eui": "XYZ", "join_eui": "70B3D57ED0000000", "app_key": "00" * 16},
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["errors"] == [
        {"field": "dev_eui", "reason": "must be 16 hexadecimal digits (EUI-64)"}
    ]


async def test_unknown_field_is_422(admin: Api) -> None:
    _, api = await create_customer(admin)
    resp = await api.call("POST", "/projects", {"name": "p", "colour": "red"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "colour"


async def test_dev_eui_taken_by_another_device_is_409_naming_it(admin: Api) -> None:
    _, api = await create_customer(admin)
    _, other = await create_customer(admin)
    dev_eui = new_dev_eui()
    body = {"dev_eui": dev_eui, "join_eui": "70B3D57ED0000000", "app_key": "00" * 16}
    first = await api.ok("POST", "/devices", {"name": "a", "specification_id": "own-lora"})
    await api.ok("PUT", f"/devices/{first['id']}/network-info/KPNLORA", body)
    second = await other.ok("POST", "/devices", {"name": "b", "specification_id": "own-lora"})
    resp = await other.call("PUT", f"/devices/{second['id']}/network-info/KPNLORA", body)
    assert resp.status_code == 409
    assert dev_eui in resp.json()["detail"]


async def test_stale_if_match_is_412_and_current_one_applies(admin: Api) -> None:
    _, api = await create_customer(admin)
    device = await api.ok("POST", "/devices", {"name": "a", "specification_id": "own-lora"})
    path = f"/devices/{device['id']}"
    ok = await api.call("PATCH", path, {"name": "b"}, **{"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    stale = await api.call("PATCH", path, {"name": "c"}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await api.ok("GET", path))["name"] == "b"


async def test_secrets_are_never_returned(platform: Platform, admin: Api) -> None:
    tenant = await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)
    destination = await tenant.api.call("GET", f"/destinations/{tenant.destination_id}")
    device = await tenant.api.call("GET", f"/devices/{tenant.device_id}")
    for resp in (destination, device):
        assert "secret" not in resp.text.lower()
    assert tenant.destination_secret not in destination.text


async def test_change_event_reaches_compacted_topic_without_clear_text_secret(
    platform: Platform, admin: Api
) -> None:
    destinations = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_DESTINATIONS).start()
    devices = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_DEVICES).start()
    try:
        tenant = await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)
        [dest_event] = await destinations.wait_for(
            lambda r: r.key == tenant.destination_id.encode()
        )
        envelope = json.loads(dest_event.value)
        assert envelope["event_type"] == "DestinationCreated"
        assert envelope["entity_version"] == 1
        assert envelope["customer_id"] == tenant.customer_id
        assert envelope["snapshot"]["sealed_secret"].startswith("v1:")
        assert tenant.destination_secret.encode() not in dest_event.value
        assert header(dest_event, h.EVENT_TYPE) == "DestinationCreated"

        device = await tenant.api.ok(
            "POST", "/devices", {"name": "two steps", "specification_id": "own-lora"}
        )
        await tenant.api.ok(
            "PUT",
            f"/devices/{device['id']}/network-info/KPNLORA",
            {"dev_eui": new_dev_eui(), "join_eui": "70B3D57ED0000000", "app_key": "00" * 16},
        )
        device_events = await devices.wait_for(lambda r: r.key == device["id"].encode(), 2)
        assert [json.loads(r.value)["entity_version"] for r in device_events] == [1, 2]
        assert [header(r, h.EVENT_TYPE) for r in device_events] == [
            "DeviceRegistered",
            "DeviceNetworkInfoSet",
        ]
    finally:
        await destinations.stop()
        await devices.stop()


async def test_uplink_of_deactivated_device_is_dead_lettered_with_that_reason(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    try:
        tenant = await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)
        await tenant.api.ok("PATCH", f"/devices/{tenant.device_id}", {"status": "deactivated"})
        await wait_outbox_drained(platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))
        [dead] = await dead_letters.wait_for(lambda r: r.key == tenant.dev_eui.encode())
        assert header(dead, h.DLQ_REASON) == "device-deactivated"
    finally:
        await dead_letters.stop()
