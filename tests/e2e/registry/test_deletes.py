"""Deleting: refused while in use unless asked to detach; every change is an event."""

import json

import pytest

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, Tenant, create_customer, create_tenant
from tests.support.kafka import TopicReader, header
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


@pytest.fixture
async def tenant(platform: Platform, admin: Api) -> Tenant:
    return await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)


async def test_destination_in_use_is_409_and_detach_updates_the_flow(
    platform: Platform, tenant: Tenant
) -> None:
    flows = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_FLOWS).start()
    destinations = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_DESTINATIONS).start()
    try:
        refused = await tenant.api.call("DELETE", f"/destinations/{tenant.destination_id}")
        assert refused.status_code == 409
        assert tenant.flow_id in refused.json()["detail"]
        assert (
            await tenant.api.call("DELETE", f"/destinations/{tenant.destination_id}?detach=true")
        ).status_code == 204

        flow = await tenant.api.ok("GET", f"/flows/{tenant.flow_id}")
        assert flow["destination_ids"] == []
        [flow_event] = await flows.wait_for(lambda r: r.key == tenant.flow_id.encode())
        assert json.loads(flow_event.value)["snapshot"]["destination_ids"] == []
        [tombstone] = await destinations.wait_for(lambda r: r.key == tenant.destination_id.encode())
        assert tombstone.value is None
        assert header(tombstone, h.EVENT_TYPE) == "DestinationDeleted"
        assert (
            await tenant.api.call("GET", f"/destinations/{tenant.destination_id}")
        ).status_code == 404
    finally:
        await flows.stop()
        await destinations.stop()


async def test_device_in_use_is_409_until_detached(tenant: Tenant) -> None:
    assert (await tenant.api.call("DELETE", f"/devices/{tenant.device_id}")).status_code == 409
    assert (
        await tenant.api.call("DELETE", f"/devices/{tenant.device_id}?detach=true")
    ).status_code == 204
    assert (await tenant.api.ok("GET", f"/flows/{tenant.flow_id}"))["device_ids"] == []


async def test_project_with_flows_is_409_unless_cascaded(tenant: Tenant) -> None:
    assert (await tenant.api.call("DELETE", f"/projects/{tenant.project_id}")).status_code == 409
    assert (
        await tenant.api.call("DELETE", f"/projects/{tenant.project_id}?cascade=true")
    ).status_code == 204
    assert (await tenant.api.call("GET", f"/flows/{tenant.flow_id}")).status_code == 404


async def test_diy_decoder_in_use_is_409(tenant: Tenant) -> None:
    codec = await tenant.api.ok(
        "POST",
        "/decoders",
        {"name": "mine", "contract": "kpn", "script": "function main(s){return s}"},
    )
    await tenant.api.ok(
        "POST",
        "/flows",
        {"project_id": tenant.project_id, "name": "diy", "decoder_ids": [codec["id"]]},
    )
    assert (await tenant.api.call("DELETE", f"/decoders/{codec['id']}")).status_code == 409
    assert (await tenant.api.call("DELETE", "/decoders/lora-raw")).status_code == 409  # built in


async def test_customer_that_owns_objects_cannot_be_deleted(tenant: Tenant, admin: Api) -> None:
    assert (await admin.call("DELETE", f"/customers/{tenant.customer_id}")).status_code == 409
    empty_id, _ = await create_customer(admin)
    assert (await admin.call("DELETE", f"/customers/{empty_id}")).status_code == 204


async def test_revoked_key_is_refused_at_once(admin: Api) -> None:
    _, api = await create_customer(admin)
    [key] = await api.ok("GET", "/api-keys")
    assert (await api.call("DELETE", f"/api-keys/{key['id']}")).status_code == 204
    resp = await api.call("GET", "/projects")
    assert resp.status_code == 401
    assert resp.json()["detail"] == "API key revoked"


async def test_diy_decoder_update_is_its_next_version(tenant: Tenant) -> None:
    codec = await tenant.api.ok(
        "POST",
        "/decoders",
        {"name": "v", "contract": "ts013", "script": "function decodeUplink(i){return {data:{}}}"},
    )
    assert codec["version"] == 1 and codec["built_in"] is False
    stale = await tenant.api.call(
        "PATCH", f"/decoders/{codec['id']}", {"script": "x"}, **{"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    updated = await tenant.api.ok(
        "PATCH",
        f"/decoders/{codec['id']}",
        {"script": "function decodeUplink(i){return {data:{a:1}}}"},
    )
    assert (updated["id"], updated["version"]) == (codec["id"], 2)
